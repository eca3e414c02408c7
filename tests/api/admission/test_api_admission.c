/*
 * test_api_admission.c — POST /v1/admission/peer and GET /v1/verdict-key on an in-process teecert-verifier
 * server (api_server_start with an api_admission; the serve flags are wired in api_cli.c). Chains are made
 * with OpenSSL here and their certificates recorded through sql/db_*.c with appraisals: allow for a good
 * chain; deny for revoked, expired, a foreign root, a tampered signature, a tcb_status the current policy no
 * longer accepts, and an unanchored entry under require_anchored. Every verdict's JWS verifies with the
 * published JWK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api.h"
#include "api_test_util.h"
#include "db.h"

#define assert_ok(expr)                                                                                                \
	do {                                                                                                           \
		struct tc_result t__r = (expr);                                                                        \
		if (t__r.code != TC_OK)                                                                                \
			fail_msg("%s failed: %s: %s", #expr, tc_error_info(t__r.code)->code, tc_error_detail());       \
	} while (0)

static char g_dsn[API_TEST_DSN_MAX];
static char g_dir[64];
static EVP_PKEY *g_root_key, *g_foreign_key;
static X509 *g_root, *g_foreign;
static struct api_server *g_default, *g_strict, *g_cached;
static char g_url_default[API_TEST_BASE_MAX], g_url_strict[API_TEST_BASE_MAX], g_url_cached[API_TEST_BASE_MAX];
static struct api_admission *g_adm_default, *g_adm_strict, *g_adm_cached;
static char *g_late; /* revoked during test_db_cache */
#define DB_CACHE_MS 1500
/* Leaf PEMs: good (UpToDate), revoked, expired, swh (SWHardeningNeeded), foreign root, tampered. */
static char *g_good, *g_revoked, *g_expired, *g_swh, *g_foreign_leaf, *g_tampered, *g_workload;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A certificate for KEY named CN, signed by ISSUER/ISSUER_KEY (NULL: self-signed CA), valid [nb, na] from now. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial, long nb, long na)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
	}
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return x;
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	/* the BIO's data is not NUL-terminated: copy exactly N bytes (strndup would read past them) */
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	out[n] = 0;
	BIO_free(b);
	return out;
}

static size_t der_of(X509 *x, uint8_t **out)
{
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);

	assert_true(n > 0);
	*out = d;
	return (size_t)n;
}

struct record {
	X509 *x;
	int64_t ca;
	const char *tcb;
	bool revoke;
	bool workload; /* bound to the cvm certificate 0x1001, workload info hash 0xab.. */
};

static TC_RESULT record_fn(struct db_conn *conn, void *arg)
{
	struct record *rec = arg;
	static const uint8_t digest[32] = { 1 };
	struct db_cert c = { .ca = rec->ca, .subject = "CN=leaf", .hardware_id = NULL };
	struct db_log_entry e = { .type = DB_LOG_ISSUANCE, .time = 1750000000 };
	uint8_t *der = NULL;
	size_t len = der_of(rec->x, &der);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(rec->x), NULL);
	char appraisal[160];
	struct tc_result r;

	c.serial_len = (size_t)BN_bn2bin(bn, c.serial);
	BN_free(bn);
	static const uint8_t parent[] = { 0x10, 0x01 };

	snprintf(c.kind, sizeof(c.kind), "%s", rec->workload ? "workload" : "cvm");
	if (rec->workload) {
		c.parent_cvm_serial = parent;
		c.parent_cvm_serial_len = sizeof(parent);
		c.has_workload_info_hash = true;
		memset(c.workload_info_hash, 0xab, 32);
	}
	c.not_before = time(NULL) - 3600;
	c.not_after = time(NULL) + 3600;
	c.der = der;
	c.der_len = len;
	assert_ok(tc_hex_encode(c.serial, c.serial_len, e.serial, sizeof(e.serial)));
	EVP_Digest(der, len, e.cert_sha256, NULL, EVP_sha256(), NULL);
	snprintf(e.issuer, sizeof(e.issuer), "CN=root");
	snprintf(e.kind, sizeof(e.kind), "%s", c.kind);
	if (rec->workload) {
		e.has_workload_info_hash = true;
		memset(e.workload_info_hash, 0xab, 32);
	}
	snprintf(appraisal, sizeof(appraisal),
		 "{\"devices\":[{\"id\":\"cpu0\",\"tee\":\"tdx\",\"tcb_status\":\"%s\"}]}", rec->tcb);
	r = db_log_append(conn, &e, &c.log_seq, NULL);
	if (tc_is_ok(r))
		r = db_cert_insert(conn, &c);
	if (tc_is_ok(r))
		r = db_cert_appraisal_insert(conn, c.serial, c.serial_len, appraisal, digest, digest, "tdx_quote",
					     digest, 32);
	if (tc_is_ok(r) && rec->revoke) {
		uint64_t seq;

		e.type = DB_LOG_REVOCATION;
		r = db_log_append(conn, &e, &seq, NULL);
		if (tc_is_ok(r))
			r = db_cert_revoke(conn, c.serial, c.serial_len, 1, time(NULL) - 60, seq);
	}
	OPENSSL_free(der);
	return r;
}

static TC_RESULT ca_fn(struct db_conn *conn, void *arg)
{
	int64_t *id = arg;
	struct db_ca ca = { 0 };
	uint8_t *der = NULL;
	size_t len = der_of(g_root, &der);
	struct tc_result r;

	snprintf(ca.name, sizeof(ca.name), "root");
	snprintf(ca.role, sizeof(ca.role), "root");
	snprintf(ca.network, sizeof(ca.network), "untrusted");
	r = db_ca_insert(conn, &ca, der, len, id);
	OPENSSL_free(der);
	return r;
}

static char *leaf(struct db_conn *conn, int64_t ca, long serial, long nb, long na, const char *tcb, bool revoke,
		  X509 *issuer, EVP_PKEY *issuer_key, bool record, bool tamper, bool workload)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = make_cert(k, "leaf", issuer, issuer_key, serial, nb, na);
	struct record rec = { .x = x, .ca = ca, .tcb = tcb, .revoke = revoke, .workload = workload };
	char *pem;

	if (record)
		assert_ok(db_txn_run(conn, record_fn, &rec));
	if (tamper) {
		uint8_t *der = NULL;
		size_t len = der_of(x, &der);
		const unsigned char *p = der;

		der[len - 5] ^= 0x01; /* inside the signature value */
		X509_free(x);
		x = d2i_X509(NULL, &p, (long)len);
		assert_non_null(x);
		OPENSSL_free(der);
	}
	pem = pem_of(x);
	X509_free(x);
	EVP_PKEY_free(k);
	return pem;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct api_server *start_cached(const char *policy, unsigned cache_ms, struct api_admission **adm, char *url);

static struct api_server *start(const char *policy, struct api_admission **adm, char *url)
{
	return start_cached(policy, 0, adm, url);
}

static struct api_server *start_cached(const char *policy, unsigned cache_ms, struct api_admission **adm, char *url)
{
	char root[128], key[128], pol[128];
	struct api_admission_options o = { 0 };
	struct api_config cfg;
	struct api_server *s = NULL;

	snprintf(root, sizeof(root), "%s/root.pem", g_dir);
	snprintf(key, sizeof(key), "%s/key.pem", g_dir);
	snprintf(pol, sizeof(pol), "%s/policy-%p.json", g_dir, (void *)adm);
	o.trust_root_file = root;
	o.signing_key_file = key;
	o.db_cache_ms = cache_ms;
	if (policy) {
		write_file(pol, policy);
		o.policy_file = pol;
	}
	assert_ok(api_admission_load(&o, adm));
	api_config_init(&cfg);
	cfg.service = "verifier";
	cfg.listen_host = "127.0.0.1";
	cfg.port = 0;
	cfg.dsn = g_dsn;
	cfg.pool_size = 2;
	cfg.threads = 2;
	cfg.admission = *adm;
	assert_ok(api_server_start(&cfg, &s));
	snprintf(url, API_TEST_BASE_MAX, "http://127.0.0.1:%u", (unsigned)api_server_port(s));
	return s;
}

static int group_setup(void **state)
{
	const char *migrate[] = { "migrate", "--db", g_dsn, NULL };
	struct db_conn *conn = NULL;
	int64_t ca = 0;
	char path[128];
	EVP_PKEY *sign = EVP_EC_gen("P-256");
	FILE *f;

	(void)state;
	api_test_init();
	api_test_db_create(g_dsn);
	if (api_test_run(migrate, NULL, 0, NULL, 0) != 0)
		return -1;
	snprintf(g_dir, sizeof(g_dir), "/tmp/tc-adm-XXXXXX");
	assert_non_null(mkdtemp(g_dir));
	g_root_key = EVP_EC_gen("P-256");
	g_foreign_key = EVP_EC_gen("P-256");
	g_root = make_cert(g_root_key, "teecert test root", NULL, NULL, 1, -86400, 365L * 86400);
	g_foreign = make_cert(g_foreign_key, "teecert test root", NULL, NULL, 1, -86400, 365L * 86400);
	snprintf(path, sizeof(path), "%s/root.pem", g_dir);
	char *rp = pem_of(g_root);

	write_file(path, rp);
	free(rp);
	snprintf(path, sizeof(path), "%s/key.pem", g_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, sign, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(sign);

	assert_ok(db_conn_open(g_dsn, &conn));
	assert_ok(db_txn_run(conn, ca_fn, &ca));
	g_good = leaf(conn, ca, 0x1001, -3600, 3600, "UpToDate", false, g_root, g_root_key, true, false, false);
	g_revoked = leaf(conn, ca, 0x1002, -3600, 3600, "UpToDate", true, g_root, g_root_key, true, false, false);
	g_expired = leaf(conn, ca, 0x1003, -7200, -3600, "UpToDate", false, g_root, g_root_key, true, false, false);
	g_swh = leaf(conn, ca, 0x1004, -3600, 3600, "SWHardeningNeeded", false, g_root, g_root_key, true, false, false);
	g_foreign_leaf =
		leaf(conn, ca, 0x1005, -3600, 3600, "UpToDate", false, g_foreign, g_foreign_key, false, false, false);
	g_tampered = leaf(conn, ca, 0x1006, -3600, 3600, "UpToDate", false, g_root, g_root_key, true, true, false);
	g_workload = leaf(conn, ca, 0x1007, -3600, 3600, "UpToDate", false, g_root, g_root_key, true, false, true);
	g_late = leaf(conn, ca, 0x1008, -3600, 3600, "UpToDate", false, g_root, g_root_key, true, false, false);
	db_conn_free(&conn);
	g_default = start(NULL, &g_adm_default, g_url_default);
	g_strict = start("{\"accepted_tcb_statuses\": [\"UpToDate\"], \"require_anchored\": true}", &g_adm_strict,
			 g_url_strict);
	g_cached = start_cached(NULL, DB_CACHE_MS, &g_adm_cached, g_url_cached);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[160];

	(void)state;
	api_server_free(&g_default);
	api_server_free(&g_strict);
	api_server_free(&g_cached);
	api_admission_free(&g_adm_cached);
	api_admission_free(&g_adm_default);
	api_admission_free(&g_adm_strict);
	api_test_db_drop(g_dsn);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		return -1;
	free(g_good), free(g_revoked), free(g_expired), free(g_swh), free(g_foreign_leaf), free(g_tampered),
		free(g_workload), free(g_late);
	X509_free(g_root);
	X509_free(g_foreign);
	EVP_PKEY_free(g_root_key);
	EVP_PKEY_free(g_foreign_key);
	return 0;
}

/* The public key of the JWK Set at BASE/v1/verdict-key. */
static EVP_PKEY *published_key(const char *base)
{
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;
	json_t *set, *jwk;
	struct tc_buf x, y;
	uint8_t pub[65];
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];

	snprintf(url, sizeof(url), "%s/v1/verdict-key", base);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	set = api_test_reply_json(&r);
	api_test_reply_free(&r);
	jwk = json_array_get(json_object_get(set, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	tc_buf_init(&x, 64);
	tc_buf_init(&y, 64);
	assert_ok(tc_base64url_decode(json_string_value(json_object_get(jwk, "x")),
				      strlen(json_string_value(json_object_get(jwk, "x"))), &x));
	assert_ok(tc_base64url_decode(json_string_value(json_object_get(jwk, "y")),
				      strlen(json_string_value(json_object_get(jwk, "y"))), &y));
	assert_int_equal(x.len, 32);
	assert_int_equal(y.len, 32);
	pub[0] = 0x04;
	memcpy(pub + 1, x.data, 32);
	memcpy(pub + 33, y.data, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	assert_true(EVP_PKEY_fromdata_init(ctx) == 1);
	assert_true(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1);
	EVP_PKEY_CTX_free(ctx);
	tc_buf_cleanup(&x);
	tc_buf_cleanup(&y);
	json_decref(set);
	return key;
}

/* Verify the compact JWS against KEY and check its payload equals VERDICT without "jws". */
static void check_jws(const char *jws, EVP_PKEY *key, const json_t *verdict)
{
	const char *d1 = strchr(jws, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	struct tc_buf sig, payload;
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int der_len;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_t *p, *expect;

	assert_non_null(d2);
	tc_buf_init(&sig, 128);
	tc_buf_init(&payload, 1 << 20);
	assert_ok(tc_base64url_decode(d2 + 1, strlen(d2 + 1), &sig));
	assert_int_equal(sig.len, 64);
	ECDSA_SIG_set0(es, BN_bin2bn(sig.data, 32, NULL), BN_bin2bn(sig.data + 32, 32, NULL));
	der_len = i2d_ECDSA_SIG(es, &der);
	assert_true(der_len > 0);
	assert_true(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	assert_int_equal(EVP_DigestVerify(md, der, (size_t)der_len, (const unsigned char *)jws, (size_t)(d2 - jws)), 1);
	assert_ok(tc_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &payload));
	assert_ok(tc_json_parse((const char *)payload.data, payload.len, 1 << 20, &p));
	expect = json_deep_copy(verdict);
	json_object_del(expect, "jws");
	assert_true(json_equal(p, expect));
	json_decref(p);
	json_decref(expect);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	tc_buf_cleanup(&sig);
	tc_buf_cleanup(&payload);
}

/* POST the chain; check the decision and that some reason contains WANT (NULL: no reasons); JWS verified. */
static json_t *admit_at(const char *base, const char *endpoint, const char *wih, const char *chain, const char *nonce,
			const char *decision, const char *want)
{
	char url[API_TEST_URL_MAX];
	json_t *req = json_pack("{s:s}", "chain", chain), *v, *reasons;
	char *body;
	struct api_test_reply r;
	const char *hdr[] = { "Content-Type: application/json", NULL };
	EVP_PKEY *key;
	bool hit = want == NULL;

	if (nonce)
		json_object_set_new(req, "nonce", json_string(nonce));
	if (wih)
		json_object_set_new(req, "workload_info_hash", json_string(wih));
	body = json_dumps(req, JSON_COMPACT);
	snprintf(url, sizeof(url), "%s%s", base, endpoint);
	api_test_http("POST", url, hdr, body, strlen(body), &r);
	if (r.status != 200)
		fail_msg("admission: %ld %s", r.status, r.body);
	v = api_test_reply_json(&r);
	api_test_reply_free(&r);
	if (strcmp(json_string_value(json_object_get(v, "decision")), decision) != 0)
		fail_msg("decision %s, want %s: %s", json_string_value(json_object_get(v, "decision")), decision,
			 json_dumps(json_object_get(v, "reasons"), 0));
	reasons = json_object_get(v, "reasons");
	for (size_t i = 0; i < json_array_size(reasons); i++)
		if (want && strstr(json_string_value(json_array_get(reasons, i)), want))
			hit = true;
	if (!hit)
		fail_msg("no reason mentions '%s': %s", want, json_dumps(reasons, 0));
	if (want == NULL)
		assert_int_equal(json_array_size(reasons), 0);
	/* Every reason has its stable code, in the same order. */
	assert_int_equal(json_array_size(json_object_get(v, "reason_codes")), json_array_size(reasons));
	key = published_key(base);
	check_jws(json_string_value(json_object_get(v, "jws")), key, v);
	EVP_PKEY_free(key);
	json_decref(req);
	free(body);
	return v;
}

static json_t *admit(const char *base, const char *chain, const char *nonce, const char *decision, const char *want)
{
	return admit_at(base, "/v1/admission/peer", NULL, chain, nonce, decision, want);
}

/* A deny whose first reason code is CODE. */
static void deny_code(const char *base, const char *chain, const char *want, const char *code)
{
	json_t *v = admit(base, chain, NULL, "deny", want);

	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "reason_codes"), 0)), code);
	json_decref(v);
}

static void test_workload(void **state)
{
	const char *ab = "abababababababababababababababababababababababababababababababab";
	const char *cd = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;
	const char *hdr[] = { "Content-Type: application/json", NULL };
	const char *missing = "{\"chain\": \"x\"}";

	(void)state;
	json_decref(admit_at(g_url_default, "/v1/admission/workload", ab, g_workload, NULL, "allow", NULL));
	json_decref(
		admit_at(g_url_default, "/v1/admission/workload", cd, g_workload, NULL, "deny", "workload info hash"));
	json_decref(admit_at(g_url_default, "/v1/admission/workload", ab, g_good, NULL, "deny", "not a workload"));
	json_decref(admit(g_url_default, g_workload, NULL, "allow", NULL)); /* as a peer it is fine */
	snprintf(url, sizeof(url), "%s/v1/admission/workload", g_url_default);
	api_test_http("POST", url, hdr, missing, strlen(missing), &r);
	assert_int_equal(r.status, 400); /* workload_info_hash is required */
	api_test_reply_free(&r);
}

static void test_allow(void **state)
{
	json_t *v = admit(g_url_default, g_good, "00112233aabbccdd", "allow", NULL);
	json_t *c = json_object_get(v, "certificate");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(c, "serial")), "1001");
	assert_string_equal(json_string_value(json_object_get(c, "kind")), "cvm");
	assert_string_equal(json_string_value(json_object_get(c, "tee")), "tdx");
	assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), "UpToDate");
	assert_string_equal(json_string_value(json_object_get(v, "nonce")), "00112233aabbccdd");
	assert_true(json_is_null(json_object_get(v, "anchored")));
	assert_non_null(json_string_value(json_object_get(v, "checked_at")));
	assert_non_null(json_string_value(json_object_get(v, "expires_at")));
	json_decref(v);
	json_decref(admit(g_url_default, g_swh, NULL, "allow", NULL)); /* the default policy accepts it */
}

static void test_deny(void **state)
{
	(void)state;
	deny_code(g_url_default, g_revoked, "revoked", "revoked");
	deny_code(g_url_default, g_expired, "expired", "chain_invalid");
	deny_code(g_url_default, g_foreign_leaf, "chain", "chain_invalid");
	deny_code(g_url_default, g_tampered, "signature", "chain_invalid");
	/* Signed by the root but not the certificate recorded under its serial (0x1001). */
	char *twin = leaf(NULL, 0, 0x1001, -3600, 3600, "UpToDate", false, g_root, g_root_key, false, false, false);

	deny_code(g_url_default, twin, "different certificate", "certificate_mismatch");
	free(twin);
	/* The policy changed: SWHardeningNeeded is no longer accepted, and anchoring is required. */
	deny_code(g_url_strict, g_swh, "SWHardeningNeeded is no longer accepted", "tcb_status_not_accepted");
	deny_code(g_url_strict, g_good, "not anchored", "not_anchored");
}

/* After an anchor transaction covering the log is confirmed, require_anchored admits and reports it. */
static void test_anchored(void **state)
{
	json_t *v, *a;
	long one = api_test_db_scalar(
		g_dsn,
		"INSERT INTO anchor_txs (state, tree_size, root, prev_tree_size, chain_id, nonce, gas_limit,"
		" max_fee_per_gas, max_priority_fee_per_gas, raw_tx, tx_hash, block_number, block_hash, confirmed_at)"
		" VALUES ('confirmed', 100, decode(repeat('11', 32), 'hex'), 0, 31337, 0, 100000, 1, 1, '\\x01',"
		" decode(repeat('cc', 32), 'hex'), 42, decode(repeat('dd', 32), 'hex'), now()) RETURNING 1",
		NULL);

	(void)state;
	assert_int_equal(one, 1);
	v = admit(g_url_strict, g_good, NULL, "allow", NULL);
	a = json_object_get(v, "anchored");
	assert_int_equal(json_integer_value(json_object_get(a, "tree_size")), 100);
	assert_int_equal(json_integer_value(json_object_get(a, "block")), 42);
	assert_string_equal(json_string_value(json_object_get(a, "tx_hash")),
			    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	json_decref(v);
}

static void test_bad_requests(void **state)
{
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;
	const char *hdr[] = { "Content-Type: application/json", NULL };
	const char *bodies[] = { "{}", "{\"chain\": 5}", "{\"chain\": \"no pem here\"}",
				 "{\"chain\": \"x\", \"colour\": 1}" };

	(void)state;
	snprintf(url, sizeof(url), "%s/v1/admission/peer", g_url_default);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		api_test_http("POST", url, hdr, bodies[i], strlen(bodies[i]), &r);
		assert_int_equal(r.status, 400);
		api_test_reply_free(&r);
	}
	char body[4096];

	snprintf(body, sizeof(body), "{\"chain\": \"%s\", \"nonce\": \"xyz\"}", "a");
	api_test_http("POST", url, hdr, body, strlen(body), &r);
	assert_int_equal(r.status, 400);
	api_test_reply_free(&r);
}

/* The value of the sample line starting with SERIES in the Prometheus text BODY (-1: absent). */
static long long sample(const char *body, const char *series)
{
	const char *p = body;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == body || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

/* /metrics after the tests above: decisions by kind, decision and reason; requests by route template. */
static void test_metrics(void **state)
{
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;

	(void)state;
	snprintf(url, sizeof(url), "%s/metrics", g_url_default);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_true(sample(r.body,
			   "teecert_admission_decisions_total{kind=\"peer\",decision=\"allow\",reason=\"ok\"}") >= 3);
	assert_true(sample(r.body,
			   "teecert_admission_decisions_total{kind=\"peer\",decision=\"deny\",reason=\"revoked\"}") >=
		    1);
	assert_true(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"peer\",decision=\"deny\",reason=\"chain_invalid\"}") >=
		3);
	assert_true(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"peer\",decision=\"deny\",reason=\"certificate_mismatch\"}") >=
		1);
	assert_true(sample(r.body,
			   "teecert_admission_decisions_total{kind=\"workload\",decision=\"allow\",reason=\"ok\"}") >=
		    1);
	assert_true(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"workload\",decision=\"deny\",reason=\"workload_info_mismatch\"}") >=
		1);
	assert_true(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"workload\",decision=\"deny\",reason=\"not_a_workload_certificate\"}") >=
		1);
	/* the strict server's denials are its own */
	assert_int_equal(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"peer\",decision=\"deny\",reason=\"not_anchored\"}"),
		-1);
	/* route templates, not raw paths */
	assert_true(
		sample(r.body,
		       "teecert_http_requests_total{route=\"/v1/admission/peer\",method=\"POST\",status=\"200\"}") >=
		8);
	assert_true(
		sample(r.body,
		       "teecert_http_requests_total{route=\"/v1/admission/peer\",method=\"POST\",status=\"400\"}") >=
		4);
	assert_true(sample(r.body, "teecert_http_request_duration_seconds_count{route=\"/v1/admission/peer\"}") >= 12);
	assert_true(sample(r.body,
			   "teecert_http_request_duration_seconds_bucket{route=\"/v1/admission/peer\",le=\"+Inf\"}") >=
		    12);
	api_test_reply_free(&r);
	snprintf(url, sizeof(url), "%s/metrics", g_url_strict);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	assert_true(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"peer\",decision=\"deny\",reason=\"not_anchored\"}") >=
		1);
	assert_true(
		sample(r.body,
		       "teecert_admission_decisions_total{kind=\"peer\",decision=\"deny\",reason=\"tcb_status_not_accepted\"}") >=
		1);
	api_test_reply_free(&r);
}

static TC_RESULT revoke_fn(struct db_conn *conn, void *arg)
{
	X509 *x = arg;
	struct db_log_entry e = { .type = DB_LOG_REVOCATION, .time = 1750000000 };
	uint8_t *der = NULL, serial[DB_CA_SERIAL_MAX];
	size_t len = der_of(x, &der);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	size_t sl = (size_t)BN_bn2bin(bn, serial);
	uint64_t seq;
	struct tc_result r;

	BN_free(bn);
	assert_ok(tc_hex_encode(serial, sl, e.serial, sizeof(e.serial)));
	EVP_Digest(der, len, e.cert_sha256, NULL, EVP_sha256(), NULL);
	snprintf(e.issuer, sizeof(e.issuer), "CN=root");
	snprintf(e.kind, sizeof(e.kind), "cvm");
	r = db_log_append(conn, &e, &seq, NULL);
	if (tc_is_ok(r))
		r = db_cert_revoke(conn, serial, sl, 1, time(NULL) - 60, seq);
	OPENSSL_free(der);
	return r;
}

/* Revoke the certificate PEM as the CA would (log entry + revocations row). */
static void revoke_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	struct db_conn *conn = NULL;

	assert_non_null(x);
	assert_ok(db_conn_open(g_dsn, &conn));
	assert_ok(db_txn_run(conn, revoke_fn, x));
	db_conn_free(&conn);
	X509_free(x);
	BIO_free(b);
}

/* --admission-cache-ms: a revocation shows after at most the cache time, immediately without the cache. */
static void test_db_cache(void **state)
{
	struct timespec t0, t1;

	(void)state;
	json_decref(admit(g_url_cached, g_late, NULL, "allow", NULL)); /* cached now */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	revoke_pem(g_late);
	deny_code(g_url_default, g_late, "revoked", "revoked"); /* no cache: at once */
	json_t *v = admit(g_url_cached, g_late, NULL, "allow", NULL);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	json_decref(v);
	/* the allow above must have come from the cache, inside its lifetime */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < DB_CACHE_MS);
	usleep((DB_CACHE_MS + 200) * 1000);
	deny_code(g_url_cached, g_late, "revoked", "revoked");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow),    cmocka_unit_test(test_deny),     cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_workload), cmocka_unit_test(test_anchored), cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_db_cache),
	};
	return cmocka_run_group_tests_name("api_admission", tests, group_setup, group_teardown);
}
