/* bench_tdx.c — placeholder, replaced by the tdx appraisal work. */
#include "cli.h"

int cli_bench_tdx(int argc, char **argv)
{
	return cli_usage_error("teecert bench tdx", "not available in this build yet");
}
