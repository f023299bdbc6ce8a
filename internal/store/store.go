// Package store keeps the server's record: products and their targets, the
// scans uploaded for them, one finding per fingerprint and target with its
// lifecycle and history, risk acceptances, blocked builds, API tokens, the
// people who sign in with their roles and sessions, and an append-only audit
// log. One interface, Store, is implemented by one SQL core
// over two engines: an embedded SQLite file (OpenSQLite) and PostgreSQL
// (OpenPostgres), with the same embedded, versioned migrations for both.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redline-sec/redline/internal/finding"
)

// Store is the server's persistence. Every method is safe for concurrent
// use; every write happens in one transaction, so a failed call changes
// nothing.
type Store interface {
	// Ingest records an uploaded scan in one transaction: the product and
	// target are created when new, every finding in the scan is opened (or
	// reopened, when it was fixed) and stamped seen, every open finding of
	// the target the scan no longer reports is marked fixed, and a blocked
	// decision is recorded with the findings that blocked; expired
	// acceptances of the target reopen. Ingest is idempotent per Scan.ID:
	// a scan id already stored returns the stored result with Duplicate
	// set and changes nothing.
	Ingest(ctx context.Context, s *Scan) (IngestResult, error)

	// Products lists every product with its number of targets and open
	// findings, sorted by name.
	Products(ctx context.Context) ([]Product, error)
	// Targets lists the targets of the named product (every target when
	// product is empty), sorted by product, kind and name.
	Targets(ctx context.Context, product string) ([]Target, error)

	// Findings returns one page of findings matching q, most severe first
	// (then newest first), and the cursor of the next page.
	Findings(ctx context.Context, q FindingQuery) (FindingPage, error)
	// Finding returns one finding with its history and exceptions, or an
	// error wrapping ErrNotFound.
	Finding(ctx context.Context, id int64) (FindingDetail, error)
	// Transition moves a finding to another state for the reason given and
	// records who did it. Accepting needs an owner, a reason and an expiry
	// in the future. A move the lifecycle does not allow returns an error
	// wrapping ErrInvalid; an unknown finding one wrapping ErrNotFound.
	Transition(ctx context.Context, id int64, c Change) (Finding, error)
	// ExpiringAcceptances lists the live risk acceptances expiring before
	// q.Before, soonest first, with owner, reason and expiry.
	ExpiringAcceptances(ctx context.Context, q ExpiringQuery) (ExpiringList, error)
	// SweepExpired reopens every accepted finding whose acceptance has
	// expired and returns how many it reopened.
	SweepExpired(ctx context.Context) (int, error)

	// BlockedBuilds lists the builds the gate blocked, newest first, each
	// with the findings that blocked it.
	BlockedBuilds(ctx context.Context, q BlockedQuery) ([]BlockedBuild, error)
	// KPIs computes the named KPIs (every registered one when q.Names is
	// empty) for q's product and period.
	KPIs(ctx context.Context, q KPIQuery) (KPIReport, error)

	// CreateToken makes a new API token and returns its secret, which is
	// stored only as a SHA-256 hash and cannot be shown again.
	CreateToken(ctx context.Context, t NewToken) (secret string, tok Token, err error)
	// BootstrapToken creates an admin token named "bootstrap-admin" when the
	// store holds no token at all, and returns its secret; it returns ""
	// when any token already exists (also when another replica made one).
	BootstrapToken(ctx context.Context) (string, error)
	// Authenticate returns the live token whose secret this is, or an error
	// wrapping ErrUnauthorized for an unknown or revoked one.
	Authenticate(ctx context.Context, secret string) (Token, error)
	// Tokens lists every token (never a secret), sorted by id.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes a token; revoking twice is not an error.
	RevokeToken(ctx context.Context, id int64, by string) error

	// AppendAudit adds an entry to the append-only audit log.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit returns audit entries with ids above q.After, oldest first.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)

	// Identity keeps the people who sign in, their roles and sessions.
	Identity
	// Reviews keeps the security architecture reviews.
	Reviews
	// Alerts queues and claims the alerts about new critical findings and
	// SLA breaches.
	Alerts
	// Standards keeps the standards published on the server.
	Standards

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Errors callers can test with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid request")
	ErrUnauthorized = errors.New("unauthorized")
)

// State is where a finding stands in its lifecycle.
type State string

// The lifecycle states.
const (
	StateOpen          State = "open"
	StateInTriage      State = "in_triage"
	StateFixed         State = "fixed"
	StateAccepted      State = "accepted"
	StateFalsePositive State = "false_positive"
)

// States lists every state, in lifecycle order.
func States() []State {
	return []State{StateOpen, StateInTriage, StateFixed, StateAccepted, StateFalsePositive}
}

// ParseState checks a state name.
func ParseState(s string) (State, error) {
	for _, st := range States() {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown state %q (want open, in_triage, fixed, accepted or false_positive)", ErrInvalid, s)
}

// Scan is one uploaded scan report, ready to ingest.
type Scan struct {
	// ID identifies the upload; a second Ingest with the same ID is a no-op.
	ID string
	// Product names the product the target belongs to. Empty keeps the
	// target's product, or "default" for a new target.
	Product string
	// Actor is who uploaded it (a token name).
	Actor string
	// Target is what was scanned.
	Target finding.Target
	// ToolVersion is the version of the scanner that made the report.
	ToolVersion string
	// ReportSHA256 is the hash of the uploaded bytes.
	ReportSHA256 string
	// Findings are the findings the gate kept.
	Findings []finding.Finding
	// Suppressed are findings an ignore file suppressed: they are seen (not
	// fixed), and a new one starts accepted under the ignore's terms.
	Suppressed []Suppressed
	// Blocked is true when the gate blocked the build; FailOn is its
	// threshold and Blocking the fingerprints that blocked.
	Blocked  bool
	FailOn   string
	Blocking []string
}

// Suppressed is a finding an ignore-file entry suppressed.
type Suppressed struct {
	Finding finding.Finding
	Owner   string
	Reason  string
	Expires time.Time
}

// IngestResult says what an ingest changed.
type IngestResult struct {
	ScanID    string `json:"scan_id"`
	Product   string `json:"product"`
	TargetID  int64  `json:"target_id"`
	Findings  int    `json:"findings"`
	New       int    `json:"new"`
	Fixed     int    `json:"fixed"`
	Reopened  int    `json:"reopened"`
	Blocked   bool   `json:"blocked"`
	Duplicate bool   `json:"duplicate"`
}

// Product is a group of targets that one team answers for.
type Product struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	CreatedAt    time.Time `json:"created_at"`
	Targets      int       `json:"targets"`
	OpenFindings int       `json:"open_findings"`
}

// Target is one scanned thing: an image, a repository, a cluster, a model.
type Target struct {
	ID           int64      `json:"id"`
	Product      string     `json:"product"`
	Kind         string     `json:"kind"`
	Name         string     `json:"name"`
	CreatedAt    time.Time  `json:"created_at"`
	LastScanID   string     `json:"last_scan_id,omitempty"`
	LastScanAt   *time.Time `json:"last_scan_at,omitempty"`
	OpenFindings int        `json:"open_findings"`
}

// Finding is the stored record of one fingerprint on one target.
type Finding struct {
	ID            int64            `json:"id"`
	Fingerprint   string           `json:"fingerprint"`
	Product       string           `json:"product"`
	TargetID      int64            `json:"target_id"`
	Target        string           `json:"target"`
	Kind          finding.Kind     `json:"kind"`
	RuleID        string           `json:"rule_id"`
	Title         string           `json:"title"`
	Severity      finding.Severity `json:"severity"`
	Risk          float64          `json:"risk"`
	Package       *finding.Package `json:"package,omitempty"`
	Location      finding.Location `json:"location"`
	Fix           *finding.Fix     `json:"fix,omitempty"`
	State         State            `json:"state"`
	FirstSeen     time.Time        `json:"first_seen"`
	LastSeen      time.Time        `json:"last_seen"`
	FixedAt       *time.Time       `json:"fixed_at,omitempty"`
	AcceptedUntil *time.Time       `json:"accepted_until,omitempty"`
	LastScanID    string           `json:"last_scan_id"`
}

// FindingDetail is a finding with the full record the scanner sent, its
// history and its exceptions.
type FindingDetail struct {
	Finding
	Raw        finding.Finding `json:"raw"`
	History    []Event         `json:"history"`
	Exceptions []Exception     `json:"exceptions"`
}

// Event is one change of a finding's state.
type Event struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	Reason string    `json:"reason"`
	ScanID string    `json:"scan_id,omitempty"`
}

// Exception is a risk acceptance of a finding.
type Exception struct {
	ID        int64      `json:"id"`
	Owner     string     `json:"owner"`
	Reason    string     `json:"reason"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndedWhy  string     `json:"ended_why,omitempty"`
}

// Change is a requested lifecycle move.
type Change struct {
	To     State
	Actor  string
	Reason string
	// Owner and Until are required when To is StateAccepted.
	Owner string
	Until time.Time
}

// FindingQuery filters and pages the finding list. Empty fields do not filter.
type FindingQuery struct {
	Product    string
	TargetID   int64
	States     []State
	Severities []finding.Severity
	Kinds      []finding.Kind
	// Text matches rule id, title, package name or fingerprint (substring,
	// case-insensitive for ASCII).
	Text string
	// Cursor is the Next of the previous page, or the Prev of the next
	// page to go back; empty for the first page.
	Cursor string
	// Limit is the page size: 1 to MaxPageSize, DefaultPageSize when 0.
	Limit int
}

// Page sizes of the finding list.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// FindingPage is one page of findings.
type FindingPage struct {
	Findings []Finding `json:"findings"`
	// Next is the cursor of the next page; empty on the last page.
	Next string `json:"next,omitempty"`
	// Prev is the cursor of the previous page; empty on the first page
	// (a page reached backwards knows; one reached forwards has a Prev
	// whenever it was reached through a cursor).
	Prev string `json:"prev,omitempty"`
}

// BlockedQuery filters the blocked-build list.
type BlockedQuery struct {
	Product string
	Since   time.Time
	Limit   int
}

// BlockedBuild is one build the gate blocked.
type BlockedBuild struct {
	ID       int64     `json:"id"`
	ScanID   string    `json:"scan_id"`
	Product  string    `json:"product"`
	TargetID int64     `json:"target_id"`
	Target   string    `json:"target"`
	At       time.Time `json:"at"`
	FailOn   string    `json:"fail_on"`
	Findings []int64   `json:"findings"`
}

// Scopes an API token can hold.
const (
	ScopeUpload = "upload"
	ScopeRead   = "read"
	ScopeAdmin  = "admin"
)

// NewToken describes a token to create.
type NewToken struct {
	Name      string
	Scopes    []string
	CreatedBy string
	// Product binds the token to one product; empty means every product.
	Product string
}

// Token is a stored API token (without its secret).
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	Product    string     `json:"product,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Has reports whether the token holds the scope; admin holds every scope.
func (t Token) Has(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope || s == ScopeAdmin {
			return true
		}
	}
	return false
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	Remote string    `json:"remote"`
	Status int       `json:"status"`
	Detail string    `json:"detail,omitempty"`
}

// AuditQuery pages the audit log.
type AuditQuery struct {
	After int64
	Limit int
}
