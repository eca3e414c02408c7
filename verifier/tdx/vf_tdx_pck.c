/*
 * vf_tdx_pck.c — the Intel SGX extensions of a PCK certificate.
 *
 * "Intel SGX PCK Certificate and CRL Profile", section "Intel SGX Extensions": extension
 * OID 1.2.840.113741.1.13.1 holds SEQUENCE OF SEQUENCE { sgxExtensionId OID, value }:
 *   .1 PPID OCTET STRING (16)
 *   .2 TCB SEQUENCE OF SEQUENCE { OID .2.1 .. .2.16 INTEGER (SGX TCB Comp01..16 SVN),
 *                                  .2.17 INTEGER (PCESVN), .2.18 OCTET STRING (16) (CPUSVN) }
 *   .3 PCE-ID OCTET STRING (2)
 *   .4 FMSPC OCTET STRING (6)
 *   .5 SGX Type ENUMERATED
 *   .6 PlatformInstanceID, .7 Configuration (Platform CA certificates only; accepted, not used)
 * Decoded with OpenSSL's ASN.1 parsers (bounds-checked); every mandatory entry must appear exactly once.
 */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "vf_tdx.h"

#define SGX_EXT_OID VF_TDX_SGX_EXT_OID

/* Sub-identifier after the SGX extension arc (1.2.840.113741.1.13.1.N[.M]); -1 when not under the arc. */
static int oid_suffix(const ASN1_OBJECT *obj, int *sub2)
{
	char txt[80];
	const char *prefix = SGX_EXT_OID ".";
	size_t plen = strlen(prefix);
	int n = OBJ_obj2txt(txt, sizeof txt, obj, 1);
	if (n <= 0 || (size_t)n >= sizeof txt || strncmp(txt, prefix, plen) != 0)
		return -1;
	const char *p = txt + plen;
	int a = 0, b = -1, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 4) {
		a = a * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	if (*p == '.') {
		p++;
		b = 0;
		digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			b = b * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*sub2 = b;
	return a;
}

/* Decode a SEQUENCE { OID, value } from an ASN1_TYPE that holds a SEQUENCE. */
static bool pair_decode(const ASN1_TYPE *t, const ASN1_OBJECT **oid, const ASN1_TYPE **value,
			STACK_OF(ASN1_TYPE) **owned)
{
	if (t == NULL || t->type != V_ASN1_SEQUENCE || t->value.sequence == NULL)
		return false;
	const unsigned char *p = t->value.sequence->data;
	STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, t->value.sequence->length);
	if (seq == NULL)
		return false;
	if (sk_ASN1_TYPE_num(seq) != 2 || sk_ASN1_TYPE_value(seq, 0)->type != V_ASN1_OBJECT) {
		sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
		return false;
	}
	*oid = sk_ASN1_TYPE_value(seq, 0)->value.object;
	*value = sk_ASN1_TYPE_value(seq, 1);
	*owned = seq;
	return true;
}

static bool octets(const ASN1_TYPE *v, uint8_t *out, size_t n)
{
	if (v->type != V_ASN1_OCTET_STRING || v->value.octet_string == NULL ||
	    (size_t)v->value.octet_string->length != n)
		return false;
	memcpy(out, v->value.octet_string->data, n);
	return true;
}

static bool small_int(const ASN1_TYPE *v, int type, long max, long *out)
{
	long x;
	if (v->type != type)
		return false;
	if (type == V_ASN1_INTEGER)
		x = ASN1_INTEGER_get(v->value.integer);
	else
		x = ASN1_ENUMERATED_get(v->value.enumerated);
	if (x < 0 || x > max)
		return false;
	*out = x;
	return true;
}

/* The TCB entry: 16 component SVNs, PCESVN and CPUSVN, each exactly once. */
static TC_RESULT parse_tcb(const ASN1_TYPE *v, struct vf_tdx_sgx_ext *out)
{
	struct tc_result r = tc_ok();
	uint32_t seen = 0; /* bit i-1 for .2.i */
	STACK_OF(ASN1_TYPE) *seq = NULL;

	TC_ENSURE(v->type == V_ASN1_SEQUENCE && v->value.sequence != NULL, TC_ERR_CERT_CHAIN_INVALID,
		  "PCK certificate: SGX TCB extension is not a SEQUENCE");
	const unsigned char *p = v->value.sequence->data;
	seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, v->value.sequence->length);
	TC_ENSURE(seq != NULL, TC_ERR_CERT_CHAIN_INVALID, "PCK certificate: SGX TCB extension does not decode");
	for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
		const ASN1_OBJECT *oid;
		const ASN1_TYPE *val;
		STACK_OF(ASN1_TYPE) *pair = NULL;
		long x = 0;
		int sub2 = -1;
		bool ok = pair_decode(sk_ASN1_TYPE_value(seq, i), &oid, &val, &pair);
		int sub = ok ? oid_suffix(oid, &sub2) : -1;
		if (ok && sub == VF_TDX_SGX_EXT_TCB && sub2 >= 1 && sub2 <= VF_TDX_SGX_TCB_COMPONENTS && !(seen & (1u << (sub2 - 1)))) {
			ok = small_int(val, V_ASN1_INTEGER, 255, &x);
			out->comp[sub2 - 1] = (uint8_t)x;
		} else if (ok && sub == VF_TDX_SGX_EXT_TCB && sub2 == VF_TDX_SGX_TCB_PCESVN && !(seen & (1u << 16))) {
			ok = small_int(val, V_ASN1_INTEGER, 65535, &x);
			out->pcesvn = (uint16_t)x;
		} else if (ok && sub == VF_TDX_SGX_EXT_TCB && sub2 == VF_TDX_SGX_TCB_CPUSVN && !(seen & (1u << 17))) {
			ok = octets(val, out->cpusvn, sizeof out->cpusvn);
		} else {
			ok = false;
		}
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
		TC_ENSURE_GOTO(r, ok, out, TC_ERR_CERT_CHAIN_INVALID,
			       "PCK certificate: SGX TCB extension entry %d is invalid or repeated", i);
		seen |= 1u << (sub2 - 1);
	}
	TC_ENSURE_GOTO(r, seen == 0x3ffffu, out, TC_ERR_CERT_CHAIN_INVALID,
		       "PCK certificate: SGX TCB extension lacks entries (have mask 0x%05x)", seen);
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return r;
}

TC_RESULT vf_tdx_sgx_ext_parse_der(const uint8_t *der, size_t len, struct vf_tdx_sgx_ext *out)
{
	struct tc_result r = tc_ok();
	struct vf_tdx_sgx_ext ext;
	unsigned seen = 0; /* bit N for entry .N */
	STACK_OF(ASN1_TYPE) *seq = NULL;

	memset(&ext, 0, sizeof ext);
	TC_ENSURE(der != NULL && len > 0 && len <= 65536, TC_ERR_CERT_CHAIN_INVALID,
		  "PCK certificate: SGX extensions empty or too large");
	const unsigned char *p = der;
	seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	TC_ENSURE(seq != NULL && p == der + len, TC_ERR_CERT_CHAIN_INVALID,
		  "PCK certificate: SGX extensions are not one DER SEQUENCE");
	for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
		const ASN1_OBJECT *oid;
		const ASN1_TYPE *val;
		STACK_OF(ASN1_TYPE) *pair = NULL;
		long x = 0;
		int sub2 = -1, sub = -1;
		bool ok = pair_decode(sk_ASN1_TYPE_value(seq, i), &oid, &val, &pair);
		if (ok) {
			sub = oid_suffix(oid, &sub2);
			ok = sub >= 1 && sub <= 31 && sub2 == -1 && !(seen & (1u << sub));
		}
		if (ok) {
			switch (sub) {
			case VF_TDX_SGX_EXT_PPID:
				ok = octets(val, ext.ppid, sizeof ext.ppid);
				break;
			case VF_TDX_SGX_EXT_TCB: {
				struct tc_result t = parse_tcb(val, &ext);
				if (!tc_is_ok(t)) {
					sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
					r = t;
					goto out;
				}
				break;
			}
			case VF_TDX_SGX_EXT_PCEID:
				ok = octets(val, ext.pceid, sizeof ext.pceid);
				break;
			case VF_TDX_SGX_EXT_FMSPC:
				ok = octets(val, ext.fmspc, sizeof ext.fmspc);
				break;
			case VF_TDX_SGX_EXT_SGX_TYPE:
				ok = small_int(val, V_ASN1_ENUMERATED, 255, &x);
				ext.sgx_type = (int)x;
				break;
			default:
				break; /* .6 PlatformInstanceID, .7 Configuration and future entries */
			}
		}
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
		TC_ENSURE_GOTO(r, ok, out, TC_ERR_CERT_CHAIN_INVALID,
			       "PCK certificate: SGX extension entry %d is invalid or repeated", i);
		seen |= 1u << sub;
	}
	/* PPID, TCB, PCE-ID, FMSPC and SGX Type are mandatory in every PCK certificate. */
	TC_ENSURE_GOTO(r, (seen & 0x3eu) == 0x3eu, out, TC_ERR_CERT_CHAIN_INVALID,
		       "PCK certificate: SGX extensions lack a mandatory entry (have mask 0x%x)", seen);
	*out = ext;
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return r;
}

TC_RESULT vf_tdx_sgx_ext_parse(X509 *pck, struct vf_tdx_sgx_ext *out)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(SGX_EXT_OID, 1);
	TC_ENSURE(oid != NULL, TC_ERR_NO_MEMORY, "out of memory");
	int idx = X509_get_ext_by_OBJ(pck, oid, -1);
	int again = idx >= 0 ? X509_get_ext_by_OBJ(pck, oid, idx) : -1;
	ASN1_OBJECT_free(oid);
	TC_ENSURE(idx >= 0, TC_ERR_CERT_CHAIN_INVALID,
		  "PCK certificate: no Intel SGX extensions (OID " SGX_EXT_OID ")");
	TC_ENSURE(again < 0, TC_ERR_CERT_CHAIN_INVALID, "PCK certificate: Intel SGX extensions appear twice");
	X509_EXTENSION *ext = X509_get_ext(pck, idx);
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	TC_ENSURE(v != NULL, TC_ERR_CERT_CHAIN_INVALID, "PCK certificate: empty SGX extensions");
	return vf_tdx_sgx_ext_parse_der(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), out);
}
