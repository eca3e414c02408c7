/*
 * bench_tdx.c — `teecert bench tdx [--seconds N] [--shared DIR]`: TDX appraisals per second on one thread,
 * measured side by side with OpenSSL's P-256 ECDSA verify rate on this machine.
 *
 * A full TDX appraisal needs two P-256 verifies that depend on the quote (QE report signature, quote
 * signature); everything time-independent (chains, collateral signatures) is memoized in verifier/tdx. The
 * ceiling is therefore (P-256 verifies per second) / 2 and the ratio says how close the appraiser gets.
 * Evidence: the Phala b0c06f "uptodate" case of the shared set ($TEECERT_SHARED, --shared, or ../shared).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "cli.h"
#include "vf.h"

#define BENCH_PROG "teecert bench tdx"
#define BENCH_CASE "evidence/cases/tdx-phala-v4-b0c06f-uptodate.json"
#define BENCH_DEFAULT_SECONDS 3
#define BENCH_MAX_SECONDS 3600
#define BENCH_MSG_LEN 64

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appraisals per second of case C for SECONDS; -1 on an error or a verdict other than accepted. */
static double bench_appraise(const struct vf_case *c, double seconds)
{
	double start = now_seconds(), elapsed = 0;
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
		if ((n & 63) == 0)
			elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	return (double)n / (now_seconds() - start);
}

/* OpenSSL EVP P-256 ECDSA verifies per second (fresh key, SHA-256 over a 64-byte message). */
static double bench_p256(double seconds)
{
	uint8_t msg[BENCH_MSG_LEN] = { 0 }, sig[128];
	size_t sig_len = sizeof sig;
	double rate = -1;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (key == NULL || ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg, sizeof msg) != 1)
		goto out;
	double start = now_seconds(), elapsed = 0;
	unsigned long n = 0;
	do {
		if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
		    EVP_DigestVerify(ctx, sig, sig_len, msg, sizeof msg) != 1)
			goto out;
		n++;
		if ((n & 63) == 0)
			elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	rate = (double)n / (now_seconds() - start);
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rate;
}

int cli_bench_tdx(int argc, char **argv)
{
	const char *shared = getenv("TEECERT_SHARED");
	long seconds = BENCH_DEFAULT_SECONDS;
	char path[4096];
	struct vf_case c;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s [--seconds N] [--shared DIR]\n"
			       "TDX appraisals/s (one thread) vs OpenSSL P-256 verifies/s; ceiling = P-256 rate / 2.\n",
			       BENCH_PROG);
			return CLI_EXIT_OK;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			char *end = NULL;
			seconds = strtol(argv[++i], &end, 10);
			if (end == argv[i] || *end != '\0' || seconds < 1 || seconds > BENCH_MAX_SECONDS)
				return cli_usage_error(BENCH_PROG, "--seconds wants 1..%d", BENCH_MAX_SECONDS);
		} else if (strcmp(argv[i], "--shared") == 0 && i + 1 < argc) {
			shared = argv[++i];
		} else {
			return cli_usage_error(BENCH_PROG, "unknown argument '%s' (see --help)", argv[i]);
		}
	}
	if (shared == NULL || shared[0] == '\0')
		shared = "../shared";
	snprintf(path, sizeof path, "%s/%s", shared, BENCH_CASE);
	if (!tc_is_ok(vf_case_load(path, &c))) {
		fprintf(stderr, "%s: cannot load %s: %s\n", BENCH_PROG, path, tc_error_detail());
		return CLI_EXIT_INTERNAL;
	}
	double appraisals = bench_appraise(&c, (double)seconds);
	vf_case_cleanup(&c);
	double verifies = bench_p256((double)seconds);
	if (appraisals < 0 || verifies <= 0) {
		fprintf(stderr, "%s: benchmark failed\n", BENCH_PROG);
		return CLI_EXIT_INTERNAL;
	}
	double ceiling = verifies / 2;
	printf("tdx appraisals/s (1 thread): %.0f\n", appraisals);
	printf("openssl p-256 verifies/s:    %.0f\n", verifies);
	printf("ceiling (p-256 / 2):         %.0f\n", ceiling);
	printf("ratio to ceiling:            %.2f\n", appraisals / ceiling);
	return CLI_EXIT_OK;
}
