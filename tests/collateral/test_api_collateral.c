/*
 * test_api_collateral.c — the collateral service against a local HTTP server (127.0.0.1) serving recorded
 * vendor responses, with PostgreSQL (`pg` fixture). Time is an injected clock at the items' own windows;
 * backoff and rate-limit waits advance it instead of sleeping.
 * Covers: cold fetch, single flight under 50 concurrent requests, refresh before expiry, stale-if-error until
 * nextUpdate and refusal after it, tampered/truncated bodies never cached, 404/429 Retry-After/500/timeouts,
 * a host that does not answer (its fetches fail at once for host_down_ms), the AMD rate limit, VCEK via the
 * cached ASK/ARK chain, NVIDIA RIM, import/export round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api.h"
#include "coll_test_server.h"
#include "coll_test_util.h"
#include "db_internal.h"
#include "tc_testsupport.h"

#define THREADS 50
#define TCB_PATH "/tdx/certification/v4/tcb"
#define QE_PATH "/tdx/certification/v4/qe/identity"
#define CRL_PATH "/sgx/certification/v4/pckcrl"
#define ROOT_PATH "/IntelSGXRootCA.der"

static char dsn[TC_TEST_DSN_MAX];
static struct coll_srv *srv;
static _Atomic int64_t now_ms;
static _Atomic int64_t slept_ms;

/* The clock's sleep, also counting how long the service waited. */
static void fake_sleep(void *arg, int64_t ms)
{
	coll_test_sleep(arg, ms);
	atomic_fetch_add(&slept_ms, ms);
}

static void set_now(const char *t)
{
	int64_t s = 0;
	assert_true(tc_is_ok(tc_time_parse(t, &s)));
	atomic_store(&now_ms, s * 1000);
}

#define assert_code(expr, want)                                                                                        \
	do {                                                                                                           \
		struct tc_result r__ = (expr);                                                                         \
		if (r__.code != (want))                                                                                \
			fail_msg("%s: expected %s, got %s (%s)", #expr, tc_error_info(want)->code,                     \
				 tc_error_info(r__.code)->code, tc_error_detail());                                    \
	} while (0)

static void sql(const char *q)
{
	coll_test_sql(dsn, q);
}

/* The service on the local server, but Intel's TDX items from TDX_BASE when non-NULL. */
static struct api_collateral *service_at(unsigned attempts, const char *tdx_base)
{
	static char sgx[256], tdx[256], root[256]; /* the config borrows its strings */
	struct api_collateral_config cfg;
	api_collateral_config_init(&cfg);
	coll_test_env_config(&cfg, dsn, srv, &now_ms);
	snprintf(sgx, sizeof(sgx), "%s/sgx/certification/v4", coll_srv_base(srv));
	snprintf(tdx, sizeof(tdx), "%s/tdx/certification/v4", tdx_base != NULL ? tdx_base : coll_srv_base(srv));
	snprintf(root, sizeof(root), "%s%s", coll_srv_base(srv), ROOT_PATH);
	cfg.intel_sgx_base = sgx;
	cfg.intel_tdx_base = tdx;
	cfg.intel_root_crl_url = root;
	cfg.amd_kds_base = coll_srv_base(srv);
	cfg.max_attempts = attempts;
	cfg.timeout_ms = 500;
	cfg.sleep_ms = fake_sleep;
	struct api_collateral *c = NULL;
	tc_assert_ok(api_collateral_new(&cfg, &c));
	return c;
}

static struct api_collateral *service(unsigned attempts)
{
	return service_at(attempts, NULL);
}

static int setup(void **state)
{
	(void)state;
	return coll_test_env_setup("coll", dsn, &now_ms, &srv);
}

static int teardown(void **state)
{
	(void)state;
	return coll_test_env_teardown(dsn, srv);
}

/* Each test starts from an empty cache and the gotdx 2023 Intel collateral being served. */
static int per_test(void **state)
{
	(void)state;
	sql("DELETE FROM collateral_items; DELETE FROM collateral_fetch_log");
	coll_srv_route(srv, TCB_PATH, "tdx/gotdx_tcbinfo_50806f000000_2023-06-18.json", "TCB-Info-Issuer-Chain",
		       "tdx/gotdx_tcb_signing_chain_2018-2025.pem");
	coll_srv_route(srv, QE_PATH, "tdx/gotdx_qeidentity_td_qe_2023-06-08.json", "SGX-Enclave-Identity-Issuer-Chain",
		       "tdx/gotdx_tcb_signing_chain_2018-2025.pem");
	coll_srv_route(srv, CRL_PATH, "tdx/gotdx_pck_platform_crl_2023-06-08.der", "SGX-PCK-CRL-Issuer-Chain",
		       "tdx/gotdx_pck_crl_issuer_chain.pem");
	coll_srv_route(srv, ROOT_PATH, "tdx/gotdx_root_ca_crl_2023-04-03.der", NULL, NULL);
	coll_srv_clear_fault(srv, TCB_PATH);
	coll_srv_reset_hits(srv);
	set_now("2023-07-01T01:00:00Z");
	atomic_store(&slept_ms, 0);
	return 0;
}

static bool cached(enum vf_coll_kind kind, const char *key, uint8_t sha[32])
{
	struct db_conn *c = NULL;
	struct db_collateral_item it;
	bool found = false;
	db_collateral_item_init(&it);
	tc_assert_ok(db_conn_open(dsn, &c));
	tc_assert_ok(db_collateral_get(c, vf_coll_kind_vendor(kind), vf_coll_kind_name(kind), key, false, &it, &found));
	if (found && sha != NULL)
		memcpy(sha, it.sha256, 32);
	db_collateral_item_cleanup(&it);
	db_conn_free(&c);
	return found;
}

static void test_cold_fetch_intel(void **state)
{
	(void)state;
	struct api_collateral *c = service(3);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it));
	size_t len = 0, clen = 0;
	uint8_t *body = coll_test_read("tdx/gotdx_tcbinfo_50806f000000_2023-06-18.json", &len);
	uint8_t *chain = coll_test_read("tdx/gotdx_tcb_signing_chain_2018-2025.pem", &clen);
	assert_int_equal(it.raw.len, len);
	assert_memory_equal(it.raw.data, body, len);
	assert_int_equal(it.issuer_chain.len, clen); /* the header, URL-decoded */
	assert_memory_equal(it.issuer_chain.data, chain, clen);
	assert_true(it.has_window);
	int64_t nu;
	tc_assert_ok(tc_time_parse("2023-07-18T08:42:58Z", &nu));
	assert_int_equal(it.next_update, nu);
	free(body);
	free(chain);
	/* Served from the cache now. */
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it));
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 1);
	tc_assert_ok(api_collateral_get(c, VF_COLL_QE_IDENTITY, "td_qe", &it));
	tc_assert_ok(api_collateral_get(c, VF_COLL_PCK_CRL, "platform", &it));
	tc_assert_ok(api_collateral_get(c, VF_COLL_ROOT_CA_CRL, "root", &it));
	assert_int_equal(coll_srv_hits(srv, CRL_PATH) + coll_srv_hits(srv, ROOT_PATH) + coll_srv_hits(srv, QE_PATH), 3);
	/* Keys that cannot be requested. */
	assert_code(api_collateral_get(c, VF_COLL_PCK_CRL, "../x", &it), TC_ERR_INVALID_ARGUMENT);
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000&x=1", &it), TC_ERR_INVALID_ARGUMENT);
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

struct sf_arg {
	struct api_collateral *c;
	struct tc_result r;
};

static void *sf_thread(void *p)
{
	struct sf_arg *a = p;
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	a->r = api_collateral_get(a->c, VF_COLL_TCB_INFO, "50806f000000", &it);
	db_collateral_item_cleanup(&it);
	return NULL;
}

static void test_single_flight(void **state)
{
	(void)state;
	struct api_collateral *c = service(3);
	struct coll_srv_fault slow = { .delay_ms = 300 }; /* real time: keeps the fetch in flight */
	coll_srv_fault(srv, TCB_PATH, &slow);
	pthread_t t[THREADS];
	struct sf_arg args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i].c = c;
		assert_int_equal(pthread_create(&t[i], NULL, sf_thread, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].r.code, TC_OK);
	}
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 1);
	struct api_collateral_stats st;
	api_collateral_stats(c, &st);
	assert_int_equal(st.upstream_requests, 1);
	api_collateral_free(&c);
}

static void test_refresh_before_expiry(void **state)
{
	(void)state;
	struct api_collateral *c = service(3);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it));
	size_t ok = 9, bad = 9;
	set_now("2023-07-05T00:00:00Z"); /* not due yet (nextUpdate 07-18, lead 2 days) */
	tc_assert_ok(api_collateral_refresh_due(c, &ok, &bad));
	assert_int_equal(ok + bad, 0);
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 1);
	set_now("2023-07-17T08:42:58Z"); /* one day before nextUpdate */
	tc_assert_ok(api_collateral_refresh_due(c, &ok, &bad));
	assert_int_equal(ok, 1);
	assert_int_equal(bad, 0);
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 2);
	struct db_collateral_item meta;
	db_collateral_item_init(&meta);
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &meta));
	assert_int_equal(meta.fetched_at, atomic_load(&now_ms) / 1000);
	db_collateral_item_cleanup(&meta);
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

static void test_stale_if_error(void **state)
{
	(void)state;
	struct api_collateral *c = service(2);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it));
	struct coll_srv_fault down = { .status = 500, .fail_times = -1 };
	coll_srv_fault(srv, TCB_PATH, &down);
	set_now("2023-07-18T07:42:58Z"); /* one hour before nextUpdate */
	size_t ok = 0, bad = 0;
	tc_assert_ok(api_collateral_refresh_due(c, &ok, &bad));
	assert_int_equal(bad, 1);
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 1 + 2); /* two attempts */
	/* Still served (stale-if-error), counted. */
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it));
	assert_int_equal(it.failures, 1);
	struct api_collateral_stats st;
	api_collateral_stats(c, &st);
	assert_int_equal(st.stale_served, 1);
	/* At nextUpdate: never served, the refresh fails -> refused. */
	set_now("2023-07-18T08:42:58Z");
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it), TC_ERR_COLLATERAL_EXPIRED);
	api_collateral_stats(c, &st);
	assert_int_equal(st.expired_refused, 1);
	/* Upstream back, but what it serves is expired too: still refused, nothing replaced. */
	coll_srv_clear_fault(srv, TCB_PATH);
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it), TC_ERR_COLLATERAL_EXPIRED);
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

static void test_bad_bodies_never_cached(void **state)
{
	(void)state;
	struct api_collateral *c = service(1);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	set_now("2025-07-01T00:00:00Z");
	coll_srv_route(srv, TCB_PATH, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info_tampered.json",
		       "TCB-Info-Issuer-Chain", "tdx/intel_tcb_signing_chain_2025-2032.pem");
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "b0c06f000000", &it), TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	assert_false(cached(VF_COLL_TCB_INFO, "b0c06f000000", NULL));
	coll_srv_route(srv, TCB_PATH, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json", "TCB-Info-Issuer-Chain",
		       "tdx/intel_tcb_signing_chain_2025-2032.pem");
	struct coll_srv_fault f = { .truncate = true };
	coll_srv_fault(srv, TCB_PATH, &f);
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "b0c06f000000", &it), TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	f = (struct coll_srv_fault){ .tamper = true };
	coll_srv_fault(srv, TCB_PATH, &f);
	assert_false(tc_is_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "b0c06f000000", &it)));
	assert_false(cached(VF_COLL_TCB_INFO, "b0c06f000000", NULL));
	/* Another FMSPC than asked for is not stored under the asked key. */
	coll_srv_clear_fault(srv, TCB_PATH);
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "90c06f000000", &it), TC_ERR_TCB_MISMATCH);
	assert_false(cached(VF_COLL_TCB_INFO, "90c06f000000", NULL));
	/* Good: cached; a tampered forced refresh leaves the cached bytes alone. */
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "b0c06f000000", &it));
	uint8_t before[32], after[32];
	assert_true(cached(VF_COLL_TCB_INFO, "b0c06f000000", before));
	coll_srv_fault(srv, TCB_PATH, &f);
	assert_false(tc_is_ok(api_collateral_fetch(c, VF_COLL_TCB_INFO, "b0c06f000000", NULL)));
	assert_true(cached(VF_COLL_TCB_INFO, "b0c06f000000", after));
	assert_memory_equal(before, after, 32);
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "b0c06f000000", &it)); /* still served */
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

static void test_http_errors(void **state)
{
	(void)state;
	struct api_collateral *c = service(3);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	/* 404: no retry. */
	struct coll_srv_fault f = { .status = 404, .fail_times = -1 };
	coll_srv_fault(srv, TCB_PATH, &f);
	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it), TC_ERR_NOT_FOUND);
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 1);
	/* 429 with Retry-After: 30 once, then served: the wait is at least 30 s of the clock. */
	f = (struct coll_srv_fault){ .status = 429, .fail_times = 1, .retry_after = 30 };
	coll_srv_fault(srv, TCB_PATH, &f);
	atomic_store(&slept_ms, 0);
	set_now("2023-07-01T01:00:00Z");
	tc_assert_ok(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it));
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 3);
	assert_true(atomic_load(&slept_ms) >= 30000);
	assert_true(coll_srv_hit_time(srv, TCB_PATH, 2) - coll_srv_hit_time(srv, TCB_PATH, 1) >= 30000);
	/* 500 twice, then served (third attempt). */
	f = (struct coll_srv_fault){ .status = 500, .fail_times = 2 };
	coll_srv_fault(srv, CRL_PATH, &f);
	tc_assert_ok(api_collateral_get(c, VF_COLL_PCK_CRL, "platform", &it));
	assert_int_equal(coll_srv_hits(srv, CRL_PATH), 3);
	/* Timeouts: every attempt times out (500 ms client timeout, 1.2 s server delay). */
	f = (struct coll_srv_fault){ .delay_ms = 1200 };
	coll_srv_fault(srv, QE_PATH, &f);
	assert_code(api_collateral_get(c, VF_COLL_QE_IDENTITY, "td_qe", &it), TC_ERR_IO);
	assert_false(cached(VF_COLL_QE_IDENTITY, "td_qe", NULL));
	coll_srv_clear_fault(srv, QE_PATH);
	struct api_collateral_stats st;
	api_collateral_stats(c, &st);
	assert_true(st.retries >= 1 + 2 + 2);
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

/*
 * A host that does not answer (a bound port that does not listen: connections refused): the first fetch
 * retries and gives up; fetches from that host then fail at once ("not tried", no waiting) for host_down_ms,
 * while another host is still asked; after host_down_ms the host is tried again.
 */
static void test_host_down(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	char dead[64];
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	struct api_collateral *c = service_at(3, dead);
	struct db_collateral_item it;
	struct api_collateral_stats st;
	db_collateral_item_init(&it);

	assert_code(api_collateral_get(c, VF_COLL_TCB_INFO, "50806f000000", &it), TC_ERR_IO);
	assert_null(strstr(tc_error_detail(), "not tried"));
	int64_t waited = atomic_load(&slept_ms);
	assert_true(waited > 0); /* two backoffs */
	assert_code(api_collateral_get(c, VF_COLL_QE_IDENTITY, "td_qe", &it), TC_ERR_IO);
	if (strstr(tc_error_detail(), "not tried") == NULL || strstr(tc_error_detail(), dead) == NULL)
		fail_msg("expected a fetch not tried, got: %s", tc_error_detail());
	assert_int_equal(atomic_load(&slept_ms), waited);
	api_collateral_stats(c, &st);
	assert_int_equal(st.host_down_skips, 1);
	/* Another host (the PCK CRL's base) is still asked. */
	tc_assert_ok(api_collateral_get(c, VF_COLL_PCK_CRL, "platform", &it));
	/* host_down_ms (30 s by default) later: tried again. */
	atomic_fetch_add(&now_ms, 31000);
	assert_code(api_collateral_get(c, VF_COLL_QE_IDENTITY, "td_qe", &it), TC_ERR_IO);
	assert_null(strstr(tc_error_detail(), "not tried"));
	assert_true(atomic_load(&slept_ms) > waited);
	api_collateral_stats(c, &st);
	assert_int_equal(st.host_down_skips, 1);
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
	close(fd);
}

static void test_amd_rate_limit_and_vcek(void **state)
{
	(void)state;
	struct api_collateral *c = service(3); /* AMD bucket: default 1 per 10 s */
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	set_now("2024-01-01T00:00:00Z");
	coll_srv_route(srv, "/vcek/v1/Milan/cert_chain", "snp/amd_ark_ask_milan_vcek.pem", NULL, NULL);
	coll_srv_route(srv, "/vcek/v1/Genoa/cert_chain", "snp/amd_ark_ask_genoa_vcek.pem", NULL, NULL);
	coll_srv_route(srv, "/vlek/v1/Turin/cert_chain", "snp/amd_ark_ask_turin_vlek.pem", NULL, NULL);
	tc_assert_ok(api_collateral_get(c, VF_COLL_ARK_ASK_CHAIN, "Milan", &it));
	tc_assert_ok(api_collateral_get(c, VF_COLL_ARK_ASK_CHAIN, "Genoa", &it));
	tc_assert_ok(api_collateral_get(c, VF_COLL_ASVK_CHAIN, "Turin", &it));
	int64_t t1 = coll_srv_hit_time(srv, "/vcek/v1/Milan/cert_chain", 0);
	int64_t t2 = coll_srv_hit_time(srv, "/vcek/v1/Genoa/cert_chain", 0);
	int64_t t3 = coll_srv_hit_time(srv, "/vlek/v1/Turin/cert_chain", 0);
	assert_true(t2 - t1 >= 10000);
	assert_true(t3 - t2 >= 10000);
	/* VCEK: its key from the certificate; verified with the cached Milan chain (no second chain fetch). */
	size_t len = 0, clen = 0;
	uint8_t *vcek = coll_test_read("snp/trustee_milan_vcek.der", &len);
	uint8_t *chain = coll_test_read("snp/amd_ark_ask_milan_vcek.pem", &clen);
	struct vf_coll_check chk;
	tc_assert_ok(vf_collateral_verify(VF_COLL_VCEK, vcek, len, chain, clen, NULL, 0, NULL,
					  coll_test_clock(&now_ms) / 1000, &chk));
	char path[700], hwid[200];
	const char *s1 = strchr(chk.key, '/');
	const char *s2 = strchr(s1 + 1, '/');
	snprintf(hwid, sizeof(hwid), "%.*s", (int)(s2 - s1 - 1), s1 + 1);
	snprintf(path, sizeof(path), "/vcek/v1/Milan/%s", hwid);
	coll_srv_route(srv, path, "snp/trustee_milan_vcek.der", NULL, NULL);
	tc_assert_ok(api_collateral_get(c, VF_COLL_VCEK, chk.key, &it));
	assert_false(it.has_window);
	assert_int_equal(coll_srv_hits(srv, "/vcek/v1/Milan/cert_chain"), 1);
	assert_true(coll_srv_hit_time(srv, path, 0) - t3 >= 10000);
	/* Immutable: served years later without a fetch. */
	set_now("2029-01-01T00:00:00Z");
	tc_assert_ok(api_collateral_get(c, VF_COLL_VCEK, chk.key, &it));
	assert_int_equal(coll_srv_hits(srv, path), 1);
	free(vcek);
	free(chain);
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

static void test_nvidia_rim(void **state)
{
	(void)state;
	struct api_collateral *c = service(1);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	set_now("2024-06-01T00:00:00Z");
	coll_srv_route(srv, "/v1/rim/NV_GPU_VBIOS_1010_0200_882_960074001A",
		       "nvidia/nvtrust_rim_vbios_1010_0200_882_96.00.74.00.1A_PROD.swidtag", NULL, NULL);
	tc_assert_ok(api_collateral_get(c, VF_COLL_RIM, "NV_GPU_VBIOS_1010_0200_882_960074001A", &it));
	assert_false(it.has_window);
	coll_srv_route(srv, "/v1/rim/NV_GPU_DRIVER_GH100_550.144.03", "nvidia/nvat_rim_driver_550.144.03_incorrect_signature.xml",
		       NULL, NULL);
	set_now("2025-06-01T00:00:00Z");
	assert_code(api_collateral_get(c, VF_COLL_RIM, "NV_GPU_DRIVER_GH100_550.144.03", &it), TC_ERR_RIM_SIGNATURE_INVALID);
	assert_false(cached(VF_COLL_RIM, "NV_GPU_DRIVER_GH100_550.144.03", NULL));
	db_collateral_item_cleanup(&it);
	api_collateral_free(&c);
}

static void put_file(const char *dir, const char *name, const char *rel)
{
	char path[1024];
	size_t len = 0;
	uint8_t *d = coll_test_read(rel, &len);
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tc_assert_ok(tc_file_write(path, d, len, 0644));
	free(d);
}

static void snapshot(char (*keys)[600], uint8_t (*shas)[32], size_t *n)
{
	struct db_conn *conn = NULL;
	struct db_collateral_item *items = NULL;
	tc_assert_ok(db_conn_open(dsn, &conn));
	tc_assert_ok(db_collateral_list(conn, &items, n));
	for (size_t i = 0; i < *n; i++) {
		assert_true(snprintf(keys[i], 600, "%s/%s", items[i].kind, items[i].key) < 600);
		memcpy(shas[i], items[i].sha256, 32);
		db_collateral_item_cleanup(&items[i]);
	}
	free(items);
	db_conn_free(&conn);
}

static void test_import_export_roundtrip(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/teecert-coll-XXXXXX";
	char *root = mkdtemp(tmpl);
	assert_non_null(root);
	char a[200], b[200], bad[200], out[200], cmd[1000];
	snprintf(a, sizeof(a), "%s/in/intel", root);
	snprintf(b, sizeof(b), "%s/in/amd", root);
	snprintf(bad, sizeof(bad), "%s/in/bad", root);
	snprintf(out, sizeof(out), "%s/out", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s' '%s'", a, b, bad);
	assert_int_equal(system(cmd), 0);
	put_file(a, "tcb_info.json", "tdx/gotdx_tcbinfo_50806f000000_2023-06-18.json");
	put_file(a, "tcb_info_issuer_chain.pem", "tdx/gotdx_tcb_signing_chain_2018-2025.pem");
	put_file(a, "qe_identity.json", "tdx/gotdx_qeidentity_td_qe_2023-06-08.json");
	put_file(a, "qe_identity_issuer_chain.pem", "tdx/gotdx_tcb_signing_chain_2018-2025.pem");
	put_file(a, "pck_crl.der", "tdx/gotdx_pck_platform_crl_2023-06-08.der");
	put_file(a, "pck_crl_issuer_chain.pem", "tdx/gotdx_pck_crl_issuer_chain.pem");
	put_file(a, "root_ca_crl.der", "tdx/gotdx_root_ca_crl_2023-04-03.der");
	put_file(b, "ark_ask_chain.pem", "snp/amd_ark_ask_milan_vcek.pem");
	put_file(b, "vcek.der", "snp/trustee_milan_vcek.der");
	put_file(bad, "tcb_info.json", "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info_tampered.json");
	put_file(bad, "tcb_info_issuer_chain.pem", "tdx/intel_tcb_signing_chain_2025-2032.pem");

	struct api_collateral *c = service(1);
	size_t ok = 0, refused = 0, exported = 0;
	snprintf(cmd, sizeof(cmd), "%s/in", root);
	tc_assert_ok(api_collateral_import_dir(c, cmd, &ok, &refused));
	assert_int_equal(ok, 6);
	assert_int_equal(refused, 1);
	assert_int_equal(coll_srv_hits(srv, TCB_PATH), 0); /* offline: no network */
	static char keys1[16][600], keys2[16][600];
	static uint8_t sha1[16][32], sha2[16][32];
	size_t n1 = 0, n2 = 0;
	snapshot(keys1, sha1, &n1);
	assert_int_equal(n1, 6);
	tc_assert_ok(api_collateral_export_dir(c, out, &exported));
	assert_int_equal(exported, 6);
	sql("DELETE FROM collateral_items");
	tc_assert_ok(api_collateral_import_dir(c, out, &ok, &refused));
	assert_int_equal(ok, 6);
	assert_int_equal(refused, 0);
	snapshot(keys2, sha2, &n2);
	assert_int_equal(n2, n1);
	for (size_t i = 0; i < n1; i++) {
		assert_string_equal(keys1[i], keys2[i]);
		assert_memory_equal(sha1[i], sha2[i], 32);
	}
	api_collateral_free(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	tc_log_set_level(TC_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cold_fetch_intel, per_test),
		cmocka_unit_test_setup(test_single_flight, per_test),
		cmocka_unit_test_setup(test_refresh_before_expiry, per_test),
		cmocka_unit_test_setup(test_stale_if_error, per_test),
		cmocka_unit_test_setup(test_bad_bodies_never_cached, per_test),
		cmocka_unit_test_setup(test_http_errors, per_test),
		cmocka_unit_test_setup(test_host_down, per_test),
		cmocka_unit_test_setup(test_amd_rate_limit_and_vcek, per_test),
		cmocka_unit_test_setup(test_nvidia_rim, per_test),
		cmocka_unit_test_setup(test_import_export_roundtrip, per_test),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
