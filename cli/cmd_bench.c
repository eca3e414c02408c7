/*
 * cmd_bench.c — `teecert bench <tee>`: dispatch to the per-TEE benchmarks (cli/bench_<tee>.c).
 */
#include "cli.h"

static const struct cli_command benches[] = {
	{ "tdx", cli_bench_tdx, "TDX appraisals per second vs OpenSSL P-256 verify rate" },
	{ "snp", cli_bench_snp, "SNP appraisals per second vs OpenSSL P-384 verify rate" },
	{ "nvidia", cli_bench_nvidia, "GPU appraisals per second vs OpenSSL P-384 verify rate" },
	{ NULL, NULL, NULL },
};

int cli_cmd_bench(int argc, char **argv)
{
	return cli_dispatch("teecert bench", "Benchmarks measured side by side with OpenSSL on this machine.",
			    benches, argc, argv);
}
