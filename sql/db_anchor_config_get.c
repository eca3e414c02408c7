/*
 * db_anchor_config_get.c — the configured anchor contract (anchor_config, migration 0003).
 */
#include "db_internal.h"

#include <string.h>

static const struct db_stmt stmt = {
	.name = "anchor_config_get",
	.sql = "SELECT chain_id, encode(contract_address, 'hex'), encode(from_address, 'hex'),"
	       " encode(deploy_tx_hash, 'hex'), COALESCE(deploy_block, -1)"
	       " FROM anchor_config WHERE singleton",
	.nparams = 0,
};

static TC_RESULT hex_cell(const PGresult *res, int col, void *out, size_t len)
{
	const char *v = PQgetvalue(res, 0, col);
	struct tc_result r = tc_hex_decode_fixed(v, strlen(v), out, len);
	if (!tc_is_ok(r))
		return tc_fail(TC_ERR_DB_QUERY, "anchor_config column %d: %s", col, tc_error_detail());
	return tc_ok();
}

TC_RESULT db_anchor_config_get(struct db_conn *conn, struct db_anchor_config *out, bool *found)
{
	TC_ENSURE(conn != NULL && out != NULL && found != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_anchor_config_get: missing argument");
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	struct tc_result r = tc_ok();
	struct db_anchor_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (PQntuples(res) == 0) {
		*found = false;
		goto out;
	}
	int64_t chain_id;
	TC_GUARD_GOTO(r, db_value_int64(res, 0, 0, &chain_id), out);
	cfg.chain_id = (uint64_t)chain_id;
	TC_GUARD_GOTO(r, hex_cell(res, 1, cfg.contract, sizeof(cfg.contract)), out);
	TC_GUARD_GOTO(r, hex_cell(res, 2, cfg.from, sizeof(cfg.from)), out);
	if (!PQgetisnull(res, 0, 3)) {
		TC_GUARD_GOTO(r, hex_cell(res, 3, cfg.deploy_tx_hash, sizeof(cfg.deploy_tx_hash)), out);
		cfg.has_deploy_tx = true;
	}
	TC_GUARD_GOTO(r, db_value_int64(res, 0, 4, &cfg.deploy_block), out);
	*out = cfg;
	*found = true;
out:
	PQclear(res);
	return r;
}
