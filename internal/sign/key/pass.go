package key

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// PassFunc returns the password for an encrypted private key; confirm=true
// asks twice (when creating a key).
type PassFunc func(confirm bool) ([]byte, error)

// Environment variables read for the password, in order.
const (
	EnvPassword       = "REDLINE_PASSWORD"
	EnvCosignPassword = "COSIGN_PASSWORD"
)

// EnvOrPrompt returns a PassFunc reading REDLINE_PASSWORD, then
// COSIGN_PASSWORD (set-but-empty means the empty password), else prompting
// on the terminal (prompt on stderr, no echo). Without a terminal it returns
// ErrNoPassword.
func EnvOrPrompt() PassFunc {
	return EnvOrPromptOn(os.Stdin, os.Stderr)
}

// EnvOrPromptOn is EnvOrPrompt with the streams given: it prompts on out
// and reads from in when in is a terminal (an *os.File), and returns
// ErrNoPassword otherwise.
func EnvOrPromptOn(in io.Reader, out io.Writer) PassFunc {
	return passFrom(os.LookupEnv, terminalPrompt(in, out))
}

// StaticPass returns a PassFunc that always returns a copy of password.
func StaticPass(password []byte) PassFunc {
	return func(bool) ([]byte, error) { return bytes.Clone(password), nil }
}

// prompter reads one password after printing prompt; it fails with
// ErrNoPassword when there is no terminal.
type prompter func(prompt string) ([]byte, error)

// passFrom builds the PassFunc of EnvOrPrompt from its parts, for tests.
func passFrom(lookup func(string) (string, bool), prompt prompter) PassFunc {
	return func(confirm bool) ([]byte, error) {
		for _, name := range []string{EnvPassword, EnvCosignPassword} {
			if v, ok := lookup(name); ok {
				return []byte(v), nil
			}
		}
		first, err := prompt("Enter password for private key: ")
		if err != nil {
			return nil, err
		}
		if !confirm {
			return first, nil
		}
		second, err := prompt("Enter password for private key again: ")
		if err != nil {
			clear(first)
			return nil, err
		}
		same := bytes.Equal(first, second)
		clear(second)
		if !same {
			clear(first)
			return nil, errors.New("passwords do not match")
		}
		return first, nil
	}
}

// terminalPrompt reads passwords without echo from in when it is a
// terminal, printing the prompt to out.
func terminalPrompt(in io.Reader, out io.Writer) prompter {
	return func(prompt string) ([]byte, error) {
		f, ok := in.(*os.File)
		if !ok || f == nil || !term.IsTerminal(int(f.Fd())) {
			return nil, ErrNoPassword
		}
		fd := int(f.Fd())
		fmt.Fprint(out, prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(out)
		if err != nil {
			return nil, fmt.Errorf("read password from terminal: %w", err)
		}
		return p, nil
	}
}
