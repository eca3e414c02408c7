/*
 * cmd_request.c — `teecert request cvm|workload`: what a node agent (cvm) or a trusted loader (workload) does
 * to get a certificate from a teecert-ca (DESIGN.md "Users", "Evidence binding"; docs/cli.md):
 *
 *   1. POST CA/v1/challenges -> nonce (32 bytes, single use);
 *   2. generate the key pair in this process (P-256 or P-384) and a CSR (CN, DNS SANs);
 *   3. report_data = vf_binding_report_data(SPKI, nonce, workload_info_hash?);
 *   4. evidence: this machine's TEE (vf_collect_cpu: TDX quote or SNP report + VCEK/VLEK) or, for
 *      development, a simulated TDX quote from the simulated Intel PKI (--sim PKI, vf_tdx_quote_for);
 *   5. POST CA/v1/certificates; on 201 write DIR/key.pem (PKCS#8, 0600), cert.pem, chain.pem, appraisal.json.
 *
 * The key is written only once the certificate is issued, so a refused request never replaces a working key.
 * Exit 0 issued, 2 the CA refused (its code and detail printed), 3 the CA could not be reached or another
 * failure, 1 usage.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "vf.h"

#define PROG "teecert request"
#define REQ_PATH_MAX 4096
#define REQ_URL_MAX 2048
#define REQ_SAN_MAX 16
#define REQ_NAME_MAX 64
#define REQ_RESPONSE_MAX ((size_t)1024 * 1024)
#define REQ_BODY_MAX ((size_t)256 * 1024)
#define REQ_EVIDENCE_MAX ((size_t)64 * 1024)
#define REQ_FILE_MAX ((size_t)64 * 1024)
#define REQ_TIMEOUT_MS 30000

struct req_flags {
	const char *kind; /* "cvm" | "workload" */
	const char *ca, *out, *sim, *key_type, *cn, *cvm_cert, *workload_info;
	const char *san[REQ_SAN_MAX];
	size_t n_san;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " cvm --ca URL --out DIR [--sim PKI] [--key-type p256|p384] [--cn NAME] [--san DNS]...\n"
		"       " PROG " workload --ca URL --out DIR --cvm-cert PEM --workload-info FILE.json [--sim PKI]\n"
		"                [--key-type p256|p384] [--cn NAME] [--san DNS]...\n\n"
		"Get a certificate from the teecert-ca at URL: challenge, key pair generated here, CSR, evidence bound to\n"
		"the key and the challenge (this machine's TEE, or a simulated TDX quote from the PKI of\n"
		"`teecert sim tdx --init PKI`), issuance. Writes DIR/key.pem (PKCS#8, 0600), cert.pem, chain.pem and\n"
		"appraisal.json. Exit 0 issued, 2 refused by the CA, 3 unreachable or other failure, 1 usage.\n\n" CLI_HTTP_TLS_HELP);
}

static int parse(int argc, char **argv, struct req_flags *o)
{
	static const struct {
		const char *name;
		size_t off;
	} opts[] = {
		{ "--ca", offsetof(struct req_flags, ca) },
		{ "--out", offsetof(struct req_flags, out) },
		{ "--sim", offsetof(struct req_flags, sim) },
		{ "--key-type", offsetof(struct req_flags, key_type) },
		{ "--cn", offsetof(struct req_flags, cn) },
		{ "--cvm-cert", offsetof(struct req_flags, cvm_cert) },
		{ "--workload-info", offsetof(struct req_flags, workload_info) },
	};

	if (argc < 2 || (strcmp(argv[1], "cvm") != 0 && strcmp(argv[1], "workload") != 0))
		return cli_usage_error(PROG, "the first argument is cvm or workload (see --help)");
	o->kind = argv[1];
	for (int i = 2; i < argc; i++) {
		bool known = false;

		if (i + 1 >= argc)
			return cli_usage_error(PROG, "%s: unknown option or missing value (see --help)", argv[i]);
		if (strcmp(argv[i], "--san") == 0) {
			if (o->n_san == REQ_SAN_MAX)
				return cli_usage_error(PROG, "at most %d --san", REQ_SAN_MAX);
			o->san[o->n_san++] = argv[++i];
			continue;
		}
		if (cli_http_tls_flag(argv[i], argv[i + 1])) {
			i++;
			continue;
		}
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]) && !known; k++) {
			if (strcmp(argv[i], opts[k].name) != 0)
				continue;
			*(const char **)((char *)o + opts[k].off) = argv[++i];
			known = true;
		}
		if (!known)
			return cli_usage_error(PROG, "unknown option '%s' (see --help)", argv[i]);
	}
	if (!o->ca || !o->out)
		return cli_usage_error(PROG, "--ca and --out are required");
	if (strcmp(o->key_type, "p256") != 0 && strcmp(o->key_type, "p384") != 0)
		return cli_usage_error(PROG, "--key-type must be p256 or p384");
	if (strcmp(o->kind, "workload") == 0 && (!o->cvm_cert || !o->workload_info))
		return cli_usage_error(PROG, "request workload needs --cvm-cert and --workload-info");
	if (strcmp(o->kind, "cvm") == 0 && (o->cvm_cert || o->workload_info))
		return cli_usage_error(PROG, "--cvm-cert and --workload-info are for request workload");
	if (strlen(o->cn) == 0 || strlen(o->cn) > REQ_NAME_MAX)
		return cli_usage_error(PROG, "--cn must have 1..%d characters", REQ_NAME_MAX);
	return cli_http_tls_check(PROG);
}

/* ------------------------------------------------------------------------------------------ key and CSR */

static TC_RESULT key_generate(const char *key_type, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_EC_gen(strcmp(key_type, "p384") == 0 ? "P-384" : "P-256");

	TC_ENSURE(k != NULL, TC_ERR_INTERNAL, "key generation failed");
	*out = k;
	return tc_ok();
}

static TC_RESULT spki_der(EVP_PKEY *k, struct tc_buf *out)
{
	unsigned char *d = NULL;
	int n = i2d_PUBKEY(k, &d);
	struct tc_result r;

	if (n <= 0)
		return tc_fail_openssl(TC_ERR_INTERNAL, "SubjectPublicKeyInfo");
	r = tc_buf_append(out, d, (size_t)n);
	OPENSSL_free(d);
	return r;
}

/* A PKCS #10 request: CN, DNS SANs (extensionRequest), signed with SHA-256 (P-256) or SHA-384 (P-384). */
static TC_RESULT csr_build(EVP_PKEY *k, const struct req_flags *o, struct tc_buf *pem)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	GENERAL_NAMES *sans = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	const EVP_MD *md = strcmp(o->key_type, "p384") == 0 ? EVP_sha384() : EVP_sha256();
	struct tc_result r = tc_ok();
	char *p = NULL;
	long n;

	if (!req || !name || !bio || !X509_REQ_set_version(req, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)o->cn, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, k)) {
		r = tc_fail_openssl(TC_ERR_INTERNAL, "CSR");
		goto out;
	}
	if (o->n_san > 0) {
		sans = GENERAL_NAMES_new();
		exts = sk_X509_EXTENSION_new_null();
		for (size_t i = 0; sans && i < o->n_san; i++) {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			if (!g || !s || !ASN1_STRING_set(s, o->san[i], -1)) {
				GENERAL_NAME_free(g);
				ASN1_IA5STRING_free(s);
				r = tc_fail_openssl(TC_ERR_INTERNAL, "CSR SAN");
				goto out;
			}
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
			if (!sk_GENERAL_NAME_push(sans, g)) {
				GENERAL_NAME_free(g);
				r = tc_fail_openssl(TC_ERR_INTERNAL, "CSR SAN");
				goto out;
			}
		}
		X509_EXTENSION *ext = sans ? X509V3_EXT_i2d(NID_subject_alt_name, 0, sans) : NULL;

		if (!ext || !exts || !sk_X509_EXTENSION_push(exts, ext)) {
			X509_EXTENSION_free(ext);
			r = tc_fail_openssl(TC_ERR_INTERNAL, "CSR SAN");
			goto out;
		}
		if (!X509_REQ_add_extensions(req, exts)) {
			r = tc_fail_openssl(TC_ERR_INTERNAL, "CSR extensions");
			goto out;
		}
	}
	if (X509_REQ_sign(req, k, md) <= 0 || !PEM_write_bio_X509_REQ(bio, req)) {
		r = tc_fail_openssl(TC_ERR_INTERNAL, "CSR signature");
		goto out;
	}
	n = BIO_get_mem_data(bio, &p);
	r = tc_buf_append(pem, p, (size_t)n);
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(sans);
	X509_NAME_free(name);
	X509_REQ_free(req);
	BIO_free(bio);
	return r;
}

/* DIR/key.pem: unencrypted PKCS #8 PEM, mode 0600 (the memory copy is zeroed). */
static TC_RESULT key_write(EVP_PKEY *k, const char *path)
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct tc_result r;
	char *p = NULL;
	long n;

	if (!bio || !PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return tc_fail_openssl(TC_ERR_INTERNAL, "private key PEM");
	}
	n = BIO_get_mem_data(bio, &p);
	r = tc_file_write(path, p, (size_t)n, 0600);
	tc_secure_zero(p, (size_t)n);
	BIO_free(bio);
	return r;
}

/* --------------------------------------------------------------------------------------------- evidence */

/* A simulated TDX quote (vf_tdx_quote_for): PKI is `teecert sim tdx --init PKI` (or `sim init PKI`: PKI/tdx). */
static TC_RESULT evidence_sim(const char *pki_dir, const uint8_t rd[VF_REPORT_DATA_LEN], json_t **out)
{
	char tdx[REQ_PATH_MAX];
	struct tc_buf quote, b64;
	struct stat st;
	struct tc_result r;

	TC_ENSURE((size_t)snprintf(tdx, sizeof(tdx), "%s/tdx/intel_root.pem", pki_dir) < sizeof(tdx),
		  TC_ERR_INVALID_ARGUMENT, "--sim path too long");
	if (stat(tdx, &st) == 0)
		tdx[strlen(tdx) - strlen("/intel_root.pem")] = '\0';
	else
		(void)snprintf(tdx, sizeof(tdx), "%s", pki_dir);
	tc_buf_init(&quote, REQ_EVIDENCE_MAX);
	tc_buf_init(&b64, 2 * REQ_EVIDENCE_MAX);
	r = vf_tdx_quote_for(tdx, rd, &quote);
	if (tc_is_ok(r))
		r = tc_base64_encode(quote.data, quote.len, &b64);
	if (tc_is_ok(r)) {
		*out = json_pack("{s:s, s:s%}", "tee", "tdx", "quote", (const char *)b64.data, b64.len);
		if (!*out)
			r = tc_fail(TC_ERR_NO_MEMORY, "evidence");
	}
	tc_buf_cleanup(&quote);
	tc_buf_cleanup(&b64);
	return r;
}

static json_t *b64_string(const struct tc_buf *b, struct tc_result *r)
{
	struct tc_buf t;
	json_t *s = NULL;

	tc_buf_init(&t, 2 * b->len + 16);
	*r = tc_base64_encode(b->data, b->len, &t);
	if (tc_is_ok(*r) && !(s = json_stringn((const char *)t.data, t.len)))
		*r = tc_fail(TC_ERR_NO_MEMORY, "evidence");
	tc_buf_cleanup(&t);
	return s;
}

/* This machine's TEE (docs/collect.md): a TDX quote, or an SNP report with the host's VCEK/VLEK. */
static TC_RESULT evidence_real(const uint8_t rd[VF_REPORT_DATA_LEN], json_t **out)
{
	struct vf_cpu_evidence ev;
	struct tc_result r = tc_ok();
	json_t *j = NULL, *e;

	TC_GUARD(vf_collect_cpu(NULL, rd, &ev));
	if (ev.tee == VF_TEE_TDX && ev.td_report_only)
		r = tc_fail(TC_ERR_UNSUPPORTED, "only a TDREPORT via %s: a quote needs configfs-tsm and the host's QGS",
			    ev.interface);
	else if (ev.tee == VF_TEE_SNP && ev.endorsement.len == 0)
		r = tc_fail(TC_ERR_UNSUPPORTED,
			    "the host attached no VCEK/VLEK to the SNP report (fetch it from AMD KDS)");
	else if (ev.tee != VF_TEE_TDX && ev.tee != VF_TEE_SNP)
		r = tc_fail(TC_ERR_UNSUPPORTED, "unsupported TEE %s", vf_tee_name(ev.tee));
	if (tc_is_ok(r))
		j = json_pack("{s:s}", "tee", vf_tee_name(ev.tee));
	if (tc_is_ok(r) && !j)
		r = tc_fail(TC_ERR_NO_MEMORY, "evidence");
	if (tc_is_ok(r) && (e = b64_string(&ev.evidence, &r)))
		json_object_set_new(j, ev.tee == VF_TEE_TDX ? "quote" : "report", e);
	if (tc_is_ok(r) && ev.tee == VF_TEE_SNP && (e = b64_string(&ev.endorsement, &r)))
		json_object_set_new(j, ev.is_vlek ? "vlek" : "vcek", e);
	vf_cpu_evidence_cleanup(&ev);
	if (tc_is_ok(r))
		*out = j;
	else
		json_decref(j);
	return r;
}

/* ------------------------------------------------------------------------------------------------- HTTP */

enum req_stage { STAGE_LOCAL, STAGE_CA };

/* POST BODY to CA PATH; parsed answer in *OUT. Unreachable -> TC_ERR_IO. */
static TC_RESULT post(const char *ca, const char *path, const struct tc_buf *body, long *status, json_t **out)
{
	char url[REQ_URL_MAX];
	struct tc_buf resp;
	struct tc_result r;

	TC_ENSURE((size_t)snprintf(url, sizeof(url), "%s%s", ca, path) < sizeof(url), TC_ERR_INVALID_ARGUMENT,
		  "--ca URL too long");
	tc_buf_init(&resp, REQ_RESPONSE_MAX);
	r = cli_http_post_json(url, body ? body->data : NULL, body ? body->len : 0, REQ_TIMEOUT_MS, status, &resp);
	if (tc_is_ok(r))
		r = tc_json_parse((const char *)resp.data, resp.len, REQ_RESPONSE_MAX, out);
	if (!tc_is_ok(r) && r.code != TC_ERR_IO)
		r = tc_fail(TC_ERR_IO, "POST %s: HTTP %ld, not a JSON answer", url, *status);
	tc_buf_cleanup(&resp);
	return r;
}

/* J's string member KEY, or "?" (for printing). */
static const char *str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "?";
}

/* An error answer {code, hint, detail}: print it; 4xx -> refused (2), else 3. */
static int refused(const char *what, long status, const json_t *j)
{
	fprintf(stderr, PROG ": %s refused (HTTP %ld): %s: %s\n", what, status, str(j, "code"), str(j, "detail"));
	if (json_string_value(json_object_get(j, "hint")))
		fprintf(stderr, "  hint: %s\n", str(j, "hint"));
	return status >= 400 && status < 500 ? CLI_EXIT_REJECTED : CLI_EXIT_INTERNAL;
}

static TC_RESULT write_outputs(const struct req_flags *o, EVP_PKEY *k, const json_t *resp)
{
	char path[REQ_PATH_MAX];
	const char *cert = json_string_value(json_object_get(resp, "certificate"));
	const json_t *chain = json_object_get(resp, "chain"), *app = json_object_get(resp, "appraisal");
	struct tc_buf b;
	struct tc_result r = tc_ok();
	size_t i;
	json_t *c;

	TC_ENSURE(cert && json_is_array(chain) && json_is_object(app), TC_ERR_INTERNAL,
		  "the CA's answer lacks certificate, chain or appraisal");
	tc_buf_init(&b, REQ_RESPONSE_MAX);
	json_array_foreach(chain, i, c) {
		if (tc_is_ok(r))
			r = json_is_string(c) ? tc_buf_append_str(&b, json_string_value(c)) :
						tc_fail(TC_ERR_INTERNAL, "chain[%zu] is not a string", i);
	}
#define OUT_PATH(name)                                                                                                 \
	((size_t)snprintf(path, sizeof(path), "%s/" name, o->out) < sizeof(path) ?                                     \
		 tc_ok() :                                                                                             \
		 tc_fail(TC_ERR_INVALID_ARGUMENT, "--out path too long"))
	if (tc_is_ok(r) && tc_is_ok(r = OUT_PATH("chain.pem")))
		r = tc_file_write(path, b.data, b.len, 0644);
	if (tc_is_ok(r) && tc_is_ok(r = OUT_PATH("cert.pem")))
		r = tc_file_write(path, cert, strlen(cert), 0644);
	tc_buf_reset(&b);
	if (tc_is_ok(r))
		r = tc_json_dump(app, &b);
	if (tc_is_ok(r))
		r = tc_buf_append_str(&b, "\n");
	if (tc_is_ok(r) && tc_is_ok(r = OUT_PATH("appraisal.json")))
		r = tc_file_write(path, b.data, b.len, 0644);
	if (tc_is_ok(r) && tc_is_ok(r = OUT_PATH("key.pem")))
		r = key_write(k, path);
#undef OUT_PATH
	tc_buf_cleanup(&b);
	return r;
}

static int fail_local(const char *what, struct tc_result r)
{
	fprintf(stderr, PROG ": %s: %s: %s\n", what, tc_error_info(r.code)->code, tc_error_detail());
	return CLI_EXIT_INTERNAL;
}

int cli_cmd_request(int argc, char **argv)
{
	struct req_flags o = { .key_type = "p256", .cn = NULL };
	struct tc_buf spki, csr, body, wlfile;
	EVP_PKEY *key = NULL;
	json_t *resp = NULL, *wl = NULL, *ev = NULL, *req = NULL;
	const json_t *dev0;
	const char *nonce_hex;
	uint8_t nonce[VF_BINDING_NONCE_LEN], rd[VF_REPORT_DATA_LEN], wlh[VF_BINDING_HASH_LEN];
	long status = 0;
	int rc;
	struct tc_result r = tc_ok();

	if (argc >= 2 && cli_is_help(argv[1])) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	o.cn = argc >= 2 && strcmp(argv[1], "workload") == 0 ? "teecert-workload" : "teecert-cvm";
	if ((rc = parse(argc, argv, &o)) != CLI_EXIT_OK)
		return rc;
	if (mkdir(o.out, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, PROG ": --out %s: %s\n", o.out, strerror(errno));
		return CLI_EXIT_INTERNAL;
	}
	tc_buf_init(&spki, 4096);
	tc_buf_init(&csr, REQ_FILE_MAX);
	tc_buf_init(&body, REQ_BODY_MAX);
	tc_buf_init(&wlfile, REQ_FILE_MAX);
	rc = CLI_EXIT_INTERNAL;

	/* Local inputs first: a bad file is reported before the CA spends a challenge. */
	if (o.workload_info) {
		r = tc_file_read(o.workload_info, REQ_FILE_MAX, &wlfile);
		if (tc_is_ok(r))
			r = tc_json_parse((const char *)wlfile.data, wlfile.len, REQ_FILE_MAX, &wl);
		if (tc_is_ok(r) && !json_is_object(wl))
			r = tc_fail(TC_ERR_INVALID_ARGUMENT, "%s: not a JSON object", o.workload_info);
		if (tc_is_ok(r))
			r = vf_binding_workload_info_hash(wl, wlh);
		tc_buf_reset(&wlfile);
		if (tc_is_ok(r))
			r = tc_file_read(o.cvm_cert, REQ_FILE_MAX, &wlfile);
		if (!tc_is_ok(r)) {
			rc = fail_local("workload inputs", r);
			goto out;
		}
	}
	r = key_generate(o.key_type, &key);
	if (tc_is_ok(r))
		r = spki_der(key, &spki);
	if (tc_is_ok(r))
		r = csr_build(key, &o, &csr);
	if (!tc_is_ok(r)) {
		rc = fail_local("key", r);
		goto out;
	}

	r = post(o.ca, "/v1/challenges", NULL, &status, &resp);
	if (!tc_is_ok(r)) {
		fprintf(stderr, PROG ": could not ask the CA: %s\n", tc_error_detail());
		goto out;
	}
	if (status != 201) {
		rc = refused("challenge", status, resp);
		goto out;
	}
	nonce_hex = json_string_value(json_object_get(resp, "nonce"));
	r = nonce_hex ? tc_hex_decode_fixed(nonce_hex, strlen(nonce_hex), nonce, sizeof(nonce)) :
			tc_fail(TC_ERR_INTERNAL, "the challenge has no nonce");
	if (tc_is_ok(r))
		r = vf_binding_report_data(spki.data, spki.len, nonce, o.workload_info ? wlh : NULL, rd);
	if (tc_is_ok(r))
		r = o.sim ? evidence_sim(o.sim, rd, &ev) : evidence_real(rd, &ev);
	if (!tc_is_ok(r)) {
		rc = fail_local("evidence", r);
		goto out;
	}
	req = json_pack("{s:s, s:s%, s:s, s:O}", "kind", o.kind, "csr", (const char *)csr.data, csr.len, "nonce",
			nonce_hex, "evidence", ev);
	if (req && wl) {
		json_object_set(req, "workload_info", wl);
		json_object_set_new(req, "cvm_certificate", json_stringn((const char *)wlfile.data, wlfile.len));
	}
	r = req ? tc_json_dump(req, &body) : tc_fail(TC_ERR_NO_MEMORY, "request");
	json_decref(resp);
	resp = NULL;
	if (tc_is_ok(r)) {
		r = post(o.ca, "/v1/certificates", &body, &status, &resp);
		if (!tc_is_ok(r)) {
			fprintf(stderr, PROG ": could not ask the CA: %s\n", tc_error_detail());
			goto out;
		}
	}
	if (!tc_is_ok(r)) {
		rc = fail_local("request", r);
		goto out;
	}
	if (status != 201) {
		rc = refused("certificate", status, resp);
		goto out;
	}
	r = write_outputs(&o, key, resp);
	if (!tc_is_ok(r)) {
		rc = fail_local("writing the certificate", r);
		goto out;
	}
	dev0 = json_array_get(json_object_get(json_object_get(resp, "appraisal"), "devices"), 0);
	printf("issued %s certificate serial %s by CA %s, valid until %s\n", o.kind, str(resp, "serial"),
	       str(resp, "ca"), str(resp, "not_after"));
	printf("  tee %s, tcb_status %s, log index %lld\n", str(dev0, "tee"), str(dev0, "tcb_status"),
	       (long long)json_integer_value(json_object_get(resp, "log_index")));
	printf("  wrote %s/key.pem (0600) cert.pem chain.pem appraisal.json\n", o.out);
	rc = CLI_EXIT_OK;
out:
	json_decref(resp);
	json_decref(wl);
	json_decref(ev);
	json_decref(req);
	EVP_PKEY_free(key);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&csr);
	tc_buf_cleanup(&body);
	tc_buf_cleanup(&wlfile);
	return rc;
}
