/*
 * vf_tdx_chain.c — certificate chains, CRLs and signed PCS documents for TDX, to the pinned Intel root.
 *
 * PCK chain (certification data type 5): PCK -> Intel SGX PCK Platform/Processor CA -> Intel SGX Root CA.
 * Collateral signer chains: Intel SGX TCB Signing -> Root; PCK CRL issuer chain: Platform/Processor CA ->
 * Root. Only the configured anchor (role intel_root) is trusted; a root embedded in the data is accepted
 * only when it is byte-for-byte that anchor, and every embedded certificate must be part of the path.
 *
 * The time-independent part (PEM strictness, path building, signatures, CA flags; the CRL and PCS
 * document signatures) is memoized in vf_tdx_cache.c; validity windows are checked on every call.
 * Path verification itself is vf_x509_verify_chain (vf_internal.h), run at an instant inside every
 * certificate's window so that only its structure step can fail; windows are then checked here.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vf_internal.h"
#include "vf_tdx.h"

/* SHA-256 over TAG || DATA || EXTRA (EXTRA may be NULL): the memo key of one verification fact. */
static TC_RESULT memo_key(const char *tag, const uint8_t *data, size_t len, const uint8_t *extra, size_t extra_len,
			  uint8_t out[VF_TDX_SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(ctx, tag, strlen(tag) + 1) == 1 && EVP_DigestUpdate(ctx, data, len) == 1 &&
		  (extra == NULL || EVP_DigestUpdate(ctx, extra, extra_len) == 1) &&
		  EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == VF_TDX_SHA256_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256");
	return tc_ok();
}

/* Re-raise a failure with WHAT in front of its detail (the detail buffer is per thread: copy it first). */
static struct tc_result prefixed(struct tc_result r, const char *what)
{
	char detail[TC_DETAIL_MAX];
	snprintf(detail, sizeof detail, "%s", tc_error_detail());
	return tc_fail(r.code, "%s: %s", what, detail);
}

void vf_tdx_time_text(int64_t t, char out[TC_TIME_RFC3339_LEN])
{
	if (!tc_is_ok(tc_time_format(t, out)))
		snprintf(out, TC_TIME_RFC3339_LEN, "@%lld", (long long)t);
}

static void subject_of(X509 *cert, char *buf, size_t size)
{
	if (X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)size) == NULL)
		snprintf(buf, size, "(unnamed)");
}

/* --------------------------------------------------------------------------------------------- anchor */

static void anchor_destroy(struct vf_tdx_memo *m)
{
	struct vf_tdx_anchor *a = (struct vf_tdx_anchor *)m;
	X509_free(a->cert);
	free(a);
}

TC_RESULT vf_tdx_anchor_get(const uint8_t *data, size_t len, struct vf_tdx_anchor **out)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	TC_GUARD(memo_key("tdx-anchor", data, len, NULL, 0, key));
	struct vf_tdx_anchor *a = (struct vf_tdx_anchor *)vf_tdx_cache_get(key);
	if (a != NULL) {
		*out = a;
		return tc_ok();
	}
	a = calloc(1, sizeof *a);
	TC_ENSURE(a != NULL, TC_ERR_NO_MEMORY, "out of memory");
	a->memo.refs = 1;
	a->memo.destroy = anchor_destroy;
	struct tc_result r = vf_x509_parse(data, len, TC_ERR_CERT_CHAIN_INVALID, &a->cert);
	if (!tc_is_ok(r)) {
		free(a);
		return r;
	}
	memcpy(a->sha256, key, sizeof key);
	a->simulated = vf_x509_is_simulated(a->cert);
	vf_tdx_cache_put(key, &a->memo);
	*out = a;
	return tc_ok();
}

/* ---------------------------------------------------------------------------------------------- chains */

static void chain_destroy(struct vf_tdx_memo *m)
{
	struct vf_tdx_chain *c = (struct vf_tdx_chain *)m;
	sk_X509_pop_free(c->path, X509_free);
	free(c);
}

/* Every certificate of CERTS is in PATH or is the anchor itself (no unused or substituted certificate). */
static TC_RESULT all_used(STACK_OF(X509) *certs, STACK_OF(X509) *path, X509 *anchor, const char *what)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);
		bool used = X509_cmp(c, anchor) == 0;
		for (int j = 0; j < sk_X509_num(path) && !used; j++)
			used = X509_cmp(c, sk_X509_value(path, j)) == 0;
		if (!used) {
			char subject[256];
			subject_of(c, subject, sizeof subject);
			return tc_fail(TC_ERR_CERT_CHAIN_INVALID,
				       "%s: certificate %d (%s) is not part of the path to the pinned root", what, i + 1,
				       subject);
		}
	}
	return tc_ok();
}

/* The latest notBefore over CERTS and ANCHOR: an instant inside every window when the windows overlap. */
static TC_RESULT latest_not_before(STACK_OF(X509) *certs, X509 *anchor, int64_t *out)
{
	int64_t t;
	TC_GUARD(vf_asn1_time_to_unix(X509_get0_notBefore(anchor), out));
	for (int i = 0; i < sk_X509_num(certs); i++) {
		TC_GUARD(vf_asn1_time_to_unix(X509_get0_notBefore(sk_X509_value(certs, i)), &t));
		if (t > *out)
			*out = t;
	}
	return tc_ok();
}

/* Occurrences of MARK in DATA. */
static int count_marks(const uint8_t *data, size_t len, const char *mark)
{
	size_t mlen = strlen(mark), pos = 0;
	int n = 0;
	while (pos < len) {
		const uint8_t *hit = memmem(data + pos, len - pos, mark, mlen);
		if (hit == NULL)
			break;
		n++;
		pos = (size_t)(hit - data) + mlen;
	}
	return n;
}

static TC_RESULT chain_build(const uint8_t *pem, size_t len, const struct vf_tdx_anchor *anchor,
			     enum vf_tdx_chain_kind kind, const char *what, struct vf_tdx_chain *c)
{
	struct tc_result r = tc_ok();
	STACK_OF(X509) *certs = NULL, *rest = NULL;
	int64_t at;

	r = vf_x509_parse_pem_chain(pem, len, TC_ERR_CERT_CHAIN_INVALID, &certs);
	if (!tc_is_ok(r))
		return prefixed(r, what);
	/* Every BEGIN/END line must belong to a certificate that was read: a damaged END line must not let one
	 * block swallow the next (the embedded root would silently disappear). */
	TC_ENSURE_GOTO(r,
		       count_marks(pem, len, "-----BEGIN CERTIFICATE-----") == sk_X509_num(certs) &&
			       count_marks(pem, len, "-----END CERTIFICATE-----") == sk_X509_num(certs),
		       out, TC_ERR_CERT_CHAIN_INVALID, "%s: the PEM text holds a damaged BEGIN/END line", what);
	TC_ENSURE_GOTO(r, sk_X509_num(certs) <= VF_TDX_CHAIN_MAX - 1, out, TC_ERR_CERT_CHAIN_INVALID,
		       "%s: %d certificates is too many", what, sk_X509_num(certs));
	rest = sk_X509_new_null();
	TC_ENSURE_GOTO(r, rest != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	for (int i = 1; i < sk_X509_num(certs); i++)
		TC_ENSURE_GOTO(r, sk_X509_push(rest, sk_X509_value(certs, i)) > 0, out, TC_ERR_NO_MEMORY,
			       "out of memory");
	TC_GUARD_GOTO(r, latest_not_before(certs, anchor->cert, &at), out);
	r = vf_x509_verify_chain(sk_X509_value(certs, 0), rest, anchor->cert, at,
				 kind == VF_TDX_CHAIN_CRL_ISSUER ? 0u : VF_CHAIN_LEAF_SIGNER, TC_ERR_CERT_CHAIN_INVALID,
				 &c->path);
	if (r.code == TC_ERR_CERT_EXPIRED) {
		/* No instant lies inside every window: expired whatever the time. */
		r = tc_fail(TC_ERR_CERT_EXPIRED, "%s: the certificate validity windows do not overlap", what);
		goto out;
	}
	if (!tc_is_ok(r)) {
		r = prefixed(r, what);
		goto out;
	}
	TC_ENSURE_GOTO(r, sk_X509_num(c->path) >= 1 && sk_X509_num(c->path) <= VF_TDX_CHAIN_MAX, out,
		       TC_ERR_CERT_CHAIN_INVALID, "%s: unexpected path length %d", what, sk_X509_num(c->path));
	TC_GUARD_GOTO(r, all_used(certs, c->path, anchor->cert, what), out);
	for (int i = 0; i < sk_X509_num(c->path); i++) {
		X509 *x = sk_X509_value(c->path, i);
		TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_get0_notBefore(x), &c->not_before[i]), out);
		TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_get0_notAfter(x), &c->not_after[i]), out);
	}
	c->leaf_key = X509_get0_pubkey(sk_X509_value(c->path, 0));
	TC_ENSURE_GOTO(r, c->leaf_key != NULL, out, TC_ERR_CERT_CHAIN_INVALID, "%s: leaf public key unreadable",
		       what);
	if (kind == VF_TDX_CHAIN_PCK) {
		/* The PCK key signs the QE report with ECDSA P-256 (DCAP API A.3.9). */
		TC_ENSURE_GOTO(r, EVP_PKEY_is_a(c->leaf_key, "EC") && EVP_PKEY_get_bits(c->leaf_key) == 256, out,
			       TC_ERR_CERT_CHAIN_INVALID, "%s: the PCK key is not ECDSA P-256", what);
		TC_GUARD_GOTO(r, vf_tdx_sgx_ext_parse(sk_X509_value(c->path, 0), &c->sgx_ext), out);
		c->has_sgx_ext = true;
	}
out:
	sk_X509_free(rest);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

TC_RESULT vf_tdx_chain_get(const uint8_t *pem, size_t len, const struct vf_tdx_anchor *anchor,
			   enum vf_tdx_chain_kind kind, const char *what, struct vf_tdx_chain **out)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	char tag[32];
	snprintf(tag, sizeof tag, "tdx-chain-%d", (int)kind);
	TC_GUARD(memo_key(tag, pem, len, anchor->sha256, sizeof anchor->sha256, key));
	struct vf_tdx_chain *c = (struct vf_tdx_chain *)vf_tdx_cache_get(key);
	if (c != NULL) {
		*out = c;
		return tc_ok();
	}
	c = calloc(1, sizeof *c);
	TC_ENSURE(c != NULL, TC_ERR_NO_MEMORY, "out of memory");
	c->memo.refs = 1;
	c->memo.destroy = chain_destroy;
	memcpy(c->key, key, sizeof key);
	struct tc_result r = chain_build(pem, len, anchor, kind, what, c);
	if (!tc_is_ok(r)) {
		chain_destroy(&c->memo);
		return r;
	}
	vf_tdx_cache_put(key, &c->memo);
	*out = c;
	return tc_ok();
}

TC_RESULT vf_tdx_chain_check_time(const struct vf_tdx_chain *c, int64_t now, const char *what)
{
	for (int i = 0; i < sk_X509_num(c->path); i++) {
		if (now >= c->not_before[i] && now <= c->not_after[i])
			continue;
		char subject[256], nb[TC_TIME_RFC3339_LEN] = "?", na[TC_TIME_RFC3339_LEN] = "?",
				   at[TC_TIME_RFC3339_LEN] = "?";
		subject_of(sk_X509_value(c->path, i), subject, sizeof subject);
		vf_tdx_time_text(c->not_before[i], nb);
		vf_tdx_time_text(c->not_after[i], na);
		vf_tdx_time_text(now, at);
		return tc_fail(TC_ERR_CERT_EXPIRED, "%s: certificate %s is valid %s..%s, not at %s", what, subject, nb,
			       na, at);
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------------ CRLs */

static void crl_destroy(struct vf_tdx_memo *m)
{
	struct vf_tdx_crl *c = (struct vf_tdx_crl *)m;
	X509_CRL_free(c->crl);
	free(c);
}

static TC_RESULT crl_build(const uint8_t *der, size_t len, X509 *issuer, const char *what, struct vf_tdx_crl *c)
{
	const unsigned char *p = der;
	c->crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (c->crl == NULL || p != der + len) {
		tc_openssl_clear();
		return tc_fail(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: not one DER CRL", what);
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl), X509_get_subject_name(issuer)) != 0) {
		char subject[256];
		subject_of(issuer, subject, sizeof subject);
		return tc_fail(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: not issued by %s", what, subject);
	}
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	if (key == NULL || X509_CRL_verify(c->crl, key) != 1) {
		tc_openssl_clear();
		return tc_fail(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: CRL signature does not verify", what);
	}
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(c->crl);
	TC_ENSURE(next != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: CRL has no nextUpdate", what);
	TC_GUARD(vf_asn1_time_to_unix(X509_CRL_get0_lastUpdate(c->crl), &c->this_update));
	TC_GUARD(vf_asn1_time_to_unix(next, &c->next_update));
	return tc_ok();
}

TC_RESULT vf_tdx_crl_get(const uint8_t *der, size_t len, X509 *issuer, const uint8_t issuer_key[VF_TDX_SHA256_LEN],
			 const char *what, struct vf_tdx_crl **out)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	TC_GUARD(memo_key("tdx-crl", der, len, issuer_key, VF_TDX_SHA256_LEN, key));
	struct vf_tdx_crl *c = (struct vf_tdx_crl *)vf_tdx_cache_get(key);
	if (c != NULL) {
		*out = c;
		return tc_ok();
	}
	c = calloc(1, sizeof *c);
	TC_ENSURE(c != NULL, TC_ERR_NO_MEMORY, "out of memory");
	c->memo.refs = 1;
	c->memo.destroy = crl_destroy;
	struct tc_result r = crl_build(der, len, issuer, what, c);
	if (!tc_is_ok(r)) {
		crl_destroy(&c->memo);
		return r;
	}
	vf_tdx_cache_put(key, &c->memo);
	*out = c;
	return tc_ok();
}

TC_RESULT vf_tdx_crl_check_time(const struct vf_tdx_crl *c, int64_t now, const char *what)
{
	if (now >= c->this_update && now < c->next_update)
		return tc_ok();
	char tu[TC_TIME_RFC3339_LEN] = "?", nu[TC_TIME_RFC3339_LEN] = "?", at[TC_TIME_RFC3339_LEN] = "?";
	vf_tdx_time_text(c->this_update, tu);
	vf_tdx_time_text(c->next_update, nu);
	vf_tdx_time_text(now, at);
	return tc_fail(TC_ERR_COLLATERAL_EXPIRED, "%s: valid %s..%s, not at %s", what, tu, nu, at);
}

TC_RESULT vf_tdx_crl_check_cert(const struct vf_tdx_crl *c, X509 *cert, const char *what)
{
	X509_REVOKED *rev = NULL;
	if (X509_CRL_get0_by_serial(c->crl, &rev, X509_get0_serialNumber(cert)) != 1)
		return tc_ok();
	char subject[256];
	subject_of(cert, subject, sizeof subject);
	return tc_fail(TC_ERR_CERT_REVOKED, "%s lists certificate %s as revoked", what, subject);
}

/* ---------------------------------------------------------------------------------- PCS documents */

static void doc_destroy(struct vf_tdx_memo *m)
{
	struct vf_tdx_doc *d = (struct vf_tdx_doc *)m;
	vf_tdx_tcb_info_free(d->tcb_info);
	vf_tdx_qe_identity_free(d->qe_identity);
	free(d);
}

/* PCS API v4: the signature is ECDSA P-256 over SHA-256 of the exact inner object bytes, hex r||s. */
static TC_RESULT doc_build(const uint8_t *body, size_t len, const char *field, const char *what,
			   const struct vf_tdx_chain *signer, struct vf_tdx_doc *d)
{
	size_t off = 0, span = 0;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN], digest[VF_TDX_SHA256_LEN];
	struct tc_result r = vf_tdx_pcs_split(body, len, field, &off, &span, sig);
	if (!tc_is_ok(r))
		return prefixed(r, what);
	TC_GUARD(vf_sha256(body + off, span, digest));
	TC_ENSURE(vf_ecdsa_verify_raw(signer->leaf_key, digest, sizeof digest, sig, VF_TDX_ECDSA_COORD_LEN),
		  TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: signature does not verify with the signing certificate",
		  what);
	if (strcmp(field, "tcbInfo") == 0)
		r = vf_tdx_tcb_info_parse(body + off, span, &d->tcb_info);
	else
		r = vf_tdx_qe_identity_parse(body + off, span, &d->qe_identity);
	if (!tc_is_ok(r))
		return prefixed(r, what);
	return tc_ok();
}

static TC_RESULT doc_get(const uint8_t *body, size_t len, const char *field, const char *what,
			 const struct vf_tdx_chain *signer, struct vf_tdx_doc **out)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	char tag[32];
	snprintf(tag, sizeof tag, "tdx-doc-%s", field);
	TC_GUARD(memo_key(tag, body, len, signer->key, sizeof signer->key, key));
	struct vf_tdx_doc *d = (struct vf_tdx_doc *)vf_tdx_cache_get(key);
	if (d != NULL) {
		*out = d;
		return tc_ok();
	}
	d = calloc(1, sizeof *d);
	TC_ENSURE(d != NULL, TC_ERR_NO_MEMORY, "out of memory");
	d->memo.refs = 1;
	d->memo.destroy = doc_destroy;
	struct tc_result r = doc_build(body, len, field, what, signer, d);
	if (!tc_is_ok(r)) {
		doc_destroy(&d->memo);
		return r;
	}
	vf_tdx_cache_put(key, &d->memo);
	*out = d;
	return tc_ok();
}

TC_RESULT vf_tdx_doc_get_tcb_info(const uint8_t *body, size_t len, const struct vf_tdx_chain *signer,
				  struct vf_tdx_doc **out)
{
	return doc_get(body, len, "tcbInfo", "tcb_info", signer, out);
}

TC_RESULT vf_tdx_doc_get_qe_identity(const uint8_t *body, size_t len, const struct vf_tdx_chain *signer,
				     struct vf_tdx_doc **out)
{
	return doc_get(body, len, "enclaveIdentity", "qe_identity", signer, out);
}
