/*
 * test_vf_snp_flip.c — flip every byte of four real reports (trustee Milan v2, go-sev-guest Milan v2, Azure
 * Genoa v3, trustee Genoa v3): never a crash or an appraisal error, and every flip inside the signed range
 * 0x000-0x29F or the signature R/S (0x2A0-0x32F) is rejected. Run it under ASan too (build-*-asan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_vf_snp_pki.h"

#define SIG_RS_END (VF_SNP_SIGNED_LEN + 2 * VF_SNP_SIG_COMPONENT_LEN)

struct sample {
	const char *report, *vcek, *chain, *ark, *now;
	bool debug;
};

static const struct sample samples[] = {
	{ "snp/trustee_milan_v2_report.bin", "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem",
	  "snp/amd_ark_milan.pem", "2024-01-01T00:00:00Z", false },
	{ "snp/gosev_milan_v2_report.bin", "snp/gosev_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem",
	  "snp/amd_ark_milan.pem", "2022-09-24T01:00:00Z", true },
	{ "snp/azure_genoa_v3_report_extracted.bin", "snp/azure_genoa_vcek.pem", "snp/amd_ark_ask_genoa_vcek.pem",
	  "snp/amd_ark_genoa.pem", "2025-06-01T00:00:00Z", false },
	{ "snp/trustee_genoa_v3_report_reconstructed.bin", "snp/trustee_genoa_vcek.der",
	  "snp/amd_ark_ask_genoa_vcek.pem", "snp/amd_ark_genoa.pem", "2025-06-01T00:00:00Z", false },
};

static void flip_one(const struct sample *s)
{
	struct tc_buf rep, vcek, chain, ark;
	struct vf_input in;
	struct vf_policy policy;
	int64_t now;
	size_t rejected = 0;

	snp_test_read(s->report, &rep);
	snp_test_read(s->vcek, &vcek);
	snp_test_read(s->chain, &chain);
	snp_test_read(s->ark, &ark);
	assert_true(tc_is_ok(tc_time_parse(s->now, &now)));
	memset(&in, 0, sizeof(in));
	in.tee = VF_TEE_SNP;
	in.evidence[0] = (struct vf_item){ "snp_report", rep.data, rep.len };
	in.evidence[1] = (struct vf_item){ "vcek", vcek.data, vcek.len };
	in.n_evidence = 2;
	in.collateral[0] = (struct vf_item){ "ark_ask_chain", chain.data, chain.len };
	in.n_collateral = 1;
	in.anchors[0] = (struct vf_item){ "amd_ark", ark.data, ark.len };
	in.n_anchors = 1;
	vf_policy_init(&policy);
	policy.check_revocation = false;
	policy.allow_debug = s->debug;
	for (size_t i = 0; i <= rep.len; i++) {
		struct vf_appraisal a;

		if (i < rep.len)
			rep.data[i] ^= 0x01;
		if (!tc_is_ok(vf_appraise(&in, &policy, now, &a)))
			fail_msg("%s byte 0x%zx: appraisal error %s", s->report, i, tc_error_detail());
		if (i == rep.len) {
			if (!a.accepted) /* the unmodified report is fine */
				fail_msg("%s: %s", s->report, a.detail);
		} else if (i < SIG_RS_END && a.accepted) {
			fail_msg("%s: flip of byte 0x%zx was accepted", s->report, i);
		}
		rejected += !a.accepted;
		vf_appraisal_cleanup(&a);
		if (i < rep.len)
			rep.data[i] ^= 0x01;
	}
	assert_true(rejected >= SIG_RS_END);
	vf_policy_cleanup(&policy);
	tc_buf_cleanup(&rep);
	tc_buf_cleanup(&vcek);
	tc_buf_cleanup(&chain);
	tc_buf_cleanup(&ark);
}

static void test_flip_all(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		flip_one(&samples[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_flip_all) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
