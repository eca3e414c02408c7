/*
 * db.h — the public door of sql/ (libtc_sql): PostgreSQL connections and pool, the transaction runner,
 * schema migrations, and the queries (one C file per query, STYLE.md point 9).
 *
 * Other modules reach the database only through this header. Connections reconnect by themselves and
 * re-prepare their statements after a reconnect; the transaction runner retries serialization failures
 * and deadlocks.
 */
#ifndef DB_H
#define DB_H

#include <stdbool.h>
#include <stdint.h>

#include "tc.h"

/* -------------------------------------------------------------------------------------- connections */

struct db_conn; /* opaque: one libpq connection plus its prepared-statement state */

/* Connect to DSN (libpq conninfo or URI). Fails with TC_ERR_DB_UNAVAILABLE and libpq's message. */
TC_RESULT db_conn_open(const char *dsn, struct db_conn **out);
void db_conn_free(struct db_conn **conn);
/* Make sure the connection is usable: reconnect when it broke (statements are re-prepared lazily). */
TC_RESULT db_conn_check(struct db_conn *conn);
/* The raw libpq handle (struct pg_conn *), for query files inside sql/ only. */
struct pg_conn *db_conn_pg(struct db_conn *conn);

/* A fixed-size pool shared by the request threads of a server. */
struct db_pool;

struct db_pool_stats {
	unsigned size;          /* connections configured */
	unsigned in_use;        /* handed out right now */
	unsigned long long acquired;   /* total acquisitions */
	unsigned long long waited;     /* acquisitions that had to wait for a free connection */
	unsigned long long reconnects; /* reconnections after a broken connection */
	unsigned long long errors;     /* acquisitions that failed (database unreachable) */
};

/* Create a pool of SIZE connections to DSN; connections are opened lazily, so this succeeds while the
 * database is down. */
TC_RESULT db_pool_new(const char *dsn, unsigned size, struct db_pool **out);
void db_pool_free(struct db_pool **pool);
/* Borrow a connection (waits up to TIMEOUT_MS for a free one; checks/reconnects it). */
TC_RESULT db_pool_acquire(struct db_pool *pool, unsigned timeout_ms, struct db_conn **out);
void db_pool_release(struct db_pool *pool, struct db_conn *conn);
void db_pool_stats(struct db_pool *pool, struct db_pool_stats *out);

/* ------------------------------------------------------------------------------------- transactions */

/*
 * Run FN(conn, arg) inside BEGIN ISOLATION LEVEL SERIALIZABLE ... COMMIT. When a statement or the commit
 * fails with SQLSTATE 40001 (serialization_failure) or 40P01 (deadlock_detected), roll back and run FN
 * again, up to DB_TXN_MAX_ATTEMPTS times with a short randomized backoff. Any other failure rolls back and
 * is returned. FN must be safe to re-run (no side effects outside the database).
 */
#define DB_TXN_MAX_ATTEMPTS 16

typedef struct tc_result (*db_txn_fn)(struct db_conn *conn, void *arg);

TC_RESULT db_txn_run(struct db_conn *conn, db_txn_fn fn, void *arg);
/*
 * The same at READ COMMITTED, for a writer that takes its row locks explicitly (SELECT ... FOR UPDATE waits
 * for the holder and then reads the committed row instead of failing): the group commit of issuances
 * (api_ca_batch.c) locks log_state once per batch. Deadlocks are still retried.
 */
TC_RESULT db_txn_run_read_committed(struct db_conn *conn, db_txn_fn fn, void *arg);
/* Inside db_txn_run*: whether a statement of this transaction failed, so that it can only roll back. */
bool db_txn_aborted(const struct db_conn *conn);
/* How many times db_txn_run retried since the process started (for metrics and tests). */
unsigned long long db_txn_retries(void);

/* ---------------------------------------------------------------------------------------- migrations */

/* The newest schema version this binary knows (highest sql/migrations/NNNN-*.sql). */
int db_schema_latest(void);
/* Apply every missing migration, each in its own transaction; APPLIED gets how many ran (may be NULL).
 * Fails with TC_ERR_DB_SCHEMA_UNKNOWN when the database has a version this binary does not know. */
TC_RESULT db_migrate(struct db_conn *conn, int *applied);
/* Check the schema is exactly the one this binary knows: TC_ERR_DB_SCHEMA_OUTDATED (run migrate) or
 * TC_ERR_DB_SCHEMA_UNKNOWN (newer than this binary). Services call it at start and in /readyz. */
TC_RESULT db_schema_check(struct db_conn *conn);

/* ---------------------------------------------------------------------------------------- challenges */

#define DB_NONCE_LEN 32

/* Store a fresh challenge NONCE valid for LIFETIME_S seconds from the database clock; EXPIRES_AT gets the
 * expiry (Unix seconds). */
TC_RESULT db_challenge_insert(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN], int lifetime_s,
			      int64_t *expires_at);
/* Consume a challenge once: TC_ERR_CHALLENGE_NOT_FOUND, TC_ERR_CHALLENGE_EXPIRED or TC_ERR_CHALLENGE_USED
 * when it cannot be used. Run it inside the transaction of the operation that uses it. */
TC_RESULT db_challenge_consume(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN]);
/* Consume N nonces (1..DB_CHALLENGE_BATCH_MAX) in one statement: CONSUMED[i] true for each one that existed,
 * was unused and unexpired (a nonce listed twice: its first position only). Nothing says why one was not:
 * db_challenge_consume does. */
#define DB_CHALLENGE_BATCH_MAX 128
TC_RESULT db_challenge_consume_batch(struct db_conn *conn, const uint8_t (*nonces)[DB_NONCE_LEN], size_t n,
				     bool *consumed);

/* ------------------------------------------------------------------------------------------- anchors */

/*
 * The durable state of teecert-anchor (migration 0003, docs/anchor.md): the contract it writes to and one
 * row per anchor transaction. Fees are decimal strings of wei (numeric(78,0)) so sql/ needs no 256-bit type.
 */
#define DB_ANCHOR_HASH_LEN 32
#define DB_ANCHOR_ADDRESS_LEN 20
#define DB_ANCHOR_DEC_SIZE 80    /* 78 decimal digits of a uint256 plus NUL, with room */
#define DB_ANCHOR_RAW_MAX 1024   /* an anchor() transaction is about 150 bytes */
#define DB_ANCHOR_ERROR_MAX 400
#define DB_ANCHOR_OPEN_MAX 64    /* open rows the worker handles at once */

enum db_anchor_state {
	DB_ANCHOR_PLANNED,
	DB_ANCHOR_SIGNED,
	DB_ANCHOR_BROADCAST,
	DB_ANCHOR_MINED,
	DB_ANCHOR_CONFIRMED,
	DB_ANCHOR_REPLACED,
	DB_ANCHOR_DROPPED,
	DB_ANCHOR_REVERTED,
	DB_ANCHOR_STATE_COUNT
};

/* "planned", "signed", ... as stored in anchor_txs.state. */
const char *db_anchor_state_name(enum db_anchor_state s);
TC_RESULT db_anchor_state_parse(const char *s, enum db_anchor_state *out);

struct db_anchor_config {
	uint64_t chain_id;
	uint8_t contract[DB_ANCHOR_ADDRESS_LEN];
	uint8_t from[DB_ANCHOR_ADDRESS_LEN];
	bool has_deploy_tx;
	uint8_t deploy_tx_hash[DB_ANCHOR_HASH_LEN];
	int64_t deploy_block; /* -1: unknown */
};

/* The configured contract; *FOUND false before `teecert-anchor deploy`. */
TC_RESULT db_anchor_config_get(struct db_conn *conn, struct db_anchor_config *out, bool *found);
/* Record the contract; TC_ERR_DB_CONFLICT when one is configured already. */
TC_RESULT db_anchor_config_insert(struct db_conn *conn, const struct db_anchor_config *cfg);

/* The first checkpoint with a tree size above AFTER (log_checkpoints, migration 0002); *FOUND false if none. */
TC_RESULT db_anchor_next_checkpoint(struct db_conn *conn, uint64_t after, bool *found, uint64_t *tree_size,
				    uint8_t root[DB_ANCHOR_HASH_LEN]);

struct db_anchor_tx {
	int64_t id;
	enum db_anchor_state state;
	uint64_t tree_size;
	uint8_t root[DB_ANCHOR_HASH_LEN];
	uint64_t prev_tree_size;
	uint64_t chain_id;
	uint64_t nonce;
	uint64_t gas_limit;
	char max_fee[DB_ANCHOR_DEC_SIZE];          /* wei, decimal */
	char max_priority_fee[DB_ANCHOR_DEC_SIZE]; /* wei, decimal */
	size_t raw_len;                            /* 0: not signed yet */
	uint8_t raw_tx[DB_ANCHOR_RAW_MAX];
	bool has_tx_hash;
	uint8_t tx_hash[DB_ANCHOR_HASH_LEN];
	int64_t replaces; /* 0: none */
	uint32_t attempts;
	bool has_block;
	uint64_t block_number;
	uint8_t block_hash[DB_ANCHOR_HASH_LEN];
	uint64_t gas_used;
	char last_error[DB_ANCHOR_ERROR_MAX]; /* "" when none */
	int64_t broadcast_age_ms; /* read only: milliseconds since broadcast_at (-1: never broadcast) */
};

/* Insert TX (its id is ignored) and write the new id to *ID. TC_ERR_DB_CONFLICT when its tree size or nonce
 * already has a live row. */
TC_RESULT db_anchor_tx_insert(struct db_conn *conn, const struct db_anchor_tx *tx, int64_t *id);
/*
 * Write TX's state, raw_tx/tx_hash, attempts, block, gas_used and last_error to row TX->id, provided the
 * row is still in state EXPECTED (TC_ERR_DB_CONFLICT otherwise: another worker moved it). TOUCH_BROADCAST
 * sets broadcast_at to now; mined_at/confirmed_at are set when the state becomes mined/confirmed.
 */
TC_RESULT db_anchor_tx_update(struct db_conn *conn, const struct db_anchor_tx *tx, enum db_anchor_state expected,
			      bool touch_broadcast);
/*
 * Rows that still need the worker, by nonce then id: planned, signed, broadcast and mined ones, and the
 * replaced rows of nonces that are not confirmed yet (a replaced transaction may still be the one mined).
 * At most MAX rows into OUT; *N gets how many.
 */
TC_RESULT db_anchor_tx_open(struct db_conn *conn, uint64_t chain_id, struct db_anchor_tx *out, size_t max, size_t *n);

/* Where the anchors of CHAIN_ID stand. */
struct db_anchor_tip {
	uint64_t last_tree_size;      /* highest tree size with a live row (0: none) */
	bool has_nonce;               /* any row has consumed a nonce */
	uint64_t next_nonce;          /* 1 + highest nonce of a live or reverted row */
	uint64_t confirmed_tree_size; /* highest confirmed tree size (0: none) */
	int64_t confirmed_block;      /* its block (-1: none) */
	uint64_t count[DB_ANCHOR_STATE_COUNT]; /* rows per state */
};
TC_RESULT db_anchor_tip(struct db_conn *conn, uint64_t chain_id, struct db_anchor_tip *out);

/* ------------------------------------------------------------------------------------ transparency log */

/*
 * The certificate log (migration 0002, docs/log.md): entries appended gap-free from seq 0, the hash of every
 * complete Merkle subtree (RFC 9162), and signed checkpoints. Appends run inside the caller's transaction
 * (db_txn_run), together with the issuance or revocation they record. Proofs use chain.h's generators
 * backed by the stored subtree hashes: one round trip per proof, never all leaves.
 */
#define DB_LOG_HASH_LEN 32
#define DB_LOG_SERIAL_MAX 64 /* hex digits of a serial (RFC 5280 allows 20 octets; we accept 32) */
#define DB_LOG_ISSUER_MAX 1024
#define DB_LOG_KIND_MAX 16
#define DB_LOG_ENTRY_MAX 4096 /* canonical entry bytes */
#define DB_LOG_NOTE_MAX 4096  /* CHAIN_NOTE_MAX */
#define DB_LOG_KEY_NAME_MAX 255
#define DB_LOG_KEY_ID_LEN 4
#define DB_LOG_SIG_LEN 64

struct chain_merkle_proof; /* chain.h */
struct chain_note_signer;  /* chain.h */

enum db_log_type { DB_LOG_ISSUANCE, DB_LOG_REVOCATION };

/* "issuance" / "revocation" and back. */
const char *db_log_type_name(enum db_log_type t);
TC_RESULT db_log_type_parse(const char *s, enum db_log_type *out);

/* One log entry; the fields of its canonical encoding. */
struct db_log_entry {
	uint64_t seq; /* assigned by db_log_append */
	enum db_log_type type;
	char serial[DB_LOG_SERIAL_MAX + 1]; /* lowercase hex of the DER INTEGER content octets */
	uint8_t cert_sha256[DB_LOG_HASH_LEN];
	char issuer[DB_LOG_ISSUER_MAX + 1]; /* issuing CA's subject DN (RFC 4514) */
	char kind[DB_LOG_KIND_MAX];         /* root | subroot | cvm | workload */
	bool has_appraisal_digest;
	uint8_t appraisal_digest[DB_LOG_HASH_LEN];
	bool has_workload_info_hash;
	uint8_t workload_info_hash[DB_LOG_HASH_LEN];
	int64_t time; /* Unix seconds */
};

/*
 * The canonical encoding that is hashed (RFC 8785 JSON of {appraisal_digest, cert_sha256, issuer, kind, seq,
 * serial, time, type, workload_info_hash}; hashes as lowercase hex or null, time as RFC 3339), appended to
 * OUT. Validates the fields (TC_ERR_INVALID_ARGUMENT).
 */
TC_RESULT db_log_entry_encode(const struct db_log_entry *e, struct tc_buf *out);
/*
 * Append E as the next entry inside the caller's transaction: E->seq is set to the log size, the leaf hash
 * and the complete-subtree nodes it completes are stored. SEQ and LEAF_HASH (may be NULL) get the results.
 * Concurrent appenders serialize on log_state (one of them retries, via db_txn_run).
 */
TC_RESULT db_log_append(struct db_conn *conn, struct db_log_entry *e, uint64_t *seq,
			uint8_t leaf_hash[DB_LOG_HASH_LEN]);
/*
 * Append the N entries (1..DB_LOG_BATCH_MAX) in order inside the caller's transaction: entry i gets seq
 * = the log size + i (written into ENTRIES[i].seq), *FIRST_SEQ (may be NULL) the first; one lock of
 * log_state, one read of the tree's right edge, one insert of all the nodes (db_log_append_batch.c).
 */
#define DB_LOG_BATCH_MAX 128
TC_RESULT db_log_append_batch(struct db_conn *conn, struct db_log_entry *entries, size_t n, uint64_t *first_seq);
/* Lock log_state (FOR UPDATE, until the transaction ends) and read the number of entries. */
TC_RESULT db_log_lock(struct db_conn *conn, uint64_t *size);
/* Number of entries. */
TC_RESULT db_log_size(struct db_conn *conn, uint64_t *size);
/* Entry SEQ: its fields, its canonical bytes (appended to ENTRY, may be NULL) and leaf hash (may be
 * NULL); *FOUND false when the log is shorter. */
TC_RESULT db_log_entry_get(struct db_conn *conn, uint64_t seq, struct db_log_entry *out, struct tc_buf *entry,
			   uint8_t leaf_hash[DB_LOG_HASH_LEN], bool *found);
/* Hash of the complete subtree [START, START + 2^LEVEL); TC_ERR_NOT_FOUND when the log does not have it. */
TC_RESULT db_log_subtree(struct db_conn *conn, uint64_t start, unsigned level, uint8_t out[DB_LOG_HASH_LEN]);
/* The same for N subtrees in one query (N <= DB_LOG_SUBTREES_MAX). */
#define DB_LOG_SUBTREES_MAX 4096
TC_RESULT db_log_subtrees(struct db_conn *conn, size_t n, const uint64_t *starts, const unsigned *levels,
			  uint8_t (*out)[DB_LOG_HASH_LEN]);
/* MTH of the first SIZE entries; inclusion proof of SEQ and consistency proof between sizes (RFC 9162
 * §2.1), each from one batched subtree query. Sizes beyond the log fail with TC_ERR_NOT_FOUND. */
TC_RESULT db_log_root(struct db_conn *conn, uint64_t size, uint8_t out[DB_LOG_HASH_LEN]);
TC_RESULT db_log_inclusion_proof(struct db_conn *conn, uint64_t seq, uint64_t size, struct chain_merkle_proof *out);
TC_RESULT db_log_consistency_proof(struct db_conn *conn, uint64_t size1, uint64_t size2,
				   struct chain_merkle_proof *out);

/* A stored checkpoint (signed tree head). */
struct db_log_checkpoint {
	uint64_t tree_size;
	uint8_t root[DB_LOG_HASH_LEN];
	int64_t time; /* Unix seconds, the time line of the note */
	char note[DB_LOG_NOTE_MAX + 1];
	char key_name[DB_LOG_KEY_NAME_MAX + 1];
	uint8_t key_id[DB_LOG_KEY_ID_LEN];
	uint8_t signature[DB_LOG_SIG_LEN];
};

/* Insert CP; the database checks it grows the latest one and that its root is the stored tree's. */
TC_RESULT db_log_checkpoint_insert(struct db_conn *conn, const struct db_log_checkpoint *cp);
/* The checkpoint with the largest tree size / with exactly SIZE; *FOUND false when there is none. */
TC_RESULT db_log_checkpoint_latest(struct db_conn *conn, struct db_log_checkpoint *out, bool *found);
TC_RESULT db_log_checkpoint_by_size(struct db_conn *conn, uint64_t size, struct db_log_checkpoint *out, bool *found);
/*
 * The checkpoint policy: sign and store a checkpoint of the whole log with KEY when it is due at NOW (Unix
 * seconds): the log has entries no checkpoint covers and either at least EVERY_N of them or the oldest of
 * them was logged EVERY_S seconds ago or more. *WRITTEN (may be NULL) tells whether one was written. Run it
 * inside a transaction (db_txn_run).
 */
TC_RESULT db_log_maybe_checkpoint(struct db_conn *conn, const struct chain_note_signer *key, int64_t now,
				  uint64_t every_n, int64_t every_s, bool *written);

/* ------------------------------------------------------------------------------------ collateral cache */

/*
 * Verified vendor collateral (migration 0004, docs/collateral.md): one row per (vendor, kind, key) holding
 * the exact bytes whose signature was verified, plus a fetch log. Times are Unix seconds of the caller's
 * clock (the collateral service's injectable clock), never the database clock.
 */
#define DB_COLL_VENDOR_MAX 16
#define DB_COLL_KIND_MAX 32
#define DB_COLL_KEY_MAX 512
#define DB_COLL_URL_MAX 1024
#define DB_COLL_ERROR_MAX 512
#define DB_COLL_HASH_LEN 32
#define DB_COLL_RAW_MAX ((size_t)4 * 1024 * 1024)
#define DB_COLL_CHAIN_MAX ((size_t)64 * 1024)
#define DB_COLL_OUTCOME_MAX 24

struct db_collateral_item {
	char vendor[DB_COLL_VENDOR_MAX];  /* intel | amd | nvidia */
	char kind[DB_COLL_KIND_MAX];      /* tcb_info, qe_identity, pck_crl, root_ca_crl, vcek, ark_ask_chain, ... */
	char key[DB_COLL_KEY_MAX + 1];
	struct tc_buf raw;                /* the verified bytes */
	struct tc_buf issuer_chain;       /* Intel issuer-chain header (PEM); empty = none */
	char source_url[DB_COLL_URL_MAX];
	uint8_t sha256[DB_COLL_HASH_LEN]; /* of raw */
	int64_t fetched_at, verified_at;
	bool has_window;                  /* false: immutable item (no not_before/next_update) */
	int64_t not_before, next_update;
	char last_error[DB_COLL_ERROR_MAX]; /* "" when the last refresh succeeded */
	int64_t last_error_at;              /* 0 when none */
	int failures;                       /* consecutive failed refreshes */
};

/* Initialise (empty buffers with their maxima) / free the buffers of an item. */
void db_collateral_item_init(struct db_collateral_item *it);
void db_collateral_item_cleanup(struct db_collateral_item *it);
/* For the query files: decode row ROW of a result whose first columns are DB_COLL_ITEM_COLUMNS. */
#define DB_COLL_ITEM_COLUMNS                                                                                           \
	"vendor, kind, item_key, source_url, encode(sha256, 'hex'), extract(epoch FROM fetched_at)::bigint,"          \
	" extract(epoch FROM verified_at)::bigint, extract(epoch FROM not_before)::bigint,"                           \
	" extract(epoch FROM next_update)::bigint, COALESCE(last_error, ''),"                                         \
	" COALESCE(extract(epoch FROM last_error_at)::bigint, 0), failures"
#define DB_COLL_ITEM_NCOLUMNS 12
struct pg_result;
TC_RESULT db_collateral_item_read(const struct pg_result *res, int row, struct db_collateral_item *out);

/* Insert or replace the item (vendor, kind, key) with IT's bytes and metadata; clears last_error and
 * failures. Only verified bytes may be written (the caller's duty: vf_collateral_verify first). */
TC_RESULT db_collateral_put(struct db_conn *conn, const struct db_collateral_item *it);
/* Read an item (OUT initialised by the caller with db_collateral_item_init); WITH_RAW false leaves raw and
 * issuer_chain empty. *FOUND false when there is none. */
TC_RESULT db_collateral_get(struct db_conn *conn, const char *vendor, const char *kind, const char *key,
			    bool with_raw, struct db_collateral_item *out, bool *found);
/* Record a failed refresh of an existing item (failures + 1, last_error, last_error_at = AT); no-op when
 * the item is not cached. */
TC_RESULT db_collateral_fail(struct db_conn *conn, const char *vendor, const char *kind, const char *key,
			     const char *error, int64_t at);
/* Every item's metadata (raw/issuer_chain left empty), ordered by vendor, kind, key. *OUT is a new array
 * (free() it after db_collateral_item_cleanup of each element); *N gets its length. */
TC_RESULT db_collateral_list(struct db_conn *conn, struct db_collateral_item **out, size_t *n);

/* One row of collateral_fetch_log. */
struct db_collateral_log {
	int64_t at;
	char vendor[DB_COLL_VENDOR_MAX];
	char kind[DB_COLL_KIND_MAX];
	char key[DB_COLL_KEY_MAX + 1];
	char url[DB_COLL_URL_MAX];
	char outcome[DB_COLL_OUTCOME_MAX]; /* stored, unchanged, http_error, network_error, verify_failed, ... */
	int http_status;                   /* 0: no response */
	int attempts;
	int64_t duration_ms;
	char error[DB_COLL_ERROR_MAX];     /* "" on success */
};

TC_RESULT db_collateral_log_insert(struct db_conn *conn, const struct db_collateral_log *e);
/* Per outcome: how many fetches the log holds (OUTCOMES/COUNTS of at least MAX entries; *N gets how many). */
TC_RESULT db_collateral_log_counts(struct db_conn *conn, char (*outcomes)[DB_COLL_OUTCOME_MAX], int64_t *counts,
				   size_t max, size_t *n);

/*
 * Replay data (migration 0006, docs/collateral.md "Replay"): every verified collateral version and issuer
 * chain by SHA-256 (db_collateral_put writes them), operator trust anchors (vendor "operator", kind
 * "anchor", key = role), and the policies a CA issued under by digest.
 */
#define DB_POLICY_MAX ((size_t)1024 * 1024)
/* Keep DATA (LEN bytes) under its SHA-256 unless already there (append-only; AT: Unix seconds). */
TC_RESULT db_collateral_history_put(struct db_conn *conn, const char *vendor, const char *kind, const char *key,
				    const uint8_t *data, size_t len, int64_t at);
/* The bytes with SHA-256 DIGEST into DATA (reset first), their kind and key (DB_COLL_KIND_MAX + 16 and
 * DB_COLL_KEY_MAX + 1 bytes); *FOUND false when none. */
TC_RESULT db_collateral_history_get(struct db_conn *conn, const uint8_t digest[DB_COLL_HASH_LEN], struct tc_buf *data,
				    char *kind, char *key, bool *found);
/* Keep the canonical policy JSON CANONICAL under DIGEST unless already there. */
TC_RESULT db_policy_put(struct db_conn *conn, const uint8_t digest[DB_COLL_HASH_LEN], const char *canonical);
/* Every stored policy, oldest first: *DIGESTS (N * 32 bytes) and *TEXTS (N strings), new arrays; free with
 * db_policy_list_free. */
TC_RESULT db_policy_list(struct db_conn *conn, uint8_t **digests, char ***texts, size_t *n);
void db_policy_list_free(uint8_t **digests, char ***texts, size_t n);

/* ------------------------------------------------------------------------------------------ CA service */

/*
 * The CA service's tables (migration 0005, docs/ca-service.md): CA instances, issued certificates with
 * their appraisal and evidence, revocations, idempotency keys. Writes run inside the caller's transaction
 * together with the log entry (db_log_append) that records them.
 */
#define DB_CA_NAME_MAX 64
#define DB_CA_SERIAL_MAX 20
#define DB_CA_SUBJECT_MAX 1024
#define DB_CA_HWID_MAX 256
#define DB_CA_IDEM_KEY_MAX 255

struct db_ca {
	int64_t id;
	char name[DB_CA_NAME_MAX + 1];
	char role[16];    /* root | subroot */
	char network[16]; /* trusted | untrusted */
	int64_t parent;   /* 0: none */
};

/* Record a CA (CERT_DER is its certificate); *ID gets its id. TC_ERR_DB_CONFLICT when the name is taken. */
TC_RESULT db_ca_insert(struct db_conn *conn, const struct db_ca *ca, const uint8_t *cert_der, size_t cert_len,
		       int64_t *id);
/* The CA named NAME; CERT (may be NULL) gets its certificate DER appended. *FOUND false when none. */
TC_RESULT db_ca_get(struct db_conn *conn, const char *name, struct db_ca *out, struct tc_buf *cert, bool *found);
/* The certificates (DER) of CA ID's ancestors, parent first, root last, appended to CERTS[0..*N) (at most
 * MAX; more is TC_ERR_TOO_LARGE). A root has none. */
TC_RESULT db_ca_chain(struct db_conn *conn, int64_t id, struct tc_buf *certs, size_t max, size_t *n);

struct db_cert {
	uint8_t serial[DB_CA_SERIAL_MAX];
	size_t serial_len;
	int64_t ca;
	char kind[16]; /* cvm | workload | subroot | root */
	const char *subject;
	const char *sans_json; /* JSON array text */
	int64_t not_before, not_after;
	const uint8_t *der;
	size_t der_len;
	uint8_t spki_sha256[32];
	const char *hardware_id; /* NULL: unknown */
	bool has_workload_info_hash;
	uint8_t workload_info_hash[32];
	const uint8_t *parent_cvm_serial; /* workload only */
	size_t parent_cvm_serial_len;
	uint64_t log_seq;
};

/* Insert a certificate row (C's log entry must exist in this transaction). */
TC_RESULT db_cert_insert(struct db_conn *conn, const struct db_cert *c);
/* The appraisal row of a certificate (db_cert_insert_appraised_batch). */
struct db_cert_appraisal_row {
	const char *appraisal_json;
	const uint8_t *policy_digest;   /* 32 bytes */
	const uint8_t *evidence_digest; /* 32 bytes */
	const char *evidence_type;      /* tdx_quote | snp_report | cmw */
	const uint8_t *evidence;
	size_t evidence_len;
};
/* db_cert_insert and db_cert_appraisal_insert of CERTS[i] with ROWS[i] for i = 0 .. N - 1 (1..DB_CERT_BATCH_MAX),
 * in that order, in one statement (one issuance, or the group commit of issuances): the same rows and checks;
 * any failure writes none of them. */
#define DB_CERT_BATCH_MAX 64
TC_RESULT db_cert_insert_appraised_batch(struct db_conn *conn, const struct db_cert *certs,
					 const struct db_cert_appraisal_row *rows, size_t n);
/* Insert the appraisal of certificate SERIAL: its JSON text, digests and raw evidence. */
TC_RESULT db_cert_appraisal_insert(struct db_conn *conn, const uint8_t *serial, size_t serial_len,
				   const char *appraisal_json, const uint8_t policy_digest[32],
				   const uint8_t evidence_digest[32], const char *evidence_type, const uint8_t *evidence,
				   size_t evidence_len);
/* A stored appraisal (teecert replay): the appraisals row of SERIAL, with the issuing CA's network. */
struct db_cert_appraisal {
	struct tc_buf appraisal_json; /* the JSON text, NUL-terminated */
	uint8_t policy_digest[32];
	uint8_t evidence_digest[32];
	char evidence_type[16]; /* tdx_quote | snp_report | cmw */
	struct tc_buf evidence;
	char network[16]; /* trusted | untrusted */
};
void db_cert_appraisal_init(struct db_cert_appraisal *a);
void db_cert_appraisal_cleanup(struct db_cert_appraisal *a);
/* Read the appraisal of SERIAL into OUT (initialised by the caller); *FOUND false when none. */
TC_RESULT db_cert_appraisal_get(struct db_conn *conn, const uint8_t *serial, size_t serial_len,
				struct db_cert_appraisal *out, bool *found);

/* Status of a certificate for revocation, OCSP and the CRL. */
struct db_cert_status {
	int64_t ca;
	char kind[16];
	uint8_t sha256[32];
	bool revoked;
	int reason;         /* CRLReason code when revoked */
	int64_t revoked_at; /* Unix seconds when revoked */
};

/* Status of the certificate SERIAL; *FOUND false when no such certificate. LOCK takes a row lock (FOR
 * UPDATE of the certificate) for a revocation in the same transaction. */
TC_RESULT db_cert_status(struct db_conn *conn, const uint8_t *serial, size_t serial_len, bool lock,
			 struct db_cert_status *out, bool *found);
/* Record the revocation of SERIAL (REASON: CRLReason code, AT: Unix seconds, LOG_SEQ its log entry).
 * TC_ERR_DB_CONFLICT when it is revoked already. */
TC_RESULT db_cert_revoke(struct db_conn *conn, const uint8_t *serial, size_t serial_len, int reason, int64_t at,
			 uint64_t log_seq);

/* One revoked certificate of a CA (for the CRL). */
struct db_cert_revoked {
	uint8_t serial[DB_CA_SERIAL_MAX];
	size_t serial_len;
	int reason;
	int64_t revoked_at;
};

/* Every revoked certificate of CA (by revocation time): *OUT is a new array (free()), *N its length. */
TC_RESULT db_cert_revoked_list(struct db_conn *conn, int64_t ca, struct db_cert_revoked **out, size_t *n);

/*
 * Idempotency keys of POST /v1/certificates, honoured for TTL_S seconds after their first use: get finds
 * only a live key; put stores a new key or replaces an expired one (a live one is TC_ERR_DB_CONFLICT);
 * purge deletes the expired ones (*DELETED may be NULL).
 */
TC_RESULT db_cert_idem_get(struct db_conn *conn, const char *key, int64_t ttl_s, uint8_t request_hash[32], int *status,
			   struct tc_buf *response, bool *found);
TC_RESULT db_cert_idem_put(struct db_conn *conn, const char *key, int64_t ttl_s, const uint8_t request_hash[32],
			   int status, const char *response_json);
TC_RESULT db_cert_idem_purge(struct db_conn *conn, int64_t ttl_s, uint64_t *deleted);

/* ---------------------------------------------------------------------------- certificate history */

/*
 * Certificate lookups of teecert-verifier (GET /v1/certificates[/{serial}], GET /v1/cas; docs/admission.md):
 * read-only, rows handed to a callback one by one (borrowed for the call only). Status is computed at AT
 * (Unix seconds): revoked, expired (not_after <= AT), not_yet_valid, valid.
 */
#define DB_CERTS_LIST_MAX 1001 /* the API maximum page (1000) plus one row of look-ahead */

struct db_certs_filter {
	const uint8_t *serial; /* NULL: any */
	size_t serial_len;
	const char *kind, *tee, *ca_name, *status, *hardware_id; /* NULL: any */
	bool has_issued_from, has_issued_to;                    /* created_at in [from, to) */
	int64_t issued_from, issued_to;
	bool has_workload_info_hash;
	uint8_t workload_info_hash[32];
	bool has_after; /* keyset: rows strictly after (after_us, after_serial) in (created_at, serial) order */
	int64_t after_us;
	uint8_t after_serial[DB_CA_SERIAL_MAX];
	size_t after_serial_len;
	int64_t at;    /* status time */
	unsigned limit; /* 1 .. DB_CERTS_LIST_MAX */
};

struct db_certs_row {
	uint8_t serial[DB_CA_SERIAL_MAX];
	size_t serial_len;
	int64_t ca;
	const char *ca_name, *kind, *subject, *sans_json, *status;
	int64_t not_before, not_after, created_us; /* created_us: created_at in microseconds */
	const uint8_t *der;
	size_t der_len;
	const char *hardware_id; /* NULL when unknown */
	bool has_workload_info_hash;
	uint8_t workload_info_hash[32];
	uint64_t log_seq;
	bool revoked;
	int64_t revoked_at;
	int reason;
	const char *appraisal_json;      /* NULL: no appraisal row */
	const char *tee, *tcb_status;    /* of the first appraised device; NULL when absent */
};

typedef struct tc_result (*db_certs_row_fn)(const struct db_certs_row *row, void *arg);

/* Certificates matching F in (created_at, serial) order, at most F->limit; FN per row. */
TC_RESULT db_certs_list(struct db_conn *conn, const struct db_certs_filter *f, db_certs_row_fn fn, void *arg);

struct db_certs_ca_row {
	int64_t id, parent; /* parent 0: none */
	const char *name, *role, *network;
	const uint8_t *der;
	size_t der_len;
	bool revoked; /* its certificate row (same sha256) is revoked */
};

typedef struct tc_result (*db_certs_ca_fn)(const struct db_certs_ca_row *row, void *arg);

/* Every CA by id; FN per row. */
TC_RESULT db_certs_list_cas(struct db_conn *conn, db_certs_ca_fn fn, void *arg);

/* The first confirmed anchor transaction whose tree covers log entry SEQ (tree_size > SEQ; migration 0003);
 * *FOUND false when none. BLOCK is -1 when unknown. (teecert-verifier admission, docs/admission.md) */
TC_RESULT db_admission_anchor(struct db_conn *conn, uint64_t seq, bool *found, uint64_t *tree_size,
			      uint8_t tx_hash[32], int64_t *block);

/* Everything one admission decision reads, in one query (db_admission_certs.c): per certificate of a
 * validated path (leaf first, 1..DB_ADMISSION_PATH_MAX) its recorded facts; the anchor for the leaf only. */
#define DB_ADMISSION_PATH_MAX 16
struct db_admission_key {
	uint8_t serial[DB_CA_SERIAL_MAX];
	size_t serial_len;
	uint8_t sha256[32]; /* of the presented certificate's DER */
};
struct db_admission_cert {
	bool found;   /* recorded by a CA of this deployment */
	bool same;    /* the recorded certificate has the presented one's SHA-256 */
	bool revoked;
	char kind[16];
	bool has_tee, has_tcb_status; /* of the first appraised device */
	char tee[16];
	char tcb_status[64];
	uint64_t log_seq;
	int64_t not_after;
	bool has_workload_info_hash;
	uint8_t workload_info_hash[32];
	bool anchored; /* the leaf only: the first confirmed anchor covering its log entry */
	uint64_t tree_size;
	uint8_t tx_hash[32];
	int64_t block; /* -1: unknown */
};
TC_RESULT db_admission_certs(struct db_conn *conn, const struct db_admission_key *keys, size_t n,
			     struct db_admission_cert *out);

/* ------------------------------------------------------------------------------- anchors (GET /v1/anchors) */

#define DB_ANCHORS_LIST_MAX 1000

/* One live anchor transaction as the API shows it (hex text as stored). */
struct db_anchor_row {
	uint64_t tree_size, prev_tree_size;
	char root_hex[65];
	char state[16];
	char tx_hash_hex[65]; /* "" while planned */
	bool has_block;
	uint64_t block_number;
	char block_hash_hex[65];
	bool has_confirmed_at;
	int64_t confirmed_at;
};

/* The newest LIMIT (1..DB_ANCHORS_LIST_MAX) anchors that are not replaced or dropped, newest first. */
TC_RESULT db_anchors_list(struct db_conn *conn, int limit, struct db_anchor_row *rows, size_t *n);

#endif /* DB_H */
