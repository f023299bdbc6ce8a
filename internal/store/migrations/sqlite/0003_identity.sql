-- People who sign in with OIDC, their roles per product ('*' for every
-- product), and their server-side sessions (only a SHA-256 of the session
-- id is stored). A user made by a role grant before the first sign-in has
-- no issuer/subject yet; the first sign-in with that email claims it.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    issuer        TEXT,
    subject       TEXT,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    disabled_at   INTEGER,
    UNIQUE (issuer, subject)
);

-- source is 'grant' (an admin granted it) or 'oidc' (mapped from an ID
-- token claim at the latest sign-in).
CREATE TABLE role_bindings (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    product    TEXT NOT NULL,
    role       TEXT NOT NULL,
    source     TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, product, role, source)
);

CREATE TABLE sessions (
    hash         TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    remote       TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- An API token may be bound to one product; '' means every product.
ALTER TABLE api_tokens ADD COLUMN product TEXT NOT NULL DEFAULT '';
