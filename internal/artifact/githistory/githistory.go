// Package githistory is the artifact for the whole history of a git
// repository: every file of every commit reachable from any ref, read from the
// object store directly (go-git), without the git binary.
//
// A blob is handed to the walk once, however many commits and paths carry it:
// at the first commit, in oldest-first topological order, whose tree holds it.
// The commit is reported through the image-provenance fields of
// artifact.Entry (and so of finding.Location): Layer is "commit:<full sha>"
// and CreatedBy is "<author date RFC3339> <author name> <subject>", so
// reports show commit, date and author without a schema change.
package githistory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/finding"
)

// Default limits, used where Options leaves a field zero.
const (
	DefaultMaxCommits  = 100_000
	DefaultMaxFileSize = 10 << 20
	// maxTreeDepth bounds directory nesting inside one commit's tree.
	maxTreeDepth = 256
)

// ErrTooManyCommits is returned by Walk when the repository has more
// reachable commits than Options.MaxCommits allows.
var ErrTooManyCommits = errors.New("too many commits")

// Options set the limits of a history walk.
type Options struct {
	// MaxCommits is the most commits Walk will visit; more is an error
	// (ErrTooManyCommits) rather than a silently partial scan. 0 means
	// DefaultMaxCommits.
	MaxCommits int
	// MaxFileSize is the largest blob Entry.Open will read; bigger blobs are
	// refused without being read. 0 means DefaultMaxFileSize.
	MaxFileSize int64
}

// History is every commit of a git repository seen as one artifact.
type History struct {
	repo *git.Repository
	name string
	head string
	opts Options
}

// Open opens the git repository at repoPath, which may be a working tree
// (with a .git directory or file) or a bare repository.
func Open(ctx context.Context, repoPath string, opts Options) (*History, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.MaxCommits <= 0 {
		opts.MaxCommits = DefaultMaxCommits
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if err := checkRepo(repoPath); err != nil {
		return nil, err
	}
	repo, err := git.PlainOpenWithOptions(repoPath, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("open git repository %s: not a git repository", repoPath)
		}
		return nil, fmt.Errorf("open git repository %s: %w", repoPath, err)
	}
	h := &History{repo: repo, name: filepath.ToSlash(filepath.Clean(repoPath)), opts: opts}
	ref, err := repo.Head()
	switch {
	case err == nil:
		h.head = ref.Hash().String()
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		// An empty repository, or HEAD on an unborn branch: no digest.
	default:
		return nil, fmt.Errorf("open git repository %s: read HEAD: %w", repoPath, err)
	}
	return h, nil
}

// checkRepo tells a git repository from any other directory before go-git
// would treat a plain directory as a (broken) bare repository.
func checkRepo(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("open git repository: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("open git repository %s: not a directory", p)
	}
	if _, err := os.Stat(filepath.Join(p, ".git")); err == nil {
		return nil
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(p, name)); err != nil {
			return fmt.Errorf("open git repository %s: not a git repository (no .git, and not a bare repository)", p)
		}
	}
	return nil
}

// Target describes the repository: its path, and the commit HEAD points at
// (empty for a repository without commits).
func (h *History) Target() finding.Target {
	return finding.Target{Kind: "git", Name: h.name, Digest: h.head}
}

// blobSize returns the size of a blob without reading its content where the
// storage can (the on-disk storage reads only the object header).
func blobSize(s storer.EncodedObjectStorer, hash plumbing.Hash) (int64, error) {
	if sz, ok := s.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		return sz.EncodedObjectSize(hash)
	}
	obj, err := s.EncodedObject(plumbing.BlobObject, hash)
	if err != nil {
		return 0, err
	}
	return obj.Size(), nil
}

var _ artifact.Artifact = (*History)(nil)

// maxOpenPacks is how many packfiles a walk keeps open at once.
const maxOpenPacks = 64

// objects returns the object store a walk reads from, and a function that
// releases it. On disk it is a second view of the repository that keeps
// packfiles open between reads (the default reopens the packfile for every
// object), and leaves blobs bigger than MaxFileSize unread.
func (h *History) objects() (storer.EncodedObjectStorer, func()) {
	fsStore, ok := h.repo.Storer.(*filesystem.Storage)
	if !ok {
		return h.repo.Storer, func() {}
	}
	s := filesystem.NewStorageWithOptions(fsStore.Filesystem(), cache.NewObjectLRUDefault(), filesystem.Options{
		MaxOpenDescriptors:   maxOpenPacks,
		LargeObjectThreshold: h.opts.MaxFileSize,
	})
	return s, func() { s.Close() }
}
