/* bench_snp.c — placeholder, replaced by the snp appraisal work. */
#include "cli.h"

int cli_bench_snp(int argc, char **argv)
{
	return cli_usage_error("teecert bench snp", "not available in this build yet");
}
