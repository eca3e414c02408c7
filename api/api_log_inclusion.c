/*
 * api_log_inclusion.c — GET /v1/log/proof/inclusion?seq=S[&tree_size=N]: the RFC 9162 §2.1.3 inclusion
 * proof of entry S in the tree of the first N entries. N defaults to the latest checkpoint's size and may
 * not exceed it (proofs are served against signed tree heads only). 200 {seq, tree_size, leaf_hash, root,
 * proof: [hex, leaf level first]}. 400: missing or malformed numbers, seq >= tree_size, tree_size 0 or
 * beyond the latest checkpoint; 404 when the log has no checkpoint yet and no tree_size was given.
 */
#include "api_internal.h"
#include "chain.h"

struct inclusion {
	uint64_t seq, size;
	uint8_t leaf[DB_LOG_HASH_LEN];
	uint8_t root[DB_LOG_HASH_LEN];
	struct chain_merkle_proof proof;
};

static TC_RESULT inclusion_compute(struct db_conn *conn, struct inclusion *in)
{
	struct db_log_entry *e = calloc(1, sizeof(*e));
	bool found = false;
	struct tc_result r;

	TC_ENSURE(e != NULL, TC_ERR_NO_MEMORY, "log entry");
	r = db_log_entry_get(conn, in->seq, e, NULL, in->leaf, &found);
	free(e);
	TC_GUARD(r);
	TC_ENSURE(found, TC_ERR_INTERNAL, "entry %llu below a checkpoint is missing", (unsigned long long)in->seq);
	TC_GUARD(db_log_root(conn, in->size, in->root));
	return db_log_inclusion_proof(conn, in->seq, in->size, &in->proof);
}

static TC_RESULT inclusion_reply(struct api_request *req, const struct inclusion *in)
{
	json_t *proof = NULL, *body;
	struct tc_result r;

	TC_GUARD(api_log_proof_json(&in->proof, &proof));
	body = json_pack("{s:I, s:I, s:o, s:o, s:o}", "seq", (json_int_t)in->seq, "tree_size", (json_int_t)in->size,
			 "leaf_hash", tc_json_hex(in->leaf, DB_LOG_HASH_LEN), "root", tc_json_hex(in->root, DB_LOG_HASH_LEN),
			 "proof", proof);
	TC_ENSURE(body != NULL, TC_ERR_NO_MEMORY, "inclusion body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}

TC_RESULT api_log_inclusion_get(struct api_request *req)
{
	struct api_log_query q[] = { { .name = "seq" }, { .name = "tree_size" } };
	struct db_conn *conn = NULL;
	struct inclusion *in;
	uint64_t latest = 0;
	struct tc_result r = tc_ok();

	TC_GUARD(api_log_query_parse(req, q, 2));
	TC_ENSURE(q[0].present, TC_ERR_INVALID_ARGUMENT, "query parameter seq is required");
	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD(api_log_latest_size(conn, &latest));
	TC_ENSURE(q[1].present || latest > 0, TC_ERR_NOT_FOUND, "the log has no checkpoint yet");
	uint64_t size = q[1].present ? q[1].value : latest;

	TC_ENSURE(size <= latest, TC_ERR_INVALID_ARGUMENT,
		  "tree_size %llu is beyond the latest checkpoint (tree size %llu)", (unsigned long long)size,
		  (unsigned long long)latest);
	TC_ENSURE(q[0].value < size, TC_ERR_INVALID_ARGUMENT, "seq %llu is not below tree_size %llu",
		  (unsigned long long)q[0].value, (unsigned long long)size);
	in = calloc(1, sizeof(*in));
	TC_ENSURE(in != NULL, TC_ERR_NO_MEMORY, "inclusion proof");
	in->seq = q[0].value;
	in->size = size;
	TC_GUARD_GOTO(r, inclusion_compute(conn, in), out);
	r = inclusion_reply(req, in);
out:
	free(in);
	return r;
}
