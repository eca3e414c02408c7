/*
 * api_enroll.c — `teecert-ca enroll` (DESIGN.md "Certificates", profile subroot): a sub-CA enrolls under its
 * parent root.
 *
 *   1. generate the sub-CA key in this process (encrypted PKCS#8 file, 0600, ca signer backend);
 *   2. POST PARENT/v1/challenges; bind the key: report_data = vf_binding_report_data(SPKI, nonce);
 *   3. evidence from the TEE (vf_collect_cpu, TDX quote) or, for development, a simulated TDX quote (--sim-pki);
 *   4. POST PARENT/v1/certificates {kind: "subroot", name, csr, nonce, evidence}: the root appraises the
 *      evidence and issues the subroot (pathlen 0), recording the `cas` row in the same transaction;
 *   5. write the certificate and check that the deployment database (--db) holds the sub-CA's `cas` row with
 *      exactly that certificate, so `teecert-ca serve --ca-name NAME` can load it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api_internal.h"

#define ENROLL_RESPONSE_MAX ((size_t)1024 * 1024)
#define ENROLL_TIMEOUT_MS 30000L

struct enroll_opts {
	const char *parent, *name, *key_out, *pass_file, *cert_out, *dsn, *sim_pki, *key_type;
};

static void enroll_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s enroll --parent URL --name NAME --key-out FILE --passphrase-file F --cert-out FILE\n"
		"       --db DSN [--sim-pki DIR] [--key-type p384|p256]\n\n"
		"Enroll a sub-CA under the root CA serving at URL: key generated here, its evidence bound to the key\n"
		"and a challenge of the parent, a subroot certificate (pathlen 0) issued after the root appraised it.\n"
		"--sim-pki DIR makes a simulated TDX quote (`teecert sim tdx --init DIR`; untrusted networks only).\n",
		prog);
}

/* Exit 2 when the parent refused (its 4xx/422 answer), 3 otherwise. */
static int fail(const char *prog, const char *what, struct tc_result r)
{
	unsigned st = tc_error_info(r.code)->http_status;

	fprintf(stderr, "%s enroll: %s (%s): %s\n", prog, what, tc_error_info(r.code)->code, tc_error_detail());
	return strcmp(what, "enrollment") == 0 && st >= 400 && st < 500 ? 2 : API_CLI_EXIT_INTERNAL;
}

static int parse(const char *prog, int argc, char **argv, struct enroll_opts *o, bool *help)
{
	static const struct api_cli_opt opts[] = {
		{ "--parent", offsetof(struct enroll_opts, parent) },
		{ "--name", offsetof(struct enroll_opts, name) },
		{ "--key-out", offsetof(struct enroll_opts, key_out) },
		{ "--passphrase-file", offsetof(struct enroll_opts, pass_file) },
		{ "--cert-out", offsetof(struct enroll_opts, cert_out) },
		{ "--db", offsetof(struct enroll_opts, dsn) },
		{ "--sim-pki", offsetof(struct enroll_opts, sim_pki) },
		{ "--key-type", offsetof(struct enroll_opts, key_type) },
	};

	return api_cli_parse_opts(prog, "enroll", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), o, NULL, NULL, 0,
				  NULL, help);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct tc_buf *b = arg;

	return tc_is_ok(tc_buf_append(b, data, size * n)) ? size * n : 0;
}

/* POST BODY (JSON, may be NULL: empty) to BASE PATH; *STATUS and the parsed JSON answer (OUT, new ref). */
static TC_RESULT http_post(const char *base, const char *path, const struct tc_buf *body, long *status, json_t **out)
{
	char url[2048];
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	struct tc_buf resp;
	CURLcode cc = CURLE_FAILED_INIT;
	struct tc_result r = tc_ok();

	tc_buf_init(&resp, ENROLL_RESPONSE_MAX);
	if ((size_t)snprintf(url, sizeof(url), "%s%s", base, path) >= sizeof(url))
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "--parent URL too long");
	if (tc_is_ok(r) && c && hdr) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body->data : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body ? (long)body->len : 0L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ENROLL_TIMEOUT_MS);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		cc = curl_easy_perform(c);
		if (cc != CURLE_OK)
			r = tc_fail(TC_ERR_IO, "POST %s: %s", url, curl_easy_strerror(cc));
		else
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	} else if (tc_is_ok(r)) {
		r = tc_fail(TC_ERR_NO_MEMORY, "curl");
	}
	if (tc_is_ok(r))
		r = tc_json_parse((const char *)resp.data, resp.len, ENROLL_RESPONSE_MAX, out);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	tc_buf_cleanup(&resp);
	return r;
}

/* An error answer {code, detail} of the parent as our result (its stable code when we know it). */
static struct tc_result parent_error(long status, const json_t *j)
{
	enum tc_code code = TC_ERR_INTERNAL;
	const char *c = json_string_value(json_object_get(j, "code"));
	const char *d = json_string_value(json_object_get(j, "detail"));

	if (!c || !tc_error_from_string(c, &code))
		code = TC_ERR_INTERNAL;
	return tc_fail(code, "the parent answered %ld %s: %.300s", status, c ? c : "?", d ? d : "");
}

/* The enrollment request body. */
static TC_RESULT request_body(const char *name, const struct tc_buf *csr_pem, const char *nonce_hex,
			      const struct tc_buf *quote, struct tc_buf *out)
{
	struct tc_buf b64;
	json_t *j;
	struct tc_result r;

	tc_buf_init(&b64, 2 * quote->len + 16);
	r = tc_base64_encode(quote->data, quote->len, &b64);
	j = tc_is_ok(r) ? json_pack("{s:s, s:s, s:s%, s:s, s:{s:s, s:s%}}", "kind", "subroot", "name", name, "csr",
				    (const char *)csr_pem->data, csr_pem->len, "nonce", nonce_hex, "evidence", "tee",
				    "tdx", "quote", (const char *)b64.data, b64.len) :
			  NULL;
	if (tc_is_ok(r) && !j)
		r = tc_fail(TC_ERR_NO_MEMORY, "request");
	if (tc_is_ok(r))
		r = tc_json_dump(j, out);
	json_decref(j);
	tc_buf_cleanup(&b64);
	return r;
}

/* The deployment database records NAME as a subroot with exactly CERT_DER. */
static TC_RESULT check_recorded(struct db_conn *conn, const char *name, const uint8_t *cert_der, size_t len)
{
	struct db_ca row;
	struct tc_buf cert;
	bool found = false;
	struct tc_result r;

	tc_buf_init(&cert, CA_KEY_FILE_MAX);
	r = db_ca_get(conn, name, &row, &cert, &found);
	if (tc_is_ok(r) &&
	    !(found && strcmp(row.role, "subroot") == 0 && cert.len == len && memcmp(cert.data, cert_der, len) == 0))
		r = tc_fail(TC_ERR_INVALID_ARGUMENT,
			    "the database has no subroot '%.64s' with the issued certificate (is --db the "
			    "parent's deployment database?)",
			    name);
	tc_buf_cleanup(&cert);
	return r;
}

int api_cli_ca_enroll(const char *prog, int argc, char **argv)
{
	struct enroll_opts o = { .dsn = getenv("TEECERT_DB_DSN"), .key_type = "p384" };
	struct ca_signer *signer = NULL;
	struct db_conn *conn = NULL;
	struct tc_buf pass, spki, quote, csr_pem, body, der;
	json_t *resp = NULL;
	const char *what = "database";
	const char *nonce_hex = NULL, *cert_pem = NULL;
	uint8_t nonce[VF_BINDING_NONCE_LEN], rd[VF_REPORT_DATA_LEN];
	long status = 0;
	bool help = false;
	int rc = parse(prog, argc, argv, &o, &help);
	struct tc_result r;

	if (rc != API_CLI_EXIT_OK || help) {
		if (help)
			enroll_usage(stdout, prog);
		return rc;
	}
	if (!o.parent || !o.name || !o.key_out || !o.cert_out || !o.dsn) {
		fprintf(stderr, "%s enroll: --parent, --name, --key-out, --cert-out and --db are required\n", prog);
		return API_CLI_EXIT_USAGE;
	}
	if (strcmp(o.key_type, "p384") != 0 && strcmp(o.key_type, "p256") != 0) {
		fprintf(stderr, "%s enroll: --key-type must be p384 or p256\n", prog);
		return API_CLI_EXIT_USAGE;
	}
	tc_buf_init(&pass, CA_PASSPHRASE_MAX + 2);
	tc_buf_init(&spki, 4096);
	tc_buf_init(&quote, (size_t)64 * 1024);
	tc_buf_init(&csr_pem, CA_CSR_PEM_MAX);
	tc_buf_init(&body, (size_t)256 * 1024);
	tc_buf_init(&der, CA_KEY_FILE_MAX);

	r = api_ca_db_open_new(o.dsn, o.name, &conn);
	if (tc_is_ok(r)) {
		what = "key";
		r = ca_passphrase_load(o.pass_file, "TEECERT_CA_PASSPHRASE", &pass);
	}
	if (tc_is_ok(r))
		r = ca_signer_file_generate(strcmp(o.key_type, "p256") == 0 ? CA_KEY_P256 : CA_KEY_P384, o.key_out,
					    pass.data, pass.len, &signer);
	if (tc_is_ok(r))
		r = signer->public_key(signer, &spki);
	if (tc_is_ok(r)) {
		what = "challenge";
		r = http_post(o.parent, "/v1/challenges", NULL, &status, &resp);
	}
	if (tc_is_ok(r) && status != 201)
		r = parent_error(status, resp);
	if (tc_is_ok(r)) {
		nonce_hex = json_string_value(json_object_get(resp, "nonce"));
		r = nonce_hex ? tc_hex_decode_fixed(nonce_hex, strlen(nonce_hex), nonce, sizeof(nonce)) :
				tc_fail(TC_ERR_INTERNAL, "the parent's challenge has no nonce");
	}
	if (tc_is_ok(r)) {
		what = "evidence";
		r = vf_binding_report_data(spki.data, spki.len, nonce, NULL, rd);
	}
	if (tc_is_ok(r))
		r = vf_tdx_quote_for(o.sim_pki, rd, &quote);
	if (tc_is_ok(r)) {
		what = "CSR";
		r = ca_csr_build(signer, o.name, "teecert", NULL, 0, &csr_pem);
	}
	if (tc_is_ok(r))
		r = request_body(o.name, &csr_pem, nonce_hex, &quote, &body);
	json_decref(resp);
	resp = NULL;
	if (tc_is_ok(r)) {
		what = "enrollment";
		r = http_post(o.parent, "/v1/certificates", &body, &status, &resp);
	}
	if (tc_is_ok(r) && status != 201)
		r = parent_error(status, resp);
	if (tc_is_ok(r)) {
		cert_pem = json_string_value(json_object_get(resp, "certificate"));
		r = cert_pem ? tc_file_write(o.cert_out, cert_pem, strlen(cert_pem), 0644) :
			       tc_fail(TC_ERR_INTERNAL, "the parent's answer has no certificate");
	}
	if (tc_is_ok(r)) {
		BIO *bio = BIO_new_mem_buf(cert_pem, (int)strlen(cert_pem));
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		unsigned char *d = NULL;
		int n = x ? i2d_X509(x, &d) : -1;

		r = n > 0 ? tc_buf_append(&der, d, (size_t)n) : tc_fail_openssl(TC_ERR_INTERNAL, "issued certificate");
		OPENSSL_free(d);
		X509_free(x);
		BIO_free(bio);
	}
	if (tc_is_ok(r)) {
		what = "database";
		r = check_recorded(conn, o.name, der.data, der.len);
	}
	if (tc_is_ok(r)) {
		printf("sub-CA '%s' enrolled under %s: serial %s, certificate %s, key %s\n", o.name,
		       json_string_value(json_object_get(resp, "ca")),
		       json_string_value(json_object_get(resp, "serial")), o.cert_out, o.key_out);
		fflush(stdout);
	}
	rc = tc_is_ok(r) ? API_CLI_EXIT_OK : fail(prog, what, r);
	if (!tc_is_ok(r) && signer && !cert_pem)
		unlink(o.key_out); /* not enrolled: leave no orphan key behind (a rerun can use the same path) */
	json_decref(resp);
	ca_signer_free(&signer);
	db_conn_free(&conn);
	tc_buf_cleanup(&pass);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&quote);
	tc_buf_cleanup(&csr_pem);
	tc_buf_cleanup(&body);
	tc_buf_cleanup(&der);
	return rc;
}
