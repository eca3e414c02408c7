/*
 * vf_nvidia_sim_x509.c — keys and certificates of the simulated NVIDIA PKI (teecert sim nvidia).
 *
 * Every key is ECDSA P-384 and every certificate is signed with ecdsa-with-SHA384, like NVIDIA's device and
 * RIM chains. Profiles follow the real H100 chain (RFC 5280 §4.2): CAs carry critical basicConstraints and
 * keyUsage keyCertSign|cRLSign, signing leaves a critical keyUsage digitalSignature; all carry SKI and AKI so
 * that OpenSSL's X509_STRICT path building (vf_x509_verify_chain) accepts them. Roots get the
 * simulated-root marker (vf_x509_mark_simulated); FMC leaves get the TCG DICE TcbInfo FWID
 * (vf_nv_cert_tcbinfo_der, the form vf_nv_cert_fwid parses) and NVIDIA's UEID otherName SAN.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_SERIAL_LEN 16
#define VF_NV_SIM_FILE_MAX (256u * 1024u)
#define VF_NV_SIM_CERT_MODE 0644
#define VF_NV_SIM_KEY_MODE 0600
#define VF_NV_SIM_UEID_OID "1.3.6.1.4.1.412.274.1" /* NVIDIA device UEID otherName (H100 FMC leaves) */
#define VF_NV_SIM_CONF_MAX 160

TC_RESULT vf_nv_sim_path(const char *dir, const char *name, char *out)
{
	int n = snprintf(out, VF_NV_SIM_PATH_MAX, "%s/%s", dir, name);

	TC_ENSURE(n > 0 && n < VF_NV_SIM_PATH_MAX, TC_ERR_INVALID_ARGUMENT, "path %s/%s too long", dir, name);
	return tc_ok();
}

TC_RESULT vf_nv_sim_key_new(EVP_PKEY **out)
{
	EVP_PKEY *key = EVP_EC_gen(SN_secp384r1);

	if (key == NULL)
		return tc_fail_openssl(TC_ERR_CRYPTO, "generating a P-384 key");
	*out = key;
	return tc_ok();
}

static TC_RESULT vf_nv_sim_name(X509_NAME *n, const struct vf_nv_sim_name *spec)
{
	if (spec->serial != NULL && X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_UTF8,
							       (const unsigned char *)spec->serial, -1, -1, 0) != 1)
		return tc_fail_openssl(TC_ERR_CRYPTO, "subject serialNumber");
	if (X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8, (const unsigned char *)spec->o, -1, -1,
				       0) != 1 ||
	    X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (const unsigned char *)spec->cn, -1, -1, 0) !=
		    1)
		return tc_fail_openssl(TC_ERR_CRYPTO, "subject name");
	return tc_ok();
}

/* One extension from OpenSSL's configuration syntax (RFC 5280 extensions). */
static TC_RESULT vf_nv_sim_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, OBJ_nid2sn(nid));
	return tc_ok();
}

static TC_RESULT vf_nv_sim_tcbinfo(X509 *x, EVP_PKEY *key, const uint8_t *fwid)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(VF_DICE_TCBINFO_OID, 1);
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	struct tc_buf der;
	struct tc_result r = tc_ok();

	tc_buf_init(&der, VF_NV_SIM_FILE_MAX);
	TC_ENSURE_GOTO(r, oid != NULL && value != NULL, out, TC_ERR_NO_MEMORY, "TcbInfo extension");
	TC_GUARD_GOTO(r, vf_nv_cert_tcbinfo_der(key, fwid, VF_NV_FWID_LEN, &der), out);
	if (ASN1_OCTET_STRING_set(value, der.data, (int)der.len) != 1 ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, value)) == NULL || X509_add_ext(x, ext, -1) != 1)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "adding the TcbInfo extension");
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(value);
	ASN1_OBJECT_free(oid);
	tc_buf_cleanup(&der);
	return r;
}

static TC_RESULT vf_nv_sim_serial(X509 *x)
{
	uint8_t bytes[VF_NV_SIM_SERIAL_LEN];
	BIGNUM *bn;
	int ok;

	TC_GUARD(tc_random_bytes(bytes, sizeof(bytes)));
	bytes[0] = (uint8_t)((bytes[0] & 0x7F) | 0x40); /* positive, full length (RFC 5280 §4.1.2.2) */
	bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, "certificate serial");
	return tc_ok();
}

static TC_RESULT vf_nv_sim_extensions(const struct vf_nv_sim_cert_spec *spec, X509 *x, X509 *issuer, EVP_PKEY *key)
{
	X509V3_CTX ctx;
	char conf[VF_NV_SIM_CONF_MAX];

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (spec->ca) {
		if (spec->pathlen >= 0)
			snprintf(conf, sizeof(conf), "critical,CA:TRUE,pathlen:%d", spec->pathlen);
		else
			snprintf(conf, sizeof(conf), "critical,CA:TRUE");
		TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_basic_constraints, conf));
		TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
	} else {
		TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE"));
		TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_key_usage, "critical,digitalSignature"));
	}
	TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_subject_key_identifier, "hash"));
	TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"));
	if (spec->ueid_san != NULL) {
		snprintf(conf, sizeof(conf), "otherName:%s;UTF8:%s", VF_NV_SIM_UEID_OID, spec->ueid_san);
		TC_GUARD(vf_nv_sim_ext(x, &ctx, NID_subject_alt_name, conf));
	}
	if (spec->fwid != NULL)
		TC_GUARD(vf_nv_sim_tcbinfo(x, key, spec->fwid));
	if (spec->simulated_root)
		TC_GUARD(vf_x509_mark_simulated(x));
	return tc_ok();
}

TC_RESULT vf_nv_sim_cert_issue(const struct vf_nv_sim_cert_spec *spec, EVP_PKEY *key, X509 *issuer,
			       EVP_PKEY *issuer_key, X509 **out)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, x != NULL && name != NULL, out, TC_ERR_NO_MEMORY, "X509_new");
	TC_ENSURE_GOTO(r, X509_set_version(x, X509_VERSION_3) == 1, out, TC_ERR_CRYPTO, "X509_set_version");
	TC_GUARD_GOTO(r, vf_nv_sim_serial(x), out);
	TC_GUARD_GOTO(r, vf_nv_sim_name(name, &spec->subject), out);
	TC_ENSURE_GOTO(r, X509_set_subject_name(x, name) == 1, out, TC_ERR_CRYPTO, "subject");
	TC_ENSURE_GOTO(r, X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) == 1, out,
		       TC_ERR_CRYPTO, "issuer");
	TC_ENSURE_GOTO(r,
		       ASN1_TIME_set(X509_getm_notBefore(x), (time_t)spec->not_before) != NULL &&
			       ASN1_TIME_set(X509_getm_notAfter(x), (time_t)spec->not_after) != NULL,
		       out, TC_ERR_CRYPTO, "validity");
	TC_ENSURE_GOTO(r, X509_set_pubkey(x, key) == 1, out, TC_ERR_CRYPTO, "public key");
	TC_GUARD_GOTO(r, vf_nv_sim_extensions(spec, x, issuer, key), out);
	if (X509_sign(x, issuer_key, EVP_sha384()) <= 0) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "signing a certificate");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	tc_openssl_clear();
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

/* ----------------------------------------------------------------------------------------- PEM */

static TC_RESULT vf_nv_sim_bio_take(BIO *bio, struct tc_buf *out)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	TC_ENSURE(len > 0, TC_ERR_CRYPTO, "empty PEM output");
	return tc_buf_append(out, data, (size_t)len);
}

TC_RESULT vf_nv_sim_cert_pem(X509 *cert, struct tc_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct tc_result r;

	if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1) {
		BIO_free(bio);
		return tc_fail_openssl(TC_ERR_CRYPTO, "PEM_write_bio_X509");
	}
	r = vf_nv_sim_bio_take(bio, out);
	BIO_free(bio);
	return r;
}

TC_RESULT vf_nv_sim_chain_pem(STACK_OF(X509) *chain, struct tc_buf *out)
{
	for (int i = 0; i < sk_X509_num(chain); i++)
		TC_GUARD(vf_nv_sim_cert_pem(sk_X509_value(chain, i), out));
	return tc_ok();
}

TC_RESULT vf_nv_sim_cert_write(const char *dir, const char *name, X509 *cert)
{
	char path[VF_NV_SIM_PATH_MAX];
	struct tc_buf pem;
	struct tc_result r;

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	tc_buf_init(&pem, VF_NV_SIM_FILE_MAX);
	r = vf_nv_sim_cert_pem(cert, &pem);
	if (tc_is_ok(r))
		r = tc_file_write(path, pem.data, pem.len, VF_NV_SIM_CERT_MODE);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT vf_nv_sim_key_write(const char *dir, const char *name, EVP_PKEY *key)
{
	char path[VF_NV_SIM_PATH_MAX];
	BIO *bio = NULL;
	struct tc_buf pem;
	struct tc_result r = tc_ok();

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	tc_buf_init(&pem, VF_NV_SIM_FILE_MAX);
	bio = BIO_new(BIO_s_secmem());
	/* PKCS#8 PrivateKeyInfo, unencrypted ("BEGIN PRIVATE KEY"). */
	if (bio == NULL || PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "PEM_write_bio_PKCS8PrivateKey");
		goto out;
	}
	TC_GUARD_GOTO(r, vf_nv_sim_bio_take(bio, &pem), out);
	r = tc_file_write(path, pem.data, pem.len, VF_NV_SIM_KEY_MODE);
out:
	BIO_free(bio);
	tc_buf_cleanup(&pem); /* zeroes the key bytes */
	return r;
}

static TC_RESULT vf_nv_sim_read(const char *dir, const char *name, struct tc_buf *out)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	return tc_file_read(path, VF_NV_SIM_FILE_MAX, out);
}

TC_RESULT vf_nv_sim_cert_read(const char *dir, const char *name, X509 **out)
{
	struct tc_buf pem;
	struct tc_result r;

	tc_buf_init(&pem, VF_NV_SIM_FILE_MAX);
	r = vf_nv_sim_read(dir, name, &pem);
	if (tc_is_ok(r))
		r = vf_x509_parse(pem.data, pem.len, TC_ERR_INVALID_ARGUMENT, out);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT vf_nv_sim_chain_read(const char *dir, const char *name, STACK_OF(X509) **out)
{
	struct tc_buf pem;
	struct tc_result r;

	tc_buf_init(&pem, VF_NV_SIM_FILE_MAX);
	r = vf_nv_sim_read(dir, name, &pem);
	if (tc_is_ok(r))
		r = vf_x509_parse_pem_chain(pem.data, pem.len, TC_ERR_INVALID_ARGUMENT, out);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT vf_nv_sim_key_read(const char *dir, const char *name, EVP_PKEY **out)
{
	struct tc_buf pem;
	struct tc_result r;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;

	tc_buf_init(&pem, VF_NV_SIM_FILE_MAX);
	TC_GUARD_GOTO(r, vf_nv_sim_read(dir, name, &pem), out);
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_EC) {
		EVP_PKEY_free(key);
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "%s/%s is not an EC private key (PEM PKCS#8)", dir, name);
		tc_openssl_clear();
		goto out;
	}
	*out = key;
out:
	BIO_free(bio);
	tc_buf_cleanup(&pem);
	return r;
}
