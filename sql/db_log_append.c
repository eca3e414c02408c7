/*
 * db_log_append.c — append one entry to the transparency log inside the caller's transaction (DESIGN.md
 * "Transparency log and anchoring", docs/log.md).
 *
 *   1. lock log_state and read the size n (db_log_lock): the new entry gets seq = n (concurrent appenders wait
 *      here and, under SERIALIZABLE, one of them retries through db_txn_run);
 *   2. encode the entry canonically and hash it (RFC 9162 leaf hash, chain_merkle_leaf_hash);
 *   3. insert it (the log_entries_append trigger refuses any seq but n and bumps the size);
 *   4. insert the complete subtrees it completes: the leaf, then one parent per trailing zero bit of n + 1,
 *      each the node hash of the left sibling on the old right edge of the tree and the new node below.
 * The database re-checks every hash (CHECK and triggers of migration 0002) and, at commit, that no node is
 * missing.
 */
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "db_internal.h"

static const struct db_stmt stmt_entry = {
	.name = "log_append_entry",
	.sql = "INSERT INTO log_entries (seq, entry, leaf_hash, type, serial, cert_sha256, issuer, kind,"
	       " appraisal_digest, workload_info_hash, logged_at)"
	       " VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11::bigint))",
	.nparams = 11,
};

/* $1 = the new size N, $2 = the new nodes' hashes, level 0 first: node k is (k, (N >> k) - 1). */
static const struct db_stmt stmt_nodes = {
	.name = "log_append_nodes",
	.sql = "INSERT INTO log_nodes (level, idx, hash)"
	       " SELECT k, ($1::bigint >> k) - 1, substring($2::bytea FROM k * 32 + 1 FOR 32)"
	       " FROM generate_series(0, length($2::bytea) / 32 - 1) AS k ORDER BY k",
	.nparams = 2,
};

static TC_RESULT entry_insert(struct db_conn *conn, const struct db_log_entry *e, const struct tc_buf *bytes,
			      const uint8_t leaf[DB_LOG_HASH_LEN])
{
	char seq[24], when[24];
	PGresult *res;

	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->seq);
	snprintf(when, sizeof(when), "%lld", (long long)e->time);
	struct db_param params[] = {
		DB_PARAM_TEXT(seq),
		DB_PARAM_BYTES(bytes->data, bytes->len),
		DB_PARAM_BYTES(leaf, DB_LOG_HASH_LEN),
		DB_PARAM_TEXT(db_log_type_name(e->type)),
		DB_PARAM_TEXT(e->serial),
		DB_PARAM_BYTES(e->cert_sha256, DB_LOG_HASH_LEN),
		DB_PARAM_TEXT(e->issuer),
		DB_PARAM_TEXT(e->kind),
		e->has_appraisal_digest ? DB_PARAM_BYTES(e->appraisal_digest, DB_LOG_HASH_LEN) : DB_PARAM_TEXT(NULL),
		e->has_workload_info_hash ? DB_PARAM_BYTES(e->workload_info_hash, DB_LOG_HASH_LEN) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(when),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt_entry, params, &res));
	PQclear(res);
	return tc_ok();
}

/* Hashes of the nodes entry N - 1 completes (level 0 upward) into NODES; *COUNT gets how many. */
static TC_RESULT nodes_compute(struct db_conn *conn, uint64_t new_size, const uint8_t leaf[DB_LOG_HASH_LEN],
			       uint8_t (*nodes)[DB_LOG_HASH_LEN], size_t *count)
{
	uint64_t starts[CHAIN_MERKLE_MAX_LEVEL + 1];
	unsigned levels[CHAIN_MERKLE_MAX_LEVEL + 1];
	uint8_t left[CHAIN_MERKLE_MAX_LEVEL + 1][DB_LOG_HASH_LEN];
	size_t parents = 0;

	/* Level k + 1 is completed when bit k of the new size is 0 (and all below it). */
	while (parents < CHAIN_MERKLE_MAX_LEVEL && ((new_size >> parents) & 1) == 0)
		parents++;
	for (size_t k = 0; k < parents; k++) {
		levels[k] = (unsigned)k;
		starts[k] = ((new_size >> k) - 2) << k; /* the left sibling of the new level-k node */
	}
	TC_GUARD(db_log_subtrees(conn, parents, starts, levels, left));
	memcpy(nodes[0], leaf, DB_LOG_HASH_LEN);
	for (size_t k = 0; k < parents; k++)
		TC_GUARD(chain_merkle_node_hash(left[k], nodes[k], nodes[k + 1]));
	*count = parents + 1;
	return tc_ok();
}

static TC_RESULT nodes_insert(struct db_conn *conn, uint64_t new_size, const uint8_t (*nodes)[DB_LOG_HASH_LEN],
			      size_t count)
{
	char size_s[24];
	PGresult *res;

	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)new_size);
	struct db_param params[] = { DB_PARAM_TEXT(size_s), DB_PARAM_BYTES(nodes, count * DB_LOG_HASH_LEN) };

	TC_GUARD(db_exec_prepared(conn, &stmt_nodes, params, &res));
	bool all = strtoull(PQcmdTuples(res), NULL, 10) == count;
	PQclear(res);
	TC_ENSURE(all, TC_ERR_DB_QUERY, "log_append_nodes inserted fewer than %zu nodes", count);
	return tc_ok();
}

TC_RESULT db_log_append(struct db_conn *conn, struct db_log_entry *e, uint64_t *seq,
			uint8_t leaf_hash[DB_LOG_HASH_LEN])
{
	struct db_log_entry copy;
	uint64_t size = 0;
	uint8_t leaf[DB_LOG_HASH_LEN];
	uint8_t nodes[CHAIN_MERKLE_MAX_LEVEL + 1][DB_LOG_HASH_LEN];
	size_t count = 0;
	struct tc_buf bytes;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && e != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_append: missing argument");
	TC_ENSURE(conn->in_txn, TC_ERR_INVALID_ARGUMENT, "db_log_append must run inside a transaction (db_txn_run)");
	TC_GUARD(db_log_lock(conn, &size));
	copy = *e;
	copy.seq = size;
	tc_buf_init(&bytes, DB_LOG_ENTRY_MAX);
	TC_GUARD_GOTO(r, db_log_entry_encode(&copy, &bytes), out);
	TC_GUARD_GOTO(r, chain_merkle_leaf_hash(bytes.data, bytes.len, leaf), out);
	TC_GUARD_GOTO(r, entry_insert(conn, &copy, &bytes, leaf), out);
	TC_GUARD_GOTO(r, nodes_compute(conn, size + 1, leaf, nodes, &count), out);
	TC_GUARD_GOTO(r, nodes_insert(conn, size + 1, (const uint8_t(*)[DB_LOG_HASH_LEN])nodes, count), out);
	e->seq = size;
	if (seq)
		*seq = size;
	if (leaf_hash)
		memcpy(leaf_hash, leaf, DB_LOG_HASH_LEN);
out:
	tc_buf_cleanup(&bytes);
	return r;
}
