-- Free-text search of findings (FindingQuery.Text): a pg_trgm GIN index
-- over the lower-cased rule id, title and package name and the fingerprint.
-- It finds candidates; the query then applies the exact match, so results
-- are those of the plain scan. Where the pg_trgm extension cannot be
-- created (not installed, or not allowed), the index is left out, search
-- scans, and the server warns at start (DB.SearchIndexed).
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'redline: pg_trgm unavailable (%); free-text search will scan', SQLERRM;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE $i$CREATE INDEX findings_search ON findings USING gin
            ((lower(rule_id) || chr(10) || lower(title) || chr(10) || lower(package_name) || chr(10) || fingerprint) gin_trgm_ops)$i$;
    END IF;
END $$;
