/*
 * ca_issue.c — certificate issuance (RFC 5280 §4.1 TBSCertificate built with the DER writer, signed through
 * the signer). Standard extensions per RFC 5280 §4.2: SKI = SHA-1 of the subjectPublicKey BIT STRING value
 * (§4.2.1.2 method 1), AKI keyIdentifier = the issuer's SKI, basicConstraints critical, keyUsage critical,
 * EKU, SAN (critical when the subject is empty, §4.2.1.6), CRL distribution point (§4.2.1.13) and AIA OCSP
 * (§4.2.2.1) from configuration; then the teecert extensions (ca/teecert.asn1), the TCG DICE CMW evidence and,
 * for TDX, the RA-TLS quote. Serial: 16 random bytes, top bit cleared (positive, ≥ 64 bits of entropy as
 * CA/B BR §7.1 asks). notBefore = now - CA_BACKDATE_S.
 */
#include "ca_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* keyUsage named bits (§4.2.1.3), DER BIT STRING contents: unused-bit count then the bits. */
static const uint8_t ku_ca[] = { 0x01, 0x06 };     /* keyCertSign(5) | cRLSign(6) */
static const uint8_t ku_ee_ec[] = { 0x07, 0x80 };  /* digitalSignature(0) */
static const uint8_t ku_ee_rsa[] = { 0x05, 0xa0 }; /* digitalSignature(0) | keyEncipherment(2) */

void ca_issued_cleanup(struct ca_issued *c)
{
	tc_buf_cleanup(&c->der);
	tc_buf_cleanup(&c->pem);
	memset(c, 0, sizeof(*c));
}

static TC_RESULT x509_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "certificate time");
	*out = (int64_t)timegm(&tm);
	return tc_ok();
}

static bool url_ok(const char *u)
{
	size_t n = u != NULL ? strlen(u) : 0;

	if (n == 0 || n >= CA_URL_MAX || strstr(u, "://") == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return false;
	return true;
}

/* Facts about the issuer (or the root itself). */
struct issuer_facts {
	struct tc_buf name; /* issuer Name DER */
	uint8_t key_id[CA_DIGEST_MAX];
	size_t key_id_len;
	int64_t not_after; /* INT64_MAX for a root being created */
	bool self_issued;  /* the issuer certificate is a root */
	X509 *cert;
};

/* What ca_issuer_prepare keeps: the facts of one issuer certificate and signer, and the exact bytes they
 * stand for (ca_issue uses them only for that certificate and that signer). */
struct ca_issuer_facts {
	struct issuer_facts f;
	const struct ca_signer *signer;
	struct tc_buf cert_der;
};

static void issuer_facts_cleanup(struct issuer_facts *f)
{
	X509_free(f->cert);
	f->cert = NULL;
	tc_buf_cleanup(&f->name);
}

/* The root being created: its own CSR names it and holds the signer's key. */
static TC_RESULT root_facts(const struct ca_issuer *iss, const struct ca_csr *csr, struct issuer_facts *f)
{
	struct tc_buf spki = { 0 };
	struct tc_result r = tc_ok();

	TC_ENSURE(iss->cert_der == NULL, TC_ERR_PROFILE_VIOLATION, "a root is self-signed; no issuer certificate");
	TC_GUARD(iss->signer->public_key(iss->signer, &spki));
	TC_ENSURE_GOTO(r, spki.len == csr->spki.len && memcmp(spki.data, csr->spki.data, spki.len) == 0, out,
		       TC_ERR_PROFILE_VIOLATION, "the root CSR's key is not the signer's key");
	TC_GUARD_GOTO(r, tc_buf_append(&f->name, csr->subject.data, csr->subject.len), out);
	TC_GUARD_GOTO(r, ca_spki_key_sha1(spki.data, spki.len, f->key_id), out);
	f->key_id_len = 20;
	f->not_after = INT64_MAX;
out:
	tc_buf_cleanup(&spki);
	return r;
}

/* The issuer certificate of ISS: a CA holding the signer's key; its subject, key id and notAfter. */
static TC_RESULT issuer_load(const struct ca_issuer *iss, struct issuer_facts *f)
{
	struct tc_buf spki = { 0 };
	struct tc_result r = tc_ok();
	unsigned char *der = NULL;
	int n;

	TC_ENSURE(iss->cert_der != NULL, TC_ERR_INVALID_ARGUMENT, "issue: the issuer has no certificate");
	TC_GUARD_GOTO(r, iss->signer->public_key(iss->signer, &spki), out);
	TC_GUARD_GOTO(r, ca_x509_from_der(iss->cert_der, iss->cert_len, &f->cert), out);
	TC_ENSURE_GOTO(r, X509_check_ca(f->cert) >= 1, out, TC_ERR_PROFILE_VIOLATION,
		       "the issuer certificate is not a CA");
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(f->cert), &der);
	TC_ENSURE_GOTO(r, n > 0 && (size_t)n == spki.len && memcmp(der, spki.data, spki.len) == 0, out,
		       TC_ERR_PROFILE_VIOLATION, "the issuer certificate does not hold the signer's key");
	OPENSSL_free(der);
	der = NULL;
	n = i2d_X509_NAME(X509_get_subject_name(f->cert), &der);
	TC_ENSURE_GOTO(r, n > 0, out, TC_ERR_CRYPTO, "issuer name");
	TC_GUARD_GOTO(r, tc_buf_append(&f->name, der, (size_t)n), out);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(f->cert);
	if (ski != NULL && ASN1_STRING_length(ski) > 0 && (size_t)ASN1_STRING_length(ski) <= sizeof(f->key_id)) {
		f->key_id_len = (size_t)ASN1_STRING_length(ski);
		memcpy(f->key_id, ASN1_STRING_get0_data(ski), f->key_id_len);
	} else {
		TC_GUARD_GOTO(r, ca_spki_key_sha1(spki.data, spki.len, f->key_id), out);
		f->key_id_len = 20;
	}
	TC_GUARD_GOTO(r, x509_time(X509_get0_notAfter(f->cert), &f->not_after), out);
	f->self_issued = (X509_get_extension_flags(f->cert) & EXFLAG_SI) != 0;
out:
	tc_openssl_clear();
	OPENSSL_free(der);
	tc_buf_cleanup(&spki);
	return r;
}

TC_RESULT ca_issuer_prepare(const struct ca_issuer *iss, struct ca_issuer_facts **out)
{
	struct ca_issuer_facts *p;
	struct tc_result r;

	TC_ENSURE(iss != NULL && iss->signer != NULL && iss->cert_der != NULL, TC_ERR_INVALID_ARGUMENT,
		  "prepare: missing issuer certificate or signer");
	p = calloc(1, sizeof(*p));
	TC_ENSURE(p != NULL, TC_ERR_NO_MEMORY, "issuer facts");
	tc_buf_init(&p->f.name, CA_CSR_PEM_MAX);
	tc_buf_init(&p->cert_der, iss->cert_len);
	p->signer = iss->signer;
	r = issuer_load(iss, &p->f);
	if (tc_is_ok(r))
		r = tc_buf_append(&p->cert_der, iss->cert_der, iss->cert_len);
	if (!tc_is_ok(r)) {
		ca_issuer_facts_free(&p);
		return r;
	}
	*out = p;
	return tc_ok();
}

void ca_issuer_facts_free(struct ca_issuer_facts **pf)
{
	struct ca_issuer_facts *p = pf != NULL ? *pf : NULL;

	if (p == NULL)
		return;
	issuer_facts_cleanup(&p->f);
	tc_buf_cleanup(&p->cert_der);
	free(p);
	*pf = NULL;
}

/* The prepared facts of ISS when they stand for exactly its certificate and signer; NULL otherwise. */
static const struct issuer_facts *prepared(const struct ca_issuer *iss)
{
	const struct ca_issuer_facts *p = iss->facts;

	if (p == NULL || p->signer != iss->signer || iss->cert_der == NULL || p->cert_der.len != iss->cert_len ||
	    memcmp(p->cert_der.data, iss->cert_der, iss->cert_len) != 0)
		return NULL;
	return &p->f;
}

/* The workload binding: the CVM certificate was issued by this CA for role cvm and is valid now. */
static TC_RESULT workload_binding(const struct ca_issue_request *req, const struct issuer_facts *f, int64_t *limit)
{
	X509 *cvm = NULL;
	struct ca_cert_info info;
	struct tc_result r = tc_ok();
	int64_t nb = 0, na = 0;

	TC_ENSURE(req->workload_info_hash != NULL, TC_ERR_PROFILE_VIOLATION,
		  "a workload certificate needs workload_info_hash");
	TC_ENSURE(req->cvm_cert_der != NULL, TC_ERR_PROFILE_VIOLATION, "a workload certificate needs its CVM certificate");
	TC_GUARD(ca_x509_from_der(req->cvm_cert_der, req->cvm_cert_len, &cvm));
	TC_ENSURE_GOTO(r, X509_check_issued(f->cert, cvm) == X509_V_OK, out, TC_ERR_PROFILE_VIOLATION,
		       "the CVM certificate was not issued by this CA");
	TC_GUARD_GOTO(r, ca_cert_info_parse(req->cvm_cert_der, req->cvm_cert_len, &info), out);
	TC_ENSURE_GOTO(r, info.has_role && info.role.role == CA_ROLE_CVM, out, TC_ERR_PROFILE_VIOLATION,
		       "the bound certificate is not a cvm certificate");
	TC_GUARD_GOTO(r, x509_time(X509_get0_notBefore(cvm), &nb), out);
	TC_GUARD_GOTO(r, x509_time(X509_get0_notAfter(cvm), &na), out);
	TC_ENSURE_GOTO(r, nb <= req->now && req->now < na, out, TC_ERR_CERT_EXPIRED,
		       "the CVM certificate is not valid now");
	*limit = na;
out:
	tc_openssl_clear();
	X509_free(cvm);
	return r;
}

static TC_RESULT check_sans(const struct ca_csr *csr, const struct ca_profile *p)
{
	for (size_t i = 0; i < csr->n_sans; i++) {
		const struct ca_san *s = &csr->sans[i];
		bool ok = (s->type == CA_SAN_DNS && p->allow_dns) || (s->type == CA_SAN_IP && p->allow_ip) ||
			  (s->type == CA_SAN_URI && p->allow_uri);

		TC_ENSURE(ok, TC_ERR_SAN_NOT_ALLOWED, "the %s profile does not allow the SAN %s",
			  ca_role_name(p->role), s->value);
	}
	return tc_ok();
}

static TC_RESULT check_appraisal(const struct ca_issuer *iss, const struct ca_issue_request *req)
{
	const struct vf_appraisal *a = req->appraisal;

	if (a == NULL) {
		TC_ENSURE(req->profile.role == CA_ROLE_ROOT && iss->network == CA_NETWORK_UNTRUSTED,
			  TC_ERR_PROFILE_VIOLATION, "%s certificates need an accepted appraisal",
			  ca_role_name(req->profile.role));
		return tc_ok();
	}
	if (!a->accepted)
		return tc_fail(a->failure != TC_OK ? a->failure : TC_ERR_POLICY_VIOLATION, "appraisal rejected: %s",
			       a->detail);
	TC_ENSURE(a->n_devices >= 1, TC_ERR_PROFILE_VIOLATION, "the appraisal covers no device");
	for (size_t i = 0; i < a->n_devices; i++)
		TC_ENSURE(!(iss->network == CA_NETWORK_TRUSTED && a->devices[i].simulated), TC_ERR_POLICY_VIOLATION,
			  "a trusted network refuses simulated evidence (%s)", a->devices[i].id);
	TC_ENSURE(req->n_evidence >= 1 && req->evidence != NULL, TC_ERR_PROFILE_VIOLATION,
		  "the raw evidence must accompany the appraisal");
	return tc_ok();
}

/* Append one extension whose value ENCODE wrote into VAL (reset afterwards). */
#define ADD_EXT(w, oid, crit, val, encode)                                                                 \
	do {                                                                                               \
		tc_buf_reset(&(val));                                                                      \
		TC_GUARD_GOTO(r, (encode), out);                                                           \
		ca_der_extension((w), &(oid), (crit), &(val));                                             \
	} while (0)

static TC_RESULT enc_raw(struct tc_buf *val, const uint8_t *tag_and_content, size_t n, uint8_t tag)
{
	struct ca_der w;

	ca_der_init(&w, val);
	ca_der_tlv(&w, tag, tag_and_content, n);
	return ca_der_finish(&w);
}

static TC_RESULT enc_bc(struct tc_buf *val, bool ca, int path_len)
{
	struct ca_der w;

	ca_der_init(&w, val);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	if (ca) {
		ca_der_bool(&w, true);
		if (path_len >= 0)
			ca_der_uint(&w, CA_DER_INTEGER, (uint64_t)path_len);
	}
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT enc_eku(struct tc_buf *val)
{
	struct ca_der w;

	ca_der_init(&w, val);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_oid(&w, CA_OIDB_KP_SERVER_AUTH.der, CA_OIDB_KP_SERVER_AUTH.len);
	ca_der_oid(&w, CA_OIDB_KP_CLIENT_AUTH.der, CA_OIDB_KP_CLIENT_AUTH.len);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT enc_aki(struct tc_buf *val, const uint8_t *id, size_t n)
{
	struct ca_der w;

	ca_der_init(&w, val);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_tlv(&w, CA_DER_CTX(0), id, n); /* keyIdentifier [0] IMPLICIT */
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT enc_san(struct tc_buf *val, const struct ca_csr *csr)
{
	struct ca_der w;

	ca_der_init(&w, val);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	for (size_t i = 0; i < csr->n_sans; i++) {
		const struct ca_san *s = &csr->sans[i];

		if (s->type == CA_SAN_DNS)
			ca_der_utf8(&w, CA_DER_CTX(2), s->value); /* dNSName [2] IA5String */
		else if (s->type == CA_SAN_URI)
			ca_der_utf8(&w, CA_DER_CTX(6), s->value); /* uniformResourceIdentifier [6] */
		else if (s->type == CA_SAN_IP)
			ca_der_tlv(&w, CA_DER_CTX(7), s->ip, s->ip_len); /* iPAddress [7] OCTET STRING */
	}
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT enc_crldp(struct tc_buf *val, const char *url)
{
	struct ca_der w;

	/* SEQUENCE OF DistributionPoint { distributionPoint [0] { fullName [0] { URI [6] } } } */
	ca_der_init(&w, val);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_begin(&w, CA_DER_CTX_CONS(0));
	ca_der_begin(&w, CA_DER_CTX_CONS(0));
	ca_der_utf8(&w, CA_DER_CTX(6), url);
	ca_der_end(&w);
	ca_der_end(&w);
	ca_der_end(&w);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT enc_aia(struct tc_buf *val, const char *url)
{
	struct ca_der w;

	ca_der_init(&w, val);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_oid(&w, CA_OIDB_AD_OCSP.der, CA_OIDB_AD_OCSP.len);
	ca_der_utf8(&w, CA_DER_CTX(6), url);
	ca_der_end(&w);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT enc_appraisal(struct tc_buf *val, const struct vf_appraisal *a)
{
	struct ca_ext_appraisal s;

	TC_GUARD(ca_ext_appraisal_from_vf(a, &s));
	return ca_ext_appraisal_encode(&s, val);
}

static TC_RESULT enc_hwid(struct tc_buf *val, const struct vf_appraisal *a, bool *any)
{
	struct ca_ext_hwid h;

	TC_GUARD(ca_ext_hwid_from_vf(a, &h));
	*any = false;
	for (size_t i = 0; i < h.n_devices; i++)
		*any = *any || h.devices[i].has_fmspc || h.devices[i].has_ppid || h.devices[i].chip_id_len > 0 ||
		       h.devices[i].ueid_len > 0;
	return ca_ext_hwid_encode(&h, val);
}

static TC_RESULT new_serial(uint8_t serial[CA_SERIAL_LEN])
{
	TC_GUARD(tc_random_bytes(serial, CA_SERIAL_LEN));
	serial[0] &= 0x7f; /* positive */
	if (serial[0] == 0)
		serial[0] = 0x01; /* keep 16 bytes: the length does not leak, the value stays unique-by-randomness */
	return tc_ok();
}

TC_RESULT ca_issue(const struct ca_issuer *iss, const struct ca_issue_request *req, struct ca_issued *out)
{
	struct issuer_facts own = { 0 };
	const struct issuer_facts *f;
	struct tc_buf tbs = { 0 }, val = { 0 }, cert = { 0 };
	const struct ca_profile *p = &req->profile;
	bool root = p->role == CA_ROLE_ROOT, is_ca = root || p->role == CA_ROLE_SUBROOT;
	bool empty_subject;
	uint8_t ski[20];
	int64_t nb, na, limit = INT64_MAX;
	struct ca_der w;
	struct tc_result r = tc_ok();
	unsigned int hl = 0;

	memset(out, 0, sizeof(*out));
	TC_ENSURE(iss != NULL && iss->signer != NULL && req != NULL && req->csr != NULL, TC_ERR_INVALID_ARGUMENT,
		  "issue: missing issuer, signer or CSR");
	TC_GUARD(ca_profile_check(p));
	TC_GUARD(check_sans(req->csr, p));
	TC_GUARD(check_appraisal(iss, req));
	TC_ENSURE(iss->crl_url == NULL || url_ok(iss->crl_url), TC_ERR_INVALID_ARGUMENT, "CRL URL is not a URL");
	TC_ENSURE(iss->ocsp_url == NULL || url_ok(iss->ocsp_url), TC_ERR_INVALID_ARGUMENT, "OCSP URL is not a URL");
	TC_ENSURE(p->role == CA_ROLE_WORKLOAD || req->workload_info_hash == NULL, TC_ERR_PROFILE_VIOLATION,
		  "workload_info_hash is for workload certificates only");
	empty_subject = req->csr->subject.len == 2; /* SEQUENCE {} */
	TC_ENSURE(!(empty_subject && (is_ca || req->csr->n_sans == 0)), TC_ERR_PROFILE_VIOLATION,
		  "the CSR has an empty subject%s", is_ca ? " (CAs need one)" : " and no SAN");
	tc_buf_init(&own.name, CA_CSR_PEM_MAX);
	f = root ? NULL : prepared(iss);
	if (f == NULL) {
		TC_GUARD_GOTO(r, root ? root_facts(iss, req->csr, &own) : issuer_load(iss, &own), out);
		f = &own;
	}
	TC_ENSURE_GOTO(r, p->role != CA_ROLE_SUBROOT || f->self_issued, out, TC_ERR_PROFILE_VIOLATION,
		       "subroot certificates are issued by the root only");
	if (p->role == CA_ROLE_WORKLOAD)
		TC_GUARD_GOTO(r, workload_binding(req, f, &limit), out);
	TC_ENSURE_GOTO(r, req->now < f->not_after, out, TC_ERR_CERT_EXPIRED, "the issuer certificate has expired");
	nb = req->now - CA_BACKDATE_S;
	na = req->now + p->validity_s;
	if (na > f->not_after)
		na = f->not_after;
	if (na > limit)
		na = limit;
	TC_GUARD_GOTO(r, new_serial(out->serial), out);
	TC_GUARD_GOTO(r, ca_spki_key_sha1(req->csr->spki.data, req->csr->spki.len, ski), out);

	tc_buf_init(&val, CA_DER_MAX_OUTPUT);
	tc_buf_init(&tbs, CA_DER_MAX_OUTPUT);
	ca_der_init(&w, &tbs);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_begin(&w, CA_DER_CTX_CONS(0));
	ca_der_uint(&w, CA_DER_INTEGER, 2); /* v3 */
	ca_der_end(&w);
	ca_der_uint_bytes(&w, out->serial, CA_SERIAL_LEN);
	ca_der_sig_alg(&w, iss->signer->algorithm(iss->signer));
	ca_der_raw(&w, f->name.data, f->name.len);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_time(&w, nb, false);
	ca_der_time(&w, na, false);
	ca_der_end(&w);
	ca_der_raw(&w, req->csr->subject.data, req->csr->subject.len);
	ca_der_raw(&w, req->csr->spki.data, req->csr->spki.len);
	ca_der_begin(&w, CA_DER_CTX_CONS(3));
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ADD_EXT(&w, CA_OIDB_BC, true, val, enc_bc(&val, is_ca, p->path_len));
	if (is_ca)
		ADD_EXT(&w, CA_OIDB_KU, true, val, enc_raw(&val, ku_ca, sizeof(ku_ca), CA_DER_BIT_STRING));
	else if (req->csr->key_type == CA_KEYTYPE_RSA)
		ADD_EXT(&w, CA_OIDB_KU, true, val, enc_raw(&val, ku_ee_rsa, sizeof(ku_ee_rsa), CA_DER_BIT_STRING));
	else
		ADD_EXT(&w, CA_OIDB_KU, true, val, enc_raw(&val, ku_ee_ec, sizeof(ku_ee_ec), CA_DER_BIT_STRING));
	if (!is_ca)
		ADD_EXT(&w, CA_OIDB_EKU, false, val, enc_eku(&val));
	ADD_EXT(&w, CA_OIDB_SKI, false, val, enc_raw(&val, ski, sizeof(ski), CA_DER_OCTET_STRING));
	ADD_EXT(&w, CA_OIDB_AKI, false, val, enc_aki(&val, f->key_id, f->key_id_len));
	if (req->csr->n_sans > 0)
		ADD_EXT(&w, CA_OIDB_SAN, empty_subject, val, enc_san(&val, req->csr));
	if (!root && iss->crl_url != NULL)
		ADD_EXT(&w, CA_OIDB_CRLDP, false, val, enc_crldp(&val, iss->crl_url));
	if (!root && iss->ocsp_url != NULL)
		ADD_EXT(&w, CA_OIDB_AIA, false, val, enc_aia(&val, iss->ocsp_url));
	{
		struct ca_ext_role role = { p->role, iss->network };

		ADD_EXT(&w, CA_OIDB_ROLE, false, val, ca_ext_role_encode(&role, &val));
	}
	if (req->appraisal != NULL) {
		bool any = false;

		ADD_EXT(&w, CA_OIDB_APPRAISAL, false, val, enc_appraisal(&val, req->appraisal));
		tc_buf_reset(&val);
		TC_GUARD_GOTO(r, enc_hwid(&val, req->appraisal, &any), out);
		if (any)
			ca_der_extension(&w, &CA_OIDB_HARDWARE_ID, false, &val);
	}
	if (req->workload_info_hash != NULL)
		ADD_EXT(&w, CA_OIDB_WORKLOAD_INFO, false, val, ca_ext_workload_info_encode(req->workload_info_hash, &val));
	if (req->has_log_seq && iss->log_id != NULL) {
		struct ca_ext_log_ref ref = { .seq = req->log_seq, .log_id_len = iss->log_id_len };

		TC_ENSURE_GOTO(r, iss->log_id_len >= 1 && iss->log_id_len <= CA_LOG_ID_MAX, out, TC_ERR_INVALID_ARGUMENT,
			       "log id of %zu bytes", iss->log_id_len);
		memcpy(ref.log_id, iss->log_id, iss->log_id_len);
		ADD_EXT(&w, CA_OIDB_LOG_REF, false, val, ca_ext_log_ref_encode(&ref, &val));
	}
	if (req->n_evidence > 0) {
		const struct vf_item *quote = vf_item_find(req->evidence, req->n_evidence, "tdx_quote");

		/* Non-critical: OpenSSL and mbedTLS reject unknown critical extensions (CCC RA-TLS interop note). */
		ADD_EXT(&w, CA_OIDB_TCG_DICE_CMW, false, val, ca_ext_evidence_encode(req->evidence, req->n_evidence, &val));
		if (quote != NULL)
			ADD_EXT(&w, CA_OIDB_RATLS_QUOTE, false, val, ca_ext_ratls_encode(quote->data, quote->len, &val));
	}
	ca_der_end(&w);
	ca_der_end(&w);
	ca_der_end(&w);
	TC_GUARD_GOTO(r, ca_der_finish(&w), out);

	tc_buf_init(&out->der, CA_DER_MAX_OUTPUT);
	TC_GUARD_GOTO(r, ca_sign_structure(iss->signer, tbs.data, tbs.len, &out->der), out);
	out->not_before = nb;
	out->not_after = na;
	tc_buf_init(&out->pem, CA_DER_MAX_OUTPUT * 2);
	TC_GUARD_GOTO(r, tc_pem_encode("CERTIFICATE", out->der.data, out->der.len, &out->pem), out);
	if (!EVP_Digest(out->der.data, out->der.len, out->sha256, &hl, EVP_sha256(), NULL)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 of the certificate");
		goto out;
	}
	TC_GUARD_GOTO(r, tc_hex_encode(out->serial, CA_SERIAL_LEN, out->serial_hex, sizeof(out->serial_hex)), out);
out:
	issuer_facts_cleanup(&own);
	tc_buf_cleanup(&tbs);
	tc_buf_cleanup(&val);
	tc_buf_cleanup(&cert);
	if (!tc_is_ok(r)) {
		struct tc_result keep = r;

		ca_issued_cleanup(out);
		r = keep;
	}
	return r;
}
