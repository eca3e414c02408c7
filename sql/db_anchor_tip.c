/*
 * db_anchor_tip.c — where the anchors of one chain stand: the last live tree size (the prevTreeSize of
 * the next anchor), the next nonce the database knows of, the last confirmed checkpoint and the number of
 * rows per state (teecert-anchor status, metrics).
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt = {
	.name = "anchor_tip",
	.sql = "SELECT"
	       " COALESCE(max(tree_size) FILTER (WHERE state IN ('planned','signed','broadcast','mined','confirmed')), 0),"
	       " COALESCE(max(nonce) FILTER (WHERE state IN ('planned','signed','broadcast','mined','confirmed','reverted')), -1),"
	       " COALESCE(max(tree_size) FILTER (WHERE state = 'confirmed'), 0),"
	       " COALESCE((SELECT block_number FROM anchor_txs c WHERE c.chain_id = $1::bigint AND c.state = 'confirmed'"
	       "           ORDER BY tree_size DESC LIMIT 1), -1),"
	       " count(*) FILTER (WHERE state = 'planned'), count(*) FILTER (WHERE state = 'signed'),"
	       " count(*) FILTER (WHERE state = 'broadcast'), count(*) FILTER (WHERE state = 'mined'),"
	       " count(*) FILTER (WHERE state = 'confirmed'), count(*) FILTER (WHERE state = 'replaced'),"
	       " count(*) FILTER (WHERE state = 'dropped'), count(*) FILTER (WHERE state = 'reverted')"
	       " FROM anchor_txs WHERE chain_id = $1::bigint",
	.nparams = 1,
};

TC_RESULT db_anchor_tip(struct db_conn *conn, uint64_t chain_id, struct db_anchor_tip *out)
{
	TC_ENSURE(conn != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "db_anchor_tip: missing argument");
	char chain[24];
	snprintf(chain, sizeof(chain), "%" PRIu64, chain_id);
	struct db_param params[] = { DB_PARAM_TEXT(chain) };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	struct tc_result r = tc_ok();
	int64_t v[4 + DB_ANCHOR_STATE_COUNT];
	for (int c = 0; c < 4 + DB_ANCHOR_STATE_COUNT; c++)
		TC_GUARD_GOTO(r, db_value_int64(res, 0, c, &v[c]), out);
	struct db_anchor_tip tip;
	memset(&tip, 0, sizeof(tip));
	tip.last_tree_size = (uint64_t)v[0];
	tip.has_nonce = v[1] >= 0;
	tip.next_nonce = (uint64_t)(v[1] + 1);
	tip.confirmed_tree_size = (uint64_t)v[2];
	tip.confirmed_block = v[3];
	for (int s = 0; s < DB_ANCHOR_STATE_COUNT; s++)
		tip.count[s] = (uint64_t)v[4 + s];
	*out = tip;
out:
	PQclear(res);
	return r;
}
