package walk

import "sort"

// sortWarnings orders warnings by path, analyzer and message so that reports are
// deterministic whatever order the workers finished in.
func sortWarnings(ws []Warning) {
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Analyzer != b.Analyzer {
			return a.Analyzer < b.Analyzer
		}
		return a.Message < b.Message
	})
}
