/*
 * chain_keccak.c — Keccak-256 as Ethereum uses it: the FIPS 202 Keccak-f[1600] permutation in a sponge with
 * rate 136 bytes / capacity 512 bits and the ORIGINAL Keccak padding (pad10*1 starting with 0x01), not the
 * SHA3-256 domain byte 0x06 (FIPS 202 §6.1 adds the "01" suffix that Ethereum predates). OpenSSL 3.0 has no
 * Keccak, so the permutation lives here.
 */
#include <string.h>

#include "chain.h"

#define KECCAK_ROUNDS 24
#define KECCAK_LANE_BYTES 8
#define KECCAK_RATE_LANES (CHAIN_KECCAK_RATE / KECCAK_LANE_BYTES)
/* Original Keccak pad10*1: first padding bit (0x01) and last (0x80) of the block. */
#define KECCAK_PAD_FIRST 0x01
#define KECCAK_PAD_LAST 0x80

/* ι step round constants RC[i] (FIPS 202 §3.2.5, Algorithm 5 evaluated for i = 0..23). */
static const uint64_t keccak_rc[KECCAK_ROUNDS] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
	0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
	0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
	0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
	0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* ρ step offsets for lane x + 5y (FIPS 202 §3.2.2, Table 2, mod 64). */
static const unsigned keccak_rho[CHAIN_KECCAK_LANES] = {
	0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static inline uint64_t rotl64(uint64_t v, unsigned n)
{
	return n == 0 ? v : (v << n) | (v >> (64 - n));
}

/* Keccak-f[1600] = 24 rounds of θ, ρ, π, χ, ι (FIPS 202 §3.3, Algorithm 7). */
static void keccak_f1600(uint64_t a[CHAIN_KECCAK_LANES])
{
	uint64_t b[CHAIN_KECCAK_LANES];
	uint64_t c[5], d[5];

	for (unsigned round = 0; round < KECCAK_ROUNDS; round++) {
		/* θ (§3.2.1): xor each column's parity into its neighbours. */
		for (unsigned x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
		for (unsigned x = 0; x < 5; x++)
			d[x] = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
		for (unsigned i = 0; i < CHAIN_KECCAK_LANES; i++)
			a[i] ^= d[i % 5];
		/* ρ and π (§3.2.2, §3.2.3): lane (x, y) rotates and moves to (y, 2x + 3y). */
		for (unsigned x = 0; x < 5; x++)
			for (unsigned y = 0; y < 5; y++)
				b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(a[x + 5 * y], keccak_rho[x + 5 * y]);
		/* χ (§3.2.4). */
		for (unsigned y = 0; y < 25; y += 5)
			for (unsigned x = 0; x < 5; x++)
				a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
		/* ι (§3.2.5). */
		a[0] ^= keccak_rc[round];
	}
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < KECCAK_LANE_BYTES; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Absorb one full rate block (lanes are little-endian, FIPS 202 §B.1). */
static void keccak_absorb_block(uint64_t state[CHAIN_KECCAK_LANES], const uint8_t *block)
{
	for (unsigned i = 0; i < KECCAK_RATE_LANES; i++)
		state[i] ^= load_le64(block + KECCAK_LANE_BYTES * i);
	keccak_f1600(state);
}

void chain_keccak_init(struct chain_keccak *k)
{
	memset(k, 0, sizeof(*k));
}

void chain_keccak_update(struct chain_keccak *k, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len == 0)
		return;
	if (k->block_len > 0) {
		size_t take = CHAIN_KECCAK_RATE - k->block_len;

		if (take > len)
			take = len;
		memcpy(k->block + k->block_len, p, take);
		k->block_len += take;
		p += take;
		len -= take;
		if (k->block_len < CHAIN_KECCAK_RATE)
			return;
		keccak_absorb_block(k->state, k->block);
		k->block_len = 0;
	}
	for (; len >= CHAIN_KECCAK_RATE; p += CHAIN_KECCAK_RATE, len -= CHAIN_KECCAK_RATE)
		keccak_absorb_block(k->state, p);
	if (len > 0)
		memcpy(k->block, p, len);
	k->block_len = len;
}

void chain_keccak_final(struct chain_keccak *k, uint8_t out[CHAIN_KECCAK256_LEN])
{
	/* pad10*1 with Keccak's 0x01 first bit; one padding byte is 0x81 when a single byte is left. */
	memset(k->block + k->block_len, 0, CHAIN_KECCAK_RATE - k->block_len);
	k->block[k->block_len] ^= KECCAK_PAD_FIRST;
	k->block[CHAIN_KECCAK_RATE - 1] ^= KECCAK_PAD_LAST;
	keccak_absorb_block(k->state, k->block);
	/* Squeeze: 32 bytes fit in the first rate block. */
	for (unsigned i = 0; i < CHAIN_KECCAK256_LEN; i++)
		out[i] = (uint8_t)(k->state[i / KECCAK_LANE_BYTES] >> (8 * (i % KECCAK_LANE_BYTES)));
	tc_secure_zero(k, sizeof(*k));
}

void chain_keccak256(const void *data, size_t len, uint8_t out[CHAIN_KECCAK256_LEN])
{
	struct chain_keccak k;

	chain_keccak_init(&k);
	chain_keccak_update(&k, data, len);
	chain_keccak_final(&k, out);
}
