/*
 * teecert-anchor — anchors signed checkpoints of the transparency log on opBNB (DESIGN.md "Transparency
 * log and anchoring"). It holds only the chain key. The commands arrive with the log and anchoring work;
 * until then the binary parses its command line and says plainly what it cannot do yet.
 */
#include "cli.h"

static const struct cli_command commands[] = {
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch("teecert-anchor",
			    "teecert-anchor: anchors log checkpoints on opBNB.\n"
			    "No commands are available in this build yet (deploy, run arrive with the anchor worker).",
			    commands, argc, argv);
}
