/*
 * bench_nvidia.c — `teecert bench nvidia [--seconds N] [--shared DIR]`: NVIDIA H100 GPU appraisals per
 * second on one thread, measured side by side with OpenSSL's P-384 ECDSA verify rate on this machine.
 *
 * A GPU appraisal needs one P-384 verify that depends on the evidence (the SPDM MEASUREMENTS signature over
 * SHA-384 of the transcript); the GPU chain's signatures are memoized in verifier/nvidia. The ceiling is
 * therefore the P-384 verify rate, and the ratio (target >= 0.7) says how close the appraiser gets.
 * Evidence: the real nvtrust 550.90.07 capture of the shared set ($TEECERT_SHARED, --shared, or ../shared).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "cli.h"
#include "vf.h"

#define BENCH_PROG "teecert bench nvidia"
#define BENCH_CASE "evidence/cases/nvidia-nvtrust-550.90.07-ok.json"
#define BENCH_DEFAULT_SECONDS 3
#define BENCH_MAX_SECONDS 3600
#define BENCH_MSG_LEN 4096 /* about the size of an SPDM transcript */

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
		if ((n & 15) == 0)
			elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	return (double)n / (now_seconds() - start);
}

/* OpenSSL EVP P-384 ECDSA verifies per second (fresh key, SHA-384 over a transcript-sized message). */
static double bench_p384(double seconds)
{
	static uint8_t msg[BENCH_MSG_LEN];
	uint8_t sig[160];
	size_t sig_len = sizeof sig;
	double rate = -1, start, elapsed = 0;
	unsigned long n = 0;
	EVP_PKEY *key = EVP_EC_gen("P-384");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (key == NULL || ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg, sizeof msg) != 1)
		goto out;
	start = now_seconds();
	do {
		if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1 ||
		    EVP_DigestVerify(ctx, sig, sig_len, msg, sizeof msg) != 1)
			goto out;
		n++;
		if ((n & 15) == 0)
			elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	rate = (double)n / (now_seconds() - start);
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rate;
}

int cli_bench_nvidia(int argc, char **argv)
{
	const char *shared = getenv("TEECERT_SHARED");
	long seconds = BENCH_DEFAULT_SECONDS;
	char path[4096];
	struct vf_case c;
	double appraisals, verifies;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s [--seconds N] [--shared DIR]\n"
			       "NVIDIA GPU appraisals/s (one thread) vs OpenSSL P-384 verifies/s (target ratio >= 0.7).\n",
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
	appraisals = bench_appraise(&c, (double)seconds);
	vf_case_cleanup(&c);
	verifies = bench_p384((double)seconds);
	if (appraisals < 0 || verifies <= 0) {
		fprintf(stderr, "%s: benchmark failed\n", BENCH_PROG);
		return CLI_EXIT_INTERNAL;
	}
	printf("nvidia gpu appraisals/s (1 thread): %.0f\n", appraisals);
	printf("openssl p-384 verifies/s:           %.0f\n", verifies);
	printf("ratio (target >= 0.70):             %.2f\n", appraisals / verifies);
	return CLI_EXIT_OK;
}
