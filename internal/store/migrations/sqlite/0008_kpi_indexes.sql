-- Indexes that let the KPI queries read an index alone instead of the
-- findings table, so they stay fast without memory-mapping the database:
-- time-to-remediate reads severity and first-seen of the findings fixed in
-- its period; open design risks are the few design findings among all the
-- open ones; the SLA breach list walks open findings oldest first and now
-- checks each one's target in the index.
CREATE INDEX findings_fixed_age ON findings (fixed_at, severity, first_seen, target_id) WHERE fixed_at IS NOT NULL;
DROP INDEX findings_fixed;
CREATE INDEX findings_design_open ON findings (state, severity, first_seen, target_id) WHERE kind = 'design';
DROP INDEX findings_open_age;
CREATE INDEX findings_open_age ON findings (state, severity, first_seen, target_id);
