package dockerfile

import (
	"path"
	"strings"
)

// maxShellDepth bounds how deep `sh -c '…'` scripts are unpacked.
const maxShellDepth = 3

// command is one simple command of a shell script, quotes removed.
type command struct {
	// words are the command and its arguments, with leading VAR=value
	// assignments, redirections and wrappers (sudo, env, exec …) dropped.
	words []string
	// sudo is set when the command ran under sudo.
	sudo bool
	// pipeTo is set when the command's output is piped into the next one.
	pipeTo bool
}

// name is the command's base name ("/usr/bin/apt-get" → "apt-get").
func (c command) name() string {
	if len(c.words) == 0 {
		return ""
	}
	return path.Base(c.words[0])
}

// args are the words after the command name.
func (c command) args() []string {
	if len(c.words) == 0 {
		return nil
	}
	return c.words[1:]
}

// has reports whether any argument equals one of ws.
func (c command) has(ws ...string) bool {
	for _, a := range c.args() {
		for _, w := range ws {
			if a == w {
				return true
			}
		}
	}
	return false
}

// subcommand is the first argument that is not an option, or "".
func (c command) subcommand() string {
	for _, a := range c.args() {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ash": true, "ksh": true}

// splitScript splits a shell script into simple commands. It understands
// quoting, backslash escapes and the &&, ||, ;, |, & and newline
// separators; `sh -c 'script'` arguments are split too (their commands
// follow the sh command). It is a scanner's approximation, not a shell.
func splitScript(script string) []command {
	return splitDepth(script, 0)
}

func splitDepth(script string, depth int) []command {
	var (
		out   []command
		words []string
		word  strings.Builder
		inW   bool
	)
	endWord := func() {
		if inW {
			words = append(words, word.String())
			word.Reset()
			inW = false
		}
	}
	endCmd := func(pipe bool) {
		endWord()
		if c, ok := simplify(words); ok {
			c.pipeTo = pipe
			out = append(out, c)
			if depth < maxShellDepth && shells[c.name()] {
				if s, ok := dashC(c.args()); ok {
					out = append(out, splitDepth(s, depth+1)...)
				}
			}
		}
		words = nil
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch c {
		case '\'':
			inW = true
			j := strings.IndexByte(script[i+1:], '\'')
			if j < 0 {
				word.WriteString(script[i+1:])
				i = len(script)
				break
			}
			word.WriteString(script[i+1 : i+1+j])
			i += j + 1
		case '"':
			inW = true
			i++
			for ; i < len(script) && script[i] != '"'; i++ {
				if script[i] == '\\' && i+1 < len(script) && strings.IndexByte("\"\\$`\n", script[i+1]) >= 0 {
					i++
					if script[i] == '\n' {
						continue
					}
				}
				word.WriteByte(script[i])
			}
		case '\\':
			if i+1 < len(script) {
				i++
				if script[i] != '\n' {
					inW = true
					word.WriteByte(script[i])
				}
			}
		case ' ', '\t', '\r':
			endWord()
		case '\n', ';', '(', ')':
			endCmd(false)
		case '&':
			if i+1 < len(script) && script[i+1] == '&' {
				i++
			} else if inW && i > 0 && (script[i-1] == '>' || script[i-1] == '<') {
				word.WriteByte(c) // 2>&1
				break
			}
			endCmd(false)
		case '|':
			if i+1 < len(script) && script[i+1] == '|' {
				i++
				endCmd(false)
			} else {
				endCmd(true)
			}
		case '#':
			if !inW {
				// A comment runs to the end of the line.
				j := strings.IndexByte(script[i:], '\n')
				if j < 0 {
					i = len(script)
				} else {
					i += j - 1
				}
				break
			}
			word.WriteByte(c)
		default:
			inW = true
			word.WriteByte(c)
		}
	}
	endCmd(false)
	return out
}

// shellKeywords start compound commands; the command proper follows them.
var shellKeywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "do": true,
	"done": true, "while": true, "until": true, "{": true, "}": true, "!": true,
}

// wrappers run their arguments as a command.
var wrappers = map[string]bool{"exec": true, "command": true, "nohup": true, "time": true, "env": true, "nice": true}

// simplify drops redirections, leading assignments, keywords and wrappers.
func simplify(raw []string) (command, bool) {
	var c command
	words := make([]string, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		w := raw[i]
		if isRedirection(w) {
			if strings.TrimLeft(w, "0123456789<>&|") == "" {
				i++ // the target is the next word
			}
			continue
		}
		words = append(words, w)
	}
	for len(words) > 0 {
		w := words[0]
		switch {
		case shellKeywords[w] || isAssignment(w):
			words = words[1:]
		case wrappers[path.Base(w)]:
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
		case path.Base(w) == "sudo":
			c.sudo = true
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				opt := words[0]
				words = words[1:]
				if (opt == "-u" || opt == "-g" || opt == "-C" || opt == "-p") && len(words) > 0 {
					words = words[1:]
				}
			}
		default:
			c.words = words
			return c, true
		}
	}
	if c.sudo {
		return c, true
	}
	return c, false
}

func isRedirection(w string) bool {
	t := strings.TrimLeft(w, "0123456789")
	return strings.HasPrefix(t, ">") || strings.HasPrefix(t, "<") || strings.HasPrefix(t, "&>")
}

func isAssignment(w string) bool {
	k, _, ok := strings.Cut(w, "=")
	if !ok || k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// dashC returns the script of `sh [-opts] -c script`.
func dashC(args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "+o":
			i++ // an option name follows
		case !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--"):
			return "", false
		case strings.Contains(a[1:], "c"):
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		}
	}
	return "", false
}
