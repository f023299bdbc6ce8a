package dockerfile

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const pinned = "FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000\n"

// linesOf runs the checks and returns the lines where rule fired.
func linesOf(t *testing.T, src, rule string) []int {
	t.Helper()
	df, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	var lines []int
	for _, r := range check(df) {
		if r.rule == rule {
			lines = append(lines, r.line)
		}
	}
	return lines
}

var checkCases = []struct {
	rule string
	name string
	src  string
	want []int
}{
	{ruleNoUser, "no USER", "FROM alpine:3.20\nRUN true\n", []int{1}},
	{ruleNoUser, "USER in final stage", "FROM alpine:3.20\nUSER app\n", nil},
	{ruleNoUser, "USER only in builder", "FROM golang:1.26 AS build\nUSER app\nFROM alpine:3.20\nCOPY --from=build /x /x\n", []int{3}},
	{ruleNoUser, "USER inherited from parent stage", "FROM alpine:3.20 AS base\nUSER app\nFROM base\nRUN true\n", nil},
	{ruleNoUser, "distroless nonroot", "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n", nil},
	{ruleRootUser, "USER root last", "FROM alpine:3.20\nUSER app\nRUN id\nUSER root\n", []int{4}},
	{ruleRootUser, "USER 0:0", "FROM alpine:3.20\nUSER 0:0\n", []int{2}},
	{ruleRootUser, "root then app", "FROM alpine:3.20\nUSER root\nRUN apk add --no-cache curl\nUSER app\n", nil},
	{ruleRootUser, "root only in builder", "FROM alpine:3.20 AS b\nUSER root\nFROM alpine:3.20\nUSER 1000\n", nil},
	{ruleLatestTag, "untagged", "FROM ubuntu\n", []int{1}},
	{ruleLatestTag, "latest", "FROM docker.io/library/ubuntu:latest AS x\n", []int{1}},
	{ruleLatestTag, "ARG without tag", "ARG BASE=ubuntu\nFROM ${BASE}\n", []int{2}},
	{ruleLatestTag, "registry port, no tag", "FROM localhost:5000/app\n", []int{1}},
	{ruleLatestTag, "tagged", "FROM ubuntu:24.04\n", nil},
	{ruleLatestTag, "ARG with tag", "ARG V=3.20\nFROM alpine:$V\n", nil},
	{ruleLatestTag, "unresolved ARG", "ARG BASE\nFROM $BASE\n", nil},
	{ruleLatestTag, "digest only", "FROM ubuntu@sha256:0000000000000000000000000000000000000000000000000000000000000000\n", nil},
	{ruleLatestTag, "scratch and stage", "FROM scratch AS a\nFROM a\n", nil},
	{ruleNoDigest, "tag only", "FROM --platform=$BUILDPLATFORM golang:1.26 AS build\nFROM build\n", []int{1}},
	{ruleNoDigest, "digest", pinned, nil},
	{ruleAddURL, "URL", "FROM alpine:3.20\nADD https://example.com/x.tar.gz /tmp/\n", []int{2}},
	{ruleAddURL, "git", "FROM alpine:3.20\nADD git@github.com:moby/buildkit.git#v0.34.2 /src\n", []int{2}},
	{ruleAddURL, "checksum", "FROM alpine:3.20\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/x.tar.gz /tmp/\n", nil},
	{ruleAddURL, "git commit", "FROM alpine:3.20\nADD https://github.com/moby/buildkit.git#0123456789abcdef0123456789abcdef01234567 /src\n", nil},
	{ruleAddNotCopy, "plain file", "FROM alpine:3.20\nADD app.py requirements.txt /app/\n", []int{2}},
	{ruleAddNotCopy, "JSON form", "FROM alpine:3.20\nADD [\"app.py\", \"/app/\"]\n", []int{2}},
	{ruleAddNotCopy, "archive", "FROM alpine:3.20\nADD rootfs.tar.xz /\n", nil},
	{ruleAddNotCopy, "URL is DF-005", "FROM alpine:3.20\nADD https://example.com/a /a\n", nil},
	{ruleAddNotCopy, "COPY", "FROM alpine:3.20\nCOPY app.py /app/\n", nil},
	{ruleCurlPipeShell, "curl | sh", "FROM alpine:3.20\nRUN curl -fsSL https://get.example.com | sh\n", []int{2}},
	{ruleCurlPipeShell, "wget | sudo bash -s", "FROM alpine:3.20\nRUN apk add --no-cache wget && \\\n    wget -qO- https://x.example | sudo bash -s -- --yes\n", []int{2}},
	{ruleCurlPipeShell, "bash <(curl)", "FROM alpine:3.20\nRUN bash <(curl -s https://x.example/install)\n", []int{2}},
	{ruleCurlPipeShell, "sh -c $(curl)", "FROM alpine:3.20\nRUN sh -c \"$(curl -fsSL https://x.example/install.sh)\"\n", []int{2}},
	{ruleCurlPipeShell, "inside sh -c", "FROM alpine:3.20\nRUN [\"/bin/sh\", \"-c\", \"curl -s https://x | sh\"]\n", []int{2}},
	{ruleCurlPipeShell, "in a RUN here-document", "FROM alpine:3.20\nRUN <<EOF\nset -e\ncurl -s https://x | sh\nEOF\nRUN python3 <<EOF\nprint('curl x | sh')\nEOF\n", []int{2}},
	{ruleCurlPipeShell, "curl | tar", "FROM alpine:3.20\nRUN curl -fsSL https://x/a.tgz | tar -xz\n", nil},
	{ruleCurlPipeShell, "download then run", "FROM alpine:3.20\nRUN curl -fsSLo /tmp/i.sh https://x/i.sh && sha256sum -c sums && sh /tmp/i.sh\n", nil},
	{ruleSecretEnv, "ENV key=value", "FROM alpine:3.20\nENV APP=1 DB_PASSWORD=hunter2\n", []int{2}},
	{ruleSecretEnv, "legacy ENV", "FROM alpine:3.20\nENV GITHUB_TOKEN ghp_aaaaaaaaaaaaaaaaaaaa\n", []int{2}},
	{ruleSecretEnv, "ARG default", "ARG NPM_TOKEN=abc123\nFROM alpine:3.20\nARG AWS_SECRET_ACCESS_KEY=xyz\n", []int{3}},
	{ruleSecretEnv, "ARG without value", "FROM alpine:3.20\nARG NPM_TOKEN\nENV API_KEY=$API_KEY SECRET=${S} PASSWORD_FILE=/run/secrets/pw TOKEN_URL=https://x\n", nil},
	{ruleSecretEnv, "booleans and paths", "FROM alpine:3.20\nENV USE_TOKEN=true SECRET_DIR=/etc/s CLIENT_SECRET=\"\"\n", nil},
	{ruleCopyKey, "id_rsa", "FROM alpine:3.20\nCOPY id_rsa /root/.ssh/id_rsa\n", []int{2}},
	{ruleCopyKey, "pem key and .env", "FROM alpine:3.20\nCOPY certs/server-key.pem /etc/ssl/\nADD .env /app/.env\nCOPY --from=build /out/tls.key /tls/\n", []int{2, 3, 4}},
	{ruleCopyKey, "JSON form credentials", "FROM alpine:3.20\nCOPY [\"config/.aws/credentials\", \"/root/.aws/\"]\n", []int{2}},
	{ruleCopyKey, "public material", "FROM alpine:3.20\nCOPY ca.pem id_rsa.pub .env.example /etc/\nCOPY keys.go /src/\n", nil},
	{ruleSudo, "sudo", "FROM ubuntu:24.04\nRUN sudo -u root apt-get update\n", []int{2}},
	{ruleSudo, "no sudo", "FROM ubuntu:24.04\nRUN echo sudo is a word\n", nil},
	{ruleAptUpgrade, "upgrade", "FROM ubuntu:24.04\nRUN apt-get update && apt-get -y upgrade\nRUN apt-get dist-upgrade -y\n", []int{2, 3}},
	{ruleAptUpgrade, "install only", "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", nil},
	{ruleNoRecommends, "missing", "FROM ubuntu:24.04\nRUN apt-get install -y curl\n", []int{2}},
	{ruleNoRecommends, "present", "FROM ubuntu:24.04\nRUN apt-get install -y --no-install-recommends curl && apt-get -o APT::Install-Recommends=false install -y git\n", nil},
	{ruleAptNoYes, "missing", "FROM ubuntu:24.04\nRUN apt-get install --no-install-recommends curl\n", []int{2}},
	{ruleAptNoYes, "forms of yes", "FROM ubuntu:24.04\nRUN apt-get -qy install --no-install-recommends a && apt-get install -qq --no-install-recommends b && apt-get --assume-yes install --no-install-recommends c && yes | apt-get install --no-install-recommends d\n", nil},
	{ruleAptLists, "left behind", "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", []int{2}},
	{ruleAptLists, "removed", "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n", nil},
	{ruleAptLists, "cache mount", "FROM ubuntu:24.04\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends curl\n", nil},
	{ruleAptLists, "builder stage", "FROM ubuntu:24.04 AS build\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\nFROM alpine:3.20\n", nil},
	{ruleApkCache, "missing", "FROM alpine:3.20\nRUN apk add curl\n", []int{2}},
	{ruleApkCache, "no-cache", "FROM alpine:3.20\nRUN apk add --no-cache curl\nRUN apk add git && rm -rf /var/cache/apk/*\n", nil},
	{rulePipCache, "missing", "FROM python:3.13-slim\nRUN pip install flask\nRUN python3 -m pip install -r requirements.txt\n", []int{2, 3}},
	{rulePipCache, "no-cache-dir", "FROM python:3.13-slim\nRUN pip3 install --no-cache-dir flask\n", nil},
	{rulePipCache, "PIP_NO_CACHE_DIR", "FROM python:3.13-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n", nil},
	{rulePipCache, "pip other command", "FROM python:3.13-slim\nRUN pip freeze\n", nil},
	{ruleRpmCache, "yum", "FROM rockylinux:9\nRUN yum install -y httpd\nRUN dnf -y install git\nRUN zypper --non-interactive in curl\n", []int{2, 3, 4}},
	{ruleRpmCache, "cleaned", "FROM rockylinux:9\nRUN yum install -y httpd && yum clean all\nRUN dnf -y install git && rm -rf /var/cache/dnf\nRUN zypper -n in curl && zypper clean --all\n", nil},
	{ruleWorldWritable, "chmod 777", "FROM alpine:3.20\nRUN chmod -R 777 /app\nRUN chmod a+rwx /data\nRUN chmod o+w,u+x /x\nCOPY --chmod=666 a /a\n", []int{2, 3, 4, 5}},
	{ruleWorldWritable, "safe modes", "FROM alpine:3.20\nRUN chmod 755 /app && chmod 1777 /tmp && chmod +x /a && chmod u+w /b && chmod o-w /c\nCOPY --chmod=0644 a /a\n", nil},
	{ruleExposeSSH, "22", "FROM alpine:3.20\nEXPOSE 80 22/tcp\nEXPOSE 20-25\n", []int{2, 3}},
	{ruleExposeSSH, "others", "FROM alpine:3.20\nEXPOSE 80 443 2222 8022/tcp\n", nil},
	{ruleNoHealthcheck, "none", "FROM alpine:3.20\nUSER app\n", []int{1}},
	{ruleNoHealthcheck, "in parent stage", "FROM alpine:3.20 AS base\nHEALTHCHECK NONE\nFROM base\n", nil},
	{ruleNoHealthcheck, "present", "FROM alpine:3.20\nHEALTHCHECK --interval=5s CMD wget -q localhost\n", nil},
	{ruleMaintainer, "MAINTAINER", "FROM alpine:3.20\nMAINTAINER Jane <j@example.com>\n", []int{2}},
	{ruleMaintainer, "LABEL", "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=j@example.com\n", nil},
	{ruleRelativeWorkdir, "relative", "FROM alpine:3.20\nWORKDIR app\n", []int{2}},
	{ruleRelativeWorkdir, "absolute", "FROM alpine:3.20\nWORKDIR /app\nWORKDIR $HOME/x\nWORKDIR \"/quoted\"\nWORKDIR C:\\\\app\n", nil},
	{ruleMultipleCmd, "two CMD, two ENTRYPOINT", "FROM alpine:3.20\nCMD [\"a\"]\nENTRYPOINT [\"b\"]\nCMD [\"c\"]\nENTRYPOINT [\"d\"]\n", []int{4, 5}},
	{ruleMultipleCmd, "one per stage", "FROM alpine:3.20 AS a\nCMD [\"a\"]\nFROM alpine:3.20\nCMD [\"b\"]\n", nil},
	{ruleCd, "cd", "FROM alpine:3.20\nRUN cd /src && make\n", []int{2}},
	{ruleCd, "WORKDIR", "FROM alpine:3.20\nWORKDIR /src\nRUN make cd\n", nil},
	{ruleShellForm, "shell form", "FROM alpine:3.20\nENTRYPOINT /app/server --port 80\nCMD echo hi\n", []int{2, 3}},
	{ruleShellForm, "exec form and builder", "FROM alpine:3.20 AS b\nCMD echo builder\nFROM alpine:3.20\nENTRYPOINT [\"/app\"]\nCMD [\"--port\", \"80\"]\n", nil},
	{ruleUpdateAlone, "update alone", "FROM ubuntu:24.04\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\nRUN apk update\n", []int{2, 4}},
	{ruleUpdateAlone, "together", "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nRUN apk update && apk add --no-cache curl\n", nil},
	{ruleApt, "apt", "FROM ubuntu:24.04\nRUN apt install -y curl\n", []int{2}},
	{ruleApt, "apt-get and apt-cache", "FROM ubuntu:24.04\nRUN apt-get install -y --no-install-recommends curl && apt-cache policy curl\n", nil},
	{ruleSSHServer, "openssh-server", "FROM ubuntu:24.04\nRUN apt-get install -y --no-install-recommends openssh-server=1:9.6p1-3ubuntu13\nRUN apk add --no-cache dropbear\n", []int{2, 3}},
	{ruleSSHServer, "client only", "FROM ubuntu:24.04\nRUN apt-get install -y --no-install-recommends openssh-client\n", nil},
	{ruleDuplicateStage, "duplicate", "FROM alpine:3.20 AS build\nFROM alpine:3.20 AS Build\n", []int{2}},
	{ruleDuplicateStage, "unique", "FROM alpine:3.20 AS build\nFROM alpine:3.20 AS test\n", nil},
	{rulePipefail, "pipe", "FROM alpine:3.20\nRUN curl -fsSL https://x/a.tgz | tar -xz\n", []int{2}},
	{rulePipefail, "pipefail set", "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://x/a.tgz | tar -xz\nRUN set -o pipefail && a | b\nRUN a || b\n", nil},
}

func TestChecks(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			got := linesOf(t, tc.src, tc.rule)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s lines = %v, want %v\n%s", tc.rule, got, tc.want, tc.src)
			}
		})
	}
}

// Every rule has a case that fires and a case that does not.
func TestEveryRuleTested(t *testing.T) {
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range checkCases {
		if len(tc.want) > 0 {
			fires[tc.rule] = true
		} else {
			quiet[tc.rule] = true
		}
	}
	for _, r := range Rules() {
		if !fires[r.ID] || !quiet[r.ID] {
			t.Errorf("%s: positive case %v, negative case %v", r.ID, fires[r.ID], quiet[r.ID])
		}
	}
}

func TestRules(t *testing.T) {
	rules := Rules()
	if len(rules) < 20 {
		t.Fatalf("%d rules, want at least 20", len(rules))
	}
	for i, r := range rules {
		if want := fmt.Sprintf("DF-%03d", i+1); r.ID != want {
			t.Errorf("rule %d id %s, want %s (sorted, no gaps)", i, r.ID, want)
		}
		if r.Kind != "misconfiguration" || r.Title == "" || r.Rationale == "" || r.Remediation == "" || len(r.References) == 0 || r.Severity == 0 {
			t.Errorf("%s: incomplete %+v", r.ID, r)
		}
		for _, id := range r.Mappings[matrix] {
			if !strings.HasPrefix(id, "MS-TA90") {
				t.Errorf("%s: matrix id %s", r.ID, id)
			}
			found := false
			for _, ref := range r.References {
				found = found || strings.HasPrefix(ref, matrixBase)
			}
			if !found {
				t.Errorf("%s: maps to %s without citing the matrix page", r.ID, id)
			}
		}
	}
	// Rules hands out copies.
	rules[0].Mappings[matrix][0] = "changed"
	rules[0].References[0] = "changed"
	if again := Rules(); again[0].Mappings[matrix][0] != "MS-TA9018" || again[0].References[0] == "changed" {
		t.Error("Rules shares its tables with callers")
	}
}

func TestSecretEvidenceRedacted(t *testing.T) {
	df, err := Parse([]byte("FROM alpine:3.20\nENV DB_PASSWORD=correct-horse-battery-staple SHORT_TOKEN=abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	var ev []string
	for _, f := range Findings(df, "Dockerfile", "", "") {
		if f.RuleID == ruleSecretEnv {
			ev = append(ev, f.Evidence)
		}
	}
	want := []string{"ENV DB_PASSWORD=co****le", "ENV SHORT_TOKEN=****"}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("evidence = %q, want %q", ev, want)
	}
}

func TestWorldWritableMode(t *testing.T) {
	for m, want := range map[string]bool{
		"777": true, "0777": true, "666": true, "772": true, "2777": true, "1777": false, "755": false,
		"0644": false, "a+w": true, "o+rwx": true, "a=rwx": true, "ugo+rwx": true, "+w": false,
		"u+w": false, "o-w": false, "g+w,o+w": true, "a+wt": false, "999": false, "": false,
	} {
		if got := worldWritableMode(m); got != want {
			t.Errorf("worldWritableMode(%q) = %v, want %v", m, got, want)
		}
	}
}

func TestIsDockerfile(t *testing.T) {
	for p, want := range map[string]bool{
		"Dockerfile": true, "a/b/Dockerfile": true, "dockerfile": true, "Containerfile": true,
		"build/app.Dockerfile": true, "app.dockerfile": true, "Dockerfile.prod": true,
		"Dockerfile.alpine.3": true, "Containerfile.dev": true,
		"Dockerfile.md": false, "Dockerfile.j2": false, "Dockerfile.tmpl": false,
		"Dockerfile.prod.bak": false, ".dockerignore": false, "Dockerfile.": false,
		"docs/dockerfile.txt": false, "Dockerfiles": false, "MyDockerfile": false, "README.md": false,
	} {
		if got := IsDockerfile(p); got != want {
			t.Errorf("IsDockerfile(%q) = %v, want %v", p, got, want)
		}
	}
}
