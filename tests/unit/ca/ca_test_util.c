/*
 * ca_test_util.c — fixtures of the ca/ tests (see ca_test_util.h).
 */
#include "ca_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static const uint8_t quote_bytes[] = "\x04\x00\x02\x00\x81\x00\x00\x00fake TDX quote for ca tests";
static const uint8_t spdm_bytes[] = "\x11\xe0 fake SPDM transcript";
static const char chain_bytes[] = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";

const struct vf_item ca_test_evidence[3] = {
	{ "tdx_quote", quote_bytes, sizeof(quote_bytes) - 1 },
	{ "gpu0.spdm", spdm_bytes, sizeof(spdm_bytes) - 1 },
	{ "gpu0.cert_chain", (const uint8_t *)chain_bytes, sizeof(chain_bytes) - 1 },
};

void ca_test_appraisal(struct vf_appraisal *a, bool simulated)
{
	struct vf_device *d;

	vf_appraisal_init(a);
	d = vf_appraisal_add_device(a, "cpu0", VF_TEE_TDX);
	assert_non_null(d);
	d->simulated = simulated;
	d->has_tcb_status = true;
	d->tcb_status = VF_TCB_SW_HARDENING_NEEDED;
	json_object_set_new(d->claims, "fmspc", json_string("00906ed50000"));
	json_object_set_new(d->claims, "ppid", json_string("000102030405060708090a0b0c0d0e0f"));
	json_object_set_new(d->claims, "mrtd", json_string("aa"));
	d = vf_appraisal_add_device(a, "gpu0", VF_TEE_NVIDIA);
	assert_non_null(d);
	d->simulated = simulated;
	json_object_set_new(d->claims, "ueid", json_string("0102030405060708"));
	assert_true(tc_is_ok(vf_appraisal_add_digest(a, "tcb_info", "tcb", 3)));
	assert_true(tc_is_ok(vf_appraisal_add_digest(a, "intel_root", "root", 4)));
	memset(a->policy_digest, 0x11, 32);
	memset(a->evidence_digest, 0x22, 32);
	a->appraised_at = CA_TEST_NOW - 5;
}

char *ca_test_req_pem(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = calloc(1, (size_t)n + 1);
	assert_non_null(pem);
	memcpy(pem, data, (size_t)n);
	BIO_free(bio);
	return pem;
}

char *ca_test_csr_pem(EVP_PKEY *pkey, const char *cn, const char *const *sans, const EVP_MD *md)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	char *pem;

	assert_non_null(req);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, pkey);
	if (sans != NULL && sans[0] != NULL) {
		char list[1024] = "";
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *ext;

		for (size_t i = 0; sans[i] != NULL; i++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s", i ? "," : "", sans[i]);
		}
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, list);
		assert_non_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
		X509_REQ_add_extensions(req, exts);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(req, pkey, md) > 0);
	pem = ca_test_req_pem(req);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return pem;
}

static void issue(struct ca_issuer *iss, const char *csr_pem, enum ca_role role, const struct vf_appraisal *a,
		  const struct ca_issued *cvm, struct ca_issued *out)
{
	struct ca_csr csr;
	struct ca_issue_request req = { 0 };
	static const uint8_t wih[32] = { 0xab, 0xcd };
	struct tc_result r;

	r = ca_csr_parse_pem(csr_pem, strlen(csr_pem), &csr);
	if (!tc_is_ok(r))
		fail_msg("csr: %s", tc_error_detail());
	req.csr = &csr;
	ca_profile_default(role, &req.profile);
	req.appraisal = a;
	req.evidence = a != NULL ? ca_test_evidence : NULL;
	req.n_evidence = a != NULL ? 3 : 0;
	req.now = CA_TEST_NOW;
	req.has_log_seq = true;
	req.log_seq = 42;
	if (role == CA_ROLE_WORKLOAD) {
		req.workload_info_hash = wih;
		req.cvm_cert_der = cvm->der.data;
		req.cvm_cert_len = cvm->der.len;
	}
	r = ca_issue(iss, &req, out);
	if (!tc_is_ok(r))
		fail_msg("issue %s: %s: %s", ca_role_name(role), tc_error_info(r.code)->code, tc_error_detail());
	ca_csr_cleanup(&csr);
}

static const uint8_t test_log_id[32] = { 1, 2, 3 };

void ca_test_chain_build(struct ca_test_chain *c)
{
	struct tc_buf pem = { 0 };
	struct vf_appraisal a;
	static const char *const cvm_sans[] = { "DNS:cvm1.example", "IP:10.0.0.7", NULL };
	char *csr;

	memset(c, 0, sizeof(*c));
	ca_test_appraisal(&a, true);
	assert_true(tc_is_ok(ca_signer_file_generate(CA_KEY_P384, NULL, NULL, 0, &c->root_signer)));
	assert_true(tc_is_ok(ca_signer_file_generate(CA_KEY_P384, NULL, NULL, 0, &c->sub_signer)));
	c->root_iss = (struct ca_issuer){ .signer = c->root_signer, .network = CA_NETWORK_UNTRUSTED,
					  .crl_url = "http://ca.example/root.crl", .ocsp_url = "http://ca.example/ocsp",
					  .log_id = test_log_id, .log_id_len = sizeof(test_log_id) };
	assert_true(tc_is_ok(ca_csr_build(c->root_signer, "teecert test root", "teecert", NULL, 0, &pem)));
	issue(&c->root_iss, (const char *)pem.data, CA_ROLE_ROOT, &a, NULL, &c->root);
	tc_buf_cleanup(&pem);
	c->root_iss.cert_der = c->root.der.data;
	c->root_iss.cert_len = c->root.der.len;

	assert_true(tc_is_ok(ca_csr_build(c->sub_signer, "teecert test subroot", "teecert", NULL, 0, &pem)));
	issue(&c->root_iss, (const char *)pem.data, CA_ROLE_SUBROOT, &a, NULL, &c->sub);
	tc_buf_cleanup(&pem);
	c->sub_iss = c->root_iss;
	c->sub_iss.signer = c->sub_signer;
	c->sub_iss.cert_der = c->sub.der.data;
	c->sub_iss.cert_len = c->sub.der.len;
	c->sub_iss.crl_url = "http://ca.example/sub.crl";

	c->cvm_key = EVP_EC_gen("P-256");
	csr = ca_test_csr_pem(c->cvm_key, "cvm1", cvm_sans, EVP_sha256());
	issue(&c->sub_iss, csr, CA_ROLE_CVM, &a, NULL, &c->cvm);
	free(csr);
	c->workload_key = EVP_EC_gen("P-384");
	csr = ca_test_csr_pem(c->workload_key, "workload order 7", NULL, EVP_sha384());
	issue(&c->sub_iss, csr, CA_ROLE_WORKLOAD, &a, &c->cvm, &c->workload);
	free(csr);
	vf_appraisal_cleanup(&a);
}

void ca_test_chain_free(struct ca_test_chain *c)
{
	ca_signer_free(&c->root_signer);
	ca_signer_free(&c->sub_signer);
	ca_issued_cleanup(&c->root);
	ca_issued_cleanup(&c->sub);
	ca_issued_cleanup(&c->cvm);
	ca_issued_cleanup(&c->workload);
	EVP_PKEY_free(c->cvm_key);
	EVP_PKEY_free(c->workload_key);
}
