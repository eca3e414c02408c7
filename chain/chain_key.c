/*
 * chain_key.c — secp256k1 keys for the anchoring account: private key from bytes, hex or a 0600 key file,
 * the uncompressed public key (SEC1 §2.3.3), the Ethereum address (last 20 bytes of keccak256(X || Y),
 * yellow paper §4.1 / Appendix F) and its EIP-55 mixed-case checksum form. libsecp256k1 does the curve
 * arithmetic; its context is created once per process and randomized against side channels.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain_internal.h"

#define CHAIN_SECP_SEED_LEN 32
#define HEX_PREFIX_LEN 2
#define ADDRESS_HEX_LEN (2 * CHAIN_ADDRESS_LEN)
/* EIP-55: a letter is upper-cased when its nibble of keccak256(lowercase hex) is >= 8. */
#define EIP55_UPPER_NIBBLE 8

static pthread_once_t secp_once = PTHREAD_ONCE_INIT;
static secp256k1_context *secp_ctx;

static void secp_create(void)
{
	uint8_t seed[CHAIN_SECP_SEED_LEN];
	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);

	if (ctx == NULL)
		return;
	/* Blinding of the signing computations (secp256k1.h, secp256k1_context_randomize). */
	if (!tc_is_ok(tc_random_bytes(seed, sizeof(seed))) || !secp256k1_context_randomize(ctx, seed)) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
	}
	tc_secure_zero(seed, sizeof(seed));
	secp_ctx = ctx;
}

TC_RESULT chain_secp_context(const secp256k1_context **out)
{
	pthread_once(&secp_once, secp_create);
	TC_ENSURE(secp_ctx != NULL, TC_ERR_CRYPTO, "cannot create the secp256k1 context");
	*out = secp_ctx;
	return tc_ok();
}

TC_RESULT chain_address_from_pubkey(const uint8_t pubkey[CHAIN_PUBKEY_LEN], uint8_t out[CHAIN_ADDRESS_LEN])
{
	uint8_t h[CHAIN_KECCAK256_LEN];

	TC_ENSURE(pubkey[0] == 0x04, CHAIN_ERR_KEY, "public key is not in uncompressed form");
	chain_keccak256(pubkey + 1, CHAIN_PUBKEY_LEN - 1, h);
	memcpy(out, h + CHAIN_KECCAK256_LEN - CHAIN_ADDRESS_LEN, CHAIN_ADDRESS_LEN);
	return tc_ok();
}

TC_RESULT chain_key_from_bytes(struct chain_key *key, const uint8_t secret[CHAIN_PRIVKEY_LEN])
{
	const secp256k1_context *ctx = NULL;
	secp256k1_pubkey pub;
	struct chain_key k;
	size_t publen = CHAIN_PUBKEY_LEN;
	struct tc_result r = tc_ok();

	TC_GUARD(chain_secp_context(&ctx));
	memcpy(k.secret, secret, CHAIN_PRIVKEY_LEN);
	/* A secret key is valid iff 0 < key < n (the group order). */
	TC_ENSURE_GOTO(r, secp256k1_ec_seckey_verify(ctx, k.secret), out, CHAIN_ERR_KEY,
		       "private key is zero or not below the secp256k1 group order");
	TC_ENSURE_GOTO(r, secp256k1_ec_pubkey_create(ctx, &pub, k.secret), out, TC_ERR_CRYPTO,
		       "cannot derive the public key");
	TC_ENSURE_GOTO(r, secp256k1_ec_pubkey_serialize(ctx, k.pubkey, &publen, &pub, SECP256K1_EC_UNCOMPRESSED), out,
		       TC_ERR_CRYPTO, "cannot serialize the public key");
	TC_GUARD_GOTO(r, chain_address_from_pubkey(k.pubkey, k.address), out);
	*key = k;
out:
	tc_secure_zero(&k, sizeof(k));
	return r;
}

/* Strip an optional 0x and surrounding ASCII whitespace (a trailing newline in key files). */
static void hex_trim(const char **s, size_t *len)
{
	while (*len > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t' || (*s)[0] == '\n' || (*s)[0] == '\r')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 &&
	       ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\n' || (*s)[*len - 1] == '\r'))
		(*len)--;
	if (*len >= HEX_PREFIX_LEN && (*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X')) {
		*s += HEX_PREFIX_LEN;
		*len -= HEX_PREFIX_LEN;
	}
}

TC_RESULT chain_key_from_hex(struct chain_key *key, const char *hex, size_t len)
{
	uint8_t secret[CHAIN_PRIVKEY_LEN];
	struct tc_result r;

	hex_trim(&hex, &len);
	TC_ENSURE(len == 2 * CHAIN_PRIVKEY_LEN, CHAIN_ERR_KEY, "private key must be %d hex digits, not %zu",
		  2 * CHAIN_PRIVKEY_LEN, len);
	TC_GUARD_GOTO(r, tc_hex_decode_fixed(hex, len, secret, sizeof(secret)), out);
	TC_GUARD_GOTO(r, chain_key_from_bytes(key, secret), out);
out:
	tc_secure_zero(secret, sizeof(secret));
	return r;
}

TC_RESULT chain_key_load_file(struct chain_key *key, const char *path)
{
	char text[CHAIN_KEY_FILE_MAX + 1];
	struct stat st;
	struct tc_result r = tc_ok();
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	TC_ENSURE(fd >= 0, TC_ERR_IO, "cannot open key file %s: %s", path, strerror(errno));
	/* fstat the open descriptor, so the checked file is the file read. */
	TC_ENSURE_GOTO(r, fstat(fd, &st) == 0, out, TC_ERR_IO, "cannot stat key file %s: %s", path, strerror(errno));
	TC_ENSURE_GOTO(r, S_ISREG(st.st_mode), out, CHAIN_ERR_KEY, "key file %s is not a regular file", path);
	TC_ENSURE_GOTO(r, (st.st_mode & (S_IRWXG | S_IRWXO)) == 0, out, CHAIN_ERR_KEY,
		       "key file %s has mode %03o; it must not be accessible by group or others (chmod 600)", path,
		       (unsigned)(st.st_mode & 0777));
	while (len < sizeof(text)) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);

		if (n < 0 && errno == EINTR)
			continue;
		TC_ENSURE_GOTO(r, n >= 0, out, TC_ERR_IO, "cannot read key file %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	TC_ENSURE_GOTO(r, len <= CHAIN_KEY_FILE_MAX, out, CHAIN_ERR_KEY, "key file %s is larger than %d bytes", path,
		       CHAIN_KEY_FILE_MAX);
	TC_GUARD_GOTO(r, chain_key_from_hex(key, text, len), out);
out:
	tc_secure_zero(text, sizeof(text));
	close(fd);
	return r;
}

TC_RESULT chain_key_generate(struct chain_key *key)
{
	uint8_t secret[CHAIN_PRIVKEY_LEN];
	struct tc_result r;

	/* A uniformly random 32-byte string is a valid key except with probability ~2^-128; retry then. */
	do {
		TC_GUARD_GOTO(r, tc_random_bytes(secret, sizeof(secret)), out);
		r = chain_key_from_bytes(key, secret);
	} while (r.code == CHAIN_ERR_KEY);
out:
	tc_secure_zero(secret, sizeof(secret));
	return r;
}

void chain_key_cleanup(struct chain_key *key)
{
	tc_secure_zero(key, sizeof(*key));
}

/* EIP-55: checksum over the ASCII of the 40 lowercase hex digits. */
static void eip55_hash(const char lower[ADDRESS_HEX_LEN], uint8_t h[CHAIN_KECCAK256_LEN])
{
	chain_keccak256(lower, ADDRESS_HEX_LEN, h);
}

static bool eip55_upper(const uint8_t h[CHAIN_KECCAK256_LEN], size_t i)
{
	unsigned nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 0x0f;

	return nibble >= EIP55_UPPER_NIBBLE;
}

void chain_address_to_eip55(const uint8_t addr[CHAIN_ADDRESS_LEN], char out[CHAIN_ADDRESS_STR_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	char lower[ADDRESS_HEX_LEN];
	uint8_t h[CHAIN_KECCAK256_LEN];

	for (size_t i = 0; i < CHAIN_ADDRESS_LEN; i++) {
		lower[2 * i] = digits[addr[i] >> 4];
		lower[2 * i + 1] = digits[addr[i] & 0x0f];
	}
	eip55_hash(lower, h);
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < ADDRESS_HEX_LEN; i++) {
		char ch = lower[i];

		if (ch >= 'a' && eip55_upper(h, i))
			ch = (char)(ch - 'a' + 'A');
		out[HEX_PREFIX_LEN + i] = ch;
	}
	out[CHAIN_ADDRESS_STR_SIZE - 1] = '\0';
}

TC_RESULT chain_address_parse(const char *s, size_t len, uint8_t out[CHAIN_ADDRESS_LEN])
{
	uint8_t addr[CHAIN_ADDRESS_LEN];
	char expect[CHAIN_ADDRESS_STR_SIZE];
	bool has_lower = false, has_upper = false;

	TC_ENSURE(len == HEX_PREFIX_LEN + ADDRESS_HEX_LEN && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'),
		  TC_ERR_INVALID_ARGUMENT, "an address is 0x followed by %d hex digits", ADDRESS_HEX_LEN);
	s += HEX_PREFIX_LEN;
	for (size_t i = 0; i < ADDRESS_HEX_LEN; i++) {
		has_lower |= s[i] >= 'a' && s[i] <= 'f';
		has_upper |= s[i] >= 'A' && s[i] <= 'F';
	}
	TC_GUARD(tc_hex_decode_fixed(s, ADDRESS_HEX_LEN, addr, sizeof(addr)));
	if (has_lower && has_upper) {
		chain_address_to_eip55(addr, expect);
		TC_ENSURE(memcmp(expect + HEX_PREFIX_LEN, s, ADDRESS_HEX_LEN) == 0, TC_ERR_INVALID_ARGUMENT,
			  "address has a mixed-case EIP-55 checksum that does not match (expected %s)", expect);
	}
	memcpy(out, addr, CHAIN_ADDRESS_LEN);
	return tc_ok();
}
