/* cmd_collect.c — placeholder until evidence collection lands. */
#include "cli.h"

int cli_cmd_collect(int argc, char **argv)
{
	return cli_usage_error("teecert collect", "not available in this build yet");
}
