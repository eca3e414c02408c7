/*
 * api_ca_init.c — `teecert-ca init` (DESIGN.md "Processes"): bootstrap a root CA.
 *
 *   1. generate the key in this process (P-384 default; encrypted PKCS#8 file, 0600, ca signer backend);
 *   2. bind evidence to it: report_data = vf_binding_report_data(SPKI, fresh nonce), collected from the TEE
 *      (vf_collect_cpu), or — untrusted network only — a simulated TDX quote from --sim-pki DIR;
 *   3. appraise it (allow_simulated only in an untrusted network; a trusted network refuses sim evidence)
 *      with collateral from the collateral service: --collateral DIR imported into the store, the policy and
 *      trust anchors kept (api_ca_self_collateral), so `teecert replay` can replay the root's appraisal;
 *   4. issue the self-signed root (profile root) with the appraisal and evidence extensions, and record it in
 *      one transaction: cas row, certificates + appraisals rows, log entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api_internal.h"

struct init_opts {
	const char *name, *network, *key_out, *pass_file, *cert_out, *dsn, *sim_pki, *collateral, *policy;
	const char *key_type, *log_origin;
	const char *anchors[16];
	size_t n_anchors;
};

static void init_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s init --name NAME --network untrusted|trusted --key-out FILE --passphrase-file F\n"
		"       --cert-out FILE [--db DSN] [--sim-pki DIR] [--collateral DIR] [--trust-anchor ROLE=FILE]\n"
		"       [--policy FILE] [--key-type p384|p256] [--log-origin NAME]\n\n"
		"Create a root CA: key generated in this process, its own evidence bound to the key and appraised,\n"
		"a self-signed root certificate carrying the appraisal, recorded in the database and the log.\n"
		"--sim-pki DIR (untrusted networks only) makes a simulated TDX quote with the PKI of\n"
		"`teecert sim tdx --init DIR` and appraises it with DIR/collateral and DIR/intel_root.pem.\n",
		prog);
}

static int fail(const char *prog, const char *what, struct tc_result r)
{
	fprintf(stderr, "%s init: %s (%s): %s\n", prog, what, tc_error_info(r.code)->code, tc_error_detail());
	return API_CLI_EXIT_INTERNAL;
}

static int parse(const char *prog, int argc, char **argv, struct init_opts *o, bool *help)
{
	static const struct api_cli_opt opts[] = {
		{ "--name", offsetof(struct init_opts, name) },
		{ "--network", offsetof(struct init_opts, network) },
		{ "--key-out", offsetof(struct init_opts, key_out) },
		{ "--passphrase-file", offsetof(struct init_opts, pass_file) },
		{ "--cert-out", offsetof(struct init_opts, cert_out) },
		{ "--db", offsetof(struct init_opts, dsn) },
		{ "--sim-pki", offsetof(struct init_opts, sim_pki) },
		{ "--collateral", offsetof(struct init_opts, collateral) },
		{ "--policy", offsetof(struct init_opts, policy) },
		{ "--key-type", offsetof(struct init_opts, key_type) },
		{ "--log-origin", offsetof(struct init_opts, log_origin) },
	};

	return api_cli_parse_opts(prog, "init", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), o, "--trust-anchor",
				  o->anchors, sizeof(o->anchors) / sizeof(o->anchors[0]), &o->n_anchors, help);
}

struct init_txn {
	struct api_ca_record spec;
	struct api_ca_recorded rec;
	bool have_rec;
};

/* Safe to re-run: a retry issues a fresh certificate (new serial) against the new log size. */
static struct tc_result init_txn_run(struct db_conn *conn, void *arg)
{
	struct init_txn *t = arg;

	if (t->have_rec)
		api_ca_recorded_cleanup(&t->rec);
	t->have_rec = false;
	TC_GUARD(api_ca_record(conn, &t->spec, &t->rec));
	t->have_rec = true;
	return tc_ok();
}

static TC_RESULT load_inputs(const struct init_opts *o, struct api_ca_inputs *in, bool trusted)
{
	char path[4096];

	/* The collateral folder is imported into the store at appraisal time (api_ca_self_collateral). */
	if (o->sim_pki) {
		snprintf(path, sizeof(path), "intel_root=%s/intel_root.pem", o->sim_pki);
		TC_GUARD(api_ca_inputs_anchor(in, path));
	}
	for (size_t i = 0; i < o->n_anchors; i++)
		TC_GUARD(api_ca_inputs_anchor(in, o->anchors[i]));
	if (o->policy)
		TC_GUARD(api_ca_inputs_policy_file(in, o->policy));
	in->policy.allow_simulated = !trusted && o->sim_pki != NULL;
	return tc_ok();
}

int api_cli_ca_init(const char *prog, int argc, char **argv)
{
	struct init_opts o = { .dsn = getenv("TEECERT_DB_DSN"), .key_type = "p384" };
	struct api_ca_inputs in;
	struct ca_signer *signer = NULL;
	struct db_conn *conn = NULL;
	struct tc_buf pass, spki, quote, csr_pem;
	struct ca_csr csr;
	bool have_csr = false, have_appraisal = false;
	struct vf_appraisal a;
	enum ca_network network;
	enum ca_key_kind kind;
	uint8_t nonce[VF_BINDING_NONCE_LEN];
	struct init_txn t = { 0 };
	struct api_coll_hold hold;
	struct db_ca row = { 0 };
	bool help = false;
	int rc = parse(prog, argc, argv, &o, &help);

	if (rc != API_CLI_EXIT_OK || help) {
		if (help)
			init_usage(stdout, prog);
		return rc;
	}
	if (!o.name || !o.network || !o.key_out || !o.cert_out || !o.dsn) {
		fprintf(stderr, "%s init: --name, --network, --key-out, --cert-out and --db are required\n", prog);
		return API_CLI_EXIT_USAGE;
	}
	if (!tc_is_ok(ca_network_parse(o.network, &network))) {
		fprintf(stderr, "%s init: --network must be trusted or untrusted\n", prog);
		return API_CLI_EXIT_USAGE;
	}
	if (strcmp(o.key_type, "p384") != 0 && strcmp(o.key_type, "p256") != 0) {
		fprintf(stderr, "%s init: --key-type must be p384 or p256\n", prog);
		return API_CLI_EXIT_USAGE;
	}
	kind = strcmp(o.key_type, "p256") == 0 ? CA_KEY_P256 : CA_KEY_P384;
	if (network == CA_NETWORK_TRUSTED && o.sim_pki) {
		struct tc_result r =
			tc_fail(TC_ERR_EVIDENCE_REFUSED,
				"a trusted network refuses simulated evidence (--sim-pki); use real TEE evidence");
		return fail(prog, "refused", r);
	}
	snprintf(row.name, sizeof(row.name), "%s", o.name);
	snprintf(row.role, sizeof(row.role), "root");
	snprintf(row.network, sizeof(row.network), "%s", ca_network_name(network));

	api_ca_inputs_init(&in);
	api_coll_hold_init(&hold);
	tc_buf_init(&pass, CA_PASSPHRASE_MAX + 2);
	tc_buf_init(&spki, 4096);
	tc_buf_init(&quote, (size_t)64 * 1024);
	tc_buf_init(&csr_pem, CA_CSR_PEM_MAX);
	struct tc_result r = load_inputs(&o, &in, network == CA_NETWORK_TRUSTED);
	const char *what = "appraisal inputs";

	if (tc_is_ok(r)) {
		what = "database";
		r = api_ca_db_open_new(o.dsn, o.name, &conn);
	}
	if (tc_is_ok(r)) {
		what = "key";
		snprintf(row.role, sizeof(row.role), "root");
		snprintf(row.network, sizeof(row.network), "%s", ca_network_name(network));
		r = ca_passphrase_load(o.pass_file, "TEECERT_CA_PASSPHRASE", &pass);
	}
	if (tc_is_ok(r))
		r = ca_signer_file_generate(kind, o.key_out, pass.data, pass.len, &signer);
	if (tc_is_ok(r))
		r = signer->public_key(signer, &spki);
	if (tc_is_ok(r)) {
		uint8_t rd[VF_REPORT_DATA_LEN];

		what = "evidence";
		r = tc_random_bytes(nonce, sizeof(nonce));
		if (tc_is_ok(r))
			r = vf_binding_report_data(spki.data, spki.len, nonce, NULL, rd);
		if (tc_is_ok(r))
			r = vf_tdx_quote_for(o.sim_pki, rd, &quote);
		if (tc_is_ok(r)) {
			in.policy.has_expected_report_data = true;
			memcpy(in.policy.expected_report_data, rd, sizeof(rd));
		}
	}
	struct vf_item ev = { .role = "tdx_quote", .data = quote.data, .len = quote.len };
	int64_t now = (int64_t)time(NULL);

	if (tc_is_ok(r)) {
		/* Through the collateral service, as serve does: the folder imported into the store, the base
		 * policy (without this request's report data) and the anchors kept, so `teecert replay` works. */
		struct vf_input input = { .tee = VF_TEE_TDX, .n_evidence = 1 };
		struct vf_policy base = in.policy;
		char sim_dir[4096];
		const char *dir = o.collateral;
		size_t imported = 0, rejected = 0;

		what = "collateral";
		base.has_expected_report_data = false;
		memset(base.expected_report_data, 0, sizeof(base.expected_report_data));
		if (dir == NULL && o.sim_pki != NULL) {
			snprintf(sim_dir, sizeof(sim_dir), "%s/collateral", o.sim_pki);
			dir = sim_dir;
		}
		input.evidence[0] = ev;
		r = api_ca_self_collateral(o.dsn, &in, &base, &dir, dir != NULL ? 1 : 0, &input, &hold, &imported,
					   &rejected);
		if (tc_is_ok(r) && dir != NULL)
			fprintf(stderr,
				"%s init: collateral: %zu item(s) imported into the store, %zu refused (see the log)\n",
				prog, imported, rejected);
		if (tc_is_ok(r)) {
			what = "appraisal";
			r = vf_appraise(&input, &in.policy, now, &a);
		}
		have_appraisal = tc_is_ok(r);
		if (tc_is_ok(r) && !a.accepted)
			r = tc_fail(a.failure, "the CA's own evidence was rejected: %s", a.detail);
	}
	if (tc_is_ok(r)) {
		what = "root certificate";
		r = ca_csr_build(signer, o.name, "teecert", NULL, 0, &csr_pem);
	}
	if (tc_is_ok(r)) {
		r = ca_csr_parse_pem((const char *)csr_pem.data, csr_pem.len, &csr);
		have_csr = tc_is_ok(r);
	}
	if (tc_is_ok(r)) {
		struct ca_issuer issuer = {
			.signer = signer,
			.network = network,
			.log_id = (const uint8_t *)(o.log_origin ? o.log_origin : API_CA_LOG_ORIGIN_DEFAULT),
			.log_id_len = strlen(o.log_origin ? o.log_origin : API_CA_LOG_ORIGIN_DEFAULT)
		};

		t.spec = (struct api_ca_record){ .issuer = &issuer,
						 .new_ca = &row,
						 .csr = &csr,
						 .role = CA_ROLE_ROOT,
						 .appraisal = &a,
						 .evidence = &ev,
						 .n_evidence = 1,
						 .now = now };
		r = db_txn_run(conn, init_txn_run, &t);
	}
	if (tc_is_ok(r)) {
		what = "certificate file";
		r = tc_file_write(o.cert_out, t.rec.issued.pem.data, t.rec.issued.pem.len, 0644);
	}
	if (tc_is_ok(r)) {
		printf("root CA '%s' (%s network): serial %s, log index %llu, certificate %s, key %s\n", o.name,
		       ca_network_name(network), t.rec.issued.serial_hex, (unsigned long long)t.rec.log_seq, o.cert_out,
		       o.key_out);
		fflush(stdout);
	}
	rc = tc_is_ok(r) ? API_CLI_EXIT_OK : fail(prog, what, r);
	if (t.have_rec)
		api_ca_recorded_cleanup(&t.rec);
	if (have_csr)
		ca_csr_cleanup(&csr);
	if (have_appraisal)
		vf_appraisal_cleanup(&a);
	ca_signer_free(&signer);
	db_conn_free(&conn);
	api_ca_inputs_cleanup(&in);
	api_coll_hold_cleanup(&hold);
	tc_buf_cleanup(&pass);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&quote);
	tc_buf_cleanup(&csr_pem);
	return rc;
}
