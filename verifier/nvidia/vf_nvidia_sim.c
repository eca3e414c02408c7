/* vf_nvidia_sim.c — placeholder until the nvidia simulator lands. */
#include "vf.h"

TC_RESULT vf_nvidia_sim_init(const char *dir)
{
	return tc_fail(TC_ERR_UNSUPPORTED, "the nvidia simulator is not available in this build yet (%s)", dir);
}
