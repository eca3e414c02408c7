/*
 * chain.h — the public door of chain/ (libtc_chain): the pure-C Ethereum and Merkle pieces that anchor the
 * certificate log on opBNB (DESIGN.md "Transparency log and anchoring"):
 *
 *   Keccak-256 (FIPS 202 Keccak-f[1600], original 0x01 padding)      chain_keccak.c
 *   RLP encoder and strict (canonical-only) decoder, yellow paper B   chain_rlp.c
 *   256-bit unsigned amounts (wei, fees)                              chain_u256.c
 *   secp256k1 keys, addresses, EIP-55                                 chain_key.c
 *   EIP-1559 (type 2) and EIP-155 legacy transactions                 chain_tx.c
 *   Solidity ABI static types, anchor() calldata, Anchored event      chain_abi.c
 *   RFC 9162 Merkle tree: roots, inclusion and consistency proofs     chain_merkle.c
 *   C2SP signed notes and checkpoints (Ed25519 log key)               chain_note.c
 *
 * Nothing here touches the network or a database. See docs/chain.md for a tour.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tc.h"

/* ------------------------------------------------------------------------------------------ Keccak-256 */

#define CHAIN_KECCAK256_LEN 32
/* Rate of Keccak-256 in bytes: (1600 - 2 * 256) / 8 (FIPS 202 §6.2 with c = 512). */
#define CHAIN_KECCAK_RATE 136
#define CHAIN_KECCAK_LANES 25

/* Incremental Keccak-256: init, any number of updates, final. Cannot fail. */
struct chain_keccak {
	uint64_t state[CHAIN_KECCAK_LANES];
	uint8_t block[CHAIN_KECCAK_RATE];
	size_t block_len;
};

void chain_keccak_init(struct chain_keccak *k);
void chain_keccak_update(struct chain_keccak *k, const void *data, size_t len);
/* Write the digest and wipe the state. */
void chain_keccak_final(struct chain_keccak *k, uint8_t out[CHAIN_KECCAK256_LEN]);
void chain_keccak256(const void *data, size_t len, uint8_t out[CHAIN_KECCAK256_LEN]);

/* ------------------------------------------------------------------------------- 256-bit unsigned ints */

#define CHAIN_U256_LEN 32
/* Longest decimal form of a uint256 (78 digits) plus NUL. */
#define CHAIN_U256_DEC_SIZE 79

/* A 256-bit unsigned integer as 32 big-endian bytes (amounts in wei, fees, gas prices, ABI uint256). */
struct chain_u256 {
	uint8_t be[CHAIN_U256_LEN];
};

void chain_u256_from_u64(struct chain_u256 *out, uint64_t v);
/* Fails with TC_ERR_INVALID_ARGUMENT when the value does not fit in 64 bits. */
TC_RESULT chain_u256_to_u64(const struct chain_u256 *v, uint64_t *out);
/* Decimal digits only (no sign, no spaces, no leading zeros except "0"); fails on overflow. */
TC_RESULT chain_u256_from_dec(const char *s, size_t len, struct chain_u256 *out);
void chain_u256_to_dec(const struct chain_u256 *v, char out[CHAIN_U256_DEC_SIZE]);
/* -1, 0 or 1. */
int chain_u256_cmp(const struct chain_u256 *a, const struct chain_u256 *b);
bool chain_u256_is_zero(const struct chain_u256 *v);
/* a + b; fails on overflow. */
TC_RESULT chain_u256_add(const struct chain_u256 *a, const struct chain_u256 *b, struct chain_u256 *out);
/* a * m; fails on overflow. */
TC_RESULT chain_u256_mul_u64(const struct chain_u256 *a, uint64_t m, struct chain_u256 *out);
/* a / d (floor) and optionally a % d; d must not be 0. */
TC_RESULT chain_u256_div_u64(const struct chain_u256 *a, uint64_t d, struct chain_u256 *quot, uint64_t *rem);

/* --------------------------------------------------------------------------------------------------- RLP */

/* Nesting limit of the decoder (our transactions nest two deep; the limit only bounds recursion). */
#define CHAIN_RLP_MAX_DEPTH 32

/* Encoder (Ethereum yellow paper, Appendix B). Items are appended to OUT. */
TC_RESULT chain_rlp_put_bytes(struct tc_buf *out, const void *data, size_t len);
/* Integers are the minimal big-endian byte string (0 is the empty string, 0x80). */
TC_RESULT chain_rlp_put_u64(struct tc_buf *out, uint64_t v);
TC_RESULT chain_rlp_put_u256(struct tc_buf *out, const struct chain_u256 *v);
/* A list: begin remembers where its payload starts; end inserts the header in front of the payload. */
TC_RESULT chain_rlp_list_begin(struct tc_buf *out, size_t *mark);
TC_RESULT chain_rlp_list_end(struct tc_buf *out, size_t mark);

/* One decoded item: a byte string or a list, with its payload borrowed from the input. */
struct chain_rlp_item {
	bool is_list;
	const uint8_t *payload;
	size_t len;
};

/*
 * Read the next item from C. Strict: only the canonical encoding is accepted (single bytes < 0x80 as
 * themselves, short form for lengths < 56, no leading zeros in long lengths), and a list's payload must
 * consist of whole canonical items, recursively (at most CHAIN_RLP_MAX_DEPTH deep). Malformed input fails
 * with TC_ERR_TRUNCATED or TC_ERR_INVALID_ARGUMENT and leaves C unchanged.
 */
TC_RESULT chain_rlp_next(struct tc_cursor *c, struct chain_rlp_item *out);
/* Decode DATA as exactly one item; trailing bytes are an error. */
TC_RESULT chain_rlp_decode(const void *data, size_t len, struct chain_rlp_item *out);
/* A cursor over the items of a list item (fails for a byte string). */
TC_RESULT chain_rlp_enter(const struct chain_rlp_item *list, struct tc_cursor *out);
/* Typed reads of the next item of a list cursor. Integers must be minimal (no leading zero byte). */
TC_RESULT chain_rlp_get_u64(struct tc_cursor *c, uint64_t *out);
TC_RESULT chain_rlp_get_u256(struct tc_cursor *c, struct chain_u256 *out);
/* A byte string of exactly LEN bytes. */
TC_RESULT chain_rlp_get_fixed(struct tc_cursor *c, void *out, size_t len);
/* A byte string of any length (borrowed). */
TC_RESULT chain_rlp_get_bytes(struct tc_cursor *c, const uint8_t **data, size_t *len);

/* ------------------------------------------------------------------------------------ keys, addresses */

#define CHAIN_PRIVKEY_LEN 32
#define CHAIN_PUBKEY_LEN 65 /* SEC1 uncompressed: 0x04 || X || Y */
#define CHAIN_ADDRESS_LEN 20
/* "0x" + 40 hex digits + NUL. */
#define CHAIN_ADDRESS_STR_SIZE 43
/* Key files hold 64 hex digits (optionally 0x-prefixed, optionally followed by a newline). */
#define CHAIN_KEY_FILE_MAX 256

/* A secp256k1 signing key with its public key and address. Wipe it with chain_key_cleanup(). */
struct chain_key {
	uint8_t secret[CHAIN_PRIVKEY_LEN];
	uint8_t pubkey[CHAIN_PUBKEY_LEN];
	uint8_t address[CHAIN_ADDRESS_LEN];
};

/* Fails with TC_ERR_INVALID_ARGUMENT for 0 and values >= the group order. */
TC_RESULT chain_key_from_bytes(struct chain_key *key, const uint8_t secret[CHAIN_PRIVKEY_LEN]);
TC_RESULT chain_key_from_hex(struct chain_key *key, const char *hex, size_t len);
/* Read a hex key file; it must be a regular file that neither group nor others may access (0600/0400). */
TC_RESULT chain_key_load_file(struct chain_key *key, const char *path);
/* Generate a fresh key from the system RNG. */
TC_RESULT chain_key_generate(struct chain_key *key);
void chain_key_cleanup(struct chain_key *key);

/* address = last 20 bytes of keccak256(X || Y) of an uncompressed (65-byte) public key. */
TC_RESULT chain_address_from_pubkey(const uint8_t pubkey[CHAIN_PUBKEY_LEN], uint8_t out[CHAIN_ADDRESS_LEN]);
/* EIP-55 mixed-case checksum form, "0x"-prefixed. */
void chain_address_to_eip55(const uint8_t addr[CHAIN_ADDRESS_LEN], char out[CHAIN_ADDRESS_STR_SIZE]);
/*
 * Parse "0x" + 40 hex digits. All-lowercase and all-uppercase forms are accepted as they are; a mixed-case
 * form must carry a valid EIP-55 checksum.
 */
TC_RESULT chain_address_parse(const char *s, size_t len, uint8_t out[CHAIN_ADDRESS_LEN]);

/* ------------------------------------------------------------------------------------------ transactions */

#define CHAIN_HASH_LEN 32
#define CHAIN_SIG_SCALAR_LEN 32
/* EIP-2718 type byte of EIP-1559 transactions. */
#define CHAIN_TX_TYPE_EIP1559 0x02
/* Largest raw transaction we build or decode (calldata of anchor() is 100 bytes). */
#define CHAIN_TX_MAX_LEN ((size_t)128 * 1024)

enum chain_tx_type {
	CHAIN_TX_LEGACY = 0,  /* EIP-155 replay-protected (chain_id > 0) or pre-EIP-155 (chain_id 0) */
	CHAIN_TX_EIP1559 = 2, /* EIP-1559 dynamic fee, EIP-2718 envelope 0x02 || rlp(...) */
};

/* A transaction's fields. DATA is borrowed. The access list is always empty. */
struct chain_tx {
	enum chain_tx_type type;
	uint64_t chain_id;
	uint64_t nonce;
	struct chain_u256 gas_price;                /* legacy only */
	struct chain_u256 max_priority_fee_per_gas; /* EIP-1559 only */
	struct chain_u256 max_fee_per_gas;          /* EIP-1559 only */
	uint64_t gas_limit;
	bool has_to; /* false: contract creation (empty "to") */
	uint8_t to[CHAIN_ADDRESS_LEN];
	struct chain_u256 value;
	const uint8_t *data;
	size_t data_len;
};

/* A recoverable secp256k1 signature: r, s (32-byte big-endian, low-S) and the recovery id 0/1. */
struct chain_signature {
	uint8_t r[CHAIN_SIG_SCALAR_LEN];
	uint8_t s[CHAIN_SIG_SCALAR_LEN];
	int recid;
};

/* The bytes that are hashed for signing (EIP-155 9-field list, or 0x02 || rlp of the 9 EIP-1559 fields). */
TC_RESULT chain_tx_signing_payload(const struct chain_tx *tx, struct tc_buf *out);
TC_RESULT chain_tx_signing_hash(const struct chain_tx *tx, uint8_t out[CHAIN_HASH_LEN]);
/* The raw signed transaction (what eth_sendRawTransaction takes), appended to RAW. */
TC_RESULT chain_tx_encode_signed(const struct chain_tx *tx, const struct chain_signature *sig, struct tc_buf *raw);
/*
 * Sign TX with KEY (RFC 6979 deterministic nonce, low-S) and append the raw transaction to RAW. TX_HASH
 * (keccak256 of the raw bytes) and SIG are written when not NULL.
 */
TC_RESULT chain_tx_sign(const struct chain_tx *tx, const struct chain_key *key, struct tc_buf *raw,
			uint8_t tx_hash[CHAIN_HASH_LEN], struct chain_signature *sig);
/*
 * Decode a raw signed transaction (legacy or type 2; strict RLP, empty access list only, low-S), recover
 * its sender and compute its hash. TX->data points into RAW. FROM and TX_HASH may be NULL.
 */
TC_RESULT chain_tx_decode(const uint8_t *raw, size_t len, struct chain_tx *tx, struct chain_signature *sig,
			  uint8_t from[CHAIN_ADDRESS_LEN], uint8_t tx_hash[CHAIN_HASH_LEN]);
/* Recover the signer's address of a 32-byte message hash. */
TC_RESULT chain_recover_address(const uint8_t hash[CHAIN_HASH_LEN], const struct chain_signature *sig,
				uint8_t out[CHAIN_ADDRESS_LEN]);

/* ------------------------------------------------------------------------------------------------- ABI */

/* Solidity ABI (docs.soliditylang.org "Contract ABI Specification"): every static value is one 32-byte word. */
#define CHAIN_ABI_WORD 32
#define CHAIN_ABI_SELECTOR_LEN 4

/*
 * The anchor contract's interface (chain/contracts/TeecertAnchor.sol). These two strings are the one place
 * the signatures are written in C; test_chain_abi checks them against the compiled artifact's ABI.
 */
#define CHAIN_ANCHOR_FN_SIG "anchor(uint64,bytes32,uint64)"
#define CHAIN_ANCHORED_EVENT_SIG "Anchored(uint64,bytes32,uint64)"
/* selector(4) + treeSize + root + prevTreeSize. */
#define CHAIN_ANCHOR_CALLDATA_LEN (CHAIN_ABI_SELECTOR_LEN + 3 * CHAIN_ABI_WORD)
/* topic0 = event id, topic1 = indexed treeSize. */
#define CHAIN_ANCHORED_TOPICS 2
/* root, prevTreeSize. */
#define CHAIN_ANCHORED_DATA_LEN (2 * CHAIN_ABI_WORD)

/* Static-type encoders: one word appended to OUT. */
TC_RESULT chain_abi_put_u64(struct tc_buf *out, uint64_t v);
TC_RESULT chain_abi_put_u256(struct tc_buf *out, const struct chain_u256 *v);
TC_RESULT chain_abi_put_bytes32(struct tc_buf *out, const uint8_t v[CHAIN_ABI_WORD]);
TC_RESULT chain_abi_put_address(struct tc_buf *out, const uint8_t addr[CHAIN_ADDRESS_LEN]);
/* Static-type decoders: one word from C; the padding must be zero (a uint64 must fit in 64 bits). */
TC_RESULT chain_abi_get_u64(struct tc_cursor *c, uint64_t *out);
TC_RESULT chain_abi_get_u256(struct tc_cursor *c, struct chain_u256 *out);
TC_RESULT chain_abi_get_bytes32(struct tc_cursor *c, uint8_t out[CHAIN_ABI_WORD]);
TC_RESULT chain_abi_get_address(struct tc_cursor *c, uint8_t out[CHAIN_ADDRESS_LEN]);

/* First 4 bytes of keccak256(SIGNATURE) (function selector) and the full hash (event topic 0). */
void chain_abi_selector(const char *signature, uint8_t out[CHAIN_ABI_SELECTOR_LEN]);
void chain_abi_event_topic(const char *signature, uint8_t out[CHAIN_HASH_LEN]);

/* Calldata of anchor(treeSize, root, prevTreeSize), appended to OUT. */
TC_RESULT chain_anchor_calldata(uint64_t tree_size, const uint8_t root[CHAIN_HASH_LEN], uint64_t prev_tree_size,
				struct tc_buf *out);
/* The reverse (e.g. to check a stored, not yet mined transaction). */
TC_RESULT chain_anchor_calldata_decode(const uint8_t *data, size_t len, uint64_t *tree_size,
				       uint8_t root[CHAIN_HASH_LEN], uint64_t *prev_tree_size);

/* Anchored(uint64 indexed treeSize, bytes32 root, uint64 prevTreeSize); its time is the block's. */
struct chain_anchored_event {
	uint64_t tree_size;
	uint8_t root[CHAIN_HASH_LEN];
	uint64_t prev_tree_size;
};

/* Decode one log entry's topics and data; fails when topic 0 is not the Anchored event. */
TC_RESULT chain_anchored_decode(const uint8_t (*topics)[CHAIN_HASH_LEN], size_t n_topics, const uint8_t *data,
				size_t data_len, struct chain_anchored_event *out);

/* ---------------------------------------------------------------------------------- Merkle (RFC 9162) */

/* Largest tree: indices and sizes are uint64; a subtree level is 0..63. */
#define CHAIN_MERKLE_MAX_LEVEL 63
/* An inclusion proof has at most one hash per level; a consistency proof at most one more. */
#define CHAIN_MERKLE_PROOF_MAX 65

/*
 * Where proofs get their hashes from: the hash of the complete subtree of 2^LEVEL leaves starting at leaf
 * START (START is a multiple of 2^LEVEL; level 0 is a leaf hash). The generators below ask only for
 * subtrees inside the tree they were given, O(log n) per proof, so a PostgreSQL-backed log can answer from
 * a table of stored subtree hashes without loading leaves.
 */
struct chain_merkle_source {
	struct tc_result (*subtree)(void *ctx, uint64_t start, unsigned level, uint8_t out[CHAIN_HASH_LEN]);
	void *ctx;
};

/* An audit path, leaf level first (RFC 9162 §2.1.3.1 / §2.1.4.1 order). */
struct chain_merkle_proof {
	size_t len;
	uint8_t hash[CHAIN_MERKLE_PROOF_MAX][CHAIN_HASH_LEN];
};

/* SHA-256(0x00 || entry) and SHA-256(0x01 || left || right) (RFC 9162 §2.1.1). */
TC_RESULT chain_merkle_leaf_hash(const void *entry, size_t len, uint8_t out[CHAIN_HASH_LEN]);
TC_RESULT chain_merkle_node_hash(const uint8_t left[CHAIN_HASH_LEN], const uint8_t right[CHAIN_HASH_LEN],
				 uint8_t out[CHAIN_HASH_LEN]);
/* MTH of the first SIZE leaves (SIZE 0: SHA-256 of the empty string). */
TC_RESULT chain_merkle_root(const struct chain_merkle_source *src, uint64_t size, uint8_t out[CHAIN_HASH_LEN]);
/* PATH(index, D[size]) (RFC 9162 §2.1.3.1). */
TC_RESULT chain_merkle_inclusion_proof(const struct chain_merkle_source *src, uint64_t index, uint64_t size,
				       struct chain_merkle_proof *out);
/* PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1); 0 < size1 <= size2. */
TC_RESULT chain_merkle_consistency_proof(const struct chain_merkle_source *src, uint64_t size1, uint64_t size2,
					 struct chain_merkle_proof *out);
/* RFC 9162 §2.1.3.2. Any mismatch fails with TC_ERR_INVALID_ARGUMENT ("inclusion proof invalid: ..."). */
TC_RESULT chain_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[CHAIN_HASH_LEN],
					const uint8_t (*path)[CHAIN_HASH_LEN], size_t path_len,
					const uint8_t root[CHAIN_HASH_LEN]);
/*
 * RFC 9162 §2.1.4.2, with size1 == size2 valid iff the path is empty and the roots are equal, and size1 == 0
 * rejected (a proof from the empty tree proves nothing).
 */
TC_RESULT chain_merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[CHAIN_HASH_LEN],
					  const uint8_t root2[CHAIN_HASH_LEN], const uint8_t (*path)[CHAIN_HASH_LEN],
					  size_t path_len);

/*
 * An in-memory tree that stores every complete subtree hash (about 2n hashes), appended leaf by leaf. It
 * is the reference implementation of struct chain_merkle_source (tests, benchmarks, small tools).
 */
struct chain_merkle_mem {
	uint64_t size;
	struct tc_buf level[CHAIN_MERKLE_MAX_LEVEL + 1]; /* level[k]: hashes of complete 2^k subtrees, in order */
};

/* MAX_LEAVES bounds the memory (each level's buffer gets a hard maximum). */
void chain_merkle_mem_init(struct chain_merkle_mem *t, uint64_t max_leaves);
void chain_merkle_mem_cleanup(struct chain_merkle_mem *t);
TC_RESULT chain_merkle_mem_append_hash(struct chain_merkle_mem *t, const uint8_t leaf_hash[CHAIN_HASH_LEN]);
TC_RESULT chain_merkle_mem_append(struct chain_merkle_mem *t, const void *entry, size_t len);
/* A source reading from T (borrowed; T must outlive it). */
struct chain_merkle_source chain_merkle_mem_source(struct chain_merkle_mem *t);

/* ------------------------------------------------------------------------- JSON-RPC client (chain_rpc.c) */

/*
 * An Ethereum JSON-RPC 2.0 client over HTTP(S) (libcurl). Several endpoint URLs may be given: a request
 * that cannot be completed on one (connection failure, timeout, HTTP 429/5xx, JSON-RPC rate limit) is
 * retried with exponential backoff and full jitter, moving to the next URL each time, up to MAX_ATTEMPTS
 * tries in all. Every response is parsed with tc_json_parse (size-limited, duplicate keys rejected) and
 * every quantity / data field is decoded strictly (ethereum.org JSON-RPC "hex value encoding": quantities
 * are 0x + minimal hex digits, data is 0x + an even number of digits).
 *
 * Errors: TC_ERR_CHAIN_UNAVAILABLE when no endpoint produced a usable answer within the attempts;
 * TC_ERR_CHAIN_RPC_ERROR when the node returned a JSON-RPC error (see chain_rpc_last_error) or a
 * malformed result. One struct chain_rpc is used by one thread at a time.
 */
#define CHAIN_RPC_MAX_URLS 8
#define CHAIN_RPC_RESPONSE_MAX ((size_t)16 * 1024 * 1024)
#define CHAIN_RPC_ERROR_MSG_MAX 256
/* JSON-RPC error codes that mean "slow down" (EIP-1474 "limit exceeded"; some providers use 429). */
#define CHAIN_RPC_CODE_LIMIT_EXCEEDED (-32005)

struct chain_rpc_options {
	const char *urls[CHAIN_RPC_MAX_URLS]; /* borrowed; first N_URLS used */
	size_t n_urls;
	unsigned timeout_ms;      /* whole request; 0: 10000 */
	unsigned connect_timeout_ms; /* 0: 3000 */
	unsigned max_attempts;    /* total tries of one request over all URLs; 0: 6 */
	unsigned backoff_base_ms; /* first retry waits up to this (full jitter); 0: 200 */
	unsigned backoff_max_ms;  /* cap of the exponential backoff; 0: 5000 */
};

struct chain_rpc;

struct chain_rpc_stats {
	unsigned long long requests; /* JSON-RPC calls made by callers */
	unsigned long long attempts; /* HTTP requests sent (requests + retries) */
	unsigned long long retries;  /* attempts that were retries */
	unsigned long long failovers; /* moves to another URL */
};

/* Split a comma-separated URL list into OPTS->urls in place (commas become NULs; LIST must outlive OPTS). */
TC_RESULT chain_rpc_options_parse_urls(char *list, struct chain_rpc_options *opts);
TC_RESULT chain_rpc_new(const struct chain_rpc_options *opts, struct chain_rpc **out);
void chain_rpc_free(struct chain_rpc **rpc);
void chain_rpc_stats(const struct chain_rpc *rpc, struct chain_rpc_stats *out);
/* JSON-RPC error of the last call that failed with TC_ERR_CHAIN_RPC_ERROR (code 0 and "" otherwise). */
int chain_rpc_last_error(const struct chain_rpc *rpc, const char **message);

/* Generic call: PARAMS (stolen; NULL means []) → *RESULT (new reference, may be JSON null). */
TC_RESULT chain_rpc_call(struct chain_rpc *rpc, const char *method, json_t *params, json_t **result);

/* Strict decoders of JSON-RPC values (exposed for tests and for callers of chain_rpc_call). */
TC_RESULT chain_rpc_parse_quantity(const json_t *v, uint64_t *out);
TC_RESULT chain_rpc_parse_quantity_u256(const json_t *v, struct chain_u256 *out);
/* "0x" + even hex digits, appended to OUT. */
TC_RESULT chain_rpc_parse_data(const json_t *v, struct tc_buf *out);
TC_RESULT chain_rpc_parse_fixed(const json_t *v, void *out, size_t len);

/* Block selectors: a tag or a number. */
enum chain_block_tag { CHAIN_BLOCK_NUMBER, CHAIN_BLOCK_LATEST, CHAIN_BLOCK_PENDING, CHAIN_BLOCK_SAFE, CHAIN_BLOCK_FINALIZED };

struct chain_block_ref {
	enum chain_block_tag tag;
	uint64_t number; /* CHAIN_BLOCK_NUMBER only */
};

struct chain_block {
	uint64_t number;
	uint8_t hash[CHAIN_HASH_LEN];
	uint8_t parent_hash[CHAIN_HASH_LEN];
	uint64_t timestamp;
	bool has_base_fee;
	struct chain_u256 base_fee_per_gas;
};

struct chain_receipt {
	uint8_t tx_hash[CHAIN_HASH_LEN];
	uint64_t block_number;
	uint8_t block_hash[CHAIN_HASH_LEN];
	bool status; /* true: success (status 0x1) */
	uint64_t gas_used;
	struct chain_u256 effective_gas_price;
	bool has_contract_address;
	uint8_t contract_address[CHAIN_ADDRESS_LEN];
};

/* One log entry of eth_getLogs (DATA borrowed for the duration of the callback). */
struct chain_log {
	uint8_t address[CHAIN_ADDRESS_LEN];
	uint8_t topics[4][CHAIN_HASH_LEN];
	size_t n_topics;
	const uint8_t *data;
	size_t data_len;
	uint64_t block_number;
	uint8_t block_hash[CHAIN_HASH_LEN];
	uint8_t tx_hash[CHAIN_HASH_LEN];
	uint64_t log_index;
	bool removed;
};

/* Suggested EIP-1559 fees: base fee of the next block and a priority fee (percentile of recent blocks). */
struct chain_fee_suggestion {
	struct chain_u256 base_fee;     /* next block's base fee */
	struct chain_u256 priority_fee; /* max priority fee per gas to offer */
};

TC_RESULT chain_rpc_chain_id(struct chain_rpc *rpc, uint64_t *out);
TC_RESULT chain_rpc_block_number(struct chain_rpc *rpc, uint64_t *out);
/* eth_getTransactionCount at "pending" (PENDING true) or "latest". */
TC_RESULT chain_rpc_nonce(struct chain_rpc *rpc, const uint8_t addr[CHAIN_ADDRESS_LEN], bool pending,
			  uint64_t *out);
TC_RESULT chain_rpc_gas_price(struct chain_rpc *rpc, struct chain_u256 *out);
TC_RESULT chain_rpc_max_priority_fee(struct chain_rpc *rpc, struct chain_u256 *out);
/*
 * eth_feeHistory over the last BLOCKS blocks with the PERCENTILE reward: base fee of the next block and the
 * median of the per-block rewards (EIP-1559 §"Specification"; the node computes the next base fee). Falls
 * back to eth_maxPriorityFeePerGas / eth_gasPrice when the node lacks eth_feeHistory.
 */
TC_RESULT chain_rpc_fee_suggestion(struct chain_rpc *rpc, unsigned blocks, unsigned percentile,
				   struct chain_fee_suggestion *out);
/* eth_estimateGas for a call FROM → TO (NULL: contract creation) with DATA. */
TC_RESULT chain_rpc_estimate_gas(struct chain_rpc *rpc, const uint8_t from[CHAIN_ADDRESS_LEN],
				 const uint8_t *to, const uint8_t *data, size_t len, uint64_t *out);
/* eth_sendRawTransaction; TX_HASH gets the node's answer (may be NULL). */
TC_RESULT chain_rpc_send_raw(struct chain_rpc *rpc, const uint8_t *raw, size_t len,
			     uint8_t tx_hash[CHAIN_HASH_LEN]);
/* eth_getTransactionReceipt; *FOUND false when the node has none (pending, dropped or unknown). */
TC_RESULT chain_rpc_receipt(struct chain_rpc *rpc, const uint8_t tx_hash[CHAIN_HASH_LEN], struct chain_receipt *out,
			    bool *found);
/* eth_getTransactionByHash: only whether the node knows it (in the pool or in a block). */
TC_RESULT chain_rpc_tx_known(struct chain_rpc *rpc, const uint8_t tx_hash[CHAIN_HASH_LEN], bool *known);
/* eth_getBlockByNumber (header fields only); *FOUND false when there is no such block. */
TC_RESULT chain_rpc_block(struct chain_rpc *rpc, struct chain_block_ref ref, struct chain_block *out, bool *found);
/* eth_call TO with DATA at REF; the return data is appended to OUT. */
TC_RESULT chain_rpc_eth_call(struct chain_rpc *rpc, const uint8_t to[CHAIN_ADDRESS_LEN], const uint8_t *data,
			     size_t len, struct chain_block_ref ref, struct tc_buf *out);

typedef struct tc_result (*chain_log_fn)(void *ctx, const struct chain_log *log);

/*
 * eth_getLogs of ADDRESS with topic 0 TOPIC0 (may be NULL) over blocks FROM..TO (inclusive), asked in
 * ranges of at most RANGE blocks (0: 5000). A range the node refuses as too large (or too many results) is
 * halved and asked again. FN is called for every log in block order; its failure stops the walk.
 */
TC_RESULT chain_rpc_get_logs(struct chain_rpc *rpc, const uint8_t address[CHAIN_ADDRESS_LEN],
			     const uint8_t *topic0, uint64_t from, uint64_t to, uint64_t range, chain_log_fn fn,
			     void *ctx);

/* --------------------------------------------------------------- signed notes and checkpoints (C2SP) */

/*
 * The log's signed tree heads are C2SP signed notes (c2sp.org/signed-note) whose text is a C2SP checkpoint
 * (c2sp.org/tlog-checkpoint), signed with an Ed25519 log key:
 *
 *   <origin>\n<tree size, decimal>\n<base64 root>\ntime <Unix seconds>\n
 *   \n
 *   U+2014 <key name> <base64(key id || Ed25519 signature)>\n
 *
 * The key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key); a verifier key is
 * shared as "<name>+<8 hex digits of the key id>+<base64(0x01 || public key)>" (Go's sumdb/note form).
 * The origin of a teecert checkpoint is the log key's name. chain_note.c; docs/log.md.
 */
#define CHAIN_NOTE_KEY_ID_LEN 4
#define CHAIN_ED25519_PUBKEY_LEN 32
#define CHAIN_ED25519_SIG_LEN 64
#define CHAIN_NOTE_SIG_TYPE_ED25519 0x01
/* Longest key name / checkpoint origin (bytes, without NUL). */
#define CHAIN_NOTE_NAME_MAX 255
/* Largest note we sign or accept, and the most signature lines we read (Go's note.Open allows 100). */
#define CHAIN_NOTE_MAX 4096
#define CHAIN_NOTE_MAX_SIGS 16
/* Largest PEM key file we read. */
#define CHAIN_NOTE_KEY_FILE_MAX 4096

/* What verifies a note: the key's name, id and Ed25519 public key. Plain data, freely copied. */
struct chain_note_verifier {
	char name[CHAIN_NOTE_NAME_MAX + 1];
	uint8_t key_id[CHAIN_NOTE_KEY_ID_LEN];
	uint8_t pubkey[CHAIN_ED25519_PUBKEY_LEN];
};

/* An Ed25519 signing key with its name (opaque; the private key never leaves chain_note.c). */
struct chain_note_signer;

/*
 * Key names: 1..CHAIN_NOTE_NAME_MAX printable ASCII characters other than space and '+' (the spec allows
 * more of Unicode; names we create or accept as ours are kept to this subset).
 */
TC_RESULT chain_note_signer_generate(const char *name, struct chain_note_signer **out);
/* Read a PKCS#8 PEM Ed25519 private key; the file must be regular and not accessible by group or others. */
TC_RESULT chain_note_signer_load(const char *path, const char *name, struct chain_note_signer **out);
/* Write the private key as PKCS#8 PEM with mode 0600 (atomically). */
TC_RESULT chain_note_signer_save(const struct chain_note_signer *s, const char *path);
void chain_note_signer_free(struct chain_note_signer **s);
/* The verifier of a signer (borrowed, lives as long as the signer). */
const struct chain_note_verifier *chain_note_signer_verifier(const struct chain_note_signer *s);

TC_RESULT chain_note_key_id(const char *name, const uint8_t pubkey[CHAIN_ED25519_PUBKEY_LEN],
			    uint8_t out[CHAIN_NOTE_KEY_ID_LEN]);
/* A verifier from its parts (computes the key id). */
TC_RESULT chain_note_verifier_init(struct chain_note_verifier *v, const char *name,
				   const uint8_t pubkey[CHAIN_ED25519_PUBKEY_LEN]);
/* "<name>+<hex key id>+<base64(0x01 || public key)>"; parse checks that the key id matches. */
TC_RESULT chain_note_verifier_format(const struct chain_note_verifier *v, struct tc_buf *out);
TC_RESULT chain_note_verifier_parse(const char *vkey, size_t len, struct chain_note_verifier *out);

/*
 * Sign TEXT (non-empty, ends with a newline, no blank line, no control characters other than newline) and
 * append the signed note to NOTE. SIG gets the raw signature when not NULL.
 */
TC_RESULT chain_note_sign(const struct chain_note_signer *s, const char *text, size_t len, struct tc_buf *note,
			  uint8_t sig[CHAIN_ED25519_SIG_LEN]);
/*
 * Verify NOTE with V: the note must be well formed (UTF-8, no control characters but newline, text, blank
 * line, 1..CHAIN_NOTE_MAX_SIGS well-formed signature lines) and carry a valid signature of V's key (name
 * and key id); lines of other keys are ignored, a bad signature of V's key rejects the note. On success
 * *TEXT_LEN is the length of the signed text, a prefix of NOTE.
 */
TC_RESULT chain_note_open(const char *note, size_t len, const struct chain_note_verifier *v, size_t *text_len);

/* A checkpoint: the signed statement "the first TREE_SIZE entries of log ORIGIN have root ROOT at TIME". */
struct chain_checkpoint {
	char origin[CHAIN_NOTE_NAME_MAX + 1];
	uint64_t tree_size;
	uint8_t root[CHAIN_HASH_LEN];
	int64_t time; /* Unix seconds, >= 0 */
};

/* The checkpoint text (four lines), appended to TEXT. */
TC_RESULT chain_checkpoint_format(const struct chain_checkpoint *cp, struct tc_buf *text);
/*
 * Parse checkpoint text strictly: origin line, decimal size without leading zeros, base64 of exactly 32
 * bytes, then extension lines of which "time <decimal Unix seconds>" must be one (others are ignored).
 */
TC_RESULT chain_checkpoint_parse(const char *text, size_t len, struct chain_checkpoint *out);
/* Format and sign CP (its origin must be the signer's name); the note is appended to NOTE. */
TC_RESULT chain_checkpoint_sign(const struct chain_note_signer *s, const struct chain_checkpoint *cp,
				struct tc_buf *note, uint8_t sig[CHAIN_ED25519_SIG_LEN]);
/* Verify NOTE with V, parse its text, and require origin == V's name. */
TC_RESULT chain_checkpoint_open(const char *note, size_t len, const struct chain_note_verifier *v,
				struct chain_checkpoint *out);

#endif /* CHAIN_H */
