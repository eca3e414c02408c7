/*
 * cmd_verify.c — `teecert verify`, `teecert appraise` and `teecert conformance`: read evidence, collateral,
 * anchors and policy from files, call vf_appraise, print the appraisal JSON (docs/appraisal.md).
 *
 * Exit codes (cli.h): 0 accepted, 2 rejected, 1 usage error, 3 internal error. Conformance: 0 when every
 * case passed, 2 when any failed, 1/3 as usual.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vf.h"

#define CLI_FILE_MAX ((size_t)16 * 1024 * 1024)
#define CLI_MAX_FILES (3 * VF_MAX_ITEMS)
#define CLI_ROLE_MAX 48
#define CLI_MAX_CASES 4096

/* Everything one `teecert verify` run reads: the bytes, and the role strings the items point at. */
struct verify_files {
	struct tc_buf bufs[CLI_MAX_FILES];
	char roles[CLI_MAX_FILES][CLI_ROLE_MAX];
	size_t n;
};

static void files_cleanup(struct verify_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		tc_buf_cleanup(&f->bufs[i]);
	f->n = 0;
}

static int print_error(const char *prog, struct tc_result r)
{
	fprintf(stderr, "%s: %s: %s\n", prog, tc_error_info(r.code)->code, tc_error_detail());
	/* Errors the table marks as the caller's (4xx) are usage errors; an unreadable input file too. */
	return tc_error_info(r.code)->http_status < 500 || r.code == TC_ERR_IO ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
}

/* Hex text files ("0x" prefix and whitespace allowed) become bytes; anything else stays as read. */
static TC_RESULT maybe_unhex(struct tc_buf *b)
{
	struct tc_buf clean, raw;
	size_t start = 0;
	struct tc_result r;

	if (b->len >= 2 && b->data[0] == '0' && (b->data[1] == 'x' || b->data[1] == 'X'))
		start = 2;
	for (size_t i = start; i < b->len; i++) {
		uint8_t c = b->data[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ' ' ||
		      c == '\n' || c == '\r' || c == '\t'))
			return tc_ok(); /* binary */
	}
	tc_buf_init(&clean, b->len + 1);
	tc_buf_init(&raw, b->len);
	for (size_t i = start; i < b->len; i++) {
		uint8_t c = b->data[i];

		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			TC_GUARD_GOTO(r, tc_buf_append_u8(&clean, c), out);
	}
	if (clean.len == 0 || clean.len % 2) {
		r = tc_ok(); /* not hex after all; leave it to the parser to reject */
		goto out;
	}
	TC_GUARD_GOTO(r, tc_hex_decode((const char *)clean.data, clean.len, &raw), out);
	tc_buf_cleanup(b);
	*b = raw;
	tc_buf_init(&raw, 0);
out:
	tc_buf_cleanup(&clean);
	tc_buf_cleanup(&raw);
	return r;
}

static TC_RESULT add_file(struct verify_files *f, struct vf_item *items, size_t *n, const char *role,
			  const char *path, bool unhex)
{
	struct tc_buf *b;

	TC_ENSURE(f->n < CLI_MAX_FILES && *n < VF_MAX_ITEMS, TC_ERR_TOO_LARGE, "too many input files");
	b = &f->bufs[f->n];
	tc_buf_init(b, CLI_FILE_MAX);
	snprintf(f->roles[f->n], CLI_ROLE_MAX, "%s", role);
	f->n++;
	TC_GUARD(tc_file_read(path, CLI_FILE_MAX, b));
	if (unhex)
		TC_GUARD(maybe_unhex(b));
	items[*n] = (struct vf_item){ .role = f->roles[f->n - 1], .data = b->data, .len = b->len };
	(*n)++;
	return tc_ok();
}

static TC_RESULT add_bytes(struct verify_files *f, struct vf_item *items, size_t *n, const char *role,
			   const void *data, size_t len)
{
	struct tc_buf *b;

	TC_ENSURE(f->n < CLI_MAX_FILES && *n < VF_MAX_ITEMS, TC_ERR_TOO_LARGE, "too many input items");
	b = &f->bufs[f->n];
	tc_buf_init(b, CLI_FILE_MAX);
	snprintf(f->roles[f->n], CLI_ROLE_MAX, "%s", role);
	f->n++;
	TC_GUARD(tc_buf_append(b, data, len));
	items[*n] = (struct vf_item){ .role = f->roles[f->n - 1], .data = b->data, .len = b->len };
	(*n)++;
	return tc_ok();
}

/* A directory of role-named files: the role is the file name up to its first dot (tcb_info.json -> tcb_info). */
static TC_RESULT add_collateral_dir(struct verify_files *f, struct vf_input *in, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	struct tc_result r = tc_ok();

	TC_ENSURE(n >= 0, TC_ERR_IO, "cannot read collateral folder %s", dir);
	for (int i = 0; i < n; i++) {
		char role[CLI_ROLE_MAX], path[4096];
		char *dot;
		struct stat st;

		if (names[i]->d_name[0] == '.' || !tc_is_ok(r))
			continue;
		snprintf(role, sizeof(role), "%.47s", names[i]->d_name);
		dot = strchr(role, '.');
		if (dot)
			*dot = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		r = add_file(f, in->collateral, &in->n_collateral, role, path, false);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/*
 * A QuoteCollateralV3 JSON bundle (pck_crl_issuer_chain, root_ca_crl, pck_crl, tcb_info_issuer_chain,
 * tcb_info, tcb_info_signature, qe_identity_issuer_chain, qe_identity, qe_identity_signature) becomes the
 * same roles as a directory; the PCS bodies are rebuilt byte-exactly around the raw signed JSON text.
 */
static TC_RESULT add_collateral_bundle(struct verify_files *f, struct vf_input *in, const json_t *j)
{
	static const char *const pem_roles[] = { "pck_crl_issuer_chain", "tcb_info_issuer_chain",
						 "qe_identity_issuer_chain" };
	static const char *const der_roles[] = { "root_ca_crl", "pck_crl" };
	static const struct {
		const char *role, *field, *sig, *wrapper;
	} bodies[] = { { "tcb_info", "tcb_info", "tcb_info_signature", "tcbInfo" },
		       { "qe_identity", "qe_identity", "qe_identity_signature", "enclaveIdentity" } };
	struct tc_buf b;
	struct tc_result r = tc_ok();

	tc_buf_init(&b, CLI_FILE_MAX);
	for (size_t i = 0; i < 3; i++) {
		const char *s = json_string_value(json_object_get(j, pem_roles[i]));

		if (s)
			TC_GUARD_GOTO(r, add_bytes(f, in->collateral, &in->n_collateral, pem_roles[i], s, strlen(s)),
				      out);
	}
	for (size_t i = 0; i < 2; i++) {
		const char *s = json_string_value(json_object_get(j, der_roles[i]));

		if (!s)
			continue;
		tc_buf_reset(&b);
		TC_GUARD_GOTO(r, tc_hex_decode(s, strlen(s), &b), out);
		TC_GUARD_GOTO(r, add_bytes(f, in->collateral, &in->n_collateral, der_roles[i], b.data, b.len), out);
	}
	for (size_t i = 0; i < 2; i++) {
		const char *body = json_string_value(json_object_get(j, bodies[i].field));
		const char *sig = json_string_value(json_object_get(j, bodies[i].sig));

		if (!body || !sig)
			continue;
		tc_buf_reset(&b);
		TC_GUARD_GOTO(r, tc_buf_appendf(&b, "{\"%s\":%s,\"signature\":\"%s\"}", bodies[i].wrapper, body, sig),
			      out);
		TC_GUARD_GOTO(r, add_bytes(f, in->collateral, &in->n_collateral, bodies[i].role, b.data, b.len), out);
	}
out:
	tc_buf_cleanup(&b);
	return r;
}

/* "ROLE=FILE" (a role is a short name without '/'), or NULL when ARG is a plain path. */
static const char *role_split(const char *arg, char *role, size_t size)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= size || memchr(arg, '/', (size_t)(eq - arg)))
		return NULL;
	snprintf(role, size, "%.*s", (int)(eq - arg), arg);
	return eq + 1;
}

static TC_RESULT add_collateral(struct verify_files *f, struct vf_input *in, const char *path)
{
	struct stat st;
	struct tc_buf text;
	json_t *j = NULL;
	struct tc_result r;
	char role[CLI_ROLE_MAX];
	const char *file = role_split(path, role, sizeof(role));

	if (file)
		return add_file(f, in->collateral, &in->n_collateral, role, file, false);
	TC_ENSURE(stat(path, &st) == 0, TC_ERR_IO, "cannot read collateral %s", path);
	if (S_ISDIR(st.st_mode))
		return add_collateral_dir(f, in, path);
	tc_buf_init(&text, CLI_FILE_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, CLI_FILE_MAX, &text), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)text.data, text.len, CLI_FILE_MAX, &j), out);
	TC_ENSURE_GOTO(r, json_is_object(j), out, TC_ERR_INVALID_ARGUMENT,
		       "%s: a collateral bundle must be a JSON object (QuoteCollateralV3 shape)", path);
	r = add_collateral_bundle(f, in, j);
out:
	json_decref(j);
	tc_buf_cleanup(&text);
	return r;
}

/* The vendor roots pinned by default for each TEE (overridden by --trust-anchor / anchors in the folder). */
static TC_RESULT add_default_anchors(struct verify_files *f, struct vf_input *in, const char *product)
{
	static const char *const tdx[] = { "intel_root", NULL };
	static const char *const nvidia[] = { "nvidia_device_root", "nvidia_rim_root", NULL };
	const char *const *names = in->tee == VF_TEE_TDX ? tdx : in->tee == VF_TEE_NVIDIA ? nvidia : NULL;

	if (in->tee == VF_TEE_SNP) {
		char name[32];
		const char *pem;

		if (vf_item_find(in->anchors, in->n_anchors, "amd_ark"))
			return tc_ok();
		TC_ENSURE(product, TC_ERR_INVALID_ARGUMENT,
			  "SNP needs --trust-anchor ARK.pem or --product Milan|Genoa|Turin to pick the pinned ARK");
		snprintf(name, sizeof(name), "amd_ark_%s", product);
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		pem = vf_default_anchor(name);
		TC_ENSURE(pem, TC_ERR_INVALID_ARGUMENT, "unknown product '%s' (Milan, Genoa or Turin)", product);
		return add_bytes(f, in->anchors, &in->n_anchors, "amd_ark", pem, strlen(pem));
	}
	for (size_t i = 0; names && names[i]; i++) {
		const char *pem = vf_default_anchor(names[i]);

		if (!vf_item_find(in->anchors, in->n_anchors, names[i]) && pem)
			TC_GUARD(add_bytes(f, in->anchors, &in->n_anchors, names[i], pem, strlen(pem)));
	}
	return tc_ok();
}

static TC_RESULT load_policy(const char *path, struct vf_policy *p)
{
	struct tc_buf text;
	json_t *j = NULL;
	struct tc_result r;

	tc_buf_init(&text, TC_JSON_MAX_DEFAULT);
	TC_GUARD_GOTO(r, tc_file_read(path, TC_JSON_MAX_DEFAULT, &text), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)text.data, text.len, TC_JSON_MAX_DEFAULT, &j), out);
	r = vf_policy_from_json(p, j);
out:
	json_decref(j);
	tc_buf_cleanup(&text);
	return r;
}

/* Print the appraisal JSON and map the verdict to the exit code. */
static int print_appraisal(const char *prog, const struct vf_appraisal *a)
{
	json_t *j = NULL;
	struct tc_result r = vf_appraisal_to_json(a, &j);

	if (!tc_is_ok(r))
		return print_error(prog, r);
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(j);
	return a->accepted ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: teecert verify --tee tdx|snp|nvidia --evidence FILE [options]\n"
		"  --evidence FILE        TDX quote | SNP report | GPU SPDM request||response (binary or hex text);\n"
		"                         for nvidia, repeat --evidence/--cert-chain once per GPU\n"
		"  --cert-chain FILE      nvidia: the GPU certificate chain (PEM, leaf first)\n"
		"  --vcek FILE | --vlek FILE   snp: the endorsement key certificate (DER or PEM)\n"
		"  --collateral DIR|FILE|ROLE=FILE  a folder of role-named files (tcb_info.json, pck_crl.der,\n"
		"                         ark_ask_chain.pem, driver_rim.xml, ...), a QuoteCollateralV3 JSON bundle (TDX),\n"
		"                         or one item by role; repeatable\n"
		"  --item ROLE=FILE       add one more evidence item by role\n"
		"  --at RFC3339           verification time (default: now)\n"
		"  --policy FILE          policy overrides (JSON; see docs/appraisal.md)\n"
		"  --trust-anchor [ROLE=]PEM  override a pinned root (default role per TEE: intel_root, amd_ark,\n"
		"                         nvidia_device_root)\n"
		"  --product NAME         snp: Milan|Genoa|Turin, picks the pinned ARK\n"
		"exit: 0 accepted, 2 rejected, 1 usage error, 3 internal error\n");
}

int cli_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tee", required_argument, NULL, 't' },	 { "evidence", required_argument, NULL, 'e' },
		{ "cert-chain", required_argument, NULL, 'c' },	 { "vcek", required_argument, NULL, 'V' },
		{ "vlek", required_argument, NULL, 'L' },	 { "collateral", required_argument, NULL, 'C' },
		{ "item", required_argument, NULL, 'i' },	 { "at", required_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'p' },	 { "trust-anchor", required_argument, NULL, 'A' },
		{ "product", required_argument, NULL, 'P' },	 { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "teecert verify", *tee = NULL, *at = NULL, *policy_path = NULL, *product = NULL;
	const char *evidence[VF_MAX_DEVICES], *chains[VF_MAX_DEVICES], *collateral[16], *items[16], *anchors[8];
	const char *vcek = NULL, *vlek = NULL;
	size_t n_ev = 0, n_ch = 0, n_coll = 0, n_items = 0, n_anch = 0;
	struct verify_files *files = NULL;
	struct vf_input *in = NULL;
	struct vf_policy policy;
	struct vf_appraisal a;
	int64_t now;
	int c, rc = CLI_EXIT_INTERNAL;
	struct tc_result r;

	vf_policy_init(&policy);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tee = optarg; break;
		case 'e': if (n_ev < VF_MAX_DEVICES) evidence[n_ev++] = optarg; break;
		case 'c': if (n_ch < VF_MAX_DEVICES) chains[n_ch++] = optarg; break;
		case 'V': vcek = optarg; break;
		case 'L': vlek = optarg; break;
		case 'C': if (n_coll < 16) collateral[n_coll++] = optarg; break;
		case 'i': if (n_items < 16) items[n_items++] = optarg; break;
		case 'a': at = optarg; break;
		case 'p': policy_path = optarg; break;
		case 'A': if (n_anch < 8) anchors[n_anch++] = optarg; break;
		case 'P': product = optarg; break;
		case 'h': verify_usage(stdout); return CLI_EXIT_OK;
		default: verify_usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (!tee || (n_ev == 0 && n_items == 0)) {
		verify_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	files = calloc(1, sizeof(*files));
	in = calloc(1, sizeof(*in));
	if (!files || !in) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	r = vf_tee_parse(tee, &in->tee);
	if (!tc_is_ok(r)) {
		rc = cli_usage_error(prog, "%s", tc_error_detail());
		goto out;
	}
	if (at) {
		r = tc_time_parse(at, &now);
		if (!tc_is_ok(r)) {
			rc = cli_usage_error(prog, "--at: %s", tc_error_detail());
			goto out;
		}
	} else {
		now = tc_time_now();
	}
	if (in->tee == VF_TEE_NVIDIA && n_ch != n_ev) {
		rc = cli_usage_error(prog, "nvidia: give one --cert-chain per --evidence (got %zu and %zu)", n_ch, n_ev);
		goto out;
	}
	for (size_t i = 0; i < n_ev; i++) {
		char role[CLI_ROLE_MAX];

		if (in->tee == VF_TEE_NVIDIA) {
			snprintf(role, sizeof(role), "gpu%zu.spdm", i);
			TC_GUARD_GOTO(r, add_file(files, in->evidence, &in->n_evidence, role, evidence[i], true), fail);
			snprintf(role, sizeof(role), "gpu%zu.cert_chain", i);
			TC_GUARD_GOTO(r, add_file(files, in->evidence, &in->n_evidence, role, chains[i], false), fail);
		} else {
			TC_GUARD_GOTO(r, add_file(files, in->evidence, &in->n_evidence,
						  in->tee == VF_TEE_TDX ? "tdx_quote" : "snp_report", evidence[i], true),
				      fail);
		}
	}
	if (vcek)
		TC_GUARD_GOTO(r, add_file(files, in->evidence, &in->n_evidence, "vcek", vcek, false), fail);
	if (vlek)
		TC_GUARD_GOTO(r, add_file(files, in->evidence, &in->n_evidence, "vlek", vlek, false), fail);
	for (size_t i = 0; i < n_items; i++) {
		char role[CLI_ROLE_MAX];
		const char *file = role_split(items[i], role, sizeof(role));

		if (!file) {
			rc = cli_usage_error(prog, "--item wants ROLE=FILE, got '%s'", items[i]);
			goto out;
		}
		TC_GUARD_GOTO(r, add_file(files, in->evidence, &in->n_evidence, role, file, true), fail);
	}
	for (size_t i = 0; i < n_coll; i++)
		TC_GUARD_GOTO(r, add_collateral(files, in, collateral[i]), fail);
	for (size_t i = 0; i < n_anch; i++) {
		static const char *const default_role[] = { [VF_TEE_TDX] = "intel_root", [VF_TEE_SNP] = "amd_ark",
							    [VF_TEE_NVIDIA] = "nvidia_device_root" };
		char role[CLI_ROLE_MAX];
		const char *path = role_split(anchors[i], role, sizeof(role));

		if (!path) {
			path = anchors[i];
			snprintf(role, sizeof(role), "%s", default_role[in->tee]);
		}
		TC_GUARD_GOTO(r, add_file(files, in->anchors, &in->n_anchors, role, path, false), fail);
	}
	TC_GUARD_GOTO(r, add_default_anchors(files, in, product), fail);
	if (policy_path)
		TC_GUARD_GOTO(r, load_policy(policy_path, &policy), fail);
	TC_GUARD_GOTO(r, vf_appraise(in, &policy, now, &a), fail);
	rc = print_appraisal(prog, &a);
	vf_appraisal_cleanup(&a);
	goto out;
fail:
	rc = print_error(prog, r);
out:
	if (files)
		files_cleanup(files);
	free(files);
	free(in);
	vf_policy_cleanup(&policy);
	return rc;
}

int cli_cmd_appraise(int argc, char **argv)
{
	const char *prog = "teecert appraise", *path = NULL;
	struct vf_case *c;
	struct vf_appraisal a;
	struct tc_result r;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: teecert appraise --case CASE.json\n"
			       "Appraise one conformance case at its verify_at time and print the appraisal JSON\n"
			       "(the manifest's expect block is ignored). Exit: 0 accepted, 2 rejected.\n");
			return CLI_EXIT_OK;
		}
		if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			return cli_usage_error(prog, "unexpected argument '%s' (usage: --case CASE.json)", argv[i]);
	}
	if (!path)
		return cli_usage_error(prog, "--case CASE.json is required");
	c = calloc(1, sizeof(*c));
	if (!c)
		return CLI_EXIT_INTERNAL;
	r = vf_case_load(path, c);
	if (!tc_is_ok(r)) {
		free(c);
		return print_error(prog, r);
	}
	r = vf_appraise(&c->input, &c->policy, c->verify_at, &a);
	if (tc_is_ok(r)) {
		rc = print_appraisal(prog, &a);
		vf_appraisal_cleanup(&a);
	} else {
		rc = print_error(prog, r);
	}
	vf_case_cleanup(c);
	free(c);
	return rc;
}

/* One case: PASS/FAIL line; returns true when it passed. */
static bool run_case(const char *path)
{
	struct vf_case *c = calloc(1, sizeof(*c));
	struct vf_appraisal a;
	char diff[1024];
	bool ok = false;
	struct tc_result r;

	if (!c) {
		printf("FAIL %s: out of memory\n", path);
		return false;
	}
	r = vf_case_load(path, c);
	if (!tc_is_ok(r)) {
		printf("FAIL %s: cannot load: %s: %s\n", path, tc_error_info(r.code)->code, tc_error_detail());
		free(c);
		return false;
	}
	r = vf_appraise(&c->input, &c->policy, c->verify_at, &a);
	if (!tc_is_ok(r)) {
		printf("FAIL %s: internal error: %s: %s\n", c->name, tc_error_info(r.code)->code, tc_error_detail());
	} else {
		ok = vf_case_check(c, &a, diff, sizeof(diff));
		if (ok)
			printf("PASS %s\n", c->name);
		else
			printf("FAIL %s: %s\n", c->name, diff);
		vf_appraisal_cleanup(&a);
	}
	vf_case_cleanup(c);
	free(c);
	return ok;
}

static int json_name_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0 && d->d_name[0] != '.';
}

int cli_cmd_conformance(int argc, char **argv)
{
	const char *prog = "teecert conformance";
	unsigned passed = 0, failed = 0;

	if (argc < 2)
		return cli_usage_error(prog, "usage: teecert conformance CASE.json|DIR ...");
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (cli_is_help(argv[i])) {
			printf("usage: teecert conformance CASE.json|DIR ...\n"
			       "Run case manifests (../shared/evidence/cases/SCHEMA.md), print PASS/FAIL per case with the\n"
			       "difference, and a closing 'N passed, N failed' line. Exit 0 only when all passed.\n");
			return CLI_EXIT_OK;
		}
		if (stat(argv[i], &st) != 0) {
			printf("FAIL %s: no such file or folder\n", argv[i]);
			failed++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names = NULL;
			int n = scandir(argv[i], &names, json_name_filter, alphasort);

			for (int k = 0; k < n; k++) {
				char path[4096];

				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
				if (run_case(path))
					passed++;
				else
					failed++;
				free(names[k]);
			}
			free(names);
		} else if (run_case(argv[i])) {
			passed++;
		} else {
			failed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
}
