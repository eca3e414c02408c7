/* vf_snp_sim.c — placeholder until the snp simulator lands. */
#include "vf.h"

TC_RESULT vf_snp_sim_init(const char *dir)
{
	return tc_fail(TC_ERR_UNSUPPORTED, "the snp simulator is not available in this build yet (%s)", dir);
}
