package cli

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/server"
	"github.com/redline-sec/redline/internal/store"
)

// signInOptions are the sign-in flags of redline server.
type signInOptions struct {
	issuer, clientID, clientSecret, redirectURL string
	roleClaim, roleMap                          string
	sessionTTL, sessionIdle                     time.Duration
}

func (o *signInOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.issuer, "oidc-issuer", "", "OpenID Connect issuer URL; enables sign-in for people")
	f.StringVar(&o.clientID, "oidc-client-id", "", "OIDC client id of this server")
	f.StringVar(&o.clientSecret, "oidc-client-secret", "", "OIDC client secret (prefer env REDLINE_OIDC_CLIENT_SECRET, which keeps it out of process listings)")
	f.StringVar(&o.redirectURL, "oidc-redirect-url", "", "this server's /auth/callback URL as browsers reach it (https://redline.example/auth/callback)")
	f.StringVar(&o.roleClaim, "oidc-role-claim", "groups", "ID-token claim whose values --oidc-role-map maps to roles")
	f.StringVar(&o.roleMap, "oidc-role-map", "", "claim value to role: value=role or value=role@product, comma-separated (redline-admins=admin,appsec=security)")
	f.DurationVar(&o.sessionTTL, "session-ttl", server.DefaultSessionTTL, "longest life of a sign-in session")
	f.DurationVar(&o.sessionIdle, "session-idle", server.DefaultSessionIdle, "a session unused this long ends")
}

// apply puts the sign-in settings into cfg. Sessions use __Host- cookies
// marked Secure, so the redirect URL must be https; a plain-http redirect
// URL is allowed only while the server listens on loopback (development),
// and then the cookie loses its prefix and Secure, with a warning.
func (o *signInOptions) apply(cfg *server.Config, listen string, log *slog.Logger) error {
	cfg.SessionTTL, cfg.SessionIdle = o.sessionTTL, o.sessionIdle
	if o.issuer == "" {
		if o.clientID != "" || o.redirectURL != "" || o.roleMap != "" {
			return usageErr(errors.New("--oidc-client-id, --oidc-redirect-url and --oidc-role-map need --oidc-issuer"))
		}
		return nil
	}
	if o.clientID == "" || o.redirectURL == "" {
		return usageErr(errors.New("--oidc-issuer needs --oidc-client-id and --oidc-redirect-url"))
	}
	roles, err := server.ParseRoleMap(o.roleMap)
	if err != nil {
		return usageErr(fmt.Errorf("--oidc-role-map: %w", err))
	}
	red, err := url.Parse(o.redirectURL)
	if err != nil || red.Host == "" {
		return usageErr(fmt.Errorf("--oidc-redirect-url %q: want an absolute URL", o.redirectURL))
	}
	switch red.Scheme {
	case "https":
	case "http":
		if !loopback(listen) {
			return usageErr(fmt.Errorf("--oidc-redirect-url %q is plain http: session cookies must be Secure; serve behind TLS (plain http only on a loopback --listen, for development)", o.redirectURL))
		}
		cfg.DevCookies = true
		log.Warn("development mode: plain-http sign-in on loopback; the session cookie is not Secure and has no __Host- prefix. Never expose this server like this.",
			"listen", listen, "redirect_url", o.redirectURL)
	default:
		return usageErr(fmt.Errorf("--oidc-redirect-url %q: want https", o.redirectURL))
	}
	cfg.OIDC = &server.OIDCConfig{Issuer: o.issuer, ClientID: o.clientID, RedirectURL: o.redirectURL, RoleClaim: o.roleClaim, RoleMap: roles,
		ClientSecret: cmp.Or(o.clientSecret, os.Getenv("REDLINE_OIDC_CLIENT_SECRET"))}
	return nil
}

// loopback reports whether a listen address serves this host only.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newServerUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Grant and revoke roles of people directly in the store",
		Long: `Manage the roles of people who sign in with OIDC, directly in the server's
store (for setting up the first admin, or before someone's first sign-in).

Roles are viewer (read), developer (read, upload, triage findings), security
(developer, plus accepting risks and approving reviews) and admin
(everything, including tokens, users and the audit log). A role holds on one
product (--product), or on every product when --product is not given.

A grant for an email nobody has signed in with yet prepares an account: the
first sign-in whose ID token carries that email, marked verified, claims it.
Roles mapped from ID-token claims (--oidc-role-map) are kept apart and
replaced at every sign-in; roles granted here stay until revoked. Every
change is written to the audit log.`,
	}
	var o serverOptions
	var email, role, product string
	grant := &cobra.Command{
		Use:   "grant",
		Short: "Give a person a role, on one product or on all",
		Long: `Give the person with --email a role on --product (every product when it is
not given). Nobody has to have signed in yet: the grant prepares an account
that the first sign-in with this email, verified by the provider, claims.
Use it to make the first admin before anyone signs in. The change is written
to the audit log (actor "cli").`,
		Example: `  redline server user grant --email alice@example.com --role admin
  redline server user grant --email bob@example.com --role developer --product shop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.changeRole(cmd, &o, email, role, product, true)
		},
	}
	o.registerStore(grant)
	grant.Flags().StringVar(&email, "email", "", "email address of the person")
	grant.Flags().StringVar(&role, "role", "", "viewer, developer, security or admin")
	grant.Flags().StringVar(&product, "product", store.AllProducts, "product the role holds on ("+store.AllProducts+" for every product)")
	_ = grant.MarkFlagRequired("email")
	_ = grant.MarkFlagRequired("role")

	var ro serverOptions
	var remail, rrole, rproduct string
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Take a granted role away",
		Long: `Take away a role granted with 'redline server user grant' or the API. Roles
mapped from ID-token claims are not touched: they follow the provider's
groups at every sign-in. Sessions already open see the change on their next
request.`,
		Example: `  redline server user revoke --email bob@example.com --role developer --product shop`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.changeRole(cmd, &ro, remail, rrole, rproduct, false)
		},
	}
	ro.registerStore(revoke)
	revoke.Flags().StringVar(&remail, "email", "", "email address of the person")
	revoke.Flags().StringVar(&rrole, "role", "", "viewer, developer, security or admin")
	revoke.Flags().StringVar(&rproduct, "product", store.AllProducts, "product the role holds on ("+store.AllProducts+" for every product)")
	_ = revoke.MarkFlagRequired("email")
	_ = revoke.MarkFlagRequired("role")

	var lo serverOptions
	list := &cobra.Command{
		Use:   "list",
		Short: "List people and their roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := lo.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			us, err := st.Users(cmd.Context())
			if err != nil {
				return err
			}
			for _, u := range us {
				state := "never signed in"
				if u.LastLoginAt != nil {
					state = "last sign-in " + u.LastLoginAt.Format(time.RFC3339)
				}
				if u.DisabledAt != nil {
					state = "disabled"
				}
				var roles []string
				for _, b := range u.Roles {
					roles = append(roles, b.String()+"("+b.Source+")")
				}
				fmt.Fprintf(g.stdout, "%d\t%s\t%s\t%s\n", u.ID, u.Email, cmp.Or(strings.Join(roles, ","), "-"), state)
			}
			return nil
		},
	}
	lo.registerStore(list)
	cmd.AddCommand(grant, revoke, list)
	return cmd
}

// changeRole grants or revokes a role and records it in the audit log.
func (g *globals) changeRole(cmd *cobra.Command, o *serverOptions, email, role, product string, add bool) error {
	r, err := store.ParseRole(role)
	if err != nil {
		return usageErr(err)
	}
	st, err := o.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	gr := store.Grant{Email: email, Product: product, Role: r, By: "cli"}
	var u store.User
	var changed bool
	action := "grant role"
	if add {
		u, changed, err = st.GrantRole(cmd.Context(), gr)
	} else {
		action = "revoke role"
		u, changed, err = st.RevokeRole(cmd.Context(), gr)
	}
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
		return usageErr(err)
	}
	if err != nil {
		return err
	}
	if changed {
		if err := st.AppendAudit(cmd.Context(), store.AuditEntry{Actor: "cli", Action: action, Object: fmt.Sprintf("user %d", u.ID),
			Remote: "local", Status: 200, Detail: u.Email + " " + string(r) + "@" + product}); err != nil {
			return err
		}
	}
	if !g.quiet {
		verb := map[bool]string{true: "granted", false: "revoked"}[add]
		if !changed {
			verb = "unchanged"
		}
		fmt.Fprintf(g.stderr, "%s: %s %s@%s\n", verb, u.Email, r, product)
	}
	return nil
}
