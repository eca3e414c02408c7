/*
 * api_challenges.c — POST /v1/challenges: a fresh single-use nonce for evidence binding (DESIGN.md
 * "Evidence binding", step 1). The body is empty or {} (no fields are defined yet; unknown ones are
 * refused). Replies 201 {"nonce": 64 hex digits, "expires_at": RFC 3339}; the lifetime is the server's
 * challenge_lifetime_s (default 300 s) counted on the database clock.
 */
#include "api_internal.h"

struct challenge_txn {
	uint8_t nonce[DB_NONCE_LEN];
	int lifetime_s;
	int64_t expires_at;
};

/* Safe to re-run: inserts the same nonce again after a rollback. */
static struct tc_result challenge_store(struct db_conn *conn, void *arg)
{
	struct challenge_txn *t = arg;

	return db_challenge_insert(conn, t->nonce, t->lifetime_s, &t->expires_at);
}

TC_RESULT api_challenges_post(struct api_request *req)
{
	const json_t *in = api_request_json(req);
	struct challenge_txn t = { .lifetime_s = api_request_config(req)->challenge_lifetime_s };
	struct db_conn *conn = NULL;
	char hex[2 * DB_NONCE_LEN + 1];
	char expires[TC_TIME_RFC3339_LEN];
	struct tc_result r;
	json_t *body;

	if (in) {
		TC_ENSURE(json_is_object(in), TC_ERR_JSON_FIELD_INVALID, "the body must be a JSON object");
		void *it = json_object_iter((json_t *)in);

		TC_ENSURE(it == NULL, TC_ERR_JSON_FIELD_UNKNOWN, "unknown field '%.64s' (this endpoint takes {})",
			  json_object_iter_key(it));
	}
	TC_GUARD(tc_random_bytes(t.nonce, sizeof(t.nonce)));
	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD(db_txn_run(conn, challenge_store, &t));
	TC_GUARD(tc_hex_encode(t.nonce, sizeof(t.nonce), hex, sizeof(hex)));
	TC_GUARD(tc_time_format(t.expires_at, expires));
	body = json_pack("{s:s, s:s}", "nonce", hex, "expires_at", expires);
	TC_ENSURE(body, TC_ERR_NO_MEMORY, "challenge body");
	r = api_reply_json(req, 201, body);
	json_decref(body);
	return r;
}
