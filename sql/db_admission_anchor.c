/*
 * db_admission_anchor.c — whether a log entry is anchored (docs/anchor.md, migration 0003 `anchor_txs`):
 * the smallest confirmed anchored tree that contains entry SEQ, for POST /v1/admission/peer.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "admission_anchor",
	.sql = "SELECT tree_size, encode(tx_hash, 'hex'), COALESCE(block_number, -1) FROM anchor_txs"
	       " WHERE state = 'confirmed' AND tx_hash IS NOT NULL AND tree_size > $1::bigint"
	       " ORDER BY tree_size LIMIT 1",
	.nparams = 1,
};

static TC_RESULT read_row(const PGresult *res, uint64_t *tree_size, uint8_t tx_hash[32], int64_t *block)
{
	const char *hex = PQgetvalue(res, 0, 1);
	int64_t size;

	TC_GUARD(db_value_int64(res, 0, 0, &size));
	TC_GUARD(tc_hex_decode_fixed(hex, strlen(hex), tx_hash, 32));
	TC_GUARD(db_value_int64(res, 0, 2, block));
	*tree_size = (uint64_t)size;
	return tc_ok();
}

TC_RESULT db_admission_anchor(struct db_conn *conn, uint64_t seq, bool *found, uint64_t *tree_size, uint8_t tx_hash[32],
			      int64_t *block)
{
	char s[24];
	PGresult *res;

	TC_ENSURE(conn && found && tree_size && tx_hash && block, TC_ERR_INVALID_ARGUMENT,
		  "db_admission_anchor: missing argument");
	snprintf(s, sizeof(s), "%llu", (unsigned long long)seq);
	struct db_param params[] = { DB_PARAM_TEXT(s) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	bool f = PQntuples(res) == 1;
	struct tc_result r = f ? read_row(res, tree_size, tx_hash, block) : tc_ok();

	PQclear(res);
	TC_GUARD(r);
	*found = f;
	return tc_ok();
}
