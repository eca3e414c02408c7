/*
 * ca_signer.c — the signer interface (STYLE.md point 7: the HTTP code reaches the key only through
 * sign(digest)) and its file backend: P-384 / P-256 keys generated in process, stored as encrypted PKCS#8
 * PEM (RFC 5958 EncryptedPrivateKeyInfo, PBES2 of RFC 8018 with scrypt of RFC 7914 and AES-256-CBC), mode
 * 0600; files readable by group/other are refused. Passphrases and file bytes are zeroed after use.
 *
 * OpenSSL holds the key as stored and its public half; the signatures are made by GnuTLS (nettle), into which
 * the loaded key is imported once: OpenSSL 3.0 has only a generic P-384, nettle's fixed-base tables sign about
 * 7 times faster (115 µs vs 805 µs per P-384 signature on the 2-core bench machine, docs/bench.md), and the CA
 * signs every certificate while it holds the log lock. nettle's ECDSA is side-channel silent, as OpenSSL's.
 * On load a signature of the engine is checked with OpenSSL against the stored key.
 */
#include "ca_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

/* scrypt cost of the key file (RFC 7914 §2): 2^14 * 8 * 128 = 16 MiB (OpenSSL 3.0 decoders cap scrypt at 32 MiB). */
#define CA_SCRYPT_N 16384
#define CA_SCRYPT_R 8
#define CA_SCRYPT_P 1

struct ca_file_key {
	EVP_PKEY *pkey;          /* the key as stored; its public half */
	gnutls_privkey_t engine; /* the same key, for signing */
	enum ca_sig_alg alg;
};

/* ------------------------------------------------------------------------------------------ interface */

void ca_signer_free(struct ca_signer **s)
{
	if (s == NULL || *s == NULL)
		return;
	(*s)->destroy(*s);
	*s = NULL;
}

size_t ca_sig_alg_digest_len(enum ca_sig_alg alg)
{
	return alg == CA_SIG_ECDSA_SHA384 ? 48 : 32;
}

const char *ca_sig_alg_name(enum ca_sig_alg alg)
{
	return alg == CA_SIG_ECDSA_SHA384 ? "ecdsa-with-SHA384" : "ecdsa-with-SHA256";
}

TC_RESULT ca_signer_sign_data(const struct ca_signer *s, const void *data, size_t len, struct tc_buf *sig)
{
	uint8_t digest[CA_DIGEST_MAX];
	unsigned int dlen = 0;
	enum ca_sig_alg alg = s->algorithm(s);
	struct tc_result r;

	if (!EVP_Digest(data, len, digest, &dlen, alg == CA_SIG_ECDSA_SHA384 ? EVP_sha384() : EVP_sha256(), NULL))
		return tc_fail_openssl(TC_ERR_CRYPTO, "digest of the data to sign");
	r = s->sign(s, digest, dlen, sig);
	tc_secure_zero(digest, sizeof(digest));
	return r;
}

/* ------------------------------------------------------------------------------------- file backend */

static TC_RESULT file_sign(const struct ca_signer *s, const uint8_t *digest, size_t digest_len, struct tc_buf *sig)
{
	const struct ca_file_key *k = s->impl;
	gnutls_datum_t hash = { (unsigned char *)digest, (unsigned int)digest_len }, out = { NULL, 0 };
	int rc;
	struct tc_result r;

	TC_ENSURE(digest_len == ca_sig_alg_digest_len(k->alg), TC_ERR_INVALID_ARGUMENT,
		  "digest of %zu bytes for %s", digest_len, ca_sig_alg_name(k->alg));
	rc = gnutls_privkey_sign_hash2(
		k->engine, k->alg == CA_SIG_ECDSA_SHA384 ? GNUTLS_SIGN_ECDSA_SHA384 : GNUTLS_SIGN_ECDSA_SHA256, 0,
		&hash, &out);
	if (rc < 0 || out.size == 0 || out.size > CA_SIG_MAX) {
		gnutls_free(out.data);
		return tc_fail(TC_ERR_CRYPTO, "ECDSA sign: %s",
			       rc < 0 ? gnutls_strerror(rc) : "signature of an unexpected size");
	}
	r = tc_buf_append(sig, out.data, out.size); /* the DER Ecdsa-Sig-Value */
	gnutls_free(out.data);
	return r;
}

static TC_RESULT file_public_key(const struct ca_signer *s, struct tc_buf *spki)
{
	const struct ca_file_key *k = s->impl;
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der);
	struct tc_result r;

	if (n <= 0)
		return tc_fail_openssl(TC_ERR_CRYPTO, "encoding the public key");
	r = tc_buf_append(spki, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

static enum ca_sig_alg file_algorithm(const struct ca_signer *s)
{
	const struct ca_file_key *k = s->impl;

	return k->alg;
}

static void file_destroy(struct ca_signer *s)
{
	struct ca_file_key *k = s->impl;

	if (k != NULL) {
		gnutls_privkey_deinit(k->engine); /* both libraries clear private key material on free */
		EVP_PKEY_free(k->pkey);
		tc_secure_zero(k, sizeof(*k));
		free(k);
	}
	tc_secure_zero(s, sizeof(*s));
	free(s);
}

/* BN as exactly LEN big-endian bytes into OUT. */
static bool bn_fixed(const BIGNUM *bn, uint8_t *out, size_t len)
{
	return bn != NULL && BN_bn2binpad(bn, out, (int)len) == (int)len;
}

/* Does SIG (DER) verify over DIGEST with PKEY (OpenSSL)? */
static bool openssl_verifies(EVP_PKEY *pkey, const uint8_t *digest, size_t dlen, const struct tc_buf *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	bool ok = ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
		  EVP_PKEY_verify(ctx, sig->data, sig->len, digest, dlen) == 1;

	EVP_PKEY_CTX_free(ctx);
	tc_openssl_clear();
	return ok;
}

/* Import K->pkey (P-256/P-384, K->alg set) into K->engine and check one signature of it with OpenSSL. */
static TC_RESULT engine_import(struct ca_signer *s, struct ca_file_key *k)
{
	size_t fl = k->alg == CA_SIG_ECDSA_SHA384 ? 48 : 32;
	BIGNUM *d = NULL, *x = NULL, *y = NULL;
	uint8_t db[48], xb[48], yb[48], digest[48];
	gnutls_datum_t dd = { db, (unsigned int)fl }, xd = { xb, (unsigned int)fl }, yd = { yb, (unsigned int)fl };
	struct tc_buf sig;
	int rc;
	struct tc_result r = tc_ok();

	tc_buf_init(&sig, CA_SIG_MAX);
	if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) || !bn_fixed(d, db, fl) ||
	    !bn_fixed(x, xb, fl) || !bn_fixed(y, yb, fl)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "reading the CA key");
		goto out;
	}
	rc = gnutls_privkey_init(&k->engine);
	if (rc >= 0)
		rc = gnutls_privkey_import_ecc_raw(k->engine,
						   k->alg == CA_SIG_ECDSA_SHA384 ? GNUTLS_ECC_CURVE_SECP384R1 :
										   GNUTLS_ECC_CURVE_SECP256R1,
						   &xd, &yd, &dd);
	TC_ENSURE_GOTO(r, rc >= 0, out, TC_ERR_CRYPTO, "importing the CA key for signing: %s", gnutls_strerror(rc));
	/* The engine's signature over a fixed digest verifies with the stored key (OpenSSL). */
	for (size_t i = 0; i < fl; i++)
		digest[i] = (uint8_t)(0xa5 ^ i);
	TC_GUARD_GOTO(r, file_sign(s, digest, fl, &sig), out);
	TC_ENSURE_GOTO(r, openssl_verifies(k->pkey, digest, fl, &sig), out, TC_ERR_CRYPTO,
		       "the signing engine's signature does not verify with the CA key");
out:
	tc_secure_zero(db, sizeof(db));
	BN_clear_free(d);
	BN_free(x);
	BN_free(y);
	tc_buf_cleanup(&sig);
	return r;
}

/* Wrap PKEY (taken) into a signer after checking it is P-256/P-384. */
static TC_RESULT file_signer_take(EVP_PKEY *pkey, struct ca_signer **out)
{
	char group[32] = "";
	size_t glen = 0;
	enum ca_sig_alg alg;
	struct ca_signer *s = NULL;
	struct ca_file_key *k = NULL;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
		EVP_PKEY_free(pkey);
		tc_openssl_clear();
		return tc_fail(TC_ERR_KEY_UNSUPPORTED, "CA keys must be ECDSA P-256 or P-384");
	}
	if (strcmp(group, "secp384r1") == 0) {
		alg = CA_SIG_ECDSA_SHA384;
	} else if (strcmp(group, "prime256v1") == 0) {
		alg = CA_SIG_ECDSA_SHA256;
	} else {
		EVP_PKEY_free(pkey);
		return tc_fail(TC_ERR_KEY_UNSUPPORTED, "CA key curve %s is not P-256 or P-384", group);
	}
	s = calloc(1, sizeof(*s));
	k = calloc(1, sizeof(*k));
	if (s == NULL || k == NULL) {
		free(s);
		free(k);
		EVP_PKEY_free(pkey);
		return tc_fail(TC_ERR_NO_MEMORY, "signer");
	}
	k->pkey = pkey;
	k->alg = alg;
	s->impl = k;
	s->destroy = file_destroy;
	if (!tc_is_ok(engine_import(s, k))) {
		struct tc_result r = tc_fail(TC_ERR_CRYPTO, "%s", tc_error_detail());

		file_destroy(s); /* frees K, its engine and PKEY */
		return r;
	}
	s->sign = file_sign;
	s->public_key = file_public_key;
	s->algorithm = file_algorithm;
	*out = s;
	return tc_ok();
}

/* Encrypted PKCS#8 PEM of PKEY into PEM (a zeroing buffer). */
static TC_RESULT file_encrypt(EVP_PKEY *pkey, const uint8_t *pass, size_t pass_len, struct tc_buf *pem)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *enc = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	struct tc_result r = tc_ok();

	p8 = EVP_PKEY2PKCS8(pkey);
	pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL, CA_SCRYPT_N, CA_SCRYPT_R, CA_SCRYPT_P);
	if (p8 == NULL || pbe == NULL) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "PKCS#8 / scrypt parameters");
		goto out;
	}
	enc = PKCS8_set0_pbe((const char *)pass, (int)pass_len, p8, pbe);
	if (enc == NULL) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "encrypting the key");
		goto out;
	}
	pbe = NULL; /* owned by ENC now */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || !PEM_write_bio_PKCS8(bio, enc)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "PEM of the encrypted key");
		goto out;
	}
	BIO_get_mem_ptr(bio, &mem);
	r = tc_buf_append(pem, mem->data, mem->length);
out:
	BIO_free(bio);
	X509_SIG_free(enc);
	X509_ALGOR_free(pbe);
	PKCS8_PRIV_KEY_INFO_free(p8); /* clears the plain key copy */
	return r;
}

TC_RESULT ca_signer_file_generate(enum ca_key_kind kind, const char *path, const uint8_t *pass, size_t pass_len,
				  struct ca_signer **out)
{
	EVP_PKEY *pkey = NULL;
	struct ca_signer *s = NULL;
	struct tc_buf pem = { 0 };
	struct tc_result r;
	struct stat st;

	if (path != NULL) {
		TC_ENSURE(pass != NULL && pass_len >= CA_PASSPHRASE_MIN && pass_len <= CA_PASSPHRASE_MAX,
			  TC_ERR_KEY_PASSPHRASE, "a key file needs a passphrase of %d..%d bytes", CA_PASSPHRASE_MIN,
			  CA_PASSPHRASE_MAX);
		TC_ENSURE(lstat(path, &st) != 0 && errno == ENOENT, TC_ERR_IO, "%s already exists; refusing to overwrite a key",
			  path);
	}
	pkey = EVP_EC_gen(kind == CA_KEY_P256 ? "P-256" : "P-384");
	if (pkey == NULL)
		return tc_fail_openssl(TC_ERR_CRYPTO, "generating the CA key");
	if (path != NULL) {
		tc_buf_init(&pem, CA_KEY_FILE_MAX);
		r = file_encrypt(pkey, pass, pass_len, &pem);
		if (tc_is_ok(r))
			r = tc_file_write(path, pem.data, pem.len, 0600);
		tc_buf_cleanup(&pem);
		if (!tc_is_ok(r)) {
			EVP_PKEY_free(pkey);
			return r;
		}
	}
	TC_GUARD(file_signer_take(pkey, &s));
	*out = s;
	return tc_ok();
}

/* Read the whole open file FD (at most CA_KEY_FILE_MAX bytes) into OUT. */
static TC_RESULT read_fd(int fd, const char *path, struct tc_buf *out)
{
	uint8_t chunk[4096];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		TC_ENSURE(n >= 0, TC_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		struct tc_result r = tc_buf_append(out, chunk, (size_t)n);

		tc_secure_zero(chunk, sizeof(chunk));
		TC_GUARD(r);
	}
	return tc_ok();
}

TC_RESULT ca_signer_file_open(const char *path, const uint8_t *pass, size_t pass_len, struct ca_signer **out)
{
	struct tc_buf file = { 0 };
	struct stat st;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pw = NULL;
	struct tc_result r = tc_ok();
	int fd = -1;

	TC_ENSURE(pass != NULL && pass_len >= CA_PASSPHRASE_MIN && pass_len <= CA_PASSPHRASE_MAX, TC_ERR_KEY_PASSPHRASE,
		  "a key file needs a passphrase of %d..%d bytes", CA_PASSPHRASE_MIN, CA_PASSPHRASE_MAX);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	TC_ENSURE(fd >= 0, TC_ERR_IO, "cannot open key file %s: %s", path, strerror(errno));
	tc_buf_init(&file, CA_KEY_FILE_MAX);
	TC_ENSURE_GOTO(r, fstat(fd, &st) == 0 && S_ISREG(st.st_mode), out, TC_ERR_IO, "%s is not a regular file",
		       path);
	/* The mode is checked on the descriptor that is read (no race with a chmod/replace in between). */
	TC_ENSURE_GOTO(r, (st.st_mode & 077) == 0, out, TC_ERR_KEY_FILE_INSECURE,
		       "%s has mode %03o; it must be 0600 or stricter", path, (unsigned)(st.st_mode & 0777));
	TC_GUARD_GOTO(r, read_fd(fd, path, &file), out);
	/* PEM_read wants a NUL-terminated passphrase copy; keep it in a zeroed heap block. */
	pw = calloc(1, pass_len + 1);
	TC_ENSURE_GOTO(r, pw != NULL, out, TC_ERR_NO_MEMORY, "passphrase copy");
	memcpy(pw, pass, pass_len);
	bio = BIO_new_mem_buf(file.data, (int)file.len);
	TC_ENSURE_GOTO(r, bio != NULL, out, TC_ERR_NO_MEMORY, "BIO");
	/* Only encrypted PKCS#8 is accepted: a plain key file is refused by asking for a passphrase first. */
	TC_ENSURE_GOTO(r, strstr((const char *)file.data, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL, out,
		       TC_ERR_KEY_FILE_INSECURE, "%s is not an encrypted PKCS#8 key", path);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, pw);
	if (pkey == NULL) {
		tc_openssl_clear();
		r = tc_fail(TC_ERR_KEY_PASSPHRASE, "%s does not decrypt with this passphrase", path);
		goto out;
	}
	r = file_signer_take(pkey, out);
out:
	if (fd >= 0)
		close(fd);
	BIO_free(bio);
	if (pw != NULL) {
		tc_secure_zero(pw, pass_len + 1);
		free(pw);
	}
	tc_buf_cleanup(&file);
	return r;
}

TC_RESULT ca_passphrase_load(const char *file, const char *env, struct tc_buf *out)
{
	struct tc_buf b = { 0 };
	const char *v;
	struct tc_result r;

	tc_buf_init(&b, CA_PASSPHRASE_MAX + 2);
	if (file != NULL) {
		r = tc_file_read(file, CA_PASSPHRASE_MAX + 2, &b);
		if (!tc_is_ok(r)) {
			tc_buf_cleanup(&b);
			return r;
		}
		if (b.len > 0 && b.data[b.len - 1] == '\n')
			b.len--;
		if (b.len > 0 && b.data[b.len - 1] == '\r')
			b.len--;
	} else {
		v = env != NULL ? getenv(env) : NULL;
		TC_ENSURE(v != NULL, TC_ERR_KEY_PASSPHRASE, "no passphrase: set %s or give a passphrase file",
			  env != NULL ? env : "a passphrase variable");
		r = tc_buf_append_str(&b, v);
		if (!tc_is_ok(r)) {
			tc_buf_cleanup(&b);
			return r;
		}
	}
	if (b.len < CA_PASSPHRASE_MIN || b.len > CA_PASSPHRASE_MAX) {
		tc_buf_cleanup(&b);
		return tc_fail(TC_ERR_KEY_PASSPHRASE, "passphrase must be %d..%d bytes", CA_PASSPHRASE_MIN,
			       CA_PASSPHRASE_MAX);
	}
	r = tc_buf_append(out, b.data, b.len);
	tc_buf_cleanup(&b);
	return r;
}
