/*
 * ca_chain_tool.c — writes a chain issued by ca/ for the openssl CLI test (test_ca_openssl_cli.sh):
 *   ca_chain_tool issue DIR          root.pem sub.pem cvm.pem workload.pem, sub.crl (workload revoked),
 *                                    root.crl, sub.key (encrypted PKCS#8, passphrase $TEECERT_TEST_PASS)
 *   ca_chain_tool respond DIR REQ OUT  answer the DER OCSP request REQ with the subroot's key from sub.key
 *   ca_chain_tool csr DIR             a CSR of our own CSR builder (csr.pem) for `openssl req -verify`
 * Times are the real clock so the openssl CLI (which has no -attime for ocsp) accepts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca.h"

#define PASS_ENV "TEECERT_TEST_PASS"

static int die(const char *what, struct tc_result r)
{
	fprintf(stderr, "ca_chain_tool: %s: %s: %s\n", what, tc_error_info(r.code)->code, tc_error_detail());
	return 1;
}

#define CHECK(what, expr)                                                                                  \
	do {                                                                                               \
		struct tc_result r_ = (expr);                                                              \
		if (!tc_is_ok(r_))                                                                         \
			return die(what, r_);                                                              \
	} while (0)

static char *path_in(const char *dir, const char *name)
{
	static char buf[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static struct tc_result issue(const struct ca_issuer *iss, const char *pem, enum ca_role role,
			      const struct vf_appraisal *a, const struct ca_issued *cvm, int64_t now, struct ca_issued *out)
{
	struct ca_csr csr;
	struct ca_issue_request req = { 0 };
	static const uint8_t wih[32] = { 0x77 };
	static const uint8_t quote[] = "fake TDX quote";
	static const struct vf_item ev[1] = { { "tdx_quote", quote, sizeof(quote) - 1 } };
	struct tc_result r = ca_csr_parse_pem(pem, strlen(pem), &csr);

	if (!tc_is_ok(r))
		return r;
	req.csr = &csr;
	ca_profile_default(role, &req.profile);
	req.appraisal = a;
	req.evidence = ev;
	req.n_evidence = 1;
	req.now = now;
	if (role == CA_ROLE_WORKLOAD) {
		req.workload_info_hash = wih;
		req.cvm_cert_der = cvm->der.data;
		req.cvm_cert_len = cvm->der.len;
	}
	r = ca_issue(iss, &req, out);
	ca_csr_cleanup(&csr);
	return r;
}

static struct tc_result leaf_csr(enum ca_key_kind kind, const char *cn, const char *dns, struct tc_buf *pem)
{
	struct ca_signer *s = NULL;
	const char *names[1] = { dns };
	struct tc_result r = ca_signer_file_generate(kind, NULL, NULL, 0, &s);

	if (tc_is_ok(r))
		r = ca_csr_build(s, cn, NULL, names, dns != NULL ? 1 : 0, pem);
	ca_signer_free(&s);
	return r;
}

static int cmd_issue(const char *dir)
{
	struct ca_signer *root = NULL, *sub = NULL;
	struct tc_buf pass = { 0 }, pem = { 0 }, crl = { 0 };
	struct ca_issued rc, sc, cc, wc;
	struct ca_issuer ri = { 0 }, si;
	struct vf_appraisal a;
	struct vf_device *d;
	struct ca_revoked rv = { .reason = CA_REASON_KEY_COMPROMISE };
	int64_t now = tc_time_now();

	vf_appraisal_init(&a);
	d = vf_appraisal_add_device(&a, "cpu0", VF_TEE_TDX);
	d->simulated = true;
	a.appraised_at = now;
	CHECK("passphrase", ca_passphrase_load(NULL, PASS_ENV, &pass));
	CHECK("root key", ca_signer_file_generate(CA_KEY_P384, NULL, NULL, 0, &root));
	CHECK("sub key", ca_signer_file_generate(CA_KEY_P384, path_in(dir, "sub.key"), pass.data, pass.len, &sub));
	ri.signer = root;
	ri.network = CA_NETWORK_UNTRUSTED;
	ri.ocsp_url = "http://127.0.0.1:1/ocsp";
	ri.crl_url = "http://127.0.0.1:1/root.crl";
	CHECK("root csr", ca_csr_build(root, "teecert cli root", "teecert", NULL, 0, &pem));
	CHECK("root", issue(&ri, (const char *)pem.data, CA_ROLE_ROOT, &a, NULL, now, &rc));
	ri.cert_der = rc.der.data;
	ri.cert_len = rc.der.len;
	tc_buf_reset(&pem);
	CHECK("sub csr", ca_csr_build(sub, "teecert cli subroot", "teecert", NULL, 0, &pem));
	CHECK("sub", issue(&ri, (const char *)pem.data, CA_ROLE_SUBROOT, &a, NULL, now, &sc));
	si = ri;
	si.signer = sub;
	si.cert_der = sc.der.data;
	si.cert_len = sc.der.len;
	si.crl_url = "http://127.0.0.1:1/sub.crl";
	tc_buf_reset(&pem);
	CHECK("cvm csr", leaf_csr(CA_KEY_P256, "cvm1", "cvm1.example", &pem));
	CHECK("cvm", issue(&si, (const char *)pem.data, CA_ROLE_CVM, &a, NULL, now, &cc));
	tc_buf_reset(&pem);
	CHECK("workload csr", leaf_csr(CA_KEY_P384, "workload 1", NULL, &pem));
	CHECK("workload", issue(&si, (const char *)pem.data, CA_ROLE_WORKLOAD, &a, &cc, now, &wc));
	CHECK("write", tc_file_write(path_in(dir, "root.pem"), rc.pem.data, rc.pem.len, 0644));
	CHECK("write", tc_file_write(path_in(dir, "sub.pem"), sc.pem.data, sc.pem.len, 0644));
	CHECK("write", tc_file_write(path_in(dir, "cvm.pem"), cc.pem.data, cc.pem.len, 0644));
	CHECK("write", tc_file_write(path_in(dir, "workload.pem"), wc.pem.data, wc.pem.len, 0644));
	CHECK("write", tc_file_write(path_in(dir, "workload.der"), wc.der.data, wc.der.len, 0644));
	CHECK("write", tc_file_write(path_in(dir, "revoked.bin"), wc.serial, CA_SERIAL_LEN, 0644));
	memcpy(rv.serial, wc.serial, CA_SERIAL_LEN);
	rv.serial_len = CA_SERIAL_LEN;
	rv.revoked_at = now - 5;
	CHECK("sub crl", ca_crl_build(&si, &rv, 1, 1, now - 10, now + 3600, &crl));
	CHECK("write", tc_file_write(path_in(dir, "sub.crl"), crl.data, crl.len, 0644));
	tc_buf_reset(&crl);
	CHECK("root crl", ca_crl_build(&ri, NULL, 0, 1, now - 10, now + 3600, &crl));
	CHECK("write", tc_file_write(path_in(dir, "root.crl"), crl.data, crl.len, 0644));
	ca_issued_cleanup(&rc);
	ca_issued_cleanup(&sc);
	ca_issued_cleanup(&cc);
	ca_issued_cleanup(&wc);
	ca_signer_free(&root);
	ca_signer_free(&sub);
	vf_appraisal_cleanup(&a);
	tc_buf_cleanup(&pass);
	tc_buf_cleanup(&pem);
	tc_buf_cleanup(&crl);
	return 0;
}

static struct tc_result lookup(void *ctx, const uint8_t *serial, size_t len, struct ca_ocsp_status *out)
{
	const struct tc_buf *revoked = ctx;

	out->status = CA_OCSP_GOOD;
	if (len == revoked->len && memcmp(serial, revoked->data, len) == 0) {
		out->status = CA_OCSP_REVOKED;
		out->revoked_at = tc_time_now() - 5;
		out->reason = CA_REASON_KEY_COMPROMISE;
	}
	return tc_ok();
}

static int cmd_respond(const char *dir, const char *req_path, const char *out_path)
{
	struct tc_buf pass = { 0 }, req = { 0 }, resp = { 0 }, revoked = { 0 }, subpem = { 0 };
	struct ca_signer *sub = NULL;
	struct ca_ocsp_responder rs = { 0 };
	struct ca_ocsp_result res;
	X509 *x;
	BIO *bio;
	unsigned char *der = NULL;
	int n;

	CHECK("passphrase", ca_passphrase_load(NULL, PASS_ENV, &pass));
	CHECK("open key", ca_signer_file_open(path_in(dir, "sub.key"), pass.data, pass.len, &sub));
	CHECK("read", tc_file_read(req_path, CA_OCSP_REQUEST_MAX * 2, &req));
	CHECK("read", tc_file_read(path_in(dir, "revoked.bin"), 64, &revoked));
	CHECK("read", tc_file_read(path_in(dir, "sub.pem"), 65536, &subpem));
	bio = BIO_new_mem_buf(subpem.data, (int)subpem.len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	n = x != NULL ? i2d_X509(x, &der) : -1;
	if (n <= 0)
		return die("sub.pem", tc_fail(TC_ERR_INVALID_ARGUMENT, "unreadable"));
	rs.ca_cert_der = der;
	rs.ca_cert_len = (size_t)n;
	rs.signer = sub;
	rs.validity_s = 3600;
	rs.lookup = lookup;
	rs.lookup_ctx = &revoked;
	CHECK("respond", ca_ocsp_respond(&rs, req.data, req.len, tc_time_now(), &resp, &res));
	CHECK("write", tc_file_write(out_path, resp.data, resp.len, 0644));
	printf("response_status=%d single=%zu nonce=%d\n", res.response_status, res.n_single, res.nonce_echoed);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	ca_signer_free(&sub);
	tc_buf_cleanup(&pass);
	tc_buf_cleanup(&req);
	tc_buf_cleanup(&resp);
	tc_buf_cleanup(&revoked);
	tc_buf_cleanup(&subpem);
	return 0;
}

static int cmd_csr(const char *dir)
{
	struct tc_buf pem = { 0 };

	CHECK("csr", leaf_csr(CA_KEY_P384, "csr test", "node.example", &pem));
	CHECK("write", tc_file_write(path_in(dir, "csr.pem"), pem.data, pem.len, 0644));
	tc_buf_cleanup(&pem);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "issue") == 0)
		return cmd_issue(argv[2]);
	if (argc == 5 && strcmp(argv[1], "respond") == 0)
		return cmd_respond(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "csr") == 0)
		return cmd_csr(argv[2]);
	fprintf(stderr, "usage: ca_chain_tool issue DIR | respond DIR REQ OUT | csr DIR\n");
	return 2;
}
