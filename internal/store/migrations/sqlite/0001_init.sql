-- Redline store, version 1 (SQLite). Times are Unix seconds (UTC).
CREATE TABLE products (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE targets (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products(id),
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_scan_id TEXT,
    last_scan_at INTEGER,
    UNIQUE (kind, name)
);
CREATE INDEX targets_product ON targets (product_id);

CREATE TABLE scans (
    id             TEXT PRIMARY KEY,
    target_id      INTEGER NOT NULL REFERENCES targets(id),
    received_at    INTEGER NOT NULL,
    uploaded_by    TEXT NOT NULL,
    digest         TEXT NOT NULL,
    tool_version   TEXT NOT NULL,
    report_sha256  TEXT NOT NULL,
    findings       INTEGER NOT NULL,
    new_findings   INTEGER NOT NULL,
    fixed_findings INTEGER NOT NULL,
    reopened       INTEGER NOT NULL,
    blocked        INTEGER NOT NULL,
    fail_on        TEXT NOT NULL
);
CREATE INDEX scans_target ON scans (target_id, received_at);

CREATE TABLE findings (
    id                INTEGER PRIMARY KEY,
    target_id         INTEGER NOT NULL REFERENCES targets(id),
    fingerprint       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    rule_id           TEXT NOT NULL,
    title             TEXT NOT NULL,
    severity          INTEGER NOT NULL,
    risk              REAL NOT NULL,
    package_name      TEXT NOT NULL,
    package_version   TEXT NOT NULL,
    package_ecosystem TEXT NOT NULL,
    location          TEXT NOT NULL,
    fix               TEXT NOT NULL,
    raw               TEXT NOT NULL,
    content_hash      TEXT NOT NULL,
    state             TEXT NOT NULL,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    state_changed_at  INTEGER NOT NULL,
    fixed_at          INTEGER,
    accepted_until    INTEGER,
    last_scan_id      TEXT NOT NULL,
    UNIQUE (target_id, fingerprint)
);
CREATE INDEX findings_state ON findings (state, severity, id);
CREATE INDEX findings_target_state ON findings (target_id, state, severity, id);
-- Covering indexes of the open-finding KPIs (age, SLA, risk), overall and per target.
CREATE INDEX findings_target_open ON findings (target_id, state, severity, first_seen, risk);
CREATE INDEX findings_open_age ON findings (state, severity, first_seen, risk);
CREATE INDEX findings_fixed ON findings (fixed_at) WHERE fixed_at IS NOT NULL;
CREATE INDEX findings_accepted ON findings (accepted_until) WHERE accepted_until IS NOT NULL;

CREATE TABLE finding_events (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    scan_id    TEXT NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (finding_id, id);

CREATE TABLE exceptions (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    owner      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at   INTEGER,
    ended_why  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exceptions_finding ON exceptions (finding_id, id);
CREATE INDEX exceptions_expiry ON exceptions (expires_at) WHERE ended_at IS NULL;

CREATE TABLE blocked_builds (
    id        INTEGER PRIMARY KEY,
    scan_id   TEXT NOT NULL UNIQUE REFERENCES scans(id),
    target_id INTEGER NOT NULL REFERENCES targets(id),
    at        INTEGER NOT NULL,
    fail_on   TEXT NOT NULL
);
CREATE INDEX blocked_builds_at ON blocked_builds (at);

CREATE TABLE blocked_build_findings (
    blocked_build_id INTEGER NOT NULL REFERENCES blocked_builds(id),
    finding_id       INTEGER NOT NULL REFERENCES findings(id),
    PRIMARY KEY (blocked_build_id, finding_id)
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    remote TEXT NOT NULL,
    status INTEGER NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
