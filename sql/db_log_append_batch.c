/*
 * db_log_append_batch.c — append N entries to the transparency log in one go inside the caller's transaction
 * (the group commit of issuances, api_ca_batch.c; DESIGN.md "Transparency log and anchoring", docs/log.md).
 *
 *   1. lock log_state and read the size S (db_log_lock; under READ COMMITTED a concurrent appender is waited
 *      for, then its committed size is read); the entries get seq S, S + 1, ... in order, and the caller,
 *      which locked the same row before it signed certificates naming those numbers, checks S;
 *   2. read the right edge of the tree of size S (one complete subtree per set bit of S, one query);
 *   3. insert every entry with one statement, in order (the log_entries_append trigger still refuses any seq
 *      but the size and bumps it, row by row);
 *   4. compute every node the N leaves complete from the right edge in memory (RFC 9162 §2.1.1: a node is
 *      SHA-256(0x01 || left || right)) and insert them all with one statement, children before parents.
 * The database re-checks every hash on insert and, at commit, that no node is missing (migration 0002), so
 * this file is a faster way to the same rows db_log_append writes one entry at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "db_internal.h"

#define LOG_BATCH_NODES_MAX (2 * DB_LOG_BATCH_MAX + CHAIN_MERKLE_MAX_LEVEL + 1)
#define LOG_BATCH_NUM_TEXT 24 /* a decimal bigint and a comma */

/* Every entry in one statement, in order (the append trigger sees seq = size for each row in turn). Fixed-size
 * fields travel concatenated in one bytea each, variable ones as arrays: $1 first seq, $2 the canonical
 * entries concatenated, $3/$4 their offsets/lengths, $5 leaf hashes, $6 types, $7 serials, $8 certificate
 * hashes, $9 issuers, $10 kinds, $11 appraisal digests (zeros where $12 is false), $13 workload info hashes
 * (zeros where $14 is false), $15 times. */
static const struct db_stmt stmt_entries = {
	.name = "log_batch_entries",
	.sql = "INSERT INTO log_entries (seq, entry, leaf_hash, type, serial, cert_sha256, issuer, kind,"
	       " appraisal_digest, workload_info_hash, logged_at)"
	       " SELECT $1::bigint + t.o - 1, substring($2::bytea FROM t.off + 1 FOR t.len),"
	       "  substring($5::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32), t.type, t.serial,"
	       "  substring($8::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32), t.issuer, t.kind,"
	       "  CASE WHEN t.has_ad THEN substring($11::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32) END,"
	       "  CASE WHEN t.has_wh THEN substring($13::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32) END,"
	       "  to_timestamp(t.tm)"
	       " FROM unnest($3::int[], $4::int[], $6::text[], $7::text[], $9::text[], $10::text[], $12::bool[],"
	       "  $14::bool[], $15::bigint[]) WITH ORDINALITY AS t(off, len, type, serial, issuer, kind, has_ad, has_wh,"
	       "  tm, o)"
	       " ORDER BY t.o",
	.nparams = 15,
};

/* $1 levels, $2 indexes (array literals), $3 the hashes in the same order: children before parents. */
static const struct db_stmt stmt_nodes = {
	.name = "log_batch_nodes",
	.sql = "INSERT INTO log_nodes (level, idx, hash)"
	       " SELECT l, i, substring($3::bytea FROM (o::int - 1) * 32 + 1 FOR 32)"
	       " FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS t(l, i, o) ORDER BY o",
	.nparams = 3,
};

/* The nodes a batch writes, in insertion order. */
struct log_nodes {
	size_t n;
	unsigned level[LOG_BATCH_NODES_MAX];
	uint64_t idx[LOG_BATCH_NODES_MAX];
	uint8_t hash[LOG_BATCH_NODES_MAX][DB_LOG_HASH_LEN];
};

/* FRONTIER[k] = the complete subtree of level k on the right edge of a tree of SIZE leaves (bit k set). */
static TC_RESULT edge_read(struct db_conn *conn, uint64_t size, uint8_t (*frontier)[DB_LOG_HASH_LEN])
{
	uint64_t starts[CHAIN_MERKLE_MAX_LEVEL + 1];
	unsigned levels[CHAIN_MERKLE_MAX_LEVEL + 1];
	uint8_t got[CHAIN_MERKLE_MAX_LEVEL + 1][DB_LOG_HASH_LEN];
	size_t n = 0;

	for (unsigned k = 0; k <= CHAIN_MERKLE_MAX_LEVEL && k < 64; k++) {
		if (((size >> k) & 1) == 0)
			continue;
		levels[n] = k;
		starts[n] = ((size >> k) - 1) << k;
		n++;
	}
	if (n == 0)
		return tc_ok();
	TC_GUARD(db_log_subtrees(conn, n, starts, levels, got));
	for (size_t i = 0; i < n; i++)
		memcpy(frontier[levels[i]], got[i], DB_LOG_HASH_LEN);
	return tc_ok();
}

static TC_RESULT node_add(struct log_nodes *nodes, unsigned level, uint64_t idx, const uint8_t hash[DB_LOG_HASH_LEN])
{
	TC_ENSURE(nodes->n < LOG_BATCH_NODES_MAX, TC_ERR_INTERNAL, "log batch: too many nodes");
	nodes->level[nodes->n] = level;
	nodes->idx[nodes->n] = idx;
	memcpy(nodes->hash[nodes->n], hash, DB_LOG_HASH_LEN);
	nodes->n++;
	return tc_ok();
}

/* Leaf N (0-based) joins a tree of N leaves whose right edge is FRONTIER: record the nodes it completes. */
static TC_RESULT leaf_add(uint8_t (*frontier)[DB_LOG_HASH_LEN], uint64_t n, const uint8_t leaf[DB_LOG_HASH_LEN],
			  struct log_nodes *nodes)
{
	uint8_t node[DB_LOG_HASH_LEN];
	unsigned k = 0;

	memcpy(node, leaf, DB_LOG_HASH_LEN);
	TC_GUARD(node_add(nodes, 0, n, node));
	/* Level k + 1 is completed while bit k of N is set (the left sibling is on the edge). */
	while (k < CHAIN_MERKLE_MAX_LEVEL && ((n >> k) & 1) == 1) {
		TC_GUARD(chain_merkle_node_hash(frontier[k], node, node));
		k++;
		TC_GUARD(node_add(nodes, k, ((n + 1) >> k) - 1, node));
	}
	memcpy(frontier[k], node, DB_LOG_HASH_LEN);
	return tc_ok();
}

/* The columns of the entries statement, built up entry by entry. */
struct entry_cols {
	struct tc_buf bytes, offs, lens, leaves, types, serials, certs, issuers, kinds, ads, has_ad, whs, has_wh, times;
};

static void cols_init(struct entry_cols *c)
{
	struct tc_buf *all[] = { &c->bytes,   &c->offs,  &c->lens, &c->leaves, &c->types, &c->serials, &c->certs,
				 &c->issuers, &c->kinds, &c->ads,  &c->has_ad, &c->whs,   &c->has_wh,  &c->times };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		tc_buf_init(all[i], (size_t)DB_LOG_BATCH_MAX * (DB_LOG_ENTRY_MAX + 64));
}

static void cols_cleanup(struct entry_cols *c)
{
	struct tc_buf *all[] = { &c->bytes,   &c->offs,  &c->lens, &c->leaves, &c->types, &c->serials, &c->certs,
				 &c->issuers, &c->kinds, &c->ads,  &c->has_ad, &c->whs,   &c->has_wh,  &c->times };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		tc_buf_cleanup(all[i]);
}

static TC_RESULT cols_add(struct entry_cols *c, const struct db_log_entry *e, const struct tc_buf *bytes,
			  const uint8_t leaf[DB_LOG_HASH_LEN])
{
	static const uint8_t zero[DB_LOG_HASH_LEN] = { 0 };

	TC_GUARD(db_array_num(&c->offs, (long long)c->bytes.len));
	TC_GUARD(db_array_num(&c->lens, (long long)bytes->len));
	TC_GUARD(tc_buf_append(&c->bytes, bytes->data, bytes->len));
	TC_GUARD(tc_buf_append(&c->leaves, leaf, DB_LOG_HASH_LEN));
	TC_GUARD(db_array_text(&c->types, db_log_type_name(e->type)));
	TC_GUARD(db_array_text(&c->serials, e->serial));
	TC_GUARD(tc_buf_append(&c->certs, e->cert_sha256, DB_LOG_HASH_LEN));
	TC_GUARD(db_array_text(&c->issuers, e->issuer));
	TC_GUARD(db_array_text(&c->kinds, e->kind));
	TC_GUARD(tc_buf_append(&c->ads, e->has_appraisal_digest ? e->appraisal_digest : zero, DB_LOG_HASH_LEN));
	TC_GUARD(db_array_text(&c->has_ad, e->has_appraisal_digest ? "t" : "f"));
	TC_GUARD(tc_buf_append(&c->whs, e->has_workload_info_hash ? e->workload_info_hash : zero, DB_LOG_HASH_LEN));
	TC_GUARD(db_array_text(&c->has_wh, e->has_workload_info_hash ? "t" : "f"));
	return db_array_num(&c->times, (long long)e->time);
}

static TC_RESULT entries_insert(struct db_conn *conn, uint64_t first, struct entry_cols *c, size_t n)
{
	struct tc_buf *arrays[] = { &c->offs,  &c->lens,   &c->types,  &c->serials, &c->issuers,
				    &c->kinds, &c->has_ad, &c->has_wh, &c->times };
	char first_s[24];
	PGresult *res;
	bool all;

	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		TC_GUARD(db_array_close(arrays[i]));
	snprintf(first_s, sizeof(first_s), "%llu", (unsigned long long)first);
	struct db_param params[] = {
		DB_PARAM_TEXT(first_s),
		DB_PARAM_BYTES(c->bytes.data, c->bytes.len),
		DB_PARAM_TEXT((const char *)c->offs.data),
		DB_PARAM_TEXT((const char *)c->lens.data),
		DB_PARAM_BYTES(c->leaves.data, c->leaves.len),
		DB_PARAM_TEXT((const char *)c->types.data),
		DB_PARAM_TEXT((const char *)c->serials.data),
		DB_PARAM_BYTES(c->certs.data, c->certs.len),
		DB_PARAM_TEXT((const char *)c->issuers.data),
		DB_PARAM_TEXT((const char *)c->kinds.data),
		DB_PARAM_BYTES(c->ads.data, c->ads.len),
		DB_PARAM_TEXT((const char *)c->has_ad.data),
		DB_PARAM_BYTES(c->whs.data, c->whs.len),
		DB_PARAM_TEXT((const char *)c->has_wh.data),
		DB_PARAM_TEXT((const char *)c->times.data),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt_entries, params, &res));
	all = strtoull(PQcmdTuples(res), NULL, 10) == n;
	PQclear(res);
	TC_ENSURE(all, TC_ERR_DB_QUERY, "log_batch_entries inserted fewer than %zu entries", n);
	return tc_ok();
}

/* "{a,b,...}" of the levels or indexes of NODES into OUT (NUL-terminated). */
static TC_RESULT array_of_nodes(const struct log_nodes *nodes, bool levels, struct tc_buf *out)
{
	for (size_t i = 0; i < nodes->n; i++)
		TC_GUARD(db_array_num(out, levels ? (long long)nodes->level[i] : (long long)nodes->idx[i]));
	return db_array_close(out);
}

static TC_RESULT nodes_insert(struct db_conn *conn, const struct log_nodes *nodes)
{
	struct tc_buf lv, ix;
	PGresult *res = NULL;
	struct tc_result r = tc_ok();

	tc_buf_init(&lv, LOG_BATCH_NODES_MAX * LOG_BATCH_NUM_TEXT + 3);
	tc_buf_init(&ix, LOG_BATCH_NODES_MAX * LOG_BATCH_NUM_TEXT + 3);
	TC_GUARD_GOTO(r, array_of_nodes(nodes, true, &lv), out);
	TC_GUARD_GOTO(r, array_of_nodes(nodes, false, &ix), out);
	struct db_param params[] = { DB_PARAM_TEXT((const char *)lv.data), DB_PARAM_TEXT((const char *)ix.data),
				     DB_PARAM_BYTES(nodes->hash, nodes->n * DB_LOG_HASH_LEN) };

	TC_GUARD_GOTO(r, db_exec_prepared(conn, &stmt_nodes, params, &res), out);
	TC_ENSURE_GOTO(r, strtoull(PQcmdTuples(res), NULL, 10) == nodes->n, out, TC_ERR_DB_QUERY,
		       "log_batch_nodes inserted fewer than %zu nodes", nodes->n);
out:
	PQclear(res);
	tc_buf_cleanup(&lv);
	tc_buf_cleanup(&ix);
	return r;
}

TC_RESULT db_log_append_batch(struct db_conn *conn, struct db_log_entry *entries, size_t n, uint64_t *first_seq)
{
	uint8_t frontier[CHAIN_MERKLE_MAX_LEVEL + 1][DB_LOG_HASH_LEN];
	struct log_nodes *nodes = NULL;
	struct entry_cols *cols = NULL;
	struct tc_buf bytes;
	uint64_t size = 0;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && entries != NULL && n >= 1 && n <= DB_LOG_BATCH_MAX, TC_ERR_INVALID_ARGUMENT,
		  "db_log_append_batch: 1..%d entries", DB_LOG_BATCH_MAX);
	TC_ENSURE(conn->in_txn, TC_ERR_INVALID_ARGUMENT, "db_log_append_batch must run inside a transaction");
	TC_GUARD(db_log_lock(conn, &size));
	TC_ENSURE(size <= UINT64_MAX / 2, TC_ERR_DB_QUERY, "log size %llu", (unsigned long long)size);
	nodes = calloc(1, sizeof(*nodes));
	cols = calloc(1, sizeof(*cols));
	if (!nodes || !cols) {
		free(nodes);
		free(cols);
		return tc_fail(TC_ERR_NO_MEMORY, "log batch");
	}
	cols_init(cols);
	tc_buf_init(&bytes, DB_LOG_ENTRY_MAX);
	TC_GUARD_GOTO(r, edge_read(conn, size, frontier), out);
	for (size_t i = 0; i < n; i++) {
		uint8_t leaf[DB_LOG_HASH_LEN];

		entries[i].seq = size + i;
		tc_buf_reset(&bytes);
		TC_GUARD_GOTO(r, db_log_entry_encode(&entries[i], &bytes), out);
		TC_GUARD_GOTO(r, chain_merkle_leaf_hash(bytes.data, bytes.len, leaf), out);
		TC_GUARD_GOTO(r, cols_add(cols, &entries[i], &bytes, leaf), out);
		TC_GUARD_GOTO(r, leaf_add(frontier, size + i, leaf, nodes), out);
	}
	TC_GUARD_GOTO(r, entries_insert(conn, size, cols, n), out);
	TC_GUARD_GOTO(r, nodes_insert(conn, nodes), out);
	if (first_seq)
		*first_seq = size;
out:
	tc_buf_cleanup(&bytes);
	cols_cleanup(cols);
	free(cols);
	free(nodes);
	return r;
}
