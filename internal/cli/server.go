package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

// serverOptions are the flags of redline server.
type serverOptions struct {
	listen    string
	dataDir   string
	database  string
	maxUpload string
	sla       string
	grace     time.Duration
	signIn    signInOptions
	// reviewWebhook receives review decisions (--review-webhook).
	reviewWebhook string
	// alertWebhook, alertSlack and alertDingTalk receive new critical
	// findings and SLA breaches (--alert-*).
	alertWebhook, alertSlack, alertDingTalk string
	// trustedProxies are the reverse proxies whose forwarding headers
	// name the client (--trusted-proxy).
	trustedProxies []string
}

// alertNotifiers returns the server's alert targets from the flags or the
// environment variables the scan command reads.
func (o *serverOptions) alertNotifiers() ([]notify.FindingNotifier, error) {
	var ns []notify.FindingNotifier
	for _, a := range []struct{ flag, value, env string }{
		{"--alert-webhook", o.alertWebhook, "REDLINE_ALERT_WEBHOOK"},
		{"--alert-slack", o.alertSlack, "REDLINE_ALERT_SLACK"},
		{"--alert-dingtalk", o.alertDingTalk, "REDLINE_ALERT_DINGTALK"},
	} {
		v := cmp.Or(a.value, os.Getenv(a.env))
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErr(fmt.Errorf("%s %s: want an http(s) URL", a.flag, notify.Redact(v)))
		}
		switch a.flag {
		case "--alert-webhook":
			ns = append(ns, &notify.Webhook{URL: v})
		case "--alert-slack":
			ns = append(ns, &notify.Slack{URL: v})
		default:
			ns = append(ns, &notify.DingTalk{URL: v, Secret: os.Getenv("REDLINE_DINGTALK_SECRET")})
		}
	}
	return ns, nil
}

// defaultDataDir is where the SQLite store lives unless --data-dir says
// otherwise: $XDG_DATA_HOME/redline/server, else ~/.local/share/redline/server.
func defaultDataDir() string {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join("redline-data", "server")
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "redline", "server")
}

// databaseURL is --database, else $REDLINE_DATABASE (which keeps a password
// out of process listings).
func (o *serverOptions) databaseURL() string {
	return cmp.Or(o.database, os.Getenv("REDLINE_DATABASE"))
}

// openStore opens PostgreSQL when a database URL is set, else the SQLite
// store in the data directory.
func (o *serverOptions) openStore(ctx context.Context) (*store.DB, error) {
	if dsn := o.databaseURL(); dsn != "" {
		return store.OpenPostgres(ctx, dsn, store.Options{})
	}
	return store.OpenSQLite(ctx, o.dataDir, store.Options{})
}

func (o *serverOptions) registerStore(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.dataDir, "data-dir", defaultDataDir(), "directory of the embedded SQLite store ("+store.SQLiteFile+")")
	cmd.Flags().StringVar(&o.database, "database", "", "PostgreSQL URL (postgres://user@host/db) instead of SQLite (env REDLINE_DATABASE, which keeps a password out of process listings)")
}

func newServerCmd(g *globals) *cobra.Command {
	var o serverOptions
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the platform server: findings store, lifecycle, KPIs and audit log",
		Long: `Run the Redline server: the place every scan reports to. It keeps one record
per finding and target with its history, moves findings through their
lifecycle (open, in_triage, fixed, accepted, false_positive), computes the
security KPIs and writes every change to an append-only audit log.

Storage is an embedded SQLite file in --data-dir by default (nothing to set
up), or PostgreSQL with --database for several replicas; the schema migrates
itself on start.

Every request needs an API token (Authorization: Bearer rl_…) with the scope
its endpoint asks for: upload, read or admin. On the first start the server
prints a bootstrap admin token once; make the others with
'redline server token create' or POST /api/v1/tokens.

People sign in with OpenID Connect (--oidc-issuer, --oidc-client-id,
--oidc-redirect-url; the secret from REDLINE_OIDC_CLIENT_SECRET) at
/auth/login and get a server-side session in a __Host- cookie; roles come from
an ID-token claim (--oidc-role-map) or 'redline server user grant'. The
server speaks plain HTTP: put it behind TLS, since the session cookie is
Secure. Only on a loopback --listen with an http redirect URL does it fall
back to a development cookie without Secure (and warns).

The API is described at /api/v1/openapi.json. /healthz and /readyz need no
token; /metrics (Prometheus) needs a read token. Logs are JSON lines on
standard error. SIGINT or SIGTERM stops accepting connections and waits for
requests in flight (uploads commit) before exiting.

Alerts: with --alert-webhook, --alert-slack or --alert-dingtalk (or the
REDLINE_ALERT_* variables the scan command reads) the server reports each new
critical finding right after its upload and each finding that crosses its SLA
(checked every 5 minutes), each once, also across restarts and replicas. A
failed delivery is logged and retried on the next sweep; it never fails an
upload.

Behind a reverse proxy or load balancer, name it with --trusted-proxy (a CIDR
prefix or an address; repeat for several). Name only the proxies: any host
inside a trusted prefix can claim any client address. For requests whose TCP peer is
inside one of them, the client address (in the audit log, the sign-in rate
limits and session records) is read from X-Forwarded-For, or from RFC 7239
Forwarded for= when there is no X-Forwarded-For: the rightmost address that
is not itself a trusted proxy. The proxy must append to (or overwrite) that
header. From any other peer both headers are ignored, so clients cannot
choose their own address; a malformed or oversized header (over 4 KiB, or
over 32 trusted hops) also leaves the peer's address.`,
		Example: `  redline server                                   # SQLite in ~/.local/share/redline/server
  redline server --listen 0.0.0.0:8080 --trusted-proxy 10.20.0.0/28 --trusted-proxy 192.0.2.7
  redline server --listen 0.0.0.0:8080 --data-dir /var/lib/redline
  REDLINE_DATABASE=postgres://redline@db/redline redline server
  redline server --sla critical=3,high=14
  REDLINE_ALERT_SLACK=https://hooks.slack.com/services/… redline server
  REDLINE_OIDC_CLIENT_SECRET=… redline server --oidc-issuer https://login.example.com \
      --oidc-client-id redline --oidc-redirect-url https://redline.example.com/auth/callback \
      --oidc-role-map redline-admins=admin,appsec=security,shop-devs=developer@shop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.runServer(cmd.Context(), &o) },
	}
	o.registerStore(cmd)
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to serve on")
	cmd.Flags().StringVar(&o.maxUpload, "max-upload", "64MiB", "largest scan report accepted")
	cmd.Flags().StringVar(&o.sla, "sla", "", "days a finding may stay open, per severity (default critical=7,high=30,medium=90,low=180)")
	cmd.Flags().DurationVar(&o.grace, "shutdown-grace", server.DefaultShutdownGrace, "how long shutdown waits for requests in flight")
	cmd.Flags().StringVar(&o.reviewWebhook, "review-webhook", "", "URL that receives every security review decision as JSON (env REDLINE_REVIEW_WEBHOOK, which keeps a URL token out of process listings)")
	cmd.Flags().StringVar(&o.alertWebhook, "alert-webhook", "", "POST a JSON alert here for new critical findings and SLA breaches (env REDLINE_ALERT_WEBHOOK)")
	cmd.Flags().StringVar(&o.alertSlack, "alert-slack", "", "Slack incoming-webhook URL for new critical findings and SLA breaches (env REDLINE_ALERT_SLACK)")
	cmd.Flags().StringVar(&o.alertDingTalk, "alert-dingtalk", "", "DingTalk robot webhook URL for new critical findings and SLA breaches (env REDLINE_ALERT_DINGTALK; its signing secret from env REDLINE_DINGTALK_SECRET)")
	cmd.Flags().StringArrayVar(&o.trustedProxies, "trusted-proxy", nil, "reverse proxy (CIDR or address, repeatable) whose X-Forwarded-For / Forwarded header names the client; others' are ignored")
	o.signIn.register(cmd)
	cmd.AddCommand(newServerBackupCmd(g), newServerTokenCmd(g), newServerUserCmd(g))
	return cmd
}

func (g *globals) runServer(ctx context.Context, o *serverOptions) error {
	maxUpload, err := parseSize("--max-upload", o.maxUpload)
	if err != nil || maxUpload <= 0 {
		return usageErr(fmt.Errorf("--max-upload %q: want a positive size such as 64MiB", o.maxUpload))
	}
	sla, err := store.ParseSLA(o.sla)
	if err != nil {
		return usageErr(fmt.Errorf("--sla: %w", err))
	}
	level := slog.LevelInfo
	switch {
	case g.debug:
		level = slog.LevelDebug
	case g.quiet:
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewJSONHandler(g.stderr, &slog.HandlerOptions{Level: level}))
	st, err := o.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if ok, err := st.SearchIndexed(ctx); err != nil {
		log.Warn("cannot check the search index", "err", err)
	} else if !ok {
		log.Warn("free-text search is not indexed: the pg_trgm extension was not available when the schema migrated; install PostgreSQL's contrib extensions and create the index of migration 0006 to make q= fast")
	}
	secret, err := st.BootstrapToken(ctx)
	if err != nil {
		return err
	}
	if secret != "" {
		// Printed once, outside the JSON log, for the person starting it.
		fmt.Fprintf(g.stderr, "\nBootstrap admin token (shown only now; keep it in a secret store):\n\n    %s\n\n", secret)
	}
	cfg := server.Config{Store: st, Logger: log, MaxUpload: maxUpload, SLA: sla, ShutdownGrace: o.grace,
		ReviewWebhook: cmp.Or(o.reviewWebhook, os.Getenv("REDLINE_REVIEW_WEBHOOK"))}
	if u, err := url.Parse(cfg.ReviewWebhook); cfg.ReviewWebhook != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return usageErr(fmt.Errorf("--review-webhook %s: want an http(s) URL", notify.Redact(cfg.ReviewWebhook)))
	}
	if cfg.Alerts, err = o.alertNotifiers(); err != nil {
		return err
	}
	if cfg.TrustedProxies, err = server.ParseTrustedProxies(o.trustedProxies); err != nil {
		return usageErr(fmt.Errorf("--trusted-proxy: %w", err))
	}
	if err := o.signIn.apply(&cfg, o.listen, log); err != nil {
		return err
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return usageErr(fmt.Errorf("listen on %s: %w", o.listen, err))
	}
	log.Info("store open", "engine", st.Engine(), "schema_version", store.SchemaVersion())
	return srv.Run(ctx, l)
}

func newServerBackupCmd(g *globals) *cobra.Command {
	var o serverOptions
	cmd := &cobra.Command{
		Use:   "backup OUT",
		Short: "Copy the SQLite store to a file while the server runs",
		Long: `Write a consistent copy of the server's SQLite store to OUT (which must not
exist), with SQLite's VACUUM INTO. The server can keep running: readers are
not blocked, writers wait while the copy is made. To restore, stop the server
and put the copy in place of ` + store.SQLiteFile + ` in the data directory.

PostgreSQL stores are backed up with PostgreSQL's own tools (pg_dump).`,
		Example: `  redline server backup --data-dir /var/lib/redline /backup/redline-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.databaseURL() != "" {
				return usageErr(errors.New("backup copies the SQLite store; back up PostgreSQL with pg_dump"))
			}
			if _, err := os.Stat(filepath.Join(o.dataDir, store.SQLiteFile)); err != nil {
				return usageErr(fmt.Errorf("no store in %s: %w", o.dataDir, err))
			}
			st, err := store.OpenSQLite(cmd.Context(), o.dataDir, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Backup(cmd.Context(), args[0]); err != nil {
				return err
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "backed up %s to %s\n", filepath.Join(o.dataDir, store.SQLiteFile), args[0])
			}
			return nil
		},
	}
	o.registerStore(cmd)
	return cmd
}

func newServerTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens directly in the store",
		Long: `Manage API tokens in the server's store without going through the API (for
setting up CI before anyone has signed in). Secrets are stored only as
SHA-256 hashes; a new token's secret is printed once, on standard output.`,
	}
	var o serverOptions
	var name, product string
	var scopes []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token and print its secret once",
		Example: `  redline server token create --name github-ci --scope upload
  redline server token create --name dashboard --scope read`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := o.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			secret, tok, err := st.CreateToken(cmd.Context(), store.NewToken{Name: name, Scopes: scopes, Product: product, CreatedBy: "cli"})
			if errors.Is(err, store.ErrInvalid) {
				return usageErr(err)
			}
			if err != nil {
				return err
			}
			if err := st.AppendAudit(cmd.Context(), store.AuditEntry{Actor: "cli", Action: "create token", Object: fmt.Sprintf("token %d", tok.ID),
				Remote: "local", Detail: "name " + tok.Name + ", scopes " + strings.Join(tok.Scopes, ",")}); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, secret)
			if !g.quiet {
				fmt.Fprintf(g.stderr, "token %d %q with scopes %s; the secret above is shown only now\n", tok.ID, tok.Name, strings.Join(tok.Scopes, ","))
			}
			return nil
		},
	}
	o.registerStore(create)
	create.Flags().StringVar(&name, "name", "", "unique name of the token (it is the actor in the audit log)")
	create.Flags().StringSliceVar(&scopes, "scope", []string{store.ScopeUpload}, "scopes: upload, read, admin (repeatable)")
	create.Flags().StringVar(&product, "product", "", "bind the token to one product (default: every product)")
	_ = create.MarkFlagRequired("name")

	var lo serverOptions
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := lo.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			toks, err := st.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			for _, t := range toks {
				state := "active"
				if t.RevokedAt != nil {
					state = "revoked " + t.RevokedAt.Format(time.DateOnly)
				}
				fmt.Fprintf(g.stdout, "%d\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), state)
			}
			return nil
		},
	}
	lo.registerStore(list)

	var ro serverOptions
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var id int64
			if _, err := fmt.Sscan(args[0], &id); err != nil || id <= 0 {
				return usageErr(fmt.Errorf("token id %q: want a number", args[0]))
			}
			st, err := ro.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeToken(cmd.Context(), id, "cli"); err != nil {
				return err
			}
			return st.AppendAudit(cmd.Context(), store.AuditEntry{Actor: "cli", Action: "revoke token", Object: fmt.Sprintf("token %d", id), Remote: "local"})
		},
	}
	ro.registerStore(revoke)
	cmd.AddCommand(create, list, revoke)
	return cmd
}
