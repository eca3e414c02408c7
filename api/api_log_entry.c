/*
 * api_log_entry.c — GET /v1/log/entries/{seq}: one entry of the transparency log. 200 {seq, leaf_hash,
 * entry, canonical}: `canonical` is the exact canonical JSON text that was hashed (leaf_hash =
 * SHA-256(0x00 || canonical), RFC 9162 §2.1.1), `entry` the same document as an object. 404 beyond the log.
 */
#include "api_internal.h"

static TC_RESULT entry_reply(struct api_request *req, uint64_t seq, const struct tc_buf *bytes,
			     const uint8_t leaf[DB_LOG_HASH_LEN])
{
	json_t *entry = NULL, *body;
	struct tc_result r;

	TC_GUARD(tc_json_parse((const char *)bytes->data, bytes->len, DB_LOG_ENTRY_MAX, &entry));
	body = json_pack("{s:I, s:o, s:o, s:s%}", "seq", (json_int_t)seq, "leaf_hash", tc_json_hex(leaf, DB_LOG_HASH_LEN),
			 "entry", entry, "canonical", (const char *)bytes->data, bytes->len);
	TC_ENSURE(body != NULL, TC_ERR_NO_MEMORY, "log entry body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}

TC_RESULT api_log_entry_get(struct api_request *req)
{
	struct db_log_entry *e = NULL;
	struct db_conn *conn = NULL;
	struct tc_buf bytes;
	uint8_t leaf[DB_LOG_HASH_LEN];
	uint64_t seq;
	bool found = false;
	struct tc_result r = tc_ok();

	TC_GUARD(api_log_u64("seq", api_request_param(req, "seq"), &seq));
	TC_GUARD(api_request_db(req, &conn));
	e = calloc(1, sizeof(*e));
	TC_ENSURE(e != NULL, TC_ERR_NO_MEMORY, "log entry");
	tc_buf_init(&bytes, DB_LOG_ENTRY_MAX);
	TC_GUARD_GOTO(r, db_log_entry_get(conn, seq, e, &bytes, leaf, &found), out);
	TC_ENSURE_GOTO(r, found, out, TC_ERR_NOT_FOUND, "the log has no entry %llu", (unsigned long long)seq);
	r = entry_reply(req, seq, &bytes, leaf);
out:
	tc_buf_cleanup(&bytes);
	free(e);
	return r;
}
