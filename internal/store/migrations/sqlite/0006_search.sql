-- Free-text search of findings (FindingQuery.Text): a trigram FTS5 index
-- over rule id, title, package name and fingerprint, kept in step with
-- findings by triggers. It finds candidates for texts of three characters
-- or more (rows holding its rarest trigrams); the query then applies the exact match, so results are those of
-- the plain scan.
CREATE VIRTUAL TABLE findings_fts USING fts5(
    rule_id, title, package_name, fingerprint,
    content='findings', content_rowid='id', tokenize='trigram', detail='none'
);
INSERT INTO findings_fts (findings_fts) VALUES ('rebuild');

CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings BEGIN
    INSERT INTO findings_fts (rowid, rule_id, title, package_name, fingerprint)
    VALUES (new.id, new.rule_id, new.title, new.package_name, new.fingerprint);
END;
CREATE TRIGGER findings_fts_delete AFTER DELETE ON findings BEGIN
    INSERT INTO findings_fts (findings_fts, rowid, rule_id, title, package_name, fingerprint)
    VALUES ('delete', old.id, old.rule_id, old.title, old.package_name, old.fingerprint);
END;
CREATE TRIGGER findings_fts_update AFTER UPDATE OF rule_id, title, package_name, fingerprint ON findings BEGIN
    INSERT INTO findings_fts (findings_fts, rowid, rule_id, title, package_name, fingerprint)
    VALUES ('delete', old.id, old.rule_id, old.title, old.package_name, old.fingerprint);
    INSERT INTO findings_fts (rowid, rule_id, title, package_name, fingerprint)
    VALUES (new.id, new.rule_id, new.title, new.package_name, new.fingerprint);
END;
