/*
 * bench_needs.c — vf_collateral_needs per call in the CA's request path (label bench, no assertions on speed):
 * sim TDX quotes from a fleet of BENCH_NEEDS_PLATFORMS platforms (one PCK certificate each, as bench_issuance
 * quotes them), asked round robin, as a CA serving that fleet asks for every POST /v1/certificates.
 *
 *   bench_needs [PLATFORMS]      (default 64)
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vf.h"
#include "vf_tdx_sim.h"

#define BENCH_NEEDS_PLATFORMS 64
#define BENCH_NEEDS_MAX_PLATFORMS 1024
#define BENCH_NEEDS_ROUNDS 50

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void check(struct tc_result r, const char *what)
{
	if (!tc_is_ok(r)) {
		fprintf(stderr, "bench_needs: %s: %s\n", what, tc_error_detail());
		exit(1);
	}
}

int main(int argc, char **argv)
{
	size_t platforms = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : BENCH_NEEDS_PLATFORMS;
	size_t quotes = platforms;
	char dir[] = "/tmp/bench_needs.XXXXXX";
	struct vf_tdx_sim_pki *pki = NULL;
	struct tc_buf *q;
	struct vf_coll_need needs[VF_COLL_NEEDS_MAX];
	size_t n = 0;
	double t0 = 0, t1, first = 0;

	if (platforms == 0 || platforms > BENCH_NEEDS_MAX_PLATFORMS || mkdtemp(dir) == NULL)
		return 2;
	check(vf_tdx_sim_init(dir), "sim PKI");
	check(vf_tdx_sim_pki_load(dir, &pki), "load sim PKI");
	q = calloc(quotes, sizeof(*q));
	for (size_t i = 0; i < quotes; i++) {
		struct vf_tdx_sim_quote_opts o;
		X509 *pck = NULL;

		check(vf_tdx_sim_quote_opts_init(&o), "quote options");
		check(vf_tdx_sim_pck_issue(pki, &o, &pck), "platform PCK");
		o.pck = pck;
		tc_buf_init(&q[i], TC_BUF_DEFAULT_MAX);
		check(vf_tdx_sim_quote(pki, &o, &q[i]), "sim quote");
		X509_free(pck);
	}
	/* Round 0 sees every platform for the first time (a memo miss each); the rounds after it are the steady
	 * state of a fleet that re-attests. */
	for (size_t round = 0; round <= BENCH_NEEDS_ROUNDS; round++) {
		if (round <= 1)
			t0 = now_us();
		for (size_t i = 0; i < quotes; i++) {
			struct vf_input in = { .tee = VF_TEE_TDX, .n_evidence = 1 };

			in.evidence[0] = (struct vf_item){ "tdx_quote", q[i].data, q[i].len };
			check(vf_collateral_needs(&in, needs, VF_COLL_NEEDS_MAX, &n), "needs");
			if (n != 4) {
				fprintf(stderr, "bench_needs: %zu needs (expected 4)\n", n);
				return 1;
			}
		}
		if (round == 0)
			first = (now_us() - t0) / (double)quotes;
	}
	t1 = now_us();
	printf("vf_collateral_needs   %10.1f us/call  (TDX, fleet of %zu platforms, steady state over %d rounds)\n",
	       (t1 - t0) / (double)(quotes * BENCH_NEEDS_ROUNDS), platforms, BENCH_NEEDS_ROUNDS);
	printf("vf_collateral_needs   %10.1f us/call  (first quote of each platform)\n", first);
	for (size_t i = 0; i < quotes; i++)
		tc_buf_cleanup(&q[i]);
	free(q);
	vf_tdx_sim_pki_free(pki);
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : 1;
}
