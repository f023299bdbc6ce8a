-- Standards published on the server (internal/design/standard): one row per
-- name@version, immutable once written. content is the standard file as
-- published; hash is the standard's canonical content hash (sha256:…),
-- which a second publish of the same version must match. title and the
-- effective dates (YYYY-MM-DD, until '' when open-ended) are copied from the
-- content for listing.
CREATE TABLE standards (
    name            TEXT NOT NULL,
    version         TEXT NOT NULL,
    title           TEXT NOT NULL,
    effective_from  TEXT NOT NULL,
    effective_until TEXT NOT NULL,
    content         BLOB NOT NULL,
    hash            TEXT NOT NULL,
    published_by    TEXT NOT NULL,
    published_at    INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);
