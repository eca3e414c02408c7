-- 0007 — indexes and storage for the CA tables (docs/ca-service.md).
--
-- Certificate history (GET /v1/certificates, db_certs_list.c) pages in (created_at, serial) order with a
-- keyset position "(created_at, serial) > (...)" and optional created_at bounds: this index serves that
-- order directly, so a page reads LIMIT rows instead of sorting the whole table.
CREATE INDEX certificates_created_serial ON certificates (created_at, serial);
COMMENT ON INDEX certificates_created_serial IS
    'Certificate history in (created_at, serial) order: the keyset pagination of GET /v1/certificates (db_certs_list).';

-- The raw evidence and the certificate DER are mostly signatures, keys and random values, which pglz cannot
-- shrink: keep them out of line without trying to compress them (one wasted compression attempt per
-- issuance otherwise). Only changes how new rows are stored.
ALTER TABLE appraisals ALTER COLUMN evidence SET STORAGE EXTERNAL;
ALTER TABLE certificates ALTER COLUMN der SET STORAGE EXTERNAL;
