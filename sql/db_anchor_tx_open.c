/*
 * db_anchor_tx_open.c — the anchor transactions that still need the worker: every planned, signed,
 * broadcast or mined row, and replaced rows whose nonce is still open (after a fee bump either the old or
 * the new transaction may be the one that gets mined).
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt = {
	.name = "anchor_tx_open",
	.sql = "SELECT id, state, tree_size, encode(root, 'hex'), prev_tree_size, chain_id, nonce, gas_limit,"
	       " max_fee_per_gas::text, max_priority_fee_per_gas::text, encode(raw_tx, 'hex'), encode(tx_hash, 'hex'),"
	       " COALESCE(replaces, 0), attempts, block_number, encode(block_hash, 'hex'), COALESCE(gas_used, 0),"
	       " COALESCE(last_error, ''),"
	       " COALESCE(floor(extract(epoch FROM clock_timestamp() - broadcast_at) * 1000)::bigint, -1)"
	       " FROM anchor_txs t"
	       " WHERE chain_id = $1::bigint AND (state IN ('planned', 'signed', 'broadcast', 'mined')"
	       "   OR (state = 'replaced' AND EXISTS (SELECT 1 FROM anchor_txs o WHERE o.chain_id = t.chain_id"
	       "       AND o.nonce = t.nonce AND o.state IN ('planned', 'signed', 'broadcast'))))"
	       " ORDER BY nonce, id LIMIT $2::integer",
	.nparams = 2,
};

static TC_RESULT u64_cell(const PGresult *res, int row, int col, uint64_t *out)
{
	int64_t v;
	TC_GUARD(db_value_int64(res, row, col, &v));
	TC_ENSURE(v >= 0, TC_ERR_DB_QUERY, "anchor_txs column %s is negative", PQfname(res, col));
	*out = (uint64_t)v;
	return tc_ok();
}

static TC_RESULT hex_cell(const PGresult *res, int row, int col, void *out, size_t len)
{
	const char *v = PQgetvalue(res, row, col);
	if (!tc_is_ok(tc_hex_decode_fixed(v, strlen(v), out, len)))
		return tc_fail(TC_ERR_DB_QUERY, "anchor_txs column %s: %s", PQfname(res, col), tc_error_detail());
	return tc_ok();
}

static TC_RESULT text_cell(const PGresult *res, int row, int col, char *out, size_t size)
{
	const char *v = PQgetvalue(res, row, col);
	TC_ENSURE(strlen(v) < size, TC_ERR_DB_QUERY, "anchor_txs column %s is too long", PQfname(res, col));
	snprintf(out, size, "%s", v);
	return tc_ok();
}

static TC_RESULT row_read(const PGresult *res, int i, struct db_anchor_tx *t)
{
	memset(t, 0, sizeof(*t));
	TC_GUARD(db_value_int64(res, i, 0, &t->id));
	TC_GUARD(db_anchor_state_parse(PQgetvalue(res, i, 1), &t->state));
	TC_GUARD(u64_cell(res, i, 2, &t->tree_size));
	TC_GUARD(hex_cell(res, i, 3, t->root, sizeof(t->root)));
	TC_GUARD(u64_cell(res, i, 4, &t->prev_tree_size));
	TC_GUARD(u64_cell(res, i, 5, &t->chain_id));
	TC_GUARD(u64_cell(res, i, 6, &t->nonce));
	TC_GUARD(u64_cell(res, i, 7, &t->gas_limit));
	TC_GUARD(text_cell(res, i, 8, t->max_fee, sizeof(t->max_fee)));
	TC_GUARD(text_cell(res, i, 9, t->max_priority_fee, sizeof(t->max_priority_fee)));
	if (!PQgetisnull(res, i, 10)) {
		const char *v = PQgetvalue(res, i, 10);
		size_t n = strlen(v);
		TC_ENSURE(n > 0 && n / 2 <= DB_ANCHOR_RAW_MAX, TC_ERR_DB_QUERY, "anchor_txs.raw_tx has a bad length");
		TC_GUARD(hex_cell(res, i, 10, t->raw_tx, n / 2));
		t->raw_len = n / 2;
	}
	if (!PQgetisnull(res, i, 11)) {
		TC_GUARD(hex_cell(res, i, 11, t->tx_hash, sizeof(t->tx_hash)));
		t->has_tx_hash = true;
	}
	TC_GUARD(db_value_int64(res, i, 12, &t->replaces));
	uint64_t attempts;
	TC_GUARD(u64_cell(res, i, 13, &attempts));
	t->attempts = (uint32_t)attempts;
	if (!PQgetisnull(res, i, 14)) {
		TC_GUARD(u64_cell(res, i, 14, &t->block_number));
		TC_GUARD(hex_cell(res, i, 15, t->block_hash, sizeof(t->block_hash)));
		t->has_block = true;
	}
	TC_GUARD(u64_cell(res, i, 16, &t->gas_used));
	TC_GUARD(text_cell(res, i, 17, t->last_error, sizeof(t->last_error)));
	TC_GUARD(db_value_int64(res, i, 18, &t->broadcast_age_ms));
	return tc_ok();
}

TC_RESULT db_anchor_tx_open(struct db_conn *conn, uint64_t chain_id, struct db_anchor_tx *out, size_t max, size_t *n)
{
	TC_ENSURE(conn != NULL && out != NULL && n != NULL && max > 0 && max <= 100000, TC_ERR_INVALID_ARGUMENT,
		  "db_anchor_tx_open: bad argument");
	char chain[24], limit[16];
	snprintf(chain, sizeof(chain), "%" PRIu64, chain_id);
	snprintf(limit, sizeof(limit), "%zu", max);
	struct db_param params[] = { DB_PARAM_TEXT(chain), DB_PARAM_TEXT(limit) };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	struct tc_result r = tc_ok();
	int rows = PQntuples(res);
	for (int i = 0; i < rows; i++)
		TC_GUARD_GOTO(r, row_read(res, i, &out[i]), out);
	*n = (size_t)rows;
out:
	PQclear(res);
	return r;
}
