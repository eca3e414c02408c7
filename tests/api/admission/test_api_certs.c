/*
 * test_api_certs.c — GET /v1/certificates/{serial}, GET /v1/certificates and GET /v1/cas against the real
 * teecert-verifier. Seeded through sql/db_*.c: a root and a sub-CA with real certificates, one real CVM
 * leaf (appraised TDX, covered by a signed checkpoint), then BULK rows with synthetic DER: TDX/SNP
 * appraisals, hardware ids, some expired, some revoked, and workload certificates. Paging must visit every
 * row exactly once, with and without filters; the inclusion proof must verify against the checkpoint root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api_test_util.h"
#include "chain.h"
#include "db.h"

#define BULK 3000
#define BATCH 500
#define WORKLOADS 50
#define HWIDS 7
#define KEY_NAME "log.teecert.test/certs"

static char g_dsn[API_TEST_DSN_MAX];
static struct api_test_server g_srv;
static uint8_t g_leaf_serial[16];
static uint64_t g_leaf_seq;
static int g_revoked, g_expired, g_snp, g_hw3, g_cvm_tdx = 1; /* the leaf is a TDX cvm */

#define assert_ok(expr)                                                                                                \
	do {                                                                                                           \
		struct tc_result t__r = (expr);                                                                        \
		if (t__r.code != TC_OK)                                                                                \
			fail_msg("%s failed: %s: %s", #expr, tc_error_info(t__r.code)->code, tc_error_detail());       \
	} while (0)

/* A self-signed P-256 certificate named CN, valid from now - 1h for DAYS days; DER into OUT (free()). */
static size_t make_cert(const char *cn, int days, uint8_t **out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int len;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(time(NULL) & 0xffffff) + cn[0]);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	*out = malloc((size_t)len);
	memcpy(*out, der, (size_t)len);
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return (size_t)len;
}

struct seed {
	int64_t ca_root, ca_sub;
	int first, n; /* bulk rows [first, first + n); first -1: the CAs and the real leaf */
	const struct chain_note_signer *key;
};

static void serial_of(int i, uint8_t s[16])
{
	memset(s, 0, 16);
	s[0] = 0x10;
	s[12] = (uint8_t)(i >> 24);
	s[13] = (uint8_t)(i >> 16);
	s[14] = (uint8_t)(i >> 8);
	s[15] = (uint8_t)i;
}

static TC_RESULT log_append(struct db_conn *conn, const uint8_t serial[16], const uint8_t *der, size_t der_len,
			    const char *kind, enum db_log_type type, uint64_t *seq)
{
	struct db_log_entry e = { .type = type, .time = 1750000000 };

	assert_ok(tc_hex_encode(serial, 16, e.serial, sizeof(e.serial)));
	EVP_Digest(der, der_len, e.cert_sha256, NULL, EVP_sha256(), NULL);
	snprintf(e.issuer, sizeof(e.issuer), "CN=teecert sub");
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	return db_log_append(conn, &e, seq, NULL);
}

static TC_RESULT insert_cert(struct db_conn *conn, struct db_cert *c, const char *appraisal)
{
	static const uint8_t digest[32] = { 1 };

	TC_GUARD(log_append(conn, c->serial, c->der, c->der_len, c->kind, DB_LOG_ISSUANCE, &c->log_seq));
	TC_GUARD(db_cert_insert(conn, c));
	if (appraisal)
		TC_GUARD(db_cert_appraisal_insert(conn, c->serial, c->serial_len, appraisal, digest, digest,
						  "tdx_quote", digest, sizeof(digest)));
	return tc_ok();
}

static TC_RESULT seed_cas(struct db_conn *conn, struct seed *s)
{
	uint8_t *root = NULL, *sub = NULL, *leaf = NULL;
	size_t root_len = make_cert("teecert root", 3650, &root), sub_len = make_cert("teecert sub", 1825, &sub);
	size_t leaf_len = make_cert("cvm leaf", 7, &leaf);
	struct db_ca ca_root = { .parent = 0 }, ca_sub = { 0 };
	struct db_cert c = { .serial_len = 16, .kind = "cvm", .subject = "CN=cvm leaf", .hardware_id = "hw-leaf" };

	snprintf(ca_root.name, sizeof(ca_root.name), "root-a");
	snprintf(ca_root.role, sizeof(ca_root.role), "root");
	snprintf(ca_root.network, sizeof(ca_root.network), "untrusted");
	TC_GUARD(db_ca_insert(conn, &ca_root, root, root_len, &s->ca_root));
	snprintf(ca_sub.name, sizeof(ca_sub.name), "sub-b");
	snprintf(ca_sub.role, sizeof(ca_sub.role), "subroot");
	snprintf(ca_sub.network, sizeof(ca_sub.network), "untrusted");
	ca_sub.parent = s->ca_root;
	TC_GUARD(db_ca_insert(conn, &ca_sub, sub, sub_len, &s->ca_sub));
	serial_of(0x7fffff, g_leaf_serial);
	memcpy(c.serial, g_leaf_serial, 16);
	c.ca = s->ca_sub;
	c.not_before = time(NULL) - 3600;
	c.not_after = time(NULL) + 7 * 86400 - 60;
	c.der = leaf;
	c.der_len = leaf_len;
	TC_GUARD(
		insert_cert(conn, &c, "{\"devices\":[{\"id\":\"cpu0\",\"tee\":\"tdx\",\"tcb_status\":\"UpToDate\"}]}"));
	g_leaf_seq = c.log_seq;
	TC_GUARD(db_log_maybe_checkpoint(conn, s->key, time(NULL), 1, 0, NULL));
	free(root);
	free(sub);
	free(leaf);
	return tc_ok();
}

/* Bulk row I: synthetic DER (unique by serial), cvm unless it is one of the last WORKLOADS rows. */
static TC_RESULT seed_bulk(struct db_conn *conn, void *arg)
{
	struct seed *s = arg;
	uint8_t der[100];
	char hw[16];
	char appraisal[128];

	if (s->first < 0)
		return seed_cas(conn, s);
	for (int i = s->first; i < s->first + s->n; i++) {
		struct db_cert c = {
			.serial_len = 16, .ca = s->ca_sub, .subject = "CN=bulk", .der = der, .der_len = sizeof(der)
		};
		bool workload = i >= BULK - WORKLOADS;

		serial_of(i, c.serial);
		memset(der, 0x30, sizeof(der));
		memcpy(der + 10, c.serial, 16);
		snprintf(c.kind, sizeof(c.kind), "%s", workload ? "workload" : "cvm");
		snprintf(hw, sizeof(hw), "hw-%d", i % HWIDS);
		c.hardware_id = hw;
		c.not_before = time(NULL) - 86400;
		c.not_after = i % 13 == 0 ? time(NULL) - 3600 : time(NULL) + 86400;
		if (workload) {
			static uint8_t parent[16];

			serial_of(1, parent);
			c.parent_cvm_serial = parent;
			c.parent_cvm_serial_len = 16;
			c.has_workload_info_hash = true;
			memset(c.workload_info_hash, i % 2 ? 0xaa : 0xbb, 32);
		}
		snprintf(appraisal, sizeof(appraisal),
			 "{\"devices\":[{\"id\":\"cpu0\",\"tee\":\"%s\",\"tcb_status\":\"UpToDate\"}]}",
			 i % 3 == 0 ? "snp" : "tdx");
		TC_GUARD(insert_cert(conn, &c, appraisal));
		if (i % 10 == 5) {
			uint64_t rseq;

			TC_GUARD(log_append(conn, c.serial, der, sizeof(der), c.kind, DB_LOG_REVOCATION, &rseq));
			TC_GUARD(db_cert_revoke(conn, c.serial, 16, 1, time(NULL) - 60, rseq));
		}
	}
	return tc_ok();
}

static void seed(void)
{
	struct db_conn *conn = NULL;
	struct chain_note_signer *key = NULL;
	struct seed s = { .first = -1 };

	assert_ok(db_conn_open(g_dsn, &conn));
	assert_ok(chain_note_signer_generate(KEY_NAME, &key));
	s.key = key;
	assert_ok(db_txn_run(conn, seed_bulk, &s));
	for (int first = 0; first < BULK; first += BATCH) {
		s.first = first;
		s.n = BULK - first < BATCH ? BULK - first : BATCH;
		assert_ok(db_txn_run(conn, seed_bulk, &s));
	}
	for (int i = 0; i < BULK; i++) {
		g_revoked += i % 10 == 5;
		g_expired += i % 13 == 0 && i % 10 != 5;
		g_snp += i % 3 == 0;
		g_hw3 += i % HWIDS == 3;
		g_cvm_tdx += i < BULK - WORKLOADS && i % 3 != 0;
	}
	chain_note_signer_free(&key);
	db_conn_free(&conn);
}

static int group_setup(void **state)
{
	(void)state;
	api_test_init();
	api_test_db_create(g_dsn);
	char out[4096], err[4096];
	const char *argv[] = { "migrate", "--db", g_dsn, NULL };

	if (api_test_run(argv, out, sizeof(out), err, sizeof(err)) != 0)
		fail_msg("migrate failed: %s", err);
	seed();
	api_test_server_start(g_dsn, NULL, &g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	int status = api_test_server_stop(&g_srv, 15, 20);

	api_test_db_drop(g_dsn);
	return status == 0 ? 0 : -1; /* a clean exit (under ASan: no leaks) */
}

/* GET PATH; returns the JSON body of a 200 (new reference), or checks the error STATUS/CODE and that the
 * detail contains FIELD, and returns NULL. */
static json_t *get(const char *path, long status, const char *code, const char *field)
{
	char url[API_TEST_URL_MAX * 2];
	struct api_test_reply r;
	json_t *body = NULL;

	snprintf(url, sizeof(url), "%s%s", g_srv.url, path);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	if (status == 200) {
		if (r.status != 200)
			fail_msg("GET %s: %ld %s", path, r.status, r.body);
		body = api_test_reply_json(&r);
	} else {
		api_test_expect_error(&r, status, code);
		if (field && strstr(r.body, field) == NULL)
			fail_msg("GET %s: detail does not name %s: %s", path, field, r.body);
	}
	api_test_reply_free(&r);
	return body;
}

static const char *str(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (s == NULL)
		fail_msg("no string field %s", name);
	return s;
}

static void test_get_one(void **state)
{
	char path[128], hex[33];
	uint8_t leaf[32], root[32], proof[64][32];
	json_t *b, *log, *inc, *arr;
	size_t n;

	(void)state;
	assert_ok(tc_hex_encode(g_leaf_serial, 16, hex, sizeof(hex)));
	snprintf(path, sizeof(path), "/v1/certificates/%s", hex);
	b = get(path, 200, NULL, NULL);
	assert_string_equal(str(b, "serial"), hex);
	assert_string_equal(str(b, "status"), "valid");
	assert_string_equal(str(b, "kind"), "cvm");
	assert_string_equal(str(b, "issuer_ca"), "sub-b");
	assert_string_equal(str(b, "tee"), "tdx");
	assert_string_equal(str(b, "tcb_status"), "UpToDate");
	assert_string_equal(str(b, "hardware_id"), "hw-leaf");
	assert_true(strncmp(str(b, "certificate"), "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	assert_int_equal(json_array_size(json_object_get(b, "chain")), 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(json_object_get(b, "appraisal"), "devices"), 0), "tee")),
		"tdx");
	assert_true(json_is_null(json_object_get(b, "workload_info_hash")));
	log = json_object_get(b, "log");
	assert_int_equal(json_integer_value(json_object_get(log, "seq")), (json_int_t)g_leaf_seq);
	inc = json_object_get(log, "inclusion");
	assert_true(json_is_object(inc));
	assert_ok(tc_hex_decode_fixed(str(inc, "leaf_hash"), 64, leaf, 32));
	assert_ok(tc_hex_decode_fixed(str(inc, "root"), 64, root, 32));
	arr = json_object_get(inc, "proof");
	n = json_array_size(arr);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		assert_ok(tc_hex_decode_fixed(json_string_value(json_array_get(arr, i)), 64, proof[i], 32));
	assert_ok(chain_merkle_verify_inclusion(g_leaf_seq,
						(uint64_t)json_integer_value(json_object_get(inc, "tree_size")), leaf,
						(const uint8_t(*)[32])proof, n, root));
	json_decref(b);

	/* A revoked and an expired bulk row (no checkpoint covers them). */
	uint8_t s[16];

	serial_of(15, s);
	assert_ok(tc_hex_encode(s, 16, hex, sizeof(hex)));
	snprintf(path, sizeof(path), "/v1/certificates/%s", hex);
	b = get(path, 200, NULL, NULL);
	assert_string_equal(str(b, "status"), "revoked");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "revoked"), "reason")), 1);
	assert_true(json_is_null(json_object_get(json_object_get(b, "log"), "inclusion")));
	json_decref(b);
	serial_of(13, s);
	assert_ok(tc_hex_encode(s, 16, hex, sizeof(hex)));
	snprintf(path, sizeof(path), "/v1/certificates/%s", hex);
	b = get(path, 200, NULL, NULL);
	assert_string_equal(str(b, "status"), "expired");
	json_decref(b);

	get("/v1/certificates/00ff00ff", 404, "not_found", NULL);
	get("/v1/certificates/zz", 400, "invalid_argument", "serial");
	get("/v1/certificates/abc", 400, "invalid_argument", "serial");
}

static void test_cas(void **state)
{
	json_t *b = get("/v1/cas", 200, NULL, NULL), *cas = json_object_get(b, "cas");

	(void)state;
	assert_int_equal(json_array_size(cas), 2);
	assert_string_equal(str(json_array_get(cas, 0), "name"), "root-a");
	assert_string_equal(str(json_array_get(cas, 0), "role"), "root");
	assert_string_equal(str(json_array_get(cas, 0), "network"), "untrusted");
	assert_string_equal(str(json_array_get(cas, 0), "status"), "valid");
	assert_string_equal(str(json_array_get(cas, 1), "role"), "subroot");
	assert_true(strncmp(str(json_array_get(cas, 1), "certificate"), "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	json_decref(b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk every page of /v1/certificates?QUERY with LIMIT; check no serial repeats and order is stable;
 * return how many rows. */
static size_t walk(const char *query, int limit)
{
	char path[512];
	char cursor[256] = "";
	char **seen = NULL;
	size_t n = 0, cap = 0;

	for (int pages = 0;; pages++) {
		json_t *b, *arr, *next;

		assert_true(pages < 10000);
		snprintf(path, sizeof(path), "/v1/certificates?limit=%d%s%s%s%s", limit, query[0] ? "&" : "", query,
			 cursor[0] ? "&cursor=" : "", cursor);
		b = get(path, 200, NULL, NULL);
		arr = json_object_get(b, "certificates");
		assert_true(json_array_size(arr) <= (size_t)limit);
		for (size_t i = 0; i < json_array_size(arr); i++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				seen = realloc(seen, cap * sizeof(*seen));
				assert_non_null(seen);
			}
			seen[n++] = strdup(str(json_array_get(arr, i), "serial"));
		}
		next = json_object_get(b, "next_cursor");
		if (json_is_null(next)) {
			json_decref(b);
			break;
		}
		assert_int_equal(json_array_size(arr), limit);
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(b);
	}
	if (n > 0)
		qsort(seen, n, sizeof(*seen), cmp_str);
	for (size_t i = 0; i + 1 < n; i++)
		if (strcmp(seen[i], seen[i + 1]) == 0)
			fail_msg("serial %s seen twice (%s)", seen[i], query);
	for (size_t i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
	return n;
}

static void test_paging(void **state)
{
	long total = api_test_db_scalar(g_dsn, "SELECT count(*) FROM certificates", NULL);

	(void)state;
	assert_int_equal(total, BULK + 1);
	assert_int_equal(walk("", 997), BULK + 1);
	assert_int_equal(walk("", 1000), BULK + 1);
	assert_int_equal(walk("", 7), BULK + 1);
	json_t *b = get("/v1/certificates", 200, NULL, NULL);

	assert_int_equal(json_array_size(json_object_get(b, "certificates")), 100); /* the default limit */
	json_decref(b);
}

static void test_filters(void **state)
{
	char q[160];

	(void)state;
	assert_int_equal(walk("status=revoked", 1000), g_revoked);
	assert_int_equal(walk("status=expired", 333), g_expired);
	assert_int_equal(walk("status=valid", 1000), BULK + 1 - g_revoked - g_expired);
	assert_int_equal(walk("kind=workload", 10), WORKLOADS);
	assert_int_equal(walk("kind=cvm&tee=tdx", 1000), g_cvm_tdx);
	assert_int_equal(walk("tee=snp", 1000), g_snp);
	assert_int_equal(walk("hardware_id=hw-3", 100), g_hw3);
	assert_int_equal(walk("issuer_ca=sub-b", 1000), BULK + 1);
	assert_int_equal(walk("issuer_ca=root-a", 1000), 0);
	assert_int_equal(walk("issued_from=2000-01-01T00:00:00Z&issued_to=2999-01-01T00:00:00Z", 1000), BULK + 1);
	assert_int_equal(walk("issued_from=2999-01-01T00:00:00Z", 1000), 0);
	snprintf(q, sizeof(q), "workload_info_hash=%s",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(walk(q, 1000), WORKLOADS / 2);

	get("/v1/certificates?limit=1001", 400, "invalid_argument", "limit");
	get("/v1/certificates?limit=0", 400, "invalid_argument", "limit");
	get("/v1/certificates?limit=x", 400, "invalid_argument", "limit");
	get("/v1/certificates?kind=leaf", 400, "invalid_argument", "kind");
	get("/v1/certificates?status=gone", 400, "invalid_argument", "status");
	get("/v1/certificates?tee=t%20dx", 400, "invalid_argument", "tee");
	get("/v1/certificates?issued_from=yesterday", 400, "invalid_argument", "issued_from");
	get("/v1/certificates?issued_to=2025-13-01T00:00:00Z", 400, "invalid_argument", "issued_to");
	get("/v1/certificates?workload_info_hash=abc", 400, "invalid_argument", "workload_info_hash");
	get("/v1/certificates?hardware_id=a%20b", 400, "invalid_argument", "hardware_id");
	get("/v1/certificates?cursor=!!!", 400, "invalid_argument", "cursor");
	get("/v1/certificates?cursor=aGVsbG8", 400, "invalid_argument", "cursor");
	get("/v1/certificates?kind=cvm&kind=cvm", 400, "invalid_argument", "kind");
	get("/v1/certificates?colour=red", 400, "invalid_argument", "colour");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_one),
		cmocka_unit_test(test_cas),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_filters),
	};
	return cmocka_run_group_tests_name("api_certs", tests, group_setup, group_teardown);
}
