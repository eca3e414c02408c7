/*
 * test_api_appraise.c — POST /v1/evidence/appraise on an in-process teecert-verifier (api_server_start with a
 * collateral service whose clock is injected): real evidence from ../shared/evidence/cases (TDX, SNP and
 * NVIDIA, accepted and rejected as each case says), its collateral imported into the store first
 * (api_collateral_put), the case's policy offered under the case's name; a TDX quote with a GPU in one
 * request; malformed bodies -> 400 with stable codes; no collateral service -> 503.
 *
 * Upstream vendor URLs point at a closed local port: everything must come from the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "api_test_util.h"

#define N_CASES 6
#define DEAD_URL "http://127.0.0.1:9"

static const char *const case_names[N_CASES] = {
	"tdx-phala-v4-b0c06f-uptodate",
	"tdx-phala-v4-b0c06f-report-data-mismatch",
	"snp-trustee-milan-ok",
	"nvidia-nvtrust-550.90.07-ok",
	"nvidia-nvat-535.86.09-wrong-nonce",
	"snp-trustee-milan-report-flip-0x2a",
};

static char g_dsn[API_TEST_DSN_MAX];
static struct vf_case g_cases[N_CASES];
static struct api_named_policy g_named[N_CASES + 1];
static struct vf_policy g_combined; /* TDX + GPU in one request */
static struct api_collateral *g_coll;
static struct api_server *g_srv, *g_bare;
static char g_url[API_TEST_BASE_MAX], g_url_bare[API_TEST_BASE_MAX];
static int64_t g_now_ms;

static int64_t test_clock(void *arg)
{
	(void)arg;
	return g_now_ms;
}

static void test_sleep(void *arg, int64_t ms)
{
	(void)arg;
	g_now_ms += ms;
}

/* Collateral role -> (kind, issuer chain role). */
static const struct {
	const char *role;
	enum vf_coll_kind kind;
	const char *chain;
} kinds[] = {
	{ "tcb_info", VF_COLL_TCB_INFO, "tcb_info_issuer_chain" },
	{ "qe_identity", VF_COLL_QE_IDENTITY, "qe_identity_issuer_chain" },
	{ "pck_crl", VF_COLL_PCK_CRL, "pck_crl_issuer_chain" },
	{ "root_ca_crl", VF_COLL_ROOT_CA_CRL, NULL },
	{ "ark_ask_chain", VF_COLL_ARK_ASK_CHAIN, NULL },
	{ "amd_crl", VF_COLL_AMD_CRL, NULL },
};

/* Import the case's collateral into the store at its verification time. */
static void import_case(const struct vf_case *c)
{
	g_now_ms = c->verify_at * 1000;
	for (size_t i = 0; i < c->input.n_collateral; i++) {
		const struct vf_item *it = &c->input.collateral[i];

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const struct vf_item *chain;
			struct tc_result r;

			if (strcmp(it->role, kinds[k].role) != 0)
				continue;
			chain = kinds[k].chain ?
					vf_item_find(c->input.collateral, c->input.n_collateral, kinds[k].chain) :
					NULL;
			r = api_collateral_put(g_coll, kinds[k].kind, it->data, it->len, chain ? chain->data : NULL,
					       chain ? chain->len : 0, "test", NULL, NULL);
			if (!tc_is_ok(r))
				fail_msg("%s: import %s: %s", c->name, it->role, tc_error_detail());
		}
	}
}

static json_t *b64(const struct vf_item *it)
{
	struct tc_buf b;
	json_t *s;

	tc_buf_init(&b, 4 * it->len + 8);
	assert_int_equal(tc_base64_encode(it->data, it->len, &b).code, TC_OK);
	s = json_stringn((const char *)b.data, b.len);
	tc_buf_cleanup(&b);
	return s;
}

/* The request body for the evidence of C (NULL: none) plus the GPUs of GPU_CASE (NULL: none). */
static json_t *body_of(const struct vf_case *c, const struct vf_case *gpu_case, const char *policy)
{
	json_t *body = json_object();
	const struct vf_input *in = c ? &c->input : NULL;

	if (in && in->tee == VF_TEE_TDX) {
		json_object_set_new(body, "evidence",
				    json_pack("{s:s, s:o}", "tee", "tdx", "quote",
					      b64(vf_item_find(in->evidence, in->n_evidence, "tdx_quote"))));
	} else if (in && in->tee == VF_TEE_SNP) {
		json_object_set_new(body, "evidence",
				    json_pack("{s:s, s:o, s:o}", "tee", "snp", "report",
					      b64(vf_item_find(in->evidence, in->n_evidence, "snp_report")), "vcek",
					      b64(vf_item_find(in->evidence, in->n_evidence, "vcek"))));
	} else if (in) {
		gpu_case = c;
	}
	if (gpu_case) {
		const struct vf_input *g = &gpu_case->input;
		const struct vf_item *spdm = vf_item_find(g->evidence, g->n_evidence, "gpu0.spdm");
		const struct vf_item *chain = vf_item_find(g->evidence, g->n_evidence, "gpu0.cert_chain");

		assert_non_null(spdm);
		assert_non_null(chain);
		json_object_set_new(body, "gpu_evidence",
				    json_pack("[{s:o, s:s%}]", "spdm", b64(spdm), "cert_chain",
					      (const char *)chain->data, chain->len));
	}
	if (policy)
		json_object_set_new(body, "policy", json_string(policy));
	return body;
}

static json_t *post(const char *base, const json_t *body, long want_status)
{
	char url[API_TEST_URL_MAX];
	const char *hdr[] = { "Content-Type: application/json", NULL };
	char *text = json_dumps(body, JSON_COMPACT);
	struct api_test_reply r;
	json_t *j;

	snprintf(url, sizeof(url), "%s/v1/evidence/appraise", base);
	api_test_http("POST", url, hdr, text, strlen(text), &r);
	free(text);
	if (r.status != want_status)
		fail_msg("appraise: %ld (want %ld): %s", r.status, want_status, r.body);
	j = api_test_reply_json(&r);
	api_test_reply_free(&r);
	return j;
}

static int group_setup(void **state)
{
	const char *migrate[] = { "migrate", "--db", g_dsn, NULL };
	const char *shared = getenv("TEECERT_SHARED");
	struct api_collateral_config cc;
	struct api_config cfg;
	char path[512];
	json_t *pol;

	(void)state;
	api_test_init();
	api_test_db_create(g_dsn);
	if (!shared || api_test_run(migrate, NULL, 0, NULL, 0) != 0)
		return -1;
	for (size_t i = 0; i < N_CASES; i++) {
		snprintf(path, sizeof(path), "%s/evidence/cases/%s.json", shared, case_names[i]);
		if (!tc_is_ok(vf_case_load(path, &g_cases[i])))
			fail_msg("%s: %s", path, tc_error_detail());
		g_named[i] = (struct api_named_policy){ .name = case_names[i], .policy = &g_cases[i].policy };
	}
	vf_policy_init(&g_combined);
	pol = json_pack("{s:s, s:b}", "gpu_rims", "off", "check_revocation", false);
	assert_int_equal(vf_policy_from_json(&g_combined, pol).code, TC_OK);
	json_decref(pol);
	g_named[N_CASES] = (struct api_named_policy){ .name = "tdx-and-gpu", .policy = &g_combined };

	api_collateral_config_init(&cc);
	cc.dsn = g_dsn;
	cc.intel_sgx_base = cc.intel_tdx_base = cc.intel_root_crl_url = DEAD_URL;
	cc.amd_kds_base = cc.nvidia_rim_base = cc.nvidia_ocsp_url = DEAD_URL;
	cc.timeout_ms = 2000;
	cc.max_attempts = 1;
	cc.backoff_base_ms = 1;
	cc.max_wait_ms = 10;
	cc.clock_ms = test_clock;
	cc.sleep_ms = test_sleep;
	g_now_ms = g_cases[0].verify_at * 1000;
	assert_int_equal(api_collateral_new(&cc, &g_coll).code, TC_OK);
	for (size_t i = 0; i < N_CASES; i++)
		import_case(&g_cases[i]);

	api_config_init(&cfg);
	cfg.dsn = g_dsn;
	cfg.pool_size = 2;
	cfg.threads = 2;
	cfg.collateral = g_coll;
	cfg.policies = g_named;
	cfg.n_policies = N_CASES + 1;
	assert_int_equal(api_server_start(&cfg, &g_srv).code, TC_OK);
	snprintf(g_url, sizeof(g_url), "http://127.0.0.1:%u", (unsigned)api_server_port(g_srv));
	cfg.collateral = NULL;
	assert_int_equal(api_server_start(&cfg, &g_bare).code, TC_OK);
	snprintf(g_url_bare, sizeof(g_url_bare), "http://127.0.0.1:%u", (unsigned)api_server_port(g_bare));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	api_server_free(&g_srv);
	api_server_free(&g_bare);
	api_collateral_free(&g_coll);
	for (size_t i = 0; i < N_CASES; i++)
		vf_case_cleanup(&g_cases[i]);
	vf_policy_cleanup(&g_combined);
	api_test_db_drop(g_dsn);
	return 0;
}

/* Each case appraised through the API at its verification time under its own policy, as it expects. */
static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_CASES; i++) {
		const struct vf_case *c = &g_cases[i];
		const char *want = json_string_value(json_object_get(c->expect, "verdict"));
		const char *failure = json_string_value(json_object_get(c->expect, "failure"));
		const char *tcb = json_string_value(json_object_get(c->expect, "tcb_status"));
		json_t *body = body_of(c, NULL, c->name), *a;

		g_now_ms = c->verify_at * 1000;
		a = post(g_url, body, 200);
		if (strcmp(json_string_value(json_object_get(a, "verdict")), want) != 0)
			fail_msg("%s: verdict %s, want %s: %s", c->name,
				 json_string_value(json_object_get(a, "verdict")), want, json_dumps(a, 0));
		if (failure)
			assert_string_equal(json_string_value(json_object_get(a, "failure")), failure);
		if (tcb)
			assert_string_equal(json_string_value(json_object_get(
						    json_array_get(json_object_get(a, "devices"), 0), "tcb_status")),
					    tcb);
		assert_non_null(json_string_value(json_object_get(a, "evidence_digest")));
		json_decref(a);
		json_decref(body);
	}
}

/* Request expectations: report data and GPU nonce override the named policy's. */
static void test_expectations(void **state)
{
	const struct vf_case *tdx = &g_cases[0], *gpu = &g_cases[3];
	const char *rd = json_string_value(json_object_get(json_object_get(tdx->expect, "claims"), "report_data"));
	json_t *body, *a;

	(void)state;
	g_now_ms = tdx->verify_at * 1000;
	body = body_of(tdx, NULL, tdx->name);
	json_object_set_new(body, "expected_report_data", json_string(rd));
	a = post(g_url, body, 200);
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "accepted");
	json_decref(a);
	json_object_set_new(body, "expected_report_data",
			    json_string("00000000000000000000000000000000000000000000000000"
					"000000000000000000000000000000000000000000000000"
					"000000000000000000000000000000"));
	a = post(g_url, body, 200);
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "rejected");
	assert_string_equal(json_string_value(json_object_get(a, "failure")), "nonce_mismatch");
	json_decref(a);
	json_decref(body);

	g_now_ms = gpu->verify_at * 1000;
	body = body_of(gpu, NULL, gpu->name);
	json_object_set_new(body, "expected_gpu_nonce",
			    json_string("0101010101010101010101010101010101010101010101010101010101010101"));
	a = post(g_url, body, 200);
	assert_string_equal(json_string_value(json_object_get(a, "failure")), "nonce_mismatch");
	json_decref(a);
	json_decref(body);
}

/* A TDX quote and a GPU in one request: one appraisal with both devices. */
static void test_cpu_and_gpu(void **state)
{
	const struct vf_case *tdx = &g_cases[0], *gpu = &g_cases[3];
	json_t *body, *a, *devices;

	(void)state;
	g_now_ms = tdx->verify_at * 1000;
	body = body_of(tdx, gpu, "tdx-and-gpu");
	json_object_set_new(
		body, "expected_gpu_nonce",
		json_string(json_string_value(json_object_get(
			gpu->manifest ? json_object_get(gpu->manifest, "policy") : NULL, "expected_nonce"))));
	a = post(g_url, body, 200);
	if (strcmp(json_string_value(json_object_get(a, "verdict")), "accepted") != 0)
		fail_msg("tdx+gpu: %s", json_dumps(a, 0));
	devices = json_object_get(a, "devices");
	assert_int_equal(json_array_size(devices), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(devices, 0), "id")), "cpu0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(devices, 1), "id")), "gpu0");
	json_decref(a);
	/* The same GPU with another nonce: the merged appraisal is rejected with the GPU's failure. */
	json_object_set_new(body, "expected_gpu_nonce",
			    json_string("0202020202020202020202020202020202020202020202020202020202020202"));
	a = post(g_url, body, 200);
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "rejected");
	assert_string_equal(json_string_value(json_object_get(a, "failure")), "nonce_mismatch");
	json_decref(a);
	json_decref(body);
}

static void expect_400(const char *text, const char *code)
{
	char url[API_TEST_URL_MAX];
	const char *hdr[] = { "Content-Type: application/json", NULL };
	struct api_test_reply r;

	snprintf(url, sizeof(url), "%s/v1/evidence/appraise", g_url);
	api_test_http("POST", url, hdr, text, strlen(text), &r);
	if (r.status != 400)
		fail_msg("%s: %ld %s", text, r.status, r.body);
	api_test_expect_error(&r, 400, code);
	api_test_reply_free(&r);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_400("{}", "json_field_missing");
	expect_400("[1, 2]", "json_field_missing");
	expect_400("{\"gpu_evidence\": []}", "json_field_missing");
	expect_400("{\"evidence\": {\"tee\": \"sgx\", \"quote\": \"AAAA\"}}", "json_field_invalid");
	expect_400("{\"evidence\": {\"tee\": \"tdx\"}}", "json_field_missing");
	expect_400("{\"evidence\": {\"tee\": \"tdx\", \"quote\": \"@@@@\"}}",
		   "json_field_invalid"); /* base64, naming the field */
	expect_400("{\"evidence\": {\"tee\": \"tdx\", \"quote\": \"AAAA\", \"vcek\": \"AAAA\"}}", "json_field_unknown");
	expect_400("{\"evidence\": {\"tee\": \"snp\", \"report\": \"AAAA\"}}", "json_field_invalid");
	expect_400("{\"evidence\": {\"tee\": \"tdx\", \"quote\": \"AAAA\"}, \"colour\": 1}", "json_field_unknown");
	expect_400("{\"evidence\": {\"tee\": \"tdx\", \"quote\": \"AAAA\"}, \"policy\": \"nope\"}",
		   "json_field_invalid");
	expect_400("{\"evidence\": {\"tee\": \"tdx\", \"quote\": \"AAAA\"}, \"expected_report_data\": \"00\"}",
		   "json_field_invalid");
	expect_400("{\"evidence\": {\"tee\": \"tdx\", \"quote\": \"AAAA\"}, \"expected_gpu_nonce\": "
		   "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		   "json_field_invalid");
	expect_400("{\"gpu_evidence\": [{\"spdm\": \"AAAA\"}]}", "json_field_missing");
	expect_400("{\"gpu_evidence\": [5]}", "json_field_invalid");
	expect_400("{\"evidence\": ", "json_malformed");
	/* Garbage that parses as JSON and base64 is evidence the appraiser rejects: 200, not 4xx. */
	json_t *garbage = json_pack("{s:{s:s, s:s}}", "evidence", "tee", "tdx", "quote", "AAAA");
	json_t *a = post(g_url, garbage, 200);

	json_decref(garbage);
	assert_string_equal(json_string_value(json_object_get(a, "verdict")), "rejected");
	assert_string_equal(json_string_value(json_object_get(a, "failure")),
			    "evidence_unsupported_version"); /* version 0 */
	json_decref(a);
}

/* /metrics counts appraisals by verdict and failure code. */
static void test_metrics(void **state)
{
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;

	(void)state;
	snprintf(url, sizeof(url), "%s/metrics", g_url);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\nteecert_appraisals_total{verdict=\"accepted\",failure=\"\"} "));
	assert_non_null(strstr(r.body, "\nteecert_appraisals_total{verdict=\"rejected\",failure=\"nonce_mismatch\"} "));
	assert_non_null(strstr(
		r.body,
		"\nteecert_http_requests_total{route=\"/v1/evidence/appraise\",method=\"POST\",status=\"400\"} "));
	api_test_reply_free(&r);
}

static void test_no_collateral_service(void **state)
{
	json_t *body = body_of(&g_cases[0], NULL, NULL), *e;

	(void)state;
	e = post(g_url_bare, body, 503);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "collateral_not_configured");
	json_decref(e);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),       cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_cpu_and_gpu), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_metrics),     cmocka_unit_test(test_no_collateral_service),
	};
	return cmocka_run_group_tests_name("api_appraise", tests, group_setup, group_teardown);
}
