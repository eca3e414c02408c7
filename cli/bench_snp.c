/*
 * bench_snp.c — `teecert bench snp [--seconds N] [--shared DIR]`: SEV-SNP appraisals per second on one
 * thread, measured in the same run as OpenSSL's P-384 ECDSA verify rate (EVP, fresh key, SHA-384).
 *
 * An SNP appraisal needs exactly one P-384 verify that depends on the report (the report signature over
 * 0x000-0x29F); the VCEK <- ASK <- ARK chain (two RSA-4096 PSS verifies) is memoized in verifier/snp. The
 * ceiling is therefore the P-384 verify rate and the ratio says how close the appraiser gets (target >= 0.7).
 * Evidence: the shared case snp-trustee-milan-ok (real trustee Milan report, VCEK, AMD chain and ARK) from
 * $TEECERT_SHARED, --shared DIR, or ../shared.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "cli.h"
#include "vf.h"

#define BENCH_PROG "teecert bench snp"
#define BENCH_CASE "evidence/cases/snp-trustee-milan-ok.json"
#define BENCH_DEFAULT_SECONDS 3
#define BENCH_MAX_SECONDS 3600
#define BENCH_MSG_LEN 0x2A0 /* the signed part of an SNP report */
#define BENCH_SIG_MAX 128

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appraisals per second of case C for SECONDS; -1 on an error or a verdict other than accepted. */
static double bench_appraise(const struct vf_case *c, double seconds, unsigned long *count)
{
	double start = now_seconds(), elapsed;
	unsigned long n = 0;

	do {
		struct vf_appraisal a;
		struct tc_result r = vf_appraise(&c->input, &c->policy, c->verify_at, &a);
		bool accepted = tc_is_ok(r) && a.accepted;

		if (tc_is_ok(r))
			vf_appraisal_cleanup(&a);
		if (!accepted) {
			fprintf(stderr, "%s: the benchmark case was not accepted (%s)\n", BENCH_PROG,
				tc_is_ok(r) ? "rejected" : tc_error_detail());
			return -1;
		}
		n++;
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	*count = n;
	return (double)n / elapsed;
}

/* OpenSSL's P-384 ECDSA verifies per second (EVP_DigestVerify with SHA-384 over a report-sized message). */
static double bench_openssl(double seconds, unsigned long *count)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char msg[BENCH_MSG_LEN], sig[BENCH_SIG_MAX];
	size_t sig_len = sizeof(sig);
	double start, elapsed, rate = -1;
	unsigned long n = 0;

	memset(msg, 0x5a, sizeof(msg));
	if (!key || !ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg, sizeof(msg)) != 1)
		goto out;
	start = now_seconds();
	do {
		EVP_MD_CTX *v = EVP_MD_CTX_new();
		bool ok = v && EVP_DigestVerifyInit(v, NULL, EVP_sha384(), NULL, key) == 1 &&
			  EVP_DigestVerify(v, sig, sig_len, msg, sizeof(msg)) == 1;

		EVP_MD_CTX_free(v);
		if (!ok)
			goto out;
		n++;
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	*count = n;
	rate = (double)n / elapsed;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rate;
}

int cli_bench_snp(int argc, char **argv)
{
	const char *shared = getenv("TEECERT_SHARED");
	long seconds = BENCH_DEFAULT_SECONDS;
	char path[4096];
	struct vf_case c;
	double appraisals, verifies;
	unsigned long n_appraisals = 0, n_verifies = 0;

	if (!shared)
		shared = "../shared";
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s [--seconds N] [--shared DIR]\n"
			       "SEV-SNP appraisals per second (one thread) vs OpenSSL P-384 ECDSA verifies per second.\n",
			       BENCH_PROG);
			return CLI_EXIT_OK;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			char *end = NULL;

			seconds = strtol(argv[++i], &end, 10);
			if (!end || *end || seconds < 1 || seconds > BENCH_MAX_SECONDS)
				return cli_usage_error(BENCH_PROG, "--seconds must be 1..%d", BENCH_MAX_SECONDS);
		} else if (strcmp(argv[i], "--shared") == 0 && i + 1 < argc) {
			shared = argv[++i];
		} else {
			return cli_usage_error(BENCH_PROG, "unknown argument '%s' (try --help)", argv[i]);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", shared, BENCH_CASE);
	if (!tc_is_ok(vf_case_load(path, &c))) {
		fprintf(stderr, "%s: cannot load %s: %s\n", BENCH_PROG, path, tc_error_detail());
		return CLI_EXIT_INTERNAL;
	}
	appraisals = bench_appraise(&c, (double)seconds, &n_appraisals);
	vf_case_cleanup(&c);
	if (appraisals < 0)
		return CLI_EXIT_INTERNAL;
	verifies = bench_openssl((double)seconds, &n_verifies);
	if (verifies <= 0) {
		fprintf(stderr, "%s: the OpenSSL P-384 baseline failed\n", BENCH_PROG);
		return CLI_EXIT_INTERNAL;
	}
	printf("snp appraisals:        %10.1f /s  (%lu in %ld s, one thread, case snp-trustee-milan-ok)\n", appraisals,
	       n_appraisals, seconds);
	printf("openssl p384 verifies: %10.1f /s  (%lu in %ld s, EVP_DigestVerify SHA-384)\n", verifies, n_verifies,
	       seconds);
	printf("ratio:                 %10.3f  (target >= 0.70)\n", appraisals / verifies);
	return CLI_EXIT_OK;
}
