/*
 * coll_test_env.c — the database and local vendor server of the collateral service tests (coll_test_util.h):
 * a fresh migrated database on the `pg` fixture's cluster per test program, the server on the test's clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "api.h"
#include "coll_test_server.h"
#include "coll_test_util.h"
#include "db_internal.h"
#include "tc_testsupport.h"

int coll_test_env_setup(const char *prefix, char *dsn, _Atomic int64_t *now_ms, struct coll_srv **srv)
{
	struct db_conn *c = NULL;
	if (!tc_is_ok(tc_test_db_create(prefix, dsn, TC_TEST_DSN_MAX)))
		return -1;
	if (!tc_is_ok(db_conn_open(dsn, &c)) || !tc_is_ok(db_migrate(c, NULL)))
		return -1;
	db_conn_free(&c);
	*srv = coll_srv_start(coll_test_clock, now_ms);
	return *srv != NULL ? 0 : -1;
}

int coll_test_env_teardown(const char *dsn, struct coll_srv *srv)
{
	coll_srv_stop(srv);
	return tc_is_ok(tc_test_db_drop(dsn)) ? 0 : -1;
}

void coll_test_env_config(struct api_collateral_config *cfg, const char *dsn, struct coll_srv *srv,
			  _Atomic int64_t *now_ms)
{
	static char rim[256], ocsp[256];

	snprintf(rim, sizeof(rim), "%s/v1/rim", coll_srv_base(srv));
	snprintf(ocsp, sizeof(ocsp), "%s/ocsp", coll_srv_base(srv));
	cfg->dsn = dsn;
	cfg->nvidia_rim_base = rim;
	cfg->nvidia_ocsp_url = ocsp;
	cfg->rate[API_COLL_HOST_INTEL] = (struct api_coll_rate){ 0, 1 };
	cfg->rate[API_COLL_HOST_NVIDIA] = (struct api_coll_rate){ 0, 1 };
	cfg->clock_ms = coll_test_clock;
	cfg->sleep_ms = coll_test_sleep;
	cfg->clock_arg = now_ms;
}

void coll_test_sql(const char *dsn, const char *q)
{
	struct db_conn *c = NULL;
	tc_assert_ok(db_conn_open(dsn, &c));
	tc_assert_ok(db_exec(c, q));
	db_conn_free(&c);
}
