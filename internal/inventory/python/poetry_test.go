package python

import (
	"context"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

func TestPoetryLockFiles(t *testing.T) {
	tests := []struct {
		path string
		want []pkg
	}{
		// Poetry 1.1 (lock-version 1.1): category "main".
		{"poetry/tree-menu/poetry.lock", []pkg{
			{"asgiref", "3.6.0", 1, false},
			{"django", "4.1.7", 12, false},
			{"django-jazzmin", "2.6.0", 29, false},
			{"psycopg2-binary", "2.9.5", 40, false},
			{"python-decouple", "3.7", 48, false},
			{"python-dotenv", "1.0.0", 56, false},
			{"sqlparse", "0.4.3", 67, false},
			{"tzdata", "2022.7", 75, false},
		}},
		// Poetry 1.3 or 1.4 (lock-version 2.0): category "main" and "dev".
		{"poetry/python-project-49/poetry.lock", []pkg{
			{"black", "22.12.0", 3, true},
			{"click", "8.1.3", 39, true},
			{"colorama", "0.4.6", 54, true},
			{"flake8", "6.0.0", 66, false},
			{"mccabe", "0.7.0", 83, false},
			{"mypy-extensions", "0.4.3", 95, true},
			{"pathspec", "0.10.3", 107, true},
			{"platformdirs", "2.6.2", 119, true},
			{"prompt", "0.4.1", 135, false},
			{"pycodestyle", "2.10.0", 147, false},
			{"pyflakes", "3.0.1", 159, false},
			{"tomli", "2.0.1", 171, true},
			{"typing-extensions", "4.4.0", 183, true},
		}},
		// Poetry 2.1 (lock-version 2.1): groups; the directory source
		// shop-utils (line 63) is the project's own code.
		{"poetry/groups/poetry.lock", []pkg{
			{"asgiref", "3.6.0", 3, false},
			{"black", "23.1.0", 15, true},
			{"certifi", "2022.12.7", 27, false},
			{"click", "8.1.3", 36, true},
			{"django", "4.2.0", 46, false},
			{"pytest", "7.2.0", 80, true},
			{"pyyaml", "5.3.1", 89, false},
			{"requests", "2.28.2", 99, false},
			{"sqlparse", "0.4.3", 112, false},
			{"urllib3", "1.26.14", 121, false},
			{"werkzeug", "2.2.2", 130, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			pkgs, err := catalogFile(t, poetryCataloger{}, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			assertPackages(t, pkgs, tt.want)
			for _, p := range pkgs {
				if p.Catalogers[0] != "poetry-lock" || p.Locations[0].Path != tt.path {
					t.Errorf("%s: catalogers %v, locations %v", p.Name, p.Catalogers, p.Locations)
				}
			}
		})
	}
}

func TestPoetryLockMalformed(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []pkg
		errLine int
		errText string
	}{
		{
			name: "bad entries are reported, the rest kept",
			in: `[[package]]
name = "a"
version = "1.0"

[[package]]
name = "b"
version = 2

[[package]]
version = "3.0"

[[package]]
name = "c"
version = "3.0"
`,
			want:    []pkg{{"a", "1.0", 1, false}, {"c", "3.0", 12, false}},
			errLine: 5,
			errText: "package b has no valid version (got a int64) (and 1 more problems)",
		},
		{
			name:    "syntax error",
			in:      "[[package]]\nname = \"a\"\nversion = \"1.0\"\n\n[[package]]\nname = = \"b\"\n",
			errLine: 6,
			errText: "invalid TOML",
		},
		{
			name:    "package is not an array of tables",
			in:      "package = \"a\"\n",
			errLine: 0,
			errText: "invalid TOML",
		},
		{
			name: "inline tables: lines unknown",
			in:   "package = [{ name = \"a\", version = \"1.0\" }]\n",
			want: []pkg{{"a", "1.0", 0, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := (poetryCataloger{}).Catalog(context.Background(), walk.BytesFile("poetry.lock", []byte(tt.in)))
			assertPackages(t, pkgs, tt.want)
			if tt.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertParseError(t, err, "poetry.lock", tt.errLine, tt.errText)
		})
	}
}

func FuzzPoetryLock(f *testing.F) {
	addSeeds(f, "poetry")
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "poetry.lock"
		pkgs, err := (poetryCataloger{}).Catalog(context.Background(), walk.BytesFile(path, data))
		checkInvariants(t, path, data, pkgs, err)
	})
}
