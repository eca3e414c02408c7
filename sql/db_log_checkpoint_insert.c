/*
 * db_log_checkpoint_insert.c — store a signed checkpoint (log_checkpoints, migration 0002). The trigger
 * log_checkpoints_check refuses a size beyond the log, a size or time that does not follow the latest
 * checkpoint, and a root that is not the stored tree's (log_root).
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "log_checkpoint_insert",
	.sql = "INSERT INTO log_checkpoints (tree_size, root, signed_at, note, key_name, key_id, signature)"
	       " VALUES ($1::bigint, $2, to_timestamp($3::bigint), $4, $5, $6, $7)",
	.nparams = 7,
};

TC_RESULT db_log_checkpoint_insert(struct db_conn *conn, const struct db_log_checkpoint *cp)
{
	char size_s[24], time_s[24];
	PGresult *res;

	TC_ENSURE(conn != NULL && cp != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_checkpoint_insert: missing argument");
	TC_ENSURE(cp->tree_size > 0 && cp->tree_size <= INT64_MAX && cp->time >= 0, TC_ERR_INVALID_ARGUMENT,
		  "checkpoint size %llu / time %lld out of range", (unsigned long long)cp->tree_size,
		  (long long)cp->time);
	TC_ENSURE(memchr(cp->note, '\0', sizeof(cp->note)) != NULL && memchr(cp->key_name, '\0', sizeof(cp->key_name)),
		  TC_ERR_INVALID_ARGUMENT, "checkpoint note or key name not terminated");
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)cp->tree_size);
	snprintf(time_s, sizeof(time_s), "%lld", (long long)cp->time);
	struct db_param params[] = {
		DB_PARAM_TEXT(size_s),
		DB_PARAM_BYTES(cp->root, DB_LOG_HASH_LEN),
		DB_PARAM_TEXT(time_s),
		DB_PARAM_TEXT(cp->note),
		DB_PARAM_TEXT(cp->key_name),
		DB_PARAM_BYTES(cp->key_id, DB_LOG_KEY_ID_LEN),
		DB_PARAM_BYTES(cp->signature, DB_LOG_SIG_LEN),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
