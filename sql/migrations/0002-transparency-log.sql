-- 0002 — the transparency log (DESIGN.md "Transparency log and anchoring", docs/log.md): entries, the hash
-- of every complete Merkle subtree (RFC 9162 §2.1), and signed checkpoints (C2SP tlog-checkpoint).
--
-- The invariants live here, not in the C code that appends (STYLE.md point 9):
--   * log_entries is gap-free from seq 0: an insert must carry seq = log_state.size, which it bumps in the
--     same statement; entries, nodes and checkpoints can never be updated or deleted.
--   * leaf_hash = SHA-256(0x00 || entry) is a CHECK; a node's hash is checked against its children (or its
--     entry) on insert; at commit every entry has all the complete-subtree nodes it completes.
--   * a checkpoint's root is recomputed from log_nodes (log_root) and must match; sizes only grow.

-- ------------------------------------------------------------------------------------------- log_state
CREATE TABLE log_state (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    size bigint NOT NULL CHECK (size >= 0)
);
COMMENT ON TABLE log_state IS
    'One row: the number of entries of the log. Every append bumps it in the same statement (trigger log_entries_append), which makes appends gap-free and serializes concurrent appenders.';
COMMENT ON COLUMN log_state.id IS 'Always true; the primary key makes this a one-row table.';
COMMENT ON COLUMN log_state.size IS 'Number of entries; the next entry gets seq = size.';
INSERT INTO log_state (id, size) VALUES (true, 0);

-- Only the append trigger may change the size, and only by one.
CREATE FUNCTION log_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.size <> OLD.size + 1 OR NEW.id <> OLD.id OR pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'log_state changes only by appending to log_entries' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION log_state_guard() IS 'Refuses any change of log_state except the +1 of an append.';
CREATE TRIGGER log_state_guard BEFORE UPDATE OR DELETE ON log_state FOR EACH ROW EXECUTE FUNCTION log_state_guard();
CREATE FUNCTION log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'check_violation';
END $$;
COMMENT ON FUNCTION log_append_only() IS 'Refuses UPDATE, DELETE and TRUNCATE on the append-only log tables.';
CREATE TRIGGER log_state_no_truncate BEFORE TRUNCATE ON log_state
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();

-- ----------------------------------------------------------------------------------------- log_entries
CREATE TABLE log_entries (
    seq                bigint PRIMARY KEY CHECK (seq >= 0),
    entry              bytea NOT NULL CHECK (length(entry) BETWEEN 2 AND 4096),
    leaf_hash          bytea NOT NULL
                       CONSTRAINT log_entries_leaf_hash_check CHECK (leaf_hash = sha256(decode('00', 'hex') || entry)),
    type               text NOT NULL CHECK (type IN ('issuance', 'revocation')),
    serial             text NOT NULL CHECK (serial ~ '^[0-9a-f]{2,64}$' AND length(serial) % 2 = 0),
    cert_sha256        bytea NOT NULL CHECK (length(cert_sha256) = 32),
    issuer             text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 1024),
    kind               text NOT NULL CHECK (kind IN ('root', 'subroot', 'cvm', 'workload')),
    appraisal_digest   bytea CHECK (length(appraisal_digest) = 32),
    workload_info_hash bytea CHECK (length(workload_info_hash) = 32),
    logged_at          timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE log_entries IS
    'The transparency log: one row per certificate issuance or revocation, seq 0, 1, 2, ... without gaps. The columns after leaf_hash repeat the fields of entry for queries; entry is what is hashed.';
COMMENT ON COLUMN log_entries.seq IS 'Position in the log (the Merkle leaf index), from 0 without gaps.';
COMMENT ON COLUMN log_entries.entry IS 'The canonical encoding that is hashed: RFC 8785 JSON of {seq, type, serial, cert_sha256, issuer, kind, appraisal_digest, workload_info_hash, time} (docs/log.md).';
COMMENT ON COLUMN log_entries.leaf_hash IS 'RFC 9162 leaf hash SHA-256(0x00 || entry).';
COMMENT ON COLUMN log_entries.type IS 'issuance (a certificate was issued) or revocation (it was revoked).';
COMMENT ON COLUMN log_entries.serial IS 'The certificate serial number: lowercase hex of the DER INTEGER content octets.';
COMMENT ON COLUMN log_entries.cert_sha256 IS 'SHA-256 of the certificate DER.';
COMMENT ON COLUMN log_entries.issuer IS 'The issuing CA (its subject DN as an RFC 4514 string).';
COMMENT ON COLUMN log_entries.kind IS 'Certificate profile: root, subroot, cvm or workload.';
COMMENT ON COLUMN log_entries.appraisal_digest IS 'SHA-256 of the canonical appraisal the issuance was based on; NULL when none (e.g. revocations).';
COMMENT ON COLUMN log_entries.workload_info_hash IS 'SHA-256 of the canonical workload info (workload certificates only), else NULL.';
COMMENT ON COLUMN log_entries.logged_at IS 'The time field of the entry (whole seconds, chosen by the appender).';
COMMENT ON COLUMN log_entries.created_at IS 'When the row was inserted (database clock); not part of the entry.';

CREATE INDEX log_entries_cert_sha256_idx ON log_entries (cert_sha256);
COMMENT ON INDEX log_entries_cert_sha256_idx IS 'Finds the entries of a certificate by its hash (audit queries).';
CREATE INDEX log_entries_issuer_serial_idx ON log_entries (issuer, serial);
COMMENT ON INDEX log_entries_issuer_serial_idx IS 'Finds the entries of a certificate by issuer and serial (history of a certificate).';

-- Gap-free append: the new row must be the next one, and taking it bumps the size in the same statement.
CREATE FUNCTION log_entries_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE log_state SET size = size + 1 WHERE size = NEW.seq;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'log_entries: seq % is not the next sequence number', NEW.seq
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION log_entries_append() IS 'Accepts an entry only with seq = log_state.size and bumps the size.';
CREATE TRIGGER log_entries_append BEFORE INSERT ON log_entries FOR EACH ROW EXECUTE FUNCTION log_entries_append();
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();

-- ------------------------------------------------------------------------------------------- log_nodes
CREATE TABLE log_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   bigint NOT NULL CHECK (idx >= 0),
    hash  bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);
COMMENT ON TABLE log_nodes IS
    'The hash of every complete Merkle subtree [idx * 2^level, (idx + 1) * 2^level): about 2n rows for n entries, O(log n) more per append. Roots and proofs read O(log n) of them, never all leaves.';
COMMENT ON COLUMN log_nodes.level IS 'Height of the subtree: 0 is a leaf (its leaf hash), k covers 2^k leaves.';
COMMENT ON COLUMN log_nodes.idx IS 'Index of the subtree within its level; it starts at leaf idx * 2^level.';
COMMENT ON COLUMN log_nodes.hash IS 'Leaf hash (level 0) or SHA-256(0x01 || left child || right child) (RFC 9162 §2.1.1).';

-- A node must be the hash of what it covers: its entry (level 0) or its two children, inserted before it.
CREATE FUNCTION log_nodes_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expected bytea;
BEGIN
    IF NEW.level = 0 THEN
        SELECT leaf_hash INTO expected FROM log_entries WHERE seq = NEW.idx;
    ELSE
        SELECT sha256(decode('01', 'hex') || l.hash || r.hash) INTO expected
          FROM log_nodes l, log_nodes r
         WHERE l.level = NEW.level - 1 AND l.idx = 2 * NEW.idx
           AND r.level = NEW.level - 1 AND r.idx = 2 * NEW.idx + 1;
    END IF;
    IF expected IS NULL OR expected <> NEW.hash THEN
        RAISE EXCEPTION 'log_nodes: (level %, idx %) does not hash what it covers', NEW.level, NEW.idx
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION log_nodes_check() IS 'Checks a new node against its entry (level 0) or its two children.';
CREATE TRIGGER log_nodes_check BEFORE INSERT ON log_nodes FOR EACH ROW EXECUTE FUNCTION log_nodes_check();
CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_nodes_no_truncate BEFORE TRUNCATE ON log_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();

-- At commit, entry seq must come with the nodes it completes: levels 0 .. (trailing zeros of seq + 1).
CREATE FUNCTION log_entries_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := NEW.seq + 1;
    k integer := 0;
BEGIN
    LOOP
        IF NOT EXISTS (SELECT 1 FROM log_nodes WHERE level = k AND idx = (n >> k) - 1) THEN
            RAISE EXCEPTION 'log_entries: seq % committed without its level % node', NEW.seq, k
                USING ERRCODE = 'check_violation';
        END IF;
        EXIT WHEN ((n >> k) & 1) = 1;
        k := k + 1;
    END LOOP;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION log_entries_complete() IS 'Deferred: an appended entry must bring every complete-subtree node it completes.';
CREATE CONSTRAINT TRIGGER log_entries_complete AFTER INSERT ON log_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_entries_complete();

-- MTH of the first n entries from the stored nodes (RFC 9162 §2.1.1): the complete subtrees along the
-- binary digits of n, folded from the right.
CREATE FUNCTION log_root(n bigint) RETURNS bytea LANGUAGE plpgsql STABLE AS $$
DECLARE
    acc bytea;
    part bytea;
BEGIN
    IF n = 0 THEN
        RETURN sha256(''::bytea);
    END IF;
    FOR k IN 0..62 LOOP
        CONTINUE WHEN ((n >> k) & 1) = 0;
        SELECT hash INTO part FROM log_nodes WHERE level = k AND idx = (n >> k) - 1;
        IF part IS NULL THEN
            RAISE EXCEPTION 'log_root: no node (level %, idx %) for size %', k, (n >> k) - 1, n
                USING ERRCODE = 'check_violation';
        END IF;
        acc := CASE WHEN acc IS NULL THEN part ELSE sha256(decode('01', 'hex') || part || acc) END;
    END LOOP;
    RETURN acc;
END $$;
COMMENT ON FUNCTION log_root(bigint) IS 'Merkle tree head of the first n entries, from log_nodes.';

-- ------------------------------------------------------------------------------------- log_checkpoints
CREATE TABLE log_checkpoints (
    tree_size  bigint PRIMARY KEY CHECK (tree_size > 0),
    root       bytea NOT NULL CHECK (length(root) = 32),
    signed_at  timestamptz NOT NULL,
    note       text NOT NULL CHECK (length(note) BETWEEN 1 AND 4096),
    key_name   text NOT NULL CHECK (length(key_name) BETWEEN 1 AND 255),
    key_id     bytea NOT NULL CHECK (length(key_id) = 4),
    signature  bytea NOT NULL CHECK (length(signature) = 64),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE log_checkpoints IS
    'Signed tree heads: C2SP signed notes of the checkpoint text (origin, size, base64 root, time extension line) under the Ed25519 log key. teecert-anchor anchors them on chain.';
COMMENT ON COLUMN log_checkpoints.tree_size IS 'Number of entries the checkpoint covers; strictly increasing in insertion order.';
COMMENT ON COLUMN log_checkpoints.root IS 'Merkle tree head of the first tree_size entries; checked against log_root() on insert.';
COMMENT ON COLUMN log_checkpoints.signed_at IS 'The time line of the signed checkpoint (whole seconds).';
COMMENT ON COLUMN log_checkpoints.note IS 'The complete signed note: checkpoint text, blank line, signature line(s).';
COMMENT ON COLUMN log_checkpoints.key_name IS 'Name of the log key (the checkpoint origin), as in the signature line.';
COMMENT ON COLUMN log_checkpoints.key_id IS 'C2SP key id: first 4 bytes of SHA-256(key name || 0x0A || 0x01 || Ed25519 public key).';
COMMENT ON COLUMN log_checkpoints.signature IS 'The Ed25519 signature over the checkpoint text.';
COMMENT ON COLUMN log_checkpoints.created_at IS 'When the row was inserted (database clock).';

CREATE FUNCTION log_checkpoints_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last log_checkpoints%ROWTYPE;
BEGIN
    IF NEW.tree_size > (SELECT size FROM log_state) THEN
        RAISE EXCEPTION 'log_checkpoints: size % is beyond the log', NEW.tree_size USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO last FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1;
    IF FOUND AND (NEW.tree_size <= last.tree_size OR NEW.signed_at < last.signed_at) THEN
        RAISE EXCEPTION 'log_checkpoints: size % / time % does not follow the latest checkpoint (size %)',
            NEW.tree_size, NEW.signed_at, last.tree_size USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.root <> log_root(NEW.tree_size) THEN
        RAISE EXCEPTION 'log_checkpoints: root for size % differs from the log', NEW.tree_size
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION log_checkpoints_check() IS 'A checkpoint must grow the previous one and carry the root of the stored tree.';
CREATE TRIGGER log_checkpoints_check BEFORE INSERT ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION log_checkpoints_check();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();
