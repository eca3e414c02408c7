/*
 * bench_ca.c — throughput of ca/ on one core (label bench, no assertions on speed): raw P-384 signatures,
 * CSR intake alone (parse + key checks + self-signature; P-256 and RSA-3072 keys), cvm certificate
 * issuances (CSR parse + P-384 CA signature + self-check), OCSP responses (request parse + signature), CRL of
 * 1000 entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"

/* bench_ca_req.c: a DER OCSPRequest (SHA-1 CertID + nonce) for LEAF issued by ISSUER, built by OpenSSL. */
int bench_ocsp_request(const struct tc_buf *leaf_der, const struct tc_buf *issuer_der, struct tc_buf *out);
/* bench_ca_req.c: a PEM CSR (CN=cvm, SHA-256) for a new RSA key of BITS, built by OpenSSL. */
int bench_rsa_csr(unsigned bits, struct tc_buf *out);

#define SECONDS_MS 1500

static double per_s(uint64_t n, uint64_t ms)
{
	return ms > 0 ? (double)n * 1000.0 / (double)ms : 0.0;
}

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int fail(const char *what, struct tc_result r)
{
	fprintf(stderr, "bench_ca: %s: %s\n", what, tc_error_detail());
	return r.code == TC_OK ? 1 : (int)r.code;
}

static struct tc_result good(void *ctx, const uint8_t *serial, size_t len, struct ca_ocsp_status *out)
{
	(void)ctx;
	(void)serial;
	(void)len;
	out->status = CA_OCSP_GOOD;
	return tc_ok();
}

int main(void)
{
	struct ca_signer *ca = NULL, *leaf = NULL;
	struct tc_buf pem = { 0 }, sig = { 0 }, csr_pem = { 0 }, out = { 0 };
	struct ca_issued root, cert;
	struct ca_issuer iss = { 0 };
	struct vf_appraisal a;
	static const uint8_t ev_bytes[5000] = { 4 };
	static const struct vf_item ev[1] = { { "tdx_quote", ev_bytes, sizeof(ev_bytes) } };
	static const char *const dns[] = { "cvm.example" };
	struct tc_result r;
	uint64_t t0, n;

	vf_appraisal_init(&a);
	vf_appraisal_add_device(&a, "cpu0", VF_TEE_TDX)->simulated = true;
	if (!tc_is_ok(r = ca_signer_file_generate(CA_KEY_P384, NULL, NULL, 0, &ca)) ||
	    !tc_is_ok(r = ca_signer_file_generate(CA_KEY_P256, NULL, NULL, 0, &leaf)) ||
	    !tc_is_ok(r = ca_csr_build(ca, "bench root", NULL, NULL, 0, &pem)) ||
	    !tc_is_ok(r = ca_csr_build(leaf, "cvm", NULL, dns, 1, &csr_pem)))
		return fail("setup", r);
	iss.signer = ca;
	iss.network = CA_NETWORK_UNTRUSTED;
	iss.ocsp_url = "http://ca.example/ocsp";
	iss.crl_url = "http://ca.example/ca.crl";
	{
		struct ca_csr csr;
		struct ca_issue_request req = { 0 };

		if (!tc_is_ok(r = ca_csr_parse_pem((const char *)pem.data, pem.len, &csr)))
			return fail("root csr", r);
		req.csr = &csr;
		ca_profile_default(CA_ROLE_ROOT, &req.profile);
		req.now = tc_time_now();
		if (!tc_is_ok(r = ca_issue(&iss, &req, &root)))
			return fail("root", r);
		ca_csr_cleanup(&csr);
	}
	iss.cert_der = root.der.data;
	iss.cert_len = root.der.len;

	for (n = 0, t0 = tc_time_mono_ms(); tc_time_mono_ms() - t0 < SECONDS_MS; n++) {
		tc_buf_reset(&sig);
		if (!tc_is_ok(r = ca_signer_sign_data(ca, "benchmark", 9, &sig)))
			return fail("sign", r);
	}
	printf("ca_sign_p384          %10.0f /s\n", per_s(n, tc_time_mono_ms() - t0));

	for (int k = 0; k < 2; k++) {
		/* CSR intake as POST /v1/certificates does it: a P-256 CSR with one DNS SAN; an RSA-3072 one. */
		struct tc_buf rsa_pem = { 0 };
		const struct tc_buf *in = &csr_pem;

		if (k == 1) {
			if (bench_rsa_csr(3072, &rsa_pem) != 0)
				return fail("RSA CSR", tc_ok());
			in = &rsa_pem;
		}
		double cpu0 = cpu_us();

		for (n = 0, t0 = tc_time_mono_ms(); tc_time_mono_ms() - t0 < SECONDS_MS; n++) {
			struct ca_csr csr;

			if (!tc_is_ok(r = ca_csr_parse_pem((const char *)in->data, in->len, &csr)))
				return fail("csr parse", r);
			ca_csr_cleanup(&csr);
		}
		/* CPU time too: the wall-clock rate swings with whatever else shares the cores. */
		printf("%s %10.0f /s  %6.1f us CPU each  (PEM, parse + key checks + self-signature)\n",
		       k == 0 ? "ca_csr_parse_p256    " : "ca_csr_parse_rsa3072 ", per_s(n, tc_time_mono_ms() - t0),
		       (cpu_us() - cpu0) / (double)n);
		tc_buf_cleanup(&rsa_pem);
	}

	for (n = 0, t0 = tc_time_mono_ms(); tc_time_mono_ms() - t0 < SECONDS_MS; n++) {
		struct ca_csr csr;
		struct ca_issue_request req = { 0 };

		if (!tc_is_ok(r = ca_csr_parse_pem((const char *)csr_pem.data, csr_pem.len, &csr)))
			return fail("csr", r);
		req.csr = &csr;
		ca_profile_default(CA_ROLE_CVM, &req.profile);
		req.appraisal = &a;
		req.evidence = ev;
		req.n_evidence = 1;
		req.now = tc_time_now();
		if (n > 0)
			ca_issued_cleanup(&cert); /* keep only the last certificate (used for OCSP below) */
		if (!tc_is_ok(r = ca_issue(&iss, &req, &cert)))
			return fail("issue", r);
		ca_csr_cleanup(&csr);
	}
	printf("ca_issue_cvm_p384     %10.0f /s  (CSR parse+verify, 5 KB evidence, P-384 CA)\n",
	       per_s(n, tc_time_mono_ms() - t0));
	{
		/* An OCSP request for the last certificate, built by hand: SHA-1 CertID of the root as issuer. */
		struct ca_ocsp_responder rs = { .ca_cert_der = root.der.data, .ca_cert_len = root.der.len, .signer = ca,
						.validity_s = 3600, .lookup = good };
		struct ca_ocsp_result res;
		struct tc_buf reqb = { 0 };
		struct ca_csr csr;
		struct ca_issue_request req = { 0 };

		if (!tc_is_ok(r = ca_csr_parse_pem((const char *)csr_pem.data, csr_pem.len, &csr)))
			return fail("csr", r);
		req.csr = &csr;
		ca_profile_default(CA_ROLE_CVM, &req.profile);
		req.appraisal = &a;
		req.evidence = ev;
		req.n_evidence = 1;
		req.now = tc_time_now();
		ca_issued_cleanup(&cert);
		if (!tc_is_ok(r = ca_issue(&iss, &req, &cert)))
			return fail("issue", r);
		ca_csr_cleanup(&csr);
		if (bench_ocsp_request(&cert.der, &root.der, &reqb) != 0)
			return 1;
		for (n = 0, t0 = tc_time_mono_ms(); tc_time_mono_ms() - t0 < SECONDS_MS; n++) {
			tc_buf_reset(&out);
			if (!tc_is_ok(r = ca_ocsp_respond(&rs, reqb.data, reqb.len, tc_time_now(), &out, &res)) ||
			    res.response_status != 0)
				return fail("ocsp", r);
		}
		printf("ca_ocsp_respond       %10.0f /s  (1 CertID + nonce, P-384)\n", per_s(n, tc_time_mono_ms() - t0));
		tc_buf_cleanup(&reqb);
	}
	{
		struct ca_revoked *rv = calloc(1000, sizeof(*rv));
		int64_t now = tc_time_now();

		for (size_t i = 0; i < 1000; i++) {
			rv[i].serial_len = CA_SERIAL_LEN;
			if (!tc_is_ok(tc_random_bytes(rv[i].serial, CA_SERIAL_LEN)))
				return 1;
			rv[i].serial[0] &= 0x7f;
			rv[i].revoked_at = now - 100;
			rv[i].reason = CA_REASON_KEY_COMPROMISE;
		}
		for (n = 0, t0 = tc_time_mono_ms(); tc_time_mono_ms() - t0 < SECONDS_MS / 3; n++) {
			tc_buf_reset(&out);
			if (!tc_is_ok(r = ca_crl_build(&iss, rv, 1000, n + 1, now, now + 86400, &out)))
				return fail("crl", r);
		}
		printf("ca_crl_1000_entries   %10.0f /s  (%zu bytes)\n", per_s(n, tc_time_mono_ms() - t0), out.len);
		free(rv);
	}
	ca_issued_cleanup(&cert);
	ca_issued_cleanup(&root);
	ca_signer_free(&ca);
	ca_signer_free(&leaf);
	vf_appraisal_cleanup(&a);
	tc_buf_cleanup(&pem);
	tc_buf_cleanup(&sig);
	tc_buf_cleanup(&csr_pem);
	tc_buf_cleanup(&out);
	return 0;
}
