package model

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"text/template"
)

//go:embed starter.yaml.tmpl
var starterText string

var starterTemplate = template.Must(template.New("starter").Funcs(template.FuncMap{"q": strconv.Quote}).Parse(starterText))

// StarterOptions fill in a starter model.
type StarterOptions struct {
	Product  string // slug; default "my-product"
	Name     string // display name; default the product
	Release  string // default "0.1.0"
	Owner    string // default "team-" + product
	Standard string // default "corp-baseline@2026H1"
	Multi    bool   // multi-tenant: tenancy, tenant-scoped data, per-tenant limits
	File     string // the file name the comments refer to; default "model.yaml"
}

// Starter returns a commented starter model that validates as it is.
func Starter(o StarterOptions) ([]byte, error) {
	if o.Product == "" {
		o.Product = "my-product"
	}
	if !idPattern.MatchString(o.Product) {
		return nil, fmt.Errorf("product %q: want a slug of a-z, 0-9, '.', '_' and '-'", o.Product)
	}
	if o.Name == "" {
		o.Name = o.Product
	}
	if o.Release == "" {
		o.Release = "0.1.0"
	}
	if o.Owner == "" {
		o.Owner = "team-" + o.Product
	}
	if o.Standard == "" {
		o.Standard = "corp-baseline@2026H1"
	}
	if !standardPattern.MatchString(o.Standard) {
		return nil, fmt.Errorf("standard %q: want name@version, e.g. corp-baseline@2026H1", o.Standard)
	}
	if o.File == "" {
		o.File = "model.yaml"
	}
	data := struct {
		StarterOptions
		APIVersion string
	}{o, APIVersion}
	var buf bytes.Buffer
	if err := starterTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render starter model: %w", err)
	}
	return buf.Bytes(), nil
}
