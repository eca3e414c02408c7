/*
 * test_api_tls.c — the admin decision (api_auth_admin_decide: admin client certificate OR bearer token,
 * 401 vs 403) and the client certificate check (api_tls_client_check: OpenSSL verification against the
 * client CA store with purpose sslclient and the given time; admin by fingerprint or by the admin CA store)
 * on a small PKI generated here: client root -> admins intermediate -> admin leaf, client root -> leaves,
 * and a foreign root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api_internal.h"

#define DAY 86400L
static const uint8_t token[] = "admin-token-0123456789abcdef";
#define TOKEN_LEN (sizeof(token) - 1)

/* ------------------------------------------------------------------------------- admin decision */

static struct api_client client_of(enum api_client_cert cert, bool admin)
{
	struct api_client c;

	memset(&c, 0, sizeof(c));
	c.cert = cert;
	c.admin = admin;
	memset(c.fp, 0xab, sizeof(c.fp));
	memset(c.fp_hex, 'a', 64);
	snprintf(c.why, sizeof(c.why), "unable to get local issuer certificate (depth 0)");
	return c;
}

static enum tc_code decide(const struct api_client *c, bool cert_admin, const uint8_t *tok, const char *auth,
			   enum api_admin_method *m)
{
	*m = API_ADMIN_NONE;
	return api_auth_admin_decide(c, cert_admin, tok, tok ? TOKEN_LEN : 0, auth, m).code;
}

static void test_decide_client_cert(void **state)
{
	struct api_client admin = client_of(API_CLIENT_VERIFIED, true);
	struct api_client ops = client_of(API_CLIENT_VERIFIED, false);
	enum api_admin_method m;

	(void)state;
	assert_int_equal(decide(&admin, true, token, NULL, &m), TC_OK);
	assert_int_equal(m, API_ADMIN_CLIENT_CERT);
	/* An admin certificate wins over a wrong token: either credential suffices. */
	assert_int_equal(decide(&admin, true, token, "Bearer wrong-token-0123456789", &m), TC_OK);
	assert_int_equal(m, API_ADMIN_CLIENT_CERT);
	assert_int_equal(decide(&admin, true, NULL, NULL, &m), TC_OK);
	/* Verified but not an admin: 403 naming the fingerprint; a good token still works. */
	assert_int_equal(decide(&ops, true, token, NULL, &m), TC_ERR_FORBIDDEN);
	assert_non_null(strstr(tc_error_detail(), ops.fp_hex));
	assert_int_equal(m, API_ADMIN_NONE);
	assert_int_equal(decide(&ops, true, token, "Bearer admin-token-0123456789abcdef", &m), TC_OK);
	assert_int_equal(m, API_ADMIN_BEARER);
	assert_int_equal(decide(&ops, true, token, "Bearer admin-token-0123456789abcdeX", &m), TC_ERR_FORBIDDEN);
}

static void test_decide_unverified(void **state)
{
	struct api_client bad = client_of(API_CLIENT_UNVERIFIED, false);
	struct api_client forged = client_of(API_CLIENT_UNVERIFIED, true); /* admin without verification: never */
	enum api_admin_method m;

	(void)state;
	assert_int_equal(decide(&bad, true, token, NULL, &m), TC_ERR_UNAUTHORIZED);
	assert_non_null(strstr(tc_error_detail(), "did not verify"));
	assert_non_null(strstr(tc_error_detail(), "local issuer"));
	assert_int_equal(decide(&forged, true, token, NULL, &m), TC_ERR_UNAUTHORIZED);
	assert_int_equal(m, API_ADMIN_NONE);
	assert_int_equal(decide(&bad, true, token, "Bearer admin-token-0123456789abcdef", &m), TC_OK);
	assert_int_equal(m, API_ADMIN_BEARER);
}

static void test_decide_bearer(void **state)
{
	struct api_client none = client_of(API_CLIENT_NONE, false);
	enum api_admin_method m;

	(void)state;
	assert_int_equal(decide(NULL, false, token, "Bearer admin-token-0123456789abcdef", &m), TC_OK);
	assert_int_equal(m, API_ADMIN_BEARER);
	assert_int_equal(decide(&none, false, token, "bearer admin-token-0123456789abcdef", &m), TC_OK);
	assert_int_equal(decide(&none, false, token, "Bearer admin-token-0123456789abcde", &m), TC_ERR_FORBIDDEN);
	assert_int_equal(decide(&none, false, token, "Bearer admin-token-0123456789abcdef0", &m), TC_ERR_FORBIDDEN);
	assert_int_equal(decide(&none, false, token, "Bearer ", &m), TC_ERR_UNAUTHORIZED);
	assert_int_equal(decide(&none, false, token, "Basic YWRtaW46YWRtaW4=", &m), TC_ERR_UNAUTHORIZED);
	assert_int_equal(decide(&none, false, token, NULL, &m), TC_ERR_UNAUTHORIZED);
	assert_non_null(strstr(tc_error_detail(), "Bearer"));
	assert_int_equal(decide(&none, true, token, NULL, &m), TC_ERR_UNAUTHORIZED);
	assert_non_null(strstr(tc_error_detail(), "client certificate or"));
	/* No token configured: a presented one is refused as unauthorized, not compared. */
	assert_int_equal(decide(&none, true, NULL, "Bearer admin-token-0123456789abcdef", &m), TC_ERR_UNAUTHORIZED);
	assert_int_equal(decide(&none, false, NULL, NULL, &m), TC_ERR_UNAUTHORIZED);
	assert_non_null(strstr(tc_error_detail(), "disabled"));
	assert_int_equal(m, API_ADMIN_NONE);
}

/* ----------------------------------------------------------------------------- client certificate */

struct pki {
	EVP_PKEY *root_key, *admins_key, *foreign_key, *leaf_key;
	X509 *root, *admins, *foreign;
	X509 *admin1;   /* clientAuth, by root (admin by fingerprint) */
	X509 *admin2;   /* clientAuth, by the admins intermediate */
	X509 *ops;      /* clientAuth, by root, not an admin */
	X509 *server;   /* serverAuth only, by root */
	X509 *outsider; /* clientAuth, by the foreign root */
	struct api_tls tls;
};

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for KEY named CN, signed by ISSUER/IKEY (NULL: self-signed), valid now .. now + 30 days. */
static X509 *mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, bool ca, const char *eku)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 30 * DAY);
	X509_set_pubkey(x, key);
	add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (eku)
		add_ext(x, issuer, NID_ext_key_usage, eku);
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return x;
}

static X509_STORE *store_of(X509 *a, bool partial)
{
	X509_STORE *st = X509_STORE_new();

	assert_non_null(st);
	assert_int_equal(X509_STORE_add_cert(st, a), 1);
	if (partial)
		X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	return st;
}

static void fp_of(X509 *x, uint8_t out[32])
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	SHA256(der, (size_t)n, out);
	OPENSSL_free(der);
}

static int pki_setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->root_key = p256();
	p->admins_key = p256();
	p->foreign_key = p256();
	p->leaf_key = p256();
	p->root = mkcert(p->root_key, "client root", NULL, NULL, true, NULL);
	p->admins = mkcert(p->admins_key, "admins CA", p->root, p->root_key, true, NULL);
	p->foreign = mkcert(p->foreign_key, "foreign root", NULL, NULL, true, NULL);
	p->admin1 = mkcert(p->leaf_key, "admin-one", p->root, p->root_key, false, "clientAuth");
	p->admin2 = mkcert(p->leaf_key, "admin-two", p->admins, p->admins_key, false, "clientAuth");
	p->ops = mkcert(p->leaf_key, "operator", p->root, p->root_key, false, "clientAuth");
	p->server = mkcert(p->leaf_key, "server", p->root, p->root_key, false, "serverAuth");
	p->outsider = mkcert(p->leaf_key, "admin-one", p->foreign, p->foreign_key, false, "clientAuth");
	p->tls.client_ca = store_of(p->root, false);
	p->tls.admin_ca = store_of(p->admins, true);
	fp_of(p->admin1, p->tls.admin_fp[0]);
	p->tls.n_admin_fp = 1;
	*state = p;
	return 0;
}

static int pki_teardown(void **state)
{
	struct pki *p = *state;
	X509 *certs[] = { p->root, p->admins, p->foreign, p->admin1, p->admin2, p->ops, p->server, p->outsider };

	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->admins_key);
	EVP_PKEY_free(p->foreign_key);
	EVP_PKEY_free(p->leaf_key);
	X509_STORE_free(p->tls.client_ca);
	X509_STORE_free(p->tls.admin_ca);
	free(p);
	return 0;
}

/* Check the chain LEAF (+ INTER when non-NULL) at NOW. */
static struct api_client check(const struct api_tls *tls, X509 *leaf, X509 *inter, int64_t now)
{
	unsigned char *der[2] = { NULL, NULL };
	struct api_tls_peer peer = { .n = inter ? 2 : 1 };
	struct api_client c;

	for (size_t i = 0; i < peer.n; i++) {
		int n = i2d_X509(i == 0 ? leaf : inter, &der[i]);

		assert_true(n > 0);
		peer.der[i] = der[i];
		peer.len[i] = (size_t)n;
	}
	api_tls_client_check(tls, &peer, now, &c);
	OPENSSL_free(der[0]);
	OPENSSL_free(der[1]);
	return c;
}

static void test_client_verified(void **state)
{
	struct pki *p = *state;
	int64_t now = (int64_t)time(NULL);
	struct api_client c;
	uint8_t fp[32];
	char hex[65];

	c = check(&p->tls, p->admin1, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_true(c.admin); /* by fingerprint */
	fp_of(p->admin1, fp);
	assert_memory_equal(c.fp, fp, 32);
	assert_true(tc_is_ok(tc_hex_encode(fp, 32, hex, sizeof(hex))));
	assert_string_equal(c.fp_hex, hex);

	c = check(&p->tls, p->admin2, p->admins, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_true(c.admin); /* chains to the admins CA */

	c = check(&p->tls, p->ops, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_false(c.admin);
	/* An intermediate sent along with a root-issued leaf does not make it an admin. */
	c = check(&p->tls, p->ops, p->admins, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_false(c.admin);
}

static void test_client_refused(void **state)
{
	struct pki *p = *state;
	int64_t now = (int64_t)time(NULL);
	struct api_client c;
	struct api_tls_peer garbage = { .n = 1 };
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01, 0xff };

	c = check(&p->tls, p->outsider, NULL, now); /* same subject and key as admin1, foreign issuer */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	assert_true(strlen(c.why) > 0);
	c = check(&p->tls, p->admin2, NULL, now); /* intermediate missing */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	c = check(&p->tls, p->server, NULL, now); /* no clientAuth: purpose sslclient */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_non_null(strstr(c.why, "purpose"));
	c = check(&p->tls, p->admin1, NULL, now + 60 * DAY); /* expired by then */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_non_null(strstr(c.why, "expired"));
	assert_false(c.admin);
	c = check(&p->tls, p->admin1, NULL, now - 2 * DAY); /* not yet valid */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);

	garbage.der[0] = junk;
	garbage.len[0] = sizeof(junk);
	api_tls_client_check(&p->tls, &garbage, now, &c);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_non_null(strstr(c.why, "not DER"));
	/* Trailing bytes after a valid certificate are refused too. */
	unsigned char *der = NULL;
	int n = i2d_X509(p->admin1, &der);
	uint8_t *padded = malloc((size_t)n + 1);

	assert_non_null(padded);
	memcpy(padded, der, (size_t)n);
	padded[n] = 0;
	garbage.der[0] = padded;
	garbage.len[0] = (size_t)n + 1;
	api_tls_client_check(&p->tls, &garbage, now, &c);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	free(padded);
	OPENSSL_free(der);

	/* No client CA configured, or no certificate: no identity at all. */
	struct api_tls plain;

	memset(&plain, 0, sizeof(plain));
	c = check(&plain, p->admin1, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_NONE);
	api_tls_client_check(&p->tls, NULL, now, &c);
	assert_int_equal(c.cert, API_CLIENT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_client_cert),
		cmocka_unit_test(test_decide_unverified),
		cmocka_unit_test(test_decide_bearer),
		cmocka_unit_test_setup_teardown(test_client_verified, pki_setup, pki_teardown),
		cmocka_unit_test_setup_teardown(test_client_refused, pki_setup, pki_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
