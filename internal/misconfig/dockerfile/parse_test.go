package dockerfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// resultLine is one line of BuildKit's parser dump: (cmd ["--flag"] "arg" …).
type resultLine struct {
	cmd   string
	flags []string
	args  []string
}

func parseResult(t *testing.T, line string) resultLine {
	t.Helper()
	s := strings.TrimSuffix(strings.TrimPrefix(line, "("), ")")
	cmd, rest, _ := strings.Cut(s, " ")
	r := resultLine{cmd: strings.ToUpper(cmd)}
	readStrings := func(s string) ([]string, string) {
		var out []string
		for {
			s = strings.TrimLeft(s, " ")
			if !strings.HasPrefix(s, `"`) {
				return out, s
			}
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				t.Fatalf("result %q: %v", line, err)
			}
			v, _ := strconv.Unquote(q)
			out = append(out, v)
			s = s[len(q):]
		}
	}
	if strings.HasPrefix(rest, "[") {
		var after string
		r.flags, after = readStrings(rest[1:])
		rest = strings.TrimPrefix(strings.TrimLeft(after, " "), "]")
	}
	r.args, _ = readStrings(rest)
	return r
}

// TestParseBuildKitTestfiles compares our parse of BuildKit's own parser test
// files with BuildKit's dump of them: the same instructions, in the same
// order, with the same flags; exec-form arguments and shell-form RUN/CMD
// text must match exactly.
func TestParseBuildKitTestfiles(t *testing.T) {
	dirs, err := filepath.Glob("testdata/buildkit/*")
	if err != nil || len(dirs) < 30 {
		t.Fatalf("testdata: %d dirs, %v", len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := os.ReadFile(filepath.Join(dir, "result"))
			if err != nil {
				t.Fatal(err)
			}
			df, err := Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimRight(string(res), "\n"), "\n")
			if len(df.Instructions) != len(want) {
				var got []string
				for _, in := range df.Instructions {
					got = append(got, in.Cmd)
				}
				t.Fatalf("%d instructions %v, want %d", len(got), got, len(want))
			}
			for i, line := range want {
				in := df.Instructions[i]
				r := parseResult(t, line)
				if in.Cmd != r.cmd {
					t.Errorf("instruction %d (line %d) = %s, want %s", i, in.Line, in.Cmd, r.cmd)
					continue
				}
				if len(r.flags) > 0 || len(in.Flags) > 0 {
					if !reflect.DeepEqual(in.Flags, r.flags) {
						t.Errorf("line %d flags = %q, want %q", in.Line, in.Flags, r.flags)
					}
				}
				switch {
				case in.Exec != nil && in.Cmd != "COPY" && in.Cmd != "ADD" && in.Cmd != "VOLUME":
					if len(in.Exec) != len(r.args) || (len(in.Exec) > 0 && !reflect.DeepEqual(in.Exec, r.args)) {
						t.Errorf("line %d exec = %q, want %q", in.Line, in.Exec, r.args)
					}
				case in.Cmd == "RUN" || in.Cmd == "CMD" || in.Cmd == "ENTRYPOINT":
					if len(r.args) != 1 || strings.TrimSpace(in.Args) != r.args[0] {
						t.Errorf("line %d args = %q, want %q", in.Line, in.Args, r.args)
					}
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	src := "\ufeff# syntax=docker/dockerfile:1\r\n" +
		"# escape=`\r\n" +
		"\r\n" +
		"FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS base\r\n" +
		"RUN dir c:\\ `\r\n" +
		"  # a comment inside the continuation\r\n" +
		"\r\n" +
		"  && echo done\r\n" +
		"COPY --from=base --chown=1:1 [\"a b\", \"/c/\"]\r\n" +
		"RUN <<EOF cat >/x && <<-'END' sh\r\n" +
		"echo \"$HOME\"\r\n" +
		"EOF\r\n" +
		"\t\techo tabbed\r\n" +
		"\tEND\r\n" +
		"onbuild run echo later\r\n" +
		"CMD [\"not\", json\r\n"
	df, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if df.Escape != '`' {
		t.Errorf("escape = %q", df.Escape)
	}
	want := []Instruction{
		{Cmd: "FROM", Line: 4, EndLine: 4, Args: "mcr.microsoft.com/windows/servercore:ltsc2022 AS base"},
		{Cmd: "RUN", Line: 5, EndLine: 8, Args: "dir c:\\   && echo done"},
		{Cmd: "COPY", Line: 9, EndLine: 9, Flags: []string{"--from=base", "--chown=1:1"}, Args: `["a b", "/c/"]`, Exec: []string{"a b", "/c/"}},
		{Cmd: "RUN", Line: 10, EndLine: 14, Args: "<<EOF cat >/x && <<-'END' sh", Heredocs: []Heredoc{
			{Name: "EOF", Body: "echo \"$HOME\"\n"}, {Name: "END", Body: "echo tabbed\n"},
		}},
		{Cmd: "ONBUILD", Line: 15, EndLine: 15, Args: "run echo later"},
		{Cmd: "CMD", Line: 16, EndLine: 16, Args: `["not", json`},
	}
	if !reflect.DeepEqual(df.Instructions, want) {
		t.Errorf("got\n%#v\nwant\n%#v", df.Instructions, want)
	}
}

func TestParseDirectives(t *testing.T) {
	for _, tc := range []struct {
		src    string
		escape byte
	}{
		{"#escape=`\nFROM a\n", '`'},
		{"# ESCAPE = ` \nFROM a\n", '`'},
		{"# syntax=x\n# escape=`\nFROM a\n", '`'},
		{"# comment\n# escape=`\nFROM a\n", '\\'},   // after a comment: a comment
		{"\n# escape=`\nFROM a\n", '\\'},            // after an empty line: a comment
		{"# unknown=1\n# escape=`\nFROM a\n", '\\'}, // unknown directive ends them
		{"FROM a\n# escape=`\n", '\\'},
	} {
		df, err := Parse([]byte(tc.src))
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if df.Escape != tc.escape {
			t.Errorf("%q: escape %q, want %q", tc.src, df.Escape, tc.escape)
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := "FROM a\nRUN " + strings.Repeat("x", MaxInstructionLength) + "\n"
	longCont := "FROM a\nRUN x \\\n" + strings.Repeat(strings.Repeat("y", 1000)+" \\\n", MaxInstructionLength/1000+1) + "z\n"
	many := strings.Repeat("RUN x\n", MaxInstructions+1)
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"size", strings.Repeat("#", MaxFileSize+1), 0, "limit"},
		{"instruction length", long, 2, "longer than"},
		{"continued length", longCont, 2, "longer than"},
		{"instruction count", many, MaxInstructions + 1, "more than"},
		{"unknown instruction", "FROM a\n\nFORM b\n", 3, `unknown instruction "FORM"`},
		{"bad escape", "# escape=x\nFROM a\n", 1, "invalid escape"},
		{"two escapes", "# escape=`\n# escape=\\\nFROM a\n", 2, "only one escape"},
		{"unterminated heredoc", "FROM a\nRUN <<EOF\necho\n", 2, `"EOF" is not terminated`},
		{"onbuild from", "FROM a\nONBUILD FROM b\n", 2, "not allowed"},
		{"too many heredocs", "FROM a\nRUN" + strings.Repeat(" <<A", MaxHeredocs+1) + "\n", 2, "here-documents"},
	} {
		_, err := Parse([]byte(tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v, want *ParseError", tc.name, err)
			continue
		}
		if pe.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v (line %d), want line %d and %q", tc.name, err, pe.Line, tc.line, tc.msg)
		}
	}
}

func TestHeredocNames(t *testing.T) {
	for s, want := range map[string][]string{
		"<<EOF":                         {"EOF"},
		"<<-EOT cat":                    {"EOT"},
		`<<"EOF" <<'END' cat`:           {"EOF", "END"},
		"python3 <<EOF > /out":          {"EOF"},
		"cat 0<<EOF":                    {"EOF"},
		"cat <<<word":                   nil,
		"echo '<<EOF'":                  nil,
		`echo "a<<b"`:                   nil,
		"echo a<<b":                     nil,
		"<< EOF":                        nil,
		"cat <<EOF1 && cat <<EOF2 file": {"EOF1", "EOF2"},
	} {
		var got []string
		for _, h := range heredocNames(s) {
			got = append(got, h.name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("heredocNames(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestSplitScript(t *testing.T) {
	cmds := splitScript(`DEBIAN_FRONTEND=noninteractive sudo -u root apt-get install -y "a b" 2>&1 >/dev/null; if [ -f x ]; then cd /x; fi && curl -s https://x | bash -c 'echo "$(id)" | tee /y' # note | sh`)
	var got []string
	for _, c := range cmds {
		s := strings.Join(c.words, " ")
		if c.sudo {
			s = "sudo:" + s
		}
		if c.pipeTo {
			s += " |"
		}
		got = append(got, s)
	}
	want := []string{
		"sudo:apt-get install -y a b",
		"[ -f x ]",
		"cd /x",
		"curl -s https://x |",
		`bash -c echo "$(id)" | tee /y`,
		"echo $(id) |",
		"tee /y",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "alpine", "V": "3.20", "E": ""}
	for in, want := range map[string]string{
		"$A:$V":           "alpine:3.20",
		"${A}:${V}-x":     "alpine:3.20-x",
		"${E:-debian}":    "debian",
		"${MISSING-deb}":  "deb",
		"plain":           "plain",
		"${MISSING}":      "",
		"${A:+x}":         "",
		"${A":             "",
		"a$":              "a$",
		"$MISSING/alpine": "",
	} {
		got, ok := expand(in, vars)
		if (want != "") != ok || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
