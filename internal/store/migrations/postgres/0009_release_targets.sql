-- Design reviews recorded a product's risks under one target named after
-- the product, so a review of one release marked another release's risks
-- fixed. Each release is its own target now ("shop@2026.12"). An old
-- target holds the risks of the model it saw last: it becomes the target
-- of that model's release. Targets of models never reviewed keep their name.
UPDATE targets SET name = name || '@' || (
        SELECT r.release_name FROM reviews r
        WHERE r.model_hash = 'sha256:' || substr(targets.last_scan_id, 8)
        ORDER BY r.id DESC LIMIT 1)
    WHERE kind = 'model' AND name NOT LIKE '%@%' AND last_scan_id LIKE 'review-%'
    AND EXISTS (SELECT 1 FROM reviews r WHERE r.model_hash = 'sha256:' || substr(targets.last_scan_id, 8));
