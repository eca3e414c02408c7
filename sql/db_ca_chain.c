/*
 * db_ca_chain.c — the certificates of a CA's ancestors (migration 0005 `cas`, parent links): its parent
 * first, up to and including the root. teecert-ca serve loads them once so every reply carries the whole
 * chain (docs/ca-service.md "Chain").
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

/* Depth-bounded: the cas rows cannot form a cycle (a parent is inserted before its child), but the query
 * does not rely on it. */
static const struct db_stmt stmt = {
	.name = "ca_chain",
	.sql = "WITH RECURSIVE up(id, parent, certificate, depth) AS ("
	       "   SELECT p.id, p.parent, p.certificate, 1 FROM cas c JOIN cas p ON p.id = c.parent WHERE c.id = $1"
	       "   UNION ALL"
	       "   SELECT p.id, p.parent, p.certificate, up.depth + 1 FROM up JOIN cas p ON p.id = up.parent"
	       "   WHERE up.depth < $2::int"
	       " ) SELECT certificate FROM up ORDER BY depth",
	.nparams = 2,
	.result_format = 1, /* the DER as it is, no hex round trip */
};

TC_RESULT db_ca_chain(struct db_conn *conn, int64_t id, struct tc_buf *certs, size_t max, size_t *n)
{
	char id_s[24], max_s[24];
	PGresult *res;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn && certs && n && max >= 1, TC_ERR_INVALID_ARGUMENT, "db_ca_chain: missing argument");
	snprintf(id_s, sizeof(id_s), "%lld", (long long)id);
	snprintf(max_s, sizeof(max_s), "%zu", max + 1);
	struct db_param params[] = { DB_PARAM_TEXT(id_s), DB_PARAM_TEXT(max_s) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	int rows = PQntuples(res);

	TC_ENSURE_GOTO(r, (size_t)rows <= max, out, TC_ERR_TOO_LARGE, "CA %lld has more than %zu ancestors",
		       (long long)id, max);
	for (int i = 0; i < rows; i++)
		TC_GUARD_GOTO(r, tc_buf_append(&certs[i], PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0)), out);
	*n = (size_t)rows;
out:
	PQclear(res);
	return r;
}
