/*
 * vf_collateral_needs.c — which vendor collateral items an input's evidence needs (docs/collateral.md
 * "Resolving an appraisal's collateral"). Pure: reads the evidence, derives the service keys the collateral
 * service (api/api_collateral_resolve.c) looks items up by, and the roles the appraisers read them under.
 *
 *  - TDX (Intel PCS API v4): the FMSPC in the PCK certificate's SGX extensions (Intel SGX PCK Certificate and
 *    CRL Profile, OID 1.2.840.113741.1.13.1.4) names the TCB info; the PCK issuer ("Intel SGX PCK Platform
 *    CA" / "... Processor CA") names the PCK CRL; the TD QE identity and the Root CA CRL are global.
 *  - SNP (AMD KDS #57230): the product line names the cert_chain (ASK or ASVK + ARK) and the CRL; a VCEK is
 *    named Product/CHIP_ID/REPORTED_TCB (the KDS path; Turin: the first 8 bytes of CHIP_ID and fmcSPL).
 *  - NVIDIA (nvtrust RIM service ids): NV_GPU_DRIVER_<chip>_<driver version>,
 *    NV_GPU_VBIOS_<project>_<project sku>_<chip sku>_<VBIOS version without dots, upper case>; on request
 *    OCSP (RFC 6960) for the GPU chain's certificates, keyed by serial as NVIDIA's OCSP service answers them.
 * Best effort: evidence that does not parse yields fewer needs, never an error (the appraisal reports it).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "nvidia/vf_nvidia.h"
#include "snp/vf_snp.h"
#include "tdx/vf_tdx.h"
#include "vf_internal.h"

/* The CPU product line of an SNP report with CPUID (v3+): family 19h models 0-0Fh Milan, 10h-1Fh and
 * A0h-AFh Genoa (Siena/Bergamo are served by KDS as Genoa), family 1Ah Turin. NULL: unknown. */
static const char *vf_needs_snp_product_of(const struct vf_snp_report *r)
{
	if (!r->has_cpuid)
		return NULL;
	if (r->cpuid_family == VF_SNP_CPUID_FAMILY_TURIN)
		return "Turin";
	if (r->cpuid_family != 0x19)
		return NULL;
	if (r->cpuid_model <= 0x0F)
		return "Milan";
	if (r->cpuid_model <= 0x1F || (r->cpuid_model >= 0xA0 && r->cpuid_model <= 0xAF))
		return "Genoa";
	return NULL;
}

struct vf_needs {
	struct vf_coll_need *out;
	size_t max, n;
};

static TC_RESULT vf_needs_add(struct vf_needs *s, enum vf_coll_kind kind, const char *key, const char *role,
			      const char *chain_role, bool evidence)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->out[i].kind == kind && strcmp(s->out[i].key, key) == 0)
			return tc_ok(); /* one item, one role (several GPUs share a RIM) */
	TC_ENSURE(s->n < s->max, TC_ERR_TOO_LARGE, "more than %zu collateral items needed", s->max);
	TC_ENSURE(strlen(key) > 0 && strlen(key) < VF_COLL_KEY_MAX, TC_ERR_INVALID_ARGUMENT, "collateral key too long");
	struct vf_coll_need *nd = &s->out[s->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->evidence = evidence;
	snprintf(nd->key, sizeof(nd->key), "%s", key);
	snprintf(nd->role, sizeof(nd->role), "%s", role);
	snprintf(nd->chain_role, sizeof(nd->chain_role), "%s", chain_role ? chain_role : "");
	return tc_ok();
}

/* ----------------------------------------------------------------------------------------------- TDX */

/*
 * What a PCK chain names, memoized by the SHA-256 of its exact PEM bytes: a fleet sends the same chain with
 * every quote of a platform, and parsing it (three certificates through OpenSSL 3.0's decoders, about a
 * millisecond) costs far more than the rest of the lookup. Set-associative with LRU replacement inside a set,
 * bounded: a direct-mapped table let two platforms whose hashes share a slot evict each other on every quote
 * (64 platforms in 256 slots: about one quote in six parsed again). An entry is a pure function of the bytes
 * it is keyed on.
 */
#define VF_NEEDS_PCK_MEMO_SETS 256
#define VF_NEEDS_PCK_MEMO_WAYS 8

struct vf_needs_pck_memo {
	bool used;
	uint64_t last_use; /* pck_memo_clock when last found or stored: the set's LRU order */
	uint8_t sha256[32];
	char fmspc[2 * VF_TDX_FMSPC_LEN + 1];
	const char *ca;
};

static struct vf_needs_pck_memo pck_memo[VF_NEEDS_PCK_MEMO_SETS][VF_NEEDS_PCK_MEMO_WAYS];
static uint64_t pck_memo_clock;
static pthread_mutex_t pck_memo_lock = PTHREAD_MUTEX_INITIALIZER;

static bool vf_needs_tdx_pck_parse(const struct vf_tdx_quote *q, char *fmspc, size_t fsize, const char **ca);

/* The way of SET holding H, or NULL; with VICTIM (not NULL): also the way to overwrite on a miss (a free
 * one, else the least recently used). Called with pck_memo_lock held. */
static struct vf_needs_pck_memo *vf_needs_pck_memo_find(struct vf_needs_pck_memo *set, const uint8_t h[32],
							struct vf_needs_pck_memo **victim)
{
	struct vf_needs_pck_memo *lru = &set[0];

	for (size_t w = 0; w < VF_NEEDS_PCK_MEMO_WAYS; w++) {
		struct vf_needs_pck_memo *m = &set[w];

		if (m->used && memcmp(m->sha256, h, sizeof(m->sha256)) == 0)
			return m;
		if (lru->used && (!m->used || m->last_use < lru->last_use))
			lru = m;
	}
	if (victim != NULL)
		*victim = lru;
	return NULL;
}

/* FMSPC (lowercase hex) and PCK CA ("platform" / "processor") from the quote's PCK chain; false when absent. */
static bool vf_needs_tdx_pck(const struct vf_tdx_quote *q, char *fmspc, size_t fsize, const char **ca)
{
	uint8_t h[32];
	struct vf_needs_pck_memo *set, *m, *victim = NULL;

	if (q->pck_pem == NULL || q->pck_pem_len == 0 || fsize < sizeof(m->fmspc) ||
	    EVP_Digest(q->pck_pem, q->pck_pem_len, h, NULL, EVP_sha256(), NULL) != 1)
		return vf_needs_tdx_pck_parse(q, fmspc, fsize, ca);
	set = pck_memo[(h[0] | (unsigned)h[1] << 8) % VF_NEEDS_PCK_MEMO_SETS];
	pthread_mutex_lock(&pck_memo_lock);
	m = vf_needs_pck_memo_find(set, h, NULL);
	if (m != NULL) {
		m->last_use = ++pck_memo_clock;
		memcpy(fmspc, m->fmspc, sizeof(m->fmspc));
		*ca = m->ca;
	}
	pthread_mutex_unlock(&pck_memo_lock);
	if (m != NULL)
		return true;
	if (!vf_needs_tdx_pck_parse(q, fmspc, fsize, ca))
		return false; /* not memoized: failures are rare and cheap to find again */
	pthread_mutex_lock(&pck_memo_lock);
	/* Another thread may have stored the same chain while this one parsed: refresh it, never duplicate. */
	m = vf_needs_pck_memo_find(set, h, &victim);
	if (m == NULL)
		m = victim;
	m->used = true;
	m->last_use = ++pck_memo_clock;
	memcpy(m->sha256, h, sizeof(h));
	memcpy(m->fmspc, fmspc, sizeof(m->fmspc));
	m->ca = *ca;
	pthread_mutex_unlock(&pck_memo_lock);
	return true;
}

static bool vf_needs_tdx_pck_parse(const struct vf_tdx_quote *q, char *fmspc, size_t fsize, const char **ca)
{
	STACK_OF(X509) *certs = NULL;
	bool ok = false;

	if (q->pck_pem == NULL || q->pck_pem_len == 0 ||
	    !tc_is_ok(vf_x509_parse_pem_chain(q->pck_pem, q->pck_pem_len, TC_ERR_CERT_CHAIN_INVALID, &certs)))
		goto out;
	X509 *pck = sk_X509_value(certs, 0);
	struct vf_tdx_sgx_ext ext;
	char cn[128] = "";
	if (pck == NULL || !tc_is_ok(vf_tdx_sgx_ext_parse(pck, &ext)) ||
	    !tc_is_ok(tc_hex_encode(ext.fmspc, sizeof(ext.fmspc), fmspc, fsize)))
		goto out;
	(void)X509_NAME_get_text_by_NID(X509_get_issuer_name(pck), NID_commonName, cn, sizeof(cn));
	*ca = strstr(cn, "Processor") != NULL ? "processor" : strstr(cn, "Platform") != NULL ? "platform" : NULL;
	ok = true;
out:
	sk_X509_pop_free(certs, X509_free);
	tc_openssl_clear();
	return ok;
}

static TC_RESULT vf_needs_tdx(const struct vf_input *in, struct vf_needs *s)
{
	const struct vf_item *quote = vf_item_find(in->evidence, in->n_evidence, "tdx_quote");
	struct vf_tdx_quote q;
	char fmspc[2 * VF_TDX_FMSPC_LEN + 1];
	const char *ca = NULL;

	if (quote == NULL || !tc_is_ok(vf_tdx_quote_parse(quote->data, quote->len, &q)))
		return tc_ok();
	if (vf_needs_tdx_pck(&q, fmspc, sizeof(fmspc), &ca))
		TC_GUARD(vf_needs_add(s, VF_COLL_TCB_INFO, fmspc, "tcb_info", "tcb_info_issuer_chain", false));
	TC_GUARD(vf_needs_add(s, VF_COLL_QE_IDENTITY, "td_qe", "qe_identity", "qe_identity_issuer_chain", false));
	if (ca != NULL)
		TC_GUARD(vf_needs_add(s, VF_COLL_PCK_CRL, ca, "pck_crl", "pck_crl_issuer_chain", false));
	return vf_needs_add(s, VF_COLL_ROOT_CA_CRL, "root", "root_ca_crl", NULL, false);
}

/* ----------------------------------------------------------------------------------------------- SNP */

static TC_RESULT vf_needs_snp(const struct vf_input *in, const struct vf_coll_needs_opts *opts, struct vf_needs *s)
{
	const struct vf_item *report = vf_item_find(in->evidence, in->n_evidence, "snp_report");
	const struct vf_item *vcek = vf_item_find(in->evidence, in->n_evidence, "vcek");
	const struct vf_item *vlek = vf_item_find(in->evidence, in->n_evidence, "vlek");
	const struct vf_item *key = vcek != NULL ? vcek : vlek;
	struct vf_snp_report r;
	struct vf_snp_vcek_ext ext;
	const char *product = NULL;
	bool have_report = report != NULL && tc_is_ok(vf_snp_report_parse(report->data, report->len, &r));

	if (key != NULL && tc_is_ok(vf_snp_vcek_ext_parse_bytes(key->data, key->len, &ext)) && ext.product[0])
		product = ext.product;
	else if (have_report)
		product = vf_needs_snp_product_of(&r);
	/* A v2 report without a key names no product: the operator's configured product line, if any. */
	if (product == NULL && have_report && opts->snp_product != NULL && opts->snp_product[0])
		product = opts->snp_product;
	tc_openssl_clear();
	if (product == NULL)
		return tc_ok();
	/* The SNP appraiser reads the ASK or ASVK chain under one role. */
	TC_GUARD(vf_needs_add(s, vlek != NULL && vcek == NULL ? VF_COLL_ASVK_CHAIN : VF_COLL_ARK_ASK_CHAIN, product,
			      "ark_ask_chain", NULL, false));
	TC_GUARD(vf_needs_add(s, VF_COLL_AMD_CRL, product, "amd_crl", NULL, false));
	if (key != NULL || !have_report)
		return tc_ok();

	/* No endorsement key in the evidence: the VCEK of this chip at its REPORTED_TCB (KDS path). */
	bool turin = strcmp(product, "Turin") == 0;
	enum vf_snp_tcb_layout layout = vf_snp_tcb_layout_of(&r, product);
	struct vf_snp_tcb t = vf_snp_tcb_decode(r.reported_tcb, layout);
	char hwid[2 * VF_SNP_CHIP_ID_LEN + 1], k[VF_COLL_KEY_MAX];
	TC_GUARD(tc_hex_encode(r.chip_id, turin ? VF_SNP_TURIN_HWID_LEN : VF_SNP_CHIP_ID_LEN, hwid, sizeof(hwid)));
	if (turin)
		snprintf(k, sizeof(k), "%s/%s/%u.%u.%u.%u.%u", product, hwid, t.bootloader, t.tee, t.snp, t.microcode,
			 t.fmc);
	else
		snprintf(k, sizeof(k), "%s/%s/%u.%u.%u.%u", product, hwid, t.bootloader, t.tee, t.snp, t.microcode);
	return vf_needs_add(s, VF_COLL_VCEK, k, "vcek", NULL, true);
}

/* --------------------------------------------------------------------------------------------- NVIDIA */

/* An opaque field as text (it is NUL-padded ASCII), false when absent or not printable. */
static bool vf_needs_nv_text(const struct vf_spdm *sp, uint16_t type, char *out, size_t size)
{
	const struct vf_nv_opaque_field *f = vf_spdm_field(sp, type);
	size_t k = 0;

	if (f == NULL)
		return false;
	for (size_t i = 0; i < f->len && f->value[i] != 0 && k + 1 < size; i++) {
		if (!isalnum(f->value[i]) && f->value[i] != '-' && f->value[i] != '.')
			return false;
		out[k++] = (char)f->value[i];
	}
	out[k] = 0;
	return k > 0;
}

/* ROLE for the I-th RIM of a kind: "driver_rim", "driver_rim.1", ... (the appraiser reads ROLE and ROLE.N). */
static void vf_needs_rim_role(const char *base, size_t i, char *out, size_t size)
{
	if (i == 0)
		snprintf(out, size, "%s", base);
	else
		snprintf(out, size, "%s.%zu", base, i);
}

static size_t vf_needs_count(const struct vf_needs *s, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->out[i].role, prefix, pl) == 0 && (s->out[i].role[pl] == 0 || s->out[i].role[pl] == '.'))
			n++;
	return n;
}

static TC_RESULT vf_needs_nvidia(const struct vf_input *in, struct vf_needs *s)
{
	struct tc_buf scratch;
	struct tc_result r = tc_ok();

	tc_buf_init(&scratch, 2 * VF_RIM_MAX_BYTES);
	for (size_t i = 0; i < in->n_evidence && tc_is_ok(r); i++) {
		const struct vf_item *it = &in->evidence[i];
		size_t rl = strlen(it->role);
		struct vf_spdm sp;
		char drv[64], vb[64], chip[32], proj[32], psku[32], csku[32], role[VF_COLL_ROLE_MAX],
			key[VF_COLL_KEY_MAX];

		if (strncmp(it->role, "gpu", 3) != 0 || rl < 5 || strcmp(it->role + rl - 5, ".spdm") != 0)
			continue;
		tc_buf_reset(&scratch);
		if (!tc_is_ok(vf_spdm_parse(it->data, it->len, VF_SPDM_MAX_TRAILING, &scratch, &sp)))
			continue;
		if (tc_is_ok(vf_nv_driver_version(&sp, drv, sizeof(drv))) && drv[0]) {
			if (!vf_needs_nv_text(&sp, VF_NV_OPAQUE_CHIP_INFO, chip, sizeof(chip)))
				snprintf(chip, sizeof(chip), "GH100"); /* Hopper evidence does not name its chip */
			snprintf(key, sizeof(key), "NV_GPU_DRIVER_%s_%s", chip, drv);
			vf_needs_rim_role("driver_rim", vf_needs_count(s, "driver_rim"), role, sizeof(role));
			r = vf_needs_add(s, VF_COLL_RIM, key, role, NULL, false);
		}
		if (tc_is_ok(r) && tc_is_ok(vf_nv_vbios_version(&sp, vb, sizeof(vb))) &&
		    vf_needs_nv_text(&sp, VF_NV_OPAQUE_PROJECT, proj, sizeof(proj)) &&
		    vf_needs_nv_text(&sp, VF_NV_OPAQUE_PROJECT_SKU, psku, sizeof(psku)) &&
		    vf_needs_nv_text(&sp, VF_NV_OPAQUE_CHIP_SKU, csku, sizeof(csku))) {
			size_t k = (size_t)snprintf(key, sizeof(key), "NV_GPU_VBIOS_%s_%s_%s_", proj, psku, csku);
			for (const char *v = vb; *v && k + 1 < sizeof(key); v++)
				if (*v != '.')
					key[k++] = (char)toupper((unsigned char)*v);
			key[k] = 0;
			vf_needs_rim_role("vbios_rim", vf_needs_count(s, "vbios_rim"), role, sizeof(role));
			r = vf_needs_add(s, VF_COLL_RIM, key, role, NULL, false);
		}
	}
	tc_buf_cleanup(&scratch);
	return r;
}

/* ----------------------------------------------------------------------------------------- NVIDIA OCSP */

static bool vf_needs_is_gpu_chain(const char *role)
{
	size_t rl = strlen(role);
	return strncmp(role, "gpu", 3) == 0 && rl > 11 && strcmp(role + rl - 11, ".cert_chain") == 0;
}

static bool vf_needs_is_rim(const char *role)
{
	return (strncmp(role, "driver_rim", 10) == 0 && (role[10] == 0 || role[10] == '.')) ||
	       (strncmp(role, "vbios_rim", 9) == 0 && (role[9] == 0 || role[9] == '.'));
}

/* The certificates of a RIM's signer chain (KeyInfo/X509Data, signer first), as a new stack; NULL if none. */
static STACK_OF(X509) *vf_needs_rim_certs(const struct vf_item *item)
{
	struct vf_rim_doc *doc = NULL;
	STACK_OF(X509) *out = NULL;

	if (!tc_is_ok(vf_rim_doc_parse(item->data, item->len, &doc)))
		return NULL;
	STACK_OF(X509) *certs = vf_rim_doc_certs(doc);
	out = sk_X509_new_null();
	for (int i = 0; out != NULL && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (X509_up_ref(x) != 1 || sk_X509_push(out, x) <= 0) {
			sk_X509_pop_free(out, X509_free);
			out = NULL;
		}
	}
	vf_rim_doc_free(&doc);
	return out;
}

/*
 * The certificates the NVIDIA appraiser asks OCSP about for SRC_ROLE, as its path has them: a GPU chain
 * (evidence "gpuN.cert_chain", PEM, leaf first; vf_nvidia_appraise.c step 5: from index 1, the FMC leaf is
 * not asked about) or a RIM's signer chain (collateral "driver_rim"/"vbios_rim[.N]", from index 0). When the
 * last certificate is not self-issued, the root (the input's nvidia_device_root / nvidia_rim_root anchor,
 * else the pinned one) is appended. *FIRST: the first index asked about. NULL when nothing parses.
 */
static STACK_OF(X509) *vf_needs_path(const struct vf_input *in, const char *src_role, int *first)
{
	bool gpu = vf_needs_is_gpu_chain(src_role);
	const char *anchor_role = gpu ? "nvidia_device_root" : "nvidia_rim_root";
	STACK_OF(X509) *certs = NULL;
	X509 *root = NULL;

	if (gpu) {
		const struct vf_item *it = vf_item_find(in->evidence, in->n_evidence, src_role);
		if (it == NULL ||
		    !tc_is_ok(vf_x509_parse_pem_chain(it->data, it->len, TC_ERR_CERT_CHAIN_INVALID, &certs)))
			return NULL;
	} else {
		const struct vf_item *it =
			vf_needs_is_rim(src_role) ? vf_item_find(in->collateral, in->n_collateral, src_role) : NULL;
		if (it == NULL || (certs = vf_needs_rim_certs(it)) == NULL)
			return NULL;
	}
	*first = gpu ? 1 : 0;
	X509 *last = sk_X509_value(certs, sk_X509_num(certs) - 1);
	if (last == NULL || X509_check_issued(last, last) == X509_V_OK)
		return certs;
	const struct vf_item *a = vf_item_find(in->anchors, in->n_anchors, anchor_role);
	const char *pinned = vf_default_anchor(anchor_role);
	bool ok = a != NULL      ? tc_is_ok(vf_x509_parse(a->data, a->len, TC_ERR_CERT_CHAIN_INVALID, &root)) :
		  pinned != NULL ? tc_is_ok(vf_x509_parse((const uint8_t *)pinned, strlen(pinned),
							  TC_ERR_CERT_CHAIN_INVALID, &root)) :
				   false;
	if (ok && sk_X509_push(certs, root) > 0)
		root = NULL;
	X509_free(root);
	return certs;
}

/* The OCSP needs of the chain SRC_ROLE: one per certificate asked about (not the root), each serial once. */
static TC_RESULT vf_needs_ocsp_chain(const struct vf_input *in, const char *src_role, struct vf_needs *s)
{
	struct tc_result r = tc_ok();
	int first = 0;
	STACK_OF(X509) *path = vf_needs_path(in, src_role, &first);
	bool simulated = path != NULL && vf_x509_is_simulated(sk_X509_value(path, sk_X509_num(path) - 1));
	/* "gpu0.cert_chain" -> "ocsp.gpu0.I"; "driver_rim.1" -> "ocsp.driver_rim.1.I" */
	int base = vf_needs_is_gpu_chain(src_role) ? (int)strlen(src_role) - 11 : (int)strlen(src_role);

	for (int k = first; path != NULL && k + 1 < sk_X509_num(path) && tc_is_ok(r); k++) {
		const ASN1_INTEGER *serial = X509_get0_serialNumber(sk_X509_value(path, k));
		char key[VF_COLL_KEY_MAX], role[VF_COLL_ROLE_MAX];
		size_t before = s->n;
		if (serial == NULL || serial->length <= 0 ||
		    !tc_is_ok(tc_hex_encode(serial->data, (size_t)serial->length, key, sizeof(key))))
			continue;
		snprintf(role, sizeof(role), "ocsp.%.*s.%d", base, src_role, k);
		r = vf_needs_add(s, VF_COLL_OCSP, key, role, NULL, false);
		if (tc_is_ok(r) && s->n > before) {
			snprintf(s->out[before].src_role, sizeof(s->out[before].src_role), "%s", src_role);
			s->out[before].cert_index = k;
			s->out[before].simulated = simulated;
		}
	}
	sk_X509_pop_free(path, X509_free);
	return r;
}

/* GPU chains first (evidence; not with RIM_ONLY), then the signer chains of the RIMs already in the input's
 * collateral. */
static TC_RESULT vf_needs_ocsp(const struct vf_input *in, bool rim_only, struct vf_needs *s)
{
	struct tc_result r = tc_ok();

	for (size_t i = 0; i < in->n_evidence && tc_is_ok(r) && !rim_only; i++)
		if (vf_needs_is_gpu_chain(in->evidence[i].role))
			r = vf_needs_ocsp_chain(in, in->evidence[i].role, s);
	for (size_t i = 0; i < in->n_collateral && tc_is_ok(r); i++)
		if (vf_needs_is_rim(in->collateral[i].role))
			r = vf_needs_ocsp_chain(in, in->collateral[i].role, s);
	tc_openssl_clear();
	return r;
}

static TC_RESULT vf_needs_pem(X509 *x, struct tc_buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	struct tc_result r = tc_ok();

	TC_ENSURE(b != NULL, TC_ERR_NO_MEMORY, "out of memory");
	if (PEM_write_bio_X509(b, x) != 1 || (n = BIO_get_mem_data(b, &p)) <= 0)
		r = tc_fail_openssl(TC_ERR_INTERNAL, "writing a certificate as PEM");
	else
		r = tc_buf_append(out, p, (size_t)n);
	BIO_free(b);
	return r;
}

TC_RESULT vf_collateral_ocsp_pair(const struct vf_input *in, const struct vf_coll_need *need, struct tc_buf *out)
{
	TC_ENSURE(in != NULL && need != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT,
		  "vf_collateral_ocsp_pair: missing argument");
	TC_ENSURE(need->kind == VF_COLL_OCSP && need->src_role[0], TC_ERR_INVALID_ARGUMENT, "not an OCSP need");
	int first = 0;
	STACK_OF(X509) *path = vf_needs_path(in, need->src_role, &first);
	struct tc_result r = tc_ok();
	TC_ENSURE_GOTO(r, path != NULL && need->cert_index >= 0 && need->cert_index + 1 < sk_X509_num(path), out,
		       TC_ERR_CERT_CHAIN_INVALID, "%s: no such chain, or no certificate %d with an issuer in it",
		       need->src_role, need->cert_index);
	TC_GUARD_GOTO(r, vf_needs_pem(sk_X509_value(path, need->cert_index), out), out);
	r = vf_needs_pem(sk_X509_value(path, need->cert_index + 1), out);
out:
	sk_X509_pop_free(path, X509_free);
	tc_openssl_clear();
	return r;
}

/* ----------------------------------------------------------------------------------------------- entry */

TC_RESULT vf_collateral_needs(const struct vf_input *in, struct vf_coll_need *out, size_t max, size_t *n)
{
	return vf_collateral_needs_opts(in, NULL, out, max, n);
}

TC_RESULT vf_collateral_needs_opts(const struct vf_input *in, const struct vf_coll_needs_opts *opts,
				   struct vf_coll_need *out, size_t max, size_t *n)
{
	TC_ENSURE(in != NULL && out != NULL && n != NULL, TC_ERR_INVALID_ARGUMENT,
		  "vf_collateral_needs: missing argument");
	static const struct vf_coll_needs_opts none = { 0 };
	struct vf_needs s = { .out = out, .max = max, .n = 0 };
	struct tc_result r;

	if (opts == NULL)
		opts = &none;
	if (opts->rim_ocsp_only && in->tee != VF_TEE_NVIDIA) {
		*n = 0;
		return tc_ok();
	}

	switch (in->tee) {
	case VF_TEE_TDX:
		r = vf_needs_tdx(in, &s);
		break;
	case VF_TEE_SNP:
		r = vf_needs_snp(in, opts, &s);
		break;
	case VF_TEE_NVIDIA:
		r = opts->rim_ocsp_only ? tc_ok() : vf_needs_nvidia(in, &s);
		if (tc_is_ok(r) && (opts->ocsp || opts->rim_ocsp_only))
			r = vf_needs_ocsp(in, opts->rim_ocsp_only, &s);
		break;
	default:
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown TEE %d", (int)in->tee);
	}
	TC_GUARD(r);
	*n = s.n;
	return tc_ok();
}
