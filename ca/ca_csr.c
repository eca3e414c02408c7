/*
 * ca_csr.c — CSR intake (PKCS #10, RFC 2986) and CSR building for our own keys.
 *
 * Intake: size limit before parsing; exactly one PEM "CERTIFICATE REQUEST" block; DER only (the parsed
 * request re-encodes to the bytes received, so the SubjectPublicKeyInfo the evidence binding hashes —
 * DESIGN.md "Evidence binding" — is exactly what the client sent); self-signature verified; keys ECDSA
 * P-256/P-384 or RSA 3072..8192 bits (DESIGN.md "Certificates"); requested SANs (RFC 5280 §4.2.1.6) from
 * the extensionRequest attribute (PKCS #9, RFC 2985 §5.4.2) extracted for the profile to judge.
 */
#include "ca_internal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define CA_DNS_NAME_MAX 253

void ca_csr_cleanup(struct ca_csr *c)
{
	tc_buf_cleanup(&c->spki);
	tc_buf_cleanup(&c->subject);
	memset(c, 0, sizeof(*c));
}

/* LDH labels separated by dots (RFC 1034 §3.5 preferred syntax, RFC 5280 §4.2.1.6: no wildcards here). */
static bool dns_name_ok(const unsigned char *s, size_t n)
{
	size_t label = 0, i;

	if (n == 0 || n > CA_DNS_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  (ch == '-' && label > 0);
		if (!ok || ++label > 63)
			return false;
	}
	return s[n - 1] != '-';
}

static bool printable_ascii(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return n > 0;
}

static TC_RESULT csr_sans(X509_REQ *req, struct ca_csr *out)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *names = NULL;
	struct tc_result r = tc_ok();
	int crit = -1;

	if (exts == NULL) {
		tc_openssl_clear();
		return tc_ok();
	}
	names = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (names == NULL) {
		TC_ENSURE_GOTO(r, crit == -1, out, TC_ERR_CSR_INVALID,
			       crit == -2 ? "the CSR repeats subjectAltName" : "the CSR's subjectAltName does not parse");
		goto out;
	}
	TC_ENSURE_GOTO(r, sk_GENERAL_NAME_num(names) <= CA_CSR_MAX_SANS, out, TC_ERR_CSR_INVALID,
		       "the CSR requests %d SANs (at most %d)", sk_GENERAL_NAME_num(names), CA_CSR_MAX_SANS);
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		struct ca_san *san = &out->sans[out->n_sans++];
		int type;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);
		const unsigned char *d = v != NULL ? ASN1_STRING_get0_data(v) : NULL;
		size_t n = v != NULL ? (size_t)ASN1_STRING_length(v) : 0;

		memset(san, 0, sizeof(*san));
		switch (type) {
		case GEN_DNS:
			TC_ENSURE_GOTO(r, dns_name_ok(d, n), out, TC_ERR_CSR_INVALID,
				       "SAN %d is not a valid DNS name (LDH labels, no wildcard)", i);
			san->type = CA_SAN_DNS;
			memcpy(san->value, d, n);
			break;
		case GEN_URI:
			TC_ENSURE_GOTO(r, n < CA_SAN_VALUE_MAX && printable_ascii(d, n) && memchr(d, ':', n) != NULL, out,
				       TC_ERR_CSR_INVALID, "SAN %d is not a valid URI", i);
			san->type = CA_SAN_URI;
			memcpy(san->value, d, n);
			break;
		case GEN_IPADD:
			TC_ENSURE_GOTO(r, n == 4 || n == 16, out, TC_ERR_CSR_INVALID, "SAN %d: IP address of %zu bytes", i,
				       n);
			san->type = CA_SAN_IP;
			memcpy(san->ip, d, n);
			san->ip_len = n;
			{
				char *txt = NULL;
				ASN1_OCTET_STRING *ip = (ASN1_OCTET_STRING *)v;

				txt = ossl_ipaddr_to_asc_wrap(ip);
				(void)txt;
			}
			break;
		default:
			san->type = CA_SAN_OTHER;
			snprintf(san->value, sizeof(san->value), "GeneralName type %d", type);
			break;
		}
	}
out:
	GENERAL_NAMES_free(names);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}
