/*
 * vf_snp_sim_door.c — the vf.h entry points of the SEV-SNP simulator that keep its structs private: options
 * behind a pointer (vf_snp_sim_opts_new), the product's file-name id, and the --collateral-out folder.
 * cli/sim_snp.c uses these; the generators and the unit tests use vf_snp_sim.h directly.
 */
#include <stdlib.h>

#include "vf_snp_sim.h"

#define SIM_COLLATERAL_DIR_MODE 0755
#define SIM_COLLATERAL_FILE_MODE 0644

TC_RESULT vf_snp_sim_opts_new(int64_t now, struct vf_snp_sim_opts **out)
{
	struct vf_snp_sim_opts *o = calloc(1, sizeof(*o));

	TC_ENSURE(o != NULL, TC_ERR_NO_MEMORY, "sim snp options");
	vf_snp_sim_opts_init(o, now);
	*out = o;
	return tc_ok();
}

void vf_snp_sim_opts_free(struct vf_snp_sim_opts **o)
{
	if (o == NULL || *o == NULL)
		return;
	tc_secure_zero(*o, sizeof(**o));
	free(*o);
	*o = NULL;
}

bool vf_snp_sim_opts_vlek(const struct vf_snp_sim_opts *o)
{
	return o->vlek;
}

const char *vf_snp_sim_product_id(const struct vf_snp_sim_product *p)
{
	return p ? p->id : "";
}

static TC_RESULT write_to(const char *dir, const char *name, const struct tc_buf *b)
{
	char path[VF_SNP_SIM_PATH_MAX];

	TC_ENSURE(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path), TC_ERR_TOO_LARGE,
		  "path under %s is too long", dir);
	return tc_file_write(path, b->data, b->len, SIM_COLLATERAL_FILE_MODE);
}

TC_RESULT vf_snp_sim_collateral_write(const struct vf_snp_sim_output *out, const char *dir)
{
	TC_GUARD(vf_snp_sim_mkdir(dir, SIM_COLLATERAL_DIR_MODE));
	TC_GUARD(write_to(dir, "ark_ask_chain.pem", &out->chain_pem));
	return write_to(dir, "amd_crl.der", &out->crl_der);
}
