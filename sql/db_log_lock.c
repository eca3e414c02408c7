/*
 * db_log_lock.c — lock the transparency log for an append and read its size (log_state, migration 0002).
 *
 * The row lock is held until the caller's transaction ends, so the sequence numbers size, size + 1, ... are
 * this transaction's to hand out: a writer that must name a log entry's number before appending it (a
 * certificate's LogEntryReference, api_ca_batch.c) locks first, signs, then appends. Under READ COMMITTED a
 * concurrent appender is waited for and its committed size is read.
 */
#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "log_lock",
	.sql = "SELECT size FROM log_state FOR UPDATE",
	.nparams = 0,
};

TC_RESULT db_log_lock(struct db_conn *conn, uint64_t *size)
{
	PGresult *res;

	TC_ENSURE(conn != NULL && size != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_lock: missing argument");
	TC_ENSURE(conn->in_txn, TC_ERR_INVALID_ARGUMENT, "db_log_lock must run inside a transaction (db_txn_run)");
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	struct tc_result r = db_log_size_value(res, size);
	PQclear(res);
	return r;
}
