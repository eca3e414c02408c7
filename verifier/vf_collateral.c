/*
 * vf_collateral.c — authenticate one vendor collateral item before the collateral service caches it
 * (docs/collateral.md). No network, no database: the service (api/api_collateral*.c) fetches, this file
 * decides whether the bytes may be stored.
 *
 * Everything cryptographic is delegated to the TEE appraisers' own code so the cache and the appraisal
 * cannot disagree about what is valid:
 *  - Intel (PCS API v4): vf_tdx_anchor_get / vf_tdx_chain_get / vf_tdx_chain_check_time for the issuer
 *    chain headers, vf_tdx_doc_get_tcb_info / _qe_identity for the ECDSA signature over the exact signed
 *    span, vf_tdx_crl_get / vf_tdx_crl_check_time for the PCK and Root CA CRLs.
 *  - AMD (KDS, #57230): vf_snp_chain_verify for VCEK <- ASK <- ARK, vf_x509_verify_chain for the
 *    cert_chain documents, vf_x509_check_crl for the KDS CRL (signed by the ARK).
 *  - NVIDIA: vf_rim_doc_parse + vf_x509_verify_chain(RIM root) + vf_rim_verify_signature (XML-DSig) for
 *    RIMs, vf_ocsp_check (RFC 6960) for OCSP responses.
 * On top: the item's own validity window at NOW (issueDate..nextUpdate, thisUpdate..nextUpdate) and that
 * the content is the item that was asked for (an upstream answering another FMSPC or chip cannot poison
 * the cache under the wrong key).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "nvidia/vf_nvidia.h"
#include "snp/vf_snp.h"
#include "tdx/vf_tdx.h"
#include "vf_internal.h"

#define VF_COLL_OCSP_SKEW_S 300 /* clock skew allowed on an OCSP thisUpdate (as vf_ocsp_check) */

static const struct {
	const char *name;
	const char *vendor;
	bool immutable;
} vf_coll_kinds[VF_COLL__COUNT] = {
	[VF_COLL_TCB_INFO] = { "tcb_info", "intel", false },
	[VF_COLL_QE_IDENTITY] = { "qe_identity", "intel", false },
	[VF_COLL_PCK_CRL] = { "pck_crl", "intel", false },
	[VF_COLL_ROOT_CA_CRL] = { "root_ca_crl", "intel", false },
	[VF_COLL_VCEK] = { "vcek", "amd", true },
	[VF_COLL_ARK_ASK_CHAIN] = { "ark_ask_chain", "amd", true },
	[VF_COLL_ASVK_CHAIN] = { "asvk_chain", "amd", true },
	[VF_COLL_AMD_CRL] = { "amd_crl", "amd", false },
	[VF_COLL_RIM] = { "rim", "nvidia", true },
	[VF_COLL_OCSP] = { "ocsp", "nvidia", false },
};

const char *vf_coll_kind_name(enum vf_coll_kind kind)
{
	return (unsigned)kind < VF_COLL__COUNT ? vf_coll_kinds[kind].name : "unknown";
}

const char *vf_coll_kind_vendor(enum vf_coll_kind kind)
{
	return (unsigned)kind < VF_COLL__COUNT ? vf_coll_kinds[kind].vendor : "unknown";
}

bool vf_coll_kind_immutable(enum vf_coll_kind kind)
{
	return (unsigned)kind < VF_COLL__COUNT && vf_coll_kinds[kind].immutable;
}

TC_RESULT vf_coll_kind_parse(const char *s, enum vf_coll_kind *out)
{
	TC_ENSURE(s != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "collateral kind missing");
	for (int k = 0; k < VF_COLL__COUNT; k++) {
		if (strcmp(s, vf_coll_kinds[k].name) == 0) {
			*out = (enum vf_coll_kind)k;
			return tc_ok();
		}
	}
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown collateral kind '%s'", s);
}

/* ------------------------------------------------------------------------------------------ normalize */

static bool vf_coll_is_hex_text(const uint8_t *p, size_t len)
{
	if (len == 0 || len % 2 != 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit(p[i]))
			return false;
	return true;
}

static size_t vf_coll_trim_len(const uint8_t *p, size_t len)
{
	while (len > 0 && (isspace(p[len - 1]) || p[len - 1] == 0))
		len--;
	return len;
}

/* A CRL as DER: PEM (X509 CRL block), hex text (PCCS) or DER as is. */
static TC_RESULT vf_coll_crl_der(const uint8_t *raw, size_t len, struct tc_buf *out)
{
	static const char pem_tag[] = "-----BEGIN X509 CRL-----";
	size_t tlen = vf_coll_trim_len(raw, len);
	if (tlen >= sizeof(pem_tag) - 1 && memcmp(raw, pem_tag, sizeof(pem_tag) - 1) == 0) {
		TC_ENSURE(tlen <= INT32_MAX, TC_ERR_TOO_LARGE, "CRL too large");
		BIO *bio = BIO_new_mem_buf(raw, (int)tlen);
		TC_ENSURE(bio != NULL, TC_ERR_NO_MEMORY, "out of memory");
		X509_CRL *crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (crl == NULL)
			return tc_fail_openssl(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "CRL PEM does not parse");
		unsigned char *der = NULL;
		int n = i2d_X509_CRL(crl, &der);
		X509_CRL_free(crl);
		if (n <= 0)
			return tc_fail_openssl(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "CRL does not re-encode");
		struct tc_result r = tc_buf_append(out, der, (size_t)n);
		OPENSSL_free(der);
		return r;
	}
	if (vf_coll_is_hex_text(raw, tlen))
		return tc_hex_decode((const char *)raw, tlen, out);
	return tc_buf_append(out, raw, len);
}

/* NVIDIA RIM service answer {"id": ..., "rim": "<base64 of the XML>", ...}, or the XML itself. */
static TC_RESULT vf_coll_rim_xml(const uint8_t *raw, size_t len, struct tc_buf *out)
{
	size_t i = 0;
	while (i < len && isspace(raw[i]))
		i++;
	if (i == len || raw[i] != '{')
		return tc_buf_append(out, raw, len);
	json_t *doc = NULL;
	const char *rim = NULL;
	struct tc_result r;
	TC_GUARD_GOTO(r, tc_json_parse((const char *)raw, len, VF_RIM_MAX_BYTES * 2, &doc), out);
	TC_ENSURE_GOTO(r, json_is_object(doc), out, TC_ERR_RIM_SIGNATURE_INVALID, "RIM service answer is not an object");
	const struct tc_json_field spec[] = {
		{ .name = "rim", .kind = TC_JSON_STRING, .required = true, .out = &rim, .max_len = VF_RIM_MAX_BYTES * 2 },
	};
	TC_GUARD_GOTO(r, tc_json_fields(doc, spec, 1, true), out);
	r = tc_base64_decode(rim, strlen(rim), out);
	if (!tc_is_ok(r))
		r = tc_fail(TC_ERR_RIM_SIGNATURE_INVALID, "RIM service answer: \"rim\" is not base64");
out:
	json_decref(doc);
	return r;
}

TC_RESULT vf_collateral_normalize(enum vf_coll_kind kind, const uint8_t *raw, size_t len, struct tc_buf *out)
{
	TC_ENSURE(raw != NULL && len > 0 && out != NULL, TC_ERR_COLLATERAL_MISSING, "%s: empty body",
		  vf_coll_kind_name(kind));
	switch (kind) {
	case VF_COLL_PCK_CRL:
	case VF_COLL_ROOT_CA_CRL:
	case VF_COLL_AMD_CRL:
		return vf_coll_crl_der(raw, len, out);
	case VF_COLL_RIM:
		return vf_coll_rim_xml(raw, len, out);
	default:
		return tc_buf_append(out, raw, len);
	}
}

/* ----------------------------------------------------------------------------------------- helpers */

static TC_RESULT vf_coll_window(const char *what, int64_t nb, int64_t nu, int64_t now, struct vf_coll_check *out)
{
	char a[TC_TIME_RFC3339_LEN] = "?", b[TC_TIME_RFC3339_LEN] = "?", at[TC_TIME_RFC3339_LEN] = "?";
	out->has_window = true;
	out->not_before = nb;
	out->next_update = nu;
	if (now >= nb && now < nu)
		return tc_ok();
	vf_tdx_time_text(nb, a);
	vf_tdx_time_text(nu, b);
	vf_tdx_time_text(now, at);
	return tc_fail(TC_ERR_COLLATERAL_EXPIRED, "%s: valid %s..%s, not at %s", what, a, b, at);
}

/* The requested key must name the item the content is (case-insensitive). */
static TC_RESULT vf_coll_want(enum vf_coll_kind kind, const char *want, const char *have)
{
	if (want == NULL || strcasecmp(want, have) == 0)
		return tc_ok();
	return tc_fail(TC_ERR_TCB_MISMATCH, "%s: asked for '%s' but the content is '%s'", vf_coll_kind_name(kind), want,
		       have);
}

static const uint8_t *vf_coll_anchor(const uint8_t *anchor, size_t *len, const char *name)
{
	if (anchor != NULL && *len > 0)
		return anchor;
	const char *pem = vf_default_anchor(name);
	*len = pem != NULL ? strlen(pem) : 0;
	return (const uint8_t *)pem;
}

static void vf_coll_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Product line ("Milan") from a common name with PREFIX ("ARK-", "SEV-", "SEV-VLEK-"). */
static TC_RESULT vf_coll_cn_product(X509_NAME *name, const char *prefix, char *out, size_t size)
{
	char cn[128];
	TC_ENSURE(X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn)) > 0, TC_ERR_CERT_CHAIN_INVALID,
		  "AMD certificate without a common name");
	size_t pl = strlen(prefix);
	TC_ENSURE(strncmp(cn, prefix, pl) == 0 && cn[pl] != 0, TC_ERR_CERT_CHAIN_INVALID,
		  "AMD certificate common name '%s' is not %s<product>", cn, prefix);
	snprintf(out, size, "%s", cn + pl);
	return tc_ok();
}

/* "amd_ark_milan" for product "Milan". */
static void vf_coll_ark_name(const char *product, char *out, size_t size)
{
	snprintf(out, size, "amd_ark_%s", product);
	vf_coll_lower(out);
}

/* ------------------------------------------------------------------------------------------- Intel */

static TC_RESULT vf_coll_tdx_doc(enum vf_coll_kind kind, const uint8_t *raw, size_t len, const uint8_t *chain,
				 size_t chain_len, const uint8_t *anchor, size_t anchor_len, const char *want,
				 int64_t now, struct vf_coll_check *out)
{
	struct vf_tdx_anchor *an = NULL;
	struct vf_tdx_chain *ch = NULL;
	struct vf_tdx_doc *doc = NULL;
	struct tc_result r;
	const char *what = vf_coll_kind_name(kind);
	const char *chain_what = kind == VF_COLL_TCB_INFO ? "tcb_info_issuer_chain" : "qe_identity_issuer_chain";

	TC_ENSURE(chain != NULL && chain_len > 0, TC_ERR_COLLATERAL_MISSING, "%s: no issuer chain (%s)", what,
		  kind == VF_COLL_TCB_INFO ? "TCB-Info-Issuer-Chain header" : "SGX-Enclave-Identity-Issuer-Chain header");
	TC_GUARD_GOTO(r, vf_tdx_anchor_get(anchor, anchor_len, &an), out);
	TC_GUARD_GOTO(r, vf_tdx_chain_get(chain, chain_len, an, VF_TDX_CHAIN_SIGNER, chain_what, &ch), out);
	TC_GUARD_GOTO(r, vf_tdx_chain_check_time(ch, now, chain_what), out);
	out->signer_not_after = ch->not_after[0];
	for (int i = 0; i < sk_X509_num(ch->path) && i < VF_TDX_CHAIN_MAX; i++)
		if (ch->not_after[i] < out->signer_not_after)
			out->signer_not_after = ch->not_after[i];
	if (kind == VF_COLL_TCB_INFO) {
		TC_GUARD_GOTO(r, vf_tdx_doc_get_tcb_info(raw, len, ch, &doc), out);
		const struct vf_tdx_tcb_info *t = doc->tcb_info;
		TC_GUARD_GOTO(r, tc_hex_encode(t->fmspc, sizeof(t->fmspc), out->key, sizeof(out->key)), out);
		TC_GUARD_GOTO(r, vf_coll_want(kind, want, out->key), out);
		r = vf_coll_window(what, t->issue_date, t->next_update, now, out);
	} else {
		TC_GUARD_GOTO(r, vf_tdx_doc_get_qe_identity(raw, len, ch, &doc), out);
		const struct vf_tdx_qe_identity *q = doc->qe_identity;
		snprintf(out->key, sizeof(out->key), "%s", q->id);
		vf_coll_lower(out->key);
		TC_GUARD_GOTO(r, vf_coll_want(kind, want, out->key), out);
		r = vf_coll_window(what, q->issue_date, q->next_update, now, out);
	}
out:
	vf_tdx_memo_release(doc ? &doc->memo : NULL);
	vf_tdx_memo_release(ch ? &ch->memo : NULL);
	vf_tdx_memo_release(an ? &an->memo : NULL);
	return r;
}

static TC_RESULT vf_coll_tdx_crl(enum vf_coll_kind kind, const uint8_t *raw, size_t len, const uint8_t *chain,
				 size_t chain_len, const uint8_t *anchor, size_t anchor_len, const char *want,
				 int64_t now, struct vf_coll_check *out)
{
	struct vf_tdx_anchor *an = NULL;
	struct vf_tdx_chain *ch = NULL;
	struct vf_tdx_crl *crl = NULL;
	struct tc_result r;
	const char *what = vf_coll_kind_name(kind);

	TC_GUARD_GOTO(r, vf_tdx_anchor_get(anchor, anchor_len, &an), out);
	if (kind == VF_COLL_PCK_CRL) {
		TC_ENSURE_GOTO(r, chain != NULL && chain_len > 0, out, TC_ERR_COLLATERAL_MISSING,
			       "pck_crl: no issuer chain (SGX-PCK-CRL-Issuer-Chain header)");
		TC_GUARD_GOTO(r, vf_tdx_chain_get(chain, chain_len, an, VF_TDX_CHAIN_CRL_ISSUER, "pck_crl_issuer_chain",
						  &ch),
			      out);
		TC_GUARD_GOTO(r, vf_tdx_chain_check_time(ch, now, "pck_crl_issuer_chain"), out);
		out->signer_not_after = ch->not_after[0];
		TC_GUARD_GOTO(r, vf_tdx_crl_get(raw, len, sk_X509_value(ch->path, 0), ch->key, what, &crl), out);
		/* "Intel SGX PCK Platform CA" / "Intel SGX PCK Processor CA" -> platform / processor. */
		char cn[128] = "";
		(void)X509_NAME_get_text_by_NID(X509_CRL_get_issuer(crl->crl), NID_commonName, cn, sizeof(cn));
		snprintf(out->key, sizeof(out->key), "%s",
			 strstr(cn, "Platform") ? "platform" : strstr(cn, "Processor") ? "processor" : cn);
	} else {
		TC_GUARD_GOTO(r, vf_tdx_crl_get(raw, len, an->cert, an->sha256, what, &crl), out);
		snprintf(out->key, sizeof(out->key), "root");
	}
	TC_GUARD_GOTO(r, vf_coll_want(kind, want, out->key), out);
	TC_GUARD_GOTO(r, vf_tdx_crl_check_time(crl, now, what), out);
	out->has_window = true;
	out->not_before = crl->this_update;
	out->next_update = crl->next_update;
out:
	vf_tdx_memo_release(crl ? &crl->memo : NULL);
	vf_tdx_memo_release(ch ? &ch->memo : NULL);
	vf_tdx_memo_release(an ? &an->memo : NULL);
	return r;
}

/* --------------------------------------------------------------------------------------------- AMD */

static TC_RESULT vf_coll_vcek(const uint8_t *raw, size_t len, const uint8_t *chain, size_t chain_len,
			      const uint8_t *anchor, size_t anchor_len, const char *want, int64_t now,
			      struct vf_coll_check *out)
{
	struct vf_snp_vcek_ext ext;
	struct vf_snp_endorsement e;
	char name[48], hwid[2 * VF_SNP_HWID_MAX + 1];

	TC_ENSURE(chain != NULL && chain_len > 0, TC_ERR_COLLATERAL_MISSING,
		  "vcek: no ark_ask_chain (KDS cert_chain) to verify it with");
	TC_GUARD(vf_snp_vcek_ext_parse_bytes(raw, len, &ext));
	TC_ENSURE(ext.hwid_len > 0 && ext.product[0] != 0, TC_ERR_CERT_CHAIN_INVALID,
		  "vcek: no hwID / product extension (a VLEK?)");
	vf_coll_ark_name(ext.product, name, sizeof(name));
	anchor = vf_coll_anchor(anchor, &anchor_len, name);
	TC_ENSURE(anchor != NULL, TC_ERR_CERT_CHAIN_INVALID, "vcek: no pinned ARK for product '%s'", ext.product);
	TC_GUARD(vf_snp_chain_verify(raw, len, false, chain, chain_len, anchor, anchor_len, now, &e));
	int64_t na = 0;
	struct tc_result r = vf_asn1_time_to_unix(X509_get0_notAfter(e.leaf), &na);
	vf_snp_endorsement_cleanup(&e);
	TC_GUARD(r);
	out->signer_not_after = na;
	TC_GUARD(tc_hex_encode(ext.hwid, ext.hwid_len, hwid, sizeof(hwid)));
	/* Key = the KDS path: Product/hwid/bl.tee.snp.ucode[.fmc] (Turin adds fmcSPL). */
	if (ext.has_fmc)
		snprintf(out->key, sizeof(out->key), "%s/%s/%u.%u.%u.%u.%u", ext.product, hwid, ext.tcb.bootloader,
			 ext.tcb.tee, ext.tcb.snp, ext.tcb.microcode, ext.tcb.fmc);
	else
		snprintf(out->key, sizeof(out->key), "%s/%s/%u.%u.%u.%u", ext.product, hwid, ext.tcb.bootloader,
			 ext.tcb.tee, ext.tcb.snp, ext.tcb.microcode);
	return vf_coll_want(VF_COLL_VCEK, want, out->key);
}

static TC_RESULT vf_coll_amd_chain(enum vf_coll_kind kind, const uint8_t *raw, size_t len, const uint8_t *anchor,
				   size_t anchor_len, const char *want, int64_t now, struct vf_coll_check *out)
{
	STACK_OF(X509) *certs = NULL;
	X509 *ark = NULL;
	char product[32], name[48];
	struct tc_result r;
	const char *prefix = kind == VF_COLL_ASVK_CHAIN ? VF_SNP_CN_ASVK_PREFIX : VF_SNP_CN_ASK_PREFIX;

	TC_GUARD(vf_x509_parse_pem_chain(raw, len, TC_ERR_CERT_CHAIN_INVALID, &certs));
	TC_ENSURE_GOTO(r, sk_X509_num(certs) == 2, out, TC_ERR_CERT_CHAIN_INVALID,
		       "%s: expected ASK|ASVK + ARK (2 certificates), got %d", vf_coll_kind_name(kind), sk_X509_num(certs));
	TC_GUARD_GOTO(r, vf_coll_cn_product(X509_get_subject_name(sk_X509_value(certs, 0)), prefix, product,
					    sizeof(product)),
		      out);
	vf_coll_ark_name(product, name, sizeof(name));
	anchor = vf_coll_anchor(anchor, &anchor_len, name);
	TC_ENSURE_GOTO(r, anchor != NULL, out, TC_ERR_CERT_CHAIN_INVALID, "%s: no pinned ARK for product '%s'",
		       vf_coll_kind_name(kind), product);
	TC_GUARD_GOTO(r, vf_x509_parse(anchor, anchor_len, TC_ERR_CERT_CHAIN_INVALID, &ark), out);
	TC_ENSURE_GOTO(r, X509_cmp(sk_X509_value(certs, 1), ark) == 0, out, TC_ERR_CERT_CHAIN_INVALID,
		       "%s: the ARK in the chain is not the pinned ARK-%s", vf_coll_kind_name(kind), product);
	TC_GUARD_GOTO(r, vf_x509_verify_chain(sk_X509_value(certs, 0), certs, ark, now, VF_CHAIN_NOT_STRICT,
					      TC_ERR_CERT_CHAIN_INVALID, NULL),
		      out);
	TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_get0_notAfter(sk_X509_value(certs, 0)), &out->signer_not_after), out);
	snprintf(out->key, sizeof(out->key), "%s", product);
	r = vf_coll_want(kind, want, out->key);
out:
	X509_free(ark);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

static TC_RESULT vf_coll_amd_crl(const uint8_t *raw, size_t len, const uint8_t *anchor, size_t anchor_len,
				 const char *want, int64_t now, struct vf_coll_check *out)
{
	const unsigned char *p = raw;
	X509_CRL *crl = NULL;
	X509 *ark = NULL;
	char product[32], name[48];
	struct tc_result r;

	TC_ENSURE(len <= INT32_MAX, TC_ERR_TOO_LARGE, "amd_crl too large");
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (crl == NULL)
		return tc_fail_openssl(TC_ERR_COLLATERAL_SIGNATURE_INVALID, "amd_crl: not a DER CRL");
	TC_GUARD_GOTO(r, vf_coll_cn_product(X509_CRL_get_issuer(crl), VF_SNP_CN_ARK_PREFIX, product, sizeof(product)),
		      out);
	vf_coll_ark_name(product, name, sizeof(name));
	anchor = vf_coll_anchor(anchor, &anchor_len, name);
	TC_ENSURE_GOTO(r, anchor != NULL, out, TC_ERR_CERT_CHAIN_INVALID, "amd_crl: no pinned ARK for '%s'", product);
	TC_GUARD_GOTO(r, vf_x509_parse(anchor, anchor_len, TC_ERR_CERT_CHAIN_INVALID, &ark), out);
	snprintf(out->key, sizeof(out->key), "%s", product);
	TC_GUARD_GOTO(r, vf_coll_want(VF_COLL_AMD_CRL, want, out->key), out);
	/* Signature by the ARK, then thisUpdate <= now < nextUpdate (the shared verifier code). */
	TC_GUARD_GOTO(r, vf_x509_check_crl(raw, len, ark, now, NULL, "amd_crl"), out);
	const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
	TC_ENSURE_GOTO(r, nu != NULL, out, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "amd_crl without nextUpdate");
	TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), &out->not_before), out);
	TC_GUARD_GOTO(r, vf_asn1_time_to_unix(nu, &out->next_update), out);
	out->has_window = true;
out:
	X509_free(ark);
	X509_CRL_free(crl);
	return r;
}

/* ------------------------------------------------------------------------------------------ NVIDIA */

/* The version as it appears in RIM ids: "550.144.03" (driver) or without dots, upper case (VBIOS). */
static bool vf_coll_rim_id_matches(const char *id, const char *version)
{
	char nodots[VF_RIM_VERSION_MAX];
	size_t k = 0;
	for (const char *v = version; *v && k + 1 < sizeof(nodots); v++)
		if (*v != '.')
			nodots[k++] = *v;
	nodots[k] = 0;
	size_t il = strlen(id);
	const char *cands[2] = { version, nodots };
	for (int i = 0; i < 2; i++) {
		size_t cl = strlen(cands[i]);
		if (cl > 0 && il > cl && id[il - cl - 1] == '_' && strcasecmp(id + il - cl, cands[i]) == 0)
			return true;
	}
	return false;
}

static TC_RESULT vf_coll_rim(const uint8_t *raw, size_t len, const uint8_t *anchor, size_t anchor_len,
			     const char *want, int64_t now, struct vf_coll_check *out)
{
	struct vf_rim_doc *doc = NULL;
	struct vf_rim *rim = NULL;
	X509 *root = NULL;
	STACK_OF(X509) *path = NULL;
	struct tc_result r;

	anchor = vf_coll_anchor(anchor, &anchor_len, "nvidia_rim_root");
	TC_ENSURE(anchor != NULL, TC_ERR_RIM_CHAIN_INVALID, "rim: no pinned NVIDIA RIM root");
	TC_GUARD(vf_rim_xmlsec_init());
	TC_GUARD(vf_x509_parse(anchor, anchor_len, TC_ERR_RIM_CHAIN_INVALID, &root));
	TC_GUARD_GOTO(r, vf_rim_doc_parse(raw, len, &doc), out);
	STACK_OF(X509) *certs = vf_rim_doc_certs(doc);
	TC_ENSURE_GOTO(r, certs != NULL && sk_X509_num(certs) > 0, out, TC_ERR_RIM_CHAIN_INVALID,
		       "rim: no signer certificate");
	TC_GUARD_GOTO(r, vf_x509_verify_chain(sk_X509_value(certs, 0), certs, root, now, VF_CHAIN_LEAF_SIGNER,
					      TC_ERR_RIM_CHAIN_INVALID, &path),
		      out);
	out->signer_not_after = 0;
	for (int i = 0; i < sk_X509_num(path); i++) {
		int64_t na;
		TC_GUARD_GOTO(r, vf_asn1_time_to_unix(X509_get0_notAfter(sk_X509_value(path, i)), &na), out);
		if (out->signer_not_after == 0 || na < out->signer_not_after)
			out->signer_not_after = na;
	}
	TC_GUARD_GOTO(r, vf_rim_verify_signature(doc), out);
	rim = calloc(1, sizeof(*rim));
	TC_ENSURE_GOTO(r, rim != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	TC_GUARD_GOTO(r, vf_rim_content(doc, rim), out);
	if (want != NULL) {
		TC_ENSURE_GOTO(r, vf_coll_rim_id_matches(want, rim->version), out, TC_ERR_TCB_MISMATCH,
			       "rim: asked for '%s' but the RIM is version %s", want, rim->version);
		snprintf(out->key, sizeof(out->key), "%s", want);
	} else {
		/* Import without a name: the driver RIM id form NV_GPU_DRIVER_<product>_<version>. */
		snprintf(out->key, sizeof(out->key), "NV_GPU_DRIVER_%s_%s", rim->product[0] ? rim->product : "GH100",
			 rim->version);
	}
	r = tc_ok();
out:
	free(rim);
	sk_X509_pop_free(path, X509_free);
	vf_rim_doc_free(&doc);
	X509_free(root);
	return r;
}

/* OCSP: CHAIN = the certificate whose status is asked || its issuer (PEM). */
static TC_RESULT vf_coll_ocsp(const uint8_t *raw, size_t len, const uint8_t *chain, size_t chain_len,
			      const char *want, int64_t now, struct vf_coll_check *out)
{
	STACK_OF(X509) *certs = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	OCSP_CERTID *id = NULL;
	struct tc_result r;
	enum vf_ocsp_status st;

	TC_ENSURE(chain != NULL && chain_len > 0, TC_ERR_COLLATERAL_MISSING, "ocsp: no certificate || issuer chain");
	TC_GUARD(vf_x509_parse_pem_chain(chain, chain_len, TC_ERR_CERT_CHAIN_INVALID, &certs));
	TC_ENSURE_GOTO(r, sk_X509_num(certs) >= 2, out, TC_ERR_CERT_CHAIN_INVALID,
		       "ocsp: the chain needs the certificate and its issuer");
	X509 *cert = sk_X509_value(certs, 0), *issuer = sk_X509_value(certs, 1);
	TC_GUARD_GOTO(r, vf_ocsp_check(raw, len, cert, issuer, now, NULL, 0, &st), out);
	TC_ENSURE_GOTO(r, st != VF_OCSP_NO_RESPONSE, out, TC_ERR_TCB_MISMATCH,
		       "ocsp: the response does not cover the certificate");
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
	TC_GUARD_GOTO(r, tc_hex_encode(serial->data, (size_t)serial->length, out->key, sizeof(out->key)), out);
	TC_GUARD_GOTO(r, vf_coll_want(VF_COLL_OCSP, want, out->key), out);
	/* The window of the single response (RFC 6960 §4.2.2.1): thisUpdate .. nextUpdate. */
	const unsigned char *p = raw;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	basic = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	id = OCSP_cert_to_id(EVP_sha384(), cert, issuer);
	int status, reason;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	if (basic == NULL || id == NULL ||
	    OCSP_resp_find_status(basic, id, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
		OCSP_CERTID_free(id);
		id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
		TC_ENSURE_GOTO(r,
			       basic != NULL && id != NULL &&
				       OCSP_resp_find_status(basic, id, &status, &reason, &rev, &thisupd, &nextupd) == 1,
			       out, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "ocsp: single response not found");
	}
	TC_GUARD_GOTO(r, vf_asn1_time_to_unix(thisupd, &out->not_before), out);
	if (nextupd != NULL) {
		TC_GUARD_GOTO(r, vf_asn1_time_to_unix(nextupd, &out->next_update), out);
		out->has_window = true;
		if (out->not_before > now)
			out->not_before = now; /* tolerated skew, as vf_ocsp_check */
	} else {
		/* No nextUpdate: newer information is always available (§2.4); keep it for the skew only. */
		out->has_window = true;
		out->next_update = now + VF_COLL_OCSP_SKEW_S;
	}
	r = tc_ok();
out:
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

TC_RESULT vf_collateral_ocsp_request(const uint8_t *chain_pem, size_t len, struct tc_buf *out, char *key)
{
	STACK_OF(X509) *certs = NULL;
	struct tc_result r;
	TC_ENSURE(chain_pem != NULL && out != NULL && key != NULL, TC_ERR_INVALID_ARGUMENT, "ocsp: missing argument");
	TC_GUARD(vf_x509_parse_pem_chain(chain_pem, len, TC_ERR_CERT_CHAIN_INVALID, &certs));
	TC_ENSURE_GOTO(r, sk_X509_num(certs) >= 2, out, TC_ERR_CERT_CHAIN_INVALID,
		       "ocsp: the chain needs the certificate and its issuer");
	const ASN1_INTEGER *serial = X509_get0_serialNumber(sk_X509_value(certs, 0));
	TC_GUARD_GOTO(r, tc_hex_encode(serial->data, (size_t)serial->length, key, VF_COLL_KEY_MAX), out);
	r = vf_ocsp_request(sk_X509_value(certs, 0), sk_X509_value(certs, 1), NULL, 0, out);
out:
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/* --------------------------------------------------------------------------------------------- entry */

TC_RESULT vf_collateral_verify(enum vf_coll_kind kind, const uint8_t *raw, size_t len, const uint8_t *chain,
			       size_t chain_len, const uint8_t *anchor, size_t anchor_len, const char *want_key,
			       int64_t now, struct vf_coll_check *out)
{
	TC_ENSURE(out != NULL, TC_ERR_INVALID_ARGUMENT, "vf_collateral_verify: missing argument");
	TC_ENSURE(raw != NULL && len > 0, TC_ERR_COLLATERAL_MISSING, "%s: empty item", vf_coll_kind_name(kind));
	struct vf_coll_check c;
	memset(&c, 0, sizeof(c));
	struct tc_result r;

	switch (kind) {
	case VF_COLL_TCB_INFO:
	case VF_COLL_QE_IDENTITY:
	case VF_COLL_PCK_CRL:
	case VF_COLL_ROOT_CA_CRL:
		anchor = vf_coll_anchor(anchor, &anchor_len, "intel_root");
		TC_ENSURE(anchor != NULL, TC_ERR_CERT_CHAIN_INVALID, "no pinned Intel root");
		if (kind == VF_COLL_TCB_INFO || kind == VF_COLL_QE_IDENTITY)
			r = vf_coll_tdx_doc(kind, raw, len, chain, chain_len, anchor, anchor_len, want_key, now, &c);
		else
			r = vf_coll_tdx_crl(kind, raw, len, chain, chain_len, anchor, anchor_len, want_key, now, &c);
		break;
	case VF_COLL_VCEK:
		r = vf_coll_vcek(raw, len, chain, chain_len, anchor, anchor_len, want_key, now, &c);
		break;
	case VF_COLL_ARK_ASK_CHAIN:
	case VF_COLL_ASVK_CHAIN:
		r = vf_coll_amd_chain(kind, raw, len, anchor, anchor_len, want_key, now, &c);
		break;
	case VF_COLL_AMD_CRL:
		r = vf_coll_amd_crl(raw, len, anchor, anchor_len, want_key, now, &c);
		break;
	case VF_COLL_RIM:
		r = vf_coll_rim(raw, len, anchor, anchor_len, want_key, now, &c);
		break;
	case VF_COLL_OCSP:
		r = vf_coll_ocsp(raw, len, chain, chain_len, want_key, now, &c);
		break;
	default:
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown collateral kind %d", (int)kind);
	}
	TC_GUARD(r);
	*out = c;
	return tc_ok();
}
