/*
 * db_test_util.c — see db_test_util.h.
 */
#include "db_test_util.h"

#include <stdlib.h>
#include <string.h>

int db_test_env_setup(struct db_test_env *env, const char *prefix, bool migrate)
{
	memset(env, 0, sizeof(*env));
	struct tc_result r = tc_test_db_create(prefix, env->dsn, sizeof(env->dsn));
	if (tc_is_ok(r))
		r = db_conn_open(env->dsn, &env->conn);
	if (tc_is_ok(r) && migrate)
		r = db_migrate(env->conn, NULL);
	if (!tc_is_ok(r)) {
		fprintf(stderr, "db test setup failed: %s: %s\n", tc_error_info(r.code)->code, tc_error_detail());
		return -1;
	}
	return 0;
}

int db_test_env_teardown(struct db_test_env *env)
{
	db_conn_free(&env->conn);
	if (env->dsn[0] != '\0' && !tc_is_ok(tc_test_db_drop(env->dsn))) {
		fprintf(stderr, "dropping %s failed: %s\n", env->dsn, tc_error_detail());
		return -1;
	}
	return 0;
}

void db_test_sql(struct db_conn *conn, const char *sql)
{
	PGresult *res = PQexec(db_conn_pg(conn), sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		PQclear(res);
		fail_msg("SQL failed: %s: %s", sql, msg);
	}
	PQclear(res);
}

int64_t db_test_int(struct db_conn *conn, const char *sql)
{
	PGresult *res = PQexec(db_conn_pg(conn), sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		PQclear(res);
		fail_msg("SQL did not return one value: %s: %s", sql, msg);
	}
	const char *v = PQgetvalue(res, 0, 0);
	int64_t out;
	if (strcmp(v, "t") == 0 || strcmp(v, "f") == 0) {
		out = v[0] == 't';
	} else {
		char *end = NULL;
		out = strtoll(v, &end, 10);
		if (end == v || *end != '\0') {
			PQclear(res);
			fail_msg("SQL result is not an integer: %s", sql);
		}
	}
	PQclear(res);
	return out;
}
