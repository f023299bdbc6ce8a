package python

import (
	"context"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

func TestPipfileLockFiles(t *testing.T) {
	tests := []struct {
		path string
		want []pkg
	}{
		{"pipfile/django-heroku-template/Pipfile.lock", []pkg{
			{"dj-database-url", "0.5.0", 18, false},
			{"django", "2.2.18", 25, false},
			{"django-heroku", "0.3.1", 32, false},
			{"gunicorn", "19.9.0", 39, false},
			{"psycopg2", "2.8.6", 46, false},
			{"psycopg2-binary", "2.8.3", 66, false},
			{"pytz", "2021.1", 99, false},
			{"sqlparse", "0.4.1", 106, false},
			{"whitenoise", "5.2.0", 113, false},
			{"coverage", "4.5.4", 122, true},
			{"faker", "0.9.1", 159, true},
			{"mixer", "6.1.3", 166, true},
			{"pygments", "2.8.1", 173, true},
			{"python-dateutil", "2.8.1", 180, true},
			{"redgreenunittest", "0.1.1", 187, true},
			{"six", "1.15.0", 193, true},
			{"text-unidecode", "1.2", 200, true},
		}},
		// flask (git), my-app (editable path) and tox ("*") pin nothing.
		// requests is in both sections: two reports that Merge folds into
		// one package that is not Dev.
		{"pipfile/edge/Pipfile.lock", []pkg{
			{"django", "3.2.12", 19, false},
			{"pillow", "8.1.0", 33, false},
			{"requests", "2.25.1", 37, false},
			{"ruamel-yaml", "0.16.12", 44, false},
			{"urllib3", "1.26.4", 48, false},
			{"pytest", "6.2.2", 54, true},
			{"requests", "2.25.1", 58, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			pkgs, err := catalogFile(t, pipfileCataloger{}, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			assertPackages(t, pkgs, tt.want)
		})
	}
}

func TestPipfileLockPURL(t *testing.T) {
	pkgs, err := catalogFile(t, pipfileCataloger{}, "pipfile/edge/Pipfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pkgs {
		got[p.Name] = p.PURL
	}
	if got["ruamel-yaml"] != "pkg:pypi/ruamel.yaml@0.16.12" || got["pillow"] != "pkg:pypi/pillow@8.1.0" {
		t.Errorf("purls = %v", got)
	}
}

func TestPipfileLockMalformed(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []pkg
		errLine int
		errText string
	}{
		{
			name: "bad entries are reported, the rest kept",
			in: `{
  "default": {
    "a": {"version": "==1.0"},
    "b": "==1.0",
    "c": {"version": 1},
    "bad name": {"version": "==1.0"},
    "d": {"version": "==1.0 beta"}
  },
  "develop": null,
  "other": [1, 2, {"x": [3]}],
  "develop": {
    "e": {"version": "==2.0", "markers": {"nested": [1, 2]}}
  }
}`,
			want:    []pkg{{"a", "1.0", 3, false}, {"e", "2.0", 12, true}},
			errLine: 4,
			errText: "entry is not an object (and 3 more problems)",
		},
		{
			name:    "truncated",
			in:      "{\n \"default\": {\n  \"a\": {\"version\": \"==1.0\"},\n  \"b\": {\"vers",
			want:    []pkg{{"a", "1.0", 3, false}},
			errLine: 4,
			errText: "invalid JSON: unexpected EOF",
		},
		{
			name:    "not an object",
			in:      "[]",
			errLine: 1,
			errText: "invalid JSON",
		},
		{
			name:    "section is an array",
			in:      "{\n\"default\": [\n]}",
			errLine: 2,
			errText: `section "default" is not an object`,
		},
		{
			name:    "trailing garbage inside the document",
			in:      "{\"default\": {\"a\": {\"version\": \"==1.0\"}} x}",
			want:    []pkg{{"a", "1.0", 1, false}},
			errLine: 1,
			errText: "invalid JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := (pipfileCataloger{}).Catalog(context.Background(), walk.BytesFile("Pipfile.lock", []byte(tt.in)))
			assertPackages(t, pkgs, tt.want)
			assertParseError(t, err, "Pipfile.lock", tt.errLine, tt.errText)
		})
	}
}

func FuzzPipfileLock(f *testing.F) {
	addSeeds(f, "pipfile")
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "Pipfile.lock"
		pkgs, err := (pipfileCataloger{}).Catalog(context.Background(), walk.BytesFile(path, data))
		checkInvariants(t, path, data, pkgs, err)
	})
}
