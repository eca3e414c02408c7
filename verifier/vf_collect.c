/*
 * vf_collect.c — vf_collect_cpu: evidence from the TEE this process runs in (docs/collect.md).
 *
 * Order: Linux configfs-tsm (vf_tsm.c; the one interface giving a TDX quote and the SNP certificate table in
 * the same way), then /dev/sev-guest SNP_GET_EXT_REPORT, then /dev/tdx_guest TDX_CMD_GET_REPORT0 (a TDREPORT
 * only). A fallback is taken only when the interface before it is absent; an interface that is present but
 * fails (permission, busy host, racing writer) is reported as is, because falling back would hide the cause
 * (and for TDX yield weaker evidence). Every collected blob must carry the report data asked for.
 */
#include <string.h>

#include "vf_collect.h"
#include "vf_tsm.h"

void vf_cpu_evidence_cleanup(struct vf_cpu_evidence *ev)
{
	tc_buf_cleanup(&ev->evidence);
	tc_buf_cleanup(&ev->cert_table);
	tc_buf_cleanup(&ev->endorsement);
	tc_buf_cleanup(&ev->ark_ask_chain);
}

static void cpu_evidence_init(struct vf_cpu_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	tc_buf_init(&ev->evidence, VF_TSM_OUTBLOB_MAX);
	tc_buf_init(&ev->cert_table, VF_SNP_CERTS_MAX);
	tc_buf_init(&ev->endorsement, VF_SNP_CERTS_MAX);
	tc_buf_init(&ev->ark_ask_chain, 2 * VF_SNP_CERTS_MAX);
}

/* Note one attempt ("configfs-tsm at /x: No such file...") in EV->tried. */
static void tried_add(struct vf_cpu_evidence *ev, const char *what)
{
	size_t used = strlen(ev->tried);

	if (used + 1 < sizeof(ev->tried))
		snprintf(ev->tried + used, sizeof(ev->tried) - used, "%s%s", used ? "; " : "", what);
}

/* The SNP certificate table (auxblob or extended report) -> VCEK/VLEK and ASK/ARK. */
static TC_RESULT snp_take_table(struct vf_cpu_evidence *ev, const uint8_t *table, size_t len)
{
	struct vf_snp_cert_table t;

	TC_GUARD(vf_snp_cert_table_parse(table, len, &t));
	if (t.n == 0)
		return tc_ok();
	TC_GUARD(tc_buf_append(&ev->cert_table, table, t.extent ? t.extent : len));
	return vf_snp_cert_table_split(&t, ev);
}

static TC_RESULT from_tsm(const struct vf_collect_options *opt, const uint8_t rd[VF_REPORT_DATA_LEN], bool *present,
			  struct vf_cpu_evidence *ev)
{
	struct vf_tsm_report rep;
	struct tc_result r;

	TC_GUARD(vf_tsm_report_get(opt->tsm_root, rd, opt->privlevel, present, &rep));
	snprintf(ev->provider, sizeof(ev->provider), "%s", rep.provider);
	snprintf(ev->interface, sizeof(ev->interface), "configfs-tsm");
	if (strcmp(rep.provider, "tdx_guest") == 0) {
		ev->tee = VF_TEE_TDX;
		TC_GUARD_GOTO(r, vf_tdx_quote_check_report_data(rep.outblob.data, rep.outblob.len, rd), out);
	} else if (strcmp(rep.provider, "sev_guest") == 0) {
		ev->tee = VF_TEE_SNP;
		TC_GUARD_GOTO(r, vf_snp_report_check_report_data(rep.outblob.data, rep.outblob.len, rd), out);
		if (rep.has_auxblob)
			TC_GUARD_GOTO(r, snp_take_table(ev, rep.auxblob.data, rep.auxblob.len), out);
	} else {
		r = tc_fail(TC_ERR_UNSUPPORTED,
			    "configfs-tsm: provider '%s' is not one this verifier reads (tdx_guest, sev_guest)",
			    rep.provider);
		goto out;
	}
	r = tc_buf_append(&ev->evidence, rep.outblob.data, rep.outblob.len);
out:
	vf_tsm_report_cleanup(&rep);
	return r;
}

static TC_RESULT from_sev_guest(const struct vf_collect_options *opt, const uint8_t rd[VF_REPORT_DATA_LEN],
				bool *present, struct vf_cpu_evidence *ev)
{
	struct tc_buf certs;
	struct tc_result r;

	tc_buf_init(&certs, VF_SNP_CERTS_MAX);
	TC_GUARD_GOTO(r,
		      vf_snp_collect_ext_report(opt->sev_device, rd, opt->privlevel < 0 ? 0 : (uint32_t)opt->privlevel,
						present, &ev->evidence, &certs),
		      out);
	ev->tee = VF_TEE_SNP;
	snprintf(ev->provider, sizeof(ev->provider), "sev_guest");
	snprintf(ev->interface, sizeof(ev->interface), "sev_guest-ioctl");
	TC_GUARD_GOTO(r, vf_snp_report_check_report_data(ev->evidence.data, ev->evidence.len, rd), out);
	r = snp_take_table(ev, certs.data, certs.len);
out:
	tc_buf_cleanup(&certs);
	return r;
}

static TC_RESULT from_tdx_guest(const struct vf_collect_options *opt, const uint8_t rd[VF_REPORT_DATA_LEN],
				bool *present, struct vf_cpu_evidence *ev)
{
	TC_GUARD(vf_tdx_collect_tdreport(opt->tdx_device, rd, present, &ev->evidence));
	ev->tee = VF_TEE_TDX;
	ev->td_report_only = true;
	snprintf(ev->provider, sizeof(ev->provider), "tdx_guest");
	snprintf(ev->interface, sizeof(ev->interface), "tdx_guest-ioctl");
	return tc_ok();
}

TC_RESULT vf_collect_cpu(const struct vf_collect_options *opt, const uint8_t report_data[VF_REPORT_DATA_LEN],
			 struct vf_cpu_evidence *out)
{
	static const struct vf_collect_options defaults = { .privlevel = -1 };
	struct tc_result (*const steps[])(const struct vf_collect_options *, const uint8_t *, bool *,
					  struct vf_cpu_evidence *) = { from_tsm, from_sev_guest, from_tdx_guest };
	char what[TC_DETAIL_MAX + 64];
	struct tc_result r = tc_ok();

	if (!opt)
		opt = &defaults;
	cpu_evidence_init(out);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool present = false;

		if (i > 0 && opt->no_fallback)
			break;
		r = steps[i](opt, report_data, &present, out);
		if (tc_is_ok(r))
			return tc_ok();
		snprintf(what, sizeof(what), "%s", tc_error_detail());
		tried_add(out, what);
		if (present) {
			/* Present but failing: keep the failure (its detail is the attempt just noted). */
			enum tc_code code = r.code == TC_ERR_UNSUPPORTED ? TC_ERR_IO : r.code;

			vf_cpu_evidence_cleanup(out);
			return tc_fail(code, "%s", what);
		}
		/* Reset anything a failed step left behind before the next interface. */
		tc_buf_reset(&out->evidence);
		tc_buf_reset(&out->cert_table);
		tc_buf_reset(&out->endorsement);
		tc_buf_reset(&out->ark_ask_chain);
	}
	r = tc_fail(TC_ERR_UNSUPPORTED, "no TEE interface found (not a TDX or SEV-SNP guest?); tried: %s", out->tried);
	vf_cpu_evidence_cleanup(out);
	return r;
}
