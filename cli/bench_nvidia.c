/* bench_nvidia.c — placeholder, replaced by the nvidia appraisal work. */
#include "cli.h"

int cli_bench_nvidia(int argc, char **argv)
{
	return cli_usage_error("teecert bench nvidia", "not available in this build yet");
}
