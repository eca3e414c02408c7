/*
 * vf_tdx_sim_x509.c — keys, certificates, CRLs and signatures of the simulated Intel SGX/TDX PKI.
 *
 * Certificates follow the shape of "Intel SGX PCK Certificate and CRL Profile": P-256 keys, ECDSA-SHA256,
 * SKI/AKI, basicConstraints and keyUsage critical; the PCK leaf carries the Intel SGX extensions
 * (OID VF_TDX_SGX_EXT_OID: PPID, TCB with 16 component SVNs + PCESVN + CPUSVN, PCE-ID, FMSPC, SGX Type),
 * encoded with the same OpenSSL ASN.1 SEQUENCE-ANY machinery and entry numbers vf_tdx_pck.c decodes with.
 * Private keys are written as unencrypted PEM PKCS#8, mode 0600, and the PEM text is zeroed after use.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "vf_internal.h"
#include "vf_tdx_sim.h"

#define SIM_OID_TEXT_MAX 64
#define SIM_POINT_LEN (1 + VF_TDX_ECDSA_KEY_LEN) /* uncompressed SEC1 point: 0x04 || x || y */

/* ------------------------------------------------------------------------------------ SGX extension */

static ASN1_TYPE *t_oid(const char *text)
{
	ASN1_OBJECT *o = OBJ_txt2obj(text, 1);
	ASN1_TYPE *t = ASN1_TYPE_new();
	if (o == NULL || t == NULL) {
		ASN1_OBJECT_free(o);
		ASN1_TYPE_free(t);
		return NULL;
	}
	ASN1_TYPE_set(t, V_ASN1_OBJECT, o);
	return t;
}

static ASN1_TYPE *t_int(int type, long v)
{
	ASN1_INTEGER *i = type == V_ASN1_ENUMERATED ? ASN1_ENUMERATED_new() : ASN1_INTEGER_new();
	ASN1_TYPE *t = ASN1_TYPE_new();
	int ok = i != NULL && t != NULL &&
		 (type == V_ASN1_ENUMERATED ? ASN1_ENUMERATED_set(i, v) : ASN1_INTEGER_set(i, v)) == 1;
	if (!ok) {
		ASN1_STRING_free(i);
		ASN1_TYPE_free(t);
		return NULL;
	}
	ASN1_TYPE_set(t, type, i);
	return t;
}

static ASN1_TYPE *t_octets(const uint8_t *data, size_t len)
{
	ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
	ASN1_TYPE *t = ASN1_TYPE_new();
	if (s == NULL || t == NULL || ASN1_OCTET_STRING_set(s, data, (int)len) != 1) {
		ASN1_OCTET_STRING_free(s);
		ASN1_TYPE_free(t);
		return NULL;
	}
	ASN1_TYPE_set(t, V_ASN1_OCTET_STRING, s);
	return t;
}

/* Push T (consumed, may be NULL) onto SK; false on failure. */
static bool push(STACK_OF(ASN1_TYPE) *sk, ASN1_TYPE *t)
{
	if (t == NULL)
		return false;
	if (sk_ASN1_TYPE_push(sk, t) <= 0) {
		ASN1_TYPE_free(t);
		return false;
	}
	return true;
}

/* The DER SEQUENCE of ITEMS (consumed) as an ASN1_TYPE holding the whole TLV, as d2i_ASN1_SEQUENCE_ANY
 * represents nested sequences. */
static ASN1_TYPE *t_seq(STACK_OF(ASN1_TYPE) *items)
{
	unsigned char *der = NULL;
	int n = items != NULL ? i2d_ASN1_SEQUENCE_ANY(items, &der) : -1;
	sk_ASN1_TYPE_pop_free(items, ASN1_TYPE_free);
	ASN1_STRING *s = n > 0 ? ASN1_STRING_new() : NULL;
	ASN1_TYPE *t = s != NULL ? ASN1_TYPE_new() : NULL;
	if (t == NULL || ASN1_STRING_set(s, der, n) != 1) {
		OPENSSL_free(der);
		ASN1_STRING_free(s);
		ASN1_TYPE_free(t);
		return NULL;
	}
	OPENSSL_free(der);
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
	return t;
}

/* SEQUENCE { OID VF_TDX_SGX_EXT_OID.N[.M], VALUE } (VALUE consumed); M < 0: no second arc. */
static ASN1_TYPE *t_entry(int n, int m, ASN1_TYPE *value)
{
	char oid[SIM_OID_TEXT_MAX];
	if (m < 0)
		snprintf(oid, sizeof oid, "%s.%d", VF_TDX_SGX_EXT_OID, n);
	else
		snprintf(oid, sizeof oid, "%s.%d.%d", VF_TDX_SGX_EXT_OID, n, m);
	STACK_OF(ASN1_TYPE) *pair = sk_ASN1_TYPE_new_null();
	if (pair == NULL || !push(pair, t_oid(oid)) || !push(pair, value)) {
		if (pair == NULL || sk_ASN1_TYPE_num(pair) == 0)
			ASN1_TYPE_free(value);
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
		return NULL;
	}
	return t_seq(pair);
}

static ASN1_TYPE *t_tcb(const struct vf_tdx_sim_sgx *sgx)
{
	STACK_OF(ASN1_TYPE) *tcb = sk_ASN1_TYPE_new_null();
	bool ok = tcb != NULL;
	for (int i = 0; ok && i < VF_TDX_SGX_TCB_COMPONENTS; i++)
		ok = push(tcb, t_entry(VF_TDX_SGX_EXT_TCB, i + 1, t_int(V_ASN1_INTEGER, sgx->comp[i])));
	ok = ok && push(tcb, t_entry(VF_TDX_SGX_EXT_TCB, VF_TDX_SGX_TCB_PCESVN, t_int(V_ASN1_INTEGER, sgx->pcesvn)));
	ok = ok && push(tcb, t_entry(VF_TDX_SGX_EXT_TCB, VF_TDX_SGX_TCB_CPUSVN, t_octets(sgx->cpusvn, VF_TDX_SVN_LEN)));
	if (!ok) {
		sk_ASN1_TYPE_pop_free(tcb, ASN1_TYPE_free);
		return NULL;
	}
	return t_seq(tcb);
}

TC_RESULT vf_tdx_sim_sgx_ext_der(const struct vf_tdx_sim_sgx *sgx, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	unsigned char *der = NULL;
	STACK_OF(ASN1_TYPE) *ext = sk_ASN1_TYPE_new_null();
	bool ok = ext != NULL && push(ext, t_entry(VF_TDX_SGX_EXT_PPID, -1, t_octets(sgx->ppid, VF_TDX_PPID_LEN))) &&
		  push(ext, t_entry(VF_TDX_SGX_EXT_TCB, -1, t_tcb(sgx))) &&
		  push(ext, t_entry(VF_TDX_SGX_EXT_PCEID, -1, t_octets(sgx->pceid, VF_TDX_PCEID_LEN))) &&
		  push(ext, t_entry(VF_TDX_SGX_EXT_FMSPC, -1, t_octets(sgx->fmspc, VF_TDX_FMSPC_LEN))) &&
		  push(ext, t_entry(VF_TDX_SGX_EXT_SGX_TYPE, -1, t_int(V_ASN1_ENUMERATED, sgx->sgx_type)));
	int n = ok ? i2d_ASN1_SEQUENCE_ANY(ext, &der) : -1;
	TC_ENSURE_GOTO(r, n > 0, out, TC_ERR_CRYPTO, "encoding the SGX extensions failed");
	r = tc_buf_append(out, der, (size_t)n);
out:
	OPENSSL_free(der);
	sk_ASN1_TYPE_pop_free(ext, ASN1_TYPE_free);
	tc_openssl_clear();
	return r;
}

/* ------------------------------------------------------------------------------------- certificates */

static TC_RESULT add_sgx_ext(X509 *x, const struct vf_tdx_sim_sgx *sgx)
{
	struct tc_buf der;
	tc_buf_init(&der, TC_BUF_DEFAULT_MAX);
	struct tc_result r = vf_tdx_sim_sgx_ext_der(sgx, &der);
	if (tc_is_ok(r))
		r = vf_sim_ext_der(x, VF_TDX_SGX_EXT_OID, der.data, der.len);
	tc_buf_cleanup(&der);
	return r;
}

static TC_RESULT cert_fill(const struct vf_tdx_sim_cert_spec *s, X509_NAME *name, X509 **out)
{
	bool ca = s->kind == VF_TDX_SIM_CERT_ROOT || s->kind == VF_TDX_SIM_CERT_CA;
	const struct vf_sim_ext exts[] = {
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
		{ NID_basic_constraints, s->kind == VF_TDX_SIM_CERT_ROOT ? "critical,CA:TRUE,pathlen:1" :
					 ca                              ? "critical,CA:TRUE,pathlen:0" :
									   "critical,CA:FALSE" },
		{ NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation" },
	};
	const struct vf_sim_cert_spec spec = { .subject = name,
					       .issuer = s->issuer,
					       .serial = s->serial,
					       .serial_len = VF_TDX_SIM_SERIAL_LEN,
					       .not_before = s->not_before,
					       .not_after = s->not_after,
					       .key = s->key,
					       .exts = exts,
					       .n_exts = sizeof exts / sizeof exts[0],
					       .simulated_root = s->kind == VF_TDX_SIM_CERT_ROOT };
	struct tc_result r = tc_ok();
	X509 *x = NULL;

	TC_ENSURE(s->kind != VF_TDX_SIM_CERT_PCK || s->sgx != NULL, TC_ERR_INVALID_ARGUMENT,
		  "a PCK certificate needs SGX extensions");
	TC_GUARD(vf_sim_cert_new(&spec, &x));
	if (s->kind == VF_TDX_SIM_CERT_PCK)
		TC_GUARD_GOTO(r, add_sgx_ext(x, s->sgx), out);
	if (X509_sign(x, s->issuer_key, EVP_sha256()) <= 0) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "signing the certificate");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return r;
}

TC_RESULT vf_tdx_sim_cert_issue(const struct vf_tdx_sim_cert_spec *s, X509 **out)
{
	const struct vf_sim_rdn rdns[] = { { "CN", s->cn },
					   { "O", "teecert simulated Intel Corporation" },
					   { "L", "Santa Clara" },
					   { "ST", "CA" },
					   { "C", "US" } };
	X509_NAME *name = NULL;
	TC_GUARD(vf_sim_name(rdns, sizeof rdns / sizeof rdns[0], &name));
	struct tc_result r = cert_fill(s, name, out);
	X509_NAME_free(name);
	return r;
}

/* ------------------------------------------------------------------------------------------------ CRLs */

static TC_RESULT crl_fill(X509_CRL *crl, X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
			  const ASN1_INTEGER *const *serials, size_t n)
{
	struct tc_result r = tc_ok();
	ASN1_TIME *tu = ASN1_TIME_new(), *nu = ASN1_TIME_new();
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	X509_EXTENSION *aki = NULL;
	X509V3_CTX ctx;

	TC_ENSURE_GOTO(r, tu != NULL && nu != NULL && number != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	TC_ENSURE_GOTO(r,
		       ASN1_TIME_set(tu, (time_t)this_update) != NULL &&
			       ASN1_TIME_set(nu, (time_t)next_update) != NULL &&
			       X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 &&
			       X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) == 1 &&
			       X509_CRL_set1_lastUpdate(crl, tu) == 1 && X509_CRL_set1_nextUpdate(crl, nu) == 1,
		       out, TC_ERR_CRYPTO, "CRL fields");
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *rev = X509_REVOKED_new();
		if (rev == NULL || X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)serials[i]) != 1 ||
		    X509_REVOKED_set_revocationDate(rev, tu) != 1 || X509_CRL_add0_revoked(crl, rev) != 1) {
			X509_REVOKED_free(rev);
			r = tc_fail_openssl(TC_ERR_CRYPTO, "CRL entry");
			goto out;
		}
	}
	X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
	aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (ASN1_INTEGER_set(number, 1) != 1 || X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1 ||
	    aki == NULL || X509_CRL_add_ext(crl, aki, -1) != 1 || X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, key, EVP_sha256()) <= 0)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "signing the CRL");
out:
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(number);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	return r;
}

TC_RESULT vf_tdx_sim_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
			 const ASN1_INTEGER *const *serials, size_t n_serials, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	unsigned char *der = NULL;
	X509_CRL *crl = X509_CRL_new();
	TC_ENSURE(crl != NULL, TC_ERR_NO_MEMORY, "out of memory");
	TC_GUARD_GOTO(r, crl_fill(crl, issuer, key, this_update, next_update, serials, n_serials), out);
	int n = i2d_X509_CRL(crl, &der);
	TC_ENSURE_GOTO(r, n > 0, out, TC_ERR_CRYPTO, "encoding the CRL failed");
	r = tc_buf_append(out, der, (size_t)n);
out:
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return r;
}

/* ------------------------------------------------------------------------------------------ signatures */

TC_RESULT vf_tdx_sim_sign_raw(EVP_PKEY *key, const void *data, size_t len, uint8_t sig[VF_TDX_ECDSA_SIG_LEN])
{
	struct tc_result r = tc_ok();
	unsigned char *der = NULL;
	size_t der_len = 0;
	ECDSA_SIG *s = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	TC_ENSURE(md != NULL, TC_ERR_NO_MEMORY, "out of memory");
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &der_len, data, len) != 1 || (der = OPENSSL_malloc(der_len)) == NULL ||
	    EVP_DigestSign(md, der, &der_len, data, len) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "ECDSA signing");
		goto out;
	}
	const unsigned char *p = der;
	const BIGNUM *br = NULL, *bs = NULL;
	s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (s != NULL)
		ECDSA_SIG_get0(s, &br, &bs);
	if (s == NULL || BN_bn2binpad(br, sig, VF_TDX_ECDSA_COORD_LEN) != VF_TDX_ECDSA_COORD_LEN ||
	    BN_bn2binpad(bs, sig + VF_TDX_ECDSA_COORD_LEN, VF_TDX_ECDSA_COORD_LEN) != VF_TDX_ECDSA_COORD_LEN)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "ECDSA signature to r || s");
out:
	ECDSA_SIG_free(s);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return r;
}

TC_RESULT vf_tdx_sim_pubkey_xy(EVP_PKEY *key, uint8_t xy[VF_TDX_ECDSA_KEY_LEN])
{
	uint8_t point[SIM_POINT_LEN];
	size_t n = 0;
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &n) != 1)
		return tc_fail_openssl(TC_ERR_CRYPTO, "reading the public key");
	TC_ENSURE(n == sizeof point && point[0] == POINT_CONVERSION_UNCOMPRESSED, TC_ERR_CRYPTO,
		  "the public key is not an uncompressed P-256 point");
	memcpy(xy, point + 1, VF_TDX_ECDSA_KEY_LEN);
	return tc_ok();
}

TC_RESULT vf_tdx_sim_pcs_body(const char *field, const uint8_t *inner, size_t len, EVP_PKEY *key, struct tc_buf *out)
{
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	char hex[2 * VF_TDX_ECDSA_SIG_LEN + 1];
	TC_GUARD(vf_tdx_sim_sign_raw(key, inner, len, sig));
	TC_GUARD(tc_hex_encode(sig, sizeof sig, hex, sizeof hex));
	TC_GUARD(tc_buf_appendf(out, "{\"%s\":", field));
	TC_GUARD(tc_buf_append(out, inner, len));
	return tc_buf_appendf(out, ",\"signature\":\"%s\"}", hex);
}

/* ---------------------------------------------------------------------------------------- PKI loading */

void vf_tdx_sim_pki_free(struct vf_tdx_sim_pki *pki)
{
	if (pki == NULL)
		return;
	X509_free(pki->root);
	X509_free(pki->platform_ca);
	X509_free(pki->tcb_signer);
	EVP_PKEY_free(pki->root_key);
	EVP_PKEY_free(pki->platform_ca_key);
	EVP_PKEY_free(pki->tcb_key);
	EVP_PKEY_free(pki->pck_key);
	EVP_PKEY_free(pki->ak_key);
	ASN1_INTEGER_free(pki->revoked_pck_serial);
	free(pki);
}

static TC_RESULT load_path(const struct vf_tdx_sim_pki *pki, const char *rel, char *out, size_t size)
{
	TC_ENSURE(snprintf(out, size, "%s/%s", pki->dir, rel) < (int)size, TC_ERR_TOO_LARGE, "path too long");
	return tc_ok();
}

static TC_RESULT load_key(const struct vf_tdx_sim_pki *pki, const char *rel, EVP_PKEY **out)
{
	char path[VF_TDX_SIM_PATH_MAX];
	TC_GUARD(load_path(pki, rel, path, sizeof path));
	return vf_sim_key_read(path, EVP_PKEY_NONE, out);
}

static TC_RESULT load_cert(const struct vf_tdx_sim_pki *pki, const char *rel, X509 **out)
{
	char path[VF_TDX_SIM_PATH_MAX];
	TC_GUARD(load_path(pki, rel, path, sizeof path));
	return vf_sim_cert_read(path, out);
}

/* pki.json: created_at and the revoked PCK serial (hex). */
static TC_RESULT load_info(struct vf_tdx_sim_pki *pki)
{
	struct tc_result r = tc_ok();
	char path[VF_TDX_SIM_PATH_MAX];
	struct tc_buf text;
	json_t *info = NULL;
	BIGNUM *bn = NULL;
	tc_buf_init(&text, TC_JSON_MAX_DEFAULT);
	TC_GUARD_GOTO(r, load_path(pki, "pki.json", path, sizeof path), out);
	TC_GUARD_GOTO(r, tc_file_read(path, TC_JSON_MAX_DEFAULT, &text), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)text.data, text.len, TC_JSON_MAX_DEFAULT, &info), out);
	const char *created = json_string_value(json_object_get(info, "created_at"));
	const char *serial = json_string_value(json_object_get(json_object_get(info, "pck_crl"), "revoked_pck_serial"));
	TC_ENSURE_GOTO(r, created != NULL && serial != NULL, out, TC_ERR_JSON_FIELD_MISSING,
		       "%s: created_at and pck_crl.revoked_pck_serial are required", path);
	TC_GUARD_GOTO(r, tc_time_parse(created, &pki->created_at), out);
	TC_ENSURE_GOTO(r,
		       BN_hex2bn(&bn, serial) > 0 && (pki->revoked_pck_serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL,
		       out, TC_ERR_JSON_FIELD_INVALID, "%s: revoked_pck_serial is not hex", path);
out:
	BN_free(bn);
	json_decref(info);
	tc_buf_cleanup(&text);
	return r;
}

TC_RESULT vf_tdx_sim_pki_load(const char *dir, struct vf_tdx_sim_pki **out)
{
	struct tc_result r = tc_ok();
	struct vf_tdx_sim_pki *pki = calloc(1, sizeof *pki);
	TC_ENSURE(pki != NULL, TC_ERR_NO_MEMORY, "out of memory");
	TC_ENSURE_GOTO(r, snprintf(pki->dir, sizeof pki->dir, "%s", dir) < (int)sizeof pki->dir, out, TC_ERR_TOO_LARGE,
		       "path too long");
	TC_GUARD_GOTO(r, load_info(pki), out);
	TC_GUARD_GOTO(r, load_cert(pki, "intel_root.pem", &pki->root), out);
	TC_GUARD_GOTO(r, load_cert(pki, "keys/pck_platform_ca_cert.pem", &pki->platform_ca), out);
	TC_GUARD_GOTO(r, load_cert(pki, "keys/tcb_signing_cert.pem", &pki->tcb_signer), out);
	TC_GUARD_GOTO(r, load_key(pki, "keys/root_key.pem", &pki->root_key), out);
	TC_GUARD_GOTO(r, load_key(pki, "keys/pck_platform_ca_key.pem", &pki->platform_ca_key), out);
	TC_GUARD_GOTO(r, load_key(pki, "keys/tcb_signing_key.pem", &pki->tcb_key), out);
	TC_GUARD_GOTO(r, load_key(pki, "keys/pck_key.pem", &pki->pck_key), out);
	TC_GUARD_GOTO(r, load_key(pki, "keys/attestation_key.pem", &pki->ak_key), out);
out:
	if (!tc_is_ok(r)) {
		vf_tdx_sim_pki_free(pki);
		return r;
	}
	*out = pki;
	return tc_ok();
}
