/*
 * tc_testsupport.c — the fixture cluster's DSN and one fresh database per test program (see the header).
 * Databases are created and dropped over a connection to the base DSN with plain libpq, so these helpers
 * do not depend on the sql/ module they help to test.
 */
#include "tc_testsupport.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#define TEST_PREFIX_MAX 24 /* keeps the whole name below PostgreSQL's 63-byte identifier limit */
#define TEST_DBNAME_MAX 64
#define TEST_RANDOM_LEN 4

static char base_dsn[TC_TEST_DSN_MAX];
static bool base_ok;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;
static atomic_uint db_counter;

static void base_load(void)
{
	const char *env = getenv("TEECERT_TEST_PG_DSN");
	if (env != NULL && env[0] != '\0') {
		int n = snprintf(base_dsn, sizeof(base_dsn), "%s", env);
		base_ok = n > 0 && (size_t)n < sizeof(base_dsn);
		return;
	}
	const char *build = getenv("TEECERT_BUILD_DIR");
	if (build == NULL) {
		fprintf(stderr, "tc_testsupport: neither TEECERT_TEST_PG_DSN nor TEECERT_BUILD_DIR is set "
				"(run through ctest, which starts the `pg` fixture)\n");
		return;
	}
	char path[TC_TEST_DSN_MAX];
	int n = snprintf(path, sizeof(path), "%s/testpg/dsn", build);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "tc_testsupport: cannot read %s (start it: deploy/pg.sh start %s/testpg)\n", path,
			build);
		return;
	}
	if (fgets(base_dsn, sizeof(base_dsn), f) != NULL) {
		base_dsn[strcspn(base_dsn, "\r\n")] = '\0';
		base_ok = base_dsn[0] != '\0';
	}
	fclose(f);
	if (!base_ok)
		fprintf(stderr, "tc_testsupport: %s is empty\n", path);
}

const char *tc_test_dsn_base(void)
{
	pthread_once(&base_once, base_load);
	return base_ok ? base_dsn : NULL;
}

static TC_RESULT admin_exec(const char *sql)
{
	const char *dsn = tc_test_dsn_base();
	TC_ENSURE(dsn != NULL, TC_ERR_DB_UNAVAILABLE, "no test cluster (see stderr)");
	PGconn *pg = PQconnectdb(dsn);
	struct tc_result r = tc_ok();
	TC_ENSURE_GOTO(r, PQstatus(pg) == CONNECTION_OK, out, TC_ERR_DB_UNAVAILABLE, "connect %s: %s", dsn,
		       PQerrorMessage(pg));
	PGresult *res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = tc_fail(TC_ERR_DB_QUERY, "%s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
out:
	PQfinish(pg);
	return r;
}

/* DSN of database NAME in the same cluster as BASE (URI: replace the path; key=value: append dbname). */
static TC_RESULT dsn_with_db(const char *base, const char *name, char *out, size_t size)
{
	const char *scheme = strstr(base, "://");
	int n;
	if (scheme != NULL) {
		const char *host = scheme + 3;
		size_t host_len = strcspn(host, "/?");
		const char *rest = host + host_len;
		if (*rest == '/')
			rest += strcspn(rest, "?");
		n = snprintf(out, size, "%.*s/%s%s", (int)(host - base + host_len), base, name, rest);
	} else {
		n = snprintf(out, size, "%s dbname=%s", base, name);
	}
	TC_ENSURE(n > 0 && (size_t)n < size, TC_ERR_TOO_LARGE, "DSN for %s does not fit in %zu bytes", name, size);
	return tc_ok();
}

TC_RESULT tc_test_db_create(const char *prefix, char *dsn_out, size_t size)
{
	const char *base = tc_test_dsn_base();
	TC_ENSURE(base != NULL, TC_ERR_DB_UNAVAILABLE, "no test cluster (see stderr)");
	TC_ENSURE(prefix != NULL && dsn_out != NULL, TC_ERR_INVALID_ARGUMENT, "prefix and dsn_out are required");

	char clean[TEST_PREFIX_MAX + 1];
	size_t i = 0;
	for (; prefix[i] != '\0' && i < TEST_PREFIX_MAX; i++) {
		unsigned char c = (unsigned char)prefix[i];
		clean[i] = isalnum(c) ? (char)tolower(c) : '_';
	}
	clean[i] = '\0';

	uint8_t rnd[TEST_RANDOM_LEN];
	char rnd_hex[2 * TEST_RANDOM_LEN + 1];
	TC_GUARD(tc_random_bytes(rnd, sizeof(rnd)));
	TC_GUARD(tc_hex_encode(rnd, sizeof(rnd), rnd_hex, sizeof(rnd_hex)));

	char name[TEST_DBNAME_MAX];
	int n = snprintf(name, sizeof(name), "t_%s_%ld_%u_%s", clean, (long)getpid(), atomic_fetch_add(&db_counter, 1),
			 rnd_hex);
	TC_ENSURE(n > 0 && (size_t)n < sizeof(name), TC_ERR_INTERNAL, "database name too long");

	char sql[2 * TEST_DBNAME_MAX];
	n = snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	TC_ENSURE(n > 0 && (size_t)n < sizeof(sql), TC_ERR_INTERNAL, "statement too long");
	TC_GUARD(admin_exec(sql));
	return dsn_with_db(base, name, dsn_out, size);
}

TC_RESULT tc_test_db_drop(const char *dsn)
{
	TC_ENSURE(dsn != NULL, TC_ERR_INVALID_ARGUMENT, "dsn is required");
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &err);
	TC_ENSURE(opts != NULL, TC_ERR_INVALID_ARGUMENT, "cannot parse DSN: %s", err ? err : "out of memory");
	char name[TEST_DBNAME_MAX] = "";
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
			snprintf(name, sizeof(name), "%s", o->val);
	}
	PQconninfoFree(opts);
	/* Only names this file made: "t_" and identifier characters (so the quoting below is safe). */
	bool ours = strncmp(name, "t_", 2) == 0;
	for (const char *p = name; *p != '\0'; p++)
		ours = ours && (isalnum((unsigned char)*p) || *p == '_');
	TC_ENSURE(ours, TC_ERR_INVALID_ARGUMENT, "not a test database: '%s'", name);

	char sql[2 * TEST_DBNAME_MAX];
	int n = snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	TC_ENSURE(n > 0 && (size_t)n < sizeof(sql), TC_ERR_INTERNAL, "statement too long");
	return admin_exec(sql);
}
