package secret

import (
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
)

// manual holds samples for rules whose shape the regexp alone does not
// fix (a validity check, a multi-line format). All values are made up.
var manual = map[string][2]string{ // id → {true positive, true negative}
	"jwt": {
		"auth: " + fakeJWT(`{"alg":"HS256","typ":"JWT"}`),
		"auth: " + fakeJWT(`{"typ":"JWT","kid":"x"}`), // no alg: not a JWT header
	},
	"docker-config-auth": {
		`{"auths": {"registry.example.com": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("robot:Zq8#vL2pXr9w")) + `"}}}`,
		`{"auths": {"registry.example.com": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("robot-only")) + `"}}}`,
	},
	"kubernetes-secret-manifest": {
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: UzNjcjN0LXZhbHVl\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  password: UzNjcjN0LXZhbHVl\n---\nkind: Secret\nmetadata:\n  name: empty\n",
	},
	"npmrc-auth-token": {
		"//registry.npmjs.org/:_authToken=Zk3p9QmX2vL8rT5wYb7N\n",
		"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
	},
}

// negatives replaces the generated true negative (half a secret) for
// rules whose length range is wide: here the negative is a placeholder.
var negatives = map[string]string{
	"postgres-url-password":   "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app",
	"mysql-url-password":      "mysql://root:<password>@localhost:3306/app",
	"mongodb-url-password":    "mongodb+srv://app:%s@cluster0.mongodb.net/app",
	"redis-url-password":      "redis://:{{ .Values.redis.password }}@redis:6379/0",
	"amqp-url-password":       "amqp://guest:guest@localhost:5672/",
	"sqlserver-url-password":  "sqlserver://sa:${SA_PASSWORD}@localhost:1433",
	"jdbc-url-password":       "jdbc:postgresql://db/app?user=app&password=${DB_PASSWORD}",
	"url-basic-auth":          "https://user:pass@example.com/",
	"curl-basic-auth":         "curl -u admin:$ADMIN_TOKEN https://api.example.com",
	"maven-settings-password": "<password>${env.REPO_PASSWORD}</password>",
	"nuget-config-password":   `<add key="ClearTextPassword" value="%NUGET_PASSWORD%" />`,
	"github-refresh-token":    "ghr_tooShort123",
	"slack-workspace-token":   "xoxa-short",
}

var defaultDetector = sync.OnceValue(func() *Detector { return NewDetector(Default()) })

func fakeJWT(header string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(`{"sub":"1234567890","name":"Test Person"}`)) + ".c2lnbmF0dXJlLW5vdC1yZWFs"
}

func ruleIDs(ms []Match) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Rule.ID)
	}
	return ids
}

// Every rule has a true positive and a true negative sample.
func TestEveryRuleHasSamples(t *testing.T) {
	rs := Default()
	det := NewDetector(rs)
	for i, r := range rs.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			tp, tn, path := samples(t, r, uint64(i))
			got := ruleIDs(det.Detect(path, []byte(tp)))
			if len(r.Paths) > 0 && r.Regex == nil {
				got = ruleIDs(det.DetectPath(path))
			}
			if !slices.Contains(got, r.ID) {
				t.Errorf("true positive not found\nsample: %q\ngot: %v", tp, got)
			}
			got = ruleIDs(det.Detect(path, []byte(tn)))
			if len(r.Paths) > 0 && r.Regex == nil {
				got = ruleIDs(det.DetectPath(tn))
			}
			if slices.Contains(got, r.ID) {
				t.Errorf("true negative reported\nsample: %q\ngot: %v", tn, got)
			}
		})
	}
}

// samples returns a true positive, a true negative and the path to scan them as.
func samples(t *testing.T, r *Rule, seed uint64) (tp, tn, path string) {
	t.Helper()
	path = "src/app.conf"
	if len(r.Paths) > 0 {
		path = strings.ReplaceAll(strings.ReplaceAll(r.Paths[0], "**/", "app/"), "*", "x")
	}
	if s, ok := manual[r.ID]; ok {
		return s[0], s[1], path
	}
	switch {
	case r.Regex == nil && len(r.Paths) > 0: // path-only
		return "", "app/cert.pem", path
	case len(r.Requires) > 0:
		id := sampleFor(t, Default().rules[Default().byID[r.Requires[0]]], seed)
		sec := sampleFor(t, Default().rules[Default().byID[r.Requires[1]]], seed+1)
		return id + "\n" + sec + "\n", id + strings.Repeat("\n", r.Within+2) + sec + "\n", path
	}
	tp = sampleFor(t, r, seed)
	if n, ok := negatives[r.ID]; ok {
		return tp, n, path
	}
	for _, m := range defaultDetector().Detect(path, []byte(tp)) {
		if m.Rule == r {
			// Cut the secret in half: the shape no longer fits.
			return tp, tp[:m.Start] + tp[m.Start:m.Start+(m.End-m.Start)/2] + tp[m.End:], path
		}
	}
	return tp, "", path
}

func sampleFor(t *testing.T, r *Rule, seed uint64) string {
	t.Helper()
	s := newSampler(seed)
	for try := range 20 {
		v, err := s.sample(r.Regex.String())
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		if try == 19 || shannon(v) > 0 && (r.check == nil || func() bool {
			_, sec := secretOf(r, v)
			return r.check(sec)
		}()) {
			return v
		}
	}
	return ""
}

func secretOf(r *Rule, v string) (int, string) {
	loc := r.Regex.FindStringSubmatchIndex(v)
	if loc == nil {
		return -1, ""
	}
	s, e := secretSpan(r, loc)
	if s < 0 {
		return -1, ""
	}
	return s, v[s:e]
}

func TestRuleCatalogue(t *testing.T) {
	cat := Rules()
	if len(cat) < 150 {
		t.Errorf("%d rules, want at least 150", len(cat))
	}
	for i, r := range cat {
		if i > 0 && cat[i-1].ID >= r.ID {
			t.Errorf("not sorted or duplicate: %s before %s", cat[i-1].ID, r.ID)
		}
		if r.Kind != "secret" || r.Title == "" || r.Rationale == "" || !strings.Contains(r.Remediation, "Rotate") {
			t.Errorf("%s: incomplete catalogue entry %+v", r.ID, r)
		}
		if strings.ToLower(r.ID) != r.ID || strings.ContainsAny(r.ID, " _") {
			t.Errorf("%s: id is not kebab-case", r.ID)
		}
	}
	for _, id := range []string{"aws-access-key-id", "aws-secret-access-key", "aws-access-key-pair", "gcp-service-account-key", "gcp-api-key",
		"azure-storage-account-key", "azure-sas-token", "azure-ad-client-secret", "alibaba-access-key-id", "alibaba-access-key-secret",
		"tencent-cloud-secret-id", "huawei-cloud-access-key-id", "github-pat", "github-fine-grained-pat", "github-app-installation-token",
		"github-app-user-token", "github-oauth-token", "github-refresh-token", "gitlab-pat", "slack-bot-token", "slack-webhook-url",
		"dingtalk-robot-webhook", "dingtalk-robot-sign-secret", "stripe-secret-key", "twilio-api-key", "sendgrid-api-token",
		"npm-access-token", "npmrc-auth-token", "pypi-upload-token", "docker-config-auth", "private-key-rsa", "private-key-openssh",
		"private-key-pgp", "private-key-encrypted", "pkcs12-file", "jwt", "postgres-url-password", "mongodb-url-password",
		"url-basic-auth", "kubernetes-secret-manifest", "generic-password"} {
		if _, ok := Default().byID[id]; !ok {
			t.Errorf("missing rule %s", id)
		}
	}
}
