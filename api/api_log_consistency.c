/*
 * api_log_consistency.c — GET /v1/log/proof/consistency?from=M[&to=N]: the RFC 9162 §2.1.4 consistency
 * proof that the tree of the first N entries extends the tree of the first M. N defaults to the latest
 * checkpoint's size and may not exceed it. 200 {from, to, from_root, to_root, proof: [hex]} (empty proof
 * when M = N). 400: missing or malformed numbers, from 0, from > to, to beyond the latest checkpoint; 404
 * when the log has no checkpoint yet and no `to` was given.
 */
#include "api_internal.h"
#include "chain.h"

struct consistency {
	uint64_t from, to;
	uint8_t from_root[DB_LOG_HASH_LEN];
	uint8_t to_root[DB_LOG_HASH_LEN];
	struct chain_merkle_proof proof;
};

static TC_RESULT consistency_reply(struct api_request *req, const struct consistency *c)
{
	json_t *proof = NULL, *body;
	struct tc_result r;

	TC_GUARD(api_log_proof_json(&c->proof, &proof));
	body = json_pack("{s:I, s:I, s:o, s:o, s:o}", "from", (json_int_t)c->from, "to", (json_int_t)c->to, "from_root",
			 tc_json_hex(c->from_root, DB_LOG_HASH_LEN), "to_root", tc_json_hex(c->to_root, DB_LOG_HASH_LEN),
			 "proof", proof);
	TC_ENSURE(body != NULL, TC_ERR_NO_MEMORY, "consistency body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}

TC_RESULT api_log_consistency_get(struct api_request *req)
{
	struct api_log_query q[] = { { .name = "from" }, { .name = "to" } };
	struct db_conn *conn = NULL;
	struct consistency *c;
	uint64_t latest = 0;
	struct tc_result r = tc_ok();

	TC_GUARD(api_log_query_parse(req, q, 2));
	TC_ENSURE(q[0].present, TC_ERR_INVALID_ARGUMENT, "query parameter from is required");
	TC_ENSURE(q[0].value > 0, TC_ERR_INVALID_ARGUMENT, "from must be at least 1 (the empty tree proves nothing)");
	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD(api_log_latest_size(conn, &latest));
	TC_ENSURE(q[1].present || latest > 0, TC_ERR_NOT_FOUND, "the log has no checkpoint yet");
	uint64_t to = q[1].present ? q[1].value : latest;

	TC_ENSURE(q[0].value <= to, TC_ERR_INVALID_ARGUMENT, "from %llu is larger than to %llu",
		  (unsigned long long)q[0].value, (unsigned long long)to);
	TC_ENSURE(to <= latest, TC_ERR_INVALID_ARGUMENT, "to %llu is beyond the latest checkpoint (tree size %llu)",
		  (unsigned long long)to, (unsigned long long)latest);
	c = calloc(1, sizeof(*c));
	TC_ENSURE(c != NULL, TC_ERR_NO_MEMORY, "consistency proof");
	c->from = q[0].value;
	c->to = to;
	TC_GUARD_GOTO(r, db_log_root(conn, c->from, c->from_root), out);
	TC_GUARD_GOTO(r, db_log_root(conn, c->to, c->to_root), out);
	TC_GUARD_GOTO(r, db_log_consistency_proof(conn, c->from, c->to, &c->proof), out);
	r = consistency_reply(req, c);
out:
	free(c);
	return r;
}
