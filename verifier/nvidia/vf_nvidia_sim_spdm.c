/*
 * vf_nvidia_sim_spdm.c — simulated H100 attestation reports: the DMTF DSP0274 SPDM 1.1 GET_MEASUREMENTS request
 * (Table 40, 37 bytes) || MEASUREMENTS response (Table 41) signed by the GPU's FMC leaf key, exactly as
 * vf_nvidia_spdm.c parses them, built from the same constants (vf_nvidia.h).
 *
 * Response: 64 DMTF measurement blocks (Table 45/46, value type VF_DMTF_VALUE_FIRMWARE, SHA-384 values from
 * pki.json, which the sim RIMs hold), a fresh responder nonce, NVIDIA opaque TLVs in the order real H100s
 * send them (VBIOS version, board/chip/project ids, driver version, GPU info, measurement counts, CPR info,
 * NVDEC0 status, FWID of the leaf certificate, protected-PCIe status, opaque data version, chip info, and
 * FEATURE_FLAG when a mode is set), then ECDSA P-384 r || s over SHA-384(request || response up to the
 * signature) (§10.11.2). Knobs (struct vf_nv_sim_knobs) produce every failure the appraiser checks.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_SPDM_MAX (16u * 1024u)
#define VF_NV_SIM_PEM_MAX (64u * 1024u)
#define VF_NV_SIM_RSP_PARAM1 0x00 /* reserved when Param2 of the request is "all blocks" */
#define VF_NV_SIM_SLOT 0x00
#define VF_NV_SIM_YEAR_S (365 * 86400)
/* Opaque field values as the shared H100 captures carry them (vf_nvidia.h names the types). */
static const uint8_t vf_nv_sim_board_id[] = { 0xb1, 0x03, 0x00, 0x00 };
static const char vf_nv_sim_chip_sku[9] = "882";
static const char vf_nv_sim_chip_sku_mod[5] = "0";
static const char vf_nv_sim_project[5] = "1010";
static const char vf_nv_sim_project_sku[5] = "0200";
static const uint8_t vf_nv_sim_project_sku_mod[2] = { 0 };
static const uint8_t vf_nv_sim_gpu_info[8] = { 0x80, 0x01 };
static const uint8_t vf_nv_sim_cpr_info[] = { 0x00, 0xc0, 0x01, 0x00 };
static const uint8_t vf_nv_sim_opaque_version[] = { 0x01, 0x00 };
static const uint8_t vf_nv_sim_pcie_status = 0x55;
#define VF_NV_SIM_MSRSCNT_VALUE 1u /* per-block measurement count (u32le each) */

static TC_RESULT vf_nv_sim_u16le(struct tc_buf *b, uint16_t v)
{
	const uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return tc_buf_append(b, le, sizeof(le));
}

static TC_RESULT vf_nv_sim_u32le(struct tc_buf *b, uint32_t v)
{
	const uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return tc_buf_append(b, le, sizeof(le));
}

static TC_RESULT vf_nv_sim_tlv(struct tc_buf *b, enum vf_nv_opaque_id type, const void *value, size_t len)
{
	TC_ENSURE(len <= UINT16_MAX, TC_ERR_INTERNAL, "opaque field too long");
	TC_GUARD(vf_nv_sim_u16le(b, (uint16_t)type));
	TC_GUARD(vf_nv_sim_u16le(b, (uint16_t)len));
	return tc_buf_append(b, value, len);
}

/* ECDSA P-384 over SHA-384(MSG), raw r || s as SPDM carries it. */
static TC_RESULT vf_nv_sim_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[VF_SPDM_SIG_LEN])
{
	uint8_t digest[48];
	unsigned char der[VF_SPDM_SIG_LEN + 16];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	ECDSA_SIG *s = NULL;
	const BIGNUM *br, *bs;
	struct tc_result r = tc_ok();

	TC_GUARD_GOTO(r, vf_sha384(msg, len, digest), out);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, der, &der_len, digest, sizeof(digest)) != 1 ||
	    (s = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "signing the SPDM response");
		goto out;
	}
	ECDSA_SIG_get0(s, &br, &bs);
	if (BN_bn2binpad(br, sig, VF_SPDM_P384_COORD_LEN) != VF_SPDM_P384_COORD_LEN ||
	    BN_bn2binpad(bs, sig + VF_SPDM_P384_COORD_LEN, VF_SPDM_P384_COORD_LEN) != VF_SPDM_P384_COORD_LEN)
		r = tc_fail(TC_ERR_CRYPTO, "SPDM signature: r or s wider than P-384");
out:
	ECDSA_SIG_free(s);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static TC_RESULT vf_nv_sim_record(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, struct tc_buf *rec)
{
	for (size_t i = 0; i < VF_NV_SIM_BLOCKS; i++) {
		uint8_t value[VF_NV_SIM_MEAS_LEN];
		uint8_t index = (uint8_t)(i + 1);

		memcpy(value, pki->meas[i], sizeof(value));
		if (k->mismatch_block == index)
			value[0] ^= 0xFF;
		TC_GUARD(tc_buf_append_u8(rec, index));
		TC_GUARD(tc_buf_append_u8(rec, VF_DMTF_SPEC_DMTF));
		TC_GUARD(vf_nv_sim_u16le(rec, VF_DMTF_HEADER_LEN + sizeof(value)));
		TC_GUARD(tc_buf_append_u8(rec, VF_DMTF_VALUE_FIRMWARE));
		TC_GUARD(vf_nv_sim_u16le(rec, sizeof(value)));
		TC_GUARD(tc_buf_append(rec, value, sizeof(value)));
	}
	return tc_ok();
}

static TC_RESULT vf_nv_sim_opaque(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, X509 *leaf,
				  bool fwid_mismatch, struct tc_buf *o)
{
	const char *driver = k->driver_version[0] ? k->driver_version : pki->driver_version;
	const char *vbios = k->vbios_version[0] ? k->vbios_version : pki->vbios_version;
	uint8_t vb[VF_NV_VBIOS_LEN], fwid[VF_NV_FWID_LEN];
	uint8_t nvdec = k->nvdec_disabled ? VF_NV_NVDEC0_DISABLED : VF_NV_NVDEC0_ENABLED;
	size_t fwid_len = 0;
	bool has_fwid = false;
	struct tc_buf counts;
	struct tc_result r = tc_ok();

	tc_buf_init(&counts, VF_NV_SIM_SPDM_MAX);
	TC_GUARD_GOTO(r, vf_nv_vbios_encode(vbios, vb), out);
	TC_GUARD_GOTO(r, vf_nv_cert_fwid(leaf, fwid, sizeof(fwid), &fwid_len, &has_fwid), out);
	TC_ENSURE_GOTO(r, has_fwid, out, TC_ERR_INVALID_ARGUMENT, "the sim GPU leaf carries no FWID");
	if (fwid_mismatch)
		fwid[0] ^= 0xFF;
	for (size_t i = 0; i < VF_NV_SIM_BLOCKS; i++)
		TC_GUARD_GOTO(r, vf_nv_sim_u32le(&counts, VF_NV_SIM_MSRSCNT_VALUE), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_VBIOS_VERSION, vb, sizeof(vb)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_BOARD_ID, vf_nv_sim_board_id, sizeof(vf_nv_sim_board_id)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_CHIP_SKU, vf_nv_sim_chip_sku, sizeof(vf_nv_sim_chip_sku)), out);
	TC_GUARD_GOTO(
		r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_CHIP_SKU_MOD, vf_nv_sim_chip_sku_mod, sizeof(vf_nv_sim_chip_sku_mod)),
		out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_PROJECT, vf_nv_sim_project, sizeof(vf_nv_sim_project)), out);
	TC_GUARD_GOTO(r,
		      vf_nv_sim_tlv(o, VF_NV_OPAQUE_PROJECT_SKU, vf_nv_sim_project_sku, sizeof(vf_nv_sim_project_sku)),
		      out);
	TC_GUARD_GOTO(r,
		      vf_nv_sim_tlv(o, VF_NV_OPAQUE_PROJECT_SKU_MOD, vf_nv_sim_project_sku_mod,
				    sizeof(vf_nv_sim_project_sku_mod)),
		      out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_DRIVER_VERSION, driver, strlen(driver) + 1), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_GPU_INFO, vf_nv_sim_gpu_info, sizeof(vf_nv_sim_gpu_info)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_MSRSCNT, counts.data, counts.len), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_CPRINFO, vf_nv_sim_cpr_info, sizeof(vf_nv_sim_cpr_info)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_NVDEC0_STATUS, &nvdec, 1), out);
	if (!k->no_fwid)
		TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_FWID, fwid, fwid_len), out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_PROTECTED_PCIE_STATUS, &vf_nv_sim_pcie_status, 1), out);
	TC_GUARD_GOTO(r,
		      vf_nv_sim_tlv(o, VF_NV_OPAQUE_OPAQUE_DATA_VERSION, vf_nv_sim_opaque_version,
				    sizeof(vf_nv_sim_opaque_version)),
		      out);
	TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_CHIP_INFO, VF_NV_SIM_PRODUCT, sizeof(VF_NV_SIM_PRODUCT)), out);
	if (k->mode != VF_NV_SIM_MODE_LEGACY) {
		static const uint8_t feature[] = { [VF_NV_SIM_MODE_SPT] = VF_NV_FEATURE_SPT,
						   [VF_NV_SIM_MODE_MPT] = VF_NV_FEATURE_MPT,
						   [VF_NV_SIM_MODE_PPCIE] = VF_NV_FEATURE_PPCIE };
		const uint8_t flag[2] = { feature[k->mode], 0 };

		TC_GUARD_GOTO(r, vf_nv_sim_tlv(o, VF_NV_OPAQUE_FEATURE_FLAG, flag, sizeof(flag)), out);
	}
out:
	tc_buf_cleanup(&counts);
	return r;
}

/* One GPU's request || response || signature (|| trailing zeros). */
static TC_RESULT vf_nv_sim_report(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, size_t gpu,
				  size_t n_gpus, struct tc_buf *out)
{
	uint8_t nonce[VF_SPDM_NONCE_LEN], rsp_nonce[VF_SPDM_NONCE_LEN], sig[VF_SPDM_SIG_LEN];
	uint8_t version = k->spdm_version ? k->spdm_version : VF_SPDM_VERSION_11;
	struct tc_buf rec, opaque;
	struct tc_result r = tc_ok();

	tc_buf_init(&rec, VF_NV_SIM_SPDM_MAX);
	tc_buf_init(&opaque, VF_NV_SIM_SPDM_MAX);
	memcpy(nonce, k->nonce, sizeof(nonce));
	if (k->wrong_nonce && gpu + 1 == n_gpus)
		for (size_t i = 0; i < sizeof(nonce); i++)
			nonce[i] ^= 0xFF;
	TC_GUARD_GOTO(r, tc_random_bytes(rsp_nonce, sizeof(rsp_nonce)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_record(pki, k, &rec), out);
	TC_GUARD_GOTO(
		r,
		vf_nv_sim_opaque(pki, k, sk_X509_value(pki->gpus[gpu].chain, 0), k->fwid_mismatch && gpu == 0, &opaque),
		out);
	TC_ENSURE_GOTO(r, rec.len < (1u << (8 * VF_SPDM_RECORD_LEN_BYTES)) && opaque.len <= UINT16_MAX, out,
		       TC_ERR_INTERNAL, "SPDM record too long");
	/* GET_MEASUREMENTS request (Table 40). */
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, version), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_SPDM_GET_MEASUREMENTS), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_SPDM_REQ_SIGNATURE), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_SPDM_MEAS_ALL), out);
	TC_GUARD_GOTO(r, tc_buf_append(out, nonce, sizeof(nonce)), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_NV_SIM_SLOT), out);
	/* MEASUREMENTS response (Table 41). */
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, version), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_SPDM_MEASUREMENTS), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_NV_SIM_RSP_PARAM1), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_NV_SIM_SLOT), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, VF_NV_SIM_BLOCKS), out);
	for (size_t i = 0; i < VF_SPDM_RECORD_LEN_BYTES; i++)
		TC_GUARD_GOTO(r, tc_buf_append_u8(out, (uint8_t)(rec.len >> (8 * i))), out);
	TC_GUARD_GOTO(r, tc_buf_append(out, rec.data, rec.len), out);
	TC_GUARD_GOTO(r, tc_buf_append(out, rsp_nonce, sizeof(rsp_nonce)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_u16le(out, (uint16_t)opaque.len), out);
	TC_GUARD_GOTO(r, tc_buf_append(out, opaque.data, opaque.len), out);
	TC_GUARD_GOTO(r, vf_nv_sim_sign(pki->gpus[gpu].fmc_key, out->data, out->len, sig), out);
	if (k->bad_sig && gpu == 0)
		sig[VF_SPDM_P384_COORD_LEN / 2] ^= 0x01;
	TC_GUARD_GOTO(r, tc_buf_append(out, sig, sizeof(sig)), out);
	for (size_t i = 0; i < k->trailing; i++)
		TC_GUARD_GOTO(r, tc_buf_append_u8(out, 0), out);
	if (k->truncate > 0 && gpu == 0 && k->truncate < out->len) {
		out->len = k->truncate;
		out->data[out->len] = 0; /* keep the buffer's NUL terminator */
	}
out:
	tc_buf_cleanup(&rec);
	tc_buf_cleanup(&opaque);
	return r;
}

/* The FMC leaf of GPU re-issued by its BROM with a validity window that ended a year before NOW. */
static TC_RESULT vf_nv_sim_expired_leaf(const struct vf_nv_sim_gpu *g, int64_t now, X509 **out)
{
	X509 *leaf = X509_dup(sk_X509_value(g->chain, 0));

	TC_ENSURE(leaf != NULL, TC_ERR_NO_MEMORY, "X509_dup");
	if (ASN1_TIME_set(X509_getm_notBefore(leaf), (time_t)(now - 2 * VF_NV_SIM_YEAR_S)) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(leaf), (time_t)(now - VF_NV_SIM_YEAR_S)) == NULL ||
	    X509_sign(leaf, g->brom_key, EVP_sha384()) <= 0) {
		X509_free(leaf);
		return tc_fail_openssl(TC_ERR_CRYPTO, "re-issuing an expired leaf");
	}
	*out = leaf;
	return tc_ok();
}

/* GPU I's chain PEM after the chain knobs (which apply to gpu0). */
static TC_RESULT vf_nv_sim_chain(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, size_t gpu,
				 size_t n_gpus, int64_t now, struct tc_buf *out)
{
	size_t src = k->swap_chain ? (gpu + 1) % n_gpus : gpu;
	STACK_OF(X509) *chain = pki->gpus[src].chain;
	X509 *expired = NULL;
	struct tc_result r = tc_ok();

	if (gpu != 0 || (k->chain == VF_NV_SIM_CHAIN_FULL && !k->expired_leaf))
		return vf_nv_sim_chain_pem(chain, out);
	if (k->expired_leaf)
		TC_GUARD(vf_nv_sim_expired_leaf(&pki->gpus[src], now, &expired));
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = i == 0 && expired != NULL ? expired : sk_X509_value(chain, i);
		bool root = i + 1 == sk_X509_num(chain);

		if ((k->chain == VF_NV_SIM_CHAIN_MISSING_LEAF && i == 0) ||
		    (k->chain == VF_NV_SIM_CHAIN_MISSING_ICA && i == 2) ||
		    (k->chain == VF_NV_SIM_CHAIN_ROOT_ONLY && !root))
			continue;
		TC_GUARD_GOTO(r, vf_sim_cert_pem(c, out), out);
	}
out:
	X509_free(expired);
	return r;
}

TC_RESULT vf_nv_sim_evidence(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, int64_t now,
			     struct tc_buf *spdm, struct tc_buf *chains)
{
	size_t n = k->gpus ? k->gpus : 1;

	TC_ENSURE(n <= pki->n_gpus, TC_ERR_INVALID_ARGUMENT, "%zu GPUs asked, the sim PKI has %zu", n, pki->n_gpus);
	TC_ENSURE(!k->swap_chain || n >= 2, TC_ERR_INVALID_ARGUMENT, "swapping chains needs 2 or more GPUs");
	TC_ENSURE(k->mismatch_block <= VF_NV_SIM_BLOCKS, TC_ERR_INVALID_ARGUMENT,
		  "measurement block %u: the sim reports blocks 1..%d", k->mismatch_block, VF_NV_SIM_BLOCKS);
	for (size_t i = 0; i < n; i++) {
		TC_GUARD(vf_nv_sim_report(pki, k, i, n, &spdm[i]));
		TC_GUARD(vf_nv_sim_chain(pki, k, i, n, now, &chains[i]));
	}
	return tc_ok();
}
