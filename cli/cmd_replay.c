/*
 * cmd_replay.c — `teecert replay APPRAISAL_ID --db DSN [--json]` (docs/collateral.md "Replay", docs/cli.md):
 * re-run the appraisal behind a certificate with exactly the bytes it used and compare.
 *
 * APPRAISAL_ID is the certificate serial (hex; appraisals are keyed by it, migration 0005). From the
 * database: the stored evidence (appraisals.evidence: one item, or the CMW collection of several — SNP
 * report + VCEK, GPUs), every collateral item and trust anchor by the SHA-256 the appraisal recorded
 * (collateral_history, migration 0006; the pinned vendor roots are built in), and the policy by digest
 * (policies + the per-request expected report data / GPU nonce, recovered from the appraisal's own claims).
 * vf_appraise runs at the appraisal's own time; verdict, failure, devices (TCB status, advisories, claims),
 * collateral digests, policy and evidence digests are compared. Output: "identical" or one line per
 * difference. Exit: 0 identical, 2 differs, 3 data missing or database failure, 1 usage.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ca.h"
#include "cli.h"
#include "db.h"
#include "vf.h"

#define REPLAY_PROG "teecert replay"
#define REPLAY_SERIAL_MAX 20

static void replay_usage(FILE *f)
{
	fprintf(f, "usage: teecert replay APPRAISAL_ID --db DSN [--json]\n"
		   "Re-run the stored appraisal of the certificate with serial APPRAISAL_ID (hex) with the exact\n"
		   "evidence, collateral, trust anchors and policy it used, at its own time, and compare.\n"
		   "  --db DSN   the CA's PostgreSQL database (default: $TEECERT_DB_DSN)\n"
		   "  --json     print the replayed appraisal JSON after the comparison\n"
		   "exit: 0 identical, 2 differs, 3 missing data or database failure, 1 usage\n");
}

/* Everything a replay holds (owned). */
struct replay {
	struct db_conn *conn;
	struct db_cert_appraisal row;
	json_t *stored;
	struct ca_ext_evidence cmw;
	struct vf_input cpu, gpu;
	struct tc_buf bytes[2 * VF_MAX_ITEMS];
	size_t n_bytes;
	char roles[2 * VF_MAX_ITEMS][VF_COLL_ROLE_MAX];
	size_t n_roles;
	struct vf_policy policy, gpu_policy;
	int64_t at;
	int diffs;
};

TC_PRINTF(1, 2) static int replay_missing(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: missing: ", REPLAY_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return CLI_EXIT_INTERNAL;
}

static int replay_fail(struct tc_result r, const char *what)
{
	fprintf(stderr, "%s: %s: %s: %s\n", REPLAY_PROG, what, tc_error_info(r.code)->code, tc_error_detail());
	return CLI_EXIT_INTERNAL;
}

/* A JSON string's text, "" when it is not a string. */
static const char *replay_str(const json_t *v)
{
	const char *s = json_string_value(v);
	return s != NULL ? s : "";
}

static const char *replay_role(struct replay *rp, const char *role)
{
	if (rp->n_roles == sizeof(rp->roles) / sizeof(rp->roles[0]))
		return NULL;
	snprintf(rp->roles[rp->n_roles], VF_COLL_ROLE_MAX, "%s", role);
	return rp->roles[rp->n_roles++];
}

/* GPU items ("gpu<N>.*", RIMs, OCSP responses, NVIDIA roots) go to the GPU appraisal. */
static bool replay_is_gpu(const char *role)
{
	return strncmp(role, "gpu", 3) == 0 || strncmp(role, "driver_rim", 10) == 0 ||
	       strncmp(role, "vbios_rim", 9) == 0 || strncmp(role, "ocsp", 4) == 0 || strncmp(role, "nvidia_", 7) == 0;
}

static bool replay_is_anchor(const char *role)
{
	return strcmp(role, "intel_root") == 0 || strncmp(role, "amd_ark", 7) == 0 ||
	       strcmp(role, "nvidia_device_root") == 0 || strcmp(role, "nvidia_rim_root") == 0;
}

static TC_RESULT replay_add(struct vf_input *in, bool evidence, bool anchor, const char *role, const uint8_t *data,
			    size_t len)
{
	struct vf_item *list = evidence ? in->evidence : anchor ? in->anchors : in->collateral;
	size_t *n = evidence ? &in->n_evidence : anchor ? &in->n_anchors : &in->n_collateral;
	TC_ENSURE(*n < VF_MAX_ITEMS, TC_ERR_TOO_LARGE, "too many items");
	list[(*n)++] = (struct vf_item){ .role = role, .data = data, .len = len };
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ evidence */

/* "gpu<N>.spdm" before "gpu<N>.cert_chain", by N: the order POST /v1/certificates appraised them in. */
static int replay_gpu_rank(const char *role)
{
	long n = strtol(role + 3, NULL, 10);
	return (int)(2 * n + (strstr(role, ".cert_chain") != NULL));
}

static int replay_evidence(struct replay *rp)
{
	const char *type = rp->row.evidence_type;
	if (strcmp(type, "tdx_quote") == 0 || strcmp(type, "snp_report") == 0) {
		rp->cpu.tee = strcmp(type, "tdx_quote") == 0 ? VF_TEE_TDX : VF_TEE_SNP;
		struct tc_result r =
			replay_add(&rp->cpu, true, false, type, rp->row.evidence.data, rp->row.evidence.len);
		return tc_is_ok(r) ? CLI_EXIT_OK : replay_fail(r, "evidence");
	}
	if (strcmp(type, "cmw") != 0)
		return replay_missing("evidence of unknown type '%s'", type);
	struct tc_result r = ca_ext_evidence_decode(rp->row.evidence.data, rp->row.evidence.len, &rp->cmw);
	if (!tc_is_ok(r))
		return replay_fail(r, "stored CMW evidence");
	/* CPU items in the appraisal's order (quote | report then key), then the GPUs by index. */
	static const char *const cpu_order[] = { "tdx_quote", "snp_report", "vcek", "vlek" };
	for (size_t k = 0; k < sizeof(cpu_order) / sizeof(cpu_order[0]); k++)
		for (size_t i = 0; i < rp->cmw.n_items; i++)
			if (strcmp(rp->cmw.items[i].role, cpu_order[k]) == 0 && tc_is_ok(r))
				r = replay_add(&rp->cpu, true, false, cpu_order[k], rp->cmw.items[i].data,
					       rp->cmw.items[i].len);
	rp->cpu.tee = vf_item_find(rp->cpu.evidence, rp->cpu.n_evidence, "tdx_quote") ? VF_TEE_TDX : VF_TEE_SNP;
	rp->gpu.tee = VF_TEE_NVIDIA;
	for (int rank = 0; rank < 2 * VF_MAX_DEVICES && tc_is_ok(r); rank++)
		for (size_t i = 0; i < rp->cmw.n_items; i++)
			if (strncmp(rp->cmw.items[i].role, "gpu", 3) == 0 &&
			    replay_gpu_rank(rp->cmw.items[i].role) == rank) {
				const char *role = replay_role(rp, rp->cmw.items[i].role);
				r = role ? replay_add(&rp->gpu, true, false, role, rp->cmw.items[i].data,
						      rp->cmw.items[i].len) :
					   tc_fail(TC_ERR_TOO_LARGE, "too many roles");
			}
	if (!tc_is_ok(r))
		return replay_fail(r, "evidence");
	if (rp->cpu.n_evidence == 0)
		return replay_missing("%s", "the stored CMW evidence has no CPU evidence");
	return CLI_EXIT_OK;
}

/* ----------------------------------------------------------------------------------------- collateral */

static bool replay_hex32(const char *hex, uint8_t out[32])
{
	struct tc_buf b;
	tc_buf_init(&b, 32);
	bool ok = hex != NULL && tc_is_ok(tc_hex_decode(hex, strlen(hex), &b)) && b.len == 32;
	if (ok)
		memcpy(out, b.data, 32);
	tc_buf_cleanup(&b);
	return ok;
}

/* A pinned vendor root with DIGEST (the appraisal used a built-in anchor), or NULL. */
static const char *replay_builtin_anchor(const uint8_t digest[32])
{
	static const char *const names[] = { "intel_root",    "amd_ark_milan",      "amd_ark_genoa",
					     "amd_ark_turin", "nvidia_device_root", "nvidia_rim_root" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *pem = vf_default_anchor(names[i]);
		uint8_t d[32];
		if (pem != NULL && SHA256((const uint8_t *)pem, strlen(pem), d) != NULL && memcmp(d, digest, 32) == 0)
			return pem;
	}
	return NULL;
}

static int replay_collateral(struct replay *rp)
{
	json_t *digests = json_object_get(rp->stored, "collateral_digests");
	size_t i;
	json_t *d;

	if (!json_is_array(digests))
		return replay_missing("%s", "the stored appraisal has no collateral_digests");
	json_array_foreach(digests, i, d) {
		const char *role_s = json_string_value(json_object_get(d, "role"));
		const char *hex = json_string_value(json_object_get(d, "sha256"));
		uint8_t digest[32];
		char kind[DB_COLL_KIND_MAX + 16], key[DB_COLL_KEY_MAX + 1];
		bool found = false;

		if (role_s == NULL || !replay_hex32(hex, digest))
			return replay_missing("%s", "a malformed collateral digest entry");
		if (rp->n_bytes == sizeof(rp->bytes) / sizeof(rp->bytes[0]))
			return replay_missing("%s", "more collateral digests than supported");
		struct tc_buf *b = &rp->bytes[rp->n_bytes++];
		tc_buf_init(b, DB_COLL_RAW_MAX);
		struct tc_result r = db_collateral_history_get(rp->conn, digest, b, kind, key, &found);
		if (!tc_is_ok(r))
			return replay_fail(r, "collateral_history");
		bool anchor = replay_is_anchor(role_s);
		if (!found && anchor) {
			const char *pem = replay_builtin_anchor(digest);
			found = pem != NULL && tc_is_ok(tc_buf_append(b, pem, strlen(pem)));
		}
		if (!found)
			return replay_missing("%s (sha256 %s) is not in collateral_history", role_s, hex);
		uint8_t check[32];
		SHA256(b->data, b->len, check);
		if (memcmp(check, digest, 32) != 0)
			return replay_missing("%s: the stored bytes do not hash to %s", role_s, hex);
		const char *role = replay_role(rp, role_s);
		if (role == NULL)
			return replay_missing("%s", "more roles than supported");
		r = replay_add(replay_is_gpu(role) ? &rp->gpu : &rp->cpu, false, anchor, role, b->data, b->len);
		if (!tc_is_ok(r))
			return replay_fail(r, "collateral");
	}
	return CLI_EXIT_OK;
}

/* -------------------------------------------------------------------------------------------- policy */

/* A claim of device ID (hex) into OUT of LEN bytes; false when absent. */
static bool replay_claim(json_t *stored, const char *id, const char *claim, uint8_t *out, size_t len)
{
	size_t i;
	json_t *dev;
	json_array_foreach(json_object_get(stored, "devices"), i, dev) {
		if (strcmp(replay_str(json_object_get(dev, "id")), id) != 0)
			continue;
		const char *hex = json_string_value(json_object_get(json_object_get(dev, "claims"), claim));
		struct tc_buf b;
		tc_buf_init(&b, len);
		bool ok = hex != NULL && tc_is_ok(tc_hex_decode(hex, strlen(hex), &b)) && b.len == len;
		if (ok)
			memcpy(out, b.data, len);
		tc_buf_cleanup(&b);
		return ok;
	}
	return false;
}

/* The canonical policy JSON back into P: null knobs are "not set" (vf_policy_to_json writes every knob). */
static TC_RESULT replay_policy_parse(const char *text, struct vf_policy *p)
{
	json_t *j = NULL;
	TC_GUARD(tc_json_parse(text, strlen(text), DB_POLICY_MAX, &j));
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(j, tmp, k, v) {
		if (json_is_null(v))
			json_object_del(j, k);
	}
	struct tc_result r =
		json_is_object(j) ? vf_policy_from_json(p, j) : tc_fail(TC_ERR_JSON_FIELD_INVALID, "not an object");
	json_decref(j);
	return r;
}

static int replay_policy(struct replay *rp)
{
	uint8_t *digests = NULL;
	char **texts = NULL;
	size_t n = 0;
	int rc = CLI_EXIT_INTERNAL;
	uint8_t rd[VF_REPORT_DATA_LEN], nonce[VF_GPU_NONCE_LEN];
	bool has_rd = replay_claim(rp->stored, "cpu0", "report_data", rd, sizeof(rd));
	bool has_nonce = replay_claim(rp->stored, "gpu0", "nonce", nonce, sizeof(nonce));
	struct tc_result r = db_policy_list(rp->conn, &digests, &texts, &n);

	if (!tc_is_ok(r))
		return replay_fail(r, "policies");
	for (size_t i = 0; i < n && rc != CLI_EXIT_OK; i++) {
		uint8_t d[32];
		SHA256((const uint8_t *)texts[i], strlen(texts[i]), d);
		if (memcmp(d, digests + 32 * i, 32) != 0) {
			char hex[65];
			(void)tc_is_ok(tc_hex_encode(digests + 32 * i, 32, hex, sizeof(hex)));
			fprintf(stderr,
				"%s: policies row %s: the stored JSON does not hash to its digest (altered); skipped\n",
				REPLAY_PROG, hex);
			continue;
		}
		/* As the CA used it: the base policy plus the request's expected report data. */
		for (int with_rd = 0; with_rd < 2 && rc != CLI_EXIT_OK; with_rd++) {
			struct vf_policy p;
			vf_policy_init(&p);
			if (!tc_is_ok(replay_policy_parse(texts[i], &p)) || (with_rd && !has_rd)) {
				vf_policy_cleanup(&p);
				continue;
			}
			if (with_rd) {
				p.has_expected_report_data = true;
				memcpy(p.expected_report_data, rd, sizeof(rd));
			}
			if (tc_is_ok(vf_policy_digest(&p, d)) && memcmp(d, rp->row.policy_digest, 32) == 0) {
				rp->policy = p;
				rc = CLI_EXIT_OK;
			} else {
				vf_policy_cleanup(&p);
			}
		}
	}
	db_policy_list_free(&digests, &texts, n);
	if (rc != CLI_EXIT_OK) {
		char hex[65];
		(void)tc_is_ok(tc_hex_encode(rp->row.policy_digest, 32, hex, sizeof(hex)));
		return replay_missing(
			"no stored policy gives the recorded policy digest %s (policies rows missing or altered)", hex);
	}
	/* The GPU appraisal: the same knobs, the GPU nonce instead of the report data (api_certificates.c). */
	vf_policy_init(&rp->gpu_policy);
	rp->gpu_policy.accepted_tcb_statuses = rp->policy.accepted_tcb_statuses;
	json_t *pj = NULL;
	r = vf_policy_to_json(&rp->policy, &pj);
	if (tc_is_ok(r)) {
		json_object_del(pj, "expected_report_data");
		json_object_del(pj, "expected_nonce");
		char *text = json_dumps(pj, JSON_COMPACT);
		r = text ? replay_policy_parse(text, &rp->gpu_policy) : tc_fail(TC_ERR_NO_MEMORY, "policy");
		free(text);
	}
	json_decref(pj);
	if (!tc_is_ok(r))
		return replay_fail(r, "GPU policy");
	rp->gpu_policy.has_expected_nonce = has_nonce;
	memcpy(rp->gpu_policy.expected_nonce, nonce, sizeof(nonce));
	return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------- compare */

static void replay_diff(struct replay *rp, const char *what, const json_t *stored, const json_t *now)
{
	char *a = stored ? json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	char *b = now ? json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	printf("differs: %s: stored %.300s, replayed %.300s\n", what, a ? a : "(absent)", b ? b : "(absent)");
	free(a);
	free(b);
	rp->diffs++;
}

static void replay_cmp(struct replay *rp, const char *what, const json_t *stored, const json_t *now)
{
	if ((stored == NULL) != (now == NULL) || (stored != NULL && !json_equal((json_t *)stored, (json_t *)now)))
		replay_diff(rp, what, stored, now);
}

/* vf_core's evidence digest over CPU then GPU items (role NUL, 8-byte big-endian length, bytes). */
static void replay_evidence_digest(const struct vf_input *a, const struct vf_input *b, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const struct vf_input *ins[2] = { a, b };
	unsigned int n = 0;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ins[k]->n_evidence; i++) {
			const struct vf_item *it = &ins[k]->evidence[i];
			uint8_t be[8];
			for (int j = 0; j < 8; j++)
				be[j] = (uint8_t)((uint64_t)it->len >> (56 - 8 * j));
			EVP_DigestUpdate(ctx, it->role, strlen(it->role) + 1);
			EVP_DigestUpdate(ctx, be, sizeof(be));
			EVP_DigestUpdate(ctx, it->data, it->len);
		}
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
}

/* Digests as a set of "role=sha" strings. */
static json_t *replay_digest_set(json_t *list)
{
	json_t *set = json_object();
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) {
		char k[160];
		snprintf(k, sizeof(k), "%s=%s", replay_str(json_object_get(d, "role")),
			 replay_str(json_object_get(d, "sha256")));
		json_object_set_new(set, k, json_true());
	}
	return set;
}

static void replay_compare(struct replay *rp, json_t *cpu, json_t *gpu)
{
	json_t *s = rp->stored;
	bool accepted = strcmp(replay_str(json_object_get(cpu, "verdict")), "accepted") == 0 &&
			(gpu == NULL || strcmp(replay_str(json_object_get(gpu, "verdict")), "accepted") == 0);
	json_t *verdict = json_string(accepted ? "accepted" : "rejected");
	json_t *failure = json_object_get(cpu, "failure");
	if (json_is_null(failure) && gpu != NULL)
		failure = json_object_get(gpu, "failure");
	replay_cmp(rp, "verdict", json_object_get(s, "verdict"), verdict);
	replay_cmp(rp, "failure", json_object_get(s, "failure"), failure);
	json_decref(verdict);

	/* Devices by id: tee, simulated, tcb_status, advisory_ids, claims. */
	json_t *now_devs = json_array();
	json_array_extend(now_devs, json_object_get(cpu, "devices"));
	if (gpu != NULL)
		json_array_extend(now_devs, json_object_get(gpu, "devices"));
	json_t *st_devs = json_object_get(s, "devices");
	if (json_array_size(st_devs) != json_array_size(now_devs))
		replay_diff(rp, "device count", json_integer((json_int_t)json_array_size(st_devs)),
			    json_integer((json_int_t)json_array_size(now_devs)));
	size_t i;
	json_t *sd;
	json_array_foreach(st_devs, i, sd) {
		const char *id = replay_str(json_object_get(sd, "id"));
		json_t *nd = NULL, *x;
		size_t k;
		json_array_foreach(now_devs, k, x)
			if (strcmp(replay_str(json_object_get(x, "id")), id) == 0)
				nd = x;
		static const char *const fields[] = { "tee", "simulated", "tcb_status", "advisory_ids", "claims" };
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			char what[64];
			snprintf(what, sizeof(what), "%s.%s", id, fields[f]);
			replay_cmp(rp, what, json_object_get(sd, fields[f]),
				   nd ? json_object_get(nd, fields[f]) : NULL);
		}
	}
	json_decref(now_devs);

	json_t *all = json_array();
	json_array_extend(all, json_object_get(cpu, "collateral_digests"));
	if (gpu != NULL)
		json_array_extend(all, json_object_get(gpu, "collateral_digests"));
	json_t *a = replay_digest_set(json_object_get(s, "collateral_digests")), *b = replay_digest_set(all);
	replay_cmp(rp, "collateral_digests", a, b);
	json_decref(a);
	json_decref(b);
	json_decref(all);
	replay_cmp(rp, "policy_digest", json_object_get(s, "policy_digest"), json_object_get(cpu, "policy_digest"));
	uint8_t ed[32];
	char hex[65];
	replay_evidence_digest(&rp->cpu, &rp->gpu, ed);
	(void)tc_is_ok(tc_hex_encode(ed, 32, hex, sizeof(hex)));
	json_t *e = json_string(hex);
	replay_cmp(rp, "evidence_digest", json_object_get(s, "evidence_digest"), e);
	json_decref(e);
}

/* ------------------------------------------------------------------------------------------------ main */

static int replay_run(struct replay *rp, bool print_json)
{
	struct vf_appraisal a, g;
	json_t *cj = NULL, *gj = NULL;
	int rc;

	rc = replay_evidence(rp);
	if (rc == CLI_EXIT_OK)
		rc = replay_collateral(rp);
	if (rc == CLI_EXIT_OK)
		rc = replay_policy(rp);
	if (rc != CLI_EXIT_OK)
		return rc;
	struct tc_result r = vf_appraise(&rp->cpu, &rp->policy, rp->at, &a);
	if (!tc_is_ok(r))
		return replay_fail(r, "appraisal");
	r = vf_appraisal_to_json(&a, &cj);
	vf_appraisal_cleanup(&a);
	if (tc_is_ok(r) && rp->gpu.n_evidence > 0) {
		r = vf_appraise(&rp->gpu, &rp->gpu_policy, rp->at, &g);
		if (tc_is_ok(r)) {
			r = vf_appraisal_to_json(&g, &gj);
			vf_appraisal_cleanup(&g);
		}
	}
	if (!tc_is_ok(r)) {
		json_decref(cj);
		return replay_fail(r, "appraisal");
	}
	replay_compare(rp, cj, gj);
	if (rp->diffs == 0)
		printf("identical\n");
	if (print_json) {
		json_t *out = json_pack("{s:O,s:O?}", "cpu", cj, "gpu", gj);
		char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(out);
	}
	json_decref(cj);
	json_decref(gj);
	return rp->diffs == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

int cli_cmd_replay(int argc, char **argv)
{
	const char *serial_hex = NULL, *dsn = getenv("TEECERT_DB_DSN");
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			replay_usage(stdout);
			return CLI_EXIT_OK;
		}
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			dsn = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] != '-' && serial_hex == NULL)
			serial_hex = argv[i];
		else
			return cli_usage_error(REPLAY_PROG, "unexpected argument '%s' (see --help)", argv[i]);
	}
	if (serial_hex == NULL)
		return cli_usage_error(REPLAY_PROG, "APPRAISAL_ID (the certificate serial, hex) is required");
	if (dsn == NULL || dsn[0] == 0)
		return cli_usage_error(REPLAY_PROG, "no database: pass --db DSN or set TEECERT_DB_DSN");
	struct tc_buf serial;
	tc_buf_init(&serial, REPLAY_SERIAL_MAX);
	if (strlen(serial_hex) % 2 != 0 || !tc_is_ok(tc_hex_decode(serial_hex, strlen(serial_hex), &serial)) ||
	    serial.len == 0) {
		tc_buf_cleanup(&serial);
		return cli_usage_error(REPLAY_PROG, "APPRAISAL_ID '%.64s' is not a serial in hex (1..20 bytes)",
				       serial_hex);
	}

	struct replay *rp = calloc(1, sizeof(*rp));
	int rc = CLI_EXIT_INTERNAL;
	bool found = false;
	if (rp == NULL) {
		tc_buf_cleanup(&serial);
		return CLI_EXIT_INTERNAL;
	}
	db_cert_appraisal_init(&rp->row);
	vf_policy_init(&rp->policy);
	vf_policy_init(&rp->gpu_policy);
	struct tc_result r = db_conn_open(dsn, &rp->conn);
	if (tc_is_ok(r))
		r = db_cert_appraisal_get(rp->conn, serial.data, serial.len, &rp->row, &found);
	if (!tc_is_ok(r)) {
		rc = replay_fail(r, "database");
		goto out;
	}
	if (!found) {
		rc = replay_missing("no appraisal is stored for certificate serial %s", serial_hex);
		goto out;
	}
	r = tc_json_parse((const char *)rp->row.appraisal_json.data, strlen((const char *)rp->row.appraisal_json.data),
			  rp->row.appraisal_json.max, &rp->stored);
	const char *at = tc_is_ok(r) ? json_string_value(json_object_get(rp->stored, "appraised_at")) : NULL;
	if (at == NULL || !tc_is_ok(tc_time_parse(at, &rp->at))) {
		rc = replay_missing("%s", "the stored appraisal has no usable appraised_at");
		goto out;
	}
	rc = replay_run(rp, json);
out:
	for (size_t i = 0; i < rp->n_bytes; i++)
		tc_buf_cleanup(&rp->bytes[i]);
	vf_policy_cleanup(&rp->policy);
	vf_policy_cleanup(&rp->gpu_policy);
	json_decref(rp->stored);
	db_cert_appraisal_cleanup(&rp->row);
	db_conn_free(&rp->conn);
	free(rp);
	tc_buf_cleanup(&serial);
	return rc;
}
