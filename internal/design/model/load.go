package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits bound what reading a model may cost. A zero field takes its default.
type Limits struct {
	MaxFileSize     int64 // bytes per file (default 16 MiB)
	MaxTotalSize    int64 // bytes over all files (default 64 MiB)
	MaxFiles        int   // files, the root included (default 256)
	MaxIncludeDepth int   // include nesting (default 16)
	MaxNodes        int   // YAML nodes decoded over all files, alias expansions included (default 4,000,000)
	MaxAliasNodes   int   // YAML nodes reached through aliases and merge keys (default 100,000)
	MaxErrors       int   // problems collected before giving up (default 100)
}

// DefaultLimits returns the limits Load uses when none are given.
func DefaultLimits() Limits {
	return Limits{
		MaxFileSize:     16 << 20,
		MaxTotalSize:    64 << 20,
		MaxFiles:        256,
		MaxIncludeDepth: 16,
		MaxNodes:        4_000_000,
		MaxAliasNodes:   100_000,
		MaxErrors:       100,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxIncludeDepth <= 0 {
		l.MaxIncludeDepth = d.MaxIncludeDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	if l.MaxAliasNodes <= 0 {
		l.MaxAliasNodes = d.MaxAliasNodes
	}
	if l.MaxErrors <= 0 {
		l.MaxErrors = d.MaxErrors
	}
	return l
}

// Options configure Load.
type Options struct {
	Limits Limits
	// IncludeRoot is the directory every included file must lie in. The
	// default is the directory of the root model file, so a model cannot
	// pull in files from elsewhere on the machine by accident or design.
	IncludeRoot string
}

// Load reads the model file at path and every file it includes, merges
// them and validates the result. Problems in the model are returned as
// Errors (each with file:line); other failures (a missing file, a
// cancelled context) as ordinary errors.
func Load(ctx context.Context, file string, opts Options) (*Model, error) {
	root := opts.IncludeRoot
	if root == "" {
		root = filepath.Dir(file)
	}
	absRoot, err1 := filepath.Abs(root)
	absFile, err2 := filepath.Abs(file)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("load model %s: %w", file, err)
	}
	rel, err := filepath.Rel(absRoot, absFile)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("model %s is outside the include root %s", file, root)
	}
	l := newLoader(os.DirFS(root), opts.Limits)
	l.display = func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	return l.load(ctx, filepath.ToSlash(rel))
}

// LoadFS is Load over a file system: name and every include are paths in
// fsys, and includes cannot leave it.
func LoadFS(ctx context.Context, fsys fs.FS, name string, limits Limits) (*Model, error) {
	return newLoader(fsys, limits).load(ctx, name)
}

// Decode reads and validates a model held in memory; name is used in
// positions. A model with includes is an error: use Load or LoadFS.
func Decode(name string, data []byte, limits Limits) (*Model, error) {
	l := newLoader(nil, limits)
	l.mem = map[string][]byte{name: data}
	return l.load(context.Background(), name)
}

// loader reads a root model and its includes.
type loader struct {
	fsys    fs.FS
	mem     map[string][]byte // Decode's single in-memory file
	limits  Limits
	display func(string) string
	dec     *decoder
	total   int64
	seen    map[string]bool // files already merged
	broken  bool            // a file could not be read or parsed
	model   *Model
	errs    Errors
}

func newLoader(fsys fs.FS, limits Limits) *loader {
	limits = limits.withDefaults()
	return &loader{
		fsys:    fsys,
		limits:  limits,
		display: func(s string) string { return s },
		dec:     &decoder{limits: limits, cache: make(map[reflect.Type]*structInfo), keyPos: make(map[string]Pos)},
		seen:    make(map[string]bool),
		model:   &Model{},
	}
}

func (l *loader) load(ctx context.Context, name string) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			lim, ok := r.(errLimit)
			if !ok {
				panic(r)
			}
			l.errs = append(append(l.errs, l.dec.errs...), lim.err)
			sortErrors(l.errs)
			m, err = nil, l.errs
		}
	}()
	if err := l.file(ctx, name, nil, nil); err != nil {
		return nil, err
	}
	l.errs = append(l.errs, l.dec.errs...)
	if !l.broken {
		// Validate even after decoding problems, so one run shows them
		// all; a file that could not be read or parsed would only add noise.
		// Where decoding already reported a problem with an element,
		// validation would only repeat it in other words.
		var verrs Errors
		if errors.As(Validate(l.model), &verrs) {
			reported := make(map[Pos]bool, len(l.errs))
			for _, e := range l.errs {
				reported[e.Pos] = true
			}
			for _, e := range verrs {
				if !reported[e.Pos] {
					l.errs = append(l.errs, e)
				}
			}
		}
	}
	if len(l.errs) > 0 {
		sortErrors(l.errs)
		return nil, l.errs
	}
	return l.model, nil
}

// file reads, decodes and merges one file, then its includes. chain is the
// include chain that led here (for cycle messages); from is the include
// entry's node, nil for the root.
func (l *loader) file(ctx context.Context, name string, chain []string, from *yaml.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.model.keyPos = l.dec.keyPos
	disp := l.display(name)
	var fromPos Pos
	if from != nil {
		fromPos = Pos{File: l.display(chain[len(chain)-1]), Line: from.Line, Column: from.Column}
	}
	if slices.Contains(chain, name) {
		cyc := make([]string, 0, len(chain)+1)
		for _, n := range chain {
			cyc = append(cyc, l.display(n))
		}
		cyc = append(cyc, disp)
		l.fail(fromPos, "include cycle: %s", strings.Join(cyc, " -> "))
		return nil
	}
	if l.seen[name] {
		return nil // reached twice without a cycle (a diamond): merged once
	}
	if len(chain) > l.limits.MaxIncludeDepth {
		l.fail(fromPos, "includes nest deeper than %d files", l.limits.MaxIncludeDepth)
		return nil
	}
	if len(l.seen) >= l.limits.MaxFiles {
		l.fail(fromPos, "model has more than %d files", l.limits.MaxFiles)
		return nil
	}
	l.seen[name] = true

	data, err := l.read(name, disp, fromPos)
	if err != nil || data == nil {
		l.broken = true
		return err
	}
	l.dec.file = disp
	doc, ok := l.parse(data, disp)
	if !ok {
		l.broken = true
		return nil
	}
	root := doc.Content[0]
	var fm Model
	l.dec.decode(rootOnly(root, chain == nil), reflect.ValueOf(&fm).Elem(), "")
	fm.Pos = Pos{File: disp, Line: root.Line, Column: root.Column}
	l.checkHeader(root, &fm, disp, chain == nil)
	l.merge(&fm, disp, chain == nil)

	if _, incs := keyNode(root, "includes"); incs != nil && incs.Kind == yaml.SequenceNode {
		if l.mem != nil && len(incs.Content) > 0 {
			l.fail(Pos{File: disp, Line: incs.Line, Column: incs.Column}, "includes cannot be resolved for a model given in memory; load it from a file")
			return nil
		}
		next := append(slices.Clone(chain), name)
		for _, n := range incs.Content {
			if n.Kind != yaml.ScalarNode {
				continue // the decoder reported it
			}
			target, msg := includePath(name, n.Value)
			if msg != "" {
				l.fail(Pos{File: disp, Line: n.Line, Column: n.Column}, "include %q: %s", n.Value, msg)
				continue
			}
			if err := l.file(ctx, target, next, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// includePath resolves an include entry against the including file; msg
// says why it cannot be used.
func includePath(from, inc string) (target, msg string) {
	switch {
	case inc == "":
		return "", "empty path"
	case strings.Contains(inc, `\`):
		return "", `use forward slashes`
	case path.IsAbs(inc) || filepath.IsAbs(inc) || filepath.VolumeName(inc) != "":
		return "", "must be a path relative to the including file"
	}
	target = path.Join(path.Dir(from), inc)
	if !fs.ValidPath(target) {
		return "", "leaves the include root (Options.IncludeRoot, --include-root)"
	}
	return target, ""
}

// fail records a model problem.
func (l *loader) fail(p Pos, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// read returns a file's bytes within the size limits; nil data with a nil
// error means a model problem was recorded.
func (l *loader) read(name, disp string, fromPos Pos) ([]byte, error) {
	at := Pos{File: disp}
	if l.mem != nil {
		b, ok := l.mem[name]
		if !ok {
			l.fail(fromPos, "cannot read %s: not found", disp)
			return nil, nil
		}
		if int64(len(b)) > l.limits.MaxFileSize {
			l.fail(at, "file is %s, larger than the %s limit", byteSize(int64(len(b))), byteSize(l.limits.MaxFileSize))
			return nil, nil
		}
		l.total += int64(len(b))
		return b, nil
	}
	f, err := l.fsys.Open(name)
	if err != nil {
		if fromPos.Line > 0 {
			l.fail(fromPos, "include %s: %v", disp, unwrapPath(err))
			return nil, nil
		}
		return nil, fmt.Errorf("open model %s: %w", disp, unwrapPath(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			l.fail(fromPosOr(fromPos, at), "%s is a directory, not a model file", disp)
			return nil, nil
		}
		if st.Size() > l.limits.MaxFileSize {
			l.fail(at, "file is %s, larger than the %s limit", byteSize(st.Size()), byteSize(l.limits.MaxFileSize))
			return nil, nil
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, l.limits.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", disp, err)
	}
	if int64(len(b)) > l.limits.MaxFileSize {
		l.fail(at, "file is larger than the %s limit", byteSize(l.limits.MaxFileSize))
		return nil, nil
	}
	l.total += int64(len(b))
	if l.total > l.limits.MaxTotalSize {
		l.fail(at, "model files add up to more than the %s limit", byteSize(l.limits.MaxTotalSize))
		return nil, nil
	}
	return b, nil
}

func fromPosOr(p, q Pos) Pos {
	if p.File != "" {
		return p
	}
	return q
}

// unwrapPath drops the *fs.PathError wrapper, whose path is the fs-relative
// name rather than what the user wrote.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parse turns bytes into one YAML document node, or records why not.
func (l *loader) parse(data []byte, disp string) (doc *yaml.Node, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			// yaml.v3 has panicked on malformed input before; never let it
			// take the process down.
			l.fail(Pos{File: disp}, "YAML parser failed: %v", r)
			doc, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			l.fail(Pos{File: disp}, "empty model file")
			return nil, false
		}
		p := Pos{File: disp}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		l.fail(p, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p := Pos{File: disp, Line: extra.Line}
		l.fail(p, "more than one YAML document in the file; put each part in its own file and list it under includes")
		return nil, false
	}
	if len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		l.fail(Pos{File: disp, Line: n.Line}, "a model file is a mapping with apiVersion and kind at the top")
		return nil, false
	}
	return &n, true
}

// keyNode returns the key and value nodes of key in a mapping, or nils.
func keyNode(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// checkHeader checks apiVersion and kind, and that sections reserved to
// the root file are only there.
func (l *loader) checkHeader(root *yaml.Node, fm *Model, disp string, isRoot bool) {
	at := func(key string) Pos {
		if k, _ := keyNode(root, key); k != nil {
			return Pos{File: disp, Line: k.Line, Column: k.Column}
		}
		return Pos{File: disp, Line: root.Line, Column: root.Column}
	}
	if fm.APIVersion != "" && fm.APIVersion != APIVersion {
		l.fail(at("apiVersion"), "apiVersion %q is not supported (want %s)", fm.APIVersion, APIVersion)
	}
	switch {
	case fm.Kind == "":
	case isRoot && fm.Kind != KindModel:
		l.fail(at("kind"), "the root model file must have kind %s, not %s", KindModel, fm.Kind)
	case !isRoot && fm.Kind != KindPart:
		l.fail(at("kind"), "an included file must have kind %s, not %s", KindPart, fm.Kind)
	}
	if isRoot {
		if k, _ := keyNode(root, "metadata"); k == nil {
			l.fail(at("kind"), "missing required key \"metadata\"")
		}
		return
	}
	for _, key := range []string{"metadata", "tenancy"} {
		if k, _ := keyNode(root, key); k != nil {
			l.fail(at(key), "%s belongs in the root model file only", key)
		}
	}
}

// merge adds one file's elements to the model.
func (l *loader) merge(fm *Model, disp string, isRoot bool) {
	m := l.model
	if isRoot {
		m.APIVersion, m.Kind, m.Includes = fm.APIVersion, fm.Kind, fm.Includes
		m.Metadata, m.Tenancy, m.Pos = fm.Metadata, fm.Tenancy, fm.Pos
	}
	m.Files = append(m.Files, disp)
	m.Data = append(m.Data, fm.Data...)
	m.Zones = append(m.Zones, fm.Zones...)
	m.Runtimes = append(m.Runtimes, fm.Runtimes...)
	m.Components = append(m.Components, fm.Components...)
	m.Interfaces = append(m.Interfaces, fm.Interfaces...)
	m.Exceptions = append(m.Exceptions, fm.Exceptions...)
}

// rootOnly returns the document mapping of an included file without the
// sections reserved to the root file (checkHeader reports them), so they
// are not decoded twice over; the root file's mapping is returned as is.
func rootOnly(root *yaml.Node, isRoot bool) *yaml.Node {
	if isRoot {
		return root
	}
	c := *root
	c.Content = nil
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "metadata", "tenancy":
			continue
		}
		c.Content = append(c.Content, root.Content[i], root.Content[i+1])
	}
	return &c
}
