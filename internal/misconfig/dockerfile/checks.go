package dockerfile

import (
	"cmp"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is one check that failed at one instruction.
type result struct {
	rule     string
	line     int
	evidence string
}

// checker runs every check over one parsed Dockerfile.
type checker struct {
	stages  []stage
	shipped map[int]bool // stages whose layers end up in the final image
	results []result
}

// check runs every check and returns the failures in file order.
func check(df *Dockerfile) []result {
	c := &checker{stages: splitStages(df), shipped: map[int]bool{}}
	if len(c.stages) == 0 {
		return nil
	}
	final := len(c.stages) - 1
	for _, i := range chain(c.stages, final) {
		c.shipped[i] = true
	}
	for _, in := range df.Instructions {
		if in.Cmd == "MAINTAINER" {
			c.add(ruleMaintainer, &in, in.Text())
		}
	}
	names := map[string]bool{}
	shellOf := make([][]string, len(c.stages))
	for i := range c.stages {
		s := &c.stages[i]
		if s.name != "" {
			if names[s.name] {
				c.add(ruleDuplicateStage, s.from, s.from.Text())
			}
			names[s.name] = true
		}
		c.checkFrom(s)
		var shell []string
		if s.parent >= 0 {
			shell = shellOf[s.parent]
		}
		shellOf[i] = c.checkStage(i, shell)
	}
	c.checkFinal(final)
	slices.SortStableFunc(c.results, func(a, b result) int {
		if a.line != b.line {
			return cmp.Compare(a.line, b.line)
		}
		return strings.Compare(a.rule, b.rule)
	})
	return c.results
}

func (c *checker) add(rule string, in *Instruction, evidence string) {
	c.results = append(c.results, result{rule: rule, line: in.Line, evidence: truncate(evidence, 200)})
}

func (c *checker) checkFrom(s *stage) {
	if s.image == "" || s.parent >= 0 || s.isScratch() {
		return
	}
	_, tag, digest := imageRef(s.image)
	if digest != "" {
		return
	}
	if tag == "" || tag == "latest" {
		c.add(ruleLatestTag, s.from, s.from.Text())
	}
	c.add(ruleNoDigest, s.from, s.from.Text())
}

// checkStage runs the per-instruction checks of stage i, starting with the
// SHELL inherited from its parent, and returns the SHELL in effect at its end.
func (c *checker) checkStage(i int, shell []string) []string {
	s := &c.stages[i]
	final := i == len(c.stages)-1
	pipNoCache := false
	var cmds, entrypoints int
	for _, in := range s.body {
		switch in.Cmd {
		case "SHELL":
			if in.Exec != nil {
				shell = in.Exec
			}
		case "RUN":
			c.checkRun(in, shell, c.shipped[i], pipNoCache)
		case "ENV", "ARG":
			defs := envDefs(in.Args)
			if in.Cmd == "ARG" {
				defs = argDefs(in.Args)
			}
			for _, kv := range defs {
				if kv.key == "PIP_NO_CACHE_DIR" && kv.value != "" {
					pipNoCache = true
				}
				if kv.literal && secretName(kv.key) && literalSecret(kv.value) {
					c.add(ruleSecretEnv, in, in.Cmd+" "+kv.key+"="+redact(kv.value))
				}
			}
		case "COPY", "ADD":
			c.checkCopy(in)
		case "EXPOSE":
			for _, p := range shellWords(in.Args) {
				if exposes22(p) {
					c.add(ruleExposeSSH, in, in.Text())
					break
				}
			}
		case "WORKDIR":
			if !absolutePath(unquote(in.Args)) {
				c.add(ruleRelativeWorkdir, in, in.Text())
			}
		case "CMD", "ENTRYPOINT":
			n := &cmds
			if in.Cmd == "ENTRYPOINT" {
				n = &entrypoints
			}
			*n++
			if *n > 1 {
				c.add(ruleMultipleCmd, in, in.Text())
			}
			if final && in.Exec == nil {
				c.add(ruleShellForm, in, in.Text())
			}
		}
	}
	return shell
}

// checkFinal runs the checks about the image the Dockerfile produces.
func (c *checker) checkFinal(final int) {
	var user, health *Instruction
	nonroot := false
	for _, i := range chain(c.stages, final) {
		s := &c.stages[i]
		for j := len(s.body) - 1; j >= 0; j-- {
			in := s.body[j]
			if in.Cmd == "USER" && user == nil {
				user = in
			}
			if in.Cmd == "HEALTHCHECK" && health == nil {
				health = in
			}
		}
		if s.parent < 0 && strings.Contains(strings.ToLower(s.image), "nonroot") {
			nonroot = true // distroless :nonroot and similar set a user
		}
	}
	from := c.stages[final].from
	switch {
	case user == nil && !nonroot:
		c.add(ruleNoUser, from, from.Text())
	case user != nil && isRoot(user.Args):
		c.add(ruleRootUser, user, user.Text())
	}
	if health == nil {
		c.add(ruleNoHealthcheck, from, from.Text())
	}
}

func isRoot(args string) bool {
	u, _, _ := strings.Cut(strings.TrimSpace(unquote(args)), ":")
	return u == "root" || u == "0"
}

var remoteScript = regexp.MustCompile(`(?:^|[\s;&|(])(?:ba|z|da|k|a)?sh\s+(?:-\S+\s+)*["']?(?:<|\$)\(\s*(?:curl|wget)\s`)

// checkRun runs the checks of one RUN.
func (c *checker) checkRun(in *Instruction, shell []string, shipped, pipNoCache bool) {
	if len(shell) > 0 && !shells[path.Base(shell[0])] {
		return // PowerShell or cmd: the shell checks do not apply
	}
	cmds := runCommands(in)
	text := in.Args
	for _, h := range in.Heredocs {
		text += "\n" + h.Body
	}
	mounts := cacheMounts(in)
	var (
		aptUpdate, aptInstall, aptListsRemoved bool
		apkUpdate, apkAdd                      bool
		rpmInstall, rpmClean                   bool
		pipeline, curlPipe, cd, sudo, sshd     bool
		world                                  bool
		pipUncached, apkUncached               bool
		apkCacheRemoved                        bool
		noRecommends, noYes, upgrade, apt      bool
	)
	// intoShell[k] is set when command k pipes, directly or through later
	// commands of its pipeline, into a shell.
	intoShell := make([]bool, len(cmds))
	for k := len(cmds) - 2; k >= 0; k-- {
		intoShell[k] = cmds[k].pipeTo && (shells[cmds[k+1].name()] || intoShell[k+1])
	}
	for k, cmd := range cmds {
		sudo = sudo || cmd.sudo
		if cmd.pipeTo {
			pipeline = true
		}
		switch name := cmd.name(); name {
		case "curl", "wget":
			curlPipe = curlPipe || intoShell[k]
		case "cd":
			cd = true
		case "chmod":
			world = world || worldWritableArgs(cmd.args())
		case "rm":
			for _, a := range cmd.args() {
				if strings.HasPrefix(a, "/var/lib/apt/lists") {
					aptListsRemoved = true
				}
				if strings.HasPrefix(a, "/var/cache/apk") {
					apkCacheRemoved = true
				}
				if strings.HasPrefix(a, "/var/cache/yum") || strings.HasPrefix(a, "/var/cache/dnf") || strings.HasPrefix(a, "/var/cache/zypp") {
					rpmClean = true
				}
			}
		case "apt-get", "apt":
			apt = apt || name == "apt"
			switch cmd.subcommand() {
			case "update":
				aptUpdate = true
			case "upgrade", "dist-upgrade", "full-upgrade":
				upgrade = true
				aptInstall = true
			case "install":
				aptInstall = true
				if !cmd.has("--no-install-recommends") && !anyContains(cmd.args(), "Install-Recommends=false", "Install-Recommends=0", "Install-Recommends=\"false\"") {
					noRecommends = true
				}
				if !aptYes(cmd) && (k == 0 || !cmds[k-1].pipeTo || cmds[k-1].name() != "yes") {
					noYes = true
				}
				sshd = sshd || installs(cmd, "openssh-server", "dropbear", "dropbear-bin")
			}
		case "apk":
			switch cmd.subcommand() {
			case "update":
				apkUpdate = true
			case "add":
				apkAdd = true
				if !cmd.has("--no-cache") {
					apkUncached = true
				}
				sshd = sshd || installs(cmd, "openssh-server", "dropbear")
			}
		case "yum", "dnf", "microdnf", "zypper":
			switch sub := cmd.subcommand(); sub {
			case "install", "in", "groupinstall", "reinstall":
				rpmInstall = true
				sshd = sshd || installs(cmd, "openssh-server", "dropbear")
			case "clean", "cc":
				rpmClean = true
			}
		default:
			if isPip(cmd) && pipSub(cmd) == "install" && !cmd.has("--no-cache-dir") {
				pipUncached = true
			}
		}
	}
	if !curlPipe && (strings.Contains(text, "curl") || strings.Contains(text, "wget")) && remoteScript.MatchString(text) {
		curlPipe = true
	}
	if curlPipe {
		c.add(ruleCurlPipeShell, in, in.Text())
	}
	if sudo {
		c.add(ruleSudo, in, in.Text())
	}
	if upgrade {
		c.add(ruleAptUpgrade, in, in.Text())
	}
	if noRecommends {
		c.add(ruleNoRecommends, in, in.Text())
	}
	if noYes {
		c.add(ruleAptNoYes, in, in.Text())
	}
	if shipped && aptUpdate && !aptListsRemoved && !mounted(mounts, "/var/lib/apt") {
		c.add(ruleAptLists, in, in.Text())
	}
	if shipped && apkUncached && !apkCacheRemoved && !mounted(mounts, "/var/cache/apk") {
		c.add(ruleApkCache, in, in.Text())
	}
	if shipped && pipUncached && !pipNoCache && !mounted(mounts, "/root/.cache") && !mounted(mounts, ".cache/pip") {
		c.add(rulePipCache, in, in.Text())
	}
	if shipped && rpmInstall && !rpmClean && !mounted(mounts, "/var/cache/") {
		c.add(ruleRpmCache, in, in.Text())
	}
	if world {
		c.add(ruleWorldWritable, in, in.Text())
	}
	if cd {
		c.add(ruleCd, in, in.Text())
	}
	if (aptUpdate && !aptInstall) || (apkUpdate && !apkAdd) {
		c.add(ruleUpdateAlone, in, in.Text())
	}
	if apt {
		c.add(ruleApt, in, in.Text())
	}
	if sshd {
		c.add(ruleSSHServer, in, in.Text())
	}
	if pipeline && in.Exec == nil && !strings.Contains(text, "pipefail") && !containsWord(shell, "pipefail") {
		c.add(rulePipefail, in, in.Text())
	}
}

// runCommands splits a RUN into simple commands. A here-document body is
// the script when the RUN line itself runs only a shell (RUN <<EOF, RUN bash <<EOF).
func runCommands(in *Instruction) []command {
	if in.Exec != nil {
		if len(in.Exec) == 0 {
			return nil
		}
		if shells[path.Base(in.Exec[0])] {
			if s, ok := dashC(in.Exec[1:]); ok {
				return splitScript(s)
			}
		}
		cmd, ok := simplify(in.Exec)
		if !ok {
			return nil
		}
		return []command{cmd}
	}
	cmds := splitScript(in.Args)
	if len(in.Heredocs) > 0 && (len(cmds) == 0 || len(cmds) == 1 && shells[cmds[0].name()]) {
		for _, h := range in.Heredocs {
			cmds = append(cmds, splitScript(h.Body)...)
		}
	}
	return cmds
}

// cacheMounts returns the targets of RUN --mount=type=cache.
func cacheMounts(in *Instruction) []string {
	var out []string
	for _, f := range in.Flags {
		v, ok := strings.CutPrefix(f, "--mount=")
		if !ok || !strings.Contains(v, "type=cache") {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			if k == "target" || k == "dst" || k == "destination" {
				out = append(out, val)
			}
		}
	}
	return out
}

func mounted(targets []string, dir string) bool {
	for _, t := range targets {
		if strings.HasPrefix(t, dir) || strings.Contains(t, dir) {
			return true
		}
	}
	return false
}

func anyContains(words []string, subs ...string) bool {
	for _, w := range words {
		for _, s := range subs {
			if strings.Contains(w, s) {
				return true
			}
		}
	}
	return false
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// aptYes reports whether apt-get runs non-interactively: -y, --yes,
// --assume-yes, -qq or -q=2 (which imply -y), alone or in combined flags.
func aptYes(cmd command) bool {
	for _, a := range cmd.args() {
		switch {
		case a == "--yes" || a == "--assume-yes" || a == "--force-yes" || a == "-q=2" || a == "--quiet=2":
			return true
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--"):
			if strings.ContainsRune(a, 'y') || strings.Count(a, "q") >= 2 {
				return true
			}
		}
	}
	return false
}

// installs reports whether an install command names one of the packages
// (optionally with a =version suffix).
func installs(cmd command, pkgs ...string) bool {
	for _, a := range cmd.args() {
		name, _, _ := strings.Cut(a, "=")
		for _, p := range pkgs {
			if name == p {
				return true
			}
		}
	}
	return false
}

// isPip reports whether cmd runs pip (pip, pip3, pip3.12, python -m pip).
func isPip(cmd command) bool {
	n := cmd.name()
	if n == "pip" || strings.HasPrefix(n, "pip3") || strings.HasPrefix(n, "pip2") {
		return true
	}
	a := cmd.args()
	return strings.HasPrefix(n, "python") && len(a) >= 2 && a[0] == "-m" && a[1] == "pip"
}

func pipSub(cmd command) string {
	a := cmd.args()
	if strings.HasPrefix(cmd.name(), "python") {
		a = a[2:]
	}
	for _, w := range a {
		if !strings.HasPrefix(w, "-") {
			return w
		}
	}
	return ""
}

// worldWritableArgs reports whether chmod arguments grant write to others.
// Sticky-bit modes (chmod 1777 /tmp) are the accepted idiom for shared
// temporary directories and are not reported.
func worldWritableArgs(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "-") && !strings.ContainsAny(a, "+=") {
			continue
		}
		if worldWritableMode(a) {
			return true
		}
	}
	return false
}

// worldWritableMode reports whether a chmod mode, octal or symbolic, grants
// write permission to others (without the sticky bit).
func worldWritableMode(m string) bool {
	if m == "" {
		return false
	}
	if m[0] >= '0' && m[0] <= '7' {
		v, err := strconv.ParseUint(m, 8, 16)
		if err != nil {
			return false
		}
		return v&0o002 != 0 && v&0o1000 == 0
	}
	for _, clause := range strings.Split(m, ",") {
		i := 0
		for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
			i++
		}
		who := clause[:i]
		rest := clause[i:]
		if len(rest) < 2 || (rest[0] != '+' && rest[0] != '=') {
			continue
		}
		if strings.ContainsAny(who, "oa") && strings.ContainsAny(rest[1:], "w") && !strings.Contains(rest[1:], "t") {
			return true
		}
	}
	return false
}

// checkCopy runs the COPY and ADD checks.
func (c *checker) checkCopy(in *Instruction) {
	if v, ok := in.Flag("chmod"); ok && worldWritableMode(v) {
		c.add(ruleWorldWritable, in, in.Text())
	}
	srcs := sources(in)
	for _, s := range srcs {
		if keyMaterial(s) {
			c.add(ruleCopyKey, in, in.Text())
			break
		}
	}
	if in.Cmd != "ADD" || len(srcs) == 0 {
		return
	}
	local := true
	for _, s := range srcs {
		if !isRemote(s) {
			if isArchive(s) || strings.HasPrefix(s, "<<") || strings.Contains(s, "$") {
				local = false
			}
			continue
		}
		local = false
		if _, ok := in.Flag("checksum"); !ok && !pinnedGit(s) {
			c.add(ruleAddURL, in, in.Text())
			return
		}
	}
	if local {
		c.add(ruleAddNotCopy, in, in.Text())
	}
}

func isRemote(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"http://", "https://", "git@", "git://", "ssh://"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

var commitHash = regexp.MustCompile(`#[0-9a-f]{40}(?::|$)`)

// pinnedGit reports whether a git source names a full commit hash.
func pinnedGit(s string) bool {
	return strings.Contains(s, ".git") && commitHash.MatchString(s)
}

func isArchive(s string) bool {
	l := strings.ToLower(s)
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.lz", ".tar.lzma"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return false
}

// keyMaterial reports whether a COPY/ADD source looks like a private key or
// credentials file. Public certificates (*.pem, *.crt) are not reported
// unless the name says key.
func keyMaterial(src string) bool {
	b := baseName(src)
	switch b {
	case "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",
		".env", ".netrc", "_netrc", ".npmrc", ".pypirc", ".git-credentials", ".pgpass",
		"credentials", "credentials.json", ".dockercfg", "kubeconfig", ".htpasswd",
		"secrets.yaml", "secrets.yml", "secrets.json", "service-account.json":
		return true
	case ".env.example", ".env.sample", ".env.template", ".env.dist":
		return false
	}
	if strings.HasPrefix(b, ".env.") {
		return true
	}
	p := strings.ToLower(strings.ReplaceAll(src, "\\", "/"))
	if strings.HasSuffix(p, ".docker/config.json") || strings.HasSuffix(p, ".kube/config") || strings.HasSuffix(p, ".aws/credentials") {
		return true
	}
	for _, ext := range []string{".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk"} {
		if strings.HasSuffix(b, ext) {
			return true
		}
	}
	return strings.HasSuffix(b, ".pem") && (strings.Contains(b, "key") || strings.Contains(b, "priv"))
}

// exposes22 reports whether an EXPOSE port spec (22, 22/tcp, 20-25) covers
// port 22.
func exposes22(spec string) bool {
	p, _, _ := strings.Cut(spec, "/")
	lo, hi, isRange := strings.Cut(p, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return false
	}
	if !isRange {
		return a == 22
	}
	b, err := strconv.Atoi(hi)
	return err == nil && a <= 22 && 22 <= b
}

var windowsAbs = regexp.MustCompile(`^[A-Za-z]:[\\/]`)

// absolutePath reports whether a WORKDIR is absolute (variables are given
// the benefit of the doubt).
func absolutePath(p string) bool {
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, "$") || strings.HasPrefix(p, `\`) || windowsAbs.MatchString(p)
}

// secretWords mark a variable name as holding a credential.
var secretWords = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH_KEY"}

// notSecretSuffixes mark names that point to a secret rather than hold one.
var notSecretSuffixes = []string{"_FILE", "_PATH", "_DIR", "_LENGTH", "_LEN", "_TTL", "_EXPIRY", "_TIMEOUT", "_URL", "_URI", "_ENDPOINT", "_HEADER", "_NAME", "_ID", "_TYPE", "_SIZE", "_ENABLED"}

func secretName(name string) bool {
	n := strings.ToUpper(name)
	for _, s := range notSecretSuffixes {
		if strings.HasSuffix(n, s) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var varRef = regexp.MustCompile(`^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[^}]*\})$`)

// literalSecret reports whether a value is a literal that could be a
// credential: not empty, not a variable reference, a path or a boolean.
func literalSecret(v string) bool {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "true", "false", "yes", "no", "none", "null", "on", "off":
		return false
	}
	return !varRef.MatchString(v) && !strings.HasPrefix(v, "/")
}

// redact keeps at most the first and last two characters of a secret.
func redact(v string) string {
	if len(v) < 12 {
		return "****"
	}
	return v[:2] + "****" + v[len(v)-2:]
}
