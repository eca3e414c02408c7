-- 0008 — cheaper storage of the large values every issuance writes (docs/ca-service.md; the group commit of
-- api_ca_batch.c holds the log lock while it writes them, so their cost limits the issuance rate).
--
-- lz4 instead of pglz (PostgreSQL 14+, a server built --with-lz4), measured on simulated TDX issuances:
--   * certificates.der (~10.7 KB): it holds the quote twice, further apart than pglz's 4 KB window reaches
--     (pglz gets ~6.9 KB at several times lz4's CPU, so 0007 stored it uncompressed); lz4's 64 KB window finds
--     the repeat: ~4.2 KB, 3 TOAST chunks instead of 6, ~7 KB less WAL per certificate and less CPU than
--     writing the uncompressed chunks;
--   * appraisals.evidence (~4.7 KB TDX quote with its PEM certification chain): ~3 KB with lz4;
--   * appraisals.appraisal (~3 KB JSON): about the same size as with pglz, ~20 us less CPU per row;
--   * idempotency_keys.response (~19 KB: certificate and chain PEM, appraisal): pglz tried and gave up (base64
--     does not reach its 25% minimum saving) at ~0.3 ms per response; lz4 keeps ~13 KB in a fraction of that.
-- Reads decompress lz4 faster than pglz. Only new rows are stored this way; old rows stay readable as they are.
-- On a server without lz4 nothing changes (0007's storage stays): the block below is all or nothing.
DO $$
BEGIN
    ALTER TABLE certificates ALTER COLUMN der SET COMPRESSION lz4;
    ALTER TABLE certificates ALTER COLUMN der SET STORAGE EXTENDED;
    ALTER TABLE appraisals ALTER COLUMN evidence SET COMPRESSION lz4;
    ALTER TABLE appraisals ALTER COLUMN evidence SET STORAGE EXTENDED;
    ALTER TABLE appraisals ALTER COLUMN appraisal SET COMPRESSION lz4;
    ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'PostgreSQL built without lz4: the issuance columns keep their storage (%)', SQLERRM;
END $$;
