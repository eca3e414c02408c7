-- 0004 — the vendor collateral cache (docs/collateral.md): Intel PCS TCB info / QE identity / CRLs, AMD KDS
-- VCEKs, certificate chains and CRLs, NVIDIA RIMs and OCSP responses. Every row was verified (signature and
-- signer chain to the pinned vendor root) before it was written; the fetcher (api/api_collateral*.c) never
-- stores bytes it could not verify. Times come from the service clock (injectable in tests), not now().

CREATE TABLE collateral_items (
    id           bigserial PRIMARY KEY,
    vendor       text NOT NULL CHECK (vendor IN ('intel', 'amd', 'nvidia')),
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,31}$'),
    item_key     text NOT NULL CHECK (length(item_key) BETWEEN 1 AND 512),
    raw          bytea NOT NULL CHECK (length(raw) BETWEEN 1 AND 4194304),
    issuer_chain bytea CHECK (issuer_chain IS NULL OR length(issuer_chain) BETWEEN 1 AND 65536),
    source_url   text NOT NULL,
    sha256       bytea NOT NULL CHECK (length(sha256) = 32),
    fetched_at   timestamptz NOT NULL,
    verified_at  timestamptz NOT NULL,
    not_before   timestamptz,
    next_update  timestamptz,
    last_error   text,
    last_error_at timestamptz,
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    UNIQUE (vendor, kind, item_key),
    CHECK ((not_before IS NULL) = (next_update IS NULL)),
    CHECK (next_update IS NULL OR next_update > not_before)
);
COMMENT ON TABLE collateral_items IS
    'One verified vendor collateral item per (vendor, kind, key): the exact bytes as fetched or imported, replaced in place when refreshed.';
COMMENT ON COLUMN collateral_items.id IS 'Surrogate key for log references.';
COMMENT ON COLUMN collateral_items.vendor IS 'intel (PCS v4 / PCCS), amd (KDS) or nvidia (RIM service, OCSP).';
COMMENT ON COLUMN collateral_items.kind IS 'The collateral role: tcb_info, qe_identity, pck_crl, root_ca_crl, vcek, ark_ask_chain, asvk_chain, amd_crl, rim, ocsp.';
COMMENT ON COLUMN collateral_items.item_key IS 'What identifies the item within its kind: FMSPC hex (tcb_info), td_qe, platform|processor (pck_crl), root, Product/chip-id/bl.tee.snp.ucode[.fmc] (vcek), product line (AMD chains, CRL), RIM id, certificate serial (ocsp).';
COMMENT ON COLUMN collateral_items.raw IS 'The exact body bytes whose signature was verified (TCB info / QE identity JSON, CRL DER, certificate DER/PEM, RIM XML, OCSP response DER).';
COMMENT ON COLUMN collateral_items.issuer_chain IS 'Intel only: the PEM issuer chain sent in the TCB-Info-Issuer-Chain / SGX-Enclave-Identity-Issuer-Chain / SGX-PCK-CRL-Issuer-Chain header (URL-decoded); NULL otherwise.';
COMMENT ON COLUMN collateral_items.source_url IS 'Where the item came from: the upstream URL, or import:<path> for offline imports.';
COMMENT ON COLUMN collateral_items.sha256 IS 'SHA-256 of raw; appraisals record it so a decision can be replayed with the same bytes.';
COMMENT ON COLUMN collateral_items.fetched_at IS 'When these bytes were fetched or imported (service clock).';
COMMENT ON COLUMN collateral_items.verified_at IS 'When signature and signer chain were last verified (service clock); always before the row was written.';
COMMENT ON COLUMN collateral_items.not_before IS 'Start of the validity window (issueDate / thisUpdate); NULL for immutable items (VCEK per chip and TCB, AMD chains, RIM per id).';
COMMENT ON COLUMN collateral_items.next_update IS 'End of the validity window (nextUpdate); the item is never served at or after it. NULL for immutable items.';
COMMENT ON COLUMN collateral_items.last_error IS 'Why the latest refresh attempt failed; NULL after a successful fetch.';
COMMENT ON COLUMN collateral_items.last_error_at IS 'When the latest refresh attempt failed (service clock); NULL after a successful fetch.';
COMMENT ON COLUMN collateral_items.failures IS 'Consecutive failed refresh attempts since the last successful fetch.';

CREATE INDEX collateral_items_next_update_idx ON collateral_items (next_update) WHERE next_update IS NOT NULL;
COMMENT ON INDEX collateral_items_next_update_idx IS 'Serves the refresher, which looks for items whose nextUpdate approaches.';

CREATE TABLE collateral_fetch_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    vendor      text NOT NULL,
    kind        text NOT NULL,
    item_key    text NOT NULL,
    url         text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('stored', 'unchanged', 'http_error', 'network_error',
                                                 'verify_failed', 'rejected_rollback', 'rate_limited')),
    http_status integer CHECK (http_status IS NULL OR http_status BETWEEN 100 AND 599),
    attempts    integer NOT NULL CHECK (attempts >= 0),
    duration_ms bigint NOT NULL CHECK (duration_ms >= 0),
    error       text
);
COMMENT ON TABLE collateral_fetch_log IS
    'One row per upstream fetch (after its retries) or import: the status history and metrics source of teecert collateral status.';
COMMENT ON COLUMN collateral_fetch_log.id IS 'Order of the fetches.';
COMMENT ON COLUMN collateral_fetch_log.at IS 'When the fetch finished (service clock).';
COMMENT ON COLUMN collateral_fetch_log.vendor IS 'intel, amd or nvidia (as collateral_items.vendor).';
COMMENT ON COLUMN collateral_fetch_log.kind IS 'The collateral kind fetched (as collateral_items.kind).';
COMMENT ON COLUMN collateral_fetch_log.item_key IS 'The item key fetched (as collateral_items.item_key).';
COMMENT ON COLUMN collateral_fetch_log.url IS 'The upstream URL (or import:<path>).';
COMMENT ON COLUMN collateral_fetch_log.outcome IS 'stored (verified and written), unchanged (same bytes re-verified), http_error, network_error, verify_failed (bytes refused, cache untouched), rejected_rollback (older than the cached item), rate_limited.';
COMMENT ON COLUMN collateral_fetch_log.http_status IS 'The last HTTP status received; NULL when no response arrived.';
COMMENT ON COLUMN collateral_fetch_log.attempts IS 'HTTP attempts made (retries after 429/5xx/timeouts included).';
COMMENT ON COLUMN collateral_fetch_log.duration_ms IS 'Wall time of the whole fetch including backoff waits, milliseconds.';
COMMENT ON COLUMN collateral_fetch_log.error IS 'Failure detail; NULL on success.';

CREATE INDEX collateral_fetch_log_item_idx ON collateral_fetch_log (vendor, kind, item_key, id);
COMMENT ON INDEX collateral_fetch_log_item_idx IS 'Serves the per-item history of teecert collateral status.';
