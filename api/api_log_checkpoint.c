/*
 * api_log_checkpoint.c — GET /v1/log/checkpoint[?tree_size=N]: the latest signed checkpoint of the
 * transparency log, or the one of exactly N entries. 200 {tree_size, root (hex), time (RFC 3339),
 * key_name, key_id (hex), signature (hex), note}; `note` is the C2SP signed note itself, which a client
 * verifies with the log's verifier key (docs/log.md). 404 when there is no such checkpoint.
 */
#include "api_internal.h"

static TC_RESULT checkpoint_reply(struct api_request *req, const struct db_log_checkpoint *cp)
{
	char when[TC_TIME_RFC3339_LEN];
	json_t *body;
	struct tc_result r;

	TC_GUARD(tc_time_format(cp->time, when));
	body = json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:s}", "tree_size", (json_int_t)cp->tree_size, "root",
			 tc_json_hex(cp->root, DB_LOG_HASH_LEN), "time", when, "key_name", cp->key_name, "key_id",
			 tc_json_hex(cp->key_id, DB_LOG_KEY_ID_LEN), "signature",
			 tc_json_hex(cp->signature, DB_LOG_SIG_LEN), "note", cp->note);
	TC_ENSURE(body != NULL, TC_ERR_NO_MEMORY, "checkpoint body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}

TC_RESULT api_log_checkpoint_get(struct api_request *req)
{
	struct api_log_query q[] = { { .name = "tree_size" } };
	struct db_log_checkpoint *cp = NULL;
	struct db_conn *conn = NULL;
	bool found = false;
	struct tc_result r = tc_ok();

	TC_GUARD(api_log_query_parse(req, q, 1));
	TC_GUARD(api_request_db(req, &conn));
	cp = calloc(1, sizeof(*cp));
	TC_ENSURE(cp != NULL, TC_ERR_NO_MEMORY, "log checkpoint");
	if (q[0].present)
		TC_GUARD_GOTO(r, db_log_checkpoint_by_size(conn, q[0].value, cp, &found), out);
	else
		TC_GUARD_GOTO(r, db_log_checkpoint_latest(conn, cp, &found), out);
	if (!found && q[0].present)
		r = tc_fail(TC_ERR_NOT_FOUND, "there is no checkpoint of tree size %llu", (unsigned long long)q[0].value);
	else if (!found)
		r = tc_fail(TC_ERR_NOT_FOUND, "the log has no checkpoint yet");
	else
		r = checkpoint_reply(req, cp);
out:
	free(cp);
	return r;
}
