/*
 * db_anchor_tx_update.c — move one anchor transaction through its state machine (docs/anchor.md). The
 * WHERE clause on the expected state makes every transition a compare-and-set: a row that changed under
 * us (a second worker, a stale read) is a conflict, not an overwrite.
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "anchor_tx_update",
	.sql = "UPDATE anchor_txs SET state = $3, raw_tx = $4, tx_hash = $5, attempts = $6::integer,"
	       " block_number = $7::bigint, block_hash = $8, gas_used = $9::bigint, last_error = $10,"
	       " updated_at = now(),"
	       " broadcast_at = CASE WHEN $11::boolean THEN now() ELSE broadcast_at END,"
	       " mined_at = CASE WHEN $3 IN ('mined', 'reverted') AND state <> $3 THEN now()"
	       "                 WHEN $3 IN ('mined', 'confirmed', 'reverted') THEN mined_at END,"
	       " confirmed_at = CASE WHEN $3 = 'confirmed' THEN COALESCE(confirmed_at, now()) END"
	       " WHERE id = $1::bigint AND state = $2",
	.nparams = 11,
};

TC_RESULT db_anchor_tx_update(struct db_conn *conn, const struct db_anchor_tx *tx, enum db_anchor_state expected,
			      bool touch_broadcast)
{
	TC_ENSURE(conn != NULL && tx != NULL, TC_ERR_INVALID_ARGUMENT, "db_anchor_tx_update: missing argument");
	TC_ENSURE(tx->raw_len <= DB_ANCHOR_RAW_MAX && tx->block_number <= INT64_MAX && tx->gas_used <= INT64_MAX,
		  TC_ERR_INVALID_ARGUMENT, "anchor transaction field out of range");
	char id[24], attempts[16], block[24], gas[24];
	snprintf(id, sizeof(id), "%" PRId64, tx->id);
	snprintf(attempts, sizeof(attempts), "%" PRIu32, tx->attempts);
	snprintf(block, sizeof(block), "%" PRIu64, tx->block_number);
	snprintf(gas, sizeof(gas), "%" PRIu64, tx->gas_used);
	struct db_param params[] = {
		DB_PARAM_TEXT(id),
		DB_PARAM_TEXT(db_anchor_state_name(expected)),
		DB_PARAM_TEXT(db_anchor_state_name(tx->state)),
		tx->raw_len > 0 ? DB_PARAM_BYTES(tx->raw_tx, tx->raw_len) : DB_PARAM_TEXT(NULL),
		tx->has_tx_hash ? DB_PARAM_BYTES(tx->tx_hash, DB_ANCHOR_HASH_LEN) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(attempts),
		tx->has_block ? DB_PARAM_TEXT(block) : DB_PARAM_TEXT(NULL),
		tx->has_block ? DB_PARAM_BYTES(tx->block_hash, DB_ANCHOR_HASH_LEN) : DB_PARAM_TEXT(NULL),
		tx->has_block ? DB_PARAM_TEXT(gas) : DB_PARAM_TEXT(NULL),
		tx->last_error[0] != '\0' ? DB_PARAM_TEXT(tx->last_error) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(touch_broadcast ? "true" : "false"),
	};
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	const char *n = PQcmdTuples(res);
	bool one = n[0] == '1' && n[1] == '\0';
	PQclear(res);
	TC_ENSURE(one, TC_ERR_DB_CONFLICT, "anchor transaction %" PRId64 " is no longer %s", tx->id,
		  db_anchor_state_name(expected));
	return tc_ok();
}
