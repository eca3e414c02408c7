/*
 * bench_chain.c — quick throughput numbers for chain/: Keccak-256 MB/s, EIP-1559 transaction signatures/s
 * (build + RFC 6979 sign + encode + hash), signature recoveries/s (decode + recover), and Merkle inclusion
 * and consistency proof generations/s from in-memory trees of 1k and 100k leaves. Each measurement runs for
 * a fixed time slice, so the whole program takes a few seconds; it prints numbers and asserts nothing
 * about speed (ctest label "bench").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"

#define BENCH_SLICE_S 0.4
#define KECCAK_CHUNK ((size_t)1 << 20)
#define MERKLE_SMALL 1000
#define MERKLE_LARGE 100000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64: deterministic indices (no libc PRNG). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int bench_keccak(void)
{
	uint8_t *buf = calloc(1, KECCAK_CHUNK);
	uint8_t out[CHAIN_KECCAK256_LEN];
	double t0, t;
	size_t n = 0;

	if (buf == NULL)
		return 1;
	t0 = now_s();
	do {
		chain_keccak256(buf, KECCAK_CHUNK, out);
		buf[0] = out[0];
		n++;
	} while ((t = now_s() - t0) < BENCH_SLICE_S);
	printf("keccak256:            %10.1f MB/s\n", (double)n * KECCAK_CHUNK / 1e6 / t);
	free(buf);
	return 0;
}

static int bench_tx(void)
{
	static const uint8_t secret[CHAIN_PRIVKEY_LEN] = { [31] = 0x2a };
	struct chain_key key;
	struct chain_tx tx = { 0 };
	struct tc_buf calldata, raw;
	uint8_t root[CHAIN_HASH_LEN] = { 0 }, h[CHAIN_HASH_LEN], from[CHAIN_ADDRESS_LEN];
	double t0, t;
	size_t n = 0;
	int rc = 1;

	tc_buf_init(&calldata, 0);
	tc_buf_init(&raw, 0);
	if (!tc_is_ok(chain_key_from_bytes(&key, secret)) ||
	    !tc_is_ok(chain_anchor_calldata(1000, root, 500, &calldata)))
		goto out;
	tx.type = CHAIN_TX_EIP1559;
	tx.chain_id = 204;
	tx.gas_limit = 60000;
	tx.has_to = true;
	chain_u256_from_u64(&tx.max_fee_per_gas, 2000000000);
	chain_u256_from_u64(&tx.max_priority_fee_per_gas, 1001);
	tx.data = calldata.data;
	tx.data_len = calldata.len;
	t0 = now_s();
	do {
		tx.nonce = n;
		tc_buf_reset(&raw);
		if (!tc_is_ok(chain_tx_sign(&tx, &key, &raw, h, NULL)))
			goto out;
		n++;
	} while ((t = now_s() - t0) < BENCH_SLICE_S);
	printf("tx sign (EIP-1559):   %10.0f signatures/s\n", (double)n / t);
	n = 0;
	t0 = now_s();
	do {
		if (!tc_is_ok(chain_tx_decode(raw.data, raw.len, NULL, NULL, from, h)))
			goto out;
		n++;
	} while ((t = now_s() - t0) < BENCH_SLICE_S);
	printf("tx decode + recover:  %10.0f transactions/s\n", (double)n / t);
	rc = 0;
out:
	chain_key_cleanup(&key);
	tc_buf_cleanup(&calldata);
	tc_buf_cleanup(&raw);
	return rc;
}

static int bench_merkle(uint64_t leaves)
{
	struct chain_merkle_mem tree;
	struct chain_merkle_source src;
	struct chain_merkle_proof p;
	uint8_t root[CHAIN_HASH_LEN], leaf[CHAIN_HASH_LEN];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	double t0, t;
	size_t n = 0;
	int rc = 1;

	chain_merkle_mem_init(&tree, leaves);
	t0 = now_s();
	for (uint64_t i = 0; i < leaves; i++)
		if (!tc_is_ok(chain_merkle_mem_append(&tree, &i, sizeof(i))))
			goto out;
	t = now_s() - t0;
	src = chain_merkle_mem_source(&tree);
	printf("merkle %6llu leaves: build %8.0f leaves/s\n", (unsigned long long)leaves, (double)leaves / t);
	/* Proofs for a tree size just below the full one, so the right edge is not a perfect subtree. */
	if (!tc_is_ok(chain_merkle_root(&src, leaves - 1, root)))
		goto out;
	t0 = now_s();
	do {
		uint64_t idx = next_rand(&seed) % (leaves - 1);

		if (!tc_is_ok(chain_merkle_inclusion_proof(&src, idx, leaves - 1, &p)))
			goto out;
		n++;
	} while ((t = now_s() - t0) < BENCH_SLICE_S);
	printf("merkle %6llu leaves: inclusion proofs   %10.0f /s (path %zu)\n", (unsigned long long)leaves,
	       (double)n / t, p.len);
	n = 0;
	t0 = now_s();
	do {
		uint64_t m = 1 + next_rand(&seed) % (leaves - 1);

		if (!tc_is_ok(chain_merkle_consistency_proof(&src, m, leaves - 1, &p)))
			goto out;
		n++;
	} while ((t = now_s() - t0) < BENCH_SLICE_S);
	printf("merkle %6llu leaves: consistency proofs %10.0f /s\n", (unsigned long long)leaves, (double)n / t);
	n = 0;
	if (!tc_is_ok(chain_merkle_inclusion_proof(&src, 7, leaves - 1, &p)) ||
	    !tc_is_ok(src.subtree(src.ctx, 7, 0, leaf)))
		goto out;
	t0 = now_s();
	do {
		if (!tc_is_ok(chain_merkle_verify_inclusion(7, leaves - 1, leaf,
							    (const uint8_t(*)[CHAIN_HASH_LEN])p.hash, p.len, root)))
			goto out;
		n++;
	} while ((t = now_s() - t0) < BENCH_SLICE_S);
	printf("merkle %6llu leaves: inclusion verifies %10.0f /s\n", (unsigned long long)leaves, (double)n / t);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_chain: %s\n", tc_error_detail());
	chain_merkle_mem_cleanup(&tree);
	return rc;
}

int main(void)
{
	int rc = 0;

	rc |= bench_keccak();
	rc |= bench_tx();
	rc |= bench_merkle(MERKLE_SMALL);
	rc |= bench_merkle(MERKLE_LARGE);
	return rc;
}
