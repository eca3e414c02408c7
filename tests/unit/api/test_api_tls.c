/*
 * test_api_tls.c — the admin decision (api_auth_admin_decide: admin client certificate OR bearer token,
 * 401 vs 403) and the client certificate check (api_tls_client_check: OpenSSL verification against the
 * client CA store with purpose sslclient and the given time; admin by fingerprint or by the admin CA store)
 * on a small PKI generated here: client root -> admins intermediate -> admin leaf, client root -> leaves,
 * and a foreign root. Revocation (--client-crl, api_tls_crl_load/api_tls_crl_get): CRLs made here with the
 * OpenSSL API, written to PEM files in a temporary folder and loaded, replaced and broken while checking.
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

#include <openssl/evp.h>
#include <openssl/pem.h>
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
	api_tls_crl_free(&p->tls.crls);
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

/* ------------------------------------------------------------------------------------ --client-crl */

/*
 * A CRL of ISSUER/IKEY revoking the N certificates REVOKED, thisUpdate a minute ago, nextUpdate NEXT_S
 * seconds from now (negative: already past).
 */
static X509_CRL *mkcrl(X509 *issuer, EVP_PKEY *ikey, X509 *const *revoked, size_t n, long next_s)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_adj(NULL, time(NULL), 0, -60);
	ASN1_TIME *next = ASN1_TIME_adj(NULL, time(NULL), 0, next_s);

	assert_non_null(crl);
	assert_non_null(last);
	assert_non_null(next);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, last), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();

		assert_non_null(r);
		assert_int_equal(X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked[i])), 1);
		assert_int_equal(X509_REVOKED_set_revocationDate(r, last), 1);
		assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
	}
	assert_int_equal(X509_CRL_sort(crl), 1);
	assert_true(X509_CRL_sign(crl, ikey, EVP_sha256()) > 0);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	return crl;
}

/* Replace PATH (rename: a new inode, as an operator's atomic update) with the PEM of CRLS (N of them). */
static void write_crls(const char *path, X509_CRL *const *crls, size_t n)
{
	char tmp[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_X509_CRL(f, crls[i]), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static void write_text(const char *path, const char *text)
{
	char tmp[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

struct crl_fixture {
	struct pki *p;
	char dir[256];
	char root_crl[300];   /* the client root's CRL */
	char admins_crl[300]; /* the admins intermediate's CRL */
};

static int crl_setup(void **state)
{
	struct crl_fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	pki_setup((void **)&f->p);
	snprintf(f->dir, sizeof(f->dir), "%s/test_api_tls_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root_crl, sizeof(f->root_crl), "%s/root.crl", f->dir);
	snprintf(f->admins_crl, sizeof(f->admins_crl), "%s/admins.crl", f->dir);
	*state = f;
	return 0;
}

static int crl_teardown(void **state)
{
	struct crl_fixture *f = *state;

	pki_teardown((void **)&f->p);
	unlink(f->root_crl);
	unlink(f->admins_crl);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Write the root's CRL revoking ROOT_REVOKED (N) and the admins CA's CRL revoking nothing. */
static void write_pair(struct crl_fixture *f, X509 *const *root_revoked, size_t n, long next_s)
{
	X509_CRL *root = mkcrl(f->p->root, f->p->root_key, root_revoked, n, next_s);
	X509_CRL *admins = mkcrl(f->p->admins, f->p->admins_key, NULL, 0, next_s);

	write_crls(f->root_crl, &root, 1);
	write_crls(f->admins_crl, &admins, 1);
	X509_CRL_free(root);
	X509_CRL_free(admins);
}

static TC_RESULT load_pair(struct crl_fixture *f)
{
	const char *files[] = { f->root_crl, f->admins_crl };

	return api_tls_crl_load(&f->p->tls, files, 2);
}

static void test_crl_revoked(void **state)
{
	struct crl_fixture *f = *state;
	struct pki *p = f->p;
	int64_t now = (int64_t)time(NULL);
	struct api_client c;

	write_pair(f, &p->ops, 1, 7 * DAY);
	assert_true(tc_is_ok(load_pair(f)));
	c = check(&p->tls, p->ops, NULL, now); /* revoked: what an unverified certificate gets */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	assert_non_null(strstr(c.why, "revoked"));
	assert_int_equal(c.crl_gen, 1);
	c = check(&p->tls, p->admin1, NULL, now); /* not revoked, CRL from its issuer: verified, still admin */
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_true(c.admin);
	assert_int_equal(c.crl_gen, 1);
	/* leaf -> admins -> root: both CRLs needed (CRL_CHECK_ALL), both there; the admin CA pass passes too. */
	c = check(&p->tls, p->admin2, p->admins, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_true(c.admin);
	assert_int_equal(api_tls_crl_generation(p->tls.crls, now), 1);
	/* Without --client-crl the same revoked certificate verifies (nothing checks revocation). */
	api_tls_crl_free(&p->tls.crls);
	assert_int_equal(api_tls_crl_generation(p->tls.crls, now), 0);
	c = check(&p->tls, p->ops, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_int_equal(c.crl_gen, 0);
}

static void test_crl_chain(void **state)
{
	struct crl_fixture *f = *state;
	struct pki *p = f->p;
	int64_t now = (int64_t)time(NULL);
	struct api_client c;
	const char *root_only[] = { f->root_crl };

	/* Only the root's CRL: a certificate issued by the admins CA has no CRL from its issuer. */
	write_pair(f, NULL, 0, 7 * DAY);
	assert_true(tc_is_ok(api_tls_crl_load(&p->tls, root_only, 1)));
	c = check(&p->tls, p->admin2, p->admins, now);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	assert_non_null(strstr(c.why, "unable to get certificate CRL"));
	c = check(&p->tls, p->admin1, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	api_tls_crl_free(&p->tls.crls);

	/* The root revokes the admins intermediate: its (unrevoked) leaf fails too, at depth 1 (CRL_CHECK_ALL). */
	write_pair(f, &p->admins, 1, 7 * DAY);
	assert_true(tc_is_ok(load_pair(f)));
	c = check(&p->tls, p->admin2, p->admins, now);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	assert_non_null(strstr(c.why, "revoked (depth 1)"));
	c = check(&p->tls, p->admin1, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
}

static void test_crl_expired(void **state)
{
	struct crl_fixture *f = *state;
	struct pki *p = f->p;
	int64_t now = (int64_t)time(NULL);
	struct api_client c;

	write_pair(f, NULL, 0, DAY);
	assert_true(tc_is_ok(load_pair(f)));
	assert_int_equal(check(&p->tls, p->admin1, NULL, now).cert, API_CLIENT_VERIFIED);
	c = check(&p->tls, p->admin1, NULL, now + 2 * DAY); /* the CRL's nextUpdate has passed by then */
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	assert_non_null(strstr(c.why, "CRL has expired"));
	api_tls_crl_free(&p->tls.crls);

	/* Past its nextUpdate already when loaded: accepted at start, then every check needing it fails. */
	write_pair(f, NULL, 0, -60);
	assert_true(tc_is_ok(load_pair(f)));
	c = check(&p->tls, p->admin1, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_non_null(strstr(c.why, "CRL has expired"));
}

static void test_crl_reload(void **state)
{
	struct crl_fixture *f = *state;
	struct pki *p = f->p;
	int64_t now = (int64_t)time(NULL);
	struct api_client c;
	X509_CRL *foreign;

	write_pair(f, NULL, 0, 7 * DAY);
	assert_true(tc_is_ok(load_pair(f)));
	c = check(&p->tls, p->admin1, NULL, now);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_int_equal(c.crl_gen, 1);

	/* The root's CRL now revokes admin1: seen at the next look at the files. */
	X509_CRL *crl = mkcrl(p->root, p->root_key, &p->admin1, 1, 7 * DAY);

	write_crls(f->root_crl, &crl, 1);
	X509_CRL_free(crl);
	c = check(&p->tls, p->admin1, NULL, now + 5);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_false(c.admin);
	assert_non_null(strstr(c.why, "revoked"));
	assert_int_equal(c.crl_gen, 2);
	assert_int_equal(check(&p->tls, p->ops, NULL, now + 5).cert, API_CLIENT_VERIFIED);

	/* Within API_TLS_CRL_POLL_S of the last look the files are not looked at. */
	crl = mkcrl(p->root, p->root_key, &p->ops, 1, 7 * DAY);
	write_crls(f->root_crl, &crl, 1);
	X509_CRL_free(crl);
	assert_int_equal(api_tls_crl_generation(p->tls.crls, now + 5), 2);
	assert_int_equal(check(&p->tls, p->ops, NULL, now + 5).cert, API_CLIENT_VERIFIED);
	assert_int_equal(check(&p->tls, p->admin1, NULL, now + 5).cert, API_CLIENT_UNVERIFIED);
	c = check(&p->tls, p->ops, NULL, now + 6);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_int_equal(c.crl_gen, 3);
	assert_int_equal(check(&p->tls, p->admin1, NULL, now + 6).cert, API_CLIENT_VERIFIED);

	/* A broken file, then a CRL signed by a foreign CA: both logged and refused, generation 3 stays. */
	write_text(f->root_crl, "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n");
	c = check(&p->tls, p->ops, NULL, now + 8);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_int_equal(c.crl_gen, 3);
	assert_int_equal(check(&p->tls, p->admin1, NULL, now + 8).cert, API_CLIENT_VERIFIED);
	foreign = mkcrl(p->foreign, p->foreign_key, NULL, 0, 7 * DAY);
	write_crls(f->root_crl, &foreign, 1);
	X509_CRL_free(foreign);
	c = check(&p->tls, p->ops, NULL, now + 10);
	assert_int_equal(c.cert, API_CLIENT_UNVERIFIED);
	assert_int_equal(c.crl_gen, 3);
	/* A missing file: the same. */
	assert_int_equal(unlink(f->root_crl), 0);
	assert_int_equal(api_tls_crl_generation(p->tls.crls, now + 12), 3);
	assert_int_equal(check(&p->tls, p->ops, NULL, now + 12).cert, API_CLIENT_UNVERIFIED);
	/* Fixed: the good file is taken. */
	write_pair(f, NULL, 0, 7 * DAY);
	c = check(&p->tls, p->ops, NULL, now + 14);
	assert_int_equal(c.cert, API_CLIENT_VERIFIED);
	assert_int_equal(c.crl_gen, 4);
}

static void test_crl_load_refused(void **state)
{
	struct crl_fixture *f = *state;
	struct pki *p = f->p;
	const char *one[] = { f->root_crl };
	X509_CRL *crl;
	struct api_tls plain;

	/* Signed by a CA that is neither --client-ca nor --admin-client-ca. */
	crl = mkcrl(p->foreign, p->foreign_key, NULL, 0, 7 * DAY);
	write_crls(f->root_crl, &crl, 1);
	X509_CRL_free(crl);
	assert_int_equal(api_tls_crl_load(&p->tls, one, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(tc_error_detail(), "not signed by a certificate of --client-ca"));
	assert_null(p->tls.crls);
	/* The root's name, a foreign key: the signature does not verify. */
	X509 *impostor = mkcert(p->foreign_key, "client root", NULL, NULL, true, NULL);

	crl = mkcrl(impostor, p->foreign_key, NULL, 0, 7 * DAY);
	X509_free(impostor);
	write_crls(f->root_crl, &crl, 1);
	X509_CRL_free(crl);
	assert_int_equal(api_tls_crl_load(&p->tls, one, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(tc_error_detail(), "not signed by"));
	/* Not a CRL, a broken CRL block, no file. */
	write_text(f->root_crl, "hello\n");
	assert_int_equal(api_tls_crl_load(&p->tls, one, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(tc_error_detail(), "no PEM X509 CRL"));
	write_text(f->root_crl, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
	assert_int_equal(api_tls_crl_load(&p->tls, one, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(tc_error_detail(), "not a CRL"));
	unlink(f->root_crl);
	assert_false(tc_is_ok(api_tls_crl_load(&p->tls, one, 1)));
	assert_null(p->tls.crls);
	/* No client CA store: refused before any file is read. */
	memset(&plain, 0, sizeof(plain));
	assert_int_equal(api_tls_crl_load(&plain, one, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(tc_error_detail(), "needs --client-ca"));
	/* The admins CA (only in --admin-client-ca here) may sign a CRL too. */
	X509_STORE_free(p->tls.client_ca);
	p->tls.client_ca = store_of(p->root, false);
	crl = mkcrl(p->admins, p->admins_key, NULL, 0, 7 * DAY);
	write_crls(f->admins_crl, &crl, 1);
	X509_CRL_free(crl);
	const char *admins_only[] = { f->admins_crl };

	assert_true(tc_is_ok(api_tls_crl_load(&p->tls, admins_only, 1)));
	assert_int_equal(api_tls_crl_generation(p->tls.crls, (int64_t)time(NULL)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_client_cert),
		cmocka_unit_test(test_decide_unverified),
		cmocka_unit_test(test_decide_bearer),
		cmocka_unit_test_setup_teardown(test_client_verified, pki_setup, pki_teardown),
		cmocka_unit_test_setup_teardown(test_client_refused, pki_setup, pki_teardown),
		cmocka_unit_test_setup_teardown(test_crl_revoked, crl_setup, crl_teardown),
		cmocka_unit_test_setup_teardown(test_crl_chain, crl_setup, crl_teardown),
		cmocka_unit_test_setup_teardown(test_crl_expired, crl_setup, crl_teardown),
		cmocka_unit_test_setup_teardown(test_crl_reload, crl_setup, crl_teardown),
		cmocka_unit_test_setup_teardown(test_crl_load_refused, crl_setup, crl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
