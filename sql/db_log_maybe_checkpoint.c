/*
 * db_log_maybe_checkpoint.c — the checkpoint policy (DESIGN.md: "checkpoints every N entries or T seconds").
 *
 * A checkpoint of the whole log is due when some entries are not covered by the latest checkpoint and
 * either EVERY_N of them have accumulated or the oldest of them was logged EVERY_S seconds ago or more. So
 * every entry is covered at most EVERY_S seconds after it was logged (when the policy runs at least that
 * often), and an idle log writes no checkpoints (each one costs an anchor transaction). No query of its
 * own: it combines db_log_size, db_log_checkpoint_latest, db_log_entry_get, db_log_root and
 * db_log_checkpoint_insert inside the caller's transaction, and signs with chain_checkpoint_sign.
 */
#include <string.h>

#include "chain.h"
#include "db_internal.h"

/* Whether a checkpoint is due; LAST is the latest checkpoint's size (0: none). */
static TC_RESULT checkpoint_due(struct db_conn *conn, uint64_t size, uint64_t last, int64_t now, uint64_t every_n,
				int64_t every_s, bool *due)
{
	struct db_log_entry oldest;
	bool found = false;

	*due = false;
	if (size <= last)
		return tc_ok();
	if (size - last >= every_n) {
		*due = true;
		return tc_ok();
	}
	TC_GUARD(db_log_entry_get(conn, last, &oldest, NULL, NULL, &found));
	TC_ENSURE(found, TC_ERR_DB_QUERY, "log entry %llu missing below size %llu", (unsigned long long)last,
		  (unsigned long long)size);
	*due = now - oldest.time >= every_s;
	return tc_ok();
}

/* Sign the checkpoint of the first SIZE entries at time NOW and store it. */
static TC_RESULT checkpoint_write(struct db_conn *conn, const struct chain_note_signer *key, uint64_t size,
				  int64_t now)
{
	const struct chain_note_verifier *v = chain_note_signer_verifier(key);
	struct chain_checkpoint cp = { .tree_size = size, .time = now };
	struct db_log_checkpoint *row;
	struct tc_buf note;
	struct tc_result r = tc_ok();

	TC_GUARD(db_log_root(conn, size, cp.root));
	memcpy(cp.origin, v->name, strlen(v->name) + 1);
	row = calloc(1, sizeof(*row));
	TC_ENSURE(row != NULL, TC_ERR_NO_MEMORY, "log checkpoint");
	tc_buf_init(&note, DB_LOG_NOTE_MAX);
	TC_GUARD_GOTO(r, chain_checkpoint_sign(key, &cp, &note, row->signature), out);
	row->tree_size = size;
	memcpy(row->root, cp.root, DB_LOG_HASH_LEN);
	row->time = now;
	memcpy(row->note, note.data, note.len);
	memcpy(row->key_name, v->name, strlen(v->name) + 1);
	memcpy(row->key_id, v->key_id, DB_LOG_KEY_ID_LEN);
	r = db_log_checkpoint_insert(conn, row);
out:
	tc_buf_cleanup(&note);
	free(row);
	return r;
}

TC_RESULT db_log_maybe_checkpoint(struct db_conn *conn, const struct chain_note_signer *key, int64_t now,
				  uint64_t every_n, int64_t every_s, bool *written)
{
	struct db_log_checkpoint *latest;
	uint64_t size = 0, last = 0;
	int64_t last_time = 0;
	bool found = false, due = false;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && key != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_maybe_checkpoint: missing argument");
	TC_ENSURE(every_n >= 1 && every_s >= 0 && now >= 0, TC_ERR_INVALID_ARGUMENT,
		  "checkpoint policy needs every_n >= 1, every_s >= 0 and a time after 1970");
	latest = calloc(1, sizeof(*latest));
	TC_ENSURE(latest != NULL, TC_ERR_NO_MEMORY, "log checkpoint");
	TC_GUARD_GOTO(r, db_log_size(conn, &size), out);
	TC_GUARD_GOTO(r, db_log_checkpoint_latest(conn, latest, &found), out);
	if (found) {
		last = latest->tree_size;
		last_time = latest->time;
	}
	TC_GUARD_GOTO(r, checkpoint_due(conn, size, last, now, every_n, every_s, &due), out);
	/* Checkpoint times never go backwards (the database refuses it), even when clocks do. */
	if (due)
		TC_GUARD_GOTO(r, checkpoint_write(conn, key, size, now > last_time ? now : last_time), out);
	if (written)
		*written = due;
out:
	free(latest);
	return r;
}
