// Package tomlshape screens TOML before it reaches the decoder.
// BurntSushi/toml has no limits of its own: deeply nested arrays overflow
// the goroutine stack (which kills the process; recover cannot catch it) and
// a dotted key with a million parts takes minutes and gigabytes. Every
// cataloger that decodes TOML calls Check first.
package tomlshape

import "fmt"

// Limits on the shape of TOML input. Lock files need a depth of about
// three (a [[package]] header holding an array of inline tables) and a few
// dots (dotted keys).
const (
	MaxDepth = 32 // arrays, inline tables and header brackets open at once
	MaxDots  = 64 // dots outside strings and comments on one line
)

// Check scans TOML the way its lexer splits it into strings, comments
// and the rest, and fails at the first line that nests deeper than
// MaxDepth or holds more than MaxDots dots outside strings. It
// returns that line (1-based) with the error. It accepts much that is not
// valid TOML; the decoder rejects that afterwards.
func Check(data []byte) (int, error) {
	const (
		plain = iota
		comment
		basic     // "…"
		literal   // '…'
		mlBasic   // """…"""
		mlLiteral // '''…'''
	)
	state, depth, dots, line := plain, 0, 0, 1
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			line++
			dots = 0
			if state == comment || state == basic || state == literal {
				state = plain // a newline ends these, valid or not
			}
			continue
		}
		switch state {
		case comment:
		case basic:
			switch {
			case c == '\\' && i+1 < len(data) && data[i+1] != '\n':
				i++
			case c == '"':
				state = plain
			}
		case literal:
			if c == '\'' {
				state = plain
			}
		case mlBasic:
			switch {
			case c == '\\' && i+1 < len(data) && data[i+1] != '\n':
				i++
			case triple(data, i, '"'):
				i += 2
				state = plain
			}
		case mlLiteral:
			if triple(data, i, '\'') {
				i += 2
				state = plain
			}
		default:
			switch c {
			case '#':
				state = comment
			case '"':
				state = basic
				if triple(data, i, '"') {
					i += 2
					state = mlBasic
				}
			case '\'':
				state = literal
				if triple(data, i, '\'') {
					i += 2
					state = mlLiteral
				}
			case '[', '{':
				depth++
				if depth > MaxDepth {
					return line, fmt.Errorf("more than %d nested arrays or tables", MaxDepth)
				}
			case ']', '}':
				if depth > 0 {
					depth--
				}
			case '.':
				dots++
				if dots > MaxDots {
					return line, fmt.Errorf("more than %d dots in one line", MaxDots)
				}
			}
		}
	}
	return 0, nil
}

// triple reports whether data[i:] starts with three q bytes.
func triple(data []byte, i int, q byte) bool {
	return i+2 < len(data) && data[i] == q && data[i+1] == q && data[i+2] == q
}
