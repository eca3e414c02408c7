/*
 * tc_secure.c — secrets hygiene (STYLE.md point 7): zeroing the compiler cannot elide, constant-time
 * comparison for tokens and MACs, and random bytes from OpenSSL's CSPRNG.
 */
#include "tc.h"

#include <limits.h>
#include <string.h>

#include <openssl/rand.h>

void tc_secure_zero(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
	explicit_bzero(p, n);
}

/* Time depends only on N, never on where the buffers differ. */
bool tc_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	return diff == 0;
}

TC_RESULT tc_random_bytes(void *out, size_t n)
{
	uint8_t *p = out;

	TC_ENSURE(out != NULL || n == 0, TC_ERR_INVALID_ARGUMENT, "random_bytes: NULL output");
	while (n > 0) {
		int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;

		if (RAND_bytes(p, chunk) != 1)
			return tc_fail_openssl(TC_ERR_CRYPTO, "RAND_bytes failed");
		p += chunk;
		n -= (size_t)chunk;
	}
	return tc_ok();
}
