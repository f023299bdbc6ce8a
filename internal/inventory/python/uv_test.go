package python

import (
	"context"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

func TestUVLockFiles(t *testing.T) {
	tests := []struct {
		path string
		want []pkg
	}{
		// The virtual project curs-valutar-bnr (line 55) is skipped.
		{"uv/curs-valutar-bnr/uv.lock", []pkg{
			{"certifi", "2025.11.12", 5, false},
			{"charset-normalizer", "3.4.4", 14, false},
			{"diskcache", "5.6.3", 72, false},
			{"idna", "3.11", 81, false},
			{"requests", "2.32.5", 90, false},
			{"urllib3", "2.6.0", 105, false},
			{"xmltodict", "1.0.2", 114, false},
		}},
		// shop and shop-utils are editable, vendored-lib a directory: skipped.
		// django-debug-toolbar and pytest are dev-dependencies of shop, and so
		// are iniconfig and pluggy, which only pytest needs; packaging is
		// needed by gunicorn too, so it is not Dev.
		{"uv/workspace/uv.lock", []pkg{
			{"asgiref", "3.7.2", 11, false},
			{"certifi", "2023.7.22", 19, false},
			{"charset-normalizer", "3.2.0", 24, false},
			{"django", "4.2.10", 29, false},
			{"django-debug-toolbar", "4.2.0", 39, true},
			{"gunicorn", "21.2.0", 48, false},
			{"idna", "3.4", 56, false},
			{"iniconfig", "2.0.0", 61, true},
			{"internal-wheel", "2.0.0", 66, false},
			{"jinja2", "3.1.2", 71, false},
			{"markupsafe", "2.1.3", 79, false},
			{"packaging", "23.1", 84, false},
			{"pluggy", "1.2.0", 89, true},
			{"pysocks", "1.7.1", 94, false},
			{"pytest", "7.4.0", 99, true},
			{"pyyaml", "5.3.1", 109, false},
			{"requests", "2.31.0", 114, false},
			{"sqlparse", "0.4.4", 181, false},
			{"typing-extensions", "4.7.1", 186, false},
			{"tzdata", "2023.3", 191, false},
			{"urllib3", "2.0.4", 196, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			pkgs, err := catalogFile(t, uvCataloger{}, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			assertPackages(t, pkgs, tt.want)
		})
	}
}

func TestUVLockForkedResolution(t *testing.T) {
	const in = `version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "numpy", version = "1.24.4", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.9'" },
]

[package.dev-dependencies]
dev = [
    { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" } },
    { name = "pytest" },
]

[[package]]
name = "numpy"
version = "1.24.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "numpy" },
]
`
	pkgs, err := parseUVLock(context.Background(), "uv.lock", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	assertPackages(t, pkgs, []pkg{
		{"numpy", "1.24.4", 17, false},
		{"numpy", "1.26.4", 22, true},
		{"pytest", "8.0.0", 27, true},
	})
}

func TestUVLockMalformed(t *testing.T) {
	const in = `version = 1

[[package]]
name = "a"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "b"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "c d"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "e"
version = "2.0"
source = "registry"
dependencies = "none"
`
	pkgs, err := (uvCataloger{}).Catalog(context.Background(), walk.BytesFile("uv.lock", []byte(in)))
	assertPackages(t, pkgs, []pkg{{"a", "1.0", 3, false}, {"e", "2.0", 17, false}})
	assertParseError(t, err, "uv.lock", 8, `package b has no valid version (got nothing) (and 1 more problems)`)

	_, err = (uvCataloger{}).Catalog(context.Background(), walk.BytesFile("uv.lock", []byte("[[package]]\nname = \"a\"\nversion = \"1.0\n")))
	assertParseError(t, err, "uv.lock", 3, "invalid TOML")
}

func FuzzUVLock(f *testing.F) {
	addSeeds(f, "uv")
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "uv.lock"
		pkgs, err := (uvCataloger{}).Catalog(context.Background(), walk.BytesFile(path, data))
		checkInvariants(t, path, data, pkgs, err)
	})
}
