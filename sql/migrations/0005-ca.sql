-- 0005 — the CA service (DESIGN.md "Certificates", docs/ca-service.md): the CA instances, every certificate
-- issued with its appraisal and raw evidence, revocations, and the idempotency keys of POST /v1/certificates.
--
-- The invariants live here (STYLE.md point 9):
--   * serials are unique per deployment (16 random bytes, positive); a certificate's sha256 matches its DER;
--   * a workload certificate names an existing cvm certificate of the same CA, others name none;
--   * a certificate, its appraisal and its revocation reference their log entries; rows are never updated
--     or deleted (a revocation is a new row, at most one per certificate).

-- ---------------------------------------------------------------------------------------------------- cas
CREATE TABLE cas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    role        text NOT NULL CHECK (role IN ('root', 'subroot')),
    network     text NOT NULL CHECK (network IN ('trusted', 'untrusted')),
    certificate bytea NOT NULL CHECK (length(certificate) BETWEEN 64 AND 1048576),
    cert_sha256 bytea NOT NULL UNIQUE CHECK (cert_sha256 = sha256(certificate)),
    parent      bigint REFERENCES cas (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'root') = (parent IS NULL))
);
COMMENT ON TABLE cas IS 'The CA instances of this deployment: roots made by teecert-ca init, sub-CAs enrolled under a root.';
COMMENT ON COLUMN cas.id IS 'Surrogate key.';
COMMENT ON COLUMN cas.name IS 'Operator-chosen name, unique; the {ca} of GET /v1/crl/{ca}.';
COMMENT ON COLUMN cas.role IS 'root (self-signed) or subroot (issued by its parent).';
COMMENT ON COLUMN cas.network IS 'trusted (refuses simulated evidence and debug TEEs) or untrusted (development); also written into the CA certificate (.4 extension).';
COMMENT ON COLUMN cas.certificate IS 'The CA certificate (DER).';
COMMENT ON COLUMN cas.cert_sha256 IS 'SHA-256 of certificate; a CA certificate is recorded once.';
COMMENT ON COLUMN cas.parent IS 'The issuing CA of a subroot; NULL for a root.';
COMMENT ON COLUMN cas.created_at IS 'When the CA was recorded.';

-- ------------------------------------------------------------------------------------------- certificates
CREATE TABLE certificates (
    serial             bytea PRIMARY KEY CHECK (length(serial) BETWEEN 1 AND 20 AND get_byte(serial, 0) < 128),
    ca                 bigint NOT NULL REFERENCES cas (id),
    kind               text NOT NULL CHECK (kind IN ('cvm', 'workload', 'subroot', 'root')),
    subject            text NOT NULL CHECK (length(subject) <= 1024),
    sans               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sans) = 'array'),
    not_before         timestamptz NOT NULL,
    not_after          timestamptz NOT NULL CHECK (not_after > not_before),
    der                bytea NOT NULL CHECK (length(der) BETWEEN 64 AND 1048576),
    sha256             bytea NOT NULL UNIQUE CHECK (sha256 = sha256(der)),
    spki_sha256        bytea NOT NULL CHECK (length(spki_sha256) = 32),
    hardware_id        text CHECK (length(hardware_id) <= 256),
    workload_info_hash bytea CHECK (length(workload_info_hash) = 32),
    parent_cvm_serial  bytea REFERENCES certificates (serial),
    log_seq            bigint NOT NULL UNIQUE REFERENCES log_entries (seq),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'workload') = (parent_cvm_serial IS NOT NULL)),
    CHECK ((kind = 'workload') = (workload_info_hash IS NOT NULL))
);
CREATE INDEX certificates_ca ON certificates (ca, created_at);
CREATE INDEX certificates_spki ON certificates (spki_sha256);
CREATE INDEX certificates_hardware_id ON certificates (hardware_id) WHERE hardware_id IS NOT NULL;
COMMENT ON TABLE certificates IS 'Every certificate a CA of this deployment issued (its own root included), with the log entry recording it.';
COMMENT ON COLUMN certificates.serial IS 'Serial number: big-endian magnitude of the positive DER INTEGER (16 random bytes); unique across the deployment.';
COMMENT ON COLUMN certificates.ca IS 'The issuing CA.';
COMMENT ON COLUMN certificates.kind IS 'The profile it was issued under: cvm, workload, subroot, root.';
COMMENT ON COLUMN certificates.subject IS 'Subject DN as requested (RFC 2253 text).';
COMMENT ON COLUMN certificates.sans IS 'Subject alternative names as a JSON array of {type, value}.';
COMMENT ON COLUMN certificates.not_before IS 'notBefore exactly as in the certificate.';
COMMENT ON COLUMN certificates.not_after IS 'notAfter exactly as in the certificate.';
COMMENT ON COLUMN certificates.der IS 'The certificate (DER).';
COMMENT ON COLUMN certificates.sha256 IS 'SHA-256 of der (the log entry''s cert_sha256).';
COMMENT ON COLUMN certificates.spki_sha256 IS 'SHA-256 of the SubjectPublicKeyInfo DER (the value the evidence binding hashes).';
COMMENT ON COLUMN certificates.hardware_id IS 'Hardware identity from the appraisal (TDX: fmspc/ppid hex; SNP: chip id), NULL when unknown.';
COMMENT ON COLUMN certificates.workload_info_hash IS 'SHA-256 of the JCS workload info (workload certificates only).';
COMMENT ON COLUMN certificates.parent_cvm_serial IS 'The cvm certificate a workload certificate is bound to (workload only).';
COMMENT ON COLUMN certificates.log_seq IS 'The issuance entry of the transparency log.';
COMMENT ON COLUMN certificates.created_at IS 'When the row was written.';

-- A workload certificate must hang off a cvm certificate of the same CA.
CREATE FUNCTION certificates_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_cvm_serial IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM certificates WHERE serial = NEW.parent_cvm_serial AND kind = 'cvm' AND ca = NEW.ca) THEN
        RAISE EXCEPTION 'workload certificate must be bound to a cvm certificate of the same CA'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION certificates_check_parent() IS 'Refuses a workload certificate whose parent is not a cvm certificate of the same CA.';
CREATE TRIGGER certificates_check_parent BEFORE INSERT ON certificates
    FOR EACH ROW EXECUTE FUNCTION certificates_check_parent();

CREATE FUNCTION ca_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'check_violation';
END $$;
COMMENT ON FUNCTION ca_append_only() IS 'Refuses UPDATE and DELETE on the CA history tables.';
CREATE TRIGGER certificates_append_only BEFORE UPDATE OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION ca_append_only();
CREATE TRIGGER cas_append_only BEFORE UPDATE OR DELETE ON cas
    FOR EACH ROW EXECUTE FUNCTION ca_append_only();

-- --------------------------------------------------------------------------------------------- appraisals
CREATE TABLE appraisals (
    serial          bytea PRIMARY KEY REFERENCES certificates (serial),
    appraisal       jsonb NOT NULL CHECK (jsonb_typeof(appraisal) = 'object'),
    policy_digest   bytea NOT NULL CHECK (length(policy_digest) = 32),
    evidence_digest bytea NOT NULL CHECK (length(evidence_digest) = 32),
    evidence        bytea NOT NULL CHECK (length(evidence) BETWEEN 1 AND 16777216),
    evidence_type   text NOT NULL CHECK (evidence_type IN ('tdx_quote', 'snp_report', 'cmw')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE appraisals IS 'The appraisal behind each certificate and the raw evidence it judged, so the decision can be replayed.';
COMMENT ON COLUMN appraisals.serial IS 'The certificate this appraisal admitted.';
COMMENT ON COLUMN appraisals.appraisal IS 'The appraisal JSON (docs/appraisal.md) as returned to the client.';
COMMENT ON COLUMN appraisals.policy_digest IS 'SHA-256 of the canonical policy used.';
COMMENT ON COLUMN appraisals.evidence_digest IS 'The appraisal''s evidence digest.';
COMMENT ON COLUMN appraisals.evidence IS 'The raw evidence as received (TDX quote bytes, ...).';
COMMENT ON COLUMN appraisals.evidence_type IS 'What evidence holds: tdx_quote, snp_report, or a cmw collection.';
COMMENT ON COLUMN appraisals.created_at IS 'When the row was written.';
CREATE TRIGGER appraisals_append_only BEFORE UPDATE OR DELETE ON appraisals
    FOR EACH ROW EXECUTE FUNCTION ca_append_only();

-- -------------------------------------------------------------------------------------------- revocations
CREATE TABLE revocations (
    serial     bytea PRIMARY KEY REFERENCES certificates (serial),
    reason     smallint NOT NULL CHECK (reason IN (0, 1, 2, 3, 4, 5, 6, 9, 10)),
    revoked_at timestamptz NOT NULL,
    log_seq    bigint NOT NULL UNIQUE REFERENCES log_entries (seq),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revocations_time ON revocations (revoked_at);
COMMENT ON TABLE revocations IS 'Revoked certificates: at most one row per certificate (the primary key), each recorded in the log.';
COMMENT ON COLUMN revocations.serial IS 'The revoked certificate (must exist).';
COMMENT ON COLUMN revocations.reason IS 'CRLReason code (RFC 5280 §5.3.1; 7 is unused, 8 removeFromCRL is not a revocation).';
COMMENT ON COLUMN revocations.revoked_at IS 'Revocation time as written into the CRL and OCSP responses.';
COMMENT ON COLUMN revocations.log_seq IS 'The revocation entry of the transparency log.';
COMMENT ON COLUMN revocations.created_at IS 'When the row was written.';
CREATE TRIGGER revocations_append_only BEFORE UPDATE OR DELETE ON revocations
    FOR EACH ROW EXECUTE FUNCTION ca_append_only();

-- ---------------------------------------------------------------------------------------- idempotency_keys
CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY CHECK (key ~ '^[\x21-\x7e]{1,255}$'),
    request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
    status       smallint NOT NULL CHECK (status BETWEEN 200 AND 299),
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
COMMENT ON TABLE idempotency_keys IS 'Idempotency-Key of POST /v1/certificates: the same key with the same body replays the stored response; another body is a conflict.';
COMMENT ON COLUMN idempotency_keys.key IS 'The client''s Idempotency-Key header (printable ASCII, 1..255).';
COMMENT ON COLUMN idempotency_keys.request_hash IS 'SHA-256 of the request method, path and body.';
COMMENT ON COLUMN idempotency_keys.status IS 'HTTP status of the stored response.';
COMMENT ON COLUMN idempotency_keys.response IS 'The response body that was returned.';
COMMENT ON COLUMN idempotency_keys.created_at IS 'When the key was first used (old keys may be purged).';
