/*
 * api_log_query.c — the query parameters of the log endpoints (GET /v1/log/...): each is a decimal
 * integer 0 .. 2^63 - 1, given at most once; unknown parameters are refused, so a typo ("treesize") is a
 * clear 400 instead of a silently ignored filter. Also the latest-checkpoint bound the proof endpoints
 * share: proofs are served only for sizes some signed checkpoint has reached.
 */
#include <string.h>

#include "api_internal.h"
#include "chain.h"

#define API_LOG_U64_DIGITS_MAX 19 /* 2^63 - 1 has 19 digits */

TC_RESULT api_log_u64(const char *name, const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t len = s ? strlen(s) : 0;

	TC_ENSURE(len >= 1 && len <= API_LOG_U64_DIGITS_MAX && (len == 1 || s[0] != '0'), TC_ERR_INVALID_ARGUMENT,
		  "%s must be a decimal integer without sign or leading zeros (got '%.24s')", name, s ? s : "");
	for (size_t i = 0; i < len; i++) {
		TC_ENSURE(s[i] >= '0' && s[i] <= '9', TC_ERR_INVALID_ARGUMENT,
			  "%s must be a decimal integer (got '%.24s')", name, s);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	TC_ENSURE(v <= (uint64_t)INT64_MAX, TC_ERR_INVALID_ARGUMENT, "%s is larger than 2^63 - 1", name);
	*out = v;
	return tc_ok();
}

struct query_walk {
	struct api_log_query *q;
	size_t n;
	struct tc_result r;
};

static enum MHD_Result query_visit(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_walk *w = cls;
	struct api_log_query *hit = NULL;

	(void)kind;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->q[i].name, key) == 0)
			hit = &w->q[i];
	if (hit == NULL)
		w->r = tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown query parameter '%.32s'", key);
	else if (hit->present)
		w->r = tc_fail(TC_ERR_INVALID_ARGUMENT, "query parameter %s given twice", hit->name);
	else
		w->r = api_log_u64(hit->name, value, &hit->value);
	if (hit && tc_is_ok(w->r))
		hit->present = true;
	return tc_is_ok(w->r) ? MHD_YES : MHD_NO;
}

TC_RESULT api_log_query_parse(struct api_request *req, struct api_log_query *q, size_t n)
{
	struct query_walk w = { .q = q, .n = n, .r = tc_ok() };

	for (size_t i = 0; i < n; i++)
		q[i].present = false;
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_visit, &w);
	return w.r;
}

TC_RESULT api_log_latest_size(struct db_conn *conn, uint64_t *size)
{
	struct db_log_checkpoint *cp = calloc(1, sizeof(*cp));
	bool found = false;
	struct tc_result r;

	TC_ENSURE(cp != NULL, TC_ERR_NO_MEMORY, "log checkpoint");
	r = db_log_checkpoint_latest(conn, cp, &found);
	if (tc_is_ok(r))
		*size = found ? cp->tree_size : 0;
	free(cp);
	return r;
}

TC_RESULT api_log_proof_json(const struct chain_merkle_proof *p, json_t **out)
{
	json_t *arr = json_array();

	TC_ENSURE(arr != NULL, TC_ERR_NO_MEMORY, "proof array");
	for (size_t i = 0; i < p->len; i++) {
		if (json_array_append_new(arr, tc_json_hex(p->hash[i], CHAIN_HASH_LEN)) != 0) {
			json_decref(arr);
			return tc_fail(TC_ERR_NO_MEMORY, "proof array");
		}
	}
	*out = arr;
	return tc_ok();
}
