package standard

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/redline-sec/redline/internal/design/threat"
)

// MaxChecklistItems bounds the checklist section of a standard.
const MaxChecklistItems = 500

// TitleStandard in a checklist item's title is replaced by the reviewed
// standard's name@version when the review's checklist is generated.
const TitleStandard = "{standard}"

// ChecklistItem is one generic requirement of a standard's review
// checklist: asked in every review whose model makes its condition true,
// besides one item per rule of the standard that applies to the model.
type ChecklistItem struct {
	// ID names the item in the review (GEN-DFD); upper-case words joined
	// by dashes, distinct from every rule id.
	ID string `json:"id"`
	// Title is the requirement, in words. TitleStandard in it stands for
	// the reviewed standard's name@version.
	Title string `json:"title"`
	// When is a CEL condition over the model (threat.Condition); empty
	// means the item is asked in every review.
	When string `json:"when,omitempty"`

	cond *threat.Condition
}

// Applies reports whether the item is asked for the model of the scope.
// An item without a condition always applies. A condition that cannot be
// evaluated returns true with the error: the item is asked, and the caller
// reports why.
func (it *ChecklistItem) Applies(sc *threat.Scope) (bool, error) {
	if it.cond == nil {
		return true, nil
	}
	ok, err := it.cond.Eval(sc)
	if err != nil {
		return true, fmt.Errorf("checklist item %s: %w", it.ID, err)
	}
	return ok, nil
}

// fileChecklistItem is the YAML layout of one checklist item:
//
//	checklist:
//	  - id: CORP-PENTEST
//	    title: A penetration test covers the internet-facing components
//	    when: components.exists(c, c.reachableFromInternet && !c.outOfScope)
type fileChecklistItem struct {
	ID    string    `yaml:"id"`
	Title string    `yaml:"title"`
	When  yaml.Node `yaml:"when"`
	line  int
}

// UnmarshalYAML keeps the line of each checklist item and refuses unknown
// keys.
func (c *fileChecklistItem) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys[fileChecklistItem](n); err != nil {
		return err
	}
	type plain fileChecklistItem
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = fileChecklistItem(p)
	c.line = n.Line
	return nil
}

// knownKeys reports the keys of a mapping node that are not yaml fields
// of T, as yaml.v3 reports unknown fields: Node.Decode, which UnmarshalYAML
// methods use, does not check them even when the decoder does.
func knownKeys[T any](n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	t := reflect.TypeFor[T]()
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		known := false
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" && name == k.Value {
				known = true
				break
			}
		}
		if !known {
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t))
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// checklist checks and compiles a checklist section; taken are the rule
// ids an item may not reuse.
func (b *builder) checklist(items []fileChecklistItem, taken map[string]bool) []ChecklistItem {
	if len(items) > MaxChecklistItems {
		b.errorf(0, "checklist: %d items; at most %d", len(items), MaxChecklistItems)
		return nil
	}
	env, err := threat.NewConditionEnv()
	if err != nil {
		b.errorf(0, "checklist: %v", err)
		return nil
	}
	out := make([]ChecklistItem, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i := range items {
		c := &items[i]
		bad := func(format string, args ...any) {
			b.errorf(c.line, "checklist[%d] %s: %s", i, c.ID, fmt.Sprintf(format, args...))
		}
		switch {
		case !ruleIDRE.MatchString(c.ID) || len(c.ID) > maxRuleIDLength:
			bad("id %q: want upper-case words joined by dashes, such as CORP-PENTEST", c.ID)
			continue
		case seen[c.ID]:
			bad("duplicate id")
			continue
		case taken[c.ID]:
			bad("id is a rule of this standard or a built-in rule; checklist items need their own ids")
			continue
		case c.Title == "" || len(c.Title) > maxTextLen:
			bad("title is required and at most %d bytes", maxTextLen)
			continue
		}
		seen[c.ID] = true
		it := ChecklistItem{ID: c.ID, Title: c.Title}
		if c.When.Kind != 0 {
			if c.When.Kind != yaml.ScalarNode || c.When.Tag == "!!null" || c.When.Value == "" {
				bad("when: want a CEL expression")
				continue
			}
			it.When = c.When.Value
			cond, err := env.Compile(c.ID, it.When)
			if err != nil {
				// A block scalar (| or >) starts on the line after its indicator.
				first := c.When.Line
				if c.When.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					first++
				}
				var ce *threat.CELError
				if errors.As(err, &ce) {
					for _, p := range ce.Problems {
						b.errorf(first+p.Line-1, "checklist[%d] %s: when: CEL: %s (expression line %d, column %d)", i, c.ID, p.Message, p.Line, p.Column)
					}
					continue
				}
				b.errorf(c.When.Line, "checklist[%d] %s: when: %v", i, c.ID, err)
				continue
			}
			it.cond = cond
		}
		out = append(out, it)
	}
	return out
}

// defaultChecklistFile is Redline's default checklist, in the format of a
// standard's checklist section.
//
//go:embed default-checklist.yaml
var defaultChecklistFile []byte

// defaultChecklist parses the default checklist once; the items it returns
// are never changed.
var defaultChecklist = sync.OnceValues(func() ([]ChecklistItem, error) {
	return parseChecklist("default-checklist.yaml", defaultChecklistFile, nil)
})

// DefaultChecklist returns the checklist of every standard that declares
// none, in order. The slice is the caller's; the items share compiled
// conditions, which are safe for concurrent use.
func DefaultChecklist() ([]ChecklistItem, error) {
	items, err := defaultChecklist()
	if err != nil {
		return nil, fmt.Errorf("default checklist: %w", err)
	}
	return append([]ChecklistItem(nil), items...), nil
}

// parseChecklist reads a file holding only a checklist section.
func parseChecklist(name string, data []byte, taken map[string]bool) ([]ChecklistItem, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f struct {
		Checklist []fileChecklistItem `yaml:"checklist"`
	}
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(name, err)
	}
	if len(f.Checklist) == 0 {
		return nil, fmt.Errorf("%s: no checklist items", name)
	}
	b := &builder{name: name}
	items := b.checklist(f.Checklist, taken)
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return items, nil
}
