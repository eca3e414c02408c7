/*
 * test_vf_tdx_flip.c — byte-flip test over every unmodified real TDX quote of the shared set.
 *
 * Each byte in turn is XORed with 0xff and the quote appraised (signatures and chains; the case's anchor
 * and time). Inside the declared quote (header, body, signature data: signature, attestation key, QE
 * report, its signature, QE authentication data, the sizes and the PEM chain) every flip must be rejected:
 * XOR 0xff never turns a PEM byte into base64 or whitespace, so the strict PEM reader rejects all of them.
 * Flips in the trailing bytes after the declared length must leave the verdict and the claims unchanged.
 * Under the ASan build this also shows there is no crash and no leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tdx_test_util.h"
#include "vf_tdx.h"

/* One case per unmodified quote file (its anchor and verify_at are used). */
static const char *const cases[] = {
	"tdx-gotdx-v4-spr-e4-sigonly",
	"tdx-gotdx-v5-90c06f-sigonly",
	"tdx-phala-v4-b0c06f-uptodate",
	"tdx-phala-v4-b0c06f-older-tdxmodule-no-tcb-level",
	"tdx-phala-near-v4-20a06f-uptodate",
	"tdx-trustee-azure-v4-00806f050000-sigonly",
	"tdx-trustee-v5-90c06f-sigonly",
};

static char *claims_of(const struct vf_appraisal *a)
{
	return json_dumps(a->devices[0].claims, JSON_SORT_KEYS | JSON_COMPACT);
}

static void flip_case(const char *name)
{
	char path[4096];
	struct vf_case c;
	struct vf_appraisal a;
	struct vf_tdx_quote q;

	tdx_test_case_path(name, path, sizeof path);
	assert_true(tc_is_ok(vf_case_load(path, &c)));
	c.policy.require_collateral = false;
	c.policy.check_revocation = false;
	c.policy.has_expected_report_data = false;

	struct vf_item *item = NULL;
	for (size_t i = 0; i < c.input.n_evidence; i++)
		if (strcmp(c.input.evidence[i].role, "tdx_quote") == 0)
			item = &c.input.evidence[i];
	assert_non_null(item);
	uint8_t *bytes = malloc(item->len);
	assert_non_null(bytes);
	memcpy(bytes, item->data, item->len);
	item->data = bytes;
	assert_true(tc_is_ok(vf_tdx_quote_parse(bytes, item->len, &q)));
	size_t declared = q.quote_len;

	assert_true(tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)));
	if (!a.accepted)
		fail_msg("%s: baseline rejected: %s", name, a.detail);
	char *base = claims_of(&a);
	vf_appraisal_cleanup(&a);

	size_t rejected = 0;
	for (size_t i = 0; i < item->len; i++) {
		bytes[i] ^= 0xff;
		assert_true(tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)));
		if (i < declared) {
			if (a.accepted)
				fail_msg("%s: flip at 0x%zx (inside the %zu-byte quote) was accepted", name, i, declared);
			assert_true(a.detail[0] != '\0' && a.remediation[0] != '\0');
			rejected++;
		} else {
			if (!a.accepted)
				fail_msg("%s: flip at 0x%zx (trailing byte) was rejected: %s", name, i, a.detail);
			char *now = claims_of(&a);
			assert_string_equal(now, base);
			free(now);
		}
		vf_appraisal_cleanup(&a);
		bytes[i] ^= 0xff;
	}
	assert_int_equal(rejected, declared);
	free(base);
	free(bytes);
	vf_case_cleanup(&c);
}

static void test_flip_all(void **state)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		flip_case(cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flip_all),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	vf_tdx_cache_clear();
	return rc;
}
