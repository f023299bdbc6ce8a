package cli

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteOutputKeepsSpecialFiles checks that -o writes through a symbolic
// link and a named pipe instead of replacing them (as root, replacing
// /dev/null with a regular file breaks the machine).
func TestWriteOutputKeepsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	hello := func(w io.Writer) error { _, err := io.WriteString(w, "hello\n"); return err }

	target := filepath.Join(dir, "real.json")
	if err := os.WriteFile(target, []byte("old content that is longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := writeOutput(link, nil, hello); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "hello\n" {
		t.Errorf("target holds %q", b)
	}

	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := writeOutput(fifo, nil, hello); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "hello\n" {
		t.Errorf("pipe read %q", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("pipe replaced: %v %v", fi.Mode(), err)
	}

	// A regular file is still replaced atomically.
	plain := filepath.Join(dir, "plain.json")
	if err := writeOutput(plain, nil, hello); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "hello\n" {
		t.Errorf("plain holds %q", b)
	}
}
