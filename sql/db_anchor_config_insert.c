/*
 * db_anchor_config_insert.c — record the deployed anchor contract (teecert-anchor deploy). There is one
 * contract per deployment: a second insert is a conflict, never a silent switch of contracts.
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "anchor_config_insert",
	.sql = "INSERT INTO anchor_config (chain_id, contract_address, from_address, deploy_tx_hash, deploy_block)"
	       " VALUES ($1::bigint, $2, $3, $4, $5::bigint)",
	.nparams = 5,
};

TC_RESULT db_anchor_config_insert(struct db_conn *conn, const struct db_anchor_config *cfg)
{
	TC_ENSURE(conn != NULL && cfg != NULL, TC_ERR_INVALID_ARGUMENT, "db_anchor_config_insert: missing argument");
	TC_ENSURE(cfg->chain_id > 0 && cfg->chain_id <= INT64_MAX, TC_ERR_INVALID_ARGUMENT, "bad chain id");
	char chain_id[24], block[24];
	snprintf(chain_id, sizeof(chain_id), "%" PRIu64, cfg->chain_id);
	snprintf(block, sizeof(block), "%" PRId64, cfg->deploy_block);
	struct db_param params[] = {
		DB_PARAM_TEXT(chain_id),
		DB_PARAM_BYTES(cfg->contract, DB_ANCHOR_ADDRESS_LEN),
		DB_PARAM_BYTES(cfg->from, DB_ANCHOR_ADDRESS_LEN),
		cfg->has_deploy_tx ? DB_PARAM_BYTES(cfg->deploy_tx_hash, DB_ANCHOR_HASH_LEN) : DB_PARAM_TEXT(NULL),
		cfg->deploy_block >= 0 ? DB_PARAM_TEXT(block) : DB_PARAM_TEXT(NULL),
	};
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
