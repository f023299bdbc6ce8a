package dockerfile

import (
	"path"
	"strings"
)

// stage is one FROM and the instructions that follow it.
type stage struct {
	from *Instruction
	// image is the base image reference with build arguments expanded; ""
	// when a variable could not be resolved.
	image string
	// name is the stage's AS name in lower case, "" if it has none.
	name string
	// parent is the index of the earlier stage this one is built FROM, or -1
	// when it starts from an image.
	parent int
	body   []*Instruction
}

// isScratch reports whether the stage starts from the empty image.
func (s *stage) isScratch() bool { return strings.EqualFold(s.image, "scratch") }

// splitStages groups instructions by FROM. Instructions before the first
// FROM (global ARGs) are not part of any stage; their defaults are used to
// expand FROM references.
func splitStages(df *Dockerfile) []stage {
	meta := map[string]string{}
	var out []stage
	names := map[string]int{}
	for i := range df.Instructions {
		in := &df.Instructions[i]
		if in.Cmd == "FROM" {
			fields := strings.Fields(in.Args)
			s := stage{from: in, parent: -1}
			if len(fields) > 0 {
				if img, ok := expand(fields[0], meta); ok {
					s.image = img
				}
			}
			if len(fields) >= 3 && strings.EqualFold(fields[1], "AS") {
				s.name = strings.ToLower(fields[2])
			}
			if j, ok := names[strings.ToLower(s.image)]; ok && s.image != "" {
				s.parent = j
			}
			out = append(out, s)
			if s.name != "" {
				if _, dup := names[s.name]; !dup {
					names[s.name] = len(out) - 1
				}
			}
			continue
		}
		if len(out) == 0 {
			if in.Cmd == "ARG" {
				for _, kv := range argDefs(in.Args) {
					meta[kv.key] = kv.value
				}
			}
			continue
		}
		out[len(out)-1].body = append(out[len(out)-1].body, in)
	}
	return out
}

// chain returns the indexes of stage i and the stages it builds on, i first.
func chain(stages []stage, i int) []int {
	var out []int
	for i >= 0 && len(out) <= len(stages) {
		out = append(out, i)
		i = stages[i].parent
	}
	return out
}

// expand substitutes $VAR, ${VAR}, ${VAR:-default} and ${VAR-default} from
// vars. It reports false when a variable has no value.
func expand(s string, vars map[string]string) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		var name, def string
		hasDef := false
		if s[i+1] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return "", false
			}
			inner := s[i+2 : i+j]
			i += j
			if k := strings.IndexAny(inner, ":-"); k >= 0 {
				name = inner[:k]
				rest := strings.TrimPrefix(inner[k:], ":")
				if !strings.HasPrefix(rest, "-") {
					return "", false // ${VAR:+x}, ${VAR:?x}
				}
				def, hasDef = rest[1:], true
			} else {
				name = inner
			}
		} else {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
			i = j - 1
		}
		v, ok := vars[name]
		if !ok || v == "" {
			if !hasDef {
				return "", false
			}
			v = def
		}
		b.WriteString(v)
	}
	return b.String(), true
}

type keyValue struct {
	key, value string
	literal    bool // value was given (ARG NAME=value, not ARG NAME)
}

// argDefs reads "NAME[=value] …" of an ARG.
func argDefs(args string) []keyValue {
	var out []keyValue
	for _, w := range shellWords(args) {
		k, v, ok := strings.Cut(w, "=")
		out = append(out, keyValue{key: k, value: v, literal: ok})
	}
	return out
}

// envDefs reads "K=V K2=V2" or the legacy "K V" form of an ENV.
func envDefs(args string) []keyValue {
	words := shellWords(args)
	if len(words) == 0 {
		return nil
	}
	if !strings.Contains(words[0], "=") {
		k, v, _ := cutSpace(strings.TrimSpace(args))
		return []keyValue{{key: k, value: unquote(v), literal: true}}
	}
	var out []keyValue
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		out = append(out, keyValue{key: k, value: v, literal: true})
	}
	return out
}

// shellWords splits s on blanks outside quotes and removes the quotes.
func shellWords(s string) []string {
	var (
		out   []string
		b     strings.Builder
		quote byte
		inW   bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else {
				b.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, inW = c, true
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			inW = true
		case c == ' ' || c == '\t':
			if inW {
				out = append(out, b.String())
				b.Reset()
				inW = false
			}
		default:
			b.WriteByte(c)
			inW = true
		}
	}
	if inW {
		out = append(out, b.String())
	}
	return out
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// imageRef splits an image reference into repository, tag and digest.
func imageRef(ref string) (repo, tag, digest string) {
	repo, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}

// sources are the source arguments of a COPY or ADD (all but the
// destination).
func sources(in *Instruction) []string {
	words := in.Exec
	if words == nil {
		words = shellWords(in.Args)
	}
	if len(words) < 2 {
		return nil
	}
	return words[:len(words)-1]
}

func baseName(p string) string { return strings.ToLower(path.Base(strings.ReplaceAll(p, "\\", "/"))) }
