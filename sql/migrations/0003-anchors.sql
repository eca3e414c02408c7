-- 0003 — chain anchors: the durable state of teecert-anchor (DESIGN.md "Transparency log and anchoring",
-- docs/anchor.md). Every transaction the worker builds is written here before it is broadcast, so a restart
-- (or a crash at any point) resumes from this table alone: no duplicate anchor, no nonce gap.
-- Never edit a migration once released: db_migrate compares the SHA-256 of every applied file.

CREATE TABLE anchor_config (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    chain_id         bigint NOT NULL CHECK (chain_id > 0),
    contract_address bytea NOT NULL CHECK (length(contract_address) = 20),
    from_address     bytea NOT NULL CHECK (length(from_address) = 20),
    deploy_tx_hash   bytea CHECK (length(deploy_tx_hash) = 32),
    deploy_block     bigint CHECK (deploy_block >= 0),
    created_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE anchor_config IS
    'The one anchor contract this deployment writes to (at most one row): written by teecert-anchor deploy, checked by run against the node.';
COMMENT ON COLUMN anchor_config.singleton IS 'Always true: makes the table hold at most one row.';
COMMENT ON COLUMN anchor_config.chain_id IS 'EIP-155 chain id of the network (opBNB mainnet 204, testnet 5611); run refuses a node reporting another.';
COMMENT ON COLUMN anchor_config.contract_address IS 'Address of the TeecertAnchor contract (20 bytes).';
COMMENT ON COLUMN anchor_config.from_address IS 'Address of the chain key that deployed it and is its owner: the only sender of anchor().';
COMMENT ON COLUMN anchor_config.deploy_tx_hash IS 'Hash of the deployment transaction, when known.';
COMMENT ON COLUMN anchor_config.deploy_block IS 'Block of the deployment: auditors start eth_getLogs scans there.';
COMMENT ON COLUMN anchor_config.created_at IS 'When the row was written (database clock).';

CREATE TABLE anchor_txs (
    id                       bigserial PRIMARY KEY,
    state                    text NOT NULL CHECK (state IN
                                 ('planned', 'signed', 'broadcast', 'mined', 'confirmed', 'replaced', 'dropped', 'reverted')),
    tree_size                bigint NOT NULL CHECK (tree_size > 0),
    root                     bytea NOT NULL CHECK (length(root) = 32),
    prev_tree_size           bigint NOT NULL CHECK (prev_tree_size >= 0 AND prev_tree_size < tree_size),
    chain_id                 bigint NOT NULL CHECK (chain_id > 0),
    nonce                    bigint NOT NULL CHECK (nonce >= 0),
    gas_limit                bigint NOT NULL CHECK (gas_limit > 0),
    max_fee_per_gas          numeric(78, 0) NOT NULL CHECK (max_fee_per_gas >= 0),
    max_priority_fee_per_gas numeric(78, 0) NOT NULL CHECK (max_priority_fee_per_gas >= 0
                                 AND max_priority_fee_per_gas <= max_fee_per_gas),
    raw_tx                   bytea,
    tx_hash                  bytea UNIQUE CHECK (length(tx_hash) = 32),
    replaces                 bigint REFERENCES anchor_txs (id),
    attempts                 integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    block_number             bigint CHECK (block_number >= 0),
    block_hash               bytea CHECK (length(block_hash) = 32),
    gas_used                 bigint CHECK (gas_used >= 0),
    last_error               text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    broadcast_at             timestamptz,
    mined_at                 timestamptz,
    confirmed_at             timestamptz,
    -- A signed transaction is stored in full before it may be broadcast.
    CHECK (state = 'planned' OR (raw_tx IS NOT NULL AND tx_hash IS NOT NULL)),
    -- Mined and confirmed rows carry their receipt's block.
    CHECK (state NOT IN ('mined', 'confirmed', 'reverted') OR (block_number IS NOT NULL AND block_hash IS NOT NULL)),
    CHECK (state <> 'confirmed' OR confirmed_at IS NOT NULL)
);
COMMENT ON TABLE anchor_txs IS
    'One row per anchor(treeSize, root, prevTreeSize) transaction teecert-anchor built: the state machine planned -> signed -> broadcast -> mined -> confirmed, plus replaced (superseded by a fee bump with the same nonce), dropped (its nonce was used by another transaction) and reverted (mined with status 0). Live states are planned, signed, broadcast, mined and confirmed.';
COMMENT ON COLUMN anchor_txs.id IS 'Row id; also the order in which transactions were planned.';
COMMENT ON COLUMN anchor_txs.state IS 'planned: nonce and fees chosen; signed: raw_tx stored, not yet sent; broadcast: sent to the node; mined: receipt seen in block_number/block_hash; confirmed: that block is deep enough (or finalized); replaced/dropped/reverted: not live.';
COMMENT ON COLUMN anchor_txs.tree_size IS 'Tree size of the anchored checkpoint (log_checkpoints.tree_size).';
COMMENT ON COLUMN anchor_txs.root IS 'RFC 9162 root hash of the checkpoint (32 bytes).';
COMMENT ON COLUMN anchor_txs.prev_tree_size IS 'The previously anchored tree size the contract must hold (0 for the first anchor).';
COMMENT ON COLUMN anchor_txs.chain_id IS 'EIP-155 chain id the transaction is signed for.';
COMMENT ON COLUMN anchor_txs.nonce IS 'Account nonce of the transaction; a fee bump reuses it, nothing else does.';
COMMENT ON COLUMN anchor_txs.gas_limit IS 'Gas limit (estimate plus margin; constant whatever the checkpoint size).';
COMMENT ON COLUMN anchor_txs.max_fee_per_gas IS 'EIP-1559 maxFeePerGas in wei.';
COMMENT ON COLUMN anchor_txs.max_priority_fee_per_gas IS 'EIP-1559 maxPriorityFeePerGas in wei.';
COMMENT ON COLUMN anchor_txs.raw_tx IS 'The signed EIP-2718 type-2 transaction, stored before the first broadcast and re-sent verbatim after a restart or a reorg.';
COMMENT ON COLUMN anchor_txs.tx_hash IS 'keccak256 of raw_tx.';
COMMENT ON COLUMN anchor_txs.replaces IS 'For a fee bump: the row it replaces (same nonce, same checkpoint).';
COMMENT ON COLUMN anchor_txs.attempts IS 'How many times raw_tx was sent to a node.';
COMMENT ON COLUMN anchor_txs.block_number IS 'Block of the receipt (mined, confirmed, reverted).';
COMMENT ON COLUMN anchor_txs.block_hash IS 'Hash of that block; a different canonical hash at block_number means a reorg dropped the anchor.';
COMMENT ON COLUMN anchor_txs.gas_used IS 'Gas used according to the receipt.';
COMMENT ON COLUMN anchor_txs.last_error IS 'The last problem seen for this transaction (node error, reorg, fee cap), for operators.';
COMMENT ON COLUMN anchor_txs.created_at IS 'When the row was planned (database clock).';
COMMENT ON COLUMN anchor_txs.updated_at IS 'Last change of the row.';
COMMENT ON COLUMN anchor_txs.broadcast_at IS 'Last time raw_tx was sent; a fee bump is due when it stays unmined for too long after this.';
COMMENT ON COLUMN anchor_txs.mined_at IS 'When the worker saw the receipt.';
COMMENT ON COLUMN anchor_txs.confirmed_at IS 'When the worker found the block deep enough or finalized.';

-- At most one live transaction per checkpoint and per nonce (a fee bump marks its predecessor replaced
-- before the replacement becomes live, in one database transaction).
CREATE UNIQUE INDEX anchor_txs_live_tree_size_idx ON anchor_txs (chain_id, tree_size)
    WHERE state IN ('planned', 'signed', 'broadcast', 'mined', 'confirmed');
COMMENT ON INDEX anchor_txs_live_tree_size_idx IS 'One live transaction per checkpoint: a duplicate anchor cannot be planned.';
CREATE UNIQUE INDEX anchor_txs_live_nonce_idx ON anchor_txs (chain_id, nonce)
    WHERE state IN ('planned', 'signed', 'broadcast', 'mined', 'confirmed');
COMMENT ON INDEX anchor_txs_live_nonce_idx IS 'One live transaction per nonce: two different transactions never compete for a nonce unless one is a recorded replacement.';
CREATE INDEX anchor_txs_open_idx ON anchor_txs (nonce)
    WHERE state IN ('planned', 'signed', 'broadcast', 'mined', 'replaced');
COMMENT ON INDEX anchor_txs_open_idx IS 'Serves the worker''s scan of transactions that still need attention.';
