/* test_vf_snp_pki.c — see test_vf_snp_pki.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "test_vf_snp_pki.h"

void snp_test_read(const char *rel, struct tc_buf *out)
{
	const char *shared = getenv("TEECERT_SHARED");
	char path[1024];

	snprintf(path, sizeof(path), "%s/evidence/%s", shared ? shared : "../shared", rel);
	tc_buf_init(out, 1 << 20);
	if (!tc_is_ok(tc_file_read(path, 1 << 20, out)))
		fail_msg("cannot read %s: %s", path, tc_error_detail());
}

EVP_PKEY *snp_test_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

	assert_non_null(k);
	return k;
}

static void set_name(X509_NAME *n, const char *cn)
{
	assert_int_equal(
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"Engineering", -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
						    (const unsigned char *)"Advanced Micro Devices", -1, -1, 0),
			 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
}

X509 *snp_test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca, long serial,
		    int64_t not_before, int64_t not_after, const struct snp_test_ext *exts, size_t n_exts)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	set_name(name, cn);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
	X509_NAME_free(name);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (ca) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");

		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	for (size_t i = 0; i < n_exts; i++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(exts[i].oid, 1);
		ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		assert_non_null(obj);
		assert_int_equal(ASN1_OCTET_STRING_set(val, exts[i].der, (int)exts[i].len), 1);
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, val);
		assert_non_null(e);
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
		ASN1_OBJECT_free(obj);
		ASN1_OCTET_STRING_free(val);
	}
	assert_true(X509_sign(x, issuer_key, EVP_sha384()) > 0);
	return x;
}

void snp_test_der(X509 *x, struct tc_buf *out)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	assert_true(tc_is_ok(tc_buf_append(out, der, (size_t)n)));
	OPENSSL_free(der);
}

void snp_test_pem(X509 *x, struct tc_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &p);
	assert_true(tc_is_ok(tc_buf_append(out, p, (size_t)n)));
	BIO_free(b);
}

X509 *snp_test_vcek_cert(const struct snp_test_vcek *v, const char *cn, EVP_PKEY *key, X509 *ask, EVP_PKEY *ask_key,
			 int64_t nb, int64_t na)
{
	uint8_t sv[3] = { 0x02, 0x01, (uint8_t)v->struct_version };
	uint8_t prod[40];
	uint8_t spl[5][4];
	uint8_t hw[2 + 64];
	const uint8_t vals[5] = { v->tcb.bootloader, v->tcb.tee, v->tcb.snp, v->tcb.microcode, v->tcb.fmc };
	size_t spl_len[5];
	struct snp_test_ext e[10];
	size_t n = 0;

	prod[0] = 0x16;
	prod[1] = (uint8_t)strlen(v->product_name);
	memcpy(prod + 2, v->product_name, prod[1]);
	for (int i = 0; i < 5; i++) {
		spl[i][0] = 0x02;
		if (vals[i] >= 0x80) {
			spl[i][1] = 2;
			spl[i][2] = 0;
			spl[i][3] = vals[i];
			spl_len[i] = 4;
		} else {
			spl[i][1] = 1;
			spl[i][2] = vals[i];
			spl_len[i] = 3;
		}
	}
	e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.1", sv, 3 };
	e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.2", prod, (size_t)prod[1] + 2 };
	if (v->with_fmc)
		e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.3.9", spl[4], spl_len[4] };
	e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.3.1", spl[0], spl_len[0] };
	e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.3.2", spl[1], spl_len[1] };
	e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.3.3", spl[2], spl_len[2] };
	e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.3.8", spl[3], spl_len[3] };
	if (v->hwid) {
		if (v->wrap_hwid) {
			hw[0] = 0x04;
			hw[1] = (uint8_t)v->hwid_len;
			memcpy(hw + 2, v->hwid, v->hwid_len);
			e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.4", hw, v->hwid_len + 2 };
		} else {
			e[n++] = (struct snp_test_ext){ "1.3.6.1.4.1.3704.1.4", v->hwid, v->hwid_len };
		}
	}
	return snp_test_cert(cn, key, ask, ask_key, false, 0, nb, na, e, n);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void snp_test_report_build(const struct snp_test_report *r, EVP_PKEY *key, uint8_t out[VF_SNP_REPORT_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[128];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *sig;
	const BIGNUM *br, *bs;
	uint8_t be[48];

	memset(out, 0, VF_SNP_REPORT_LEN);
	put32(out + 0x000, r->version);
	put64(out + 0x008, r->policy);
	put32(out + 0x030, r->vmpl);
	put32(out + 0x034, 1);
	put64(out + 0x038, r->current_tcb);
	put32(out + 0x048, r->signing_key << 2);
	memcpy(out + 0x050, r->report_data, 64);
	memcpy(out + 0x090, r->measurement, 48);
	put64(out + 0x180, r->reported_tcb);
	out[0x188] = r->family;
	out[0x189] = r->model;
	out[0x18A] = r->stepping;
	memcpy(out + 0x1A0, r->chip_id, 64);
	put64(out + 0x1E0, r->committed_tcb);
	put64(out + 0x1F0, r->launch_tcb);
	if (r->version >= 5) {
		put64(out + 0x1F8, r->launch_mit);
		put64(out + 0x200, r->current_mit);
	}
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &der_len, out, VF_SNP_SIGNED_LEN), 1);
	EVP_MD_CTX_free(ctx);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	assert_non_null(sig);
	ECDSA_SIG_get0(sig, &br, &bs);
	assert_int_equal(BN_bn2binpad(br, be, 48), 48);
	for (int i = 0; i < 48; i++)
		out[0x2A0 + i] = be[47 - i];
	assert_int_equal(BN_bn2binpad(bs, be, 48), 48);
	for (int i = 0; i < 48; i++)
		out[0x2A0 + 72 + i] = be[47 - i];
	ECDSA_SIG_free(sig);
}
