/*
 * sim_snp.c — `teecert sim snp`: the simulated AMD SEV-SNP platform (docs/sim.md "SNP"). Thin: flags in,
 * verifier/snp/vf_snp_sim*.c does the work. The emitting flags come from the simulator's knob table, so
 * this file, --help, and the generated cases' notes name the same knobs.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vf.h"

#define SIM_CLI_MAX_OPTS 48
#define SIM_CLI_KNOB_BASE 1000
#define SIM_CLI_PATH_MAX 4096
#define SIM_CLI_FILE_MODE 0644

enum {
	OPT_INIT = 'I',
	OPT_RSA = 'R',
	OPT_PKI = 'p',
	OPT_CASES = 'c',
	OPT_OUT = 'o',
	OPT_VCEK_OUT = 'v',
	OPT_COLL_OUT = 'C',
	OPT_HELP = 'h'
};

static void usage(FILE *f)
{
	size_t n;
	const struct vf_snp_sim_knob *k = vf_snp_sim_knobs(&n);

	fprintf(f, "usage: teecert sim snp --init DIR [--rsa-bits 4096|2048]\n"
		   "       teecert sim snp --pki DIR --cases OUTDIR\n"
		   "       teecert sim snp --pki DIR --report-data HEX [knobs] --out FILE [--vcek-out FILE]\n"
		   "                       [--collateral-out DIR]\n"
		   "  --init DIR            generate a sim AMD PKI (ARK/ASK/ASVK per product line, CRLs, keys/)\n"
		   "  --rsa-bits N          ARK/ASK/ASVK size: 4096 (AMD's, default) or 2048 (fast)\n"
		   "  --cases OUTDIR        write the SNP conformance set (OUTDIR/cases/*.json)\n"
		   "  --out FILE            the 1184-byte report\n"
		   "  --vcek-out FILE       the VCEK/VLEK certificate (default FILE.vcek.pem / FILE.vlek.pem)\n"
		   "  --collateral-out DIR  ark_ask_chain.pem + amd_crl.der matching the key (for --collateral)\n"
		   "knobs:\n");
	for (size_t i = 0; i < n; i++) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s%s%s", k[i].name, k[i].arg ? " " : "", k[i].arg ? k[i].arg : "");
		fprintf(f, "  %-38s %s\n", flag, k[i].help);
	}
	fprintf(f, "Verify with: teecert verify --tee snp --evidence FILE --vcek FILE.vcek.pem\n"
		   "  --collateral DIR/collateral-<product>[-vlek] --trust-anchor DIR/amd_ark_<product>.pem\n"
		   "  --policy P   (P must set \"allow_simulated\": true)\n");
}

static int fail(const char *prog, struct tc_result r)
{
	fprintf(stderr, "%s: %s: %s\n", prog, tc_error_info(r.code)->code, tc_error_detail());
	return r.code == TC_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
}

static int emit(const char *prog, const char *pki, const struct vf_snp_sim_opts *o, const char *out_path,
		const char *vcek_path, const char *coll_dir)
{
	struct vf_snp_sim_output out;
	char vcek_default[SIM_CLI_PATH_MAX];
	const char *kind = vf_snp_sim_opts_vlek(o) ? "vlek" : "vcek";
	struct tc_result r;
	int rc = CLI_EXIT_OK;

	if (!vcek_path) {
		snprintf(vcek_default, sizeof(vcek_default), "%s.%s.pem", out_path, kind);
		vcek_path = vcek_default;
	}
	vf_snp_sim_output_init(&out);
	r = vf_snp_sim_emit(pki, o, &out);
	if (tc_is_ok(r))
		r = tc_file_write(out_path, out.report.data, out.report.len, SIM_CLI_FILE_MODE);
	if (tc_is_ok(r))
		r = tc_file_write(vcek_path, out.leaf_pem.data, out.leaf_pem.len, SIM_CLI_FILE_MODE);
	if (tc_is_ok(r) && coll_dir)
		r = vf_snp_sim_collateral_write(&out, coll_dir);
	if (!tc_is_ok(r)) {
		rc = fail(prog, r);
	} else {
		printf("report %s (%zu bytes), %s %s; pin %s/amd_ark_%s.pem%s%s\n", out_path, out.report.len, kind,
		       vcek_path, pki, vf_snp_sim_product_id(out.anchor_product), coll_dir ? ", collateral " : "",
		       coll_dir ? coll_dir : "");
	}
	vf_snp_sim_output_cleanup(&out);
	return rc;
}

/* The command with its options O (fresh defaults). */
static int sim_snp(int argc, char **argv, struct vf_snp_sim_opts *o)
{
	const char *prog = "teecert sim snp", *init = NULL, *pki = NULL, *cases = NULL, *out = NULL;
	const char *vcek_out = NULL, *coll_out = NULL;
	struct option opts[SIM_CLI_MAX_OPTS] = {
		{ "init", required_argument, NULL, OPT_INIT },
		{ "rsa-bits", required_argument, NULL, OPT_RSA },
		{ "pki", required_argument, NULL, OPT_PKI },
		{ "cases", required_argument, NULL, OPT_CASES },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "vcek-out", required_argument, NULL, OPT_VCEK_OUT },
		{ "collateral-out", required_argument, NULL, OPT_COLL_OUT },
		{ "help", no_argument, NULL, OPT_HELP },
	};
	size_t n_fixed = 8, n_knobs;
	const struct vf_snp_sim_knob *knobs = vf_snp_sim_knobs(&n_knobs);
	bool have_report_data = false, have_knob = false;
	int rsa_bits = VF_SNP_SIM_RSA_BITS, c;
	struct tc_result r;

	if (n_fixed + n_knobs + 1 > SIM_CLI_MAX_OPTS)
		return cli_usage_error(prog, "too many knobs for the option table");
	for (size_t i = 0; i < n_knobs; i++)
		opts[n_fixed + i] = (struct option){ knobs[i].name, knobs[i].arg ? required_argument : no_argument,
						     NULL, SIM_CLI_KNOB_BASE + (int)i };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_INIT:
			init = optarg;
			break;
		case OPT_RSA:
			rsa_bits = (int)strtol(optarg, NULL, 10);
			break;
		case OPT_PKI:
			pki = optarg;
			break;
		case OPT_CASES:
			cases = optarg;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_VCEK_OUT:
			vcek_out = optarg;
			break;
		case OPT_COLL_OUT:
			coll_out = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			if (c < SIM_CLI_KNOB_BASE || c >= SIM_CLI_KNOB_BASE + (int)n_knobs) {
				usage(stderr);
				return CLI_EXIT_USAGE;
			}
			r = vf_snp_sim_knob_set(o, knobs[c - SIM_CLI_KNOB_BASE].name,
						knobs[c - SIM_CLI_KNOB_BASE].arg ? optarg : NULL);
			if (!tc_is_ok(r))
				return cli_usage_error(prog, "%s", tc_error_detail());
			have_report_data =
				have_report_data || strcmp(knobs[c - SIM_CLI_KNOB_BASE].name, "report-data") == 0;
			have_knob = true;
		}
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (init) {
		if (pki || cases || out || have_knob)
			return cli_usage_error(prog, "--init takes only --rsa-bits");
		r = vf_snp_sim_init_bits(init, rsa_bits);
		if (!tc_is_ok(r))
			return fail(prog, r);
		printf("snp: simulated PKI (RSA-%d) and collateral in %s\n", rsa_bits, init);
		return CLI_EXIT_OK;
	}
	if (!pki)
		return cli_usage_error(prog, "--init DIR or --pki DIR is required (see --help)");
	if (cases) {
		size_t n = 0;

		if (out || have_knob)
			return cli_usage_error(prog, "--cases takes no knobs");
		r = vf_snp_sim_cases(pki, cases, tc_time_now(), &n);
		if (!tc_is_ok(r))
			return fail(prog, r);
		printf("snp: %zu cases in %s/cases\n", n, cases);
		return CLI_EXIT_OK;
	}
	if (!out || !have_report_data)
		return cli_usage_error(prog, "emitting a report needs --report-data HEX and --out FILE");
	return emit(prog, pki, o, out, vcek_out, coll_out);
}

int cli_sim_snp(int argc, char **argv)
{
	struct vf_snp_sim_opts *o = NULL;
	struct tc_result r = vf_snp_sim_opts_new(tc_time_now(), &o);
	int rc;

	if (!tc_is_ok(r))
		return fail("teecert sim snp", r);
	rc = sim_snp(argc, argv, o);
	vf_snp_sim_opts_free(&o);
	return rc;
}
