/*
 * vf_tdx_sim_door.c — the vf.h entry points of the simulated TDX platform that keep its structs private:
 * the TCB presets as strings, quote options behind a pointer, and the knobs of `teecert sim tdx` by flag
 * name (each knob writes one field of struct vf_tdx_sim_quote_opts, checked against the layout sizes of
 * vf_tdx.h). cli/sim_tdx.c uses these; the generators and the unit tests use vf_tdx_sim.h directly.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vf_tdx_sim.h"

/* Bound of --truncate and --trailing: far above any quote (a v5 quote with its PCK chain is ~5 KB). */
#define VF_TDX_SIM_QUOTE_MAX ((size_t)1024 * 1024)

size_t vf_tdx_sim_n_tcb_levels(void)
{
	return vf_tdx_sim_n_presets;
}

void vf_tdx_sim_tcb_level(size_t i, const char **name, const char **expect, const char **summary)
{
	const struct vf_tdx_sim_preset *p = i < vf_tdx_sim_n_presets ? &vf_tdx_sim_presets[i] : NULL;

	*name = p ? p->name : "";
	*expect = p == NULL ? "" : p->level_found ? vf_tcb_status_name(p->expect) : "tcb_level_not_found";
	*summary = p ? p->summary : "";
}

TC_RESULT vf_tdx_sim_quote_opts_new(const char *tcb_level, struct vf_tdx_sim_quote_opts **out)
{
	const struct vf_tdx_sim_preset *preset = vf_tdx_sim_preset_find(tcb_level ? tcb_level : "uptodate");
	struct vf_tdx_sim_quote_opts *o;
	struct tc_result r;

	TC_ENSURE(preset != NULL, TC_ERR_INVALID_ARGUMENT, "unknown TCB level '%s'", tcb_level);
	o = calloc(1, sizeof(*o));
	TC_ENSURE(o != NULL, TC_ERR_NO_MEMORY, "sim tdx quote options");
	r = vf_tdx_sim_quote_opts_init(o);
	if (!tc_is_ok(r)) {
		free(o);
		return r;
	}
	vf_tdx_sim_quote_apply_preset(o, preset);
	*out = o;
	return tc_ok();
}

void vf_tdx_sim_quote_opts_free(struct vf_tdx_sim_quote_opts **o)
{
	if (o == NULL || *o == NULL)
		return;
	free(*o);
	*o = NULL;
}

unsigned vf_tdx_sim_quote_version(const struct vf_tdx_sim_quote_opts *o)
{
	return o->version;
}

TC_RESULT vf_tdx_sim_quote_make(const char *pki_dir, const struct vf_tdx_sim_quote_opts *o, struct tc_buf *out)
{
	struct vf_tdx_sim_pki *pki = NULL;
	struct tc_result r = vf_tdx_sim_pki_load(pki_dir, &pki);

	if (tc_is_ok(r))
		r = vf_tdx_sim_quote(pki, o, out);
	vf_tdx_sim_pki_free(pki);
	return r;
}

/* ------------------------------------------------------------------------------------------- knobs */

/* clang-format off */
/* Byte-field knobs: NAME, the field's offset in the options and its length (hex of exactly that many bytes). */
static const struct {
	const char *name;
	size_t off, len;
} hex_knobs[] = {
#define HEX_KNOB(name, field, len) { name, offsetof(struct vf_tdx_sim_quote_opts, report.field), len }
	HEX_KNOB("report-data", report_data, VF_TDX_REPORT_DATA_LEN),
	HEX_KNOB("mrtd", mrtd, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("rtmr0", rtmr[0], VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("rtmr1", rtmr[1], VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("rtmr2", rtmr[2], VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("rtmr3", rtmr[3], VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("mrseam", mrseam, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("mrsignerseam", mrsignerseam, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("mrconfigid", mrconfigid, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("mrowner", mrowner, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("mrownerconfig", mrownerconfig, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("mrservicetd", mrservicetd, VF_TDX_MEASUREMENT_LEN),
	HEX_KNOB("td-attributes", td_attributes, VF_TDX_ATTRIBUTES_LEN),
	HEX_KNOB("xfam", xfam, VF_TDX_ATTRIBUTES_LEN),
	HEX_KNOB("seam-attributes", seam_attributes, VF_TDX_ATTRIBUTES_LEN),
	HEX_KNOB("tee-tcb-svn", tee_tcb_svn, VF_TDX_SVN_LEN),
	HEX_KNOB("tee-tcb-svn2", tee_tcb_svn2, VF_TDX_SVN_LEN),
#undef HEX_KNOB
};

/* Damage switches: NAME and the bool it sets. */
static const struct {
	const char *name;
	size_t off;
} switch_knobs[] = {
#define SWITCH_KNOB(name, field) { name, offsetof(struct vf_tdx_sim_quote_opts, field) }
	SWITCH_KNOB("bad-quote-sig", bad_quote_sig),
	SWITCH_KNOB("bad-qe-sig", bad_qe_sig),
	SWITCH_KNOB("bad-ak-binding", bad_ak_binding),
	SWITCH_KNOB("bad-pck-chain", bad_pck_chain),
	SWITCH_KNOB("pck-expired", pck_expired),
	SWITCH_KNOB("pck-revoked", pck_revoked),
	SWITCH_KNOB("fmspc-mismatch", fmspc_mismatch),
	SWITCH_KNOB("bad-qe-identity", bad_qe_identity),
	SWITCH_KNOB("wrong-report-data", wrong_report_data),
	SWITCH_KNOB("ak-from-keys", ak_from_keys),
#undef SWITCH_KNOB
};
/* clang-format on */

/* A decimal number in [MIN, MAX] ("-", empty and trailing characters refused). */
static bool num_arg(const char *arg, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	if (arg == NULL || arg[0] == '-')
		return false;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

TC_RESULT vf_tdx_sim_quote_knob(struct vf_tdx_sim_quote_opts *o, const char *name, const char *value)
{
	unsigned long n = 0;

	TC_ENSURE(o != NULL && name != NULL, TC_ERR_INVALID_ARGUMENT, "sim tdx knob without options or name");
	for (size_t i = 0; i < sizeof(hex_knobs) / sizeof(hex_knobs[0]); i++) {
		if (strcmp(name, hex_knobs[i].name) != 0)
			continue;
		TC_ENSURE(value != NULL, TC_ERR_INVALID_ARGUMENT, "--%s needs a value", name);
		return tc_hex_decode_fixed(value, strlen(value), (uint8_t *)o + hex_knobs[i].off, hex_knobs[i].len);
	}
	for (size_t i = 0; i < sizeof(switch_knobs) / sizeof(switch_knobs[0]); i++) {
		if (strcmp(name, switch_knobs[i].name) != 0)
			continue;
		*(bool *)((uint8_t *)o + switch_knobs[i].off) = true;
		return tc_ok();
	}
	if (strcmp(name, "debug") == 0) {
		o->report.td_attributes[0] |= VF_TDX_TD_ATTR_DEBUG;
	} else if (strcmp(name, "unsupported-version") == 0) {
		o->version = 3;
	} else if (strcmp(name, "version") == 0) {
		TC_ENSURE(num_arg(value, VF_TDX_QUOTE_V4, VF_TDX_QUOTE_V5, &n), TC_ERR_INVALID_ARGUMENT,
			  "--version is 4 or 5");
		o->version = (uint16_t)n;
	} else if (strcmp(name, "body-type") == 0) {
		TC_ENSURE(num_arg(value, 0, UINT16_MAX, &n), TC_ERR_INVALID_ARGUMENT, "--body-type is 0..65535");
		o->body_type = (uint16_t)n;
	} else if (strcmp(name, "qe-svn") == 0) {
		TC_ENSURE(num_arg(value, 0, UINT16_MAX, &n), TC_ERR_INVALID_ARGUMENT, "--qe-svn is 0..65535");
		o->qe_isvsvn = (uint16_t)n;
	} else if (strcmp(name, "truncate") == 0) {
		TC_ENSURE(num_arg(value, 1, VF_TDX_SIM_QUOTE_MAX, &n), TC_ERR_INVALID_ARGUMENT, "--truncate is 1..%zu",
			  VF_TDX_SIM_QUOTE_MAX);
		o->truncate = n;
	} else if (strcmp(name, "trailing") == 0) {
		TC_ENSURE(num_arg(value, 0, VF_TDX_SIM_QUOTE_MAX, &n), TC_ERR_INVALID_ARGUMENT, "--trailing is 0..%zu",
			  VF_TDX_SIM_QUOTE_MAX);
		o->trailing = n;
	} else {
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown sim tdx knob '%s'", name);
	}
	return tc_ok();
}
