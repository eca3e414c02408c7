/*
 * api_anchors.c — GET /v1/anchors[?limit=N]: the log's anchors on chain (DESIGN.md "Transparency log and
 * anchoring"), newest tree size first: 200 {anchors: [{tree_size, root, prev_tree_size, state, tx_hash,
 * block_number, block_hash, confirmed_at}]}. State is the anchor worker's (docs/anchor.md): planned, signed,
 * broadcast, mined, confirmed, reverted; replaced and dropped transactions are not listed. An auditor
 * checks an anchor on chain itself (teecert audit); this list says where to look.
 */
#include <stdlib.h>

#include "api_internal.h"

#define API_ANCHORS_DEFAULT_LIMIT 100

static json_t *anchor_json(const struct db_anchor_row *a)
{
	char when[TC_TIME_RFC3339_LEN];
	json_t *o = json_pack("{s:I, s:s, s:I, s:s}", "tree_size", (json_int_t)a->tree_size, "root", a->root_hex,
			      "prev_tree_size", (json_int_t)a->prev_tree_size, "state", a->state);

	if (!o)
		return NULL;
	json_object_set_new(o, "tx_hash", a->tx_hash_hex[0] ? json_string(a->tx_hash_hex) : json_null());
	json_object_set_new(o, "block_number", a->has_block ? json_integer((json_int_t)a->block_number) : json_null());
	json_object_set_new(o, "block_hash", a->has_block ? json_string(a->block_hash_hex) : json_null());
	json_object_set_new(o, "confirmed_at",
			    a->has_confirmed_at && tc_is_ok(tc_time_format(a->confirmed_at, when)) ? json_string(when)
												   : json_null());
	return o;
}

TC_RESULT api_anchors_get(struct api_request *req)
{
	struct api_log_query q[] = { { .name = "limit" } };
	struct db_anchor_row *rows = NULL;
	struct db_conn *conn = NULL;
	json_t *list = NULL, *body = NULL;
	size_t n = 0;
	int limit = API_ANCHORS_DEFAULT_LIMIT;
	struct tc_result r = tc_ok();

	TC_GUARD(api_log_query_parse(req, q, 1));
	if (q[0].present) {
		TC_ENSURE(q[0].value >= 1 && q[0].value <= DB_ANCHORS_LIST_MAX, TC_ERR_INVALID_ARGUMENT,
			  "limit must be 1..%d", DB_ANCHORS_LIST_MAX);
		limit = (int)q[0].value;
	}
	TC_GUARD(api_request_db(req, &conn));
	rows = calloc((size_t)limit, sizeof(*rows));
	list = json_array();
	TC_ENSURE_GOTO(r, rows && list, out, TC_ERR_NO_MEMORY, "anchors list");
	TC_GUARD_GOTO(r, db_anchors_list(conn, limit, rows, &n), out);
	for (size_t i = 0; i < n; i++)
		TC_ENSURE_GOTO(r, json_array_append_new(list, anchor_json(&rows[i])) == 0, out, TC_ERR_NO_MEMORY,
			       "anchor");
	body = json_pack("{s:O}", "anchors", list);
	TC_ENSURE_GOTO(r, body, out, TC_ERR_NO_MEMORY, "anchors body");
	r = api_reply_json(req, 200, body);
out:
	json_decref(body);
	json_decref(list);
	free(rows);
	return r;
}
