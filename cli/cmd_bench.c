/*
 * cmd_bench.c — `teecert bench tdx|snp|nvidia [--seconds N] [--shared DIR]`: appraisals per second on one
 * thread, measured in the same run as OpenSSL's raw ECDSA verify rate for the curve the evidence uses.
 *
 * Each appraisal needs a fixed number of evidence-specific signature verifications (TDX: QE report + quote,
 * both P-256; SNP: the report, P-384; NVIDIA: the SPDM measurements of one GPU, P-384); everything
 * time-independent (chains, collateral signatures) is memoized inside verifier/. The ceiling is therefore
 * (verifies per second) / (verifies per appraisal), and the ratio says how close the appraiser gets
 * (target >= 0.7). Evidence: one accepted shared case per TEE ($TEECERT_SHARED, --shared, or ../shared).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "cli.h"
#include "vf.h"

#define BENCH_DEFAULT_SECONDS 3
#define BENCH_MAX_SECONDS 3600
#define BENCH_SIG_MAX 160
#define BENCH_CHECK_EVERY 64 /* read the clock once per this many iterations */

struct bench_spec {
	const char *tee;
	const char *case_path;     /* relative to the shared folder */
	const char *curve;         /* OpenSSL group name of the evidence signatures */
	const char *digest;        /* and their digest */
	size_t msg_len;            /* size of a typical signed message */
	unsigned verifies_per_run; /* evidence-specific verifies in one appraisal */
};

static const struct bench_spec specs[] = {
	{ "tdx", "evidence/cases/tdx-phala-v4-b0c06f-uptodate.json", "P-256", "SHA256", 632, 2 },
	{ "snp", "evidence/cases/snp-trustee-milan-ok.json", "P-384", "SHA384", 0x2A0, 1 },
	{ "nvidia", "evidence/cases/nvidia-nvtrust-550.90.07-ok.json", "P-384", "SHA384", 1024, 1 },
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appraisals per second of case C for SECONDS; -1 on an error or a verdict other than accepted. */
static double bench_appraise(const char *prog, const struct vf_case *c, double seconds)
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
			fprintf(stderr, "%s: the benchmark case was not accepted (%s)\n", prog,
				tc_is_ok(r) ? "rejected" : tc_error_detail());
			return -1;
		}
		if (++n % BENCH_CHECK_EVERY == 0)
			elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	return (double)n / (now_seconds() - start);
}

/* OpenSSL EVP ECDSA verifies per second on CURVE with DIGEST over MSG_LEN bytes (fresh key). */
static double bench_openssl(const struct bench_spec *s, double seconds)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", s->curve);
	const EVP_MD *md = EVP_get_digestbyname(s->digest);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *msg = calloc(1, s->msg_len), sig[BENCH_SIG_MAX];
	size_t sig_len = sizeof(sig);
	double start, elapsed = 0, rate = -1;
	unsigned long n = 0;

	if (!key || !md || !ctx || !msg || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg, s->msg_len) != 1)
		goto out;
	start = now_seconds();
	do {
		if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1 ||
		    EVP_DigestVerify(ctx, sig, sig_len, msg, s->msg_len) != 1)
			goto out;
		if (++n % BENCH_CHECK_EVERY == 0)
			elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	rate = (double)n / (now_seconds() - start);
out:
	free(msg);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rate;
}

static int bench_run(const struct bench_spec *s, int argc, char **argv)
{
	const char *shared = getenv("TEECERT_SHARED");
	char prog[64], path[4096];
	long seconds = BENCH_DEFAULT_SECONDS;
	struct vf_case *c;
	double appraisals, verifies, ceiling;

	snprintf(prog, sizeof(prog), "teecert bench %s", s->tee);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s [--seconds N] [--shared DIR]\n"
			       "%s appraisals/s (one thread) vs OpenSSL %s verifies/s; ceiling = verifies/s / %u.\n",
			       prog, s->tee, s->curve, s->verifies_per_run);
			return CLI_EXIT_OK;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			char *end = NULL;

			seconds = strtol(argv[++i], &end, 10);
			if (end == argv[i] || *end != '\0' || seconds < 1 || seconds > BENCH_MAX_SECONDS)
				return cli_usage_error(prog, "--seconds wants 1..%d", BENCH_MAX_SECONDS);
		} else if (strcmp(argv[i], "--shared") == 0 && i + 1 < argc) {
			shared = argv[++i];
		} else {
			return cli_usage_error(prog, "unknown argument '%s' (see --help)", argv[i]);
		}
	}
	if (!shared || !shared[0])
		shared = "../shared";
	snprintf(path, sizeof(path), "%s/%s", shared, s->case_path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return CLI_EXIT_INTERNAL;
	if (!tc_is_ok(vf_case_load(path, c))) {
		fprintf(stderr, "%s: cannot load %s: %s\n", prog, path, tc_error_detail());
		free(c);
		return CLI_EXIT_INTERNAL;
	}
	appraisals = bench_appraise(prog, c, (double)seconds);
	vf_case_cleanup(c);
	free(c);
	verifies = bench_openssl(s, (double)seconds);
	if (appraisals < 0 || verifies <= 0) {
		fprintf(stderr, "%s: benchmark failed\n", prog);
		return CLI_EXIT_INTERNAL;
	}
	ceiling = verifies / s->verifies_per_run;
	printf("%s appraisals/s (1 thread):  %.0f\n", s->tee, appraisals);
	printf("openssl %s verifies/s:     %.0f\n", s->curve, verifies);
	printf("ceiling (verifies/s / %u):    %.0f\n", s->verifies_per_run, ceiling);
	printf("ratio to ceiling:            %.2f  (target >= 0.70)\n", appraisals / ceiling);
	return CLI_EXIT_OK;
}

int cli_cmd_bench(int argc, char **argv)
{
	const char *prog = "teecert bench";

	if (argc < 2 || cli_is_help(argv[1])) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: %s tdx|snp|nvidia [--seconds N] [--shared DIR]\n"
			"Appraisals per second on one thread beside OpenSSL's verify rate, measured in the same run.\n",
			prog);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcmp(argv[1], specs[i].tee) == 0)
			return bench_run(&specs[i], argc - 1, argv + 1);
	return cli_usage_error(prog, "unknown benchmark '%s' (tdx, snp or nvidia)", argv[1]);
}
