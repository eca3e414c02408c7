/*
 * vf_x509.c — certificate helpers shared by the TDX, SNP and NVIDIA appraisers (vf_internal.h).
 *
 * Chains are verified against exactly one pinned anchor, never against a root that arrives with the
 * evidence. The check order follows ../shared/evidence/cases/README.md: path building, signatures and CA
 * constraints first (time ignored), then the validity window of every certificate in the built path.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "vf_internal.h"

#define VF_PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define VF_PEM_END "-----END CERTIFICATE-----"
#define VF_PEM_MAX_CERTS 16
#define VF_SUBJECT_MAX 256

/* RFC 3339 text of T for details, "?" when out of range. */
static void time_text(int64_t t, char out[TC_TIME_RFC3339_LEN])
{
	if (!tc_is_ok(tc_time_format(t, out)))
		snprintf(out, TC_TIME_RFC3339_LEN, "?");
}

static void subject_of(X509 *x, char *buf, size_t size)
{
	X509_NAME_oneline(X509_get_subject_name(x), buf, (int)size);
}

TC_RESULT vf_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	TC_ENSURE(t && ASN1_TIME_to_tm(t, &tm) == 1, TC_ERR_EVIDENCE_MALFORMED, "invalid ASN.1 time");
	*out = (int64_t)timegm(&tm);
	return tc_ok();
}

TC_RESULT vf_x509_parse(const uint8_t *data, size_t len, enum tc_code fail_code, X509 **out)
{
	X509 *x = NULL;

	TC_ENSURE(data && len > 0 && len <= INT32_MAX, fail_code, "empty certificate");
	if (len > strlen(VF_PEM_BEGIN) && memmem(data, len, VF_PEM_BEGIN, strlen(VF_PEM_BEGIN))) {
		STACK_OF(X509) *sk = NULL;

		TC_GUARD(vf_x509_parse_pem_chain(data, len, fail_code, &sk));
		if (sk_X509_num(sk) != 1) {
			int n = sk_X509_num(sk);

			sk_X509_pop_free(sk, X509_free);
			return tc_fail(fail_code, "expected one PEM certificate, found %d", n);
		}
		x = sk_X509_shift(sk);
		sk_X509_free(sk);
	} else {
		const unsigned char *p = data;

		x = d2i_X509(NULL, &p, (long)len);
		if (!x)
			return tc_fail_openssl(fail_code, "certificate is neither PEM nor valid DER");
		if (p != data + len) {
			X509_free(x);
			return tc_fail(fail_code, "%zu bytes after the DER certificate", (size_t)(data + len - p));
		}
	}
	*out = x;
	return tc_ok();
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_base64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
	       c == '=';
}

/* Between the BEGIN and END lines (RFC 7468 §3) only base64 text and line breaks may appear; anything else
 * (a damaged END line, a stray BEGIN) would let the PEM reader silently swallow the next block. */
static bool pem_body_clean(const uint8_t *body, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_base64(body[i]) && !is_space(body[i]))
			return false;
	return true;
}

/* Skip whitespace; a run of NUL bytes is accepted only as padding at the very end. */
static TC_RESULT skip_space(struct tc_cursor *c, bool *at_end)
{
	while (tc_cursor_remaining(c) > 0) {
		uint8_t ch = c->data[c->pos];

		if (ch == 0) {
			const uint8_t *tail;
			size_t rest = tc_cursor_remaining(c);

			TC_GUARD(tc_cursor_view(c, rest, &tail));
			for (size_t i = 0; i < rest; i++)
				TC_ENSURE(tail[i] == 0, TC_ERR_CERT_CHAIN_INVALID, "NUL byte inside the PEM text");
			break;
		}
		if (!is_space(ch)) {
			*at_end = false;
			return tc_ok();
		}
		TC_GUARD(tc_cursor_skip(c, 1));
	}
	*at_end = true;
	return tc_ok();
}

TC_RESULT vf_x509_parse_pem_chain(const uint8_t *pem, size_t len, enum tc_code fail_code, STACK_OF(X509) **out)
{
	struct tc_cursor c;
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct tc_result r = tc_ok();
	int block = 0;

	TC_ENSURE(sk, TC_ERR_NO_MEMORY, "certificate stack");
	tc_cursor_init(&c, pem, len);
	for (;;) {
		bool at_end = false;
		const uint8_t *start, *end;
		size_t begin_len = strlen(VF_PEM_BEGIN), end_len = strlen(VF_PEM_END), remaining, block_len;
		BIO *bio;
		X509 *x;

		r = skip_space(&c, &at_end);
		if (!tc_is_ok(r)) {
			r = tc_fail(fail_code, "certificate %d: %s", block, tc_error_detail());
			goto fail;
		}
		if (at_end)
			break;
		remaining = tc_cursor_remaining(&c);
		start = c.data + c.pos;
		TC_ENSURE_GOTO(r, remaining >= begin_len && memcmp(start, VF_PEM_BEGIN, begin_len) == 0, fail, fail_code,
			       "certificate %d: expected '%s' at byte %zu", block, VF_PEM_BEGIN, c.pos);
		end = memmem(start, remaining, VF_PEM_END, end_len);
		TC_ENSURE_GOTO(r, end != NULL, fail, fail_code, "certificate %d: no '%s' line", block, VF_PEM_END);
		block_len = (size_t)(end - start) + end_len;
		TC_ENSURE_GOTO(r, pem_body_clean(start + begin_len, (size_t)(end - start) - begin_len), fail, fail_code,
			       "certificate %d: the PEM block holds text other than base64", block);
		TC_ENSURE_GOTO(r, block < VF_PEM_MAX_CERTS, fail, fail_code, "more than %d certificates",
			       VF_PEM_MAX_CERTS);
		bio = BIO_new_mem_buf(start, (int)block_len);
		TC_ENSURE_GOTO(r, bio, fail, TC_ERR_NO_MEMORY, "PEM buffer");
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (!x) {
			r = tc_fail_openssl(fail_code, "PEM certificate does not decode");
			r = tc_fail(fail_code, "certificate %d: %s", block, tc_error_detail());
			goto fail;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			r = tc_fail(TC_ERR_NO_MEMORY, "certificate stack");
			goto fail;
		}
		TC_GUARD_GOTO(r, tc_cursor_skip(&c, block_len), fail);
		/* the END line must be followed by whitespace or the end of the text */
		if (tc_cursor_remaining(&c) > 0) {
			uint8_t next = c.data[c.pos];

			TC_ENSURE_GOTO(r, is_space(next) || next == 0, fail, fail_code,
				       "certificate %d: garbage after the END line", block);
		}
		block++;
	}
	TC_ENSURE_GOTO(r, block > 0, fail, fail_code, "no PEM certificate found");
	*out = sk;
	return tc_ok();
fail:
	sk_X509_pop_free(sk, X509_free);
	return r;
}

static bool leaf_can_sign(X509 *leaf)
{
	uint32_t ku;

	if (X509_check_ca(leaf) > 0)
		return false;
	ku = X509_get_key_usage(leaf); /* UINT32_MAX when the extension is absent */
	return ku == UINT32_MAX || (ku & KU_DIGITAL_SIGNATURE);
}

TC_RESULT vf_x509_verify_chain(X509 *leaf, STACK_OF(X509) *untrusted, X509 *anchor, int64_t now, unsigned flags,
			       enum tc_code chain_code, STACK_OF(X509) **chain_out)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = NULL;
	char subject[VF_SUBJECT_MAX];
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, store && ctx, out, TC_ERR_NO_MEMORY, "X509 store");
	TC_ENSURE_GOTO(r, leaf && anchor, out, chain_code, "missing certificate or trust anchor");
	if (X509_STORE_add_cert(store, anchor) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "adding the trust anchor");
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "X509 verify context");
		goto out;
	}
	/* Step 1: structure and signatures; time is checked separately below (README check order). */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME |
					      ((flags & VF_CHAIN_NOT_STRICT) ? 0 : X509_V_FLAG_X509_STRICT));
	if (X509_verify_cert(ctx) != 1) {
		int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);

		tc_openssl_clear();
		subject[0] = 0;
		if (bad)
			subject_of(bad, subject, sizeof(subject));
		r = tc_fail(chain_code, "chain does not verify to the pinned anchor: %s (depth %d, %s)",
			    X509_verify_cert_error_string(err), depth, subject[0] ? subject : "?");
		goto out;
	}
	if ((flags & VF_CHAIN_LEAF_SIGNER) && !leaf_can_sign(leaf)) {
		subject_of(leaf, subject, sizeof(subject));
		r = tc_fail(chain_code, "leaf %s is a CA or lacks digitalSignature", subject);
		goto out;
	}
	chain = X509_STORE_CTX_get1_chain(ctx);
	TC_ENSURE_GOTO(r, chain, out, TC_ERR_NO_MEMORY, "chain copy");
	/* Step 2: validity windows of every certificate in the built path. */
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t nb = 0, na = 0;
		char t0[TC_TIME_RFC3339_LEN] = "?", t1[TC_TIME_RFC3339_LEN] = "?", tn[TC_TIME_RFC3339_LEN] = "?";

		TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_get0_notBefore(x), &nb), out);
		TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_get0_notAfter(x), &na), out);
		if (now < nb || now > na) {
			subject_of(x, subject, sizeof(subject));
			time_text(nb, t0);
			time_text(na, t1);
			time_text(now, tn);
			r = tc_fail(TC_ERR_CERT_EXPIRED, "%s (depth %d) is valid %s..%s, not at %s", subject, i, t0, t1,
				    tn);
			goto out;
		}
	}
	if (chain_out) {
		*chain_out = chain;
		chain = NULL;
	}
out:
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

TC_RESULT vf_x509_check_crl(const uint8_t *der, size_t len, X509 *issuer, int64_t now, STACK_OF(X509) *certs,
			    const char *role)
{
	const unsigned char *p = der;
	X509_CRL *crl = NULL;
	EVP_PKEY *key;
	int64_t this_update = 0, next_update = 0;
	struct tc_result r = tc_ok();

	TC_ENSURE(der && len > 0 && len <= INT32_MAX, TC_ERR_COLLATERAL_MISSING, "%s is empty", role);
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (!crl)
		return tc_fail_openssl(TC_ERR_EVIDENCE_MALFORMED, role);
	key = X509_get0_pubkey(issuer);
	if (!key || X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
	    X509_CRL_verify(crl, key) != 1) {
		tc_openssl_clear();
		r = tc_fail(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s is not signed by its issuer", role);
		goto out;
	}
	TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), &this_update), out);
	TC_ENSURE_GOTO(r, X509_CRL_get0_nextUpdate(crl), out, TC_ERR_COLLATERAL_EXPIRED, "%s has no nextUpdate", role);
	TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl), &next_update), out);
	if (now < this_update || now >= next_update) {
		char t0[TC_TIME_RFC3339_LEN] = "?", t1[TC_TIME_RFC3339_LEN] = "?";

		time_text(this_update, t0);
		time_text(next_update, t1);
		r = tc_fail(TC_ERR_COLLATERAL_EXPIRED, "%s is valid %s..%s", role, t0, t1);
		goto out;
	}
	for (int i = 0; certs && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		X509_REVOKED *rev = NULL;

		if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer)) != 0)
			continue;
		if (X509_CRL_get0_by_cert(crl, &rev, x) == 1) {
			char subject[VF_SUBJECT_MAX];

			subject_of(x, subject, sizeof(subject));
			r = tc_fail(TC_ERR_CERT_REVOKED, "%s is revoked by %s", subject, role);
			goto out;
		}
	}
out:
	X509_CRL_free(crl);
	return r;
}

bool vf_ecdsa_verify_raw(EVP_PKEY *pkey, const uint8_t *dgst, size_t dgst_len, const uint8_t *sig, size_t coord_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)coord_len, NULL), *ss = BN_bin2bn(sig + coord_len, (int)coord_len, NULL);
	unsigned char *der = NULL;
	int der_len;
	EVP_PKEY_CTX *ctx = NULL;
	bool ok = false;

	if (!s || !r || !ss || ECDSA_SIG_set0(s, r, ss) != 1)
		goto out;
	r = ss = NULL; /* owned by s now */
	der_len = i2d_ECDSA_SIG(s, &der);
	if (der_len <= 0)
		goto out;
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
	     EVP_PKEY_verify(ctx, der, (size_t)der_len, dgst, dgst_len) == 1;
out:
	tc_openssl_clear();
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return ok;
}

/* The marker OID as an ASN1_OBJECT (created on each call; cheap next to a chain verification). */
static ASN1_OBJECT *sim_oid(void)
{
	return OBJ_txt2obj(VF_SIM_ROOT_OID, 1);
}

bool vf_x509_is_simulated(X509 *anchor)
{
	ASN1_OBJECT *oid = sim_oid();
	bool sim = oid && anchor && X509_get_ext_by_OBJ(anchor, oid, -1) >= 0;

	ASN1_OBJECT_free(oid);
	return sim;
}

TC_RESULT vf_x509_mark_simulated(X509 *x)
{
	static const unsigned char der_null[] = { 0x05, 0x00 };
	ASN1_OBJECT *oid = sim_oid();
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	struct tc_result r = tc_ok();

	if (!oid || !value || ASN1_OCTET_STRING_set(value, der_null, sizeof(der_null)) != 1 ||
	    !(ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, value)) || X509_add_ext(x, ext, -1) != 1)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "adding the simulated-root marker");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(value);
	ASN1_OBJECT_free(oid);
	return r;
}
