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

#endif /* CHAIN_H */
