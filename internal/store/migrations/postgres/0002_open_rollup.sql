-- Open findings (open or in triage) counted per product, severity and UTC
-- day first seen, kept in step by every write, so the open-finding KPIs
-- read a few thousand rows instead of every open finding. risk10 is the sum
-- of the findings' risk scores times ten, rounded per finding.
CREATE TABLE open_rollup (
    product_id BIGINT NOT NULL REFERENCES products(id),
    severity   BIGINT NOT NULL,
    first_day  BIGINT NOT NULL,
    n          BIGINT NOT NULL,
    risk10     BIGINT NOT NULL,
    PRIMARY KEY (product_id, severity, first_day)
);

INSERT INTO open_rollup (product_id, severity, first_day, n, risk10)
SELECT t.product_id, f.severity, f.first_seen / 86400, COUNT(*), SUM(CAST(ROUND(f.risk * 10) AS BIGINT))
FROM findings f JOIN targets t ON t.id = f.target_id
WHERE f.state IN ('open', 'in_triage')
GROUP BY t.product_id, f.severity, f.first_seen / 86400;
