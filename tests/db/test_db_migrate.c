/*
 * test_db_migrate.c — the migration runner against a real PostgreSQL: from empty, re-run, unknown newer
 * versions, outdated schema, changed checksums, two migrators at once, the embedded copy matching the
 * files, and every table and column carrying a COMMENT (STYLE.md point 9).
 */
#include "db_test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* Each test gets its own fresh, empty database. */
static int setup(void **state)
{
	struct db_test_env *env = calloc(1, sizeof(*env));
	if (env == NULL || db_test_env_setup(env, "migrate", false) != 0) {
		free(env);
		return -1;
	}
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct db_test_env *env = *state;
	int rc = db_test_env_teardown(env);
	free(env);
	return rc;
}

static void test_from_empty_then_noop(void **state)
{
	struct db_test_env *env = *state;
	assert_true(db_schema_latest() >= 1);
	db_assert_code(db_schema_check(env->conn), TC_ERR_DB_SCHEMA_OUTDATED);

	int applied = -1;
	db_assert_ok(db_migrate(env->conn, &applied));
	assert_int_equal(applied, db_schema_latest());
	db_assert_ok(db_schema_check(env->conn));
	assert_int_equal(db_test_int(env->conn, "SELECT count(*) FROM schema_migrations"), db_schema_latest());
	assert_int_equal(db_test_int(env->conn, "SELECT max(version) FROM schema_migrations"), db_schema_latest());
	assert_int_equal(db_test_int(env->conn, "SELECT to_regclass('challenges') IS NOT NULL"), 1);

	applied = -1;
	db_assert_ok(db_migrate(env->conn, &applied));
	assert_int_equal(applied, 0);
	db_assert_ok(db_migrate(env->conn, NULL));
	assert_int_equal(db_test_int(env->conn, "SELECT count(*) FROM schema_migrations"), db_schema_latest());
}

static void test_unknown_newer_version_refused(void **state)
{
	struct db_test_env *env = *state;
	db_assert_ok(db_migrate(env->conn, NULL));
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO schema_migrations (version, name, sha256) VALUES (%d, 'from-the-future', "
		 "sha256('x'))",
		 db_schema_latest() + 1);
	db_test_sql(env->conn, sql);

	int applied = -7;
	db_assert_code(db_migrate(env->conn, &applied), TC_ERR_DB_SCHEMA_UNKNOWN);
	assert_int_equal(applied, -7); /* out-parameter untouched on failure */
	char want[64];
	snprintf(want, sizeof(want), "schema version %d", db_schema_latest() + 1);
	assert_non_null(strstr(tc_error_detail(), want));
	db_assert_code(db_schema_check(env->conn), TC_ERR_DB_SCHEMA_UNKNOWN);
	/* The runner left no transaction behind: the connection still works. */
	assert_int_equal(PQtransactionStatus(db_conn_pg(env->conn)), PQTRANS_IDLE);
	assert_int_equal(db_test_int(env->conn, "SELECT count(*) FROM schema_migrations"), db_schema_latest() + 1);
}

static void test_outdated_detected(void **state)
{
	struct db_test_env *env = *state;
	db_assert_ok(db_migrate(env->conn, NULL));
	/* Pretend the newest migration was never applied (its bookkeeping row is what counts). */
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM schema_migrations WHERE version = %d", db_schema_latest());
	db_test_sql(env->conn, sql);
	db_assert_code(db_schema_check(env->conn), TC_ERR_DB_SCHEMA_OUTDATED);
	char want[64];
	snprintf(want, sizeof(want), "needs version %d", db_schema_latest());
	assert_non_null(strstr(tc_error_detail(), want));
}

static void test_changed_checksum_detected(void **state)
{
	struct db_test_env *env = *state;
	db_assert_ok(db_migrate(env->conn, NULL));
	db_test_sql(env->conn, "UPDATE schema_migrations SET sha256 = sha256('edited') WHERE version = 1");
	db_assert_code(db_schema_check(env->conn), TC_ERR_DB_SCHEMA_MISMATCH);
	assert_non_null(strstr(tc_error_detail(), db_migrations[0].name));
	assert_non_null(strstr(tc_error_detail(), db_migrations[0].sha256));
	db_assert_code(db_migrate(env->conn, NULL), TC_ERR_DB_SCHEMA_MISMATCH);
}

static void test_failed_migration_rolls_back(void **state)
{
	struct db_test_env *env = *state;
	/* A table in the way makes migration 1 fail half-way: nothing of it may remain. */
	db_test_sql(env->conn, "CREATE TABLE challenges (x int)");
	db_assert_code(db_migrate(env->conn, NULL), TC_ERR_MIGRATION_FAILED);
	assert_non_null(strstr(tc_error_detail(), "0001-"));
	assert_non_null(strstr(tc_error_detail(), "42P07")); /* duplicate_table */
	assert_int_equal(db_test_int(env->conn, "SELECT to_regclass('schema_migrations') IS NULL"), 1);
	assert_int_equal(PQtransactionStatus(db_conn_pg(env->conn)), PQTRANS_IDLE);
	db_test_sql(env->conn, "DROP TABLE challenges");
	db_assert_ok(db_migrate(env->conn, NULL));
	db_assert_ok(db_schema_check(env->conn));
}

struct migrator {
	const char *dsn;
	int applied;
	struct tc_result r;
};

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;
	struct db_conn *conn = NULL;
	m->r = db_conn_open(m->dsn, &conn);
	if (tc_is_ok(m->r))
		m->r = db_migrate(conn, &m->applied);
	db_conn_free(&conn);
	return NULL;
}

static void test_concurrent_migrators(void **state)
{
	struct db_test_env *env = *state;
	enum { MIGRATORS = 4 };
	struct migrator m[MIGRATORS];
	pthread_t t[MIGRATORS];
	for (int i = 0; i < MIGRATORS; i++) {
		m[i] = (struct migrator){ .dsn = env->dsn, .applied = -1 };
		assert_int_equal(pthread_create(&t[i], NULL, migrate_thread, &m[i]), 0);
	}
	int total = 0;
	for (int i = 0; i < MIGRATORS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (!tc_is_ok(m[i].r))
			fail_msg("migrator %d: %s", i, tc_error_info(m[i].r.code)->code);
		total += m[i].applied;
	}
	/* The advisory lock makes every migration run exactly once across all migrators. */
	assert_int_equal(total, db_schema_latest());
	db_assert_ok(db_schema_check(env->conn));
}

/* The embedded copy is byte-for-byte the file in sql/migrations (its SHA-256 matches the file's). */
static void test_embedded_matches_files(void **state)
{
	(void)state;
	const char *src = getenv("TEECERT_SOURCE_DIR");
	assert_non_null(src);
	assert_int_equal(db_migrations_count, (size_t)db_schema_latest());
	for (size_t i = 0; i < db_migrations_count; i++) {
		const struct db_migration *m = &db_migrations[i];
		assert_int_equal(m->version, (int)i + 1);
		char path[1024];
		snprintf(path, sizeof(path), "%s/sql/migrations/%04d-%s.sql", src, m->version, m->name);
		struct tc_buf file;
		tc_buf_init(&file, TC_BUF_DEFAULT_MAX);
		db_assert_ok(tc_file_read(path, TC_BUF_DEFAULT_MAX, &file));
		assert_int_equal(file.len, strlen(m->sql));
		assert_memory_equal(file.data, m->sql, file.len);
		uint8_t md[32];
		unsigned md_len = 0;
		assert_int_equal(EVP_Digest(file.data, file.len, md, &md_len, EVP_sha256(), NULL), 1);
		char hex[65];
		db_assert_ok(tc_hex_encode(md, md_len, hex, sizeof(hex)));
		assert_string_equal(hex, m->sha256);
		tc_buf_cleanup(&file);
	}
}

/* STYLE.md point 9: COMMENT ON every table and column the migrations create. */
static void test_everything_commented(void **state)
{
	struct db_test_env *env = *state;
	db_assert_ok(db_migrate(env->conn, NULL));
	assert_true(db_test_int(env->conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") >= 2);
	PGresult *res = PQexec(db_conn_pg(env->conn),
			       "SELECT c.relname || coalesce('.' || a.attname, '') FROM pg_class c"
			       " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
			       " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
			       " WHERE c.relkind IN ('r', 'p') AND (obj_description(c.oid, 'pg_class') IS NULL"
			       "  OR (a.attnum IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	for (int i = 0; i < PQntuples(res); i++)
		print_error("no COMMENT ON %s\n", PQgetvalue(res, i, 0));
	int missing = PQntuples(res);
	PQclear(res);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_from_empty_then_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_newer_version_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outdated_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_checksum_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_migrators, setup, teardown),
		cmocka_unit_test(test_embedded_matches_files),
		cmocka_unit_test_setup_teardown(test_everything_commented, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
