/*
 * db_policy_list.c — every stored policy (policies, migration 0006), oldest first: teecert replay finds the
 * one whose per-request form has the digest an appraisal recorded.
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt = {
	.name = "policy_list",
	.sql = "SELECT encode(digest, 'hex'), canonical FROM policies ORDER BY first_stored, digest",
	.nparams = 0,
};

void db_policy_list_free(uint8_t **digests, char ***texts, size_t n)
{
	if (texts != NULL && *texts != NULL) {
		for (size_t i = 0; i < n; i++)
			free((*texts)[i]);
		free(*texts);
		*texts = NULL;
	}
	if (digests != NULL) {
		free(*digests);
		*digests = NULL;
	}
}

TC_RESULT db_policy_list(struct db_conn *conn, uint8_t **digests, char ***texts, size_t *n)
{
	TC_ENSURE(conn != NULL && digests != NULL && texts != NULL && n != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_policy_list: missing argument");
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	size_t rows = (size_t)PQntuples(res), done = 0;
	uint8_t *d = calloc(rows > 0 ? rows : 1, DB_COLL_HASH_LEN);
	char **t = calloc(rows > 0 ? rows : 1, sizeof(*t));
	struct tc_result r = tc_ok();
	TC_ENSURE_GOTO(r, d != NULL && t != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	for (; done < rows; done++) {
		const char *hex = PQgetvalue(res, (int)done, 0);
		struct tc_buf b;
		tc_buf_init(&b, DB_COLL_HASH_LEN);
		r = tc_hex_decode(hex, strlen(hex), &b);
		if (tc_is_ok(r) && b.len != DB_COLL_HASH_LEN)
			r = tc_fail(TC_ERR_DB_QUERY, "policies.digest of %zu bytes", b.len);
		if (tc_is_ok(r))
			memcpy(d + done * DB_COLL_HASH_LEN, b.data, DB_COLL_HASH_LEN);
		tc_buf_cleanup(&b);
		TC_GUARD_GOTO(r, r, out);
		t[done] = strdup(PQgetvalue(res, (int)done, 1));
		TC_ENSURE_GOTO(r, t[done] != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	}
	*digests = d;
	*texts = t;
	*n = rows;
	d = NULL;
	t = NULL;
out:
	db_policy_list_free(&d, &t, done);
	PQclear(res);
	return r;
}
