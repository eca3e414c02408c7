/*
 * sim_nvidia.c — `teecert sim nvidia`: simulated H100 GPUs (verifier/nvidia/vf_nvidia_sim*.c; docs/sim.md).
 *
 *   teecert sim nvidia --init DIR                          the sim PKI + collateral (vf_nvidia_sim_init)
 *   teecert sim nvidia --pki DIR --cases OUTDIR            the conformance set
 *   teecert sim nvidia --pki DIR --nonce HEX --out PREFIX [knobs]
 *                                                          PREFIX_gpu<i>_spdm.bin, PREFIX_gpu<i>_certchain.pem
 * Thin: flags are parsed here, everything else is the library's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vf.h"

#define SIM_NV_FILE_MAX (1024u * 1024u)
#define SIM_NV_PATH_MAX 4096

static const char *const prog = "teecert sim nvidia";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: teecert sim nvidia --init DIR\n"
		"       teecert sim nvidia --pki DIR --cases OUTDIR\n"
		"       teecert sim nvidia --pki DIR --nonce HEX --out PREFIX [knobs]\n"
		"Simulated NVIDIA H100 GPUs: SPDM 1.1 GET_MEASUREMENTS || MEASUREMENTS signed by a sim PKI.\n"
		"Writes PREFIX_gpu<i>_spdm.bin and PREFIX_gpu<i>_certchain.pem; verify them with\n"
		"  teecert verify --tee nvidia --evidence .. --cert-chain .. --collateral DIR/collateral\n"
		"    --trust-anchor nvidia_device_root=DIR/nvidia_device_root.pem\n"
		"    --trust-anchor nvidia_rim_root=DIR/nvidia_rim_root.pem --policy P   (P: allow_simulated, expected_nonce)\n"
		"knobs (docs/sim.md):\n"
		"  --gpus N                  1..%d GPUs, all answering one nonce (default 1)\n"
		"  --wrong-nonce             the last GPU answers another nonce\n"
		"  --bad-sig                 flip a bit of gpu0's signature\n"
		"  --truncate N              cut gpu0's bytes to N\n"
		"  --trailing N              append N zero bytes after each signature\n"
		"  --missing-leaf | --missing-ica | --root-only   gpu0's chain without a link\n"
		"  --swap-chain              GPU i ships GPU i+1's chain (2+ GPUs)\n"
		"  --fwid-mismatch | --no-fwid   gpu0's FWID differs from its leaf / no FWID field at all\n"
		"  --expired-leaf            gpu0's FMC leaf expired a year ago\n"
		"  --measurement-mismatch I  SPDM block I (1..%d) differs from the RIMs\n"
		"  --nvdec-disabled          NVDEC0 status 0x55 (RIM index 35 not compared)\n"
		"  --mode legacy|spt|mpt|ppcie   FEATURE_FLAG (legacy: none)\n"
		"  --spdm-version HEX        SPDMVersion byte (default 11)\n"
		"  --driver-version V | --vbios-version V   versions reported instead of the PKI's\n"
		"  --hex                     write the SPDM bytes as hex text\n"
		"  --rim-out DIR             also write driver_rim.xml and vbios_rim.xml (a --collateral folder)\n"
		"  --rim-fault tampered|bad-sig|foreign-root|expired-signer   fault in one RIM (--rim-target)\n"
		"  --rim-target driver|vbios   which RIM gets the fault (default driver)\n"
		"  --rim-omit driver|vbios   leave one RIM out\n"
		"  --ocsp-out DIR            also write OCSP responses ocsp.*.der (a --collateral folder)\n"
		"  --ocsp-fault revoked|on-hold|stale|bad-sig   fault in one response (--ocsp-target)\n"
		"  --ocsp-target gpu|rim     gpu0's BROM (default) or the RIM signer\n",
		VF_NV_SIM_MAX_GPUS, VF_NV_SIM_BLOCKS);
}

static int fail(struct tc_result r)
{
	fprintf(stderr, "%s: %s: %s\n", prog, tc_error_info(r.code)->code, tc_error_detail());
	return r.code == TC_ERR_INVALID_ARGUMENT || r.code == TC_ERR_IO ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
}

static bool parse_size(const char *s, unsigned long min, unsigned long max, int base, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (s[0] == 0 || s[0] == '-' || *end != 0 || errno != 0 || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_name(const char *s, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return true;
		}
	return false;
}

/* Everything the flags ask for. */
struct sim_nv_args {
	const char *init, *pki, *cases, *out, *nonce, *rim_out, *ocsp_out;
	bool hex;
	int rim_fault, rim_target, rim_omit; /* rim_omit: -1 none */
	int ocsp_fault, ocsp_target;
	struct vf_nv_sim_knobs k;
};

static int write_evidence(const struct sim_nv_args *a, const struct vf_nv_sim_pki *pki)
{
	struct tc_buf spdm[VF_NV_SIM_MAX_GPUS], chains[VF_NV_SIM_MAX_GPUS], hex;
	size_t n = a->k.gpus ? a->k.gpus : 1;
	struct tc_result r = tc_ok();

	tc_buf_init(&hex, 2 * SIM_NV_FILE_MAX + 2);
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_init(&spdm[i], SIM_NV_FILE_MAX);
		tc_buf_init(&chains[i], SIM_NV_FILE_MAX);
	}
	TC_GUARD_GOTO(r, vf_nv_sim_evidence(pki, &a->k, tc_time_now(), spdm, chains), out);
	for (size_t i = 0; i < n; i++) {
		char path[SIM_NV_PATH_MAX];
		const struct tc_buf *ev = &spdm[i];

		if (a->hex) {
			tc_buf_reset(&hex);
			TC_GUARD_GOTO(r, tc_hex_encode_buf(spdm[i].data, spdm[i].len, &hex), out);
			TC_GUARD_GOTO(r, tc_buf_append_u8(&hex, '\n'), out);
			ev = &hex;
		}
		snprintf(path, sizeof(path), "%s_gpu%zu_spdm.%s", a->out, i, a->hex ? "hex.txt" : "bin");
		TC_GUARD_GOTO(r, tc_file_write(path, ev->data, ev->len, 0644), out);
		printf("gpu%zu: %s (%zu bytes)\n", i, path, spdm[i].len);
		snprintf(path, sizeof(path), "%s_gpu%zu_certchain.pem", a->out, i);
		TC_GUARD_GOTO(r, tc_file_write(path, chains[i].data, chains[i].len, 0644), out);
		printf("gpu%zu: %s\n", i, path);
	}
out:
	tc_buf_cleanup(&hex);
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_cleanup(&spdm[i]);
		tc_buf_cleanup(&chains[i]);
	}
	return tc_is_ok(r) ? CLI_EXIT_OK : fail(r);
}

static int write_rims(const struct sim_nv_args *a, const struct vf_nv_sim_pki *pki)
{
	static const char *const files[] = { "driver_rim.xml", "vbios_rim.xml" };
	struct tc_buf rim;
	struct tc_result r = tc_ok();

	tc_buf_init(&rim, SIM_NV_FILE_MAX);
	for (int kind = VF_NV_SIM_RIM_DRIVER; kind <= VF_NV_SIM_RIM_VBIOS && tc_is_ok(r); kind++) {
		char path[SIM_NV_PATH_MAX];

		if (kind == a->rim_omit)
			continue;
		tc_buf_reset(&rim);
		r = vf_nv_sim_rim(pki, (enum vf_nv_sim_rim_kind)kind, NULL,
				  kind == a->rim_target ? (enum vf_nv_sim_rim_fault)a->rim_fault : VF_NV_SIM_RIM_OK,
				  tc_time_now(), &rim);
		if (!tc_is_ok(r))
			break;
		snprintf(path, sizeof(path), "%s/%s", a->rim_out, files[kind]);
		r = tc_file_write(path, rim.data, rim.len, 0644);
		if (tc_is_ok(r))
			printf("rim: %s\n", path);
	}
	tc_buf_cleanup(&rim);
	return tc_is_ok(r) ? CLI_EXIT_OK : fail(r);
}

/* OCSP responses: per GPU its BROM's; the shared ICA, GH100 identity and RIM ones once (with gpu0's). */
static int write_ocsp(const struct sim_nv_args *a, const struct vf_nv_sim_pki *pki)
{
	static const char *const names[VF_NV_SIM_OCSP_RESPONSES] = { "brom", "provisioner_ica", "gh100_identity",
								     "rim_signer", "rim_ca" };
	struct tc_buf der[VF_NV_SIM_OCSP_RESPONSES];
	size_t n = a->k.gpus ? a->k.gpus : 1;
	struct tc_result r = tc_ok();

	for (size_t k = 0; k < VF_NV_SIM_OCSP_RESPONSES; k++)
		tc_buf_init(&der[k], SIM_NV_FILE_MAX);
	for (size_t i = 0; i < n && tc_is_ok(r); i++) {
		for (size_t k = 0; k < VF_NV_SIM_OCSP_RESPONSES; k++)
			tc_buf_reset(&der[k]);
		r = vf_nv_sim_ocsp(pki, i, (enum vf_nv_sim_ocsp_fault)a->ocsp_fault,
				   (enum vf_nv_sim_ocsp_target)a->ocsp_target, tc_time_now(), der);
		for (size_t k = 0; k < VF_NV_SIM_OCSP_RESPONSES && tc_is_ok(r) && (k == 0 || i == 0); k++) {
			char path[SIM_NV_PATH_MAX];

			/* role = file name up to the first dot: every file is an "ocsp" item */
			if (k == 0)
				snprintf(path, sizeof(path), "%s/ocsp.gpu%zu_%s.der", a->ocsp_out, i, names[k]);
			else
				snprintf(path, sizeof(path), "%s/ocsp.%s.der", a->ocsp_out, names[k]);
			r = tc_file_write(path, der[k].data, der[k].len, 0644);
			if (tc_is_ok(r))
				printf("ocsp: %s\n", path);
		}
	}
	for (size_t k = 0; k < VF_NV_SIM_OCSP_RESPONSES; k++)
		tc_buf_cleanup(&der[k]);
	return tc_is_ok(r) ? CLI_EXIT_OK : fail(r);
}

enum {
	OPT_INIT = 256,
	OPT_PKI,
	OPT_CASES,
	OPT_OUT,
	OPT_NONCE,
	OPT_GPUS,
	OPT_WRONG_NONCE,
	OPT_BAD_SIG,
	OPT_TRUNCATE,
	OPT_TRAILING,
	OPT_MISSING_LEAF,
	OPT_MISSING_ICA,
	OPT_ROOT_ONLY,
	OPT_SWAP,
	OPT_FWID_MISMATCH,
	OPT_NO_FWID,
	OPT_EXPIRED_LEAF,
	OPT_MEAS,
	OPT_NVDEC,
	OPT_MODE,
	OPT_SPDM_VERSION,
	OPT_DRIVER,
	OPT_VBIOS,
	OPT_HEX,
	OPT_RIM_OUT,
	OPT_RIM_FAULT,
	OPT_RIM_TARGET,
	OPT_RIM_OMIT,
	OPT_OCSP_OUT,
	OPT_OCSP_FAULT,
	OPT_OCSP_TARGET,
	OPT_HELP,
};

static const struct option sim_nv_opts[] = {
	{ "init", required_argument, NULL, OPT_INIT },
	{ "pki", required_argument, NULL, OPT_PKI },
	{ "cases", required_argument, NULL, OPT_CASES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "nonce", required_argument, NULL, OPT_NONCE },
	{ "gpus", required_argument, NULL, OPT_GPUS },
	{ "wrong-nonce", no_argument, NULL, OPT_WRONG_NONCE },
	{ "bad-sig", no_argument, NULL, OPT_BAD_SIG },
	{ "truncate", required_argument, NULL, OPT_TRUNCATE },
	{ "trailing", required_argument, NULL, OPT_TRAILING },
	{ "missing-leaf", no_argument, NULL, OPT_MISSING_LEAF },
	{ "missing-ica", no_argument, NULL, OPT_MISSING_ICA },
	{ "root-only", no_argument, NULL, OPT_ROOT_ONLY },
	{ "swap-chain", no_argument, NULL, OPT_SWAP },
	{ "fwid-mismatch", no_argument, NULL, OPT_FWID_MISMATCH },
	{ "no-fwid", no_argument, NULL, OPT_NO_FWID },
	{ "expired-leaf", no_argument, NULL, OPT_EXPIRED_LEAF },
	{ "measurement-mismatch", required_argument, NULL, OPT_MEAS },
	{ "nvdec-disabled", no_argument, NULL, OPT_NVDEC },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "spdm-version", required_argument, NULL, OPT_SPDM_VERSION },
	{ "driver-version", required_argument, NULL, OPT_DRIVER },
	{ "vbios-version", required_argument, NULL, OPT_VBIOS },
	{ "hex", no_argument, NULL, OPT_HEX },
	{ "rim-out", required_argument, NULL, OPT_RIM_OUT },
	{ "rim-fault", required_argument, NULL, OPT_RIM_FAULT },
	{ "rim-target", required_argument, NULL, OPT_RIM_TARGET },
	{ "rim-omit", required_argument, NULL, OPT_RIM_OMIT },
	{ "ocsp-out", required_argument, NULL, OPT_OCSP_OUT },
	{ "ocsp-fault", required_argument, NULL, OPT_OCSP_FAULT },
	{ "ocsp-target", required_argument, NULL, OPT_OCSP_TARGET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One flag into A; false (with a message) when its value is bad. */
static bool apply_flag(struct sim_nv_args *a, int c, const char *v)
{
	static const char *const modes[] = { "legacy", "spt", "mpt", "ppcie" };
	static const char *const faults[] = { "ok", "tampered", "bad-sig", "foreign-root", "expired-signer" };
	static const char *const kinds[] = { "driver", "vbios" };
	static const char *const ocsp_faults[] = { "good", "revoked", "on-hold", "stale", "bad-sig" };
	static const char *const ocsp_targets[] = { "gpu", "rim" };
	struct vf_nv_sim_knobs *k = &a->k;
	unsigned long n;
	int i;

	switch (c) {
	case OPT_INIT:
		a->init = v;
		return true;
	case OPT_PKI:
		a->pki = v;
		return true;
	case OPT_CASES:
		a->cases = v;
		return true;
	case OPT_OUT:
		a->out = v;
		return true;
	case OPT_NONCE:
		a->nonce = v;
		return true;
	case OPT_WRONG_NONCE:
		k->wrong_nonce = true;
		return true;
	case OPT_BAD_SIG:
		k->bad_sig = true;
		return true;
	case OPT_MISSING_LEAF:
		k->chain = VF_NV_SIM_CHAIN_MISSING_LEAF;
		return true;
	case OPT_MISSING_ICA:
		k->chain = VF_NV_SIM_CHAIN_MISSING_ICA;
		return true;
	case OPT_ROOT_ONLY:
		k->chain = VF_NV_SIM_CHAIN_ROOT_ONLY;
		return true;
	case OPT_SWAP:
		k->swap_chain = true;
		return true;
	case OPT_FWID_MISMATCH:
		k->fwid_mismatch = true;
		return true;
	case OPT_NO_FWID:
		k->no_fwid = true;
		return true;
	case OPT_EXPIRED_LEAF:
		k->expired_leaf = true;
		return true;
	case OPT_NVDEC:
		k->nvdec_disabled = true;
		return true;
	case OPT_HEX:
		a->hex = true;
		return true;
	case OPT_RIM_OUT:
		a->rim_out = v;
		return true;
	case OPT_GPUS:
		if (!parse_size(v, 1, VF_NV_SIM_MAX_GPUS, 10, &n))
			return false;
		k->gpus = n;
		return true;
	case OPT_TRUNCATE:
		if (!parse_size(v, 1, SIM_NV_FILE_MAX, 10, &n))
			return false;
		k->truncate = n;
		return true;
	case OPT_TRAILING:
		if (!parse_size(v, 0, VF_NV_SIM_TRAILING_MAX, 10, &n))
			return false;
		k->trailing = n;
		return true;
	case OPT_MEAS:
		if (!parse_size(v, 1, VF_NV_SIM_BLOCKS, 10, &n))
			return false;
		k->mismatch_block = (uint8_t)n;
		return true;
	case OPT_SPDM_VERSION:
		if (!parse_size(v, 1, UINT8_MAX, 16, &n))
			return false;
		k->spdm_version = (uint8_t)n;
		return true;
	case OPT_MODE:
		if (!parse_name(v, modes, 4, &i))
			return false;
		k->mode = (enum vf_nv_sim_mode)i;
		return true;
	case OPT_DRIVER:
	case OPT_VBIOS: {
		char *dst = c == OPT_DRIVER ? k->driver_version : k->vbios_version;

		if (strlen(v) == 0 || strlen(v) >= VF_NV_SIM_VERSION_MAX)
			return false;
		memcpy(dst, v, strlen(v) + 1);
		return true;
	}
	case OPT_RIM_FAULT:
		return parse_name(v, faults, 5, &a->rim_fault);
	case OPT_RIM_TARGET:
		return parse_name(v, kinds, 2, &a->rim_target);
	case OPT_RIM_OMIT:
		return parse_name(v, kinds, 2, &a->rim_omit);
	case OPT_OCSP_OUT:
		a->ocsp_out = v;
		return true;
	case OPT_OCSP_FAULT:
		return parse_name(v, ocsp_faults, 5, &a->ocsp_fault);
	case OPT_OCSP_TARGET:
		return parse_name(v, ocsp_targets, 2, &a->ocsp_target);
	default:
		return false;
	}
}

int cli_sim_nvidia(int argc, char **argv)
{
	struct sim_nv_args a = { .rim_omit = -1 };
	struct vf_nv_sim_pki *pki = NULL;
	struct tc_result r;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", sim_nv_opts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (c == '?' || !apply_flag(&a, c, optarg)) {
			if (c != '?')
				fprintf(stderr, "%s: bad value '%s' for --%s\n", prog, optarg ? optarg : "",
					sim_nv_opts[c - OPT_INIT].name);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (a.init) {
		r = vf_nvidia_sim_init(a.init);
		if (!tc_is_ok(r))
			return fail(r);
		printf("nvidia: simulated PKI and collateral in %s\n", a.init);
		return CLI_EXIT_OK;
	}
	if (!a.pki)
		return cli_usage_error(prog, "--init DIR or --pki DIR is required (see --help)");
	if (a.cases) {
		size_t n = 0;

		r = vf_nv_sim_cases(a.pki, a.cases, tc_time_now(), &n);
		if (!tc_is_ok(r))
			return fail(r);
		printf("nvidia: %zu cases in %s/cases\n", n, a.cases);
		return CLI_EXIT_OK;
	}
	if (!a.out || !a.nonce)
		return cli_usage_error(prog, "--nonce HEX and --out PREFIX are required (see --help)");
	r = tc_hex_decode_fixed(a.nonce, strlen(a.nonce), a.k.nonce, sizeof(a.k.nonce));
	if (!tc_is_ok(r))
		return cli_usage_error(prog, "--nonce must be %d bytes of hex", VF_NV_SIM_NONCE_LEN);
	r = vf_nv_sim_pki_load(a.pki, &pki);
	if (!tc_is_ok(r))
		return fail(r);
	rc = write_evidence(&a, pki);
	if (rc == CLI_EXIT_OK && a.rim_out)
		rc = write_rims(&a, pki);
	if (rc == CLI_EXIT_OK && a.ocsp_out)
		rc = write_ocsp(&a, pki);
	vf_nv_sim_pki_free(&pki);
	return rc;
}
