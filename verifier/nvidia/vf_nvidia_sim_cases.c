/*
 * vf_nvidia_sim_cases.c — `teecert sim nvidia --pki DIR --cases OUTDIR`: a conformance set over simulated H100
 * evidence in the shared schema-1 format (../shared/evidence/cases/SCHEMA.md), one case per knob and per
 * NVIDIA failure code the appraiser can produce.
 *
 * OUTDIR/cases/nvidia-sim-<case>.json          manifests (paths relative to OUTDIR)
 * OUTDIR/nvidia-sim/anchors/                    the sim roots (+ NVIDIA's real device root for the wrong-root case)
 * OUTDIR/nvidia-sim/<case>/                     gpu<i>_spdm.bin, gpu<i>_certchain.pem, driver_rim.xml, vbios_rim.xml
 * Every case runs at verify_at = the generation time with "allow_simulated": true, except the case that
 * checks that a simulated root is refused without it. Expected failures follow the check order of the
 * cases README (see docs/nvidia.md).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_CASE_PREFIX "nvidia-sim-"
#define VF_NV_SIM_CASE_DIR "nvidia-sim"
#define VF_NV_SIM_CASE_MAX (256u * 1024u)
#define VF_NV_SIM_REL_MAX 256
#define VF_NV_SIM_TRUNCATE_REQUEST VF_SPDM_REQUEST_LEN
#define VF_NV_SIM_SPDM_10 0x10
#define VF_NV_SIM_BLOCK_VBIOS 2   /* SPDM block 2 = VBIOS RIM index 1 */
#define VF_NV_SIM_BLOCK_DRIVER 22 /* SPDM block 22 = driver RIM index 21 */
#define VF_NV_SIM_BLOCK_ALT 3     /* SPDM block 3 = the VBIOS index with two alternatives */
#define VF_NV_SIM_BLOCK_INACTIVE 50
#define VF_NV_SIM_BLOCK_NVDEC (VF_NV_NVDEC0_RIM_INDEX + 1)

enum vf_nv_sim_case_rims { VF_NV_SIM_RIMS_BOTH, VF_NV_SIM_RIMS_NONE, VF_NV_SIM_RIMS_DRIVER_ONLY };
enum vf_nv_sim_case_anchors { VF_NV_SIM_ANCHORS_SIM, VF_NV_SIM_ANCHORS_REAL_DEVICE, VF_NV_SIM_ANCHORS_NO_RIM_ROOT };

struct vf_nv_sim_case {
	const char *name;
	struct vf_nv_sim_knobs ev; /* nonce filled in at generation */
	enum vf_nv_sim_case_rims rims;
	enum vf_nv_sim_rim_fault driver_fault, vbios_fault;
	enum vf_nv_sim_case_anchors anchors;
	bool deny_simulated; /* no "allow_simulated" in the policy */
	bool no_expected_nonce;
	bool hex;  /* evidence files as hex text */
	bool ocsp; /* OCSP responses for gpu0's and the RIM signer's chains */
	enum vf_nv_sim_ocsp_fault ocsp_fault;
	enum vf_nv_sim_ocsp_target ocsp_target;
	const char *policy;  /* more policy keys (JSON object text) */
	const char *failure; /* NULL: accepted */
	const char *notes;
};

static const struct vf_nv_sim_case vf_nv_sim_cases_table[] = {
	{ .name = "ok", .notes = "One GPU, both RIMs, sim roots trusted with allow_simulated: every check passes." },
	{ .name = "x4-ok",
	  .ev = { .gpus = 4 },
	  .notes = "--gpus 4: four GPUs answer one nonce; one RIM pair covers all." },
	{ .name = "x8-ok", .ev = { .gpus = VF_NV_SIM_MAX_GPUS }, .notes = "--gpus 8: the largest sim PKI." },
	{ .name = "hex-evidence", .hex = true, .notes = "The SPDM bytes as hex text (nvtrust sample form)." },
	{ .name = "simulated-root-refused",
	  .deny_simulated = true,
	  .failure = "cert_chain_invalid",
	  .notes = "No allow_simulated: a chain ending at a simulated root is refused (step 2)." },
	{ .name = "real-device-root",
	  .anchors = VF_NV_SIM_ANCHORS_REAL_DEVICE,
	  .failure = "cert_chain_invalid",
	  .notes = "NVIDIA's real Device Identity CA pinned: the sim chain does not build to it." },
	{ .name = "spdm-version-10",
	  .ev = { .spdm_version = VF_NV_SIM_SPDM_10 },
	  .failure = "evidence_unsupported_version",
	  .notes = "--spdm-version 0x10: only SPDM 1.1 is supported (step 1)." },
	{ .name = "truncated",
	  .ev = { .truncate = VF_NV_SIM_DEFAULT_TRUNCATE },
	  .failure = "evidence_malformed",
	  .notes = "--truncate 100: the response ends inside the measurement record (step 1)." },
	{ .name = "truncated-request-only",
	  .ev = { .truncate = VF_NV_SIM_TRUNCATE_REQUEST },
	  .failure = "evidence_malformed",
	  .notes = "--truncate 37: only the GET_MEASUREMENTS request is left." },
	{ .name = "trailing-byte",
	  .ev = { .trailing = 1 },
	  .notes = "--trailing 1: one 0x00 after the signature, as coco captures keep it, is tolerated by default." },
	{ .name = "trailing-byte-refused",
	  .ev = { .trailing = 1 },
	  .policy = "{\"nvidia_allow_trailing_byte\": false}",
	  .failure = "evidence_malformed",
	  .notes = "--trailing 1 with nvidia_allow_trailing_byte false." },
	{ .name = "trailing-2",
	  .ev = { .trailing = 2 },
	  .failure = "evidence_malformed",
	  .notes = "--trailing 2: more than one byte after the signature." },
	{ .name = "chain-missing-leaf",
	  .ev = { .chain = VF_NV_SIM_CHAIN_MISSING_LEAF },
	  .failure = "cert_chain_invalid",
	  .notes =
		  "--missing-leaf: the BROM CA would be the signer (a CA may not be the leaf); chain before signature." },
	{ .name = "chain-missing-ica",
	  .ev = { .chain = VF_NV_SIM_CHAIN_MISSING_ICA },
	  .failure = "cert_chain_invalid",
	  .notes = "--missing-ica: no path from the BROM to the GH100 identity." },
	{ .name = "chain-root-only",
	  .ev = { .chain = VF_NV_SIM_CHAIN_ROOT_ONLY },
	  .failure = "cert_chain_invalid",
	  .notes = "--root-only: one certificate, no signing leaf." },
	{ .name = "leaf-expired",
	  .ev = { .expired_leaf = true },
	  .failure = "cert_expired",
	  .notes = "--expired-leaf: the FMC leaf re-issued with a window that ended a year ago (validity after "
		   "structure)." },
	{ .name = "bad-signature",
	  .ev = { .bad_sig = true },
	  .failure = "evidence_signature_invalid",
	  .notes = "--bad-sig: one bit of r flipped (step 3)." },
	{ .name = "x2-swapped-chain",
	  .ev = { .gpus = 2, .swap_chain = true },
	  .failure = "evidence_signature_invalid",
	  .notes = "--gpus 2 --swap-chain: each GPU ships the other's chain, which builds but holds the wrong key." },
	{ .name = "fwid-mismatch",
	  .ev = { .fwid_mismatch = true },
	  .failure = "cert_chain_invalid",
	  .notes = "--fwid-mismatch: the signed FWID opaque field differs from the leaf's TcbInfo FWID." },
	{ .name = "no-fwid",
	  .ev = { .no_fwid = true },
	  .notes = "--no-fwid: no FWID opaque field; binding is optional by default." },
	{ .name = "no-fwid-required",
	  .ev = { .no_fwid = true },
	  .policy = "{\"nvidia_require_fwid\": true}",
	  .failure = "cert_chain_invalid",
	  .notes = "--no-fwid with nvidia_require_fwid true." },
	{ .name = "wrong-nonce",
	  .ev = { .wrong_nonce = true },
	  .failure = "nonce_mismatch",
	  .notes = "--wrong-nonce: the request nonce differs from expected_nonce (step 4)." },
	{ .name = "x2-nonce-differs",
	  .ev = { .gpus = 2, .wrong_nonce = true },
	  .no_expected_nonce = true,
	  .failure = "nonce_mismatch",
	  .notes = "--gpus 2 --wrong-nonce without expected_nonce: gpu1 answered another challenge than gpu0." },
	{ .name = "ocsp-required-none",
	  .policy = "{\"ocsp\": \"required\"}",
	  .failure = "collateral_missing",
	  .notes = "ocsp required and no OCSP response for the GPU chain (step 5)." },
	{ .name = "ocsp-good-required",
	  .ocsp = true,
	  .policy = "{\"ocsp\": \"required\"}",
	  .notes = "OCSP responses (good) for the BROM, ICA, GH100 identity, RIM signer and RIM CA; ocsp required." },
	{ .name = "ocsp-gpu-revoked",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_REVOKED,
	  .failure = "cert_revoked",
	  .notes = "--ocsp-fault revoked: the GSP BROM certificate is revoked (keyCompromise)." },
	{ .name = "ocsp-gpu-on-hold",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_ON_HOLD,
	  .failure = "cert_revoked",
	  .notes = "--ocsp-fault on-hold: certificateHold is refused unless allow_ocsp_on_hold." },
	{ .name = "ocsp-gpu-on-hold-allowed",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_ON_HOLD,
	  .policy = "{\"allow_ocsp_on_hold\": true}",
	  .notes = "--ocsp-fault on-hold with allow_ocsp_on_hold true." },
	{ .name = "ocsp-gpu-stale",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_STALE,
	  .failure = "collateral_expired",
	  .notes = "--ocsp-fault stale: the BROM response's nextUpdate passed a day ago." },
	{ .name = "ocsp-gpu-bad-signature",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_BAD_SIG,
	  .failure = "collateral_signature_invalid",
	  .notes = "--ocsp-fault bad-sig: the BROM response signature has a flipped bit." },
	{ .name = "ocsp-rim-signer-revoked",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_REVOKED,
	  .ocsp_target = VF_NV_SIM_OCSP_TARGET_RIM,
	  .failure = "cert_revoked",
	  .notes = "--ocsp-fault revoked --ocsp-target rim: the RIM signer is revoked (after the RIM XML signature)." },
	{ .name = "ocsp-off-ignores-revoked",
	  .ocsp = true,
	  .ocsp_fault = VF_NV_SIM_OCSP_REVOKED,
	  .policy = "{\"ocsp\": \"off\"}",
	  .notes = "--ocsp-fault revoked with ocsp off: responses are not consulted." },
	{ .name = "rims-required-missing",
	  .rims = VF_NV_SIM_RIMS_NONE,
	  .failure = "rim_missing",
	  .notes = "No RIMs under the default gpu_rims required." },
	{ .name = "vbios-rim-missing",
	  .rims = VF_NV_SIM_RIMS_DRIVER_ONLY,
	  .failure = "rim_missing",
	  .notes = "Only the driver RIM under gpu_rims required." },
	{ .name = "vbios-rim-missing-if-present",
	  .rims = VF_NV_SIM_RIMS_DRIVER_ONLY,
	  .policy = "{\"gpu_rims\": \"if_present\"}",
	  .notes = "Only the driver RIM under gpu_rims if_present." },
	{ .name = "rims-off",
	  .rims = VF_NV_SIM_RIMS_NONE,
	  .policy = "{\"gpu_rims\": \"off\"}",
	  .notes = "No RIMs, gpu_rims off: signatures, chain and nonce only." },
	{ .name = "rim-root-not-pinned",
	  .anchors = VF_NV_SIM_ANCHORS_NO_RIM_ROOT,
	  .failure = "rim_chain_invalid",
	  .notes = "RIMs given but no nvidia_rim_root pinned." },
	{ .name = "driver-rim-foreign-root",
	  .driver_fault = VF_NV_SIM_RIM_FOREIGN_ROOT,
	  .failure = "rim_chain_invalid",
	  .notes = "--rim-fault foreign-root: the driver RIM is signed by a chain to an unpinned root." },
	{ .name = "vbios-rim-signer-expired",
	  .vbios_fault = VF_NV_SIM_RIM_EXPIRED_SIGNER,
	  .failure = "cert_expired",
	  .notes = "--rim-fault expired-signer: the VBIOS RIM signer expired a year ago." },
	{ .name = "driver-rim-tampered",
	  .driver_fault = VF_NV_SIM_RIM_TAMPERED,
	  .failure = "rim_signature_invalid",
	  .notes = "--rim-fault tampered: a driver RIM Hash0 edited after signing (reference digest)." },
	{ .name = "vbios-rim-tampered",
	  .vbios_fault = VF_NV_SIM_RIM_TAMPERED,
	  .failure = "rim_signature_invalid",
	  .notes = "--rim-fault tampered on the VBIOS RIM." },
	{ .name = "driver-rim-bad-signature",
	  .driver_fault = VF_NV_SIM_RIM_BAD_SIG,
	  .failure = "rim_signature_invalid",
	  .notes = "--rim-fault bad-sig: SignatureValue with one flipped bit." },
	{ .name = "vbios-rim-bad-signature",
	  .vbios_fault = VF_NV_SIM_RIM_BAD_SIG,
	  .failure = "rim_signature_invalid",
	  .notes = "--rim-fault bad-sig on the VBIOS RIM." },
	{ .name = "driver-version-mismatch",
	  .ev = { .driver_version = "570.124.07" },
	  .failure = "measurement_mismatch",
	  .notes = "--driver-version 570.124.07: the driver RIM is for another version (step 6)." },
	{ .name = "vbios-version-mismatch",
	  .ev = { .vbios_version = "96.00.9f.00.05" },
	  .failure = "measurement_mismatch",
	  .notes = "--vbios-version 96.00.9f.00.05: the VBIOS RIM is for another version." },
	{ .name = "measurement-mismatch-vbios",
	  .ev = { .mismatch_block = VF_NV_SIM_BLOCK_VBIOS },
	  .failure = "measurement_mismatch",
	  .notes = "--measurement-mismatch 2: VBIOS RIM index 1 differs." },
	{ .name = "measurement-mismatch-driver",
	  .ev = { .mismatch_block = VF_NV_SIM_BLOCK_DRIVER },
	  .failure = "measurement_mismatch",
	  .notes = "--measurement-mismatch 22: driver RIM index 21 differs." },
	{ .name = "measurement-mismatch-alternatives",
	  .ev = { .mismatch_block = VF_NV_SIM_BLOCK_ALT },
	  .failure = "measurement_mismatch",
	  .notes = "--measurement-mismatch 3: matches neither of the two alternatives of VBIOS RIM index 2 (the "
		   "good evidence matches the second)." },
	{ .name = "measurement-mismatch-inactive",
	  .ev = { .mismatch_block = VF_NV_SIM_BLOCK_INACTIVE },
	  .notes = "--measurement-mismatch 50: RIM index 49 is inactive in both RIMs, so it is not compared." },
	{ .name = "measurement-mismatch-nvdec",
	  .ev = { .mismatch_block = VF_NV_SIM_BLOCK_NVDEC },
	  .failure = "measurement_mismatch",
	  .notes = "--measurement-mismatch 36 with NVDEC0 enabled: index 35 compared." },
	{ .name = "nvdec-disabled-skips-index-35",
	  .ev = { .mismatch_block = VF_NV_SIM_BLOCK_NVDEC, .nvdec_disabled = true },
	  .notes = "--nvdec-disabled --measurement-mismatch 36: NVDEC0 status 0x55, RIM index 35 is skipped." },
	{ .name = "mode-ppcie",
	  .ev = { .mode = VF_NV_SIM_MODE_PPCIE },
	  .notes = "--mode ppcie: FEATURE_FLAG 2, allowed by default." },
	{ .name = "mode-ppcie-not-allowed",
	  .ev = { .mode = VF_NV_SIM_MODE_PPCIE },
	  .policy = "{\"nvidia_allowed_modes\": [\"legacy\", \"spt\"]}",
	  .failure = "policy_violation",
	  .notes = "--mode ppcie with nvidia_allowed_modes [legacy, spt] (step 7)." },
	{ .name = "mode-legacy-not-allowed",
	  .policy = "{\"nvidia_allowed_modes\": [\"mpt\"]}",
	  .failure = "policy_violation",
	  .notes = "No FEATURE_FLAG (legacy) with nvidia_allowed_modes [mpt]." },
	{ .name = "mode-spt-allowed",
	  .ev = { .mode = VF_NV_SIM_MODE_SPT },
	  .policy = "{\"nvidia_allowed_modes\": [\"spt\"]}",
	  .notes = "--mode spt with nvidia_allowed_modes [spt]." },
};

static TC_RESULT vf_nv_sim_mkdirs(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return tc_ok();
	TC_ENSURE(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode), TC_ERR_IO, "cannot create %s: %s",
		  path, strerror(errno));
	return tc_ok();
}

/* Write BYTES to OUT_DIR/REL and return REL as a JSON string. */
static TC_RESULT vf_nv_sim_put(const char *out_dir, const char *rel, const struct tc_buf *bytes, json_t **out)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(out_dir, rel, path));
	TC_GUARD(tc_file_write(path, bytes->data, bytes->len, 0644));
	*out = json_string(rel);
	TC_ENSURE(*out != NULL, TC_ERR_NO_MEMORY, "manifest");
	return tc_ok();
}

static TC_RESULT vf_nv_sim_set(json_t *obj, const char *key, json_t *value)
{
	TC_ENSURE(value != NULL && json_object_set_new(obj, key, value) == 0, TC_ERR_NO_MEMORY, "manifest %s", key);
	return tc_ok();
}

/* Per-case state while one case is written. */
struct vf_nv_sim_case_ctx {
	const struct vf_nv_sim_pki *pki;
	const char *out_dir;
	int64_t now;
	uint8_t nonce[VF_SPDM_NONCE_LEN];
	char when[TC_TIME_RFC3339_LEN];
};

static TC_RESULT vf_nv_sim_case_evidence(const struct vf_nv_sim_case_ctx *x, const struct vf_nv_sim_case *c,
					 json_t *evidence)
{
	struct vf_nv_sim_knobs k = c->ev;
	struct tc_buf spdm[VF_NV_SIM_MAX_GPUS], chains[VF_NV_SIM_MAX_GPUS], hex;
	size_t n = k.gpus ? k.gpus : 1;
	json_t *gpus = json_array();
	struct tc_result r = tc_ok();

	memcpy(k.nonce, x->nonce, sizeof(k.nonce));
	tc_buf_init(&hex, VF_NV_SIM_CASE_MAX);
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_init(&spdm[i], VF_NV_SIM_CASE_MAX);
		tc_buf_init(&chains[i], VF_NV_SIM_CASE_MAX);
	}
	TC_ENSURE_GOTO(r, gpus != NULL, out, TC_ERR_NO_MEMORY, "manifest");
	TC_GUARD_GOTO(r, vf_nv_sim_evidence(x->pki, &k, x->now, spdm, chains), out);
	for (size_t i = 0; i < n; i++) {
		char rel[VF_NV_SIM_REL_MAX];
		json_t *gpu = json_object(), *s = NULL, *ch = NULL;

		TC_ENSURE_GOTO(r, gpu != NULL && json_array_append_new(gpus, gpu) == 0, out, TC_ERR_NO_MEMORY,
			       "manifest");
		if (c->hex) {
			tc_buf_reset(&hex);
			TC_GUARD_GOTO(r, tc_hex_encode_buf(spdm[i].data, spdm[i].len, &hex), out);
			TC_GUARD_GOTO(r, tc_buf_append_u8(&hex, '\n'), out);
		}
		snprintf(rel, sizeof(rel), "%s/%s/gpu%zu_spdm.%s", VF_NV_SIM_CASE_DIR, c->name, i,
			 c->hex ? "hex.txt" : "bin");
		TC_GUARD_GOTO(r, vf_nv_sim_put(x->out_dir, rel, c->hex ? &hex : &spdm[i], &s), out);
		TC_GUARD_GOTO(r, vf_nv_sim_set(gpu, "spdm", s), out);
		snprintf(rel, sizeof(rel), "%s/%s/gpu%zu_certchain.pem", VF_NV_SIM_CASE_DIR, c->name, i);
		TC_GUARD_GOTO(r, vf_nv_sim_put(x->out_dir, rel, &chains[i], &ch), out);
		TC_GUARD_GOTO(r, vf_nv_sim_set(gpu, "cert_chain", ch), out);
	}
	r = vf_nv_sim_set(evidence, "gpus", gpus);
	gpus = NULL;
out:
	json_decref(gpus);
	tc_buf_cleanup(&hex);
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_cleanup(&spdm[i]);
		tc_buf_cleanup(&chains[i]);
	}
	return r;
}

static TC_RESULT vf_nv_sim_case_rims(const struct vf_nv_sim_case_ctx *x, const struct vf_nv_sim_case *c,
				     json_t *collateral)
{
	struct tc_buf rim;
	struct tc_result r = tc_ok();

	if (c->rims == VF_NV_SIM_RIMS_NONE)
		return tc_ok();
	tc_buf_init(&rim, VF_NV_SIM_CASE_MAX);
	for (int kind = VF_NV_SIM_RIM_DRIVER; kind <= VF_NV_SIM_RIM_VBIOS; kind++) {
		bool drv = kind == VF_NV_SIM_RIM_DRIVER;
		char rel[VF_NV_SIM_REL_MAX];
		json_t *path = NULL;

		if (!drv && c->rims == VF_NV_SIM_RIMS_DRIVER_ONLY)
			continue;
		tc_buf_reset(&rim);
		TC_GUARD_GOTO(r,
			      vf_nv_sim_rim(x->pki, (enum vf_nv_sim_rim_kind)kind, NULL,
					    drv ? c->driver_fault : c->vbios_fault, x->now, &rim),
			      out);
		snprintf(rel, sizeof(rel), "%s/%s/%s", VF_NV_SIM_CASE_DIR, c->name,
			 drv ? "driver_rim.xml" : "vbios_rim.xml");
		TC_GUARD_GOTO(r, vf_nv_sim_put(x->out_dir, rel, &rim, &path), out);
		TC_GUARD_GOTO(r, vf_nv_sim_set(collateral, drv ? "driver_rim" : "vbios_rim", path), out);
	}
out:
	tc_buf_cleanup(&rim);
	return r;
}

static TC_RESULT vf_nv_sim_case_ocsp(const struct vf_nv_sim_case_ctx *x, const struct vf_nv_sim_case *c,
				     json_t *collateral)
{
	struct tc_buf der[VF_NV_SIM_OCSP_RESPONSES];
	json_t *list = json_array();
	struct tc_result r = tc_ok();

	for (size_t i = 0; i < VF_NV_SIM_OCSP_RESPONSES; i++)
		tc_buf_init(&der[i], VF_NV_SIM_CASE_MAX);
	TC_ENSURE_GOTO(r, list != NULL, out, TC_ERR_NO_MEMORY, "manifest");
	if (!c->ocsp)
		goto out;
	TC_GUARD_GOTO(r, vf_nv_sim_ocsp(x->pki, 0, c->ocsp_fault, c->ocsp_target, x->now, der), out);
	for (size_t i = 0; i < VF_NV_SIM_OCSP_RESPONSES; i++) {
		char rel[VF_NV_SIM_REL_MAX];
		json_t *path = NULL;

		snprintf(rel, sizeof(rel), "%s/%s/ocsp_%zu.der", VF_NV_SIM_CASE_DIR, c->name, i);
		TC_GUARD_GOTO(r, vf_nv_sim_put(x->out_dir, rel, &der[i], &path), out);
		TC_ENSURE_GOTO(r, json_array_append_new(list, path) == 0, out, TC_ERR_NO_MEMORY, "manifest");
	}
	r = vf_nv_sim_set(collateral, "ocsp", list);
	list = NULL;
out:
	json_decref(list);
	for (size_t i = 0; i < VF_NV_SIM_OCSP_RESPONSES; i++)
		tc_buf_cleanup(&der[i]);
	return r;
}

static TC_RESULT vf_nv_sim_case_policy(const struct vf_nv_sim_case_ctx *x, const struct vf_nv_sim_case *c, json_t **out)
{
	json_t *p = json_object(), *extra = NULL;
	json_error_t err;
	struct tc_result r = tc_ok();

	TC_ENSURE(p != NULL, TC_ERR_NO_MEMORY, "policy");
	if (!c->no_expected_nonce)
		TC_GUARD_GOTO(r, vf_nv_sim_set(p, "expected_nonce", tc_json_hex(x->nonce, sizeof(x->nonce))), out);
	if (!c->deny_simulated)
		TC_GUARD_GOTO(r, vf_nv_sim_set(p, "allow_simulated", json_true()), out);
	if (c->policy != NULL) {
		extra = json_loads(c->policy, 0, &err);
		TC_ENSURE_GOTO(r, json_is_object(extra) && json_object_update(p, extra) == 0, out, TC_ERR_INTERNAL,
			       "case %s: policy text: %s", c->name, err.text);
	}
	*out = p;
	p = NULL;
out:
	json_decref(extra);
	json_decref(p);
	return r;
}

static TC_RESULT vf_nv_sim_case_anchors(const struct vf_nv_sim_case *c, json_t *anchors)
{
	const char *dev = c->anchors == VF_NV_SIM_ANCHORS_REAL_DEVICE ?
				  VF_NV_SIM_CASE_DIR "/anchors/real_nvidia_device_root.pem" :
				  VF_NV_SIM_CASE_DIR "/anchors/nvidia_device_root.pem";

	TC_GUARD(vf_nv_sim_set(anchors, "nvidia_device_root", json_string(dev)));
	if (c->anchors != VF_NV_SIM_ANCHORS_NO_RIM_ROOT)
		TC_GUARD(vf_nv_sim_set(anchors, "nvidia_rim_root",
				       json_string(VF_NV_SIM_CASE_DIR "/anchors/nvidia_rim_root.pem")));
	return tc_ok();
}

static TC_RESULT vf_nv_sim_case_expect(const struct vf_nv_sim_case_ctx *x, const struct vf_nv_sim_case *c,
				       json_t *expect)
{
	char nonce[2 * VF_SPDM_NONCE_LEN + 1];
	json_t *claims;

	if (c->failure != NULL) {
		TC_GUARD(vf_nv_sim_set(expect, "verdict", json_string("rejected")));
		return vf_nv_sim_set(expect, "failure", json_string(c->failure));
	}
	TC_GUARD(vf_nv_sim_set(expect, "verdict", json_string("accepted")));
	TC_GUARD(tc_hex_encode(x->nonce, sizeof(x->nonce), nonce, sizeof(nonce)));
	claims = json_pack("{s:s,s:s,s:s}", "driver_version", x->pki->driver_version, "vbios_version",
			   x->pki->vbios_version, "nonce", nonce);
	return vf_nv_sim_set(expect, "claims", claims);
}

static TC_RESULT vf_nv_sim_case_write(const struct vf_nv_sim_case_ctx *x, const struct vf_nv_sim_case *c)
{
	char dir[VF_NV_SIM_PATH_MAX], rel[VF_NV_SIM_REL_MAX], name[VF_NV_SIM_REL_MAX / 2];
	json_t *m = NULL, *evidence = json_object(), *collateral = json_object(), *anchors = json_object(),
	       *expect = json_object(), *policy = NULL;
	char *text = NULL;
	struct tc_buf body;
	struct tc_result r = tc_ok();

	tc_buf_init(&body, VF_NV_SIM_CASE_MAX);
	TC_ENSURE_GOTO(r, evidence && collateral && anchors && expect, out, TC_ERR_NO_MEMORY, "manifest");
	snprintf(rel, sizeof(rel), "%s/%s", VF_NV_SIM_CASE_DIR, c->name);
	TC_GUARD_GOTO(r, vf_nv_sim_path(x->out_dir, rel, dir), out);
	TC_GUARD_GOTO(r, vf_nv_sim_mkdirs(dir), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_evidence(x, c, evidence), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_rims(x, c, collateral), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_ocsp(x, c, collateral), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_anchors(c, anchors), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_policy(x, c, &policy), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_expect(x, c, expect), out);
	snprintf(name, sizeof(name), "%s%s", VF_NV_SIM_CASE_PREFIX, c->name);
	m = json_pack("{s:i,s:s,s:s,s:O,s:O,s:O,s:s,s:O,s:O,s:s,s:s}", "schema", 1, "name", name, "tee", "nvidia",
		      "evidence", evidence, "collateral", collateral, "trust_anchors", anchors, "verify_at", x->when,
		      "policy", policy, "expect", expect, "source",
		      "teecert sim nvidia --cases (simulated H100 evidence signed by the generated sim PKI)", "notes",
		      c->notes);
	TC_ENSURE_GOTO(r, m != NULL, out, TC_ERR_NO_MEMORY, "manifest");
	text = json_dumps(m, JSON_INDENT(2));
	TC_ENSURE_GOTO(r, text != NULL, out, TC_ERR_NO_MEMORY, "manifest");
	TC_GUARD_GOTO(r, tc_buf_append_str(&body, text), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&body, '\n'), out);
	snprintf(rel, sizeof(rel), "cases/%s.json", name);
	TC_GUARD_GOTO(r, vf_nv_sim_path(x->out_dir, rel, dir), out);
	r = tc_file_write(dir, body.data, body.len, 0644);
out:
	free(text);
	json_decref(m);
	json_decref(evidence);
	json_decref(collateral);
	json_decref(anchors);
	json_decref(expect);
	json_decref(policy);
	tc_buf_cleanup(&body);
	return r;
}

/* The anchors folder: the two sim roots and NVIDIA's real device root (for the wrong-root case). */
static TC_RESULT vf_nv_sim_case_roots(const struct vf_nv_sim_case_ctx *x)
{
	char dir[VF_NV_SIM_PATH_MAX], path[VF_NV_SIM_PATH_MAX];
	const char *real = vf_default_anchor("nvidia_device_root");

	TC_ENSURE(real != NULL, TC_ERR_INTERNAL, "no default nvidia_device_root anchor");
	TC_GUARD(vf_nv_sim_path(x->out_dir, VF_NV_SIM_CASE_DIR "/anchors", dir));
	TC_GUARD(vf_nv_sim_mkdirs(dir));
	TC_GUARD(vf_nv_sim_cert_write(dir, "nvidia_device_root.pem", x->pki->device_root));
	TC_GUARD(vf_nv_sim_cert_write(dir, "nvidia_rim_root.pem", x->pki->rim_root));
	TC_GUARD(vf_nv_sim_path(dir, "real_nvidia_device_root.pem", path));
	return tc_file_write(path, real, strlen(real), 0644);
}

TC_RESULT vf_nv_sim_cases(const char *pki_dir, const char *out_dir, int64_t now, size_t *n_cases)
{
	struct vf_nv_sim_pki *pki = NULL;
	struct vf_nv_sim_case_ctx x = { .out_dir = out_dir, .now = now };
	char path[VF_NV_SIM_PATH_MAX];
	size_t n = 0;
	struct tc_result r = tc_ok();

	TC_GUARD(vf_nv_sim_pki_load(pki_dir, &pki));
	x.pki = pki;
	TC_GUARD_GOTO(r, tc_random_bytes(x.nonce, sizeof(x.nonce)), out);
	TC_GUARD_GOTO(r, tc_time_format(now, x.when), out);
	TC_GUARD_GOTO(r, vf_nv_sim_mkdirs(out_dir), out);
	TC_GUARD_GOTO(r, vf_nv_sim_path(out_dir, "cases", path), out);
	TC_GUARD_GOTO(r, vf_nv_sim_mkdirs(path), out);
	TC_GUARD_GOTO(r, vf_nv_sim_path(out_dir, VF_NV_SIM_CASE_DIR, path), out);
	TC_GUARD_GOTO(r, vf_nv_sim_mkdirs(path), out);
	TC_GUARD_GOTO(r, vf_nv_sim_case_roots(&x), out);
	for (size_t i = 0; i < sizeof(vf_nv_sim_cases_table) / sizeof(vf_nv_sim_cases_table[0]); i++) {
		r = vf_nv_sim_case_write(&x, &vf_nv_sim_cases_table[i]);
		if (!tc_is_ok(r)) {
			r = tc_fail(r.code, "case %s: %s", vf_nv_sim_cases_table[i].name, tc_error_detail());
			goto out;
		}
		n++;
	}
	*n_cases = n;
out:
	vf_nv_sim_pki_free(&pki);
	return r;
}
