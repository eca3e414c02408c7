/*
 * vf_tdx_sim_tcb.c — the simulated TDX platform: its TCB levels, TDX module identities, QE identity and the
 * presets of `teecert sim tdx --tcb-level NAME` (docs/sim.md "## TDX").
 *
 * One table drives both sides: the collateral documents (TCB Info v3 "TDX", Enclave Identity v2 "TD_QE", in
 * Intel PCS API v4 form) are generated from it, and the quote presets pick SVNs from it, so a preset lands on
 * the level it names. Platform levels differ only in SGX TCB Comp01 of the PCK (newest first, as PCS sorts
 * them); module levels by TEE_TCB_SVN[0] under the identity TDX_%02X of TEE_TCB_SVN[1]; QE levels by ISVSVN.
 */
#include <ctype.h>
#include <string.h>

#include "vf_internal.h"
#include "vf_tdx_sim.h"

const uint8_t vf_tdx_sim_fmspc[VF_TDX_FMSPC_LEN] = { 0x50, 0x80, 0x6f, 0x00, 0x00, 0x00 };
const uint8_t vf_tdx_sim_other_fmspc[VF_TDX_FMSPC_LEN] = { 0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00 };
const uint8_t vf_tdx_sim_pceid[VF_TDX_PCEID_LEN] = { 0x00, 0x00 };
/* Intel's QE vendor ID (DCAP API A.3.1). */
const uint8_t vf_tdx_sim_qe_vendor_id[VF_TDX_QE_VENDOR_ID_LEN] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
								   0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };
/* QE ATTRIBUTES: INIT | MODE64BIT (0x11 in byte 0). */
const uint8_t vf_tdx_sim_qe_attributes[VF_TDX_SGX_ATTRIBUTES_LEN] = { 0x11 };

static const uint8_t qe_attributes_mask[VF_TDX_SGX_ATTRIBUTES_LEN] = { 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t module_attributes_mask[VF_TDX_ATTRIBUTES_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* SGX components 2..16 of every level and PCK (component 1 selects the level). */
static const uint8_t sgx_rest[VF_TDX_SGX_TCB_COMPONENTS] = { 0, 9, 3, 3, 255, 255, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
/* tdxtcbcomponents of every level: [0] module SVN (compared only without a module identity), [2] SEAM loader. */
static const uint8_t tdx_components[VF_TDX_SVN_LEN] = { 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

const struct vf_tdx_sim_platform_level vf_tdx_sim_platform_levels[] = {
	{ 20, { VF_TCB_UP_TO_DATE, "2025-05-14T00:00:00Z", { NULL } } },
	{ 18, { VF_TCB_SW_HARDENING_NEEDED, "2024-11-13T00:00:00Z", { "INTEL-SA-00615", NULL } } },
	{ 16, { VF_TCB_CONFIGURATION_NEEDED, "2024-08-14T00:00:00Z", { "INTEL-SA-00828", NULL } } },
	{ 14,
	  { VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	    "2024-03-13T00:00:00Z",
	    { "INTEL-SA-00615", "INTEL-SA-00828", NULL } } },
	{ 12, { VF_TCB_OUT_OF_DATE, "2023-08-09T00:00:00Z", { "INTEL-SA-00837", "INTEL-SA-00960", NULL } } },
	{ 10,
	  { VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	    "2023-02-15T00:00:00Z",
	    { "INTEL-SA-00828", "INTEL-SA-00837", NULL } } },
	{ 8, { VF_TCB_REVOKED, "2022-08-10T00:00:00Z", { "INTEL-SA-00657", NULL } } },
};
const size_t vf_tdx_sim_n_platform_levels = sizeof vf_tdx_sim_platform_levels / sizeof vf_tdx_sim_platform_levels[0];

const struct vf_tdx_sim_module vf_tdx_sim_modules[] = {
	{ 1,
	  { { 4, { VF_TCB_UP_TO_DATE, "2025-05-14T00:00:00Z", { NULL } } },
	    { 2, { VF_TCB_OUT_OF_DATE, "2024-03-13T00:00:00Z", { "INTEL-SA-01036", NULL } } } } },
	{ 3,
	  { { 3, { VF_TCB_UP_TO_DATE, "2025-05-14T00:00:00Z", { NULL } } },
	    { 1, { VF_TCB_OUT_OF_DATE, "2024-08-14T00:00:00Z", { "INTEL-SA-01099", NULL } } } } },
};
const size_t vf_tdx_sim_n_modules = sizeof vf_tdx_sim_modules / sizeof vf_tdx_sim_modules[0];

const struct vf_tdx_sim_qe_level vf_tdx_sim_qe_levels[] = {
	{ 8, { VF_TCB_UP_TO_DATE, "2025-05-14T00:00:00Z", { NULL } } },
	{ 6, { VF_TCB_OUT_OF_DATE, "2024-03-13T00:00:00Z", { "INTEL-SA-00615", NULL } } },
	{ 4, { VF_TCB_REVOKED, "2023-02-15T00:00:00Z", { "INTEL-SA-00657", NULL } } },
};
const size_t vf_tdx_sim_n_qe_levels = sizeof vf_tdx_sim_qe_levels / sizeof vf_tdx_sim_qe_levels[0];

/* name, summary, PCK comp1, module major, module SVN, SVN2 module SVN, QE ISVSVN, found, status */
const struct vf_tdx_sim_preset vf_tdx_sim_presets[] = {
	{ "uptodate", "every level up to date", 20, 1, 4, 0, 8, true, VF_TCB_UP_TO_DATE },
	{ "swhardening", "platform SWHardeningNeeded", 18, 1, 4, 0, 8, true, VF_TCB_SW_HARDENING_NEEDED },
	{ "configneeded", "platform ConfigurationNeeded", 16, 1, 4, 0, 8, true, VF_TCB_CONFIGURATION_NEEDED },
	{ "configswhardening", "platform ConfigurationAndSWHardeningNeeded", 14, 1, 4, 0, 8, true,
	  VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED },
	{ "outofdate", "platform OutOfDate", 12, 1, 4, 0, 8, true, VF_TCB_OUT_OF_DATE },
	{ "outofdateconfig", "platform OutOfDateConfigurationNeeded", 10, 1, 4, 0, 8, true,
	  VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED },
	{ "revoked", "platform Revoked", 8, 1, 4, 0, 8, true, VF_TCB_REVOKED },
	{ "module-outofdate", "TDX module TDX_01 at an OutOfDate SVN", 20, 1, 2, 0, 8, true, VF_TCB_OUT_OF_DATE },
	{ "relaunch", "module OutOfDate, TEE_TCB_SVN2 current: TDRelaunchAdvised (v5 body type 3)", 20, 1, 2, 4, 8,
	  true, VF_TCB_TD_RELAUNCH_ADVISED },
	{ "relaunch-config", "as relaunch on a ConfigurationNeeded platform", 16, 1, 2, 4, 8, true,
	  VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED },
	{ "module-tdx03", "TDX module identity TDX_03, up to date", 20, 3, 3, 0, 8, true, VF_TCB_UP_TO_DATE },
	{ "tdxmodule", "module major version 0: tdxModule, no module levels", 20, 0, 4, 0, 8, true, VF_TCB_UP_TO_DATE },
	{ "qe-outofdate", "QE ISVSVN at an OutOfDate level", 20, 1, 4, 0, 6, true, VF_TCB_OUT_OF_DATE },
	{ "qe-revoked", "QE ISVSVN at a Revoked level", 20, 1, 4, 0, 4, true, VF_TCB_REVOKED },
	{ "none", "PCK SGX components below every platform level", 6, 1, 4, 0, 8, false, VF_TCB_UNKNOWN },
	{ "module-none", "no module identity TDX_02", 20, 2, 4, 0, 8, false, VF_TCB_UNKNOWN },
	{ "module-svn-none", "module SVN below every TDX_01 level", 20, 1, 1, 0, 8, false, VF_TCB_UNKNOWN },
	{ "qe-none", "QE ISVSVN below every QE level", 20, 1, 4, 0, 3, false, VF_TCB_UNKNOWN },
};
const size_t vf_tdx_sim_n_presets = sizeof vf_tdx_sim_presets / sizeof vf_tdx_sim_presets[0];

const struct vf_tdx_sim_preset *vf_tdx_sim_preset_find(const char *name)
{
	for (size_t i = 0; i < vf_tdx_sim_n_presets; i++)
		if (strcmp(vf_tdx_sim_presets[i].name, name) == 0)
			return &vf_tdx_sim_presets[i];
	return NULL;
}

void vf_tdx_sim_sgx_components(uint8_t comp1, uint8_t out[VF_TDX_SGX_TCB_COMPONENTS])
{
	memcpy(out, sgx_rest, VF_TDX_SGX_TCB_COMPONENTS);
	out[0] = comp1;
}

void vf_tdx_sim_tdx_components(uint8_t out[VF_TDX_SVN_LEN])
{
	memcpy(out, tdx_components, VF_TDX_SVN_LEN);
}

static TC_RESULT label_hash(const char *label, uint8_t out[VF_TDX_SGX_HASH_LEN])
{
	return vf_sha256(label, strlen(label), out);
}

TC_RESULT vf_tdx_sim_qe_mrsigner(uint8_t out[VF_TDX_SGX_HASH_LEN])
{
	return label_hash("teecert/sim/tdx/qe-mrsigner", out);
}

TC_RESULT vf_tdx_sim_qe_mrenclave(uint8_t out[VF_TDX_SGX_HASH_LEN])
{
	return label_hash("teecert/sim/tdx/qe-mrenclave", out);
}

/* ------------------------------------------------------------------------------------ advisories */

static TC_RESULT add_unique(json_t *to, const char *const *ids)
{
	for (size_t i = 0; i < VF_TDX_SIM_MAX_ADVISORIES && ids[i] != NULL; i++) {
		size_t k;
		json_t *have;
		bool dup = false;
		json_array_foreach(to, k, have)
			dup = dup || strcmp(json_string_value(have), ids[i]) == 0;
		if (!dup)
			TC_ENSURE(json_array_append_new(to, json_string(ids[i])) == 0, TC_ERR_NO_MEMORY,
				  "out of memory");
	}
	return tc_ok();
}

TC_RESULT vf_tdx_sim_preset_advisories(const struct vf_tdx_sim_preset *p, json_t **out)
{
	struct tc_result r = tc_ok();
	json_t *ids = json_array();
	TC_ENSURE(ids != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < vf_tdx_sim_n_platform_levels; i++) {
		if (p->sgx_comp1 >= vf_tdx_sim_platform_levels[i].sgx_comp1) {
			TC_GUARD_GOTO(r, add_unique(ids, vf_tdx_sim_platform_levels[i].st.advisories), out);
			break;
		}
	}
	for (size_t m = 0; m < vf_tdx_sim_n_modules && p->module_major > 0; m++) {
		if (vf_tdx_sim_modules[m].major != p->module_major)
			continue;
		for (size_t i = 0; i < VF_TDX_SIM_MODULE_LEVELS; i++) {
			if (p->module_svn >= vf_tdx_sim_modules[m].levels[i].isvsvn) {
				TC_GUARD_GOTO(r, add_unique(ids, vf_tdx_sim_modules[m].levels[i].st.advisories), out);
				break;
			}
		}
	}
	for (size_t i = 0; i < vf_tdx_sim_n_qe_levels; i++) {
		if (p->qe_isvsvn >= vf_tdx_sim_qe_levels[i].isvsvn) {
			TC_GUARD_GOTO(r, add_unique(ids, vf_tdx_sim_qe_levels[i].st.advisories), out);
			break;
		}
	}
	*out = ids;
	ids = NULL;
out:
	json_decref(ids);
	return r;
}

/* ------------------------------------------------------------------------------ collateral JSON */

/* Uppercase hex, as Intel PCS writes FMSPC, MRSIGNER and masks. */
static json_t *hex_upper(const uint8_t *data, size_t len)
{
	char text[2 * VF_TDX_MEASUREMENT_LEN + 1];
	if (2 * len + 1 > sizeof text || !tc_is_ok(tc_hex_encode(data, len, text, sizeof text)))
		return NULL;
	for (size_t i = 0; text[i] != '\0'; i++)
		text[i] = (char)toupper((unsigned char)text[i]);
	return json_string(text);
}

static json_t *time_string(int64_t t)
{
	char text[TC_TIME_RFC3339_LEN];
	if (!tc_is_ok(tc_time_format(t, text)))
		return NULL;
	return json_string(text);
}

/* Set KEY to VALUE (stolen); false on OOM (VALUE NULL included). */
static bool put(json_t *o, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(o, key, value) == 0;
}

/* A new array/object put into O under KEY and returned borrowed; NULL on OOM. */
static json_t *put_new(json_t *o, const char *key, json_t *value)
{
	return put(o, key, value) ? value : NULL;
}

/* tcb, tcbDate, tcbStatus, advisoryIDs (absent when none) of a level; TCB is stolen. */
static json_t *level_json(json_t *tcb, const struct vf_tdx_sim_status *st)
{
	json_t *lvl = json_object();
	if (lvl == NULL) {
		json_decref(tcb);
		return NULL;
	}
	bool ok = put(lvl, "tcb", tcb) && put(lvl, "tcbDate", json_string(st->date)) &&
		  put(lvl, "tcbStatus", json_string(vf_tcb_status_name(st->status)));
	if (ok && st->advisories[0] != NULL) {
		json_t *ids = put_new(lvl, "advisoryIDs", json_array());
		ok = ids != NULL;
		for (size_t i = 0; ok && i < VF_TDX_SIM_MAX_ADVISORIES && st->advisories[i] != NULL; i++)
			ok = json_array_append_new(ids, json_string(st->advisories[i])) == 0;
	}
	if (!ok) {
		json_decref(lvl);
		return NULL;
	}
	return lvl;
}

static json_t *svn_components(const uint8_t svn[VF_TDX_SVN_LEN])
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < VF_TDX_SVN_LEN; i++) {
		if (json_array_append_new(a, json_pack("{s:i}", "svn", (int)svn[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* mrsigner, attributes, attributesMask of tdxModule / an identity (the sim module MRSIGNER is zero, as
 * Intel's). */
static bool module_common(json_t *m)
{
	static const uint8_t zero_signer[VF_TDX_MEASUREMENT_LEN];
	static const uint8_t zero_attributes[VF_TDX_ATTRIBUTES_LEN];
	return m != NULL && put(m, "mrsigner", hex_upper(zero_signer, sizeof zero_signer)) &&
	       put(m, "attributes", hex_upper(zero_attributes, sizeof zero_attributes)) &&
	       put(m, "attributesMask", hex_upper(module_attributes_mask, sizeof module_attributes_mask));
}

static json_t *module_identity(const struct vf_tdx_sim_module *mod)
{
	char id[VF_TDX_ID_MAX];
	json_t *m = json_object(), *levels = NULL;
	snprintf(id, sizeof id, "TDX_%02X", mod->major);
	bool ok = m != NULL && put(m, "id", json_string(id)) && module_common(m) &&
		  (levels = put_new(m, "tcbLevels", json_array())) != NULL;
	for (size_t i = 0; ok && i < VF_TDX_SIM_MODULE_LEVELS; i++)
		ok = json_array_append_new(levels, level_json(json_pack("{s:i}", "isvsvn", (int)mod->levels[i].isvsvn),
							      &mod->levels[i].st)) == 0;
	if (!ok) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static json_t *platform_level(const struct vf_tdx_sim_platform_level *l)
{
	uint8_t sgx[VF_TDX_SGX_TCB_COMPONENTS], tdx[VF_TDX_SVN_LEN];
	vf_tdx_sim_sgx_components(l->sgx_comp1, sgx);
	vf_tdx_sim_tdx_components(tdx);
	json_t *tcb = json_object();
	bool ok = tcb != NULL && put(tcb, "sgxtcbcomponents", svn_components(sgx)) &&
		  put(tcb, "pcesvn", json_integer(VF_TDX_SIM_PCESVN)) &&
		  put(tcb, "tdxtcbcomponents", svn_components(tdx));
	if (!ok) {
		json_decref(tcb);
		return NULL;
	}
	return level_json(tcb, &l->st);
}

static TC_RESULT dump(json_t *doc, bool ok, struct tc_buf *out)
{
	struct tc_result r = ok ? tc_json_dump(doc, out) : tc_fail(TC_ERR_NO_MEMORY, "out of memory");
	json_decref(doc);
	return r;
}

/* TCB Info v3 for TDX, members in PCS order. */
TC_RESULT vf_tdx_sim_tcb_info_text(int64_t issue, int64_t next, struct tc_buf *out)
{
	json_t *t = json_object(), *ids = NULL, *levels = NULL;
	bool ok = t != NULL && put(t, "id", json_string("TDX")) && put(t, "version", json_integer(3)) &&
		  put(t, "issueDate", time_string(issue)) && put(t, "nextUpdate", time_string(next)) &&
		  put(t, "fmspc", hex_upper(vf_tdx_sim_fmspc, VF_TDX_FMSPC_LEN)) &&
		  put(t, "pceId", hex_upper(vf_tdx_sim_pceid, VF_TDX_PCEID_LEN)) &&
		  put(t, "tcbType", json_integer(0)) &&
		  put(t, "tcbEvaluationDataNumber", json_integer(VF_TDX_SIM_TCB_EVAL_NUMBER)) &&
		  module_common(put_new(t, "tdxModule", json_object())) &&
		  (ids = put_new(t, "tdxModuleIdentities", json_array())) != NULL;
	for (size_t i = 0; ok && i < vf_tdx_sim_n_modules; i++)
		ok = json_array_append_new(ids, module_identity(&vf_tdx_sim_modules[i])) == 0;
	ok = ok && (levels = put_new(t, "tcbLevels", json_array())) != NULL;
	for (size_t i = 0; ok && i < vf_tdx_sim_n_platform_levels; i++)
		ok = json_array_append_new(levels, platform_level(&vf_tdx_sim_platform_levels[i])) == 0;
	return dump(t, ok, out);
}

/* Enclave Identity v2 for the TD quoting enclave. */
TC_RESULT vf_tdx_sim_qe_identity_text(int64_t issue, int64_t next, struct tc_buf *out)
{
	static const uint8_t misc[VF_TDX_QE_MISCSELECT_LEN] = { 0 };
	static const uint8_t misc_mask[VF_TDX_QE_MISCSELECT_LEN] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t mrsigner[VF_TDX_SGX_HASH_LEN];
	TC_GUARD(vf_tdx_sim_qe_mrsigner(mrsigner));
	json_t *q = json_object(), *levels = NULL;
	bool ok = q != NULL && put(q, "id", json_string("TD_QE")) && put(q, "version", json_integer(2)) &&
		  put(q, "issueDate", time_string(issue)) && put(q, "nextUpdate", time_string(next)) &&
		  put(q, "tcbEvaluationDataNumber", json_integer(VF_TDX_SIM_TCB_EVAL_NUMBER)) &&
		  put(q, "miscselect", hex_upper(misc, sizeof misc)) &&
		  put(q, "miscselectMask", hex_upper(misc_mask, sizeof misc_mask)) &&
		  put(q, "attributes", hex_upper(vf_tdx_sim_qe_attributes, VF_TDX_SGX_ATTRIBUTES_LEN)) &&
		  put(q, "attributesMask", hex_upper(qe_attributes_mask, VF_TDX_SGX_ATTRIBUTES_LEN)) &&
		  put(q, "mrsigner", hex_upper(mrsigner, sizeof mrsigner)) &&
		  put(q, "isvprodid", json_integer(VF_TDX_SIM_QE_PRODID)) &&
		  (levels = put_new(q, "tcbLevels", json_array())) != NULL;
	for (size_t i = 0; ok && i < vf_tdx_sim_n_qe_levels; i++)
		ok = json_array_append_new(levels,
					   level_json(json_pack("{s:i}", "isvsvn", (int)vf_tdx_sim_qe_levels[i].isvsvn),
						      &vf_tdx_sim_qe_levels[i].st)) == 0;
	return dump(q, ok, out);
}
