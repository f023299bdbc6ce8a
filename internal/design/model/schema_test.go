package model

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files and the published schema")

const publishedSchema = "../../../schemas/architecture-model-v1alpha1.json"

// TestSchemaPublished keeps the committed schema equal to the generated one.
func TestSchemaPublished(t *testing.T) {
	got := Schema()
	if !bytes.Equal(got, Schema()) {
		t.Fatal("Schema is not deterministic")
	}
	if *update {
		if err := os.WriteFile(publishedSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(publishedSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date; run go test ./internal/design/model -run TestSchemaPublished -update", publishedSchema)
	}
}

func compileModelSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlToJSONValue reads YAML the way an editor's language server does
// (aliases and merge keys resolved) and turns dates back into strings.
func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var fix func(any) any
	fix = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = fix(e)
			}
		case []any:
			for i, e := range x {
				x[i] = fix(e)
			}
		case time.Time:
			return x.Format(time.DateOnly)
		case int:
			return float64(x)
		}
		return v
	}
	return fix(v)
}

// TestSchemaAgreesWithDecoder checks that files the decoder accepts pass
// the schema and that what the decoder rejects for shape reasons (unknown
// key, unknown enum value, wrong type, missing required key) the schema
// rejects too.
func TestSchemaAgreesWithDecoder(t *testing.T) {
	sch := compileModelSchema(t)
	files, err := filepath.Glob("../../../examples/design/*/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	var valid [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("apiVersion: "+APIVersion)) {
			continue // a Threagile source model
		}
		valid = append(valid, b)
	}
	if len(valid) < 4 {
		t.Fatalf("only %d example model files", len(valid))
	}
	for _, multi := range []bool{false, true} {
		b, err := Starter(StarterOptions{Multi: multi})
		if err != nil {
			t.Fatal(err)
		}
		valid = append(valid, b)
	}
	for i, b := range valid {
		if err := sch.Validate(yamlToJSONValue(t, b)); err != nil {
			t.Errorf("valid file %d fails the schema: %v", i, err)
		}
	}

	starter, _ := Starter(StarterOptions{})
	bad := map[string]string{
		"unknown key":      strings.Replace(string(starter), "    humanUser: true", "    humanUser: true\n    colour: red", 1),
		"unknown enum":     strings.Replace(string(starter), "protocol: grpc", "protocol: grcp", 1),
		"wrong type":       strings.Replace(string(starter), "port: 443", "port: https", 1),
		"missing required": strings.Replace(string(starter), "    zone: data\n", "", 1),
		"out of range":     strings.Replace(string(starter), "port: 443", "port: 70000", 1),
		"bad id":           strings.Replace(string(starter), "id: api\n", "id: Bad Id\n", 1),
		"no metadata":      string(starter[:bytes.Index(starter, []byte("metadata:"))]),
	}
	for name, text := range bad {
		if _, err := Decode("m.yaml", []byte(text), Limits{}); err == nil {
			t.Errorf("%s: the decoder accepts it", name)
		}
		if err := sch.Validate(yamlToJSONValue(t, []byte(text))); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}
