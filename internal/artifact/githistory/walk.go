package githistory

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/redline-sec/redline/internal/artifact"
)

// maxSubject is the most runes of a commit subject kept in CreatedBy.
const maxSubject = 80

// maxTagDepth bounds chains of annotated tags pointing at tags.
const maxTagDepth = 16

// commit is what the walk keeps of one commit.
type commit struct {
	hash      plumbing.Hash
	tree      plumbing.Hash
	parents   []plumbing.Hash
	when      time.Time // committer time: orders the walk
	createdBy string
}

// Walk calls fn once for every distinct blob of the repository's history,
// attributed to the first commit, in oldest-first topological order, whose
// tree holds it. Commits are those reachable from any ref or HEAD. Within a
// commit, files come in tree order; of two paths holding the same blob in
// that commit, the first is reported. Symbolic links and submodules are
// skipped. fn is called from one goroutine at a time.
func (h *History) Walk(ctx context.Context, fn func(artifact.Entry) error) error {
	s, closeStore := h.objects()
	defer closeStore()
	commits, err := h.commits(ctx, s)
	if err != nil {
		return fmt.Errorf("read history of %s: %w", h.name, err)
	}
	w := treeWalker{
		s:         s,
		maxSize:   h.opts.MaxFileSize,
		fn:        fn,
		seenTrees: make(map[plumbing.Hash]struct{}),
		seenBlobs: make(map[plumbing.Hash]struct{}),
	}
	for _, c := range commits {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.commit = c
		if err := w.walk(c.tree, "", 0); err != nil {
			return fmt.Errorf("commit %s: %w", c.hash, err)
		}
	}
	return nil
}

// commits returns every commit reachable from the refs and HEAD, parents
// before children, ties broken by committer time and then hash.
func (h *History) commits(ctx context.Context, s storer.EncodedObjectStorer) ([]*commit, error) {
	tips, err := h.tips(s)
	if err != nil {
		return nil, err
	}
	byHash := make(map[plumbing.Hash]*commit)
	stack := tips
	for len(stack) > 0 {
		hash := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := byHash[hash]; ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(byHash) >= h.opts.MaxCommits {
			return nil, fmt.Errorf("more than %d commits: %w", h.opts.MaxCommits, ErrTooManyCommits)
		}
		c, err := object.GetCommit(s, hash)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue // the parent of a shallow clone's boundary commit
		}
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", hash, err)
		}
		byHash[hash] = &commit{
			hash:      hash,
			tree:      c.TreeHash,
			parents:   c.ParentHashes,
			when:      c.Committer.When,
			createdBy: createdBy(c),
		}
		stack = append(stack, c.ParentHashes...)
	}
	return topoOrder(byHash), nil
}

// tips returns the commits that refs and HEAD point at, with annotated tags
// peeled; refs to trees or blobs and dangling refs are skipped.
func (h *History) tips(s storer.EncodedObjectStorer) ([]plumbing.Hash, error) {
	refs, err := h.repo.References()
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	var hashes []plumbing.Hash
	err = refs.ForEach(func(r *plumbing.Reference) error {
		if r.Type() == plumbing.HashReference {
			hashes = append(hashes, r.Hash())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	if head, err := h.repo.Head(); err == nil {
		hashes = append(hashes, head.Hash())
	}
	var tips []plumbing.Hash
	seen := make(map[plumbing.Hash]bool)
	for _, hash := range hashes {
		c, ok := peel(s, hash)
		if ok && !seen[c] {
			seen[c] = true
			tips = append(tips, c)
		}
	}
	return tips, nil
}

// peel follows annotated tags to the commit they name.
func peel(s storer.EncodedObjectStorer, hash plumbing.Hash) (plumbing.Hash, bool) {
	for range maxTagDepth {
		obj, err := s.EncodedObject(plumbing.AnyObject, hash)
		if err != nil {
			return plumbing.ZeroHash, false
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return hash, true
		case plumbing.TagObject:
			tag, err := object.DecodeTag(s, obj)
			if err != nil {
				return plumbing.ZeroHash, false
			}
			hash = tag.Target
		default:
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.ZeroHash, false
}

// topoOrder sorts commits so that every parent comes before its children;
// among commits whose parents are all placed, the oldest (committer time,
// then hash) goes first.
func topoOrder(byHash map[plumbing.Hash]*commit) []*commit {
	pending := make(map[plumbing.Hash]int, len(byHash))
	children := make(map[plumbing.Hash][]*commit, len(byHash))
	ready := &commitHeap{}
	for _, c := range byHash {
		n := 0
		for _, p := range c.parents {
			if _, ok := byHash[p]; ok {
				n++
				children[p] = append(children[p], c)
			}
		}
		pending[c.hash] = n
		if n == 0 {
			*ready = append(*ready, c)
		}
	}
	heap.Init(ready)
	order := make([]*commit, 0, len(byHash))
	for ready.Len() > 0 {
		c := heap.Pop(ready).(*commit)
		order = append(order, c)
		for _, child := range children[c.hash] {
			// A merge may name the same parent twice; count each edge.
			pending[child.hash]--
			if pending[child.hash] == 0 {
				heap.Push(ready, child)
			}
		}
	}
	return order
}

// commitHeap is a min-heap of commits by committer time, then hash.
type commitHeap []*commit

func (h commitHeap) Len() int { return len(h) }
func (h commitHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return bytes.Compare(h[i].hash[:], h[j].hash[:]) < 0
}
func (h commitHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *commitHeap) Push(x any)   { *h = append(*h, x.(*commit)) }
func (h *commitHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// treeWalker visits the trees of successive commits. A tree or blob seen in
// an earlier commit is skipped: a tree's hash fixes every blob under it, so a
// tree already walked can hold no blob not yet reported.
type treeWalker struct {
	s         storer.EncodedObjectStorer
	maxSize   int64
	fn        func(artifact.Entry) error
	commit    *commit
	seenTrees map[plumbing.Hash]struct{}
	seenBlobs map[plumbing.Hash]struct{}
}

func (w *treeWalker) walk(treeHash plumbing.Hash, dir string, depth int) error {
	if _, ok := w.seenTrees[treeHash]; ok {
		return nil
	}
	if depth > maxTreeDepth {
		return fmt.Errorf("tree %s at %q: nested deeper than %d directories", treeHash, dir, maxTreeDepth)
	}
	tree, err := object.GetTree(w.s, treeHash)
	if err != nil {
		return fmt.Errorf("read tree %s at %q: %w", treeHash, dir, err)
	}
	w.seenTrees[treeHash] = struct{}{}
	for _, e := range tree.Entries {
		p := e.Name
		if dir != "" {
			p = dir + "/" + e.Name
		}
		switch e.Mode {
		case filemode.Dir:
			if err := w.walk(e.Hash, p, depth+1); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if err := w.blob(e, p); err != nil {
				return err
			}
		}
		// Symbolic links, submodules (gitlinks) and unknown modes are skipped.
	}
	return nil
}

func (w *treeWalker) blob(e object.TreeEntry, p string) error {
	if _, ok := w.seenBlobs[e.Hash]; ok {
		return nil
	}
	w.seenBlobs[e.Hash] = struct{}{}
	size, err := blobSize(w.s, e.Hash)
	if err != nil {
		return fmt.Errorf("read blob %s at %s: %w", e.Hash, p, err)
	}
	mode, err := e.Mode.ToOSFileMode()
	if err != nil {
		mode = 0o644
	}
	s, hash, limit := w.s, e.Hash, w.maxSize
	return w.fn(artifact.Entry{
		Path:      p,
		Info:      fileInfo{name: path.Base(p), size: size, mode: mode, mtime: w.commit.when},
		Layer:     "commit:" + w.commit.hash.String(),
		CreatedBy: w.commit.createdBy,
		Open:      func() (artifact.Content, error) { return readBlob(s, hash, size, limit) },
	})
}

// readBlob reads a whole blob into memory, refusing one bigger than limit
// before reading it.
func readBlob(s storer.EncodedObjectStorer, hash plumbing.Hash, size, limit int64) (artifact.Content, error) {
	if size > limit {
		return nil, fmt.Errorf("blob %s is %d bytes, more than the limit of %d", hash, size, limit)
	}
	obj, err := s.EncodedObject(plumbing.BlobObject, hash)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash, err)
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", hash, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("blob %s is more than the limit of %d bytes", hash, limit)
	}
	return content{bytes.NewReader(data)}, nil
}

// content is a blob held in memory.
type content struct{ *bytes.Reader }

func (content) Close() error { return nil }

// fileInfo describes a blob as its tree entry and commit record it.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return fi.mtime }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

// createdBy formats a commit for Entry.CreatedBy:
// "<author date RFC3339> <author name> <subject>", with control characters
// removed and the subject cut to maxSubject runes.
func createdBy(c *object.Commit) string {
	subject, _, _ := strings.Cut(strings.TrimLeft(c.Message, "\r\n"), "\n")
	subject = clean(subject)
	if r := []rune(subject); len(r) > maxSubject {
		subject = string(r[:maxSubject])
	}
	return strings.TrimSpace(c.Author.When.Format(time.RFC3339) + " " + clean(c.Author.Name) + " " + subject)
}

// clean drops control and invalid characters, which have no place in a
// terminal report, and trims spaces.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
