-- 0001 — schema bookkeeping and the challenges of the evidence binding (DESIGN.md "Evidence binding").
-- Applied by db_migrate (sql/db_migrate.c) in one transaction together with its schema_migrations row.
-- Never edit a migration once released: db_migrate compares the SHA-256 of every applied file.

CREATE TABLE schema_migrations (
    version    integer PRIMARY KEY CHECK (version > 0),
    name       text NOT NULL,
    sha256     bytea NOT NULL CHECK (length(sha256) = 32),
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS
    'One row per applied migration (sql/migrations/NNNN-name.sql), written in the same transaction as the migration itself.';
COMMENT ON COLUMN schema_migrations.version IS 'The NNNN of the migration file; versions are applied in order without gaps.';
COMMENT ON COLUMN schema_migrations.name IS 'The file name without the number and .sql, e.g. bookkeeping-and-challenges.';
COMMENT ON COLUMN schema_migrations.sha256 IS 'SHA-256 of the file as embedded in the binary that applied it; a mismatch means the file changed after release.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When the migration committed (database clock).';

CREATE TABLE challenges (
    nonce      bytea PRIMARY KEY CHECK (length(nonce) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (expires_at >= created_at),
    CHECK (used_at IS NULL OR used_at >= created_at)
);
COMMENT ON TABLE challenges IS
    'Freshness challenges handed out by POST /v1/challenges; each nonce is bound into one piece of evidence and can be consumed once.';
COMMENT ON COLUMN challenges.nonce IS '32 random bytes chosen by the service; bound into report_data and the GPU SPDM nonce.';
COMMENT ON COLUMN challenges.created_at IS 'When the challenge was issued (database clock).';
COMMENT ON COLUMN challenges.expires_at IS 'After this instant (database clock) the challenge can no longer be consumed.';
COMMENT ON COLUMN challenges.used_at IS 'When the challenge was consumed by an issuance; NULL while unused.';

-- Cleanup of expired challenges scans by expiry.
CREATE INDEX challenges_expires_at_idx ON challenges (expires_at);
COMMENT ON INDEX challenges_expires_at_idx IS 'Serves the periodic deletion of expired challenges (DELETE ... WHERE expires_at < now() - interval).';
