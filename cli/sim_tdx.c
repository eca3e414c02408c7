/*
 * sim_tdx.c — `teecert sim tdx`: the simulated Intel TDX platform (docs/sim.md "## TDX").
 *
 *   teecert sim tdx --init DIR                          simulated Intel PKI + collateral (vf_tdx_sim_init)
 *   teecert sim tdx --pki DIR --report-data HEX [knobs] --out FILE   one quote v4/v5 in the real byte format
 *   teecert sim tdx --pki DIR --cases OUTDIR            a conformance set (OUTDIR/cases/NAME.json)
 *
 * Thin: the flags are knobs of vf_tdx_sim_quote_knob (vf.h), by name; verifier/tdx/vf_tdx_sim_*.c do the work.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vf.h"

#define SIM_TDX_PROG "teecert sim tdx"

enum {
	OPT_INIT = 256,
	OPT_PKI,
	OPT_CASES,
	OPT_OUT,
	OPT_REPORT_DATA,
	OPT_VERSION,
	OPT_BODY_TYPE,
	OPT_TCB_LEVEL,
	OPT_LIST,
	OPT_DEBUG,
	OPT_TD_ATTRIBUTES,
	OPT_XFAM,
	OPT_MRTD,
	OPT_RTMR0,
	OPT_RTMR1,
	OPT_RTMR2,
	OPT_RTMR3,
	OPT_MRSEAM,
	OPT_MRSIGNERSEAM,
	OPT_SEAM_ATTRIBUTES,
	OPT_MRCONFIGID,
	OPT_MROWNER,
	OPT_MROWNERCONFIG,
	OPT_TEE_TCB_SVN,
	OPT_TEE_TCB_SVN2,
	OPT_MRSERVICETD,
	OPT_QE_SVN,
	OPT_BAD_QUOTE_SIG,
	OPT_BAD_QE_SIG,
	OPT_BAD_AK_BINDING,
	OPT_BAD_PCK_CHAIN,
	OPT_PCK_EXPIRED,
	OPT_PCK_REVOKED,
	OPT_TRUNCATE,
	OPT_TRAILING,
	OPT_UNSUPPORTED_VERSION,
	OPT_FMSPC_MISMATCH,
	OPT_BAD_QE_IDENTITY,
	OPT_WRONG_REPORT_DATA,
	OPT_AK_FROM_KEYS,
	OPT_HELP,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: teecert sim tdx --init DIR\n"
		"       teecert sim tdx --pki DIR --report-data HEX [knobs] --out FILE\n"
		"       teecert sim tdx --pki DIR --cases OUTDIR\n"
		"       teecert sim tdx --list-tcb-levels\n"
		"A simulated TDX platform: a test Intel PKI with collateral (--init), quotes in the real v4/v5 byte format\n"
		"signed by it, and a conformance set (--cases). Verify with --trust-anchor DIR/intel_root.pem,\n"
		"--collateral DIR/collateral and \"allow_simulated\": true in the policy.\n"
		"quote contents:\n"
		"  --report-data HEX      64 bytes (128 hex digits), REPORTDATA\n"
		"  --version 4|5          quote version (default 4)   --body-type 2|3|N  v5 body type (default 2)\n"
		"  --tcb-level NAME       TCB preset (see --list-tcb-levels; default uptodate)\n"
		"  --mrtd, --rtmr0..--rtmr3, --mrseam, --mrsignerseam, --mrconfigid, --mrowner, --mrownerconfig,\n"
		"  --mrservicetd HEX      48-byte registers\n"
		"  --td-attributes, --xfam, --seam-attributes HEX   8 bytes    --debug   set TDATTRIBUTES.DEBUG\n"
		"  --tee-tcb-svn, --tee-tcb-svn2 HEX                16 bytes   --qe-svn N  QE ISVSVN\n"
		"  --ak-from-keys         sign with DIR/keys/attestation_key.pem (default: a fresh key per quote)\n"
		"  --trailing N           append N zero bytes after the quote\n"
		"damage (one failure each):\n"
		"  --bad-quote-sig  --bad-qe-sig  --bad-ak-binding  --bad-pck-chain  --pck-expired  --pck-revoked\n"
		"  --fmspc-mismatch  --bad-qe-identity  --wrong-report-data  --unsupported-version  --truncate N\n");
}

static int list_levels(void)
{
	for (size_t i = 0; i < vf_tdx_sim_n_tcb_levels(); i++) {
		const char *name, *expect, *summary;

		vf_tdx_sim_tcb_level(i, &name, &expect, &summary);
		printf("%-18s %-42s %s\n", name, expect, summary);
	}
	return CLI_EXIT_OK;
}

static int fail(struct tc_result r)
{
	fprintf(stderr, "%s: %s: %s\n", SIM_TDX_PROG, tc_error_info(r.code)->code, tc_error_detail());
	return CLI_EXIT_INTERNAL;
}

static int make_quote(const char *pki_dir, const char *out, const struct vf_tdx_sim_quote_opts *o)
{
	struct tc_buf quote;
	struct tc_result r;

	tc_buf_init(&quote, TC_BUF_DEFAULT_MAX);
	r = vf_tdx_sim_quote_make(pki_dir, o, &quote);
	if (tc_is_ok(r))
		r = tc_file_write(out, quote.data, quote.len, 0644);
	size_t len = quote.len;
	tc_buf_cleanup(&quote);
	if (!tc_is_ok(r))
		return fail(r);
	printf("tdx quote v%u (%zu bytes) in %s\n", vf_tdx_sim_quote_version(o), len, out);
	return CLI_EXIT_OK;
}

static const char *option_name(const struct option *opts, int val)
{
	for (size_t i = 0; opts[i].name != NULL; i++)
		if (opts[i].val == val)
			return opts[i].name;
	return "?";
}

int cli_sim_tdx(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "init", required_argument, NULL, OPT_INIT },
		{ "pki", required_argument, NULL, OPT_PKI },
		{ "cases", required_argument, NULL, OPT_CASES },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "body-type", required_argument, NULL, OPT_BODY_TYPE },
		{ "tcb-level", required_argument, NULL, OPT_TCB_LEVEL },
		{ "list-tcb-levels", no_argument, NULL, OPT_LIST },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "td-attributes", required_argument, NULL, OPT_TD_ATTRIBUTES },
		{ "xfam", required_argument, NULL, OPT_XFAM },
		{ "mrtd", required_argument, NULL, OPT_MRTD },
		{ "rtmr0", required_argument, NULL, OPT_RTMR0 },
		{ "rtmr1", required_argument, NULL, OPT_RTMR1 },
		{ "rtmr2", required_argument, NULL, OPT_RTMR2 },
		{ "rtmr3", required_argument, NULL, OPT_RTMR3 },
		{ "mrseam", required_argument, NULL, OPT_MRSEAM },
		{ "mrsignerseam", required_argument, NULL, OPT_MRSIGNERSEAM },
		{ "seam-attributes", required_argument, NULL, OPT_SEAM_ATTRIBUTES },
		{ "mrconfigid", required_argument, NULL, OPT_MRCONFIGID },
		{ "mrowner", required_argument, NULL, OPT_MROWNER },
		{ "mrownerconfig", required_argument, NULL, OPT_MROWNERCONFIG },
		{ "tee-tcb-svn", required_argument, NULL, OPT_TEE_TCB_SVN },
		{ "tee-tcb-svn2", required_argument, NULL, OPT_TEE_TCB_SVN2 },
		{ "mrservicetd", required_argument, NULL, OPT_MRSERVICETD },
		{ "qe-svn", required_argument, NULL, OPT_QE_SVN },
		{ "bad-quote-sig", no_argument, NULL, OPT_BAD_QUOTE_SIG },
		{ "bad-qe-sig", no_argument, NULL, OPT_BAD_QE_SIG },
		{ "bad-ak-binding", no_argument, NULL, OPT_BAD_AK_BINDING },
		{ "bad-pck-chain", no_argument, NULL, OPT_BAD_PCK_CHAIN },
		{ "pck-expired", no_argument, NULL, OPT_PCK_EXPIRED },
		{ "pck-revoked", no_argument, NULL, OPT_PCK_REVOKED },
		{ "truncate", required_argument, NULL, OPT_TRUNCATE },
		{ "trailing", required_argument, NULL, OPT_TRAILING },
		{ "unsupported-version", no_argument, NULL, OPT_UNSUPPORTED_VERSION },
		{ "fmspc-mismatch", no_argument, NULL, OPT_FMSPC_MISMATCH },
		{ "bad-qe-identity", no_argument, NULL, OPT_BAD_QE_IDENTITY },
		{ "wrong-report-data", no_argument, NULL, OPT_WRONG_REPORT_DATA },
		{ "ak-from-keys", no_argument, NULL, OPT_AK_FROM_KEYS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	/* The knobs in command-line order. */
	struct knob {
		int opt;
		const char *arg;
	} knobs[sizeof opts / sizeof opts[0]];
	size_t n_knobs = 0;
	const char *init = NULL, *pki = NULL, *cases = NULL, *out = NULL, *level = "uptodate";
	bool has_report_data = false;
	struct vf_tdx_sim_quote_opts *o = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_INIT:
			init = optarg;
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
		case OPT_TCB_LEVEL:
			level = optarg;
			break;
		case OPT_LIST:
			return list_levels();
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return CLI_EXIT_OK;
		case '?':
			usage(stderr);
			return CLI_EXIT_USAGE;
		default:
			if (n_knobs < sizeof knobs / sizeof knobs[0])
				knobs[n_knobs++] = (struct knob){ c, optarg };
			break;
		}
	}
	if (optind < argc)
		return cli_usage_error(SIM_TDX_PROG, "unexpected argument '%s'", argv[optind]);
	if (init != NULL) {
		struct tc_result r = vf_tdx_sim_init(init);
		if (!tc_is_ok(r))
			return fail(r);
		printf("tdx: simulated PKI and collateral in %s\n", init);
		return CLI_EXIT_OK;
	}
	if (pki == NULL)
		return cli_usage_error(SIM_TDX_PROG, "--pki DIR (from --init or `teecert sim init`) is required");
	if (cases != NULL) {
		size_t n = 0;
		struct tc_result r = vf_tdx_sim_cases(pki, cases, &n);
		if (!tc_is_ok(r))
			return fail(r);
		printf("tdx: %zu conformance cases in %s/cases\n", n, cases);
		return CLI_EXIT_OK;
	}
	struct tc_result r = vf_tdx_sim_quote_opts_new(level, &o);
	if (r.code == TC_ERR_INVALID_ARGUMENT)
		return cli_usage_error(SIM_TDX_PROG, "unknown --tcb-level '%s' (see --list-tcb-levels)", level);
	if (!tc_is_ok(r))
		return fail(r);
	/* Knobs are applied after the preset, in command-line order, so explicit values win. */
	rc = -1;
	for (size_t i = 0; i < n_knobs && rc < 0; i++) {
		const char *name = option_name(opts, knobs[i].opt);

		if (!tc_is_ok(vf_tdx_sim_quote_knob(o, name, knobs[i].arg)))
			rc = cli_usage_error(SIM_TDX_PROG, "invalid value '%s' for --%s",
					     knobs[i].arg ? knobs[i].arg : "", name);
		has_report_data = has_report_data || strcmp(name, "report-data") == 0;
	}
	if (rc < 0 && !has_report_data)
		rc = cli_usage_error(SIM_TDX_PROG, "--report-data HEX (64 bytes) is required");
	if (rc < 0 && out == NULL)
		rc = cli_usage_error(SIM_TDX_PROG, "--out FILE is required");
	if (rc < 0)
		rc = make_quote(pki, out, o);
	vf_tdx_sim_quote_opts_free(&o);
	return rc;
}
