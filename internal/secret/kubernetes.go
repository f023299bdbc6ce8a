package secret

import (
	"bytes"
	"regexp"
)

var (
	k8sKindYAML  = regexp.MustCompile(`(?m)^kind:[ \t]*["']?Secret["']?[ \t]*\r?$`)
	k8sKindJSON  = regexp.MustCompile(`"kind"\s*:\s*"Secret"`)
	k8sDataYAML  = regexp.MustCompile(`(?m)^(?:data|stringData):[ \t]*\r?\n((?:[ \t]+[^\n]*\n?)+)`)
	k8sEntryYAML = regexp.MustCompile(`(?m)^[ \t]+[\w.\-]+:[ \t]*["']?([^\s"'#{}|>]{4,})`)
	k8sDataJSON  = regexp.MustCompile(`"(?:data|stringData)"\s*:\s*\{([^{}]*)\}`)
	k8sEntryJSON = regexp.MustCompile(`"[^"]+"\s*:\s*"([^"{}]{4,})"`)
)

// findKubernetesSecrets finds the values under data and stringData of
// every document of kind Secret, in YAML (multi-document) or JSON.
func findKubernetesSecrets(_ *Rule, content []byte) [][]int {
	var out [][]int
	off := 0
	for _, doc := range splitYAMLDocs(content) {
		switch {
		case k8sKindYAML.Match(doc):
			out = appendEntries(out, doc, off, k8sDataYAML, k8sEntryYAML)
		case k8sKindJSON.Match(doc):
			out = appendEntries(out, doc, off, k8sDataJSON, k8sEntryJSON)
		}
		off += len(doc)
	}
	return out
}

func appendEntries(out [][]int, doc []byte, off int, block, entry *regexp.Regexp) [][]int {
	for _, b := range block.FindAllSubmatchIndex(doc, -1) {
		body := doc[b[2]:b[3]]
		for _, e := range entry.FindAllSubmatchIndex(body, -1) {
			base := off + b[2]
			out = append(out, []int{base + e[0], base + e[1], base + e[2], base + e[3]})
		}
	}
	return out
}

// splitYAMLDocs splits at lines that are exactly "---"; the pieces cover
// content end to end, so offsets stay valid.
func splitYAMLDocs(content []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i < len(content); {
		j := bytes.IndexByte(content[i:], '\n')
		end := len(content)
		if j >= 0 {
			end = i + j + 1
		}
		if line := bytes.TrimRight(content[i:end], "\r\n"); string(line) == "---" && i > start {
			docs = append(docs, content[start:i])
			start = i
		}
		i = end
	}
	return append(docs, content[start:])
}
