package dockerfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Limits on what Parse accepts. Real Dockerfiles are a few kilobytes; these
// bound the work a hostile file can cause.
const (
	// MaxFileSize is the largest Dockerfile read, in bytes.
	MaxFileSize = 4 << 20
	// MaxInstructions is the most instructions one Dockerfile may hold.
	MaxInstructions = 10000
	// MaxInstructionLength is the longest instruction, continuation lines
	// joined, in bytes.
	MaxInstructionLength = 256 << 10
	// MaxHeredocs is the most here-documents one instruction may open.
	MaxHeredocs = 16
)

// ParseError is a syntax error in a Dockerfile.
type ParseError struct {
	Line int // 1-based line, 0 when not tied to one line
	Err  error
}

// Error gives the line and the problem.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Heredoc is a here-document (<<EOF) attached to a RUN, COPY or ADD.
type Heredoc struct {
	Name string // the delimiter word, without quotes
	Body string // the lines between the instruction and the delimiter
}

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	// Cmd is the keyword in upper case: "FROM", "RUN" …
	Cmd string
	// Line is the 1-based line of the keyword; EndLine the last line of the
	// instruction, here-documents included.
	Line, EndLine int
	// Flags are the leading --name[=value] options, as written.
	Flags []string
	// Args is the text after the keyword and flags, continuations joined.
	Args string
	// Exec holds the arguments of the JSON (exec) form; nil for shell form.
	Exec []string
	// Heredocs are the here-documents the instruction opens, in order.
	Heredocs []Heredoc
}

// Flag returns the value of the flag --name (case-insensitive) and whether it
// is present; a flag without "=value" has the value "".
func (in *Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Text is the instruction as one line, for evidence.
func (in *Instruction) Text() string {
	var b strings.Builder
	b.WriteString(in.Cmd)
	for _, f := range in.Flags {
		b.WriteByte(' ')
		b.WriteString(f)
	}
	if in.Args != "" {
		b.WriteByte(' ')
		b.WriteString(in.Args)
	}
	return b.String()
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	// Escape is the escape character: '\\' or '`' (from "# escape=").
	Escape byte
	// Instructions in file order.
	Instructions []Instruction
}

var knownInstructions = map[string]bool{
	"ADD": true, "ARG": true, "CMD": true, "COPY": true, "ENTRYPOINT": true,
	"ENV": true, "EXPOSE": true, "FROM": true, "HEALTHCHECK": true, "LABEL": true,
	"MAINTAINER": true, "ONBUILD": true, "RUN": true, "SHELL": true,
	"STOPSIGNAL": true, "USER": true, "VOLUME": true, "WORKDIR": true,
}

// heredocInstructions may carry here-documents.
var heredocInstructions = map[string]bool{"RUN": true, "COPY": true, "ADD": true}

// Parse reads a Dockerfile the way BuildKit does: parser directives at the top
// ("# escape=" is honoured), comment lines dropped (also inside continued
// instructions), lines ending in the escape character continued, and
// here-document bodies attached to their RUN, COPY or ADD. It refuses input
// over the package limits and unknown instructions.
func Parse(data []byte) (*Dockerfile, error) {
	if len(data) > MaxFileSize {
		return nil, &ParseError{Err: fmt.Errorf("%d bytes is over the %d-byte limit", len(data), MaxFileSize)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := splitLines(data)
	df := &Dockerfile{Escape: '\\'}

	i, err := parseDirectives(lines, df)
	if err != nil {
		return nil, err
	}
	for i < len(lines) {
		raw := lines[i]
		trimmed := strings.TrimLeft(raw, " \t")
		if trimmed == "" || trimmed[0] == '#' {
			i++
			continue
		}
		start := i + 1
		first, cont := trimContinuation(trimmed, df.Escape)
		var logical strings.Builder
		logical.WriteString(first)
		i++
		for cont && i < len(lines) && logical.Len() <= MaxInstructionLength {
			next := lines[i]
			i++
			nt := strings.TrimLeft(next, " \t")
			if nt == "" || nt[0] == '#' {
				continue // comments and empty lines inside a continuation are skipped
			}
			var part string
			part, cont = trimContinuation(next, df.Escape)
			logical.WriteString(part)
		}
		if logical.Len() > MaxInstructionLength {
			return nil, &ParseError{Line: start, Err: fmt.Errorf("instruction is longer than %d bytes", MaxInstructionLength)}
		}
		in, err := parseInstruction(logical.String(), df.Escape)
		if err != nil {
			return nil, &ParseError{Line: start, Err: err}
		}
		in.Line = start
		in.EndLine = i
		if heredocInstructions[in.Cmd] && in.Exec == nil {
			names := heredocNames(in.Args)
			if len(names) > MaxHeredocs {
				return nil, &ParseError{Line: start, Err: fmt.Errorf("more than %d here-documents", MaxHeredocs)}
			}
			for _, h := range names {
				body, next, ok := readHeredoc(lines, i, h)
				if !ok {
					return nil, &ParseError{Line: start, Err: fmt.Errorf("here-document %q is not terminated", h.name)}
				}
				in.Heredocs = append(in.Heredocs, Heredoc{Name: h.name, Body: body})
				i = next
				in.EndLine = i
			}
		}
		if len(df.Instructions) == MaxInstructions {
			return nil, &ParseError{Line: start, Err: fmt.Errorf("more than %d instructions", MaxInstructions)}
		}
		df.Instructions = append(df.Instructions, in)
	}
	return df, nil
}

// splitLines splits on \n, dropping a trailing \r from each line.
func splitLines(data []byte) []string {
	s := string(data)
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// parseDirectives reads the parser directives at the top of the file and
// returns the index of the first line after them.
func parseDirectives(lines []string, df *Dockerfile) (int, error) {
	seen := map[string]bool{}
	for i, l := range lines {
		name, value, ok := directive(l)
		if !ok {
			return i, nil
		}
		switch name {
		case "escape":
			if seen[name] {
				return 0, &ParseError{Line: i + 1, Err: errors.New("only one escape parser directive can be used")}
			}
			if value != "\\" && value != "`" {
				return 0, &ParseError{Line: i + 1, Err: fmt.Errorf("invalid escape token %q does not match ` or \\", value)}
			}
			df.Escape = value[0]
		case "syntax", "check":
		default:
			// An unknown directive is a comment, and a comment ends the
			// directives.
			return i, nil
		}
		seen[name] = true
	}
	return len(lines), nil
}

// directive reads "# name=value".
func directive(line string) (name, value string, ok bool) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, "#") {
		return "", "", false
	}
	k, v, ok := strings.Cut(s[1:], "=")
	if !ok {
		return "", "", false
	}
	k = strings.TrimSpace(k)
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", "", false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "", "", false
		}
	}
	return strings.ToLower(k), strings.TrimSpace(v), true
}

// trimContinuation removes a trailing escape character (followed only by
// blanks) and reports whether the instruction continues.
func trimContinuation(line string, escape byte) (string, bool) {
	t := strings.TrimRight(line, " \t")
	n := len(t)
	if n > 0 && t[n-1] == escape && (n == 1 || t[n-2] != escape) {
		return t[:n-1], true
	}
	return line, false
}

// parseInstruction splits a logical line into keyword, flags and arguments.
func parseInstruction(logical string, escape byte) (Instruction, error) {
	s := strings.TrimSpace(logical)
	kw, rest, _ := cutSpace(s)
	cmd := strings.ToUpper(kw)
	if !knownInstructions[cmd] {
		return Instruction{}, fmt.Errorf("unknown instruction %q", truncate(kw, 40))
	}
	in := Instruction{Cmd: cmd}
	rest = strings.TrimSpace(rest)
	if cmd == "ONBUILD" {
		// The trigger is not parsed further; its keyword must be valid.
		kw, _, _ := cutSpace(rest)
		switch inner := strings.ToUpper(kw); {
		case !knownInstructions[inner]:
			return Instruction{}, fmt.Errorf("ONBUILD: unknown instruction %q", truncate(kw, 40))
		case inner == "ONBUILD" || inner == "FROM" || inner == "MAINTAINER":
			return Instruction{}, fmt.Errorf("%s is not allowed as an ONBUILD trigger", inner)
		}
		in.Args = rest
		return in, nil
	}
	in.Flags, rest = extractFlags(rest, escape)
	in.Args = rest
	if jsonCommands[cmd] && strings.HasPrefix(rest, "[") {
		var exec []string
		if err := json.Unmarshal([]byte(rest), &exec); err == nil && exec != nil {
			in.Exec = exec
		}
	}
	return in, nil
}

// extractFlags reads the leading --name[=value] words of s as BuildKit does:
// quotes are removed, the escape character escapes, and a lone "--" ends the
// flags. It returns the flags and the rest of s.
func extractFlags(s string, escape byte) ([]string, string) {
	var flags []string
	for {
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, "--") {
			return flags, s
		}
		var (
			b     strings.Builder
			quote byte
			i     int
		)
	word:
		for i = 0; i < len(s); i++ {
			c := s[i]
			switch {
			case quote != 0 && c == quote:
				quote = 0
			case quote == 0 && (c == ' ' || c == '\t'):
				break word
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case c == escape && quote != '\'':
				if i+1 < len(s) {
					i++
					b.WriteByte(s[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		s = s[i:]
		if b.String() == "--" {
			return flags, strings.TrimLeft(s, " \t")
		}
		flags = append(flags, b.String())
	}
}

// jsonCommands accept the JSON (exec) form.
var jsonCommands = map[string]bool{
	"RUN": true, "CMD": true, "ENTRYPOINT": true, "SHELL": true, "COPY": true,
	"ADD": true, "VOLUME": true,
}

// cutSpace cuts s at its first run of blanks.
func cutSpace(s string) (before, after string, found bool) {
	j := strings.IndexAny(s, " \t")
	if j < 0 {
		return s, "", false
	}
	return s[:j], strings.TrimLeft(s[j:], " \t"), true
}

type heredocName struct {
	name  string
	strip bool // <<- strips leading tabs
}

// heredocNames finds the <<WORD and <<-WORD here-document openers of a line,
// outside quotes.
func heredocNames(s string) []heredocName {
	var out []heredocName
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		case c != '<' || !strings.HasPrefix(s[i:], "<<") || strings.HasPrefix(s[i:], "<<<"):
			continue
		}
		// The opener starts a word (an fd number may precede it).
		k := i
		for k > 0 && s[k-1] >= '0' && s[k-1] <= '9' {
			k--
		}
		if k > 0 && s[k-1] != ' ' && s[k-1] != '\t' {
			i++
			continue
		}
		j := i + 2
		h := heredocName{}
		if j < len(s) && s[j] == '-' {
			h.strip = true
			j++
		}
		end := j
		for end < len(s) && s[end] != ' ' && s[end] != '\t' && s[end] != '<' {
			end++
		}
		word := s[j:end]
		if len(word) >= 2 && (word[0] == '"' || word[0] == '\'') && word[len(word)-1] == word[0] {
			word = word[1 : len(word)-1]
		}
		if word != "" && !strings.ContainsAny(word, "\"'") {
			h.name = word
			out = append(out, h)
			if len(out) > MaxHeredocs {
				return out
			}
		}
		i = end - 1
	}
	return out
}

// readHeredoc reads the body of h starting at lines[i] and returns the body
// and the index of the line after the delimiter.
func readHeredoc(lines []string, i int, h heredocName) (string, int, bool) {
	var b strings.Builder
	for ; i < len(lines); i++ {
		l := lines[i]
		if h.strip {
			l = strings.TrimLeft(l, "\t")
		}
		if l == h.name {
			return b.String(), i + 1, true
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return "", i, false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
