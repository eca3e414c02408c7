/* vf_tdx_sim.c — placeholder until the tdx simulator lands. */
#include "vf.h"

TC_RESULT vf_tdx_sim_init(const char *dir)
{
	return tc_fail(TC_ERR_UNSUPPORTED, "the tdx simulator is not available in this build yet (%s)", dir);
}
