/*
 * vf_sim_x509.c — X.509 helpers shared by the simulated vendor PKIs (teecert sim tdx|snp|nvidia).
 *
 * The three generators differ in keys (P-256, RSA, P-384), signatures (ECDSA-SHA256, RSASSA-PSS,
 * ECDSA-SHA384), names and extension profiles; what they share lives here: folders, random serials
 * (RFC 5280 §4.1.2.2: positive, at most 20 octets), names from an RDN table, a v3 certificate with its
 * RFC 5280 extensions in the caller's order, extensions carrying caller-encoded DER, and PEM files
 * (certificates 0644; private keys as unencrypted PKCS#8, 0600, the PEM text zeroed after use).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "vf_internal.h"

TC_RESULT vf_sim_mkdir(const char *path, unsigned mode)
{
	struct stat st;

	if (mkdir(path, (mode_t)mode) != 0)
		TC_ENSURE(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode), TC_ERR_IO,
			  "cannot create folder %s: %s", path, strerror(errno));
	/* also for a new folder: the umask may have narrowed MODE */
	TC_ENSURE(chmod(path, (mode_t)mode) == 0, TC_ERR_IO, "cannot chmod %s: %s", path, strerror(errno));
	return tc_ok();
}

/* ----------------------------------------------------------------------------------------------- keys */

TC_RESULT vf_sim_key_new(const char *curve, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_EC_gen(curve);

	if (k == NULL)
		return tc_fail_openssl(TC_ERR_CRYPTO, curve);
	*out = k;
	return tc_ok();
}

TC_RESULT vf_sim_key_write(const char *path, EVP_PKEY *key)
{
	struct tc_result r = tc_ok();
	char *pem = NULL;
	BIO *b = BIO_new(BIO_s_secmem());

	TC_ENSURE(b != NULL, TC_ERR_NO_MEMORY, "out of memory");
	/* PKCS#8 PrivateKeyInfo, unencrypted ("BEGIN PRIVATE KEY"). */
	if (PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "PEM PKCS#8 encoding");
		goto out;
	}
	long n = BIO_get_mem_data(b, &pem);
	TC_ENSURE_GOTO(r, n > 0 && pem != NULL, out, TC_ERR_CRYPTO, "PEM PKCS#8 encoding is empty");
	r = tc_file_write(path, pem, (size_t)n, VF_SIM_KEY_MODE);
	tc_secure_zero(pem, (size_t)n);
out:
	BIO_free(b);
	return r;
}

TC_RESULT vf_sim_key_read(const char *path, int type, EVP_PKEY **out)
{
	struct tc_result r = tc_ok();
	struct tc_buf text;
	BIO *b = NULL;
	EVP_PKEY *k = NULL;

	tc_buf_init(&text, VF_SIM_FILE_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, VF_SIM_FILE_MAX, &text), out);
	b = BIO_new_mem_buf(text.data, (int)text.len);
	TC_ENSURE_GOTO(r, b != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	if (k == NULL || (type != EVP_PKEY_NONE && EVP_PKEY_base_id(k) != type)) {
		EVP_PKEY_free(k);
		tc_openssl_clear();
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "%s is not a%s private key (PEM PKCS#8)", path,
			    type == EVP_PKEY_EC   ? "n EC" :
			    type == EVP_PKEY_NONE ? "" :
						    " suitable");
		goto out;
	}
	*out = k;
out:
	BIO_free(b);
	tc_buf_cleanup(&text); /* zeroes the key text */
	return r;
}

/* ------------------------------------------------------------------------------------- certificates */

TC_RESULT vf_sim_cert_pem(X509 *cert, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	char *pem = NULL;
	BIO *b = BIO_new(BIO_s_mem());

	TC_ENSURE(b != NULL, TC_ERR_NO_MEMORY, "out of memory");
	if (PEM_write_bio_X509(b, cert) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "PEM certificate encoding");
		goto out;
	}
	long n = BIO_get_mem_data(b, &pem);
	TC_ENSURE_GOTO(r, n > 0 && pem != NULL, out, TC_ERR_CRYPTO, "PEM certificate encoding is empty");
	r = tc_buf_append(out, pem, (size_t)n);
out:
	BIO_free(b);
	return r;
}

TC_RESULT vf_sim_certs_write(const char *path, X509 *const *certs, size_t n)
{
	struct tc_buf pem;
	struct tc_result r = tc_ok();

	tc_buf_init(&pem, VF_SIM_FILE_MAX);
	for (size_t i = 0; i < n; i++)
		TC_GUARD_GOTO(r, vf_sim_cert_pem(certs[i], &pem), out);
	r = tc_file_write(path, pem.data, pem.len, VF_SIM_CERT_MODE);
out:
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT vf_sim_cert_read(const char *path, X509 **out)
{
	struct tc_result r = tc_ok();
	struct tc_buf text;

	tc_buf_init(&text, VF_SIM_FILE_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, VF_SIM_FILE_MAX, &text), out);
	r = vf_x509_parse(text.data, text.len, TC_ERR_INVALID_ARGUMENT, out);
out:
	tc_buf_cleanup(&text);
	return r;
}

TC_RESULT vf_sim_serial(size_t len, ASN1_INTEGER **out)
{
	uint8_t raw[VF_SIM_SERIAL_MAX];

	TC_ENSURE(len > 0 && len <= sizeof raw, TC_ERR_INVALID_ARGUMENT, "serial of %zu bytes", len);
	TC_GUARD(tc_random_bytes(raw, len));
	raw[0] = (uint8_t)((raw[0] & 0x7f) | 0x40); /* positive, never zero, full length */
	BIGNUM *bn = BN_bin2bn(raw, (int)len, NULL);
	ASN1_INTEGER *i = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	TC_ENSURE(i != NULL, TC_ERR_NO_MEMORY, "out of memory");
	*out = i;
	return tc_ok();
}

TC_RESULT vf_sim_name(const struct vf_sim_rdn *rdns, size_t n, X509_NAME **out)
{
	X509_NAME *name = X509_NAME_new();

	TC_ENSURE(name != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (rdns[i].value == NULL)
			continue;
		if (X509_NAME_add_entry_by_txt(name, rdns[i].field, MBSTRING_UTF8, (const unsigned char *)rdns[i].value,
					       -1, -1, 0) != 1) {
			X509_NAME_free(name);
			return tc_fail_openssl(TC_ERR_CRYPTO, rdns[i].field);
		}
	}
	*out = name;
	return tc_ok();
}

TC_RESULT vf_sim_ext_conf(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	bool ok = e != NULL && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, OBJ_nid2sn(nid));
	return tc_ok();
}

TC_RESULT vf_sim_ext_der(X509 *x, const char *oid_text, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(oid_text, 1);
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	bool ok = oid != NULL && value != NULL && len <= INT_MAX && ASN1_OCTET_STRING_set(value, der, (int)len) == 1 &&
		  (e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, value)) != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(value);
	ASN1_OBJECT_free(oid);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, oid_text);
	return tc_ok();
}

static TC_RESULT cert_fill(const struct vf_sim_cert_spec *s, X509 *x)
{
	struct tc_result r = tc_ok();
	ASN1_INTEGER *serial = NULL;

	if (s->serial == NULL && s->serial_len > 0)
		TC_GUARD(vf_sim_serial(s->serial_len, &serial));
	const ASN1_INTEGER *use = s->serial != NULL ? s->serial : serial;
	TC_ENSURE_GOTO(r,
		       X509_set_version(x, X509_VERSION_3) == 1 &&
			       (use == NULL || X509_set_serialNumber(x, (ASN1_INTEGER *)use) == 1) &&
			       X509_set_subject_name(x, s->subject) == 1 &&
			       X509_set_issuer_name(x, s->issuer != NULL ? X509_get_subject_name(s->issuer) :
									   s->subject) == 1 &&
			       ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) != NULL &&
			       ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) != NULL &&
			       X509_set_pubkey(x, s->key) == 1,
		       out, TC_ERR_CRYPTO, "certificate fields");
	for (size_t i = 0; i < s->n_exts; i++)
		if (s->exts[i].value != NULL)
			TC_GUARD_GOTO(r, vf_sim_ext_conf(x, s->issuer, s->exts[i].nid, s->exts[i].value), out);
	if (s->simulated_root)
		TC_GUARD_GOTO(r, vf_x509_mark_simulated(x), out);
out:
	ASN1_INTEGER_free(serial);
	return r;
}

TC_RESULT vf_sim_cert_new(const struct vf_sim_cert_spec *spec, X509 **out)
{
	X509 *x = X509_new();

	TC_ENSURE(x != NULL, TC_ERR_NO_MEMORY, "out of memory");
	struct tc_result r = cert_fill(spec, x);
	if (!tc_is_ok(r)) {
		X509_free(x);
		return r;
	}
	*out = x;
	return tc_ok();
}
