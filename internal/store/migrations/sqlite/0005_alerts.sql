-- Alerts about findings (a new critical finding, an SLA breach), one row
-- per finding and kind, so that each is alerted once across restarts and
-- replicas. A sweep claims pending rows (claim, claimed_at) for a lease,
-- delivers them and stamps alerted_at; a failed delivery clears the claim
-- for the next sweep.
CREATE TABLE finding_alerts (
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    claim      TEXT,
    claimed_at INTEGER,
    alerted_at INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (finding_id, kind)
);
CREATE INDEX finding_alerts_pending ON finding_alerts (kind, finding_id) WHERE alerted_at IS NULL;
CREATE INDEX finding_alerts_claim ON finding_alerts (claim) WHERE claim IS NOT NULL;
