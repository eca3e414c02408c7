/*
 * vf_snp_sim_report.c — simulated SEV-SNP reports (vf_snp_sim_emit, docs/sim.md "SNP").
 *
 * The report is a struct vf_snp_report written by vf_snp_report_encode at the parser's own offsets
 * ([ABI] Table "ATTESTATION_REPORT Structure") and signed like the AMD-SP: ECDSA P-384 over bytes
 * 0x000-0x29F, R and S little-endian in 72-byte fields ([ABI] "ECDSA P-384 with SHA-384 Signature"). The
 * signing key is a VCEK (or VLEK) issued for this report from the sim ASK (ASVK) with the [KDS] extensions:
 * structVersion, productName, blSPL/teeSPL/snpSPL/spl_4..7/ucodeSPL (+ fmcSPL on Turin), and hwID = CHIP_ID
 * (Turin: its first 8 bytes) for a VCEK or cspID for a VLEK. A fresh P-384 key per report (AMD derives it
 * from the chip secret and the TCB; a simulator has no such secret to protect).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "vf_snp_sim.h"

#define SIM_VCEK_YEARS 7 /* KDS VCEKs are valid seven years */
#define SIM_YEAR ((int64_t)365 * 24 * 3600)
#define SIM_VCEK_BACKDATE 3600
#define SIM_STRUCT_VERSION 1
#define SIM_N_RESERVED_SPL 4 /* spl_4..spl_7 (3.4-3.7) */
#define SIM_FIRST_RESERVED_SPL 4
#define SIM_CSP_ID "teecert-sim"
#define SIM_GUEST_SVN 1
#define SIM_ECDSA_DER_MAX 128
#define SIM_OID_MAX 64
#define SIM_MEASUREMENT_SEED "teecert sim snp measurement"

void vf_snp_sim_opts_init(struct vf_snp_sim_opts *o, int64_t now)
{
	memset(o, 0, sizeof(*o));
	o->version = VF_SNP_REPORT_V5;
	o->product = vf_snp_sim_product_at(0);
	o->sig_algo = VF_SNP_SIG_ALGO_ECDSA_P384_SHA384;
	o->now = now;
}

TC_RESULT vf_snp_sim_parse_tcb(const char *s, struct vf_snp_tcb *out)
{
	struct vf_snp_tcb t = { 0 };
	uint8_t *fields[] = { &t.bootloader, &t.tee, &t.snp, &t.microcode, &t.fmc };
	size_t n = 0;
	const char *p = s;

	while (p && *p && n < 5) {
		char *end = NULL;
		unsigned long v = strtoul(p, &end, 0);

		TC_ENSURE(end != p && v <= 255 && (*end == ',' || *end == 0), TC_ERR_INVALID_ARGUMENT,
			  "TCB '%s': want bl,tee,snp,ucode[,fmc] with values 0..255", s);
		*fields[n++] = (uint8_t)v;
		p = *end == ',' ? end + 1 : end;
	}
	TC_ENSURE(p && *p == 0 && (n == 4 || n == 5), TC_ERR_INVALID_ARGUMENT,
		  "TCB '%s': want bl,tee,snp,ucode[,fmc] with values 0..255", s ? s : "");
	*out = t;
	return tc_ok();
}

void vf_snp_sim_output_init(struct vf_snp_sim_output *out)
{
	memset(out, 0, sizeof(*out));
	tc_buf_init(&out->report, VF_SNP_REPORT_LEN);
	tc_buf_init(&out->leaf_pem, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&out->chain_pem, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&out->crl_der, TC_BUF_DEFAULT_MAX);
}

void vf_snp_sim_output_cleanup(struct vf_snp_sim_output *out)
{
	tc_buf_cleanup(&out->report);
	tc_buf_cleanup(&out->leaf_pem);
	tc_buf_cleanup(&out->chain_pem);
	tc_buf_cleanup(&out->crl_der);
}

/* ------------------------------------------------------------------------------------- VCEK / VLEK */

/* One AMD extension: OID arc + SUB, extnValue = DER bytes. */
static TC_RESULT add_amd_ext(X509 *x, const char *sub, const unsigned char *der, int len)
{
	char oid_text[SIM_OID_MAX];

	snprintf(oid_text, sizeof(oid_text), "%s%s", VF_SNP_OID_ARC, sub);
	return vf_sim_ext_der(x, oid_text, der, (size_t)len);
}

static TC_RESULT add_int_ext(X509 *x, const char *sub, long v)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int n = -1;
	struct tc_result r;

	if (i && ASN1_INTEGER_set(i, v) == 1)
		n = i2d_ASN1_INTEGER(i, &der);
	ASN1_INTEGER_free(i);
	r = n > 0 ? add_amd_ext(x, sub, der, n) : tc_fail_openssl(TC_ERR_CRYPTO, "INTEGER extension");
	OPENSSL_free(der);
	return r;
}

static TC_RESULT add_ia5_ext(X509 *x, const char *sub, const char *s)
{
	ASN1_IA5STRING *a = ASN1_IA5STRING_new();
	unsigned char *der = NULL;
	int n = -1;
	struct tc_result r;

	if (a && ASN1_STRING_set(a, s, -1) == 1)
		n = i2d_ASN1_IA5STRING(a, &der);
	ASN1_IA5STRING_free(a);
	r = n > 0 ? add_amd_ext(x, sub, der, n) : tc_fail_openssl(TC_ERR_CRYPTO, "IA5String extension");
	OPENSSL_free(der);
	return r;
}

/* [KDS] extensions in KDS order: structVersion, productName, (fmcSPL), blSPL, teeSPL, snpSPL, spl_4-7,
 * ucodeSPL, hwID (VCEK) or cspID (VLEK). */
static TC_RESULT add_kds_exts(X509 *x, const struct vf_snp_sim_opts *o, const struct vf_snp_tcb *tcb,
			      const uint8_t *hwid, size_t hwid_len)
{
	char sub[16];

	TC_GUARD(add_int_ext(x, VF_SNP_EXT_STRUCT_VERSION, SIM_STRUCT_VERSION));
	TC_GUARD(add_ia5_ext(x, VF_SNP_EXT_PRODUCT_NAME, o->product->product_name));
	if (o->product->layout == VF_SNP_TCB_TURIN)
		TC_GUARD(add_int_ext(x, VF_SNP_EXT_FMC_SPL, tcb->fmc));
	TC_GUARD(add_int_ext(x, VF_SNP_EXT_BL_SPL, tcb->bootloader));
	TC_GUARD(add_int_ext(x, VF_SNP_EXT_TEE_SPL, tcb->tee));
	TC_GUARD(add_int_ext(x, VF_SNP_EXT_SNP_SPL, tcb->snp));
	for (int i = 0; i < SIM_N_RESERVED_SPL; i++) {
		snprintf(sub, sizeof(sub), "%s%d", VF_SNP_EXT_SPL_PREFIX, SIM_FIRST_RESERVED_SPL + i);
		TC_GUARD(add_int_ext(x, sub, 0));
	}
	TC_GUARD(add_int_ext(x, VF_SNP_EXT_UCODE_SPL, tcb->microcode));
	if (o->vlek)
		return add_ia5_ext(x, VF_SNP_EXT_CSP_ID, SIM_CSP_ID);
	return add_amd_ext(x, VF_SNP_EXT_HWID, hwid, (int)hwid_len); /* raw bytes, as KDS writes hwID */
}

/* The endorsement key certificate for KEY, issued by the ASK or ASVK of PKI. */
static TC_RESULT leaf_cert(const struct vf_snp_sim_opts *o, const struct vf_snp_sim_pki *pki, EVP_PKEY *key,
			   const struct vf_snp_tcb *tcb, const uint8_t *hwid, size_t hwid_len, X509 **out)
{
	EVP_PKEY *issuer_key = o->vlek ? pki->asvk_key : pki->ask_key;
	/* Serial 0 (serial_len 0) and no AKI, like KDS VCEKs (the verifier must take them as they are). */
	struct vf_sim_cert_spec spec = { .issuer = o->vlek ? pki->asvk : pki->ask,
					 .not_before = o->now - SIM_VCEK_BACKDATE,
					 .not_after = o->now + SIM_VCEK_YEARS * SIM_YEAR,
					 .key = key };
	X509 *x = NULL;
	struct tc_result r = tc_ok();

	if (o->vcek_expired) {
		spec.not_before = o->now - (SIM_VCEK_YEARS + 1) * SIM_YEAR;
		spec.not_after = o->now - SIM_YEAR;
	}
	TC_GUARD(vf_snp_sim_name(o->vlek ? VF_SNP_CN_VLEK : VF_SNP_CN_VCEK, &spec.subject));
	TC_GUARD_GOTO(r, vf_sim_cert_new(&spec, &x), out);
	TC_GUARD_GOTO(r, add_kds_exts(x, o, tcb, hwid, hwid_len), out);
	TC_GUARD_GOTO(r, vf_snp_sim_sign_cert(x, issuer_key), out);
	*out = x;
	x = NULL;
out:
	X509_NAME_free(spec.subject);
	X509_free(x);
	return r;
}

/* ------------------------------------------------------------------------------------------ report */

/* ECDSA P-384/SHA-384 over the signed part, into R/S little-endian ([ABI] signature format). */
static TC_RESULT sign_report(struct vf_snp_report *rep, const uint8_t *bytes, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[SIM_ECDSA_DER_MAX];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *bn[2];
	uint8_t be[VF_SNP_P384_COORD_LEN];
	uint8_t *dst[2] = { rep->sig_r, rep->sig_s };
	struct tc_result r = tc_ok();

	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, bytes, VF_SNP_SIGNED_LEN) != 1 ||
	    !(sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len))) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "signing the sim report");
		goto out;
	}
	ECDSA_SIG_get0(sig, &bn[0], &bn[1]);
	memset(rep->sig_r, 0, sizeof(rep->sig_r));
	memset(rep->sig_s, 0, sizeof(rep->sig_s));
	for (int k = 0; k < 2; k++) {
		TC_ENSURE_GOTO(r, BN_bn2binpad(bn[k], be, sizeof(be)) == (int)sizeof(be), out, TC_ERR_CRYPTO,
			       "signature component");
		for (size_t i = 0; i < VF_SNP_P384_COORD_LEN; i++)
			dst[k][i] = be[VF_SNP_P384_COORD_LEN - 1 - i];
	}
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	return r;
}

static uint8_t max_u8(uint8_t a, uint8_t b)
{
	return a > b ? a : b;
}

/* Default TCB: the product's sim baseline raised to the TCB table's latest level at NOW (so UpToDate). */
static TC_RESULT default_tcb(const struct vf_snp_sim_opts *o, struct vf_snp_tcb *out)
{
	const struct vf_snp_tcb *b = &o->product->baseline;
	struct vf_snp_tcb zero = { 0 };
	struct vf_snp_tcb_verdict v;
	int model = o->version >= VF_SNP_REPORT_V3 ? o->product->model : -1;

	TC_GUARD(vf_snp_tcb_evaluate(NULL, o->product->name, model, &zero, o->product->layout, o->now, &v));
	out->bootloader = max_u8(b->bootloader, v.latest.bootloader);
	out->tee = max_u8(b->tee, v.latest.tee);
	out->snp = max_u8(b->snp, v.latest.snp);
	out->microcode = max_u8(b->microcode, v.latest.microcode);
	out->fmc = o->product->layout == VF_SNP_TCB_TURIN ? max_u8(b->fmc, v.latest.fmc) : 0;
	return tc_ok();
}

static TC_RESULT build_report(const struct vf_snp_sim_opts *o, const uint8_t chip[VF_SNP_CHIP_ID_LEN],
			      const struct vf_snp_tcb *reported, struct vf_snp_report *rep)
{
	const struct vf_snp_sim_product *p = o->product;
	struct vf_snp_tcb committed = o->has_committed ? o->committed : *reported;
	struct vf_snp_tcb current = o->has_current ? o->current : committed;
	struct vf_snp_tcb launch = o->has_launch ? o->launch : committed;

	memset(rep, 0, sizeof(*rep));
	rep->version = o->unsupported_version ? VF_SNP_SIM_UNSUPPORTED_VERSION : o->version;
	rep->guest_svn = SIM_GUEST_SVN;
	rep->policy = VF_SNP_POLICY_RESERVED1 | (o->smt ? VF_SNP_POLICY_SMT : 0) |
		      (o->migration_agent ? VF_SNP_POLICY_MIGRATE_MA : 0) | (o->debug ? VF_SNP_POLICY_DEBUG : 0);
	rep->vmpl = o->vmpl;
	rep->signature_algo = o->sig_algo;
	rep->current_tcb = vf_snp_tcb_encode(&current, p->layout);
	rep->platform_info = VF_SNP_PLATFORM_TSME_EN | (o->smt ? VF_SNP_PLATFORM_SMT_EN : 0);
	rep->key_info = (uint32_t)(o->vlek ? VF_SNP_KEY_VLEK : VF_SNP_KEY_VCEK) << VF_SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	memcpy(rep->report_data, o->report_data, sizeof(rep->report_data));
	if (o->has_measurement)
		memcpy(rep->measurement, o->measurement, sizeof(rep->measurement));
	else
		TC_GUARD(vf_sha384(SIM_MEASUREMENT_SEED, strlen(SIM_MEASUREMENT_SEED), rep->measurement));
	memcpy(rep->host_data, o->host_data, sizeof(rep->host_data));
	TC_GUARD(tc_random_bytes(rep->report_id, sizeof(rep->report_id)));
	rep->reported_tcb = vf_snp_tcb_encode(reported, p->layout);
	rep->cpuid_family = p->family;
	rep->cpuid_model = p->model;
	rep->cpuid_stepping = p->stepping;
	memcpy(rep->chip_id, chip, VF_SNP_CHIP_ID_LEN);
	rep->committed_tcb = vf_snp_tcb_encode(&committed, p->layout);
	rep->current_major = rep->committed_major = p->fw_major;
	rep->current_minor = rep->committed_minor = p->fw_minor;
	rep->current_build = rep->committed_build = p->fw_build;
	rep->launch_tcb = vf_snp_tcb_encode(&launch, p->layout);
	return tc_ok();
}

TC_RESULT vf_snp_sim_emit(const char *pki_dir, const struct vf_snp_sim_opts *o, struct vf_snp_sim_output *out)
{
	const struct vf_snp_sim_product *issuer_product = o->product;
	struct vf_snp_sim_pki pki;
	struct vf_snp_report rep;
	struct vf_snp_tcb reported, key_tcb;
	uint8_t chip[VF_SNP_CHIP_ID_LEN], hwid[VF_SNP_CHIP_ID_LEN], bytes[VF_SNP_REPORT_LEN];
	size_t hwid_len = o->product->layout == VF_SNP_TCB_TURIN ? VF_SNP_TURIN_HWID_LEN : VF_SNP_CHIP_ID_LEN;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(o->product, TC_ERR_INVALID_ARGUMENT, "no product line");
	TC_ENSURE(o->version == VF_SNP_REPORT_V2 || o->version == VF_SNP_REPORT_V3 || o->version == VF_SNP_REPORT_V5,
		  TC_ERR_INVALID_ARGUMENT, "report version %u: the simulator writes 2, 3 or 5", o->version);
	TC_ENSURE(o->truncate < VF_SNP_REPORT_LEN, TC_ERR_INVALID_ARGUMENT, "truncate to fewer than %d bytes",
		  VF_SNP_REPORT_LEN);
	TC_ENSURE(o->vmpl <= UINT8_MAX, TC_ERR_INVALID_ARGUMENT, "VMPL %u", o->vmpl);
	if (o->wrong_product_chain) {
		for (size_t i = 0; i < VF_SNP_SIM_N_PRODUCTS; i++)
			if (vf_snp_sim_product_at(i) == o->product)
				issuer_product = vf_snp_sim_product_at((i + 1) % VF_SNP_SIM_N_PRODUCTS);
	}
	memset(&pki, 0, sizeof(pki));
	TC_GUARD(vf_snp_sim_pki_load(pki_dir, issuer_product, &pki));

	/* the chip: 64 bytes, of which Turin uses 8 */
	if (o->has_chip_id)
		memcpy(chip, o->chip_id, sizeof(chip));
	else
		TC_GUARD_GOTO(r, vf_snp_sim_chip_id(pki_dir, chip), out);
	if (o->product->layout == VF_SNP_TCB_TURIN)
		memset(chip + VF_SNP_TURIN_HWID_LEN, 0, VF_SNP_CHIP_ID_LEN - VF_SNP_TURIN_HWID_LEN);
	memcpy(hwid, chip, sizeof(hwid));
	if (o->chip_id_mismatch)
		hwid[0] ^= 0x01;

	/* the TCBs: REPORTED_TCB is what the VCEK certifies */
	if (o->has_reported)
		reported = o->reported;
	else
		TC_GUARD_GOTO(r, default_tcb(o, &reported), out);
	if (o->product->layout != VF_SNP_TCB_TURIN)
		reported.fmc = 0;
	key_tcb = reported;
	if (o->vcek_tcb_mismatch)
		key_tcb.snp = (uint8_t)(key_tcb.snp + 1);

	/* the endorsement key and its certificate */
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	TC_ENSURE_GOTO(r, key, out, TC_ERR_CRYPTO, "P-384 key generation");
	TC_GUARD_GOTO(r, leaf_cert(o, &pki, key, &key_tcb, hwid, hwid_len, &leaf), out);

	/* the report, signed over 0x000-0x29F */
	TC_GUARD_GOTO(r, build_report(o, chip, &reported, &rep), out);
	vf_snp_report_encode(&rep, bytes);
	TC_GUARD_GOTO(r, sign_report(&rep, bytes, key), out);
	if (o->bad_sig)
		rep.sig_r[0] ^= 0x01;
	vf_snp_report_encode(&rep, bytes);
	TC_GUARD_GOTO(r, tc_buf_append(&out->report, bytes, o->truncate ? o->truncate : sizeof(bytes)), out);

	/* what the verifier needs beside it */
	TC_GUARD_GOTO(r, vf_sim_cert_pem(leaf, &out->leaf_pem), out);
	TC_GUARD_GOTO(r, vf_sim_cert_pem(o->vlek ? pki.asvk : pki.ask, &out->chain_pem), out);
	TC_GUARD_GOTO(r, vf_sim_cert_pem(pki.ark, &out->chain_pem), out);
	TC_GUARD_GOTO(
		r, vf_snp_sim_crl(&pki, o->vcek_revoked ? (o->vlek ? pki.asvk : pki.ask) : NULL, o->now, &out->crl_der),
		out);
	out->anchor_product = issuer_product;
out:
	tc_openssl_clear();
	X509_free(leaf);
	EVP_PKEY_free(key);
	vf_snp_sim_pki_cleanup(&pki);
	return r;
}
