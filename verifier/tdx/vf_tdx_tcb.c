/*
 * vf_tdx_tcb.c — TDX TCB evaluation, following Intel's Quote Verification Library (QVL) for TDX:
 *
 *  - TCB Info must be id "TDX", version >= 3; FMSPC and PCEID must equal the PCK's (QVL 4.1.2.4.9/10).
 *  - TDX module (4.1.2.4.11): TEE_TCB_SVN[1] is the module major version. When > 0 the identity
 *    "TDX_%02X" of tdxModuleIdentities applies (its MRSIGNER/attributes replace tdxModule's) and its own
 *    TCB levels are matched by ISVSVN = TEE_TCB_SVN[0]; MRSIGNERSEAM must equal the MRSIGNER and
 *    SEAMATTRIBUTES must match under attributesMask.
 *  - QE identity (4.1.2.4.14/15): id "TD_QE" v2; MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under
 *    their masks; level = first with isvsvn <= QE ISVSVN.
 *  - Platform level (4.1.2.4.17, TcbLevelCheck): the first level (document order, PCS sorts them
 *    newest first) whose 16 SGX components and PCESVN are <= the PCK's and whose tdxtcbcomponents are
 *    <= TEE_TCB_SVN, comparing from byte 2 when TEE_TCB_SVN[1] > 0 (bytes 0-1 are the module's, judged
 *    by the module identity).
 *  - Convergence: platform with module status (convergeTcbStatusWithTdxModuleStatus), the TD relaunch
 *    check for TDX 1.5 reports (TEE_TCB_SVN2, TDRelaunchCheck), then with the QE status
 *    (convergeTcbStatusWithQeTcbStatus). Advisory IDs: union of every matched level.
 * Failures use the cases' vocabulary: tcb_mismatch, qe_identity_mismatch, tcb_level_not_found.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "vf_tdx.h"

static bool fail(struct vf_tdx_tcb_result *res, enum tc_code code, const char *fmt, ...) TC_PRINTF(3, 4);

static bool fail(struct vf_tdx_tcb_result *res, enum tc_code code, const char *fmt, ...)
{
	va_list ap;
	res->failure = code;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_config_needed(enum vf_tcb_status s)
{
	return s == VF_TCB_CONFIGURATION_NEEDED || s == VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
	       s == VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
	       s == VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

/* Severity for statuses Intel's convergence rules do not name (precedence list of docs/tdx.md). */
static int severity(enum vf_tcb_status s)
{
	switch (s) {
	case VF_TCB_UP_TO_DATE: return 0;
	case VF_TCB_SW_HARDENING_NEEDED: return 1;
	case VF_TCB_CONFIGURATION_NEEDED: return 2;
	case VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED: return 3;
	case VF_TCB_OUT_OF_DATE: return 4;
	case VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED: return 5;
	case VF_TCB_REVOKED: return 8;
	case VF_TCB_TD_RELAUNCH_ADVISED: return 6;
	case VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED: return 7;
	default: return 9;
	}
}

/* convergeTcbStatusWithTdxModuleStatus / convergeTcbStatusWithQeTcbStatus: an OutOfDate module or QE makes
 * an up-to-date platform OutOfDate (OutOfDateConfigurationNeeded when configuration is needed); Revoked
 * wins; otherwise the platform status stands. */
static enum vf_tcb_status converge(enum vf_tcb_status platform, enum vf_tcb_status other)
{
	if (other == VF_TCB_OUT_OF_DATE) {
		if (platform == VF_TCB_UP_TO_DATE || platform == VF_TCB_SW_HARDENING_NEEDED)
			return VF_TCB_OUT_OF_DATE;
		if (platform == VF_TCB_CONFIGURATION_NEEDED || platform == VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
			return VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
		return platform;
	}
	if (other == VF_TCB_REVOKED)
		return VF_TCB_REVOKED;
	if (other == VF_TCB_UP_TO_DATE)
		return platform;
	return severity(other) > severity(platform) ? other : platform;
}

static TC_RESULT add_advisories(json_t *to, const json_t *from)
{
	size_t i, j;
	const json_t *id, *have;
	json_array_foreach (from, i, id) {
		bool dup = false;
		json_array_foreach (to, j, have)
			dup = dup || strcmp(json_string_value(have), json_string_value(id)) == 0;
		if (!dup)
			TC_ENSURE(json_array_append_new(to, json_string(json_string_value(id))) == 0, TC_ERR_NO_MEMORY,
				  "out of memory");
	}
	return tc_ok();
}

static const struct vf_tdx_module_identity *find_identity(const struct vf_tdx_tcb_info *ti, uint8_t version,
							   char id[VF_TDX_ID_MAX])
{
	snprintf(id, VF_TDX_ID_MAX, "TDX_%02X", version);
	for (size_t i = 0; i < ti->n_identities; i++)
		if (strcasecmp(ti->identities[i].id, id) == 0)
			return &ti->identities[i];
	return NULL;
}

static void hex_of(const uint8_t *b, size_t n, char *out, size_t size)
{
	if (!tc_is_ok(tc_hex_encode(b, n, out, size)))
		snprintf(out, size, "?");
}

/* tcb_mismatch checks: document kind, FMSPC/PCEID, TDX module MRSIGNER/attributes. */
static bool check_platform_match(const struct vf_tdx_quote *q, const struct vf_tdx_sgx_ext *ext,
				 const struct vf_tdx_tcb_info *ti, const struct vf_tdx_module_identity *mod,
				 struct vf_tdx_tcb_result *res)
{
	char a[2 * VF_TDX_MEASUREMENT_LEN + 1], b[2 * VF_TDX_MEASUREMENT_LEN + 1];
	if (strcmp(ti->id, "TDX") != 0 || ti->version < 3)
		return fail(res, TC_ERR_TCB_MISMATCH, "tcb_info: id \"%s\" version %d is not a TDX TCB info (v3)",
			    ti->id, ti->version);
	if (memcmp(ti->fmspc, ext->fmspc, VF_TDX_FMSPC_LEN) != 0) {
		hex_of(ti->fmspc, VF_TDX_FMSPC_LEN, a, sizeof a);
		hex_of(ext->fmspc, VF_TDX_FMSPC_LEN, b, sizeof b);
		return fail(res, TC_ERR_TCB_MISMATCH, "tcb_info: FMSPC %s differs from the PCK certificate's %s", a, b);
	}
	if (memcmp(ti->pceid, ext->pceid, VF_TDX_PCEID_LEN) != 0) {
		hex_of(ti->pceid, VF_TDX_PCEID_LEN, a, sizeof a);
		hex_of(ext->pceid, VF_TDX_PCEID_LEN, b, sizeof b);
		return fail(res, TC_ERR_TCB_MISMATCH, "tcb_info: PCEID %s differs from the PCK certificate's %s", a, b);
	}
	if (mod == NULL)
		return true; /* the identity is missing: tcb_level_not_found, reported after the QE checks */
	if (memcmp(mod->mrsigner, q->report.mrsignerseam, VF_TDX_MEASUREMENT_LEN) != 0) {
		hex_of(q->report.mrsignerseam, VF_TDX_MEASUREMENT_LEN, a, sizeof a);
		return fail(res, TC_ERR_TCB_MISMATCH, "MRSIGNERSEAM %s differs from the TDX module %s MRSIGNER", a,
			    mod->id[0] ? mod->id : "(tdxModule)");
	}
	for (size_t i = 0; i < VF_TDX_ATTRIBUTES_LEN; i++) {
		if ((mod->attributes[i] & mod->attributes_mask[i]) !=
		    (q->report.seam_attributes[i] & mod->attributes_mask[i])) {
			hex_of(q->report.seam_attributes, VF_TDX_ATTRIBUTES_LEN, a, sizeof a);
			return fail(res, TC_ERR_TCB_MISMATCH, "SEAMATTRIBUTES %s differ from the TDX module %s under its mask",
				    a, mod->id[0] ? mod->id : "(tdxModule)");
		}
	}
	return true;
}

/* qe_identity_mismatch checks (EnclaveReportVerifier). */
static bool check_qe_identity(const struct vf_tdx_qe_report *r, const struct vf_tdx_qe_identity *qi,
			      struct vf_tdx_tcb_result *res)
{
	if (strcmp(qi->id, "TD_QE") != 0 || qi->version != 2)
		return fail(res, TC_ERR_QE_IDENTITY_MISMATCH,
			    "qe_identity: id \"%s\" version %d is not the TD quoting enclave identity (TD_QE v2)", qi->id,
			    qi->version);
	if (memcmp(r->mrsigner, qi->mrsigner, VF_TDX_SGX_HASH_LEN) != 0)
		return fail(res, TC_ERR_QE_IDENTITY_MISMATCH, "QE MRSIGNER differs from the QE identity");
	if (r->isvprodid != qi->isvprodid)
		return fail(res, TC_ERR_QE_IDENTITY_MISMATCH, "QE ISVPRODID %u differs from the QE identity's %u",
			    r->isvprodid, qi->isvprodid);
	if ((r->miscselect & qi->miscselect_mask) != (qi->miscselect & qi->miscselect_mask))
		return fail(res, TC_ERR_QE_IDENTITY_MISMATCH, "QE MISCSELECT 0x%08x differs under the mask", r->miscselect);
	for (size_t i = 0; i < VF_TDX_SGX_ATTRIBUTES_LEN; i++)
		if ((r->attributes[i] & qi->attributes_mask[i]) != (qi->attributes[i] & qi->attributes_mask[i]))
			return fail(res, TC_ERR_QE_IDENTITY_MISMATCH, "QE ATTRIBUTES byte %zu differs under the mask", i);
	return true;
}

static bool sgx_ok(const struct vf_tdx_tcb_level *l, const struct vf_tdx_sgx_ext *ext)
{
	for (size_t i = 0; i < VF_TDX_SGX_TCB_COMPONENTS; i++)
		if (ext->comp[i] < l->sgx[i])
			return false;
	return ext->pcesvn >= l->pcesvn;
}

static bool tdx_ok(const struct vf_tdx_tcb_level *l, const uint8_t svn[VF_TDX_SVN_LEN])
{
	for (size_t i = svn[1] > 0 ? 2 : 0; i < VF_TDX_SVN_LEN; i++)
		if (svn[i] < l->tdx[i])
			return false;
	return true;
}

/* TDRelaunchCheck (TDX 1.5 reports): an OutOfDate TD whose TEE_TCB_SVN2 already reaches the latest level
 * only needs a relaunch. NULL return: keep STATUS; otherwise the failure is in RES. */
static bool relaunch(const struct vf_tdx_quote *q, const struct vf_tdx_tcb_info *ti, enum vf_tcb_status sgx_status,
		     enum vf_tcb_status qe_status, bool module_out_of_date, enum vf_tcb_status *status,
		     struct vf_tdx_tcb_result *res)
{
	const uint8_t *svn2 = q->report.tee_tcb_svn2;
	if (qe_status == VF_TCB_OUT_OF_DATE || qe_status == VF_TCB_REVOKED)
		return true;
	if (sgx_status != VF_TCB_UP_TO_DATE && sgx_status != VF_TCB_SW_HARDENING_NEEDED &&
	    sgx_status != VF_TCB_CONFIGURATION_NEEDED && sgx_status != VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
		return true;
	if ((*status != VF_TCB_OUT_OF_DATE && *status != VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) || !module_out_of_date)
		return true;
	const struct vf_tdx_tcb_level *latest = &ti->levels[0];
	bool reached;
	if (svn2[1] == 0) {
		reached = svn2[0] >= latest->tdx[0] && svn2[2] >= latest->tdx[2];
	} else {
		char id[VF_TDX_ID_MAX];
		const struct vf_tdx_module_identity *m2 = find_identity(ti, svn2[1], id);
		if (m2 == NULL || m2->n_levels == 0)
			return fail(res, TC_ERR_TCB_LEVEL_NOT_FOUND,
				    "tcb_info: no TDX module identity %s for TEE_TCB_SVN2", id);
		reached = svn2[0] >= m2->levels[0].isvsvn && svn2[2] >= latest->tdx[2];
	}
	if (reached)
		*status = is_config_needed(sgx_status) || is_config_needed(*status)
				  ? VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
				  : VF_TCB_TD_RELAUNCH_ADVISED;
	return true;
}

static TC_RESULT evaluate(const struct vf_tdx_quote *q, const struct vf_tdx_sgx_ext *ext,
			  const struct vf_tdx_tcb_info *ti, const struct vf_tdx_qe_identity *qi,
			  struct vf_tdx_tcb_result *res)
{
	const uint8_t *svn = q->report.tee_tcb_svn;
	const struct vf_tdx_module_identity *mod = NULL;
	char mod_id[VF_TDX_ID_MAX] = "";
	bool use_identity = svn[1] > 0; /* quote v4/v5: module major version 0 has no identity */

	/* 1. tcb_mismatch, then qe_identity_mismatch. */
	if (use_identity)
		mod = find_identity(ti, svn[1], mod_id);
	else if (ti->has_module)
		mod = &ti->module;
	if (!use_identity && !ti->has_module && strcmp(ti->id, "TDX") == 0 && ti->version >= 3) {
		fail(res, TC_ERR_TCB_MISMATCH, "tcb_info: no tdxModule");
		return tc_ok();
	}
	if (!check_platform_match(q, ext, ti, mod, res) || !check_qe_identity(&q->qe_report, qi, res))
		return tc_ok();

	/* 2. tcb_level_not_found: platform level (SGX level first, then the one whose TDX part matches too). */
	const struct vf_tdx_tcb_level *sgx_level = NULL, *tdx_level = NULL;
	for (size_t i = 0; i < ti->n_levels && tdx_level == NULL; i++) {
		if (!sgx_ok(&ti->levels[i], ext))
			continue;
		if (sgx_level == NULL)
			sgx_level = &ti->levels[i];
		if (tdx_ok(&ti->levels[i], svn))
			tdx_level = &ti->levels[i];
	}
	if (sgx_level == NULL || tdx_level == NULL) {
		char cpusvn[2 * VF_TDX_SVN_LEN + 1], tee[2 * VF_TDX_SVN_LEN + 1];
		hex_of(ext->cpusvn, VF_TDX_SVN_LEN, cpusvn, sizeof cpusvn);
		hex_of(svn, VF_TDX_SVN_LEN, tee, sizeof tee);
		fail(res, TC_ERR_TCB_LEVEL_NOT_FOUND,
		     "no platform TCB level matches (%s; CPUSVN %s, PCESVN %u, TEE_TCB_SVN %s)",
		     sgx_level == NULL ? "SGX components/PCESVN below every level" : "TDX components below every level",
		     cpusvn, ext->pcesvn, tee);
		return tc_ok();
	}
	if (use_identity && mod == NULL) {
		fail(res, TC_ERR_TCB_LEVEL_NOT_FOUND, "tcb_info: no TDX module identity %s (TEE_TCB_SVN[1] = %u)", mod_id,
		     svn[1]);
		return tc_ok();
	}
	const struct vf_tdx_module_level *mod_level = NULL;
	if (use_identity) {
		for (size_t i = 0; i < mod->n_levels && mod_level == NULL; i++)
			if (svn[0] >= mod->levels[i].isvsvn)
				mod_level = &mod->levels[i];
		if (mod_level == NULL) {
			fail(res, TC_ERR_TCB_LEVEL_NOT_FOUND, "no TCB level of TDX module %s matches ISVSVN %u", mod_id,
			     svn[0]);
			return tc_ok();
		}
	}
	const struct vf_tdx_qe_level *qe_level = NULL;
	for (size_t i = 0; i < qi->n_levels && qe_level == NULL; i++)
		if (q->qe_report.isvsvn >= qi->levels[i].isvsvn)
			qe_level = &qi->levels[i];
	if (qe_level == NULL) {
		fail(res, TC_ERR_TCB_LEVEL_NOT_FOUND, "no QE identity TCB level matches QE ISVSVN %u", q->qe_report.isvsvn);
		return tc_ok();
	}

	/* 3. Convergence and advisories. */
	res->platform_status = tdx_level->st.status;
	res->qe_status = qe_level->st.status;
	enum vf_tcb_status status = tdx_level->st.status;
	if (mod_level != NULL) {
		res->has_module_status = true;
		res->module_status = mod_level->st.status;
		snprintf(res->module_id, sizeof res->module_id, "%s", mod->id);
		status = converge(status, mod_level->st.status);
	}
	if (status != VF_TCB_REVOKED && q->report.is_v15 &&
	    !relaunch(q, ti, sgx_level->st.status, qe_level->st.status,
		      mod_level != NULL && mod_level->st.status == VF_TCB_OUT_OF_DATE, &status, res))
		return tc_ok();
	res->status = converge(status, qe_level->st.status);
	snprintf(res->tcb_date, sizeof res->tcb_date, "%s", tdx_level->st.tcb_date);
	TC_GUARD(add_advisories(res->advisory_ids, tdx_level->st.advisory_ids));
	if (mod_level != NULL)
		TC_GUARD(add_advisories(res->advisory_ids, mod_level->st.advisory_ids));
	TC_GUARD(add_advisories(res->advisory_ids, qe_level->st.advisory_ids));
	res->failure = TC_OK;
	return tc_ok();
}

TC_RESULT vf_tdx_tcb_evaluate(const struct vf_tdx_quote *q, const struct vf_tdx_sgx_ext *ext,
			      const struct vf_tdx_tcb_info *ti, const struct vf_tdx_qe_identity *qi,
			      struct vf_tdx_tcb_result *res)
{
	memset(res, 0, sizeof *res);
	res->status = VF_TCB_UNKNOWN;
	res->failure = TC_ERR_INTERNAL;
	res->advisory_ids = json_array();
	TC_ENSURE(res->advisory_ids != NULL, TC_ERR_NO_MEMORY, "out of memory");
	return evaluate(q, ext, ti, qi, res);
}

void vf_tdx_tcb_result_cleanup(struct vf_tdx_tcb_result *res)
{
	json_decref(res->advisory_ids);
	res->advisory_ids = NULL;
}
