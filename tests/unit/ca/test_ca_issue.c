/*
 * test_ca_issue.c — issuance (profiles, RFC 5280 extensions, teecert extensions), CRLs and OCSP, checked
 * with OpenSSL's own verifier and parsers; negative cases for every refusal of ca_issue / ca_ocsp_respond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "ca_test_util.h"

/* The certificate as OpenSSL parses it; its PEM, validity and SHA-256 as ca_issue reported them agree. */
static X509 *x509(const struct ca_issued *c)
{
	const unsigned char *p = c->der.data;
	X509 *x = d2i_X509(NULL, &p, (long)c->der.len);
	BIO *bio = BIO_new_mem_buf(c->pem.data, (int)c->pem.len);
	X509 *from_pem = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = from_pem ? i2d_X509(from_pem, &der) : -1;
	struct tm nb, na;
	uint8_t sha[32];

	assert_non_null(x);
	assert_ptr_equal(p, c->der.data + c->der.len);
	assert_int_equal(n, (int)c->der.len);
	assert_memory_equal(der, c->der.data, c->der.len);
	assert_true(ASN1_TIME_to_tm(X509_get0_notBefore(x), &nb) && ASN1_TIME_to_tm(X509_get0_notAfter(x), &na));
	assert_int_equal((int64_t)timegm(&nb), c->not_before);
	assert_int_equal((int64_t)timegm(&na), c->not_after);
	SHA256(c->der.data, c->der.len, sha);
	assert_memory_equal(sha, c->sha256, 32);
	OPENSSL_free(der);
	X509_free(from_pem);
	BIO_free(bio);
	return x;
}

static int verify_chain(X509 *root, X509 *sub, X509 *leaf, int64_t at, X509_CRL *crl)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok, err;

	X509_STORE_add_cert(st, root);
	if (crl != NULL) {
		X509_STORE_add_crl(st, crl);
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	if (sub != NULL)
		sk_X509_push(untrusted, sub);
	X509_STORE_CTX_init(ctx, st, leaf, untrusted);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
	ok = X509_verify_cert(ctx);
	err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(st);
	return err;
}

static void test_chain_verifies(void **state)
{
	struct ca_test_chain c;
	X509 *root, *sub, *cvm, *wl;

	(void)state;
	ca_test_chain_build(&c);
	root = x509(&c.root);
	sub = x509(&c.sub);
	cvm = x509(&c.cvm);
	wl = x509(&c.workload);
	assert_int_equal(verify_chain(root, NULL, root, CA_TEST_NOW, NULL), X509_V_OK);
	assert_int_equal(verify_chain(root, NULL, sub, CA_TEST_NOW, NULL), X509_V_OK);
	assert_int_equal(verify_chain(root, sub, cvm, CA_TEST_NOW, NULL), X509_V_OK);
	assert_int_equal(verify_chain(root, sub, wl, CA_TEST_NOW, NULL), X509_V_OK);
	/* Outside the validity windows the same chain fails: the check above can fail. */
	assert_int_equal(verify_chain(root, sub, cvm, CA_TEST_NOW + 8 * 24 * 3600, NULL), X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(verify_chain(root, sub, cvm, CA_TEST_NOW - 61, NULL), X509_V_ERR_CERT_NOT_YET_VALID);
	/* A leaf under another root does not verify. */
	assert_int_not_equal(verify_chain(sub, NULL, root, CA_TEST_NOW, NULL), X509_V_OK);
	X509_free(root);
	X509_free(sub);
	X509_free(cvm);
	X509_free(wl);
	ca_test_chain_free(&c);
}

static void test_standard_extensions(void **state)
{
	struct ca_test_chain c;
	X509 *root, *sub, *cvm, *wl;
	const ASN1_INTEGER *serial;
	GENERAL_NAMES *san;
	BASIC_CONSTRAINTS *bc;
	int crit;

	(void)state;
	ca_test_chain_build(&c);
	root = x509(&c.root);
	sub = x509(&c.sub);
	cvm = x509(&c.cvm);
	wl = x509(&c.workload);
	/* Signature algorithm matches the P-384 CA key. */
	assert_int_equal(X509_get_signature_nid(cvm), NID_ecdsa_with_SHA384);
	/* Serial: positive, 16 bytes, as reported. */
	serial = X509_get0_serialNumber(cvm);
	assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);
	assert_int_equal(ASN1_STRING_length(serial), 16);
	assert_memory_equal(ASN1_STRING_get0_data(serial), c.cvm.serial, 16);
	assert_int_equal(strlen(c.cvm.serial_hex), 32);
	/* Validity: backdated 60 s, 7 days; workload within the CVM certificate. */
	assert_int_equal(c.cvm.not_before, CA_TEST_NOW - 60);
	assert_int_equal(c.cvm.not_after, CA_TEST_NOW + 7 * 24 * 3600);
	assert_true(c.workload.not_after <= c.cvm.not_after);
	/* basicConstraints critical; CA flags and pathlen. */
	bc = X509_get_ext_d2i(sub, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	bc = X509_get_ext_d2i(root, NID_basic_constraints, &crit, NULL);
	assert_true(bc->ca && bc->pathlen == NULL);
	BASIC_CONSTRAINTS_free(bc);
	bc = X509_get_ext_d2i(cvm, NID_basic_constraints, &crit, NULL);
	assert_int_equal(crit, 1);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	/* keyUsage critical. */
	assert_int_equal(X509_get_key_usage(root), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_key_usage(cvm), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_ext_by_critical(cvm, 1, -1) >= 0, 1);
	assert_int_equal(X509_get_extended_key_usage(cvm), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	/* SKI/AKI chain up. */
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cvm), X509_get0_subject_key_id(sub)), 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(sub), X509_get0_subject_key_id(root)), 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(root), X509_get0_subject_key_id(root)), 0);
	assert_int_equal(ASN1_STRING_length(X509_get0_subject_key_id(cvm)), 20);
	/* SAN copied (DNS + IP). */
	san = X509_get_ext_d2i(cvm, NID_subject_alt_name, &crit, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 2);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
	assert_int_equal(sk_GENERAL_NAME_value(san, 1)->type, GEN_IPADD);
	GENERAL_NAMES_free(san);
	/* CRL DP and AIA on issued certs, not on the root. */
	assert_true(X509_get_ext_by_NID(cvm, NID_crl_distribution_points, -1) >= 0);
	assert_true(X509_get_ext_by_NID(cvm, NID_info_access, -1) >= 0);
	assert_true(X509_get_ext_by_NID(root, NID_crl_distribution_points, -1) < 0);
	X509_free(root);
	X509_free(sub);
	X509_free(cvm);
	X509_free(wl);
	ca_test_chain_free(&c);
}

static void test_teecert_extensions(void **state)
{
	struct ca_test_chain c;
	struct ca_cert_info info;
	json_t *j;

	(void)state;
	ca_test_chain_build(&c);
	assert_true(tc_is_ok(ca_cert_info_parse(c.workload.der.data, c.workload.der.len, &info)));
	assert_true(info.has_appraisal && info.has_hwid && info.has_role && info.has_log_ref && info.has_evidence &&
		    info.has_ratls && info.has_workload_info);
	assert_int_equal(info.role.role, CA_ROLE_WORKLOAD);
	assert_int_equal(info.role.network, CA_NETWORK_UNTRUSTED);
	assert_true(info.appraisal.accepted);
	assert_int_equal(info.appraisal.n_devices, 2);
	assert_true(info.appraisal.devices[0].simulated);
	assert_int_equal(info.appraisal.devices[0].tcb_status, VF_TCB_SW_HARDENING_NEEDED);
	assert_false(info.appraisal.devices[1].has_tcb_status);
	assert_int_equal(info.appraisal.n_collateral, 2);
	assert_string_equal(info.appraisal.collateral[1].role, "intel_root");
	assert_int_equal(info.appraisal.appraised_at, CA_TEST_NOW - 5);
	assert_true(info.hwid.devices[0].has_fmspc && info.hwid.devices[0].has_ppid);
	assert_int_equal(info.hwid.devices[1].ueid_len, 8);
	assert_int_equal(info.log_ref.seq, 42);
	assert_int_equal(info.workload_info_hash[0], 0xab);
	assert_int_equal(info.evidence.n_items, 3);
	assert_int_equal(info.ratls_quote_len, ca_test_evidence[0].len);
	assert_memory_equal(info.ratls_quote, ca_test_evidence[0].data, ca_test_evidence[0].len);
	assert_true(tc_is_ok(ca_cert_info_to_json(&info, &j)));
	assert_string_equal(json_string_value(json_object_get(j, "role")), "workload");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "appraisal"), "verdict")), "accepted");
	json_decref(j);
	/* The CVM certificate has no workload hash; roles differ. */
	assert_true(tc_is_ok(ca_cert_info_parse(c.cvm.der.data, c.cvm.der.len, &info)));
	assert_false(info.has_workload_info);
	assert_int_equal(info.role.role, CA_ROLE_CVM);
	ca_test_chain_free(&c);
}

/* Issue one certificate from the subroot with tweakable inputs; returns the result code. */
static enum tc_code try_issue(struct ca_test_chain *c, enum ca_role role, const char *const *sans,
			      struct vf_appraisal *a, enum ca_network net, bool with_hash, const struct ca_issuer *iss)
{
	struct ca_csr csr;
	struct ca_issue_request req = { 0 };
	struct ca_issued out;
	struct ca_issuer i = iss != NULL ? *iss : c->sub_iss;
	static const uint8_t wih[32] = { 1 };
	char *pem = ca_test_csr_pem(c->cvm_key, "x", sans, EVP_sha256());
	struct tc_result r;

	assert_true(tc_is_ok(ca_csr_parse_pem(pem, strlen(pem), &csr)));
	free(pem);
	i.network = net;
	req.csr = &csr;
	ca_profile_default(role, &req.profile);
	req.appraisal = a;
	req.evidence = ca_test_evidence;
	req.n_evidence = 1;
	req.now = CA_TEST_NOW;
	if (with_hash)
		req.workload_info_hash = wih;
	if (role == CA_ROLE_WORKLOAD) {
		req.cvm_cert_der = c->cvm.der.data;
		req.cvm_cert_len = c->cvm.der.len;
	}
	r = ca_issue(&i, &req, &out);
	if (tc_is_ok(r))
		ca_issued_cleanup(&out);
	ca_csr_cleanup(&csr);
	return r.code;
}

static void test_issue_refusals(void **state)
{
	struct ca_test_chain c;
	struct vf_appraisal ok, sim, rej;
	static const char *const uri[] = { "URI:spiffe://x/y", NULL };
	static const char *const email[] = { "email:a@b.example", NULL };
	struct ca_issuer wrong;

	(void)state;
	ca_test_chain_build(&c);
	ca_test_appraisal(&ok, false);
	ca_test_appraisal(&sim, true);
	ca_test_appraisal(&rej, false);
	vf_reject(&rej, TC_ERR_TCB_STATUS_REJECTED, "OutOfDate");

	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &ok, CA_NETWORK_TRUSTED, false, NULL), TC_OK);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, uri, &ok, CA_NETWORK_TRUSTED, false, NULL), TC_ERR_SAN_NOT_ALLOWED);
	assert_int_equal(try_issue(&c, CA_ROLE_WORKLOAD, uri, &ok, CA_NETWORK_TRUSTED, true, NULL), TC_OK);
	assert_int_equal(try_issue(&c, CA_ROLE_WORKLOAD, email, &ok, CA_NETWORK_TRUSTED, true, NULL),
			 TC_ERR_SAN_NOT_ALLOWED);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &rej, CA_NETWORK_TRUSTED, false, NULL),
			 TC_ERR_TCB_STATUS_REJECTED);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &sim, CA_NETWORK_TRUSTED, false, NULL), TC_ERR_POLICY_VIOLATION);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &sim, CA_NETWORK_UNTRUSTED, false, NULL), TC_OK);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, NULL, CA_NETWORK_TRUSTED, false, NULL), TC_ERR_PROFILE_VIOLATION);
	assert_int_equal(try_issue(&c, CA_ROLE_WORKLOAD, NULL, &ok, CA_NETWORK_TRUSTED, false, NULL),
			 TC_ERR_PROFILE_VIOLATION);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &ok, CA_NETWORK_TRUSTED, true, NULL), TC_ERR_PROFILE_VIOLATION);
	/* subroot only from the root */
	assert_int_equal(try_issue(&c, CA_ROLE_SUBROOT, NULL, &ok, CA_NETWORK_TRUSTED, false, NULL),
			 TC_ERR_PROFILE_VIOLATION);
	/* issuer certificate not matching the signer */
	wrong = c.sub_iss;
	wrong.signer = c.root_signer;
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &ok, CA_NETWORK_TRUSTED, false, &wrong), TC_ERR_PROFILE_VIOLATION);
	/* a workload bound to a certificate that is not a CVM certificate */
	{
		struct ca_test_chain *cc = &c;
		struct ca_issued saved = cc->cvm;

		cc->cvm = cc->workload;
		assert_int_equal(try_issue(cc, CA_ROLE_WORKLOAD, NULL, &ok, CA_NETWORK_TRUSTED, true, NULL),
				 TC_ERR_PROFILE_VIOLATION);
		cc->cvm = saved;
	}
	vf_appraisal_cleanup(&ok);
	vf_appraisal_cleanup(&sim);
	vf_appraisal_cleanup(&rej);
	ca_test_chain_free(&c);
}

/* ca_issuer_prepare: the facts kept at load give the same certificate fields, and are used only for the
 * certificate bytes and signer they were made from. */
static void test_issuer_prepare(void **state)
{
	struct ca_test_chain c;
	struct vf_appraisal ok;
	struct ca_issuer_facts *sub_facts = NULL, *bad = NULL;
	struct ca_issuer with, other;
	struct ca_issued plain, fast;
	struct ca_csr csr;
	struct ca_issue_request req = { 0 };
	char *pem;
	X509 *a, *b;

	(void)state;
	ca_test_chain_build(&c);
	ca_test_appraisal(&ok, false);
	assert_true(tc_is_ok(ca_issuer_prepare(&c.sub_iss, &sub_facts)));
	with = c.sub_iss;
	with.facts = sub_facts;

	pem = ca_test_csr_pem(c.cvm_key, "x", NULL, EVP_sha256());
	assert_true(tc_is_ok(ca_csr_parse_pem(pem, strlen(pem), &csr)));
	free(pem);
	req.csr = &csr;
	ca_profile_default(CA_ROLE_CVM, &req.profile);
	req.appraisal = &ok;
	req.evidence = ca_test_evidence;
	req.n_evidence = 1;
	req.now = CA_TEST_NOW;
	assert_true(tc_is_ok(ca_issue(&c.sub_iss, &req, &plain)));
	assert_true(tc_is_ok(ca_issue(&with, &req, &fast)));
	a = x509(&plain);
	b = x509(&fast);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(a), X509_get_issuer_name(b)), 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(a), X509_get0_authority_key_id(b)), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(a), X509_get0_notAfter(b)), 0);
	assert_int_equal(fast.not_after, plain.not_after);
	X509_free(a);
	X509_free(b);
	ca_issued_cleanup(&plain);
	ca_issued_cleanup(&fast);
	ca_csr_cleanup(&csr);

	/* Another issuer's facts are ignored: the root (self-issued) may still issue a subroot ... */
	other = c.root_iss;
	other.facts = sub_facts;
	assert_int_equal(try_issue(&c, CA_ROLE_SUBROOT, NULL, &ok, CA_NETWORK_TRUSTED, false, &other), TC_OK);
	/* ... and facts checked with the subroot's signer do not vouch for another signer. */
	other = with;
	other.signer = c.root_signer;
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &ok, CA_NETWORK_TRUSTED, false, &other),
			 TC_ERR_PROFILE_VIOLATION);
	assert_int_equal(try_issue(&c, CA_ROLE_CVM, NULL, &ok, CA_NETWORK_TRUSTED, false, &with), TC_OK);

	/* prepare refuses what ca_issue refuses: a certificate without the signer's key, a non-CA certificate. */
	other = c.sub_iss;
	other.signer = c.root_signer;
	assert_int_equal(ca_issuer_prepare(&other, &bad).code, TC_ERR_PROFILE_VIOLATION);
	other = c.sub_iss;
	other.cert_der = c.cvm.der.data;
	other.cert_len = c.cvm.der.len;
	assert_int_equal(ca_issuer_prepare(&other, &bad).code, TC_ERR_PROFILE_VIOLATION);
	assert_null(bad);

	ca_issuer_facts_free(&sub_facts);
	assert_null(sub_facts);
	vf_appraisal_cleanup(&ok);
	ca_test_chain_free(&c);
}

static void test_profile_check(void **state)
{
	struct ca_profile p;

	(void)state;
	for (int r = CA_ROLE_ROOT; r <= CA_ROLE_WORKLOAD; r++) {
		ca_profile_default((enum ca_role)r, &p);
		assert_true(tc_is_ok(ca_profile_check(&p)));
	}
	ca_profile_default(CA_ROLE_SUBROOT, &p);
	p.path_len = 1;
	assert_int_equal(ca_profile_check(&p).code, TC_ERR_PROFILE_VIOLATION);
	ca_profile_default(CA_ROLE_CVM, &p);
	p.path_len = 0;
	assert_int_equal(ca_profile_check(&p).code, TC_ERR_PROFILE_VIOLATION);
	ca_profile_default(CA_ROLE_CVM, &p);
	p.allow_uri = true;
	assert_int_equal(ca_profile_check(&p).code, TC_ERR_PROFILE_VIOLATION);
	ca_profile_default(CA_ROLE_ROOT, &p);
	p.validity_s = 0;
	assert_int_equal(ca_profile_check(&p).code, TC_ERR_PROFILE_VIOLATION);
}

static void test_crl(void **state)
{
	struct ca_test_chain c;
	struct tc_buf der = { 0 };
	struct ca_revoked rv = { .revoked_at = CA_TEST_NOW - 10, .reason = CA_REASON_KEY_COMPROMISE };
	const unsigned char *p;
	X509_CRL *crl;
	X509_REVOKED *entry = NULL;
	X509 *root, *sub, *cvm, *wl;
	ASN1_INTEGER *num;
	ASN1_ENUMERATED *reason;
	EVP_PKEY *sub_key;

	(void)state;
	ca_test_chain_build(&c);
	memcpy(rv.serial, c.workload.serial, CA_SERIAL_LEN);
	rv.serial_len = CA_SERIAL_LEN;
	assert_true(tc_is_ok(ca_crl_build(&c.sub_iss, &rv, 1, 7, CA_TEST_NOW, CA_TEST_NOW + 86400, &der)));
	p = der.data;
	crl = d2i_X509_CRL(NULL, &p, (long)der.len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_get_version(crl), 1);
	sub = x509(&c.sub);
	sub_key = X509_get0_pubkey(sub);
	assert_int_equal(X509_CRL_verify(crl, sub_key), 1);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	ASN1_INTEGER_free(num);
	wl = x509(&c.workload);
	assert_int_equal(X509_CRL_get0_by_cert(crl, &entry, wl), 1);
	reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
	assert_int_equal(ASN1_ENUMERATED_get(reason), CA_REASON_KEY_COMPROMISE);
	ASN1_ENUMERATED_free(reason);
	/* With CRL checking the revoked workload fails and the CVM passes (needs a root CRL as well). */
	root = x509(&c.root);
	cvm = x509(&c.cvm);
	{
		struct tc_buf rder = { 0 };
		X509_CRL *rcrl;
		X509_STORE *st = X509_STORE_new();
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		STACK_OF(X509) *un = sk_X509_new_null();

		assert_true(tc_is_ok(ca_crl_build(&c.root_iss, NULL, 0, 1, CA_TEST_NOW, CA_TEST_NOW + 86400, &rder)));
		p = rder.data;
		rcrl = d2i_X509_CRL(NULL, &p, (long)rder.len);
		assert_non_null(rcrl);
		X509_STORE_add_cert(st, root);
		X509_STORE_add_crl(st, crl);
		X509_STORE_add_crl(st, rcrl);
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
		sk_X509_push(un, sub);
		X509_STORE_CTX_init(ctx, st, wl, un);
		X509_STORE_CTX_set_time(ctx, 0, CA_TEST_NOW + 5);
		assert_int_not_equal(X509_verify_cert(ctx), 1);
		assert_int_equal(X509_STORE_CTX_get_error(ctx), X509_V_ERR_CERT_REVOKED);
		X509_STORE_CTX_cleanup(ctx);
		X509_STORE_CTX_init(ctx, st, cvm, un);
		X509_STORE_CTX_set_time(ctx, 0, CA_TEST_NOW + 5);
		assert_int_equal(X509_verify_cert(ctx), 1);
		X509_STORE_CTX_free(ctx);
		sk_X509_free(un);
		X509_STORE_free(st);
		X509_CRL_free(rcrl);
		tc_buf_cleanup(&rder);
	}
	/* Refusals */
	tc_buf_reset(&der);
	assert_int_equal(ca_crl_build(&c.sub_iss, &rv, 1, 7, CA_TEST_NOW, CA_TEST_NOW, &der).code, TC_ERR_INVALID_ARGUMENT);
	rv.serial_len = 0;
	assert_int_equal(ca_crl_build(&c.sub_iss, &rv, 1, 7, CA_TEST_NOW, CA_TEST_NOW + 1, &der).code,
			 TC_ERR_INVALID_ARGUMENT);
	X509_CRL_free(crl);
	X509_free(root);
	X509_free(sub);
	X509_free(cvm);
	X509_free(wl);
	tc_buf_cleanup(&der);
	ca_test_chain_free(&c);
}

/* OCSP lookup: the workload serial is revoked, everything else good; "fail" makes the lookup fail. */
struct lookup_ctx {
	const uint8_t *revoked;
	bool fail;
};

static struct tc_result lookup(void *vctx, const uint8_t *serial, size_t len, struct ca_ocsp_status *out)
{
	struct lookup_ctx *lc = vctx;

	if (lc->fail)
		return tc_fail(TC_ERR_DB_UNAVAILABLE, "test: database down");
	out->status = CA_OCSP_GOOD;
	if (len == CA_SERIAL_LEN && memcmp(serial, lc->revoked, len) == 0) {
		out->status = CA_OCSP_REVOKED;
		out->revoked_at = CA_TEST_NOW - 100;
		out->reason = CA_REASON_SUPERSEDED;
	}
	return tc_ok();
}

static struct tc_buf ocsp_request(X509 *leaf, X509 *issuer, bool nonce)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
	unsigned char *der = NULL;
	int n;
	struct tc_buf b = { 0 };

	OCSP_request_add0_id(req, id);
	if (nonce)
		OCSP_request_add1_nonce(req, NULL, 16);
	n = i2d_OCSP_REQUEST(req, &der);
	assert_true(n > 0);
	assert_true(tc_is_ok(tc_buf_append(&b, der, (size_t)n)));
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return b;
}

static int ocsp_status_of(const struct tc_buf *resp)
{
	const unsigned char *p = resp->data;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)resp->len);
	int s;

	assert_non_null(r);
	s = OCSP_response_status(r);
	OCSP_RESPONSE_free(r);
	return s;
}

static void test_ocsp(void **state)
{
	struct ca_test_chain c;
	X509 *root, *sub, *cvm, *wl;
	struct lookup_ctx lc;
	struct ca_ocsp_responder rs;
	struct ca_ocsp_result res;
	struct tc_buf req, resp = { 0 };
	X509_STORE *st;
	STACK_OF(X509) *other;

	(void)state;
	ca_test_chain_build(&c);
	root = x509(&c.root);
	sub = x509(&c.sub);
	cvm = x509(&c.cvm);
	wl = x509(&c.workload);
	lc = (struct lookup_ctx){ c.workload.serial, false };
	rs = (struct ca_ocsp_responder){ .ca_cert_der = c.sub.der.data, .ca_cert_len = c.sub.der.len,
					 .signer = c.sub_signer, .validity_s = 3600, .lookup = lookup, .lookup_ctx = &lc };
	st = X509_STORE_new();
	X509_STORE_add_cert(st, root);
	other = sk_X509_new_null();
	sk_X509_push(other, sub);

	for (int which = 0; which < 2; which++) {
		X509 *leaf = which == 0 ? cvm : wl;
		const unsigned char *p;
		OCSP_RESPONSE *r;
		OCSP_BASICRESP *bs;
		OCSP_REQUEST *oreq;
		OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, sub);
		int status = -1, reason = -1;
		ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;

		req = ocsp_request(leaf, sub, true);
		tc_buf_reset(&resp);
		assert_true(tc_is_ok(ca_ocsp_respond(&rs, req.data, req.len, CA_TEST_NOW, &resp, &res)));
		assert_int_equal(res.response_status, 0);
		assert_true(res.nonce_echoed);
		p = resp.data;
		r = d2i_OCSP_RESPONSE(NULL, &p, (long)resp.len);
		assert_non_null(r);
		bs = OCSP_response_get1_basic(r);
		assert_non_null(bs);
		X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), CA_TEST_NOW);
		assert_int_equal(OCSP_basic_verify(bs, other, st, 0), 1);
		p = req.data;
		oreq = d2i_OCSP_REQUEST(NULL, &p, (long)req.len);
		assert_int_equal(OCSP_check_nonce(oreq, bs), 1);
		assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd), 1);
		assert_int_equal(status, which == 0 ? V_OCSP_CERTSTATUS_GOOD : V_OCSP_CERTSTATUS_REVOKED);
		if (which == 1)
			assert_int_equal(reason, CA_REASON_SUPERSEDED);
		assert_non_null(nextupd);
		{
			int days = -1, secs = -1;

			assert_int_equal(ASN1_TIME_diff(&days, &secs, thisupd, nextupd), 1);
			assert_int_equal(days * 86400 + secs, 3600);
		}
		OCSP_REQUEST_free(oreq);
		OCSP_CERTID_free(id);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(r);
		tc_buf_cleanup(&req);
	}
	/* A tampered response fails OpenSSL's verification: the check above can fail. */
	{
		const unsigned char *p;
		OCSP_RESPONSE *r;
		OCSP_BASICRESP *bs;

		req = ocsp_request(cvm, sub, false);
		tc_buf_reset(&resp);
		assert_true(tc_is_ok(ca_ocsp_respond(&rs, req.data, req.len, CA_TEST_NOW, &resp, &res)));
		assert_false(res.nonce_echoed);
		resp.data[resp.len - 80] ^= 1; /* inside the signature or the status */
		p = resp.data;
		r = d2i_OCSP_RESPONSE(NULL, &p, (long)resp.len);
		bs = r != NULL ? OCSP_response_get1_basic(r) : NULL;
		assert_true(bs == NULL || OCSP_basic_verify(bs, other, st, 0) != 1);
		ERR_clear_error();
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(r);
		tc_buf_cleanup(&req);
	}
	/* Malformed → malformedRequest (1); a CertID of another CA → unauthorized (6); lookup down → tryLater (3). */
	{
		static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01 };

		tc_buf_reset(&resp);
		assert_true(tc_is_ok(ca_ocsp_respond(&rs, junk, sizeof(junk), CA_TEST_NOW, &resp, &res)));
		assert_int_equal(ocsp_status_of(&resp), 1);
		tc_buf_reset(&resp);
		assert_true(tc_is_ok(ca_ocsp_respond(&rs, NULL, 0, CA_TEST_NOW, &resp, &res)));
		assert_int_equal(ocsp_status_of(&resp), 1);
		/* Two nonce extensions (RFC 5280 §4.2: an extension appears once), a nonce over 128 octets, an
		 * empty one, one not wrapped in an OCTET STRING, one that is not an OCTET STRING (RFC 9654 §2.1:
		 * Nonce ::= OCTET STRING (SIZE(1..128))): malformedRequest, never a response that echoes them; 128
		 * octets are echoed. */
		static const uint8_t empty[] = { 0x04, 0x00 }, not_octets[] = { 0x30, 0x01, 0x00 };
		uint8_t raw[131];
		memset(raw, 0x41, sizeof(raw));
		for (int bad = 0; bad < 6; bad++) {
			OCSP_REQUEST *two = OCSP_REQUEST_new();
			unsigned char *der = NULL;
			int dlen;

			assert_non_null(OCSP_request_add0_id(two, OCSP_cert_to_id(EVP_sha1(), cvm, sub)));
			if (bad < 3) {
				assert_int_equal(OCSP_request_add1_nonce(two, NULL, bad == 0 ? 16 : bad == 1 ? 129 : 128), 1);
			} else { /* the extension's value as given, not wrapped by OpenSSL */
				ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
				const uint8_t *b = bad == 3 ? empty : bad == 4 ? raw : not_octets;
				size_t blen = bad == 3 ? sizeof(empty) : bad == 4 ? sizeof(raw) : sizeof(not_octets);
				assert_int_equal(ASN1_OCTET_STRING_set(v, b, (int)blen), 1);
				X509_EXTENSION *e = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0, v);
				assert_non_null(e);
				assert_int_equal(OCSP_REQUEST_add_ext(two, e, -1), 1);
				X509_EXTENSION_free(e);
				ASN1_OCTET_STRING_free(v);
			}
			if (bad == 0) { /* OCSP_request_add1_nonce replaces: append a copy of the extension */
				X509_EXTENSION *dup = X509_EXTENSION_dup(OCSP_REQUEST_get_ext(two, 0));
				assert_int_equal(OCSP_REQUEST_add_ext(two, dup, -1), 1);
				assert_int_equal(OCSP_REQUEST_get_ext_count(two), 2);
				X509_EXTENSION_free(dup);
			}
			dlen = i2d_OCSP_REQUEST(two, &der);
			assert_true(dlen > 0);
			tc_buf_reset(&resp);
			assert_true(tc_is_ok(ca_ocsp_respond(&rs, der, (size_t)dlen, CA_TEST_NOW, &resp, &res)));
			if (ocsp_status_of(&resp) != (bad == 2 ? 0 : 1))
				fail_msg("nonce case %d: OCSP status %d", bad, ocsp_status_of(&resp));
			assert_int_equal(res.nonce_echoed, bad == 2);
			OPENSSL_free(der);
			OCSP_REQUEST_free(two);
		}
		req = ocsp_request(sub, root, true);
		tc_buf_reset(&resp);
		assert_true(tc_is_ok(ca_ocsp_respond(&rs, req.data, req.len, CA_TEST_NOW, &resp, &res)));
		assert_int_equal(ocsp_status_of(&resp), 6);
		tc_buf_cleanup(&req);
		lc.fail = true;
		req = ocsp_request(cvm, sub, true);
		tc_buf_reset(&resp);
		assert_true(tc_is_ok(ca_ocsp_respond(&rs, req.data, req.len, CA_TEST_NOW, &resp, &res)));
		assert_int_equal(ocsp_status_of(&resp), 3);
		tc_buf_cleanup(&req);
	}
	sk_X509_free(other);
	X509_STORE_free(st);
	X509_free(root);
	X509_free(sub);
	X509_free(cvm);
	X509_free(wl);
	tc_buf_cleanup(&resp);
	ca_test_chain_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_verifies), cmocka_unit_test(test_standard_extensions),
		cmocka_unit_test(test_teecert_extensions), cmocka_unit_test(test_issue_refusals),
		cmocka_unit_test(test_profile_check), cmocka_unit_test(test_crl),
		cmocka_unit_test(test_ocsp), cmocka_unit_test(test_issuer_prepare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
