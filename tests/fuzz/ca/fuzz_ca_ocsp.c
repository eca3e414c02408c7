/*
 * fuzz_ca_ocsp.c — fuzz target: the OCSP responder (ca_ocsp_respond), whose request bytes come from anyone
 * (POST /v1/ocsp, GET /v1/ocsp/{base64}). The first byte picks the mode:
 *   0: the rest is the request DER as received;
 *   1: the rest describes a well-formed request for this responder's CA, built with OpenSSL: how many
 *      CertIDs (1..4) and their hash (SHA-1 / SHA-256), the serials, a nonce of any length (or an
 *      extension value given as raw bytes), a second nonce;
 *   2: as 1, then the last bytes flip bytes of the DER (position, xor).
 * Invariants checked (abort otherwise): the reply always parses as an OCSPResponse; a successful one has a
 * BasicOCSPResponse signed with the responder's key; a well-formed request (mode 1) without a nonce, or
 * with one nonce extension holding an OCTET STRING of 1..128 octets, is answered successfully (the nonce
 * echoed) unless the lookup fails (tryLater); with any other nonce it is malformedRequest.
 * The CA is made once per process: a P-256 file signer without a file and a self-signed certificate of its
 * key. Seeds: corpus_ocsp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ca.h"

static struct ca_signer *g_signer;
static X509 *g_ca;
static uint8_t *g_ca_der;
static size_t g_ca_len;

/* Serials ending in 0xff fail the lookup (tryLater), 0xfe are revoked, 0xfd unknown, the rest good. */
static struct tc_result lookup(void *ctx, const uint8_t *serial, size_t len, struct ca_ocsp_status *out)
{
	(void)ctx;
	uint8_t last = len > 0 ? serial[len - 1] : 0;
	memset(out, 0, sizeof(*out));
	if (last == 0xff)
		return tc_fail(TC_ERR_DB_UNAVAILABLE, "fuzz: lookup down");
	out->status = last == 0xfe ? CA_OCSP_REVOKED : last == 0xfd ? CA_OCSP_UNKNOWN : CA_OCSP_GOOD;
	out->revoked_at = 1700000000;
	out->reason = CA_REASON_NONE;
	return tc_ok();
}

static void setup(void)
{
	struct tc_buf spki;
	const unsigned char *p;
	EVP_PKEY *pub, *other;

	if (g_ca != NULL)
		return;
	if (!tc_is_ok(ca_signer_file_generate(CA_KEY_P256, NULL, NULL, 0, &g_signer)))
		abort();
	tc_buf_init(&spki, 4096);
	if (!tc_is_ok(g_signer->public_key(g_signer, &spki)))
		abort();
	p = spki.data;
	pub = d2i_PUBKEY(NULL, &p, (long)spki.len);
	other = EVP_EC_gen("P-256"); /* signs the certificate: the responder only reads its name and key */
	g_ca = X509_new();
	if (pub == NULL || other == NULL || g_ca == NULL)
		abort();
	X509_NAME *name = X509_get_subject_name(g_ca);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz OCSP CA", -1, -1, 0);
	X509_set_issuer_name(g_ca, name);
	X509_set_version(g_ca, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(g_ca), 1);
	X509_gmtime_adj(X509_getm_notBefore(g_ca), 0);
	X509_gmtime_adj(X509_getm_notAfter(g_ca), 86400);
	X509_set_pubkey(g_ca, pub);
	if (X509_sign(g_ca, other, EVP_sha256()) <= 0)
		abort();
	int n = i2d_X509(g_ca, &g_ca_der);
	if (n <= 0)
		abort();
	g_ca_len = (size_t)n;
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
	tc_buf_cleanup(&spki);
}

/* What a mode 1 request must get. */
enum expect { EXPECT_ANY, EXPECT_ANSWER, EXPECT_MALFORMED };

/* Is the extension value V (LEN bytes) the DER of one OCTET STRING of 1..128 octets? (the test's oracle) */
static bool nonce_ok(const uint8_t *v, size_t len)
{
	const unsigned char *p = v;
	ASN1_OCTET_STRING *o = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
	bool ok = o != NULL && p == v + len && ASN1_STRING_length(o) >= 1 && ASN1_STRING_length(o) <= 128;
	ASN1_OCTET_STRING_free(o);
	return ok;
}

/* A request for our CA from D (mode 1's description) and what it must get. */
static OCSP_REQUEST *build(const uint8_t *d, size_t n, enum expect *expect)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	size_t ids = n > 0 ? 1 + d[0] % 4 : 1, at = 1;
	*expect = EXPECT_ANSWER;
	for (size_t i = 0; i < ids; i++) {
		size_t slen = at < n ? 1 + d[at] % 20 : 1;
		const EVP_MD *md = at < n && (d[at] & 0x80) ? EVP_sha256() : EVP_sha1();
		ASN1_INTEGER *serial = ASN1_INTEGER_new();
		uint8_t s[20] = { 0 };
		at++;
		for (size_t k = 0; k < slen && at < n; k++)
			s[k] = d[at++];
		BIGNUM *bn = BN_bin2bn(s, (int)slen, NULL);
		BN_to_ASN1_INTEGER(bn, serial);
		BN_free(bn);
		OCSP_CERTID *id =
			OCSP_cert_id_new(md, X509_get_subject_name(g_ca), X509_get0_pubkey_bitstr(g_ca), serial);
		ASN1_INTEGER_free(serial);
		if (id == NULL || OCSP_request_add0_id(req, id) == NULL)
			abort();
	}
	if (at < n && d[at] == 0xfe) { /* the extension's value given raw: 0..15 bytes */
		size_t vlen = at + 1 < n ? d[at + 1] % 16 : 0;
		uint8_t v[16] = { 0 };
		at += 2;
		for (size_t k = 0; k < vlen && at < n; k++)
			v[k] = d[at++];
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e = NULL;
		if (os == NULL || ASN1_OCTET_STRING_set(os, v, (int)vlen) != 1 ||
		    (e = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0, os)) == NULL ||
		    OCSP_REQUEST_add_ext(req, e, -1) != 1)
			abort();
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		*expect = nonce_ok(v, vlen) ? EXPECT_ANSWER : EXPECT_MALFORMED;
	} else if (at < n && d[at] != 0) {
		size_t nlen = d[at] == 0xff ? 129 : d[at];
		uint8_t nonce[256] = { 0 };
		at++;
		for (size_t k = 0; k < nlen && at < n; k++)
			nonce[k] = d[at++];
		if (OCSP_request_add1_nonce(req, nonce, (int)nlen) != 1)
			abort();
		*expect = nlen <= CA_OCSP_NONCE_MAX ? EXPECT_ANSWER : EXPECT_MALFORMED;
	}
	if (OCSP_REQUEST_get_ext_count(req) > 0 && at < n && (d[at] & 1)) { /* a second nonce extension */
		X509_EXTENSION *dup = X509_EXTENSION_dup(OCSP_REQUEST_get_ext(req, 0));
		if (dup == NULL || OCSP_REQUEST_add_ext(req, dup, -1) != 1)
			abort();
		X509_EXTENSION_free(dup);
		*expect = EXPECT_MALFORMED;
	}
	return req;
}

/* Any reply parses; a successful one is signed with the signer's key; then what EXPECT says. */
static void check_reply(const struct tc_buf *resp, OCSP_REQUEST *req, enum expect expect)
{
	const unsigned char *p = resp->data;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)resp->len);
	if (r == NULL || p != resp->data + resp->len)
		abort();
	int status = OCSP_response_status(r);
	if (status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
		STACK_OF(X509) *certs = sk_X509_new_null();
		if (bs == NULL || certs == NULL || sk_X509_push(certs, g_ca) <= 0)
			abort();
		/* The signature under the CA's key (the CA certificate itself is not a trusted root here). */
		if (OCSP_basic_verify(bs, certs, NULL, OCSP_TRUSTOTHER | OCSP_NOVERIFY | OCSP_NOCHECKS) != 1)
			abort();
		/* A nonce sent is echoed (1), none sent is none echoed (2); a refused one never gets here. */
		int nonce = OCSP_check_nonce(req, bs);
		if (expect == EXPECT_MALFORMED || (expect == EXPECT_ANSWER && nonce != 1 && nonce != 2))
			abort();
		sk_X509_free(certs);
		OCSP_BASICRESP_free(bs);
	} else if ((expect == EXPECT_ANSWER && status != OCSP_RESPONSE_STATUS_TRYLATER) ||
		   (expect == EXPECT_MALFORMED && status != OCSP_RESPONSE_STATUS_MALFORMEDREQUEST)) {
		abort();
	}
	OCSP_RESPONSE_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_ocsp_responder rs;
	struct ca_ocsp_result res;
	struct tc_buf out;
	OCSP_REQUEST *req = NULL;
	unsigned char *der = NULL;
	const uint8_t *in;
	size_t len;
	enum expect expect = EXPECT_ANY;

	if (size < 1)
		return 0;
	setup();
	int mode = data[0] % 3;
	if (mode == 0) {
		in = data + 1;
		len = size - 1;
	} else {
		req = build(data + 1, size - 1, &expect);
		int n = i2d_OCSP_REQUEST(req, &der);
		if (n <= 0)
			abort();
		if (mode == 2)
			for (size_t k = size > 4 ? size - 4 : 1; k + 1 < size; k += 2)
				der[data[k] % n] ^= data[k + 1];
		in = der;
		len = (size_t)n;
	}
	memset(&rs, 0, sizeof(rs));
	rs.ca_cert_der = g_ca_der;
	rs.ca_cert_len = g_ca_len;
	rs.signer = g_signer;
	rs.validity_s = 3600;
	rs.lookup = lookup;
	tc_buf_init(&out, 1024 * 1024);
	if (tc_is_ok(ca_ocsp_respond(&rs, in, len, 1750000000, &out, &res)))
		check_reply(&out, req, mode == 1 ? expect : EXPECT_ANY);
	tc_buf_cleanup(&out);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return 0;
}
