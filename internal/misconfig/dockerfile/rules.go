package dockerfile

import (
	"maps"
	"slices"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
)

// Rule ids.
const (
	ruleNoUser           = "DF-001"
	ruleRootUser         = "DF-002"
	ruleLatestTag        = "DF-003"
	ruleNoDigest         = "DF-004"
	ruleAddURL           = "DF-005"
	ruleAddNotCopy       = "DF-006"
	ruleCurlPipeShell    = "DF-007"
	ruleSecretEnv        = "DF-008"
	ruleCopyKey          = "DF-009"
	ruleSudo             = "DF-010"
	ruleAptUpgrade       = "DF-011"
	ruleNoRecommends     = "DF-012"
	ruleAptNoYes         = "DF-013"
	ruleAptLists         = "DF-014"
	ruleApkCache         = "DF-015"
	rulePipCache         = "DF-016"
	ruleRpmCache         = "DF-017"
	ruleWorldWritable    = "DF-018"
	ruleExposeSSH        = "DF-019"
	ruleNoHealthcheck    = "DF-020"
	ruleMaintainer       = "DF-021"
	ruleRelativeWorkdir  = "DF-022"
	ruleMultipleCmd      = "DF-023"
	ruleCd               = "DF-024"
	ruleShellForm        = "DF-025"
	ruleUpdateAlone      = "DF-026"
	ruleApt              = "DF-027"
	ruleSSHServer        = "DF-028"
	ruleDuplicateStage   = "DF-029"
	rulePipefail         = "DF-030"
	matrix               = "ms-k8s-matrix"
	matrixBase           = "https://microsoft.github.io/Threat-Matrix-for-Kubernetes/techniques/"
	bestPractices        = "https://docs.docker.com/build/building/best-practices/"
	hadolintWiki         = "https://github.com/hadolint/hadolint/wiki/"
	dockerfileReference  = "https://docs.docker.com/reference/dockerfile/"
	buildChecksReference = "https://docs.docker.com/reference/build-checks/"
)

// catalogue lists every check, sorted by id. It is never modified; Rules
// hands out copies.
var catalogue = []finding.Rule{
	{
		ID: ruleNoUser, Title: "Final stage sets no USER, so the container runs as root",
		Severity:  finding.SeverityMedium,
		Rationale: "Without a USER instruction in the final stage (or a stage it builds on) the container runs as root unless the base image sets a user. A process running as root that is compromised owns the container's file system and has the most kernel attack surface for a container escape.",
		Remediation: "Create an unprivileged user and switch to it at the end of the final stage:\n" +
			"RUN groupadd --system app && useradd --system --gid app --no-create-home app\n" +
			"USER app\n" +
			"(Alpine: RUN addgroup -S app && adduser -S -G app app). Distroless images can use the \":nonroot\" tag or USER 65532.",
		References: []string{dockerfileReference + "#user", hadolintWiki + "DL3002", "trivy AVD-DS-0002", "checkov CKV_DOCKER_3", matrixBase + "Privileged%20container/"},
		Mappings:   map[string][]string{matrix: {"MS-TA9018"}, "cwe": {"CWE-250"}},
	},
	{
		ID: ruleRootUser, Title: "Last USER of the final stage is root",
		Severity:    finding.SeverityHigh,
		Rationale:   "The image explicitly runs its process as root (USER root or USER 0). A compromised process then has full control of the container and the most kernel attack surface for a container escape; combined with a privileged pod or a writable hostPath it owns the node.",
		Remediation: "Keep USER root only for the steps that need it and end the final stage with an unprivileged user:\nUSER root\nRUN …\nUSER app",
		References:  []string{dockerfileReference + "#user", hadolintWiki + "DL3002", "trivy AVD-DS-0002", "checkov CKV_DOCKER_8", matrixBase + "Privileged%20container/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9018"}, "cwe": {"CWE-250"}},
	},
	{
		ID: ruleLatestTag, Title: "Base image is untagged or uses the latest tag",
		Severity:    finding.SeverityMedium,
		Rationale:   "An untagged or \":latest\" base image changes under the build without notice: builds are not reproducible, and a compromised or broken image pushed to the tag is pulled silently.",
		Remediation: "Name an explicit version tag (better: tag and digest):\n-FROM node\n+FROM node:22.11.0-bookworm-slim",
		References:  []string{bestPractices + "#pin-base-image-versions", hadolintWiki + "DL3006", hadolintWiki + "DL3007", "trivy AVD-DS-0001", "checkov CKV_DOCKER_7", matrixBase + "Compromised%20Image%20In%20Registry/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9002"}},
	},
	{
		ID: ruleNoDigest, Title: "Base image is not pinned by digest",
		Severity:    finding.SeverityLow,
		Rationale:   "Tags are mutable: the image behind a tag can be replaced, by its publisher or by an attacker with access to the registry. Only a digest guarantees the build uses the image that was reviewed.",
		Remediation: "Pin the digest next to the tag (keep the tag for readers; update both with Renovate or Dependabot):\n-FROM alpine:3.20\n+FROM alpine:3.20@sha256:<digest from `docker buildx imagetools inspect alpine:3.20`>",
		References:  []string{bestPractices + "#pin-base-image-versions", matrixBase + "Compromised%20Image%20In%20Registry/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9002"}, "cwe": {"CWE-494"}},
	},
	{
		ID: ruleAddURL, Title: "ADD downloads a remote URL without a checksum",
		Severity:    finding.SeverityMedium,
		Rationale:   "ADD <url> fetches content at build time without verifying it: whoever controls the server or the network path controls what goes into the image.",
		Remediation: "Pin the content with a checksum, or download and verify it in a RUN:\n-ADD https://example.com/tool.tar.gz /tmp/\n+ADD --checksum=sha256:<sha256> https://example.com/tool.tar.gz /tmp/",
		References:  []string{dockerfileReference + "#add---checksum", bestPractices + "#add-or-copy", "trivy AVD-DS-0005"},
		Mappings:    map[string][]string{"cwe": {"CWE-494"}},
	},
	{
		ID: ruleAddNotCopy, Title: "ADD used where COPY suffices",
		Severity:    finding.SeverityLow,
		Rationale:   "ADD also extracts local archives and fetches URLs; using it for plain files hides that behaviour from readers and can unpack content unexpectedly. COPY does only what it says.",
		Remediation: "-ADD app.py /app/\n+COPY app.py /app/",
		References:  []string{bestPractices + "#add-or-copy", hadolintWiki + "DL3020", "trivy AVD-DS-0005", "checkov CKV_DOCKER_4"},
	},
	{
		ID: ruleCurlPipeShell, Title: "Remote script piped into a shell",
		Severity:    finding.SeverityHigh,
		Rationale:   "curl … | sh runs whatever the server returns at build time, unverified, with the build's privileges; a compromised server or a truncated download runs arbitrary code in the image.",
		Remediation: "Download to a file, verify it, then run it:\n-RUN curl -fsSL https://example.com/install.sh | sh\n+RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n+ && echo \"<sha256>  /tmp/install.sh\" | sha256sum -c - \\\n+ && sh /tmp/install.sh && rm /tmp/install.sh",
		References:  []string{"https://docs.docker.com/build/building/best-practices/#run"},
		Mappings:    map[string][]string{"cwe": {"CWE-494"}},
	},
	{
		ID: ruleSecretEnv, Title: "Secret in ENV or ARG",
		Severity:    finding.SeverityHigh,
		Rationale:   "ENV values are stored in the image configuration and ARG values in its build history: anyone who can pull the image can read them with `docker history` or `docker inspect`.",
		Remediation: "Pass the secret at build time as a BuildKit secret mount, and at run time from the orchestrator's secret store:\n-ARG DB_PASSWORD=hunter2\n-RUN ./configure --password \"$DB_PASSWORD\"\n+RUN --mount=type=secret,id=db_password ./configure --password \"$(cat /run/secrets/db_password)\"\n(build with: docker build --secret id=db_password,src=./db_password .)",
		References:  []string{"https://docs.docker.com/build/building/secrets/", buildChecksReference + "secrets-used-in-arg-or-env/", matrixBase + "Application%20credentials%20in%20configuration%20files/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9027"}, "cwe": {"CWE-798"}},
	},
	{
		ID: ruleCopyKey, Title: "Key material or credentials file copied into the image",
		Severity:    finding.SeverityHigh,
		Rationale:   "Private keys, .env files and credential files copied into a layer stay in the image even if a later layer deletes them; anyone who can pull the image can extract them.",
		Remediation: "Do not copy secrets into the image; mount them at build time and supply them at run time:\n-COPY id_rsa /root/.ssh/id_rsa\n+RUN --mount=type=ssh git clone git@github.com:org/repo.git\n(build with: docker build --ssh default .) and add the files to .dockerignore.",
		References:  []string{"https://docs.docker.com/build/building/secrets/", "https://docs.docker.com/build/concepts/context/#dockerignore-files", matrixBase + "Application%20credentials%20in%20configuration%20files/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9027"}, "cwe": {"CWE-522"}},
	},
	{
		ID: ruleSudo, Title: "sudo used in RUN",
		Severity:    finding.SeverityMedium,
		Rationale:   "RUN already executes as the current USER; sudo in an image means a sudo binary and a sudoers policy that a compromised process can use to regain root, and its TTY and signal behaviour is unpredictable in builds.",
		Remediation: "Switch user around the privileged step instead:\n-RUN sudo apt-get install -y curl\n+USER root\n+RUN apt-get install -y curl\n+USER app\n(use gosu or su-exec if an entrypoint must drop privileges).",
		References:  []string{bestPractices + "#user", hadolintWiki + "DL3004", "trivy AVD-DS-0010"},
		Mappings:    map[string][]string{"cwe": {"CWE-250"}},
	},
	{
		ID: ruleAptUpgrade, Title: "apt-get upgrade or dist-upgrade in RUN",
		Severity:    finding.SeverityMedium,
		Rationale:   "Upgrading every package inside the build makes the image depend on the day it was built, can pull in packages the base image maintainers excluded, and hides which base image version is really shipped.",
		Remediation: "Rebuild on an updated base image and install only the packages you need at pinned versions:\n-RUN apt-get update && apt-get -y dist-upgrade\n+FROM debian:12.8-slim\n+RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8",
		References:  []string{hadolintWiki + "DL3005", "trivy AVD-DS-0024"},
	},
	{
		ID: ruleNoRecommends, Title: "apt-get install without --no-install-recommends",
		Severity:    finding.SeverityLow,
		Rationale:   "Recommended packages are installed by default; they enlarge the image and its attack surface with software the application does not use.",
		Remediation: "-RUN apt-get install -y curl\n+RUN apt-get install -y --no-install-recommends curl",
		References:  []string{hadolintWiki + "DL3015", "trivy AVD-DS-0029"},
	},
	{
		ID: ruleAptNoYes, Title: "apt-get install without -y",
		Severity:    finding.SeverityLow,
		Rationale:   "Without -y apt-get asks for confirmation, which a non-interactive build answers with \"no\": the step fails or depends on the terminal the build ran in.",
		Remediation: "-RUN apt-get install curl\n+RUN apt-get install -y curl",
		References:  []string{hadolintWiki + "DL3014", "trivy AVD-DS-0021"},
	},
	{
		ID: ruleAptLists, Title: "apt lists left in the image",
		Severity:    finding.SeverityLow,
		Rationale:   "apt-get update writes package lists to /var/lib/apt/lists; left in the layer they add megabytes and a stale package index to the image.",
		Remediation: "Remove the lists in the same RUN (or use a cache mount):\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*",
		References:  []string{bestPractices + "#apt-get", hadolintWiki + "DL3009"},
	},
	{
		ID: ruleApkCache, Title: "apk add without --no-cache",
		Severity:    finding.SeverityLow,
		Rationale:   "apk add keeps the package index in /var/cache/apk unless told not to, enlarging the image with a stale index.",
		Remediation: "-RUN apk update && apk add curl\n+RUN apk add --no-cache curl",
		References:  []string{hadolintWiki + "DL3019", "trivy AVD-DS-0025"},
	},
	{
		ID: rulePipCache, Title: "pip install without --no-cache-dir",
		Severity:    finding.SeverityLow,
		Rationale:   "pip keeps downloaded wheels in ~/.cache/pip; in an image they are dead weight that can reach hundreds of megabytes.",
		Remediation: "-RUN pip install -r requirements.txt\n+RUN pip install --no-cache-dir -r requirements.txt\n(or ENV PIP_NO_CACHE_DIR=1 earlier in the stage).",
		References:  []string{hadolintWiki + "DL3042"},
	},
	{
		ID: ruleRpmCache, Title: "yum, dnf or zypper cache not cleaned",
		Severity:    finding.SeverityLow,
		Rationale:   "yum, dnf and zypper keep metadata and downloaded packages under /var/cache; left in the layer they enlarge the image.",
		Remediation: "Clean in the same RUN as the install:\nRUN dnf install -y curl && dnf clean all\nRUN yum install -y curl && yum clean all\nRUN zypper --non-interactive install curl && zypper clean --all",
		References:  []string{hadolintWiki + "DL3032", hadolintWiki + "DL3040", hadolintWiki + "DL3036", "trivy AVD-DS-0015", "trivy AVD-DS-0019", "trivy AVD-DS-0020"},
	},
	{
		ID: ruleWorldWritable, Title: "World-writable permissions set (chmod 777)",
		Severity:    finding.SeverityMedium,
		Rationale:   "Files or directories writable by every user let any process in the container (or a second user) replace binaries, scripts or configuration the application trusts.",
		Remediation: "Give ownership to the application user and keep others read-only:\n-RUN chmod -R 777 /app\n+COPY --chown=app:app . /app\n+RUN chmod -R u=rwX,go=rX /app",
		References:  []string{"https://cwe.mitre.org/data/definitions/732.html"},
		Mappings:    map[string][]string{"cwe": {"CWE-732"}},
	},
	{
		ID: ruleExposeSSH, Title: "SSH port 22 exposed",
		Severity:    finding.SeverityMedium,
		Rationale:   "An SSH server in a container is a remote entry point attackers brute-force or reuse stolen keys against; containers should be reached with `kubectl exec` or `docker exec` when at all.",
		Remediation: "Remove the SSH server and the port:\n-EXPOSE 22",
		References:  []string{"trivy AVD-DS-0004", "checkov CKV_DOCKER_1", matrixBase + "SSH%20server%20running%20inside%20container/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9010"}},
	},
	{
		ID: ruleNoHealthcheck, Title: "No HEALTHCHECK in the final stage",
		Severity:    finding.SeverityLow,
		Rationale:   "Without a health check the runtime cannot tell a hung process from a healthy one. (Kubernetes ignores HEALTHCHECK and uses probes; ignore this finding there or use HEALTHCHECK NONE to say so.)",
		Remediation: "Add a health check to the final stage:\n+HEALTHCHECK --interval=30s --timeout=3s CMD [\"/app/healthcheck\"]\n(or HEALTHCHECK NONE to state that none is wanted).",
		References:  []string{dockerfileReference + "#healthcheck", "trivy AVD-DS-0026", "checkov CKV_DOCKER_2"},
	},
	{
		ID: ruleMaintainer, Title: "MAINTAINER is deprecated",
		Severity:    finding.SeverityLow,
		Rationale:   "MAINTAINER has been deprecated since Docker 1.13; the OCI label carries the same information in a form tools read.",
		Remediation: "-MAINTAINER Jane Doe <jane@example.com>\n+LABEL org.opencontainers.image.authors=\"jane@example.com\"",
		References:  []string{buildChecksReference + "maintainer-deprecated/", hadolintWiki + "DL4000", "trivy AVD-DS-0022", "checkov CKV_DOCKER_6"},
	},
	{
		ID: ruleRelativeWorkdir, Title: "WORKDIR uses a relative path",
		Severity:    finding.SeverityLow,
		Rationale:   "A relative WORKDIR depends on the previous WORKDIR, possibly set by the base image; the resulting directory changes when the base image does.",
		Remediation: "-WORKDIR app\n+WORKDIR /app",
		References:  []string{buildChecksReference + "workdir-relative-path/", hadolintWiki + "DL3000", "trivy AVD-DS-0009", "checkov CKV_DOCKER_10"},
	},
	{
		ID: ruleMultipleCmd, Title: "More than one CMD or ENTRYPOINT in a stage",
		Severity:    finding.SeverityLow,
		Rationale:   "Only the last CMD and the last ENTRYPOINT of a stage take effect; earlier ones are dead code that misleads readers about what the container runs.",
		Remediation: "Keep a single CMD and a single ENTRYPOINT per stage:\n-CMD [\"./migrate\"]\n CMD [\"./server\"]",
		References:  []string{buildChecksReference + "multiple-instructions-disallowed/", hadolintWiki + "DL4003", hadolintWiki + "DL4004", "trivy AVD-DS-0007", "trivy AVD-DS-0016"},
	},
	{
		ID: ruleCd, Title: "cd in RUN instead of WORKDIR",
		Severity:    finding.SeverityLow,
		Rationale:   "A cd lasts for one RUN only; later instructions silently run elsewhere. WORKDIR states the directory for every following instruction.",
		Remediation: "-RUN cd /app && make\n+WORKDIR /app\n+RUN make",
		References:  []string{hadolintWiki + "DL3003", "trivy AVD-DS-0013"},
	},
	{
		ID: ruleShellForm, Title: "CMD or ENTRYPOINT in shell form",
		Severity:    finding.SeverityLow,
		Rationale:   "In shell form the process runs under /bin/sh -c, which is PID 1 and does not forward SIGTERM: the application is killed after the stop timeout instead of shutting down cleanly.",
		Remediation: "Use the JSON (exec) form:\n-ENTRYPOINT /app/server --port 8080\n+ENTRYPOINT [\"/app/server\", \"--port\", \"8080\"]",
		References:  []string{buildChecksReference + "json-args-recommended/", hadolintWiki + "DL3025"},
	},
	{
		ID: ruleUpdateAlone, Title: "Package index updated in a RUN without an install",
		Severity:    finding.SeverityMedium,
		Rationale:   "The layer cache keeps a RUN apt-get update from a past build: a later RUN apt-get install then installs outdated package versions, missing security fixes.",
		Remediation: "Update and install in the same RUN:\n-RUN apt-get update\n-RUN apt-get install -y curl\n+RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
		References:  []string{bestPractices + "#apt-get", "trivy AVD-DS-0017", "checkov CKV_DOCKER_5"},
	},
	{
		ID: ruleApt, Title: "apt used instead of apt-get",
		Severity:    finding.SeverityLow,
		Rationale:   "apt is meant for interactive use and warns that its command-line interface is not stable for scripts; apt-get is.",
		Remediation: "-RUN apt install -y curl\n+RUN apt-get install -y --no-install-recommends curl",
		References:  []string{hadolintWiki + "DL3027", "checkov CKV_DOCKER_9"},
	},
	{
		ID: ruleSSHServer, Title: "SSH server installed in the image",
		Severity:    finding.SeverityMedium,
		Rationale:   "An SSH daemon in a container is a remote entry point attackers use with stolen or brute-forced credentials, and it bypasses the cluster's exec audit trail.",
		Remediation: "Remove the SSH server package; use `kubectl exec` or `docker exec` for debugging:\n-RUN apt-get install -y openssh-server",
		References:  []string{matrixBase + "SSH%20server%20running%20inside%20container/"},
		Mappings:    map[string][]string{matrix: {"MS-TA9010"}},
	},
	{
		ID: ruleDuplicateStage, Title: "Duplicate stage name",
		Severity:    finding.SeverityLow,
		Rationale:   "Two stages with the same name make COPY --from and --target ambiguous; BuildKit rejects the file.",
		Remediation: "Give every stage a unique name:\n-FROM golang:1.26 AS build\n+FROM golang:1.26 AS build-tools",
		References:  []string{buildChecksReference + "duplicate-stage-name/", hadolintWiki + "DL3024", "trivy AVD-DS-0012", "checkov CKV_DOCKER_11"},
	},
	{
		ID: rulePipefail, Title: "RUN pipes without pipefail",
		Severity:    finding.SeverityLow,
		Rationale:   "/bin/sh -c reports only the last command of a pipeline: in curl … | tar x a failed download still passes the build with a broken or empty result.",
		Remediation: "Set pipefail for the stage (bash):\n+SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n RUN curl -fsSL https://example.com/a.tgz | tar -xz",
		References:  []string{hadolintWiki + "DL4006"},
	},
}

// ruleByID indexes catalogue; built once, never modified.
var ruleByID = func() map[string]*finding.Rule {
	m := make(map[string]*finding.Rule, len(catalogue))
	for i := range catalogue {
		m[catalogue[i].ID] = &catalogue[i]
	}
	return m
}()

// Rules returns the catalogue of Dockerfile checks, sorted by id.
func Rules() []finding.Rule {
	out := make([]finding.Rule, len(catalogue))
	for i, r := range catalogue {
		r.Kind = finding.KindMisconfiguration
		r.References = slices.Clone(r.References)
		r.Mappings = cloneMappings(r.Mappings)
		out[i] = r
	}
	slices.SortFunc(out, func(a, b finding.Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func cloneMappings(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	return out
}
