/* cmd_verify.c — placeholder, replaced by the TDX work (verify, appraise, conformance). */
#include "cli.h"

int cli_cmd_verify(int argc, char **argv)
{
	return cli_usage_error("teecert verify", "not available in this build yet");
}
int cli_cmd_appraise(int argc, char **argv)
{
	return cli_usage_error("teecert appraise", "not available in this build yet");
}
int cli_cmd_conformance(int argc, char **argv)
{
	return cli_usage_error("teecert conformance", "not available in this build yet");
}
