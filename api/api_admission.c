/*
 * api_admission.c — the admission inputs of teecert-verifier (docs/admission.md): trust root(s), the current
 * policy (a vf policy plus our "require_anchored" knob), and the verdict signing key behind one signing
 * function, so handlers never touch key material. Verdicts are compact JWS ES256 (RFC 7515; RFC 7518 §3.4:
 * the signature is R || S, 32 bytes each) over the RFC 8785 canonical JSON of the verdict; the public key is
 * published as a JWK (RFC 7517) with its RFC 7638 thumbprint as kid. Also GET /v1/verdict-key.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api_internal.h"

#define POLICY_MAX (256 * 1024)
#define COORD_LEN 32 /* P-256 */

static TC_RESULT ossl_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "%s: %s", what, e ? buf : "failed");
}

static TC_RESULT load_roots(struct api_admission *a, const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	if (bio == NULL)
		return ossl_fail("cannot open --trust-root");
	a->store = X509_STORE_new();
	while (a->store && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(a->store, x);
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(bio);
	TC_ENSURE(a->store != NULL, TC_ERR_NO_MEMORY, "trust store");
	TC_ENSURE(n > 0, TC_ERR_INVALID_ARGUMENT, "--trust-root %s holds no PEM certificate", path);
	return tc_ok();
}

static TC_RESULT load_policy(struct api_admission *a, const char *path)
{
	struct tc_buf b;
	json_t *obj = NULL, *ra;
	struct tc_result r = tc_ok();

	vf_policy_init(&a->policy);
	if (path == NULL)
		return tc_ok();
	tc_buf_init(&b, POLICY_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, POLICY_MAX, &b), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)b.data, b.len, POLICY_MAX, &obj), out);
	TC_ENSURE_GOTO(r, json_is_object(obj), out, TC_ERR_INVALID_ARGUMENT, "--policy: not a JSON object");
	ra = json_object_get(obj, "require_anchored");
	if (ra) {
		TC_ENSURE_GOTO(r, json_is_boolean(ra), out, TC_ERR_INVALID_ARGUMENT,
			       "--policy: require_anchored must be a bool");
		a->require_anchored = json_is_true(ra);
		json_object_del(obj, "require_anchored");
	}
	r = vf_policy_from_json(&a->policy, obj);
out:
	json_decref(obj);
	tc_buf_cleanup(&b);
	return r;
}

static TC_RESULT b64url(const uint8_t *p, size_t n, char *out, size_t out_size)
{
	struct tc_buf b;
	struct tc_result r;

	tc_buf_init(&b, out_size);
	r = tc_base64url_encode(p, n, &b);
	if (tc_is_ok(r) && b.len + 1 > out_size)
		r = tc_fail(TC_ERR_INTERNAL, "base64url too long");
	if (tc_is_ok(r)) {
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	tc_buf_cleanup(&b);
	return r;
}

/* The public JWK and its RFC 7638 thumbprint: SHA-256 of {"crv","kty","x","y"} in that order, no spaces. */
static TC_RESULT make_jwk(struct api_admission *a)
{
	BIGNUM *bx = NULL, *by = NULL;
	uint8_t x[COORD_LEN], y[COORD_LEN], digest[32];
	char xs[64], ys[64], tp[256];
	char curve[32] = "";
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r,
		       EVP_PKEY_get_utf8_string_param(a->key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), NULL) ==
				       1 &&
			       strcmp(curve, "prime256v1") == 0,
		       out, TC_ERR_INVALID_ARGUMENT, "--signing-key must be a P-256 key (got '%s')", curve);
	TC_ENSURE_GOTO(r,
		       EVP_PKEY_get_bn_param(a->key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
			       EVP_PKEY_get_bn_param(a->key, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
			       BN_bn2binpad(bx, x, COORD_LEN) == COORD_LEN &&
			       BN_bn2binpad(by, y, COORD_LEN) == COORD_LEN,
		       out, TC_ERR_INVALID_ARGUMENT, "--signing-key: no public point");
	TC_GUARD_GOTO(r, b64url(x, COORD_LEN, xs, sizeof(xs)), out);
	TC_GUARD_GOTO(r, b64url(y, COORD_LEN, ys, sizeof(ys)), out);
	snprintf(tp, sizeof(tp), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", xs, ys);
	TC_ENSURE_GOTO(r, EVP_Digest(tp, strlen(tp), digest, NULL, EVP_sha256(), NULL) == 1, out, TC_ERR_INTERNAL,
		       "thumbprint");
	TC_GUARD_GOTO(r, b64url(digest, sizeof(digest), a->kid, sizeof(a->kid)), out);
	a->jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", xs, "y", ys, "kid",
			   a->kid, "alg", "ES256", "use", "sig");
	TC_ENSURE_GOTO(r, a->jwk != NULL, out, TC_ERR_NO_MEMORY, "jwk");
out:
	ERR_clear_error();
	BN_free(bx);
	BN_free(by);
	return r;
}

static TC_RESULT load_key(struct api_admission *a, const char *path)
{
	BIO *bio = BIO_new_file(path, "r");

	if (bio == NULL)
		return ossl_fail("cannot open --signing-key");
	a->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (a->key == NULL)
		return ossl_fail("--signing-key is not a PEM private key");
	return make_jwk(a);
}

TC_RESULT api_admission_load(const struct api_admission_options *o, struct api_admission **out)
{
	struct api_admission *a;
	struct tc_result r = tc_ok();

	TC_ENSURE(o && out && o->trust_root_file && o->signing_key_file, TC_ERR_INVALID_ARGUMENT,
		  "admission needs --trust-root and --signing-key");
	a = calloc(1, sizeof(*a));
	TC_ENSURE(a != NULL, TC_ERR_NO_MEMORY, "admission");
	a->ttl_s = o->verdict_ttl_s > 0 ? o->verdict_ttl_s : API_ADMISSION_TTL_DEFAULT_S;
	a->fixed_now = o->fixed_now;
	a->db_cache_ms = o->db_cache_ms;
	pthread_mutex_init(&a->sign_lock, NULL);
	a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	TC_ENSURE_GOTO(r, a->sha256 != NULL, out, TC_ERR_CRYPTO, "SHA-256 is not available");
	TC_GUARD_GOTO(r, load_roots(a, o->trust_root_file), out);
	TC_GUARD_GOTO(r, load_policy(a, o->policy_file), out);
	TC_GUARD_GOTO(r, load_key(a, o->signing_key_file), out);
	*out = a;
	return tc_ok();
out:
	api_admission_free(&a);
	return r;
}

void api_admission_free(struct api_admission **pa)
{
	struct api_admission *a = pa ? *pa : NULL;

	if (a == NULL)
		return;
	X509_STORE_free(a->store);
	vf_policy_cleanup(&a->policy);
	for (size_t i = 0; i < a->n_sign_ctx; i++)
		EVP_PKEY_CTX_free(a->sign_ctx[i]);
	pthread_mutex_destroy(&a->sign_lock);
	EVP_MD_free(a->sha256);
	EVP_PKEY_free(a->key);
	json_decref(a->jwk);
	free(a);
	*pa = NULL;
}

int64_t api_admission_now(const struct api_admission *a)
{
	return a->fixed_now ? a->fixed_now : tc_time_now();
}

/* A signing context for A's key: a pooled one, else a new one (EVP_PKEY_sign_init done, SHA-256 input). */
static EVP_PKEY_CTX *sign_ctx_take(struct api_admission *a)
{
	EVP_PKEY_CTX *ctx = NULL;

	pthread_mutex_lock(&a->sign_lock);
	if (a->n_sign_ctx > 0)
		ctx = a->sign_ctx[--a->n_sign_ctx];
	pthread_mutex_unlock(&a->sign_lock);
	if (ctx)
		return ctx;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, a->key, NULL);
	if (ctx && (EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, a->sha256) != 1)) {
		EVP_PKEY_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static void sign_ctx_give(struct api_admission *a, EVP_PKEY_CTX *ctx)
{
	pthread_mutex_lock(&a->sign_lock);
	if (a->n_sign_ctx < API_ADMISSION_SIGN_CTX_MAX) {
		a->sign_ctx[a->n_sign_ctx++] = ctx;
		ctx = NULL;
	}
	pthread_mutex_unlock(&a->sign_lock);
	EVP_PKEY_CTX_free(ctx);
}

/* ECDSA P-256 over SHA-256(INPUT), DER signature into DER (*DER_LEN in: its size). */
static bool sign_der(const struct api_admission *ac, const struct tc_buf *input, uint8_t *der, size_t *der_len)
{
	struct api_admission *a = (struct api_admission *)ac; /* the context pool is the only mutable part */
	uint8_t digest[32];
	unsigned int dlen = 0;
	EVP_PKEY_CTX *ctx = sign_ctx_take(a);
	bool ok = ctx && EVP_Digest(input->data, input->len, digest, &dlen, a->sha256, NULL) == 1 && dlen == 32 &&
		  EVP_PKEY_sign(ctx, der, der_len, digest, sizeof(digest)) == 1;

	if (ok)
		sign_ctx_give(a, ctx);
	else
		EVP_PKEY_CTX_free(ctx); /* a context that failed is not reused */
	return ok;
}

TC_RESULT api_admission_sign(const struct api_admission *a, const json_t *payload, struct tc_buf *out)
{
	struct tc_buf body, input;
	uint8_t der[80], raw[2 * COORD_LEN];
	const uint8_t *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *sig = NULL;
	json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", "teecert-verdict+jwt", "kid", a->kid);
	struct tc_result r = tc_ok();

	tc_buf_init(&body, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&input, TC_BUF_DEFAULT_MAX);
	TC_ENSURE_GOTO(r, header, out, TC_ERR_NO_MEMORY, "jws");
	TC_GUARD_GOTO(r, tc_json_canonical(header, &body), out);
	TC_GUARD_GOTO(r, tc_base64url_encode(body.data, body.len, &input), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&input, '.'), out);
	tc_buf_reset(&body);
	TC_GUARD_GOTO(r, tc_json_canonical(payload, &body), out);
	TC_GUARD_GOTO(r, tc_base64url_encode(body.data, body.len, &input), out);
	TC_ENSURE_GOTO(r, sign_der(a, &input, der, &der_len), out, TC_ERR_INTERNAL, "ES256 signing failed");
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	TC_ENSURE_GOTO(r,
		       sig != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, COORD_LEN) == COORD_LEN &&
			       BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + COORD_LEN, COORD_LEN) == COORD_LEN,
		       out, TC_ERR_INTERNAL, "ES256 signature encoding");
	TC_GUARD_GOTO(r, tc_buf_append(out, input.data, input.len), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, '.'), out);
	r = tc_base64url_encode(raw, sizeof(raw), out);
out:
	ERR_clear_error();
	ECDSA_SIG_free(sig);
	json_decref(header);
	tc_buf_cleanup(&body);
	tc_buf_cleanup(&input);
	return r;
}

/* GET /v1/verdict-key: {keys: [JWK]} (a JWK Set, RFC 7517 §5). */
TC_RESULT api_admission_key_get(struct api_request *req)
{
	const struct api_admission *a = api_request_config(req)->admission;
	json_t *body;
	struct tc_result r;

	TC_ENSURE(a != NULL, TC_ERR_ADMISSION_NOT_CONFIGURED,
		  "start teecert-verifier with --trust-root and --signing-key");
	body = json_pack("{s:[O]}", "keys", a->jwk);
	TC_ENSURE(body != NULL, TC_ERR_NO_MEMORY, "jwk set");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}
