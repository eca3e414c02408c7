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

/* The ρ offsets of FIPS 202 §3.2.2 Table 2 appear as the rotation counts in keccak_f1600 below. */

static inline uint64_t rotl64(uint64_t v, unsigned n)
{
	return n == 0 ? v : (v << n) | (v >> (64 - n));
}

/*
 * Keccak-f[1600] = 24 rounds of θ, ρ, π, χ, ι (FIPS 202 §3.3, Algorithm 7), written out lane by lane so the
 * compiler keeps the state in registers (the loop form with % 5 indexing runs several times slower).
 */
static void keccak_f1600(uint64_t a[CHAIN_KECCAK_LANES])
{
	uint64_t b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21,
		b22, b23, b24;
	uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;

	for (unsigned round = 0; round < KECCAK_ROUNDS; round++) {
		/* θ (§3.2.1): xor each column's parity into its neighbours. */
		c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
		c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
		c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
		c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
		c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
		d0 = c4 ^ rotl64(c1, 1);
		d1 = c0 ^ rotl64(c2, 1);
		d2 = c1 ^ rotl64(c3, 1);
		d3 = c2 ^ rotl64(c4, 1);
		d4 = c3 ^ rotl64(c0, 1);
		/* ρ and π (§3.2.2, §3.2.3): lane (x, y) rotates by its offset and moves to (y, 2x + 3y). */
		b0 = rotl64(a[0] ^ d0, 0);
		b16 = rotl64(a[5] ^ d0, 36);
		b7 = rotl64(a[10] ^ d0, 3);
		b23 = rotl64(a[15] ^ d0, 41);
		b14 = rotl64(a[20] ^ d0, 18);
		b10 = rotl64(a[1] ^ d1, 1);
		b1 = rotl64(a[6] ^ d1, 44);
		b17 = rotl64(a[11] ^ d1, 10);
		b8 = rotl64(a[16] ^ d1, 45);
		b24 = rotl64(a[21] ^ d1, 2);
		b20 = rotl64(a[2] ^ d2, 62);
		b11 = rotl64(a[7] ^ d2, 6);
		b2 = rotl64(a[12] ^ d2, 43);
		b18 = rotl64(a[17] ^ d2, 15);
		b9 = rotl64(a[22] ^ d2, 61);
		b5 = rotl64(a[3] ^ d3, 28);
		b21 = rotl64(a[8] ^ d3, 55);
		b12 = rotl64(a[13] ^ d3, 25);
		b3 = rotl64(a[18] ^ d3, 21);
		b19 = rotl64(a[23] ^ d3, 56);
		b15 = rotl64(a[4] ^ d4, 27);
		b6 = rotl64(a[9] ^ d4, 20);
		b22 = rotl64(a[14] ^ d4, 39);
		b13 = rotl64(a[19] ^ d4, 8);
		b4 = rotl64(a[24] ^ d4, 14);
		/* χ (§3.2.4). */
		a[0] = b0 ^ (~b1 & b2);
		a[1] = b1 ^ (~b2 & b3);
		a[2] = b2 ^ (~b3 & b4);
		a[3] = b3 ^ (~b4 & b0);
		a[4] = b4 ^ (~b0 & b1);
		a[5] = b5 ^ (~b6 & b7);
		a[6] = b6 ^ (~b7 & b8);
		a[7] = b7 ^ (~b8 & b9);
		a[8] = b8 ^ (~b9 & b5);
		a[9] = b9 ^ (~b5 & b6);
		a[10] = b10 ^ (~b11 & b12);
		a[11] = b11 ^ (~b12 & b13);
		a[12] = b12 ^ (~b13 & b14);
		a[13] = b13 ^ (~b14 & b10);
		a[14] = b14 ^ (~b10 & b11);
		a[15] = b15 ^ (~b16 & b17);
		a[16] = b16 ^ (~b17 & b18);
		a[17] = b17 ^ (~b18 & b19);
		a[18] = b18 ^ (~b19 & b15);
		a[19] = b19 ^ (~b15 & b16);
		a[20] = b20 ^ (~b21 & b22);
		a[21] = b21 ^ (~b22 & b23);
		a[22] = b22 ^ (~b23 & b24);
		a[23] = b23 ^ (~b24 & b20);
		a[24] = b24 ^ (~b20 & b21);
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
