/*
 * cmd_sim.c — `teecert sim`: simulated TEEs for machines without one (DESIGN.md "Real components").
 * `sim init DIR` generates the test vendor PKI and collateral of every TEE under DIR/tdx, DIR/snp and
 * DIR/nvidia; `sim <tee> --pki DIR ...` emits evidence in the real byte formats (cli/sim_<tee>.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vf.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int sim_init(int argc, char **argv)
{
	static const struct {
		const char *sub;
		struct tc_result (*init)(const char *dir);
	} tees[] = { { "tdx", vf_tdx_sim_init }, { "snp", vf_snp_sim_init }, { "nvidia", vf_nvidia_sim_init } };
	const char *prog = "teecert sim init";

	if (argc != 2 || cli_is_help(argv[1])) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: teecert sim init DIR\n"
			"Generate simulated Intel, AMD and NVIDIA vendor PKIs with matching collateral under DIR/tdx,\n"
			"DIR/snp and DIR/nvidia (private keys 0600 in */keys/). Trusted only with allow_simulated.\n");
		return argc == 2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (mkdir(argv[1], 0700) != 0 && !is_dir(argv[1]))
		return cli_usage_error(prog, "cannot create %s", argv[1]);
	for (size_t i = 0; i < sizeof(tees) / sizeof(tees[0]); i++) {
		char dir[4096];
		struct tc_result r;

		snprintf(dir, sizeof(dir), "%s/%s", argv[1], tees[i].sub);
		r = tees[i].init(dir);
		if (!tc_is_ok(r)) {
			fprintf(stderr, "%s: %s: %s: %s\n", prog, tees[i].sub, tc_error_info(r.code)->code,
				tc_error_detail());
			return CLI_EXIT_INTERNAL;
		}
		printf("%s: simulated PKI and collateral in %s\n", tees[i].sub, dir);
	}
	return CLI_EXIT_OK;
}

static const struct cli_command sims[] = {
	{ "init", sim_init, "generate simulated vendor PKIs and collateral for every TEE" },
	{ "tdx", cli_sim_tdx, "emit a simulated TDX quote (v4/v5)" },
	{ "snp", cli_sim_snp, "emit a simulated SEV-SNP report (v2/v3/v5, Milan/Genoa/Turin)" },
	{ "nvidia", cli_sim_nvidia, "emit simulated H100 SPDM evidence" },
	{ NULL, NULL, NULL },
};

int cli_cmd_sim(int argc, char **argv)
{
	return cli_dispatch("teecert sim", "Simulated TEEs: byte-exact evidence signed by a generated test vendor PKI.",
			    sims, argc, argv);
}
