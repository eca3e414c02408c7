/*
 * db_anchor_tx_insert.c — plan (or, for a fee bump, store the signed replacement of) an anchor
 * transaction. The partial unique indexes of migration 0003 reject a second live row for the same tree
 * size or nonce (TC_ERR_DB_CONFLICT).
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "anchor_tx_insert",
	.sql = "INSERT INTO anchor_txs (state, tree_size, root, prev_tree_size, chain_id, nonce, gas_limit,"
	       " max_fee_per_gas, max_priority_fee_per_gas, raw_tx, tx_hash, replaces)"
	       " VALUES ($1, $2::bigint, $3, $4::bigint, $5::bigint, $6::bigint, $7::bigint,"
	       " $8::numeric, $9::numeric, $10, $11, $12::bigint)"
	       " RETURNING id",
	.nparams = 12,
};

TC_RESULT db_anchor_tx_insert(struct db_conn *conn, const struct db_anchor_tx *tx, int64_t *id)
{
	TC_ENSURE(conn != NULL && tx != NULL && id != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_anchor_tx_insert: missing argument");
	TC_ENSURE(tx->tree_size <= INT64_MAX && tx->nonce <= INT64_MAX && tx->gas_limit <= INT64_MAX &&
			  tx->chain_id <= INT64_MAX && tx->raw_len <= DB_ANCHOR_RAW_MAX,
		  TC_ERR_INVALID_ARGUMENT, "anchor transaction field out of range");
	char size[24], prev[24], chain[24], nonce[24], gas[24], replaces[24];
	snprintf(size, sizeof(size), "%" PRIu64, tx->tree_size);
	snprintf(prev, sizeof(prev), "%" PRIu64, tx->prev_tree_size);
	snprintf(chain, sizeof(chain), "%" PRIu64, tx->chain_id);
	snprintf(nonce, sizeof(nonce), "%" PRIu64, tx->nonce);
	snprintf(gas, sizeof(gas), "%" PRIu64, tx->gas_limit);
	snprintf(replaces, sizeof(replaces), "%" PRId64, tx->replaces);
	struct db_param params[] = {
		DB_PARAM_TEXT(db_anchor_state_name(tx->state)),
		DB_PARAM_TEXT(size),
		DB_PARAM_BYTES(tx->root, DB_ANCHOR_HASH_LEN),
		DB_PARAM_TEXT(prev),
		DB_PARAM_TEXT(chain),
		DB_PARAM_TEXT(nonce),
		DB_PARAM_TEXT(gas),
		DB_PARAM_TEXT(tx->max_fee),
		DB_PARAM_TEXT(tx->max_priority_fee),
		tx->raw_len > 0 ? DB_PARAM_BYTES(tx->raw_tx, tx->raw_len) : DB_PARAM_TEXT(NULL),
		tx->has_tx_hash ? DB_PARAM_BYTES(tx->tx_hash, DB_ANCHOR_HASH_LEN) : DB_PARAM_TEXT(NULL),
		tx->replaces > 0 ? DB_PARAM_TEXT(replaces) : DB_PARAM_TEXT(NULL),
	};
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	int64_t new_id;
	struct tc_result r = db_value_int64(res, 0, 0, &new_id);
	PQclear(res);
	TC_GUARD(r);
	*id = new_id;
	return tc_ok();
}
