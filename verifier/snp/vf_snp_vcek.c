/*
 * vf_snp_vcek.c — the AMD extensions of VCEK / VLEK certificates.
 *
 * AMD "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface Specification" (#57230), table
 * "VCEK Certificate Extensions" (the VLEK specification reuses the arc):
 *   1.3.6.1.4.1.3704.1.1    structVersion  INTEGER
 *   1.3.6.1.4.1.3704.1.2    productName    IA5String ("Milan-B0", "Genoa", "Turin", ...)
 *   1.3.6.1.4.1.3704.1.3.1  blSPL          INTEGER     .3.2 teeSPL  .3.3 snpSPL  .3.4-.3.7 spl_4..spl_7
 *   1.3.6.1.4.1.3704.1.3.8  ucodeSPL       INTEGER     .3.9 fmcSPL (Turin)
 *   1.3.6.1.4.1.3704.1.4    hwID           the 64-byte CHIP_ID (Turin: 8 bytes); VCEK only
 *   1.3.6.1.4.1.3704.1.5    cspID          IA5String; VLEK only
 * The extnValue OCTET STRING holds the DER of the value. hwID is the exception seen in the wild: AMD's KDS
 * puts the raw bytes there, some tools wrap them in a DER OCTET STRING (04 40 ...). Both are accepted.
 * All parsing of the value bytes goes through struct tc_cursor.
 */
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "vf_snp.h"

#define VF_SNP_OID_TXT_MAX 64
#define VF_SNP_SPL_MAX 255

/* DER tags used by the extension values. */
#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_IA5STRING 0x16
#define DER_UTF8STRING 0x0C

/* One short-form DER TLV (the values here are all < 128 bytes). */
static TC_RESULT der_tlv(struct tc_cursor *c, uint8_t tag, const uint8_t **val, size_t *val_len)
{
	uint8_t t, l;

	TC_GUARD(tc_cursor_u8(c, &t));
	TC_GUARD(tc_cursor_u8(c, &l));
	TC_ENSURE(t == tag, TC_ERR_CERT_CHAIN_INVALID, "DER tag 0x%02x where 0x%02x was expected", t, tag);
	TC_ENSURE(l < 0x80, TC_ERR_CERT_CHAIN_INVALID, "DER long-form length is not expected here");
	TC_GUARD(tc_cursor_view(c, l, val));
	*val_len = l;
	TC_ENSURE(tc_cursor_remaining(c) == 0, TC_ERR_CERT_CHAIN_INVALID, "trailing bytes after the DER value");
	return tc_ok();
}

/* A DER INTEGER 0..255 (one byte, or 00 + one byte >= 0x80). */
static TC_RESULT der_spl(const uint8_t *data, size_t len, uint8_t *out)
{
	struct tc_cursor c;
	const uint8_t *v;
	size_t n;

	tc_cursor_init(&c, data, len);
	TC_GUARD(der_tlv(&c, DER_INTEGER, &v, &n));
	if (n == 1 && v[0] < 0x80) {
		*out = v[0];
		return tc_ok();
	}
	TC_ENSURE(n == 2 && v[0] == 0 && v[1] >= 0x80, TC_ERR_CERT_CHAIN_INVALID, "SPL is not a DER INTEGER in 0..%d",
		  VF_SNP_SPL_MAX);
	*out = v[1];
	return tc_ok();
}

static TC_RESULT der_string(const uint8_t *data, size_t len, char *out, size_t out_size)
{
	struct tc_cursor c;
	const uint8_t *v;
	size_t n;
	uint8_t tag = len > 0 ? data[0] : 0;

	tc_cursor_init(&c, data, len);
	TC_GUARD(der_tlv(&c, tag == DER_UTF8STRING ? DER_UTF8STRING : DER_IA5STRING, &v, &n));
	TC_ENSURE(n < out_size, TC_ERR_CERT_CHAIN_INVALID, "string of %zu bytes is too long", n);
	for (size_t i = 0; i < n; i++)
		TC_ENSURE(v[i] >= 0x20 && v[i] < 0x7f, TC_ERR_CERT_CHAIN_INVALID, "non-printable character");
	memcpy(out, v, n);
	out[n] = 0;
	return tc_ok();
}

/* hwID: raw 64 (Turin 8) bytes, or the same wrapped in a DER OCTET STRING. */
static TC_RESULT hwid_value(const uint8_t *data, size_t len, struct vf_snp_vcek_ext *out)
{
	struct tc_cursor c;
	const uint8_t *v = data;
	size_t n = len;

	if ((len == VF_SNP_CHIP_ID_LEN + 2 || len == VF_SNP_TURIN_HWID_LEN + 2) && data[0] == DER_OCTET_STRING) {
		tc_cursor_init(&c, data, len);
		TC_GUARD(der_tlv(&c, DER_OCTET_STRING, &v, &n));
	}
	TC_ENSURE(n == VF_SNP_CHIP_ID_LEN || n == VF_SNP_TURIN_HWID_LEN, TC_ERR_CERT_CHAIN_INVALID,
		  "hwID is %zu bytes (expected %d, or %d on Turin)", n, VF_SNP_CHIP_ID_LEN, VF_SNP_TURIN_HWID_LEN);
	memcpy(out->hwid, v, n);
	out->hwid_len = n;
	return tc_ok();
}

static TC_RESULT one_ext(const char *sub, const uint8_t *d, size_t n, struct vf_snp_vcek_ext *e)
{
	uint8_t spl;

	if (strcmp(sub, VF_SNP_EXT_STRUCT_VERSION) == 0) {
		TC_GUARD(der_spl(d, n, &spl));
		e->has_struct_version = true;
		e->struct_version = spl;
	} else if (strcmp(sub, VF_SNP_EXT_PRODUCT_NAME) == 0) {
		TC_GUARD(der_string(d, n, e->product_name, sizeof(e->product_name)));
		snprintf(e->product, sizeof(e->product), "%.*s", (int)strcspn(e->product_name, "-"), e->product_name);
	} else if (strcmp(sub, VF_SNP_EXT_BL_SPL) == 0) {
		TC_GUARD(der_spl(d, n, &e->tcb.bootloader));
		e->has_bl = true;
	} else if (strcmp(sub, VF_SNP_EXT_TEE_SPL) == 0) {
		TC_GUARD(der_spl(d, n, &e->tcb.tee));
		e->has_tee = true;
	} else if (strcmp(sub, VF_SNP_EXT_SNP_SPL) == 0) {
		TC_GUARD(der_spl(d, n, &e->tcb.snp));
		e->has_snp = true;
	} else if (strcmp(sub, VF_SNP_EXT_UCODE_SPL) == 0) {
		TC_GUARD(der_spl(d, n, &e->tcb.microcode));
		e->has_ucode = true;
	} else if (strcmp(sub, VF_SNP_EXT_FMC_SPL) == 0) {
		TC_GUARD(der_spl(d, n, &e->tcb.fmc));
		e->has_fmc = true;
	} else if (strncmp(sub, VF_SNP_EXT_SPL_PREFIX, strlen(VF_SNP_EXT_SPL_PREFIX)) == 0) {
		TC_GUARD(der_spl(d, n, &spl)); /* spl_4..spl_7: reserved components, must still be well-formed */
	} else if (strcmp(sub, VF_SNP_EXT_HWID) == 0) {
		TC_GUARD(hwid_value(d, n, e));
	} else if (strcmp(sub, VF_SNP_EXT_CSP_ID) == 0) {
		TC_GUARD(der_string(d, n, e->csp_id, sizeof(e->csp_id)));
	}
	/* Other sub-arcs are ignored (future extensions). */
	return tc_ok();
}

TC_RESULT vf_snp_vcek_ext_parse(X509 *cert, struct vf_snp_vcek_ext *out)
{
	struct vf_snp_vcek_ext e;
	char seen[16][8];
	size_t n_seen = 0;
	int count = X509_get_ext_count(cert);

	memset(&e, 0, sizeof(e));
	for (int i = 0; i < count; i++) {
		X509_EXTENSION *x = X509_get_ext(cert, i);
		const ASN1_OCTET_STRING *val = X509_EXTENSION_get_data(x);
		char oid[VF_SNP_OID_TXT_MAX];
		const char *sub;
		struct tc_result r;

		if (OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(x), 1) <= 0)
			continue;
		if (strncmp(oid, VF_SNP_OID_ARC, strlen(VF_SNP_OID_ARC)) != 0)
			continue;
		sub = oid + strlen(VF_SNP_OID_ARC);
		for (size_t k = 0; k < n_seen; k++)
			TC_ENSURE(strcmp(seen[k], sub) != 0, TC_ERR_CERT_CHAIN_INVALID,
				  "endorsement key repeats the AMD extension %s", oid);
		if (n_seen < sizeof(seen) / sizeof(seen[0]) && strlen(sub) < sizeof(seen[0]))
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", sub);
		r = one_ext(sub, ASN1_STRING_get0_data(val), (size_t)ASN1_STRING_length(val), &e);
		TC_ENSURE(tc_is_ok(r), TC_ERR_CERT_CHAIN_INVALID, "endorsement key extension %s: %s", oid,
			  tc_error_detail());
	}
	TC_ENSURE(e.product_name[0], TC_ERR_CERT_CHAIN_INVALID,
		  "endorsement key lacks the productName extension (1.3.6.1.4.1.3704.1.2)");
	TC_ENSURE(e.has_bl && e.has_tee && e.has_snp && e.has_ucode, TC_ERR_CERT_CHAIN_INVALID,
		  "endorsement key lacks a TCB extension (blSPL, teeSPL, snpSPL, ucodeSPL under 1.3.6.1.4.1.3704.1.3)");
	*out = e;
	return tc_ok();
}

TC_RESULT vf_snp_vcek_ext_parse_bytes(const uint8_t *data, size_t len, struct vf_snp_vcek_ext *out)
{
	X509 *x = NULL;
	struct tc_result r;

	TC_GUARD(vf_x509_parse(data, len, TC_ERR_CERT_CHAIN_INVALID, &x));
	r = vf_snp_vcek_ext_parse(x, out);
	X509_free(x);
	return r;
}
