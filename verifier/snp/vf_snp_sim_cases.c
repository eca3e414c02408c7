/*
 * vf_snp_sim_cases.c — the SEV-SNP simulator's conformance set (`teecert sim snp --pki DIR --cases OUT`).
 *
 * One row per case: the simulator knobs (the exact `teecert sim snp` flags, repeated in the case's notes),
 * the policy overrides, how the manifest deviates from "the collateral and anchor that belong to the
 * evidence", and the expected first failure (../shared/evidence/cases/README.md vocabulary and check order).
 * Every knob is used at least once and every SNP failure code the appraiser can give for a known product
 * line appears; all cases but the *-not-allowed ones set "allow_simulated": true.
 *
 * Output (paths in manifests relative to OUT):
 *   OUT/cases/<name>.json
 *   OUT/snp-sim/<name>/{report.bin, vcek.pem|vlek.pem, ark_ask_chain.pem, amd_crl.der}
 *   OUT/snp-sim/pki/{amd_ark_<p>.pem, collateral-<p>[-vlek]/...}   (copied from the sim PKI)
 */
#include <stdlib.h>
#include <string.h>

#include "vf_snp_sim.h"

#define SIM_DIR_MODE 0755
#define SIM_FILE_MODE 0644
#define SIM_FILE_MAX ((size_t)1024 * 1024)
#define SIM_DAY ((int64_t)24 * 3600)
#define SIM_KNOBS_MAX 512
#define SIM_REL_MAX 256
#define SIM_NAME_MAX 96
#define SIM_DIR_REL_MAX (SIM_NAME_MAX + 16)
#define SIM_HEX_MAX (2 * VF_SNP_REPORT_DATA_LEN + 1)

/* How a manifest deviates from the evidence's own collateral and anchor. */
enum {
	C_NO_ALLOW_SIM = 1u << 0,   /* policy without allow_simulated */
	C_NO_ANCHOR = 1u << 1,      /* no trust_anchors: the built-in (real AMD) ARK applies */
	C_NO_CRL = 1u << 2,         /* no collateral.amd_crl */
	C_OTHER_PRODUCT = 1u << 3,  /* chain, CRL and ARK of the next product line */
	C_VCEK_WITH_ASVK = 1u << 4, /* the VLEK chain (ASVK + ARK) for a VCEK */
	C_CRL_OTHER = 1u << 5,      /* the next product line's CRL */
	C_CRL_EXPIRED = 1u << 6,    /* verify_at after the CRL's nextUpdate (certificates still valid) */
	C_RD_OK = 1u << 7,          /* expected_report_data = REPORT_DATA */
	C_RD_BAD = 1u << 8,         /* expected_report_data = another value */
	C_MEAS_OK = 1u << 9,        /* reference_values.measurement lists MEASUREMENT */
	C_MEAS_BAD = 1u << 10,      /* ... lists another value only */
	C_HOST_OK = 1u << 11,       /* snp_allowed_host_data lists HOST_DATA */
	C_HOST_BAD = 1u << 12,      /* ... lists another value only */
	C_BELOW_LATEST = 1u << 13,  /* REPORTED_TCB one SPL below the TCB table's latest level */
};

struct sim_case {
	const char *name;   /* without the "snp-sim-" prefix */
	const char *knobs;  /* teecert sim snp flags */
	const char *policy; /* JSON object of policy overrides, or NULL */
	unsigned flags;
	const char *failure; /* NULL: accepted */
	const char *why;
};

#define MEAS_HEX "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"
#define HOST_HEX "1111111111111111111111111111111111111111111111111111111111111111"
#define OK_STATUSES "\"accepted_tcb_statuses\":[\"UpToDate\",\"OutOfDate\"]"

static const struct sim_case cases[] = {
	/* accepted: every product line x report version, VLEKs, and the knobs a policy may allow */
	{ "milan-v2-ok", "--product milan --version 2", NULL, 0, NULL,
	  "VCEK-signed v2 report at the table's latest TCB" },
	{ "milan-v3-ok", "--product milan --version 3", NULL, 0, NULL, "v3 adds CPUID family 19h model 01h" },
	{ "milan-v5-ok", "--product milan --version 5", NULL, 0, NULL, "v5 adds the mitigation vectors" },
	{ "genoa-v2-ok", "--product genoa --version 2", NULL, 0, NULL, "Genoa, v2" },
	{ "genoa-v3-ok", "--product genoa --version 3", NULL, 0, NULL, "Genoa, v3 (model 11h)" },
	{ "genoa-v5-ok", "--product genoa --version 5", NULL, 0, NULL, "Genoa, v5" },
	{ "turin-v2-ok", "--product turin --version 2", NULL, 0, NULL,
	  "Turin v2: no CPUID, the Family 1Ah TCB layout comes from the VCEK product" },
	{ "turin-v3-ok", "--product turin --version 3", NULL, 0, NULL, "Turin v3: CPUID family 1Ah, 8-byte hwID" },
	{ "turin-v5-ok", "--product turin --version 5", NULL, 0, NULL, "Turin v5" },
	{ "milan-vlek-ok", "--product milan --vlek", NULL, 0, NULL, "VLEK <- ASVK <- ARK, SIGNING_KEY 1, no hwID" },
	{ "genoa-vlek-ok", "--product genoa --version 3 --vlek", NULL, 0, NULL, "Genoa VLEK" },
	{ "turin-vlek-ok", "--product turin --vlek", NULL, 0, NULL, "Turin VLEK (fmcSPL, cspID)" },
	{ "debug-allowed", "--debug", "{\"allow_debug\":true}", 0, NULL, "DEBUG set and allowed by the policy" },
	{ "migration-agent-allowed", "--migration-agent", "{\"snp_allow_migration_agent\":true}", 0, NULL,
	  "MIGRATE_MA set and allowed" },
	{ "smt-default", "--smt", NULL, 0, NULL, "SMT is allowed by default" },
	{ "vmpl1-allowed", "--vmpl 1", "{\"snp_max_vmpl\":1}", 0, NULL, "VMPL 1 <= snp_max_vmpl 1" },
	{ "measurement-allowed", "--measurement " MEAS_HEX, NULL, C_MEAS_OK, NULL,
	  "MEASUREMENT is in reference_values.measurement" },
	{ "host-data-allowed", "--host-data " HOST_HEX, NULL, C_HOST_OK, NULL,
	  "HOST_DATA is in snp_allowed_host_data" },
	{ "report-data-bound", "", NULL, C_RD_OK, NULL, "REPORT_DATA equals expected_report_data" },
	{ "provisional-firmware", "--current-tcb 255,255,255,255,255", NULL, 0, NULL,
	  "CURRENT_TCB above COMMITTED_TCB (provisional firmware) is permitted by default" },
	{ "reported-tcb-outofdate-accepted", "--reported-tcb 1,0,1,1", "{" OK_STATUSES "}", 0, NULL,
	  "an old REPORTED_TCB, certified by the VCEK, with OutOfDate accepted by the policy" },
	{ "launch-tcb-min-met", "--launch-tcb 1,0,1,1",
	  "{\"snp_min_launch_tcb\":{\"bootloader\":1,\"tee\":0,\"snp\":1,\"microcode\":1}}", 0, NULL,
	  "LAUNCH_TCB meets snp_min_launch_tcb" },
	{ "no-crl-revocation-off", "", "{\"check_revocation\":false}", C_NO_CRL, NULL,
	  "no CRL needed when check_revocation is false" },

	/* 1. parse */
	{ "truncated", "--truncate 1000", NULL, 0, "evidence_malformed", "1000 of 1184 bytes" },
	{ "unsupported-version", "--unsupported-version", NULL, 0, "evidence_unsupported_version", "VERSION 1" },
	{ "sig-algo-2", "--sig-algo 2", NULL, 0, "evidence_unsupported_version",
	  "SIGNATURE_ALGO 2 is not ECDSA P-384" },

	/* 2. chain, then validity */
	{ "not-allowed", "", "{}", C_NO_ALLOW_SIM, "cert_chain_invalid",
	  "a valid sim chain, but the policy does not set allow_simulated" },
	{ "vlek-not-allowed", "--product genoa --vlek", "{}", C_NO_ALLOW_SIM, "cert_chain_invalid",
	  "a valid sim VLEK chain without allow_simulated" },
	{ "expired-not-allowed", "--vcek-expired", "{}", C_NO_ALLOW_SIM, "cert_chain_invalid",
	  "the simulated root is refused before validity is looked at" },
	{ "builtin-anchor", "", NULL, C_NO_ANCHOR, "cert_chain_invalid",
	  "no trust_anchors: the built-in AMD ARK cannot verify a sim ASK, even with allow_simulated" },
	{ "wrong-product-chain", "--product milan --wrong-product-chain", NULL, 0, "cert_chain_invalid",
	  "a Milan VCEK issued by the Genoa ASK (pinned Genoa ARK): one product line throughout" },
	{ "turin-vlek-wrong-product-chain", "--product turin --vlek --wrong-product-chain", NULL, 0,
	  "cert_chain_invalid", "a Turin VLEK issued by the Milan ASVK" },
	{ "other-product-anchor", "--product milan", NULL, C_OTHER_PRODUCT, "cert_chain_invalid",
	  "a Milan VCEK against the Genoa chain and ARK" },
	{ "vcek-with-asvk-chain", "--product genoa", NULL, C_VCEK_WITH_ASVK, "cert_chain_invalid",
	  "a VCEK with the ASVK chain" },
	{ "vcek-expired", "--vcek-expired", NULL, 0, "cert_expired", "the VCEK expired a year before verify_at" },
	{ "turin-vlek-expired", "--product turin --vlek --vcek-expired", NULL, 0, "cert_expired", "an expired VLEK" },

	/* 3. signature */
	{ "bad-sig", "--bad-sig", NULL, 0, "evidence_signature_invalid", "one bit of R flipped" },
	{ "turin-v2-bad-sig", "--product turin --version 2 --bad-sig", NULL, 0, "evidence_signature_invalid",
	  "Turin v2, one bit of R flipped" },

	/* 4. nonce */
	{ "report-data-mismatch", "", NULL, C_RD_BAD, "nonce_mismatch", "expected_report_data differs" },

	/* 5. collateral: the ARK-signed CRL */
	{ "crl-missing", "", NULL, C_NO_CRL, "collateral_missing", "check_revocation needs the CRL" },
	{ "crl-other-product", "--product milan", NULL, C_CRL_OTHER, "collateral_signature_invalid",
	  "the Genoa ARK's CRL for a Milan chain" },
	{ "crl-expired", "", NULL, C_CRL_EXPIRED, "collateral_expired",
	  "verify_at one day after the CRL's nextUpdate; the certificates are still valid" },
	{ "vcek-revoked", "--vcek-revoked", NULL, 0, "cert_revoked",
	  "the CRL lists the ASK that issued the VCEK (AMD's CRL is signed by the ARK and revokes ASKs/ASVKs)" },
	{ "vlek-revoked", "--product genoa --vlek --vcek-revoked", NULL, 0, "cert_revoked",
	  "the CRL lists the ASVK that issued the VLEK" },

	/* 6. TCB and measurement */
	{ "vcek-tcb-mismatch", "--vcek-tcb-mismatch", NULL, 0, "tcb_mismatch", "VCEK snpSPL = REPORTED_TCB.SNP + 1" },
	{ "turin-vcek-tcb-mismatch", "--product turin --version 3 --vcek-tcb-mismatch", NULL, 0, "tcb_mismatch",
	  "Turin layout, VCEK snpSPL off by one" },
	{ "chip-id-mismatch", "--product genoa --chip-id-mismatch", NULL, 0, "tcb_mismatch",
	  "the VCEK hwID differs from CHIP_ID in one bit" },
	{ "turin-chip-id-mismatch", "--product turin --chip-id-mismatch", NULL, 0, "tcb_mismatch",
	  "Turin 8-byte hwID differs from CHIP_ID[0..7]" },
	{ "tcb-outofdate", "--product milan --version 3", NULL, C_BELOW_LATEST, "tcb_status_rejected",
	  "REPORTED_TCB one SPL below the built-in table's latest level at verify_at -> OutOfDate, not in the "
	  "default accepted_tcb_statuses" },
	{ "product-mismatch", "--product milan", "{\"snp_product\":\"Genoa\"}", 0, "product_mismatch",
	  "snp_product Genoa for a Milan VCEK" },
	{ "measurement-mismatch", "--measurement " MEAS_HEX, NULL, C_MEAS_BAD, "measurement_mismatch",
	  "MEASUREMENT is not in reference_values.measurement" },

	/* 7. policy */
	{ "debug-default", "--debug", NULL, 0, "debug_not_allowed", "DEBUG set, allow_debug false by default" },
	{ "turin-debug-default", "--product turin --debug", NULL, 0, "debug_not_allowed", "Turin, DEBUG set" },
	{ "migration-agent-default", "--migration-agent", NULL, 0, "policy_violation", "MIGRATE_MA set" },
	{ "smt-not-allowed", "--smt", "{\"snp_require_no_smt\":true}", 0, "policy_violation",
	  "SMT set, snp_require_no_smt" },
	{ "vmpl2-above-max", "--vmpl 2", "{\"snp_max_vmpl\":1}", 0, "policy_violation", "VMPL 2 > snp_max_vmpl 1" },
	{ "min-snp-tcb", "", "{\"min_snp_tcb\":{\"bootloader\":255,\"tee\":255,\"snp\":255,\"microcode\":255}}", 0,
	  "policy_violation", "REPORTED_TCB below min_snp_tcb" },
	{ "reported-tcb-below-min", "--reported-tcb 1,0,1,1",
	  "{" OK_STATUSES ",\"min_snp_tcb\":{\"bootloader\":2,\"tee\":0,\"snp\":0,\"microcode\":0}}", 0,
	  "policy_violation", "REPORTED_TCB bootloader 1 < min_snp_tcb 2" },
	{ "committed-above-current", "--committed-tcb 9,9,9,9,9 --current-tcb 8,8,8,8,8", NULL, 0, "policy_violation",
	  "COMMITTED_TCB above CURRENT_TCB is an impossible anti-rollback state" },
	{ "launch-tcb-below-min", "--launch-tcb 1,0,1,1",
	  "{\"snp_min_launch_tcb\":{\"bootloader\":2,\"tee\":0,\"snp\":1,\"microcode\":1}}", 0, "policy_violation",
	  "LAUNCH_TCB below snp_min_launch_tcb" },
	{ "provisional-not-permitted", "--current-tcb 255,255,255,255,255",
	  "{\"snp_permit_provisional_firmware\":false}", 0, "policy_violation",
	  "CURRENT_TCB != COMMITTED_TCB and snp_permit_provisional_firmware false" },
	{ "host-data-not-allowed", "--host-data " HOST_HEX, NULL, C_HOST_BAD, "policy_violation",
	  "HOST_DATA not in snp_allowed_host_data" },
	{ "turin-v5-vlek-report-data-bound", "--product turin --version 5 --vlek --vmpl 3", NULL, C_RD_OK, NULL,
	  "Turin VLEK at VMPL 3 (the default snp_max_vmpl) with the nonce bound" },
};

/* ------------------------------------------------------------------------------------------ helpers */

struct gen {
	const char *pki_dir, *out_dir;
	int64_t now;
	char verify_at[TC_TIME_RFC3339_LEN];
};

static TC_RESULT path_of(char *buf, const char *dir, const char *rel)
{
	TC_ENSURE(snprintf(buf, VF_SNP_SIM_PATH_MAX, "%s/%s", dir, rel) < VF_SNP_SIM_PATH_MAX, TC_ERR_TOO_LARGE,
		  "path %s/%s is too long", dir, rel);
	return tc_ok();
}

/* Write DATA to OUT_DIR/REL. */
static TC_RESULT put(const struct gen *g, const char *rel, const void *data, size_t len)
{
	char path[VF_SNP_SIM_PATH_MAX];

	TC_GUARD(path_of(path, g->out_dir, rel));
	return tc_file_write(path, data, len, SIM_FILE_MODE);
}

/* Copy PKI_DIR/REL to OUT_DIR/snp-sim/pki/REL. */
static TC_RESULT copy_pki(const struct gen *g, const char *rel)
{
	char src[VF_SNP_SIM_PATH_MAX], dst[SIM_REL_MAX];
	struct tc_buf b;
	struct tc_result r;

	TC_GUARD(path_of(src, g->pki_dir, rel));
	TC_ENSURE(snprintf(dst, sizeof(dst), "snp-sim/pki/%s", rel) < (int)sizeof(dst), TC_ERR_TOO_LARGE, "path");
	tc_buf_init(&b, SIM_FILE_MAX);
	r = tc_file_read(src, SIM_FILE_MAX, &b);
	if (tc_is_ok(r))
		r = put(g, dst, b.data, b.len);
	tc_buf_cleanup(&b);
	return r;
}

static TC_RESULT mkdir_rel(const struct gen *g, const char *rel)
{
	char path[VF_SNP_SIM_PATH_MAX];

	TC_GUARD(path_of(path, g->out_dir, rel));
	return vf_snp_sim_mkdir(path, SIM_DIR_MODE);
}

/* The public half of the sim PKI beside the cases, so that manifests can name it relative to OUT_DIR. */
static TC_RESULT copy_pki_files(const struct gen *g)
{
	TC_GUARD(mkdir_rel(g, "snp-sim"));
	TC_GUARD(mkdir_rel(g, "snp-sim/pki"));
	for (size_t i = 0; i < VF_SNP_SIM_N_PRODUCTS; i++) {
		const char *id = vf_snp_sim_product_at(i)->id;
		char rel[SIM_REL_MAX];

		snprintf(rel, sizeof(rel), "amd_ark_%s.pem", id);
		TC_GUARD(copy_pki(g, rel));
		for (int vlek = 0; vlek < 2; vlek++) {
			const char *sfx = vlek ? "-vlek" : "";

			snprintf(rel, sizeof(rel), "snp-sim/pki/collateral-%s%s", id, sfx);
			TC_GUARD(mkdir_rel(g, rel));
			snprintf(rel, sizeof(rel), "collateral-%s%s/ark_ask_chain.pem", id, sfx);
			TC_GUARD(copy_pki(g, rel));
			snprintf(rel, sizeof(rel), "collateral-%s%s/amd_crl.der", id, sfx);
			TC_GUARD(copy_pki(g, rel));
		}
	}
	return tc_ok();
}

static const struct vf_snp_sim_product *next_product(const struct vf_snp_sim_product *p)
{
	for (size_t i = 0; i < VF_SNP_SIM_N_PRODUCTS; i++)
		if (vf_snp_sim_product_at(i) == p)
			return vf_snp_sim_product_at((i + 1) % VF_SNP_SIM_N_PRODUCTS);
	return p;
}

/* REPORTED_TCB one SPL below the table's latest level at NOW (appended to KNOBS as --reported-tcb). */
static TC_RESULT below_latest(struct vf_snp_sim_opts *o, char *knobs, size_t size)
{
	struct vf_snp_tcb zero = { 0 }, t;
	struct vf_snp_tcb_verdict v;
	int model = o->version >= VF_SNP_REPORT_V3 ? o->product->model : -1;
	uint8_t *order[] = { &t.snp, &t.bootloader, &t.microcode, &t.tee, &t.fmc };
	size_t used = strlen(knobs);
	bool lowered = false;

	TC_GUARD(vf_snp_tcb_evaluate(NULL, o->product->name, model, &zero, o->product->layout, o->now, &v));
	t = v.latest;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && !lowered; i++) {
		if (*order[i] > 0) {
			(*order[i])--;
			lowered = true;
		}
	}
	TC_ENSURE(lowered, TC_ERR_INTERNAL, "the SNP TCB table has no %s level above zero at this time",
		  o->product->name);
	o->reported = t;
	o->has_reported = true;
	snprintf(knobs + used, size - used, " --reported-tcb %u,%u,%u,%u", t.bootloader, t.tee, t.snp, t.microcode);
	return tc_ok();
}

/* Lowercase hex of DATA, or of its bitwise complement (a value that is certainly different). */
static json_t *hex_value(const uint8_t *data, size_t len, bool invert)
{
	uint8_t v[VF_SNP_REPORT_DATA_LEN];

	if (len > sizeof(v))
		return NULL;
	for (size_t i = 0; i < len; i++)
		v[i] = invert ? (uint8_t)~data[i] : data[i];
	return tc_json_hex(v, len);
}

static json_t *hex_list(const uint8_t *data, size_t len, bool invert)
{
	return json_pack("[o]", hex_value(data, len, invert));
}

/* The manifest's policy: the row's overrides, allow_simulated, and the flag-driven values. */
static TC_RESULT case_policy(const struct sim_case *c, const struct vf_snp_report *rep, json_t **out)
{
	json_error_t err;
	json_t *p = c->policy ? json_loads(c->policy, 0, &err) : json_object();
	bool ok = p != NULL;

	TC_ENSURE(ok, TC_ERR_INTERNAL, "case %s: policy JSON: %s", c->name, c->policy ? err.text : "?");
	if (!(c->flags & C_NO_ALLOW_SIM))
		ok = json_object_set_new(p, "allow_simulated", json_true()) == 0;
	if (ok && (c->flags & (C_RD_OK | C_RD_BAD)))
		ok = json_object_set_new(p, "expected_report_data",
					 hex_value(rep->report_data, VF_SNP_REPORT_DATA_LEN, c->flags & C_RD_BAD)) == 0;
	if (ok && (c->flags & (C_MEAS_OK | C_MEAS_BAD)))
		ok = json_object_set_new(
			     p, "reference_values",
			     json_pack("{s:o}", "measurement",
				       hex_list(rep->measurement, VF_SNP_MEASUREMENT_LEN, c->flags & C_MEAS_BAD))) == 0;
	if (ok && (c->flags & (C_HOST_OK | C_HOST_BAD)))
		ok = json_object_set_new(p, "snp_allowed_host_data",
					 hex_list(rep->host_data, VF_SNP_HOST_DATA_LEN, c->flags & C_HOST_BAD)) == 0;
	if (!ok) {
		json_decref(p);
		return tc_fail(TC_ERR_NO_MEMORY, "case %s: policy", c->name);
	}
	*out = p;
	return tc_ok();
}

static TC_RESULT obj_set(json_t *o, const char *key, json_t *v)
{
	TC_ENSURE(v && json_object_set_new(o, key, v) == 0, TC_ERR_NO_MEMORY, "manifest field %s", key);
	return tc_ok();
}

/* ---------------------------------------------------------------------------------------- one case */

static TC_RESULT one_case(const struct gen *g, const struct sim_case *c)
{
	char name[SIM_NAME_MAX], dir[SIM_DIR_REL_MAX], rel[SIM_REL_MAX], knobs[SIM_KNOBS_MAX], at[TC_TIME_RFC3339_LEN];
	const struct vf_snp_sim_product *anchor;
	struct vf_snp_sim_opts o;
	struct vf_snp_sim_output out;
	struct vf_snp_report rep;
	uint8_t full[VF_SNP_REPORT_LEN];
	json_t *m = NULL, *ev, *coll, *anchors, *expect, *policy = NULL;
	char *text = NULL;
	const char *leaf_role;
	struct tc_result r = tc_ok();

	vf_snp_sim_output_init(&out);
	snprintf(name, sizeof(name), "snp-sim-%s", c->name);
	snprintf(knobs, sizeof(knobs), "%s", c->knobs);
	vf_snp_sim_opts_init(&o, g->now);
	TC_GUARD_GOTO(r, vf_sha512(name, strlen(name), o.report_data), out);
	TC_GUARD_GOTO(r, vf_snp_sim_knobs_apply(&o, c->knobs), out);
	if (c->flags & C_BELOW_LATEST)
		TC_GUARD_GOTO(r, below_latest(&o, knobs, sizeof(knobs)), out);
	TC_GUARD_GOTO(r, vf_snp_sim_emit(g->pki_dir, &o, &out), out);

	/* the emitted files */
	leaf_role = o.vlek ? "vlek" : "vcek";
	snprintf(dir, sizeof(dir), "snp-sim/%s", name);
	TC_GUARD_GOTO(r, mkdir_rel(g, dir), out);
	snprintf(rel, sizeof(rel), "%s/report.bin", dir);
	TC_GUARD_GOTO(r, put(g, rel, out.report.data, out.report.len), out);
	snprintf(rel, sizeof(rel), "%s/%s.pem", dir, leaf_role);
	TC_GUARD_GOTO(r, put(g, rel, out.leaf_pem.data, out.leaf_pem.len), out);
	snprintf(rel, sizeof(rel), "%s/ark_ask_chain.pem", dir);
	TC_GUARD_GOTO(r, put(g, rel, out.chain_pem.data, out.chain_pem.len), out);
	snprintf(rel, sizeof(rel), "%s/amd_crl.der", dir);
	TC_GUARD_GOTO(r, put(g, rel, out.crl_der.data, out.crl_der.len), out);

	/* the report's own values (a truncated report is re-read in full from the encoder's bytes) */
	memset(full, 0, sizeof(full));
	memcpy(full, out.report.data, out.report.len);
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.report_data, o.report_data, sizeof(rep.report_data));
	if (out.report.len == VF_SNP_REPORT_LEN && !o.unsupported_version &&
	    o.sig_algo == VF_SNP_SIG_ALGO_ECDSA_P384_SHA384)
		TC_GUARD_GOTO(r, vf_snp_report_parse(full, sizeof(full), &rep), out);

	/* the manifest */
	m = json_object();
	ev = json_object();
	coll = json_object();
	anchors = json_object();
	expect = json_object();
	TC_ENSURE_GOTO(r, m && ev && coll && anchors && expect, out, TC_ERR_NO_MEMORY, "manifest");
	TC_GUARD_GOTO(r, obj_set(m, "schema", json_integer(1)), out);
	TC_GUARD_GOTO(r, obj_set(m, "name", json_string(name)), out);
	TC_GUARD_GOTO(r, obj_set(m, "tee", json_string("snp")), out);
	TC_GUARD_GOTO(r, obj_set(m, "evidence", ev), out);
	TC_GUARD_GOTO(r, obj_set(m, "collateral", coll), out);
	TC_GUARD_GOTO(r, obj_set(m, "trust_anchors", anchors), out);
	snprintf(rel, sizeof(rel), "%s/report.bin", dir);
	TC_GUARD_GOTO(r, obj_set(ev, "snp_report", json_string(rel)), out);
	snprintf(rel, sizeof(rel), "%s/%s.pem", dir, leaf_role);
	TC_GUARD_GOTO(r, obj_set(ev, leaf_role, json_string(rel)), out);

	anchor = out.anchor_product;
	if (c->flags & C_OTHER_PRODUCT) {
		anchor = next_product(anchor);
		snprintf(rel, sizeof(rel), "snp-sim/pki/collateral-%s%s/ark_ask_chain.pem", anchor->id,
			 o.vlek ? "-vlek" : "");
	} else if (c->flags & C_VCEK_WITH_ASVK) {
		snprintf(rel, sizeof(rel), "snp-sim/pki/collateral-%s-vlek/ark_ask_chain.pem", anchor->id);
	} else {
		snprintf(rel, sizeof(rel), "%s/ark_ask_chain.pem", dir);
	}
	TC_GUARD_GOTO(r, obj_set(coll, "ark_ask_chain", json_string(rel)), out);
	if (!(c->flags & C_NO_CRL)) {
		if (c->flags & (C_CRL_OTHER | C_OTHER_PRODUCT))
			snprintf(rel, sizeof(rel), "snp-sim/pki/collateral-%s/amd_crl.der",
				 next_product(out.anchor_product)->id);
		else
			snprintf(rel, sizeof(rel), "%s/amd_crl.der", dir);
		TC_GUARD_GOTO(r, obj_set(coll, "amd_crl", json_string(rel)), out);
	}
	if (!(c->flags & C_NO_ANCHOR)) {
		snprintf(rel, sizeof(rel), "snp-sim/pki/amd_ark_%s.pem", anchor->id);
		TC_GUARD_GOTO(r, obj_set(anchors, "amd_ark", json_string(rel)), out);
	}
	snprintf(at, sizeof(at), "%s", g->verify_at);
	if (c->flags & C_CRL_EXPIRED)
		TC_GUARD_GOTO(r, tc_time_format(g->now + (VF_SNP_SIM_CRL_DAYS + 1) * SIM_DAY, at), out);
	TC_GUARD_GOTO(r, obj_set(m, "verify_at", json_string(at)), out);
	TC_GUARD_GOTO(r, case_policy(c, &rep, &policy), out);
	TC_GUARD_GOTO(r, obj_set(m, "policy", policy), out);
	policy = NULL;

	TC_GUARD_GOTO(r, obj_set(m, "expect", expect), out);
	TC_GUARD_GOTO(r, obj_set(expect, "verdict", json_string(c->failure ? "rejected" : "accepted")), out);
	if (c->failure)
		TC_GUARD_GOTO(r, obj_set(expect, "failure", json_string(c->failure)), out);
	if (c->flags & C_BELOW_LATEST)
		TC_GUARD_GOTO(r, obj_set(expect, "tcb_status", json_string("OutOfDate")), out);
	if (!c->failure)
		TC_GUARD_GOTO(r,
			      obj_set(expect, "claims",
				      json_pack("{s:o,s:o}", "measurement",
						tc_json_hex(rep.measurement, sizeof(rep.measurement)), "report_data",
						tc_json_hex(rep.report_data, sizeof(rep.report_data)))),
			      out);
	TC_GUARD_GOTO(r, obj_set(m, "source", json_string("teecert sim snp (generated by vf_snp_sim_cases)")), out);
	TC_GUARD_GOTO(r,
		      obj_set(m, "notes",
			      json_pack("s++++", "Own: teecert sim snp --pki PKI ", knobs, " -- ", c->why,
					c->failure ? "" : ".")),
		      out);

	snprintf(rel, sizeof(rel), "cases/%s.json", name);
	text = json_dumps(m, JSON_INDENT(2));
	TC_ENSURE_GOTO(r, text, out, TC_ERR_NO_MEMORY, "manifest text");
	r = put(g, rel, text, strlen(text));
out:
	free(text);
	json_decref(policy);
	json_decref(m);
	vf_snp_sim_output_cleanup(&out);
	return r;
}

TC_RESULT vf_snp_sim_cases(const char *pki_dir, const char *out_dir, int64_t now, size_t *n_cases)
{
	struct gen g = { .pki_dir = pki_dir, .out_dir = out_dir, .now = now };
	size_t n = 0;

	TC_GUARD(tc_time_format(now, g.verify_at));
	TC_GUARD(vf_snp_sim_mkdir(out_dir, SIM_DIR_MODE));
	TC_GUARD(mkdir_rel(&g, "cases"));
	TC_GUARD(copy_pki_files(&g));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tc_result r = one_case(&g, &cases[i]);

		TC_ENSURE(tc_is_ok(r), r.code, "case snp-sim-%s: %s", cases[i].name, tc_error_detail());
		n++;
	}
	*n_cases = n;
	return tc_ok();
}
