-- 0006 — what a stored appraisal needs to be replayed (docs/collateral.md "Replay"): collateral_items is
-- replaced in place when an item is refreshed, so every verified version is also kept here, append-only,
-- keyed by the SHA-256 the appraisals record; the operator's trust anchors (e.g. simulated roots of an
-- untrusted network) are kept the same way; and each policy a CA appraised under, by its digest.

CREATE TABLE collateral_history (
    sha256       bytea PRIMARY KEY CHECK (length(sha256) = 32),
    vendor       text NOT NULL CHECK (vendor IN ('intel', 'amd', 'nvidia', 'operator')),
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,47}$'),
    item_key     text NOT NULL CHECK (length(item_key) BETWEEN 1 AND 512),
    data         bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 4194304),
    first_stored timestamptz NOT NULL,
    CHECK (sha256 = sha256(data))
);
COMMENT ON TABLE collateral_history IS
    'Every verified collateral version and issuer chain ever stored, and every operator trust anchor used, by SHA-256: the bytes a past appraisal used, for teecert replay.';
COMMENT ON COLUMN collateral_history.sha256 IS 'SHA-256 of data: the digest appraisals record per collateral role.';
COMMENT ON COLUMN collateral_history.vendor IS 'intel, amd or nvidia (as collateral_items.vendor), or operator for a trust anchor passed to a service.';
COMMENT ON COLUMN collateral_history.kind IS 'The collateral kind (as collateral_items.kind), <kind>_issuer_chain for the issuer chain stored with an item, or anchor.';
COMMENT ON COLUMN collateral_history.item_key IS 'The item key (as collateral_items.item_key); for an anchor its role (intel_root, amd_ark, nvidia_rim_root, ...).';
COMMENT ON COLUMN collateral_history.data IS 'The exact bytes (as collateral_items.raw or .issuer_chain, or the anchor file).';
COMMENT ON COLUMN collateral_history.first_stored IS 'When these bytes were first stored (service clock).';
CREATE TRIGGER collateral_history_append_only BEFORE UPDATE OR DELETE ON collateral_history
    FOR EACH ROW EXECUTE FUNCTION ca_append_only();

CREATE TABLE policies (
    digest       bytea PRIMARY KEY CHECK (length(digest) = 32),
    canonical    text NOT NULL CHECK (length(canonical) BETWEEN 2 AND 1048576),
    first_stored timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE policies IS
    'The appraisal policies a CA issued under (vf_policy_to_json, RFC 8785 canonical), by SHA-256; a per-request policy adds only the expected report data / GPU nonce, which the appraisal records.';
COMMENT ON COLUMN policies.digest IS 'SHA-256 of canonical (vf_policy_digest).';
COMMENT ON COLUMN policies.canonical IS 'The canonical policy JSON, every knob included.';
COMMENT ON COLUMN policies.first_stored IS 'When the policy was first stored.';
CREATE TRIGGER policies_append_only BEFORE UPDATE OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION ca_append_only();
