package python

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/walk"
)

func TestRequirementsFiles(t *testing.T) {
	tests := []struct {
		path string
		want []pkg
	}{
		{"pip/flask/requirements/tests-pallets-min.txt", []pkg{
			{"click", "8.0.0", 7, false},
			{"itsdangerous", "2.0.0", 9, false},
			{"jinja2", "3.0.3", 11, false},
			{"markupsafe", "2.0.0", 13, false},
			{"werkzeug", "2.0.0", 17, false},
		}},
		{"pip/bedrock/requirements/migration.txt", []pkg{
			{"cl-ext-lang", "0.1.0", 1, false},
			{"compare-locales", "7.6.0", 4, false},
			{"fluent-migrate", "0.8.1", 7, false},
			{"parsimonious", "0.8.1", 10, false},
			{"pytoml", "0.1.21", 12, false},
		}},
		{"pip/bedrock/requirements/base.txt", []pkg{
			{"django", "1.11.20", 1, false},
			{"markupsafe", "1.0", 4, false},
			{"lxml", "2.3.3", 6, false},
			{"jinja2", "2.10", 8, false},
			{"icalendar", "3.8.3", 11, false},
			{"django-statsd-mozilla", "0.4.0", 13, false},
			{"statsd", "3.1", 16, false},
			{"pyyaml", "3.11", 19, false},
			{"futures", "2.2.0", 22, false},
			{"ipaddr", "2.1.11", 25, false},
			{"pytz", "2018.9", 27, false},
			{"chardet", "1.0.1", 30, false},
			{"python-memcached", "1.48", 32, false},
			{"beautifulsoup4", "4.3.2", 34, false},
			{"certifi", "0.0.8", 36, false},
			{"django-recaptcha", "1.0.3", 38, false},
			{"django-picklefield", "1.0.0", 40, false},
			{"python-dateutil", "2.4.2", 43, false},
			{"six", "1.11.0", 46, false},
			{"cef", "0.5", 49, false},
			{"django-session-csrf", "0.5", 51, false},
			{"whitenoise", "3.3.0", 53, false},
			{"django-localflavor", "1.1", 56, false},
			{"django-filter", "0.11.0", 59, false},
			// lines 62-66 and 74-88 are archive URLs with #egg=: skipped
			{"django-extensions", "2.1.6", 68, false},
			{"typing", "3.6.6", 71, false},
			{"dj-database-url", "0.3.0", 89, false},
			{"basket-client", "0.3.12", 92, false},
			{"django-cors-headers", "1.1.0", 95, false},
			{"puente", "0.4.1", 97, false},
			{"babel", "2.3.4", 100, false},
			{"django-jinja", "2.4.1", 103, false},
			{"django-jinja-markdown", "1.0", 106, false},
			{"markdown", "2.6.6", 109, false},
			{"requests", "2.11.0", 112, false},
		}},
		{"pip/edge/requirements-dev.txt", []pkg{
			{"django", "3.2.4", 8, false},
			{"requests", "2.25.1", 9, false},
			{"pyyaml", "5.3.1", 10, false},
			{"urllib3", "1.26.4", 11, false},
			{"pillow", "8.1.0", 13, false},
			{"zope-interface", "5.2.0", 14, false},
			{"flask-cors", "3.0.9", 15, false},
			{"cryptography", "3.3.1", 20, false},
			{"sqlparse", "0.4.1", 26, false},
			{"pyjwt", "1.7.1", 27, false},
			{"lxml", "4.6.2", 29, false},
			{"paramiko", "2.7.1", 34, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			pkgs, err := catalogFile(t, requirementsCataloger{}, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			assertPackages(t, pkgs, tt.want)
		})
	}
}

func TestRequirementsPURLAndCataloger(t *testing.T) {
	pkgs, err := catalogFile(t, requirementsCataloger{}, "pip/edge/requirements-dev.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pkgs {
		got[p.Name] = p.PURL
		if len(p.Catalogers) != 1 || p.Catalogers[0] != "requirements" {
			t.Errorf("%s: catalogers %v", p.Name, p.Catalogers)
		}
	}
	for name, want := range map[string]string{
		"zope-interface": "pkg:pypi/zope.interface@5.2.0",
		"flask-cors":     "pkg:pypi/flask-cors@3.0.9",
		"pyyaml":         "pkg:pypi/pyyaml@5.3.1",
	} {
		if got[name] != want {
			t.Errorf("%s: purl %q, want %q", name, got[name], want)
		}
	}
}

func TestRequirementsMalformed(t *testing.T) {
	pkgs, err := catalogFile(t, requirementsCataloger{}, "pip/malformed/requirements.txt")
	assertPackages(t, pkgs, []pkg{
		{"flask", "1.0.2", 1, false},
		{"requests", "2.19.1", 3, false},
		{"urllib3", "1.23", 6, false},
	})
	assertParseError(t, err, "pip/malformed/requirements.txt", 2, `unclosed extras in "foo[bar==1.0" (and 2 more problems)`)
}

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in      string
		name    string
		version string
		pinned  bool
		err     string
	}{
		{in: "foo==1.0", name: "foo", version: "1.0", pinned: true},
		{in: "foo === 1.0-weird", name: "foo", version: "1.0-weird", pinned: true},
		{in: "foo[a,b] == 1.0", name: "foo", version: "1.0", pinned: true},
		{in: "foo (==1.0)", name: "foo", version: "1.0", pinned: true},
		{in: "foo==1.0,!=1.1", name: "foo", version: "1.0", pinned: true},
		{in: "foo==1.0,==1.0", name: "foo", version: "1.0", pinned: true},
		{in: "foo==1.0 ; python_version < '3.8'", name: "foo", version: "1.0", pinned: true},
		{in: "foo==1!2.0.post1+local.7", name: "foo", version: "1!2.0.post1+local.7", pinned: true},
		{in: "foo==1.0,==2.0", name: "foo"},
		{in: "foo==1.*", name: "foo"},
		{in: "foo>=1.0", name: "foo"},
		{in: "foo~=1.0", name: "foo"},
		{in: "foo", name: "foo"},
		{in: "foo[bar]", name: "foo"},
		{in: "foo @ https://example.invalid/foo-1.0.tar.gz"},
		{in: "git+https://example.invalid/foo.git#egg=foo"},
		{in: "./foo"},
		{in: "foo-1.0-py3-none-any.whl"},
		{in: "foo==${VERSION}"},
		{in: "foo[bar==1.0", err: "unclosed extras"},
		{in: "foo (==1.0", err: "unclosed parenthesis"},
		{in: "==1.0", err: "no package name"},
		{in: "-foo==1.0", err: "invalid package name"},
		{in: "foo-==1.0", err: "invalid package name"},
		{in: "foo bar==1.0", err: "invalid version specifier"},
		{in: "foo==", err: "invalid version"},
		{in: "foo==1.0,", err: "invalid version specifier"},
		{in: "foo==1.0 beta", err: "invalid version"},
		{in: "foo==1.0=2", err: "invalid version"},
	}
	for _, tt := range tests {
		name, version, pinned, err := parseRequirement(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || name != tt.name || version != tt.version || pinned != tt.pinned {
			t.Errorf("%q = %q, %q, %v, %v; want %q, %q, %v", tt.in, name, version, pinned, err, tt.name, tt.version, tt.pinned)
		}
	}
}

func TestRequirementsContinuation(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []pkg
	}{
		{"crlf and BOM", "\ufefffoo==1.0\r\nbar==2.0\r\n", []pkg{{"foo", "1.0", 1, false}, {"bar", "2.0", 2, false}}},
		{"backslash at end of file", "foo==1.0 \\", []pkg{{"foo", "1.0", 1, false}}},
		{"comment does not continue", "# note \\\nfoo==1.0\n", []pkg{{"foo", "1.0", 2, false}}},
		{"joined over three lines", "foo\\\n==\\\n1.0\nbar==2\n", []pkg{{"foo", "1.0", 1, false}, {"bar", "2", 4, false}}},
		{"no final newline", "foo==1.0", []pkg{{"foo", "1.0", 1, false}}},
		{"lone backslash", "\\\nfoo==1.0\n", []pkg{{"foo", "1.0", 1, false}}},
	}
	for _, tt := range tests {
		pkgs, err := parseRequirements(context.Background(), "requirements.txt", strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		assertPackages(t, pkgs, tt.want)
	}
}

func TestRequirementsLimits(t *testing.T) {
	long := "foo==" + strings.Repeat("1", maxLineBytes) + "\n"
	pkgs, err := parseRequirements(context.Background(), "requirements.txt", strings.NewReader("a==1\n"+long+"b==2\n"))
	assertPackages(t, pkgs, []pkg{{"a", "1", 1, false}})
	assertParseError(t, err, "requirements.txt", 2, "longer than")

	half := strings.Repeat("1", maxLineBytes/2)
	in := "a==1\nfoo==" + half + "\\\n" + half + "\\\n" + half + "\n--hash=x\nb==2\n"
	pkgs, err = parseRequirements(context.Background(), "requirements.txt", strings.NewReader(in))
	assertPackages(t, pkgs, []pkg{{"a", "1", 1, false}, {"b", "2", 6, false}})
	assertParseError(t, err, "requirements.txt", 2, "continued line is longer than")

	var b strings.Builder
	for i := range maxPackages + 1 {
		fmt.Fprintf(&b, "p%d==1\n", i)
	}
	pkgs, err = (requirementsCataloger{}).Catalog(context.Background(), walk.BytesFile("requirements.txt", []byte(b.String())))
	if len(pkgs) != maxPackages {
		t.Errorf("%d packages, want %d", len(pkgs), maxPackages)
	}
	assertParseError(t, err, "requirements.txt", maxPackages+1, "more than")
}

// BenchmarkParseRequirements parses a pip-compile style file of 2000
// hash-pinned packages (about 400 KB).
func BenchmarkParseRequirements(b *testing.B) {
	var sb strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&sb, "package-%d[extra]==%d.%d.0 ; python_version >= \"3.8\" \\\n", i, i%7, i%13)
		fmt.Fprintf(&sb, "    --hash=sha256:%064x \\\n", i)
		fmt.Fprintf(&sb, "    --hash=sha256:%064x\n", i+1)
		sb.WriteString("    # via some-parent\n")
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := parseRequirements(context.Background(), "requirements.txt", strings.NewReader(sb.String()))
		if err != nil || len(pkgs) != 2000 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}

func FuzzRequirements(f *testing.F) {
	addSeeds(f, "pip")
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "requirements.txt"
		pkgs, err := (requirementsCataloger{}).Catalog(context.Background(), walk.BytesFile(path, data))
		checkInvariants(t, path, data, pkgs, err)
	})
}
