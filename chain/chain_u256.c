/*
 * chain_u256.c — 256-bit unsigned integers as 32 big-endian bytes: the type of every Ethereum amount (wei
 * values, gas prices, EIP-1559 fees) and of ABI uint256 words. Only what the chain code needs: conversion
 * to and from uint64 and decimal, comparison, and overflow-checked add / multiply / divide by a uint64.
 * Arithmetic runs on eight 32-bit limbs, least significant first.
 */
#include <string.h>

#include "chain_internal.h"

#define U256_LIMBS 8
#define U256_LIMB_BITS 32
#define U256_BITS 256
#define DEC_BASE 10

static void to_limbs(const struct chain_u256 *v, uint32_t l[U256_LIMBS])
{
	for (unsigned i = 0; i < U256_LIMBS; i++) {
		const uint8_t *p = v->be + CHAIN_U256_LEN - 4 * (i + 1);

		l[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	}
}

static void from_limbs(const uint32_t l[U256_LIMBS], struct chain_u256 *v)
{
	for (unsigned i = 0; i < U256_LIMBS; i++) {
		uint8_t *p = v->be + CHAIN_U256_LEN - 4 * (i + 1);

		p[0] = (uint8_t)(l[i] >> 24);
		p[1] = (uint8_t)(l[i] >> 16);
		p[2] = (uint8_t)(l[i] >> 8);
		p[3] = (uint8_t)l[i];
	}
}

/* l = l * m + add; returns the carry out of the top limb. */
static uint32_t limbs_mul_add(uint32_t l[U256_LIMBS], uint32_t m, uint32_t add)
{
	uint64_t carry = add;

	for (unsigned i = 0; i < U256_LIMBS; i++) {
		uint64_t t = (uint64_t)l[i] * m + carry;

		l[i] = (uint32_t)t;
		carry = t >> U256_LIMB_BITS;
	}
	return (uint32_t)carry;
}

void chain_u256_from_u64(struct chain_u256 *out, uint64_t v)
{
	memset(out->be, 0, sizeof(out->be));
	for (unsigned i = 0; i < 8; i++)
		out->be[CHAIN_U256_LEN - 1 - i] = (uint8_t)(v >> (8 * i));
}

TC_RESULT chain_u256_to_u64(const struct chain_u256 *v, uint64_t *out)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < CHAIN_U256_LEN - 8; i++)
		TC_ENSURE(v->be[i] == 0, TC_ERR_INVALID_ARGUMENT, "value does not fit in 64 bits");
	for (unsigned i = CHAIN_U256_LEN - 8; i < CHAIN_U256_LEN; i++)
		r = r << 8 | v->be[i];
	*out = r;
	return tc_ok();
}

TC_RESULT chain_u256_from_dec(const char *s, size_t len, struct chain_u256 *out)
{
	uint32_t l[U256_LIMBS] = { 0 };

	TC_ENSURE(len > 0 && len < CHAIN_U256_DEC_SIZE, TC_ERR_INVALID_ARGUMENT, "decimal integer of bad length %zu",
		  len);
	TC_ENSURE(len == 1 || s[0] != '0', TC_ERR_INVALID_ARGUMENT, "decimal integer with a leading zero");
	for (size_t i = 0; i < len; i++) {
		TC_ENSURE(s[i] >= '0' && s[i] <= '9', TC_ERR_INVALID_ARGUMENT, "not a decimal digit at offset %zu", i);
		TC_ENSURE(limbs_mul_add(l, DEC_BASE, (uint32_t)(s[i] - '0')) == 0, TC_ERR_INVALID_ARGUMENT,
			  "decimal integer exceeds 256 bits");
	}
	from_limbs(l, out);
	return tc_ok();
}

/* l = l / d, returns l % d (d < 2^32, d != 0). */
static uint32_t limbs_div_small(uint32_t l[U256_LIMBS], uint32_t d)
{
	uint64_t rem = 0;

	for (unsigned i = U256_LIMBS; i-- > 0;) {
		uint64_t cur = rem << U256_LIMB_BITS | l[i];

		l[i] = (uint32_t)(cur / d);
		rem = cur % d;
	}
	return (uint32_t)rem;
}

static bool limbs_zero(const uint32_t l[U256_LIMBS])
{
	for (unsigned i = 0; i < U256_LIMBS; i++)
		if (l[i] != 0)
			return false;
	return true;
}

void chain_u256_to_dec(const struct chain_u256 *v, char out[CHAIN_U256_DEC_SIZE])
{
	uint32_t l[U256_LIMBS];
	char rev[CHAIN_U256_DEC_SIZE];
	size_t n = 0;

	to_limbs(v, l);
	do
		rev[n++] = (char)('0' + limbs_div_small(l, DEC_BASE));
	while (!limbs_zero(l) && n < CHAIN_U256_DEC_SIZE - 1);
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
}

int chain_u256_cmp(const struct chain_u256 *a, const struct chain_u256 *b)
{
	int c = memcmp(a->be, b->be, CHAIN_U256_LEN);

	return (c > 0) - (c < 0);
}

bool chain_u256_is_zero(const struct chain_u256 *v)
{
	const uint8_t *start;

	return chain_u256_minimal(v, &start) == 0;
}

TC_RESULT chain_u256_add(const struct chain_u256 *a, const struct chain_u256 *b, struct chain_u256 *out)
{
	struct chain_u256 r;
	unsigned carry = 0;

	for (unsigned i = CHAIN_U256_LEN; i-- > 0;) {
		unsigned t = (unsigned)a->be[i] + b->be[i] + carry;

		r.be[i] = (uint8_t)t;
		carry = t >> 8;
	}
	TC_ENSURE(carry == 0, TC_ERR_INVALID_ARGUMENT, "uint256 addition overflows");
	*out = r;
	return tc_ok();
}

TC_RESULT chain_u256_mul_u64(const struct chain_u256 *a, uint64_t m, struct chain_u256 *out)
{
	uint32_t lo[U256_LIMBS], hi[U256_LIMBS];
	uint64_t carry = 0;

	to_limbs(a, lo);
	to_limbs(a, hi);
	/* a*m = a*m_lo + (a*m_hi << 32) */
	TC_ENSURE(limbs_mul_add(lo, (uint32_t)m, 0) == 0, TC_ERR_INVALID_ARGUMENT, "uint256 product overflows");
	TC_ENSURE(limbs_mul_add(hi, (uint32_t)(m >> U256_LIMB_BITS), 0) == 0 && hi[U256_LIMBS - 1] == 0,
		  TC_ERR_INVALID_ARGUMENT, "uint256 product overflows");
	for (unsigned i = 0; i < U256_LIMBS; i++) {
		uint64_t t = (uint64_t)lo[i] + (i > 0 ? hi[i - 1] : 0) + carry;

		lo[i] = (uint32_t)t;
		carry = t >> U256_LIMB_BITS;
	}
	TC_ENSURE(carry == 0, TC_ERR_INVALID_ARGUMENT, "uint256 product overflows");
	from_limbs(lo, out);
	return tc_ok();
}

TC_RESULT chain_u256_div_u64(const struct chain_u256 *a, uint64_t d, struct chain_u256 *quot, uint64_t *rem)
{
	struct chain_u256 q;
	uint64_t r = 0;

	TC_ENSURE(d != 0, TC_ERR_INVALID_ARGUMENT, "division by zero");
	memset(q.be, 0, sizeof(q.be));
	/* Schoolbook binary long division; the remainder stays below d < 2^64 (a shifted-out top bit means
	 * the true value is >= 2^64 > d, and the wrapped subtraction is then exact). */
	for (unsigned bit = 0; bit < U256_BITS; bit++) {
		unsigned byte = bit / 8, shift = 7 - bit % 8;
		uint64_t top = r >> 63;

		r = r << 1 | ((a->be[byte] >> shift) & 1u);
		if (top || r >= d) {
			r -= d;
			q.be[byte] |= (uint8_t)(1u << shift);
		}
	}
	if (quot)
		*quot = q;
	if (rem)
		*rem = r;
	return tc_ok();
}

size_t chain_u256_minimal(const struct chain_u256 *v, const uint8_t **start)
{
	size_t i = 0;

	while (i < CHAIN_U256_LEN && v->be[i] == 0)
		i++;
	*start = v->be + i;
	return CHAIN_U256_LEN - i;
}
