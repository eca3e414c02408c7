/*
 * vf_snp_sim_knobs.c — the knobs of the SEV-SNP simulator: one table for `teecert sim snp` flags, its help,
 * and the generated conformance cases (vf_snp_sim_cases.c), whose notes carry the reproducing command.
 * docs/sim.md "SNP" lists them with the failure each produces.
 */
#include <stdlib.h>
#include <string.h>

#include "vf_snp_sim.h"

#define SIM_KNOB_LINE_MAX 1024
#define SIM_KNOB_WORDS_MAX 32

static const struct vf_snp_sim_knob knobs[] = {
	{ "product", "milan|genoa|turin", "product line (default milan); Turin uses the Family 1Ah TCB layout" },
	{ "version", "2|3|5", "report VERSION (default 5); 3+ carries CPUID, 5 the mitigation vectors" },
	{ "vlek", NULL, "sign with a VLEK issued by the ASVK (SIGNING_KEY 1) instead of a VCEK" },
	{ "report-data", "HEX", "REPORT_DATA, 64 bytes (shorter input is zero-padded)" },
	{ "measurement", "HEX", "MEASUREMENT, 48 bytes (default SHA-384 of a fixed string)" },
	{ "host-data", "HEX", "HOST_DATA, 32 bytes (default zero)" },
	{ "chip-id", "HEX", "CHIP_ID, 64 bytes (default pki.json chip_id; Turin keeps the first 8)" },
	{ "debug", NULL, "GUEST_POLICY.DEBUG (bit 19): debug_not_allowed unless allow_debug" },
	{ "migration-agent", NULL,
	  "GUEST_POLICY.MIGRATE_MA (bit 18): policy_violation unless snp_allow_migration_agent" },
	{ "smt", NULL, "GUEST_POLICY.SMT (bit 16) and PLATFORM_INFO.SMT_EN: policy_violation with snp_require_no_smt" },
	{ "vmpl", "N", "VMPL 0..3 (default 0): policy_violation above snp_max_vmpl" },
	{ "reported-tcb", "BL,TEE,SNP,UCODE[,FMC]",
	  "REPORTED_TCB, also certified by the VCEK (default: TCB table latest)" },
	{ "committed-tcb", "BL,TEE,SNP,UCODE[,FMC]", "COMMITTED_TCB (default REPORTED_TCB)" },
	{ "launch-tcb", "BL,TEE,SNP,UCODE[,FMC]", "LAUNCH_TCB (default COMMITTED_TCB)" },
	{ "current-tcb", "BL,TEE,SNP,UCODE[,FMC]", "CURRENT_TCB (default COMMITTED_TCB)" },
	{ "bad-sig", NULL, "flip a bit of the signature: evidence_signature_invalid" },
	{ "sig-algo", "N", "SIGNATURE_ALGO (default 1): other values evidence_unsupported_version" },
	{ "truncate", "N", "write only the first N bytes: evidence_malformed" },
	{ "unsupported-version", NULL, "VERSION 1: evidence_unsupported_version" },
	{ "vcek-tcb-mismatch", NULL, "the VCEK's snpSPL is REPORTED_TCB's + 1: tcb_mismatch" },
	{ "chip-id-mismatch", NULL, "the VCEK's hwID differs from CHIP_ID: tcb_mismatch" },
	{ "vcek-expired", NULL, "the VCEK/VLEK expired a year ago: cert_expired" },
	{ "vcek-revoked", NULL, "the CRL written beside lists the issuing ASK/ASVK: cert_revoked" },
	{ "wrong-product-chain", NULL, "the VCEK is issued by the next product line's ASK: cert_chain_invalid" },
};

const struct vf_snp_sim_knob *vf_snp_sim_knobs(size_t *n)
{
	*n = sizeof(knobs) / sizeof(knobs[0]);
	return knobs;
}

static TC_RESULT parse_uint(const char *name, const char *v, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long x = v ? strtoul(v, &end, 0) : 0;

	TC_ENSURE(v && *v && end && *end == 0 && x <= max && v[0] != '-', TC_ERR_INVALID_ARGUMENT,
		  "--%s wants a number 0..%lu, got '%s'", name, max, v ? v : "");
	*out = x;
	return tc_ok();
}

/* Hex into a fixed field: at most LEN bytes, zero-padded (EXACT: exactly LEN). */
static TC_RESULT parse_hex(const char *name, const char *v, uint8_t *out, size_t len, bool exact)
{
	struct tc_buf b;
	struct tc_result r;

	TC_ENSURE(v, TC_ERR_INVALID_ARGUMENT, "--%s wants hex", name);
	tc_buf_init(&b, len);
	r = tc_hex_decode(v, strlen(v), &b);
	if (tc_is_ok(r) && (b.len > len || (exact && b.len != len)))
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "--%s wants %s%zu bytes of hex, got %zu", name,
			    exact ? "" : "up to ", len, b.len);
	if (tc_is_ok(r)) {
		memset(out, 0, len);
		memcpy(out, b.data, b.len);
	} else if (r.code != TC_ERR_INVALID_ARGUMENT) {
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "--%s: %s", name, tc_error_detail());
	}
	tc_buf_cleanup(&b);
	return r;
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

TC_RESULT vf_snp_sim_knob_set(struct vf_snp_sim_opts *o, const char *name, const char *value)
{
	unsigned long n = 0;
	const struct vf_snp_sim_knob *k = NULL;

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]) && !k; i++)
		if (is(knobs[i].name, name))
			k = &knobs[i];
	TC_ENSURE(k, TC_ERR_INVALID_ARGUMENT, "unknown knob --%s", name);
	TC_ENSURE((k->arg != NULL) == (value != NULL), TC_ERR_INVALID_ARGUMENT, "--%s %s", name,
		  k->arg ? "needs a value" : "takes no value");
	if (is(name, "product")) {
		o->product = vf_snp_sim_product(value);
		TC_ENSURE(o->product, TC_ERR_INVALID_ARGUMENT, "--product %s: milan, genoa or turin", value);
	} else if (is(name, "version")) {
		TC_GUARD(parse_uint(name, value, UINT32_MAX, &n));
		TC_ENSURE(n == VF_SNP_REPORT_V2 || n == VF_SNP_REPORT_V3 || n == VF_SNP_REPORT_V5,
			  TC_ERR_INVALID_ARGUMENT, "--version %lu: 2, 3 or 5 (see --unsupported-version)", n);
		o->version = (uint32_t)n;
	} else if (is(name, "vlek")) {
		o->vlek = true;
	} else if (is(name, "report-data")) {
		TC_GUARD(parse_hex(name, value, o->report_data, sizeof(o->report_data), false));
	} else if (is(name, "measurement")) {
		TC_GUARD(parse_hex(name, value, o->measurement, sizeof(o->measurement), true));
		o->has_measurement = true;
	} else if (is(name, "host-data")) {
		TC_GUARD(parse_hex(name, value, o->host_data, sizeof(o->host_data), true));
	} else if (is(name, "chip-id")) {
		TC_GUARD(parse_hex(name, value, o->chip_id, sizeof(o->chip_id), false));
		o->has_chip_id = true;
	} else if (is(name, "debug")) {
		o->debug = true;
	} else if (is(name, "migration-agent")) {
		o->migration_agent = true;
	} else if (is(name, "smt")) {
		o->smt = true;
	} else if (is(name, "vmpl")) {
		TC_GUARD(parse_uint(name, value, 3, &n));
		o->vmpl = (uint32_t)n;
	} else if (is(name, "reported-tcb")) {
		TC_GUARD(vf_snp_sim_parse_tcb(value, &o->reported));
		o->has_reported = true;
	} else if (is(name, "committed-tcb")) {
		TC_GUARD(vf_snp_sim_parse_tcb(value, &o->committed));
		o->has_committed = true;
	} else if (is(name, "launch-tcb")) {
		TC_GUARD(vf_snp_sim_parse_tcb(value, &o->launch));
		o->has_launch = true;
	} else if (is(name, "current-tcb")) {
		TC_GUARD(vf_snp_sim_parse_tcb(value, &o->current));
		o->has_current = true;
	} else if (is(name, "bad-sig")) {
		o->bad_sig = true;
	} else if (is(name, "sig-algo")) {
		TC_GUARD(parse_uint(name, value, UINT32_MAX, &n));
		o->sig_algo = (uint32_t)n;
	} else if (is(name, "truncate")) {
		TC_GUARD(parse_uint(name, value, VF_SNP_REPORT_LEN - 1, &n));
		TC_ENSURE(n > 0, TC_ERR_INVALID_ARGUMENT, "--truncate wants 1..%d", VF_SNP_REPORT_LEN - 1);
		o->truncate = n;
	} else if (is(name, "unsupported-version")) {
		o->unsupported_version = true;
	} else if (is(name, "vcek-tcb-mismatch")) {
		o->vcek_tcb_mismatch = true;
	} else if (is(name, "chip-id-mismatch")) {
		o->chip_id_mismatch = true;
	} else if (is(name, "vcek-expired")) {
		o->vcek_expired = true;
	} else if (is(name, "vcek-revoked")) {
		o->vcek_revoked = true;
	} else if (is(name, "wrong-product-chain")) {
		o->wrong_product_chain = true;
	} else {
		return tc_fail(TC_ERR_INTERNAL, "knob --%s has no setter", name);
	}
	return tc_ok();
}

TC_RESULT vf_snp_sim_knobs_apply(struct vf_snp_sim_opts *o, const char *line)
{
	char copy[SIM_KNOB_LINE_MAX];
	char *words[SIM_KNOB_WORDS_MAX];
	size_t n = 0;

	TC_ENSURE(strlen(line) < sizeof(copy), TC_ERR_TOO_LARGE, "knob line too long");
	snprintf(copy, sizeof(copy), "%s", line);
	/* split on spaces in place */
	for (char *p = copy; *p;) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		TC_ENSURE(n < SIM_KNOB_WORDS_MAX, TC_ERR_TOO_LARGE, "too many knobs");
		words[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = words[i], *value = NULL;

		TC_ENSURE(strncmp(name, "--", 2) == 0, TC_ERR_INVALID_ARGUMENT, "'%s' is not a --knob", name);
		if (i + 1 < n && strncmp(words[i + 1], "--", 2) != 0)
			value = words[++i];
		TC_GUARD(vf_snp_sim_knob_set(o, name + 2, value));
	}
	return tc_ok();
}
