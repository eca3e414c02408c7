/*
 * test_api_collateral_resolve.c — api_collateral_resolve with PostgreSQL (`pg` fixture): for real shared
 * TDX, SNP and NVIDIA cases the store (filled as an import does, or fetched from the local vendor server)
 * gives exactly the case's collateral items under the appraiser's roles and vf_appraise reproduces the case
 * verdict; the in-process cache serves without the database but never past the item's nextUpdate nor past
 * its TTL (injected clock); collateral signed by a simulated root is stored only when that root is a
 * configured trust anchor; NVIDIA OCSP responses for a GPU chain come from a test responder (the sim PKI's
 * issuers sign them), once, are served until their nextUpdate and never after, and the appraisal uses them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <stdatomic.h>

#include <openssl/ocsp.h>
#include <pthread.h>

#include "api.h"
#include "coll_test_server.h"
#include "coll_test_util.h"
#include "vf_nvidia_sim.h"
#include "db_internal.h"
#include "tc_testsupport.h"

static char dsn[TC_TEST_DSN_MAX];
static struct coll_srv *srv;
static _Atomic int64_t now_ms;

static void sql(const char *q)
{
	coll_test_sql(dsn, q);
}

/* A service on the test database; OFFLINE: cache only; ANCHORS (may be NULL) extra trust anchors. */
static const char *svc_snp_product; /* the next services' configured SNP product line (NULL: none) */

static struct api_collateral *service(bool offline, bool fake, const struct vf_item *anchors, size_t n_anchors)
{
	struct api_collateral_config cfg;
	api_collateral_config_init(&cfg);
	coll_test_env_config(&cfg, dsn, srv, &now_ms);
	cfg.snp_product = svc_snp_product;
	cfg.offline = offline;
	cfg.anchors = anchors;
	cfg.n_anchors = n_anchors;
	/* Nothing may leave the machine: every vendor base is the local server. */
	cfg.intel_sgx_base = cfg.intel_tdx_base = cfg.intel_root_crl_url = cfg.amd_kds_base = coll_srv_base(srv);
	cfg.max_attempts = 1;
	cfg.timeout_ms = 2000;
	if (!fake) { /* the wall clock */
		cfg.clock_ms = NULL;
		cfg.sleep_ms = NULL;
		cfg.clock_arg = NULL;
	}
	struct api_collateral *c = NULL;
	tc_assert_ok(api_collateral_new(&cfg, &c));
	return c;
}

static int setup(void **state)
{
	(void)state;
	return coll_test_env_setup("collres", dsn, &now_ms, &srv);
}

static int teardown(void **state)
{
	(void)state;
	return coll_test_env_teardown(dsn, srv);
}

static int per_test(void **state)
{
	(void)state;
	sql("DELETE FROM collateral_items; DELETE FROM collateral_fetch_log");
	return 0;
}

static void load_case(const char *name, struct vf_case *c)
{
	coll_test_case_load(name, c);
	atomic_store(&now_ms, c->verify_at * 1000);
}

/* Store the case's collateral as an import does (each item verified, its issuer chain beside it). */
static void put_case_items(struct api_collateral *svc, const struct vf_case *c)
{
	static const struct {
		const char *role, *chain;
		enum vf_coll_kind kind;
	} map[] = {
		{ "tcb_info", "tcb_info_issuer_chain", VF_COLL_TCB_INFO },
		{ "qe_identity", "qe_identity_issuer_chain", VF_COLL_QE_IDENTITY },
		{ "pck_crl", "pck_crl_issuer_chain", VF_COLL_PCK_CRL },
		{ "root_ca_crl", NULL, VF_COLL_ROOT_CA_CRL },
		{ "ark_ask_chain", NULL, VF_COLL_ARK_ASK_CHAIN },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const struct vf_item *it = vf_item_find(c->input.collateral, c->input.n_collateral, map[i].role);
		const struct vf_item *ch =
			map[i].chain ? vf_item_find(c->input.collateral, c->input.n_collateral, map[i].chain) : NULL;
		if (it != NULL)
			tc_assert_ok(api_collateral_put(svc, map[i].kind, it->data, it->len, ch ? ch->data : NULL,
							ch ? ch->len : 0, "import:test", NULL, NULL));
	}
}

/* Resolve for the case's evidence and anchors only; the collateral must be exactly the case's. */
static void resolve_and_appraise(struct api_collateral *svc, const struct vf_case *c, size_t want_items)
{
	struct vf_input in = c->input;
	struct api_coll_hold hold;
	in.n_collateral = 0;
	api_coll_hold_init(&hold);
	tc_assert_ok(api_collateral_resolve(svc, &in, &hold));
	assert_int_equal(in.n_collateral, want_items);
	for (size_t i = 0; i < in.n_collateral; i++) {
		const struct vf_item *orig =
			vf_item_find(c->input.collateral, c->input.n_collateral, in.collateral[i].role);
		if (orig == NULL)
			fail_msg("%s: resolved role %s is not in the case", c->name, in.collateral[i].role);
		if (orig->len != in.collateral[i].len || memcmp(orig->data, in.collateral[i].data, orig->len) != 0)
			fail_msg("%s: resolved %s differs from the case's bytes", c->name, in.collateral[i].role);
	}
	struct vf_appraisal a;
	char diff[512];
	tc_assert_ok(vf_appraise(&in, &c->policy, c->verify_at, &a));
	if (!vf_case_check(c, &a, diff, sizeof(diff)))
		fail_msg("%s: %s", c->name, diff);
	vf_appraisal_cleanup(&a);
	api_coll_hold_cleanup(&hold);
}

static void test_tdx_case(void **state)
{
	(void)state;
	static const char *const cases[] = { "tdx-phala-v4-b0c06f-uptodate", "tdx-gotdx-v4-spr-e4-no-tcb-level",
					     "tdx-phala-near-v4-20a06f-uptodate" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vf_case c;
		load_case(cases[i], &c);
		sql("DELETE FROM collateral_items"); /* cases of older collateral: no rollback refusal */
		struct api_collateral *svc = service(true, true, NULL, 0);
		put_case_items(svc, &c);
		resolve_and_appraise(svc, &c, c.input.n_collateral);
		api_collateral_free(&svc);
		vf_case_cleanup(&c);
	}
}

static void test_snp_case(void **state)
{
	(void)state;
	static const char *const cases[] = { "snp-trustee-milan-ok", "snp-azure-genoa-ok",
					     "snp-gosev-milan-debug-default" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vf_case c;
		load_case(cases[i], &c);
		struct api_collateral *svc = service(true, true, NULL, 0);
		put_case_items(svc, &c);
		resolve_and_appraise(svc, &c, 1); /* ark_ask_chain; no AMD CRL in the corpus: left out */
		api_collateral_free(&svc);
		vf_case_cleanup(&c);
	}
}

/*
 * A v2 SNP report (no CPUID) without its VCEK names no product: nothing is resolved, unless the service has
 * a configured product line (serve --snp-product); then the chain and the VCEK (Product/CHIP_ID/TCB) come
 * from the store and the appraisal reproduces the case's verdict. A bad product line is refused.
 */
static void test_snp_default_product(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("snp-trustee-milan-ok", &c);
	const struct vf_item *vcek = vf_item_find(c.input.evidence, c.input.n_evidence, "vcek");
	const struct vf_item *chain = vf_item_find(c.input.collateral, c.input.n_collateral, "ark_ask_chain");
	assert_non_null(vcek);
	assert_non_null(chain);
	struct vf_input in = c.input;
	in.n_evidence = 0;
	for (size_t i = 0; i < c.input.n_evidence; i++)
		if (strcmp(c.input.evidence[i].role, "vcek") != 0)
			in.evidence[in.n_evidence++] = c.input.evidence[i];
	in.n_collateral = 0;

	struct api_collateral *svc = service(true, true, NULL, 0);
	tc_assert_ok(api_collateral_put(svc, VF_COLL_ARK_ASK_CHAIN, chain->data, chain->len, NULL, 0, "import:test",
					NULL, NULL));
	tc_assert_ok(api_collateral_put(svc, VF_COLL_VCEK, vcek->data, vcek->len, chain->data, chain->len,
					"import:test", NULL, NULL));
	struct vf_input r = in;
	struct api_coll_hold hold;
	api_coll_hold_init(&hold);
	tc_assert_ok(api_collateral_resolve(svc, &r, &hold));
	assert_int_equal(r.n_collateral, 0);
	assert_int_equal(r.n_evidence, in.n_evidence);
	api_coll_hold_cleanup(&hold);
	api_collateral_free(&svc);

	svc_snp_product = "Milan";
	svc = service(true, true, NULL, 0);
	svc_snp_product = NULL;
	r = in;
	api_coll_hold_init(&hold);
	tc_assert_ok(api_collateral_resolve(svc, &r, &hold));
	const struct vf_item *got = vf_item_find(r.evidence, r.n_evidence, "vcek");
	assert_non_null(got);
	assert_true(got->len == vcek->len && memcmp(got->data, vcek->data, vcek->len) == 0);
	assert_non_null(vf_item_find(r.collateral, r.n_collateral, "ark_ask_chain"));
	struct vf_appraisal a;
	char diff[512];
	tc_assert_ok(vf_appraise(&r, &c.policy, c.verify_at, &a));
	if (!vf_case_check(&c, &a, diff, sizeof(diff)))
		fail_msg("%s with --snp-product: %s", c.name, diff);
	vf_appraisal_cleanup(&a);
	api_coll_hold_cleanup(&hold);
	api_collateral_free(&svc);

	struct api_collateral_config cfg;
	api_collateral_config_init(&cfg);
	cfg.dsn = dsn;
	cfg.snp_product = "milan";
	assert_int_equal(api_collateral_new(&cfg, &svc).code, TC_ERR_INVALID_ARGUMENT);
	vf_case_cleanup(&c);
}

/* NVIDIA: the RIM fetched from the (local) RIM service under the id the evidence names. */
static void test_nvidia_case(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("nvidia-nvat-535.86.09-vbios-rim-ok", &c);
	coll_srv_route(srv, "/v1/rim/NV_GPU_VBIOS_1010_0200_882_96005E0001",
		       "nvidia/nvtrust_rim_vbios_1010_0200_882_96.00.5E.00.01_PROD.swidtag", NULL, NULL);
	coll_srv_reset_hits(srv);
	struct api_collateral *svc = service(false, true, NULL, 0);
	resolve_and_appraise(svc, &c, 1); /* the driver RIM is not served (404): left out, as in the case */
	assert_int_equal(coll_srv_hits(srv, "/v1/rim/NV_GPU_VBIOS_1010_0200_882_96005E0001"), 1);
	/* Again: from the in-process cache (the miss of the driver RIM is remembered too): no request. */
	resolve_and_appraise(svc, &c, 1);
	assert_int_equal(coll_srv_hits(srv, "/v1/rim/NV_GPU_VBIOS_1010_0200_882_96005E0001"), 1);
	api_collateral_free(&svc);
	vf_case_cleanup(&c);
}

static size_t resolved(struct api_collateral *svc, const struct vf_case *c, const char *role)
{
	struct vf_input in = c->input;
	struct api_coll_hold hold;
	in.n_collateral = 0;
	api_coll_hold_init(&hold);
	tc_assert_ok(api_collateral_resolve(svc, &in, &hold));
	size_t n = vf_item_find(in.collateral, in.n_collateral, role) != NULL;
	api_coll_hold_cleanup(&hold);
	return n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Throughput of one TDX resolve (4 items + 3 chains) through the cache and through the database. */
static void test_cache_speed(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("tdx-phala-v4-b0c06f-uptodate", &c);
	struct api_collateral *svc = service(true, true, NULL, 0);
	put_case_items(svc, &c);
	double rate[2];
	for (int uncached = 0; uncached < 2; uncached++) {
		const int n = uncached ? 200 : 2000;
		double t0 = now_s();
		for (int i = 0; i < n; i++) {
			if (uncached)
				api_collateral_cache_clear(svc);
			assert_int_equal(resolved(svc, &c, "tcb_info"), 1);
		}
		rate[uncached] = n / (now_s() - t0);
	}
	print_message("resolve (TDX, 7 items): %.0f/s from the in-process cache, %.0f/s from PostgreSQL\n", rate[0],
		      rate[1]);
	assert_true(rate[0] > rate[1]);
	api_collateral_free(&svc);
	vf_case_cleanup(&c);
}

/* The cache serves without the database, for at most its TTL and never at or after nextUpdate. */
static void test_cache_bounds(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("tdx-phala-v4-b0c06f-uptodate", &c);
	struct api_collateral *svc = service(true, true, NULL, 0);
	put_case_items(svc, &c);
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	tc_assert_ok(api_collateral_get(svc, VF_COLL_TCB_INFO, "b0c06f000000", &it));
	int64_t next_update = it.next_update;
	db_collateral_item_cleanup(&it);

	/* 1: cached (TTL 60 s); the rows are then removed: still served from the cache within the TTL. */
	assert_int_equal(resolved(svc, &c, "tcb_info"), 1);
	sql("DELETE FROM collateral_items");
	atomic_fetch_add(&now_ms, 59 * 1000);
	assert_int_equal(resolved(svc, &c, "tcb_info"), 1);
	/* 2: past the TTL the store is asked again: the item is gone. */
	atomic_fetch_add(&now_ms, 2 * 1000);
	assert_int_equal(resolved(svc, &c, "tcb_info"), 0);

	/* 3: an item 30 s before its nextUpdate is cached for 30 s only, however long the TTL. */
	api_collateral_cache_clear(svc);
	atomic_store(&now_ms, c.verify_at * 1000);
	put_case_items(svc, &c);
	atomic_store(&now_ms, (next_update - 30) * 1000);
	assert_int_equal(resolved(svc, &c, "tcb_info"), 1);
	sql("UPDATE collateral_items SET next_update = next_update + interval '1 day' WHERE kind = 'tcb_info'");
	atomic_store(&now_ms, next_update * 1000);
	/* The store now claims it is valid (altered), but the cached copy expired at its own nextUpdate and
	 * the bytes say so: the appraisal at this time rejects it rather than the cache serving it silently. */
	struct vf_input in = c.input;
	struct api_coll_hold hold;
	in.n_collateral = 0;
	api_coll_hold_init(&hold);
	tc_assert_ok(api_collateral_resolve(svc, &in, &hold));
	struct vf_appraisal a;
	tc_assert_ok(vf_appraise(&in, &c.policy, next_update, &a));
	assert_false(a.accepted);
	vf_appraisal_cleanup(&a);
	api_coll_hold_cleanup(&hold);
	/* Without the alteration an expired item is not served at all. */
	api_collateral_cache_clear(svc);
	sql("UPDATE collateral_items SET next_update = next_update - interval '1 day' WHERE kind = 'tcb_info'");
	assert_int_equal(resolved(svc, &c, "tcb_info"), 0);
	api_collateral_free(&svc);
	vf_case_cleanup(&c);
}

/* The cache holds at most cache_max entries: the least recently used ones are evicted. */
static void test_cache_max(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("tdx-phala-v4-b0c06f-uptodate", &c);
	struct api_collateral *svc = service(true, true, NULL, 0);
	put_case_items(svc, &c);
	api_collateral_free(&svc);
	struct api_collateral_config cfg;
	api_collateral_config_init(&cfg);
	cfg.dsn = dsn;
	cfg.offline = true;
	cfg.cache_max = 2;
	cfg.clock_ms = coll_test_clock;
	cfg.clock_arg = &now_ms;
	tc_assert_ok(api_collateral_new(&cfg, &svc));
	struct vf_input in = c.input;
	struct api_coll_hold hold;
	in.n_collateral = 0;
	api_coll_hold_init(&hold);
	tc_assert_ok(
		api_collateral_resolve(svc, &in, &hold)); /* tcb_info, qe_identity, pck_crl, root_ca_crl in order */
	assert_int_equal(in.n_collateral, 7);
	api_coll_hold_cleanup(&hold);
	sql("DELETE FROM collateral_items");
	/* Only the two most recently used items are still cached. */
	in = c.input;
	in.n_collateral = 0;
	tc_assert_ok(api_collateral_resolve(svc, &in, &hold));
	assert_null(vf_item_find(in.collateral, in.n_collateral, "tcb_info"));
	assert_null(vf_item_find(in.collateral, in.n_collateral, "qe_identity"));
	assert_non_null(vf_item_find(in.collateral, in.n_collateral, "pck_crl"));
	assert_non_null(vf_item_find(in.collateral, in.n_collateral, "root_ca_crl"));
	api_coll_hold_cleanup(&hold);
	api_collateral_free(&svc);
	vf_case_cleanup(&c);
}

/* Bytes altered in the store (not through put) are not served: their digest is the verified one's. */
static void test_tampered_row(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("tdx-phala-v4-b0c06f-uptodate", &c);
	struct api_collateral *svc = service(true, true, NULL, 0);
	put_case_items(svc, &c);
	sql("UPDATE collateral_items SET raw = overlay(raw placing '\\x00'::bytea from 100) WHERE kind = 'qe_identity'");
	assert_int_equal(resolved(svc, &c, "qe_identity"), 0);
	assert_int_equal(resolved(svc, &c, "tcb_info"), 1);
	api_collateral_free(&svc);
	vf_case_cleanup(&c);
}

/* Simulated Intel collateral: refused without the sim root as a trust anchor, stored and resolved with it. */
static void test_sim_anchor(void **state)
{
	(void)state;
	char dir[] = "/tmp/tc_collres_XXXXXX", coll[256], root[256];
	assert_non_null(mkdtemp(dir));
	tc_assert_ok(vf_tdx_sim_init(dir));
	snprintf(coll, sizeof(coll), "%s/collateral", dir);
	snprintf(root, sizeof(root), "%s/intel_root.pem", dir);
	struct tc_buf pem;
	tc_buf_init(&pem, TC_BUF_DEFAULT_MAX);
	tc_assert_ok(tc_file_read(root, TC_BUF_DEFAULT_MAX, &pem));

	size_t ok = 0, bad = 0;
	struct api_collateral *svc = service(true, false, NULL, 0);
	tc_assert_ok(api_collateral_import_dir(svc, coll, &ok, &bad));
	assert_int_equal(ok, 0);
	assert_int_equal(bad, 4); /* tcb_info, qe_identity, pck_crl, root_ca_crl: cert_chain_invalid */
	api_collateral_free(&svc);

	struct vf_item anchors[] = { { .role = "amd_ark", .data = pem.data, .len = pem.len },
				     /* wrong role: unused */ };
	svc = service(true, false, anchors, 1);
	tc_assert_ok(api_collateral_import_dir(svc, coll, &ok, &bad));
	assert_int_equal(ok, 0);
	api_collateral_free(&svc);

	struct vf_item intel[] = { { .role = "intel_root", .data = pem.data, .len = pem.len } };
	svc = service(true, false, intel, 1);
	tc_assert_ok(api_collateral_import_dir(svc, coll, &ok, &bad));
	assert_int_equal(ok, 4);
	assert_int_equal(bad, 0);
	tc_assert_ok(api_collateral_store_anchors(svc));

	uint8_t rd[VF_REPORT_DATA_LEN] = { 7 };
	struct tc_buf quote;
	tc_buf_init(&quote, TC_BUF_DEFAULT_MAX);
	tc_assert_ok(vf_tdx_quote_for(dir, rd, &quote));
	struct vf_input in = { .tee = VF_TEE_TDX };
	in.evidence[in.n_evidence++] = (struct vf_item){ .role = "tdx_quote", .data = quote.data, .len = quote.len };
	in.anchors[in.n_anchors++] = intel[0];
	struct api_coll_hold hold;
	api_coll_hold_init(&hold);
	tc_assert_ok(api_collateral_resolve(svc, &in, &hold));
	assert_int_equal(in.n_collateral, 7); /* 4 items + 3 issuer chains */
	struct vf_policy p;
	vf_policy_init(&p);
	p.allow_simulated = true;
	struct vf_appraisal a;
	tc_assert_ok(vf_appraise(&in, &p, tc_time_now(), &a));
	if (!a.accepted)
		fail_msg("sim appraisal: %s: %s", tc_error_info(a.failure)->code, a.detail);
	vf_appraisal_cleanup(&a);
	vf_policy_cleanup(&p);
	api_coll_hold_cleanup(&hold);
	api_collateral_free(&svc);
	tc_buf_cleanup(&quote);
	tc_buf_cleanup(&pem);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Offline: a missing item is not fetched (the local server sees no request) and is left out. */
static void test_offline(void **state)
{
	(void)state;
	struct vf_case c;
	load_case("tdx-phala-v4-b0c06f-uptodate", &c);
	coll_srv_reset_hits(srv);
	struct api_collateral *svc = service(true, true, NULL, 0);
	assert_int_equal(resolved(svc, &c, "tcb_info"), 0);
	struct api_collateral_stats st;
	api_collateral_stats(svc, &st);
	assert_int_equal(st.upstream_requests, 0);
	api_collateral_free(&svc);
	vf_case_cleanup(&c);
}

/* ------------------------------------------------------------------------- NVIDIA OCSP (test responder) */

/* The test responder: answers an OCSP request with the one of its responses that covers the requested
 * CertID (the sim PKI signs one response per certificate), else 404. */
static struct {
	pthread_mutex_t lock;
	struct tc_buf der[2][VF_NV_SIM_OCSP_RESPONSES]; /* per GPU: BROM, ICA, identity, RIM signer, RIM CA */
	bool ready;
} responder = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool ocsp_answer(void *arg, const uint8_t *body, size_t len, uint8_t **out, size_t *out_len)
{
	(void)arg;
	const unsigned char *p = body;
	OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	OCSP_CERTID *id = req != NULL && OCSP_request_onereq_count(req) == 1 ?
				  OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)) :
				  NULL;
	bool found = false;
	pthread_mutex_lock(&responder.lock);
	for (int g = 0; g < 2 && id != NULL && responder.ready && !found; g++)
		for (int i = 0; i < VF_NV_SIM_OCSP_RESPONSES && !found; i++) {
			const unsigned char *q = responder.der[g][i].data;
			OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &q, (long)responder.der[g][i].len);
			OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
			if (bs != NULL && OCSP_resp_find(bs, id, -1) >= 0 && (*out = malloc(responder.der[g][i].len))) {
				memcpy(*out, responder.der[g][i].data, responder.der[g][i].len);
				*out_len = responder.der[g][i].len;
				found = true;
			}
			OCSP_BASICRESP_free(bs);
			OCSP_RESPONSE_free(resp);
		}
	pthread_mutex_unlock(&responder.lock);
	OCSP_REQUEST_free(req);
	return found;
}

/* The responder's answers, thisUpdate AT (nextUpdate a week later). */
static void responder_sign(const struct vf_nv_sim_pki *pki, int64_t at)
{
	pthread_mutex_lock(&responder.lock);
	for (size_t g = 0; g < 2; g++) {
		for (size_t i = 0; i < VF_NV_SIM_OCSP_RESPONSES; i++) {
			if (responder.ready)
				tc_buf_cleanup(&responder.der[g][i]);
			tc_buf_init(&responder.der[g][i], TC_BUF_DEFAULT_MAX);
		}
		tc_assert_ok(
			vf_nv_sim_ocsp(pki, g, VF_NV_SIM_OCSP_GOOD, VF_NV_SIM_OCSP_TARGET_GPU, at, responder.der[g]));
	}
	responder.ready = true;
	pthread_mutex_unlock(&responder.lock);
}

/* Resolve IN's collateral afresh into OUT (bytes in HOLD); the number of ocsp.* roles. */
static size_t resolve_ocsp(struct api_collateral *svc, const struct vf_input *in, struct vf_input *out,
			   struct api_coll_hold *hold)
{
	*out = *in;
	api_coll_hold_init(hold);
	tc_assert_ok(api_collateral_resolve(svc, out, hold));
	size_t n = 0;
	for (size_t i = 0; i < out->n_collateral; i++)
		if (strncmp(out->collateral[i].role, "ocsp.", 5) == 0)
			n++;
	return n;
}

/* The appraisal of IN at NOW with OCSP POLICY ("if_present" / "required"): accepted, and how many ocsp.*
 * digests it records; rejected: -1 - failure code. */
static int appraise_ocsp(const struct vf_input *in, int64_t now, const char *ocsp)
{
	struct vf_policy p;
	struct vf_appraisal a;
	json_t *j = json_pack("{s:b, s:s}", "allow_simulated", true, "ocsp", ocsp);
	vf_policy_init(&p);
	tc_assert_ok(vf_policy_from_json(&p, j));
	json_decref(j);
	tc_assert_ok(vf_appraise(in, &p, now, &a));
	int n = 0;
	for (size_t i = 0; i < a.n_collateral; i++)
		if (strncmp(a.collateral[i].role, "ocsp.", 5) == 0)
			n++;
	if (!a.accepted)
		n = -1 - (int)a.failure;
	vf_appraisal_cleanup(&a);
	vf_policy_cleanup(&p);
	return n;
}

static void test_nvidia_ocsp(void **state)
{
	(void)state;
	char dir[] = "/tmp/tc_collocsp_XXXXXX", coll[256];
	assert_non_null(mkdtemp(dir));
	int64_t t0 = tc_time_now();
	atomic_store(&now_ms, t0 * 1000);
	tc_assert_ok(vf_nv_sim_init_at(dir, t0));
	struct vf_nv_sim_pki *pki = NULL;
	tc_assert_ok(vf_nv_sim_pki_load(dir, &pki));
	responder_sign(pki, t0);
	coll_srv_post_handler(srv, "/ocsp", ocsp_answer, NULL);
	coll_srv_reset_hits(srv);

	/* Two GPUs' evidence; the sim roots as anchors (RIMs imported from the sim folder). */
	struct vf_input in = { .tee = VF_TEE_NVIDIA };
	struct coll_test_gpus gpus;
	struct tc_buf root, rim_root;
	coll_test_gpus_init(&gpus, pki, t0, &in);
	tc_buf_init(&root, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&rim_root, TC_BUF_DEFAULT_MAX);
	snprintf(coll, sizeof(coll), "%s/nvidia_device_root.pem", dir);
	tc_assert_ok(tc_file_read(coll, TC_BUF_DEFAULT_MAX, &root));
	snprintf(coll, sizeof(coll), "%s/nvidia_rim_root.pem", dir);
	tc_assert_ok(tc_file_read(coll, TC_BUF_DEFAULT_MAX, &rim_root));
	in.anchors[in.n_anchors++] = (struct vf_item){ "nvidia_device_root", root.data, root.len };
	in.anchors[in.n_anchors++] = (struct vf_item){ "nvidia_rim_root", rim_root.data, rim_root.len };
	struct api_collateral *svc = service(false, true, &in.anchors[1], 1);
	size_t ok = 0, bad = 0;
	snprintf(coll, sizeof(coll), "%s/collateral", dir);
	tc_assert_ok(api_collateral_import_dir(svc, coll, &ok, &bad));
	assert_int_equal(bad, 0);

	/* Cold: one request per certificate (BROM of each GPU, the shared ICA and identity; the RIM signer and
	 * RIM CA that sign both RIMs), once; with them even ocsp=required accepts. */
	struct vf_input r;
	struct api_coll_hold hold;
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 6);
	assert_int_equal(coll_srv_hits(srv, "/ocsp"), 6);
	assert_non_null(vf_item_find(r.collateral, r.n_collateral, "ocsp.gpu0.1"));
	assert_non_null(vf_item_find(r.collateral, r.n_collateral, "ocsp.gpu0.3"));
	assert_non_null(vf_item_find(r.collateral, r.n_collateral, "ocsp.gpu1.1"));
	assert_non_null(vf_item_find(r.collateral, r.n_collateral, "ocsp.driver_rim.0"));
	assert_non_null(vf_item_find(r.collateral, r.n_collateral, "ocsp.driver_rim.1"));
	assert_int_equal(appraise_ocsp(&r, t0, "if_present"), 6); /* the appraisal used all six */
	assert_int_equal(appraise_ocsp(&r, t0, "required"), 6);
	api_coll_hold_cleanup(&hold);

	/* Warm: from the in-process cache, then (cache cleared) from the store; no new request. */
	double t_start = now_s();
	for (int i = 0; i < 100; i++) {
		assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 6);
		api_coll_hold_cleanup(&hold);
	}
	double rate = 100 / (now_s() - t_start);
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 6);
	t_start = now_s();
	for (int i = 0; i < 20; i++)
		assert_int_equal(appraise_ocsp(&r, t0, "required"), 6);
	api_coll_hold_cleanup(&hold);
	print_message("2 sim GPUs: resolve (2 RIMs + 6 OCSP) %.0f/s from the in-process cache; vf_appraise %.0f/s\n",
		      rate, 20 / (now_s() - t_start));
	api_collateral_cache_clear(svc);
	atomic_store(&now_ms, (t0 + 6 * 86400) * 1000); /* a day before nextUpdate */
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 6);
	assert_int_equal(appraise_ocsp(&r, t0 + 6 * 86400, "required"), 6);
	api_coll_hold_cleanup(&hold);
	assert_int_equal(coll_srv_hits(srv, "/ocsp"), 6);

	/* Past nextUpdate the responder still serves last week's answers: refetched, refused (stale), never
	 * served; the appraisal goes on without OCSP (if_present) or refuses (required). */
	int64_t t1 = t0 + 8 * 86400;
	atomic_store(&now_ms, t1 * 1000);
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 0);
	assert_int_equal(coll_srv_hits(srv, "/ocsp"), 12);
	assert_int_equal(appraise_ocsp(&r, t1, "if_present"), 0);
	assert_int_equal(appraise_ocsp(&r, t1, "required"), -1 - (int)TC_ERR_COLLATERAL_MISSING);
	api_coll_hold_cleanup(&hold);
	/* The misses are remembered (miss_ttl_s): no new request at once ... */
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 0);
	api_coll_hold_cleanup(&hold);
	assert_int_equal(coll_srv_hits(srv, "/ocsp"), 12);
	/* ... and after it, fresh answers are fetched and used. */
	responder_sign(pki, t1);
	atomic_store(&now_ms, (t1 + 31) * 1000);
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 6);
	assert_int_equal(coll_srv_hits(srv, "/ocsp"), 18);
	assert_int_equal(appraise_ocsp(&r, t1 + 31, "required"), 6);
	api_coll_hold_cleanup(&hold);
	api_collateral_free(&svc);

	/* Offline: the stored answers are served, nothing is asked. */
	svc = service(true, true, &in.anchors[1], 1);
	assert_int_equal(resolve_ocsp(svc, &in, &r, &hold), 6);
	api_coll_hold_cleanup(&hold);
	assert_int_equal(coll_srv_hits(srv, "/ocsp"), 18);
	api_collateral_free(&svc);

	coll_srv_post_handler(srv, "/ocsp", NULL, NULL);
	coll_test_gpus_cleanup(&gpus);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < VF_NV_SIM_OCSP_RESPONSES; k++)
			tc_buf_cleanup(&responder.der[i][k]);
	responder.ready = false;
	tc_buf_cleanup(&root);
	tc_buf_cleanup(&rim_root);
	vf_nv_sim_pki_free(&pki);
	coll_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tdx_case, per_test),
		cmocka_unit_test_setup(test_snp_case, per_test),
		cmocka_unit_test_setup(test_nvidia_case, per_test),
		cmocka_unit_test_setup(test_cache_bounds, per_test),
		cmocka_unit_test_setup(test_tampered_row, per_test),
		cmocka_unit_test_setup(test_sim_anchor, per_test),
		cmocka_unit_test_setup(test_offline, per_test),
		cmocka_unit_test_setup(test_cache_speed, per_test),
		cmocka_unit_test_setup(test_cache_max, per_test),
		cmocka_unit_test_setup(test_nvidia_ocsp, per_test),
		cmocka_unit_test_setup(test_snp_default_product, per_test),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
