-- Security architecture reviews (internal/design/review): one row per
-- submitted model version of a product release, its checklist, meeting
-- minutes and decisions (who, when, why). At most one review of a product
-- release is not superseded. risks, diff and findings are JSON; model_yaml
-- is the reviewed model as model.Encode writes it, kept to diff the next
-- submission against.
CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    product       TEXT NOT NULL,
    release_name  TEXT NOT NULL,
    model_hash    TEXT NOT NULL,
    standard      TEXT NOT NULL,
    standard_hash TEXT NOT NULL,
    state         TEXT NOT NULL,
    previous_id   INTEGER REFERENCES reviews(id),
    superseded_by INTEGER REFERENCES reviews(id),
    submitted_by  TEXT NOT NULL,
    submitted_at  INTEGER NOT NULL,
    decided_at    INTEGER,
    risks         TEXT NOT NULL,
    diff          TEXT,
    findings      TEXT NOT NULL,
    model_yaml    TEXT NOT NULL
);
CREATE INDEX reviews_release ON reviews (product, release_name, id);
CREATE INDEX reviews_hash ON reviews (product, release_name, model_hash, id);
CREATE INDEX reviews_state ON reviews (state, id);
CREATE UNIQUE INDEX reviews_current ON reviews (product, release_name) WHERE state <> 'superseded';

CREATE TABLE review_items (
    review_id      INTEGER NOT NULL REFERENCES reviews(id),
    seq            INTEGER NOT NULL,
    item_id        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    layer          TEXT NOT NULL,
    severity       TEXT NOT NULL,
    red_line       INTEGER NOT NULL,
    open_risks     INTEGER NOT NULL,
    accepted_risks INTEGER NOT NULL,
    status         TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    answered_by    TEXT NOT NULL,
    answered_at    INTEGER,
    PRIMARY KEY (review_id, seq)
);

CREATE TABLE review_minutes (
    id        INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    at        INTEGER NOT NULL,
    author    TEXT NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX review_minutes_review ON review_minutes (review_id, id);

CREATE TABLE review_decisions (
    id         INTEGER PRIMARY KEY,
    review_id  INTEGER NOT NULL REFERENCES reviews(id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    red_lines  INTEGER NOT NULL
);
CREATE INDEX review_decisions_review ON review_decisions (review_id, id);
CREATE INDEX review_decisions_at ON review_decisions (action, at);
