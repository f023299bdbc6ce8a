package kubernetes

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/walk"
)

// checker evaluates the objects of one file and gathers their findings and
// the shape errors met on the way.
type checker struct {
	file     *walk.File
	findings []finding.Finding
	errs     []error
	bad      map[*object]bool // objects already reported as malformed
}

// check runs every check on the objects of one file.
func check(f *walk.File, objs []*object) ([]finding.Finding, error) {
	c := &checker{file: f, bad: map[*object]bool{}}
	for _, o := range objs {
		c.object(o)
	}
	return c.findings, errors.Join(c.errs...)
}

func (c *checker) object(o *object) {
	if o.kind == "Service" && o.apiVersion == "v1" {
		c.namespace(o)
		c.service(o)
		return
	}
	p, err := podOf(o)
	if err != nil {
		c.malformed(o, err)
		return
	}
	if p == nil {
		return
	}
	c.namespace(o)
	c.checkPSS(p)
	c.hardening(p)
}

// malformed records that an object does not decode as its kind; the error
// says where. Only the first problem of each object is kept.
func (c *checker) malformed(o *object, err error) {
	if c.bad[o] {
		return
	}
	c.bad[o] = true
	line := o.line
	var se *shapeError
	if errors.As(err, &se) {
		line = se.line
		err = fmt.Errorf("%s: want %s", se.path, se.want)
	}
	c.errs = append(c.errs, fmt.Errorf("%s:%d: %s does not decode: %w", c.file.Path, line, o.ident(), err))
}

// boolean reads a boolean field, recording a malformed object when it is not one.
func (c *checker) boolean(p *pod, n *yaml.Node, path string) (v, ok bool) {
	v, ok, err := boolValue(n, path)
	if err != nil {
		c.malformed(p.obj, err)
	}
	return v, ok
}

func (c *checker) integer(p *pod, n *yaml.Node, path string) (int64, bool) {
	v, ok, err := intValue(n, path)
	if err != nil {
		c.malformed(p.obj, err)
	}
	return v, ok
}

func (c *checker) str(p *pod, n *yaml.Node, path string) (string, bool) {
	v, ok, err := stringValue(n, path)
	if err != nil {
		c.malformed(p.obj, err)
	}
	return v, ok
}

// report adds a finding of rule id about object o at line.
func (c *checker) report(id string, o *object, line int, msg, evidence string) {
	r, ok := catalogue[id]
	if !ok {
		// A programming error, caught by the tests; never panic on input.
		c.errs = append(c.errs, fmt.Errorf("internal error: no rule %s", id))
		return
	}
	r = cloneRule(r)
	c.findings = append(c.findings, finding.Finding{
		Kind:        finding.KindMisconfiguration,
		RuleID:      id,
		Title:       r.Title,
		Description: o.ident() + ": " + msg,
		Severity:    r.Severity,
		Location: finding.Location{
			Path:      c.file.Path,
			Line:      line,
			Layer:     c.file.Layer,
			CreatedBy: c.file.CreatedBy,
			// The object and what about it is wrong: keeps two containers
			// breaking one rule in one file two findings.
			Object: o.ident() + ": " + msg,
		},
		Fix:        &finding.Fix{Remediation: r.Remediation},
		Mappings:   r.Mappings,
		Evidence:   evidence,
		References: r.References,
	})
}
