/*
 * api_tls_config.c — api_tls_load: the files behind `serve --tls-cert --tls-key [--client-ca
 * --admin-client-ca --admin-cert-sha256]` read and checked with OpenSSL before the server starts, so a bad
 * file is a clear usage error instead of a GnuTLS failure inside MHD_start_daemon. The certificates and the
 * key are re-encoded (PEM certificates, unencrypted PKCS#8 key) into the form libmicrohttpd hands to GnuTLS;
 * the key's bytes live in a secure-memory BIO and a buffer that is zeroed when freed.
 *
 * The client CA file becomes two things: the PEM trust list MHD gives GnuTLS (its subjects are the
 * certificate_authorities of the CertificateRequest, RFC 8446 §4.2.4, so clients know which certificate to
 * send) and an OpenSSL X509_STORE, the only thing that ever decides whether a client certificate is trusted
 * (api_tls_client.c).
 *
 * --client-crl (repeatable, PEM): the CRLs of the client CAs. Each must be signed by a certificate of
 * --client-ca or --admin-client-ca (RFC 5280 §6.3.3 (f): the CRL issuer's key verifies its signature), checked
 * here so a wrong file stops the start. The CRLs are not put into the X509_STOREs (those stay immutable and
 * shared by all threads): api_tls_crl_get hands each verification its own reference-counted copy of the
 * current stack. The files are looked at no more than once per API_TLS_CRL_POLL_S and re-read when their
 * mtime, size or inode changed; the new set replaces the old only when every file loads and every CRL
 * verifies, and the generation number it gets invalidates the per-connection verification caches.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "api_internal.h"

#define API_TLS_PEM_CERTS_MAX 32 /* certificates in one PEM file */
#define API_TLS_RSA_MIN_BITS 2048
#define API_TLS_KEY_PEM_MAX (64 * 1024)
#define API_TLS_GROUP_MAX 32
#define API_TLS_WHAT_MAX 300
#define API_TLS_PASSPHRASE_MAX 1024 /* bytes of --tls-key-passphrase-file read */

/* PEM_read_bio_* ends a file with PEM_R_NO_START_LINE; any other queued error is a broken block. */
static bool pem_clean_end(void)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		ERR_clear_error();
		return true;
	}
	return false;
}

/* Every CERTIFICATE block of the PEM file PATH (1..API_TLS_PEM_CERTS_MAX of them) into *OUT. */
static TC_RESULT read_certs(const char *path, const char *flag, STACK_OF(X509) **out)
{
	struct tc_result r = tc_ok();
	struct tc_buf file;
	BIO *bio = NULL;
	STACK_OF(X509) *certs = NULL;
	X509 *x = NULL;
	char what[API_TLS_WHAT_MAX];

	tc_buf_init(&file, API_TLS_FILE_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, API_TLS_FILE_MAX, &file), out);
	bio = BIO_new_mem_buf(file.data, (int)file.len);
	certs = sk_X509_new_null();
	TC_ENSURE_GOTO(r, bio && certs, out, TC_ERR_NO_MEMORY, "%s", flag);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		TC_ENSURE_GOTO(r, sk_X509_num(certs) < API_TLS_PEM_CERTS_MAX, out, TC_ERR_INVALID_ARGUMENT,
			       "%s %.200s: more than %d certificates", flag, path, API_TLS_PEM_CERTS_MAX);
		TC_ENSURE_GOTO(r, sk_X509_push(certs, x) > 0, out, TC_ERR_NO_MEMORY, "%s", flag);
		x = NULL;
	}
	if (!pem_clean_end()) {
		snprintf(what, sizeof(what), "%s %.200s: a PEM block is not a certificate", flag, path);
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, what);
		goto out;
	}
	TC_ENSURE_GOTO(r, sk_X509_num(certs) > 0, out, TC_ERR_INVALID_ARGUMENT,
		       "%s %.200s: no PEM CERTIFICATE in the file", flag, path);
	*out = certs;
	certs = NULL;
out:
	X509_free(x);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	tc_buf_cleanup(&file);
	return r;
}

/* The certificates of CERTS as PEM, appended to OUT. */
static TC_RESULT certs_pem(STACK_OF(X509) *certs, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;

	TC_ENSURE(bio, TC_ERR_NO_MEMORY, "PEM buffer");
	for (int i = 0; i < sk_X509_num(certs); i++)
		TC_ENSURE_GOTO(r, PEM_write_bio_X509(bio, sk_X509_value(certs, i)) == 1, out, TC_ERR_INTERNAL,
			       "cannot write a certificate as PEM");
	long n = BIO_get_mem_data(bio, &p);

	TC_ENSURE_GOTO(r, n > 0 && p, out, TC_ERR_INTERNAL, "empty PEM");
	r = tc_buf_append(out, p, (size_t)n);
out:
	BIO_free(bio);
	return r;
}

/* PEM password callback: the passphrase in U (a struct tc_buf; none: refuse, so nothing prompts on a tty). */
static int key_passphrase(char *buf, int size, int rwflag, void *u)
{
	const struct tc_buf *pass = u;
	(void)rwflag;
	if (pass->len == 0 || pass->len > (size_t)size)
		return -1;
	memcpy(buf, pass->data, pass->len);
	return (int)pass->len;
}

/* The first line of PATH (the passphrase of an encrypted --tls-key) into OUT; NULL PATH: none. */
static TC_RESULT read_passphrase(const char *path, struct tc_buf *out)
{
	if (path == NULL)
		return tc_ok();
	TC_GUARD(tc_file_read(path, API_TLS_PASSPHRASE_MAX, out));
	size_t n = 0;
	while (n < out->len && out->data[n] != '\n' && out->data[n] != '\r')
		n++;
	tc_secure_zero(out->data + n, out->len - n);
	out->len = n;
	TC_ENSURE(n > 0, TC_ERR_KEY_PASSPHRASE, "--tls-key-passphrase-file %.200s: empty passphrase", path);
	return tc_ok();
}

/* P-256, P-384 or RSA of at least 2048 bits (the TLS server key types of docs/cli.md). */
static TC_RESULT key_type_check(EVP_PKEY *key, const char *path)
{
	char group[API_TLS_GROUP_MAX] = "";
	size_t glen = 0;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		TC_ENSURE(EVP_PKEY_get_bits(key) >= API_TLS_RSA_MIN_BITS, TC_ERR_INVALID_ARGUMENT,
			  "--tls-key %.200s: RSA keys need at least %d bits (this one has %d)", path,
			  API_TLS_RSA_MIN_BITS, EVP_PKEY_get_bits(key));
		return tc_ok();
	}
	TC_ENSURE(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
			  EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
							 &glen) == 1,
		  TC_ERR_INVALID_ARGUMENT, "--tls-key %.200s: the key must be ECDSA P-256/P-384 or RSA", path);
	TC_ENSURE(strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0, TC_ERR_INVALID_ARGUMENT,
		  "--tls-key %.200s: EC curve %.32s is not P-256 or P-384", path, group);
	return tc_ok();
}

/*
 * Read the private key of PATH (decrypted with the passphrase of PASS_PATH when it is encrypted), check it
 * against LEAF and append it as unencrypted PKCS#8 PEM to OUT (what libmicrohttpd hands to GnuTLS; it lives
 * in memory only, zeroed by api_tls_free).
 */
static TC_RESULT read_key(const char *path, const char *pass_path, X509 *leaf, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	struct tc_buf file, pass;
	BIO *in = NULL, *mem = NULL;
	EVP_PKEY *key = NULL;
	char what[API_TLS_WHAT_MAX];
	char *p = NULL;

	tc_buf_init(&file, API_TLS_FILE_MAX);
	tc_buf_init(&pass, API_TLS_PASSPHRASE_MAX);
	TC_GUARD_GOTO(r, read_passphrase(pass_path, &pass), out);
	TC_GUARD_GOTO(r, tc_file_read(path, API_TLS_FILE_MAX, &file), out);
	in = BIO_new_mem_buf(file.data, (int)file.len);
	TC_ENSURE_GOTO(r, in, out, TC_ERR_NO_MEMORY, "--tls-key");
	key = PEM_read_bio_PrivateKey(in, NULL, key_passphrase, &pass);
	if (!key) {
		bool encrypted = memmem(file.data, file.len, "ENCRYPTED", 9) != NULL;
		if (encrypted && pass.len == 0)
			snprintf(what, sizeof(what),
				 "--tls-key %.200s is encrypted: give its passphrase with "
				 "--tls-key-passphrase-file",
				 path);
		else if (encrypted)
			snprintf(what, sizeof(what),
				 "--tls-key %.200s: the passphrase of --tls-key-passphrase-file "
				 "does not decrypt it",
				 path);
		else
			snprintf(what, sizeof(what), "--tls-key %.200s: not a PEM private key", path);
		r = tc_fail_openssl(encrypted && pass.len > 0 ? TC_ERR_KEY_PASSPHRASE : TC_ERR_INVALID_ARGUMENT, what);
		goto out;
	}
	TC_GUARD_GOTO(r, key_type_check(key, path), out);
	if (X509_check_private_key(leaf, key) != 1) {
		snprintf(what, sizeof(what), "--tls-key %.200s does not belong to the --tls-cert certificate", path);
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, what);
		goto out;
	}
	mem = BIO_new(BIO_s_secmem());
	TC_ENSURE_GOTO(r, mem, out, TC_ERR_NO_MEMORY, "--tls-key");
	TC_ENSURE_GOTO(r, PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) == 1, out, TC_ERR_INTERNAL,
		       "cannot re-encode the TLS key");
	long n = BIO_get_mem_data(mem, &p);

	TC_ENSURE_GOTO(r, n > 0 && p, out, TC_ERR_INTERNAL, "empty key PEM");
	r = tc_buf_append(out, p, (size_t)n);
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(mem);
	BIO_free(in);
	tc_buf_cleanup(&file); /* zeroes the key file's bytes */
	tc_buf_cleanup(&pass);
	return r;
}

/* A store trusting CERTS; PARTIAL: any of them may end a chain (an intermediate can be named). */
static TC_RESULT make_store(STACK_OF(X509) *certs, bool partial, X509_STORE **out)
{
	X509_STORE *st = X509_STORE_new();

	TC_ENSURE(st, TC_ERR_NO_MEMORY, "X509_STORE");
	for (int i = 0; i < sk_X509_num(certs); i++) {
		if (X509_STORE_add_cert(st, sk_X509_value(certs, i)) != 1) {
			X509_STORE_free(st);
			return tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "a client CA certificate");
		}
	}
	if (partial)
		X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	*out = st;
	return tc_ok();
}

/* "ab12..." or "AB:12:..." (openssl x509 -fingerprint -sha256) into 32 bytes. */
static TC_RESULT fp_parse(const char *s, uint8_t out[32])
{
	char hex[2 * 32 + 1];
	size_t n = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == ':')
			continue;
		TC_ENSURE(n < 2 * 32, TC_ERR_INVALID_ARGUMENT, "--admin-cert-sha256 '%.100s': not 32 bytes of hex", s);
		hex[n++] = s[i];
	}
	hex[n] = '\0';
	TC_ENSURE(n == 2 * 32, TC_ERR_INVALID_ARGUMENT, "--admin-cert-sha256 '%.100s': not 32 bytes of hex", s);
	TC_GUARD(tc_hex_decode_fixed(hex, n, out, 32));
	return tc_ok();
}

/*
 * TLS 1.2 and 1.3 only (RFC 8996 retired 1.0/1.1); otherwise GnuTLS's NORMAL suites. The client CA list is
 * given only when client certificates are wanted: MHD then asks for one (optional, GNUTLS_CERT_REQUEST).
 */
#define API_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

void api_tls_mhd_options(const struct api_tls *tls, struct MHD_OptionItem out[API_TLS_MHD_OPTIONS_MAX])
{
	size_t n = 0;

	if (tls) {
		out[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, tls->cert_pem.data };
		out[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key_pem.data };
		out[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)API_TLS_PRIORITIES };
		if (tls->client_ca_pem.len > 0)
			out[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, tls->client_ca_pem.data };
	}
	out[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

TC_RESULT api_tls_load(const struct api_tls_options *o, struct api_tls **out)
{
	struct tc_result r = tc_ok();
	struct api_tls *t = NULL;
	STACK_OF(X509) *chain = NULL, *cas = NULL, *admin = NULL;

	TC_ENSURE(o && o->cert_file && o->key_file, TC_ERR_INVALID_ARGUMENT,
		  "HTTPS needs both --tls-cert FILE and --tls-key FILE");
	TC_ENSURE(o->client_ca_file || (o->n_admin_sha256 == 0 && !o->admin_client_ca_file), TC_ERR_INVALID_ARGUMENT,
		  "--admin-cert-sha256 and --admin-client-ca need --client-ca (the CAs whose client certificates "
		  "are requested and verified)");
	TC_ENSURE(o->n_admin_sha256 <= API_TLS_ADMIN_FPS_MAX, TC_ERR_INVALID_ARGUMENT, "at most %d --admin-cert-sha256",
		  API_TLS_ADMIN_FPS_MAX);
	TC_ENSURE(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES, TC_ERR_UNSUPPORTED,
		  "this libmicrohttpd was built without HTTPS support");
	t = calloc(1, sizeof(*t));
	TC_ENSURE(t, TC_ERR_NO_MEMORY, "TLS configuration");
	tc_buf_init(&t->cert_pem, 2 * API_TLS_FILE_MAX);
	tc_buf_init(&t->key_pem, API_TLS_KEY_PEM_MAX);
	tc_buf_init(&t->client_ca_pem, 2 * API_TLS_FILE_MAX);

	TC_GUARD_GOTO(r, read_certs(o->cert_file, "--tls-cert", &chain), out);
	X509 *leaf = sk_X509_value(chain, 0);

	TC_ENSURE_GOTO(r, X509_cmp_current_time(X509_get0_notAfter(leaf)) > 0, out, TC_ERR_INVALID_ARGUMENT,
		       "--tls-cert %.200s: the certificate has expired", o->cert_file);
	TC_GUARD_GOTO(r, read_key(o->key_file, o->key_passphrase_file, leaf, &t->key_pem), out);
	TC_GUARD_GOTO(r, certs_pem(chain, &t->cert_pem), out);
	if (o->client_ca_file) {
		TC_GUARD_GOTO(r, read_certs(o->client_ca_file, "--client-ca", &cas), out);
		TC_GUARD_GOTO(r, make_store(cas, false, &t->client_ca), out);
		TC_GUARD_GOTO(r, certs_pem(cas, &t->client_ca_pem), out);
	}
	if (o->admin_client_ca_file) {
		TC_GUARD_GOTO(r, read_certs(o->admin_client_ca_file, "--admin-client-ca", &admin), out);
		TC_GUARD_GOTO(r, make_store(admin, true, &t->admin_ca), out);
	}
	for (size_t i = 0; i < o->n_admin_sha256; i++)
		TC_GUARD_GOTO(r, fp_parse(o->admin_sha256[i], t->admin_fp[i]), out);
	t->n_admin_fp = o->n_admin_sha256;
	if (o->n_client_crl > 0)
		TC_GUARD_GOTO(r, api_tls_crl_load(t, o->client_crl, o->n_client_crl), out);
	*out = t;
	t = NULL;
out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(cas, X509_free);
	sk_X509_pop_free(admin, X509_free);
	api_tls_free(&t);
	return r;
}

/* ------------------------------------------------------------------------------------ --client-crl */

/* What a CRL file looked like (stat) when it was last read: a change of any field means "read it again". */
struct crl_file_state {
	bool missing;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct api_tls_crls {
	pthread_mutex_t lock; /* guards everything below but FILES, N and ISSUERS (fixed at load) */
	char *files[API_TLS_CRL_FILES_MAX];
	size_t n;
	STACK_OF(X509) *issuers;  /* --client-ca + --admin-client-ca: who may sign a CRL */
	STACK_OF(X509_CRL) *crls; /* the current set, never modified (replaced whole on reload) */
	struct crl_file_state seen[API_TLS_CRL_FILES_MAX];
	uint64_t gen;      /* 1 at load, +1 per successful reload */
	int64_t polled_at; /* when the files were last looked at */
};

static void crl_file_stat(const char *path, struct crl_file_state *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) != 0) {
		out->missing = true;
		return;
	}
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime = st.st_mtim;
}

static bool crl_file_same(const struct crl_file_state *a, const struct crl_file_state *b)
{
	return a->missing == b->missing && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* CRL (number IDX of PATH) is signed by one of ISSUERS that may sign CRLs (keyUsage cRLSign when present). */
static TC_RESULT crl_issuer_check(STACK_OF(X509) *issuers, X509_CRL *crl, const char *path, int idx)
{
	char name[API_TLS_WHAT_MAX];

	for (int i = 0; i < sk_X509_num(issuers); i++) {
		X509 *x = sk_X509_value(issuers, i);
		EVP_PKEY *key = X509_get0_pubkey(x);

		if (X509_NAME_cmp(X509_get_subject_name(x), X509_CRL_get_issuer(crl)) != 0 || !key ||
		    X509_CRL_verify(crl, key) != 1)
			continue;
		ERR_clear_error();
		TC_ENSURE((X509_get_extension_flags(x) & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(x) & KU_CRL_SIGN),
			  TC_ERR_INVALID_ARGUMENT,
			  "--client-crl %.200s: CRL %d is signed by a CA without keyUsage cRLSign", path, idx + 1);
		return tc_ok();
	}
	ERR_clear_error();
	if (!X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof(name)))
		snprintf(name, sizeof(name), "?");
	return tc_fail(TC_ERR_INVALID_ARGUMENT,
		       "--client-crl %.200s: CRL %d (issuer %.100s) is not signed by a certificate of --client-ca or "
		       "--admin-client-ca",
		       path, idx + 1, name);
}

/* Every X509 CRL block of PATH, each checked against ISSUERS, appended to OUT (at most API_TLS_CRLS_MAX). */
static TC_RESULT crl_file_read(const char *path, STACK_OF(X509) *issuers, STACK_OF(X509_CRL) *out)
{
	struct tc_result r = tc_ok();
	struct tc_buf file;
	BIO *bio = NULL;
	X509_CRL *crl = NULL;
	char what[API_TLS_WHAT_MAX];
	int n = 0;

	tc_buf_init(&file, API_TLS_CRL_FILE_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, API_TLS_CRL_FILE_MAX, &file), out);
	bio = BIO_new_mem_buf(file.data, (int)file.len);
	TC_ENSURE_GOTO(r, bio, out, TC_ERR_NO_MEMORY, "--client-crl");
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		TC_ENSURE_GOTO(r, sk_X509_CRL_num(out) < API_TLS_CRLS_MAX, out, TC_ERR_INVALID_ARGUMENT,
			       "--client-crl: more than %d CRLs", API_TLS_CRLS_MAX);
		TC_GUARD_GOTO(r, crl_issuer_check(issuers, crl, path, n), out);
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

		if (next && X509_cmp_current_time(next) < 0)
			tc_log(TC_LOG_WARN, "tls_client_crl_expired",
			       "--client-crl %.200s: CRL %d is past its nextUpdate; client certificates it covers fail "
			       "verification until the file is refreshed",
			       path, n + 1);
		TC_ENSURE_GOTO(r, sk_X509_CRL_push(out, crl) > 0, out, TC_ERR_NO_MEMORY, "--client-crl");
		crl = NULL;
		n++;
	}
	if (!pem_clean_end()) {
		snprintf(what, sizeof(what), "--client-crl %.200s: a PEM block is not a CRL", path);
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, what);
		goto out;
	}
	TC_ENSURE_GOTO(r, n > 0, out, TC_ERR_INVALID_ARGUMENT, "--client-crl %.200s: no PEM X509 CRL in the file",
		       path);
out:
	ERR_clear_error();
	X509_CRL_free(crl);
	BIO_free(bio);
	tc_buf_cleanup(&file);
	return r;
}

/* All files of C into a new stack *OUT (the caller looked at them with stat before). */
static TC_RESULT crl_files_read(const struct api_tls_crls *c, STACK_OF(X509_CRL) **out)
{
	struct tc_result r = tc_ok();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();

	TC_ENSURE(crls, TC_ERR_NO_MEMORY, "--client-crl");
	for (size_t i = 0; i < c->n; i++)
		TC_GUARD_GOTO(r, crl_file_read(c->files[i], c->issuers, crls), out);
	*out = crls;
	crls = NULL;
out:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return r;
}

/* With C->lock held: look at the files when API_TLS_CRL_POLL_S has passed; reload them when one changed. */
static void crl_poll_locked(struct api_tls_crls *c, int64_t now)
{
	struct crl_file_state st[API_TLS_CRL_FILES_MAX];
	STACK_OF(X509_CRL) *fresh = NULL;
	bool changed = false;

	if (now >= c->polled_at && now - c->polled_at < API_TLS_CRL_POLL_S)
		return;
	c->polled_at = now;
	for (size_t i = 0; i < c->n; i++) {
		crl_file_stat(c->files[i], &st[i]);
		changed = changed || !crl_file_same(&st[i], &c->seen[i]);
	}
	if (!changed)
		return;
	/* Remembered before reading: a bad file is reported once, and a write after the stat is seen next time. */
	memcpy(c->seen, st, sizeof(st[0]) * c->n);
	if (!tc_is_ok(crl_files_read(c, &fresh))) {
		tc_log(TC_LOG_ERROR, "tls_client_crl_reload_failed", "%s; the previous CRLs stay in force",
		       tc_error_detail());
		return;
	}
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	c->crls = fresh;
	c->gen++;
	tc_log(TC_LOG_INFO, "tls_client_crl_reloaded", "%d CRLs from %zu files (generation %llu)",
	       sk_X509_CRL_num(fresh), c->n, (unsigned long long)c->gen);
}

TC_RESULT api_tls_crl_get(struct api_tls_crls *c, int64_t now, STACK_OF(X509_CRL) **out, uint64_t *gen)
{
	STACK_OF(X509_CRL) *copy = NULL;
	uint64_t g;

	TC_ENSURE(c, TC_ERR_INVALID_ARGUMENT, "no --client-crl");
	pthread_mutex_lock(&c->lock);
	crl_poll_locked(c, now);
	copy = sk_X509_CRL_new_reserve(NULL, sk_X509_CRL_num(c->crls));
	for (int i = 0; copy && i < sk_X509_CRL_num(c->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(c->crls, i);

		X509_CRL_up_ref(crl);
		sk_X509_CRL_push(copy, crl); /* cannot fail: reserved */
	}
	g = c->gen;
	pthread_mutex_unlock(&c->lock);
	TC_ENSURE(copy, TC_ERR_NO_MEMORY, "CRL stack");
	*out = copy;
	*gen = g;
	return tc_ok();
}

uint64_t api_tls_crl_generation(struct api_tls_crls *c, int64_t now)
{
	uint64_t gen;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	crl_poll_locked(c, now);
	gen = c->gen;
	pthread_mutex_unlock(&c->lock);
	return gen;
}

/* The certificates of STORE appended to OUT (references). */
static TC_RESULT store_certs(X509_STORE *store, STACK_OF(X509) *out)
{
	STACK_OF(X509) *all;

	if (!store)
		return tc_ok();
	all = X509_STORE_get1_all_certs(store);
	TC_ENSURE(all, TC_ERR_NO_MEMORY, "--client-crl issuers");
	while (sk_X509_num(all) > 0) {
		X509 *x = sk_X509_shift(all);

		if (sk_X509_push(out, x) <= 0) {
			X509_free(x);
			sk_X509_pop_free(all, X509_free);
			return tc_fail(TC_ERR_NO_MEMORY, "--client-crl issuers");
		}
	}
	sk_X509_free(all);
	return tc_ok();
}

TC_RESULT api_tls_crl_load(struct api_tls *tls, const char *const *files, size_t n)
{
	struct tc_result r = tc_ok();
	struct api_tls_crls *c = NULL;

	TC_ENSURE(tls && tls->client_ca, TC_ERR_INVALID_ARGUMENT,
		  "--client-crl needs --client-ca (the CAs whose client certificates are verified)");
	TC_ENSURE(n > 0 && n <= API_TLS_CRL_FILES_MAX && files, TC_ERR_INVALID_ARGUMENT, "1 to %d --client-crl",
		  API_TLS_CRL_FILES_MAX);
	TC_ENSURE(!tls->crls, TC_ERR_INVALID_ARGUMENT, "--client-crl loaded twice");
	c = calloc(1, sizeof(*c));
	TC_ENSURE(c, TC_ERR_NO_MEMORY, "--client-crl");
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return tc_fail(TC_ERR_INTERNAL, "--client-crl: mutex");
	}
	c->issuers = sk_X509_new_null();
	TC_ENSURE_GOTO(r, c->issuers, out, TC_ERR_NO_MEMORY, "--client-crl");
	TC_GUARD_GOTO(r, store_certs(tls->client_ca, c->issuers), out);
	TC_GUARD_GOTO(r, store_certs(tls->admin_ca, c->issuers), out);
	for (size_t i = 0; i < n; i++) {
		c->files[i] = strdup(files[i]);
		TC_ENSURE_GOTO(r, c->files[i], out, TC_ERR_NO_MEMORY, "--client-crl");
		c->n++;
		crl_file_stat(files[i], &c->seen[i]);
	}
	TC_GUARD_GOTO(r, crl_files_read(c, &c->crls), out);
	c->gen = 1;
	c->polled_at = (int64_t)time(NULL);
	tls->crls = c;
	c = NULL;
out:
	api_tls_crl_free(&c);
	return r;
}

void api_tls_crl_free(struct api_tls_crls **cp)
{
	struct api_tls_crls *c = cp ? *cp : NULL;

	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->files[i]);
	sk_X509_pop_free(c->issuers, X509_free);
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

void api_tls_free(struct api_tls **tp)
{
	struct api_tls *t = tp ? *tp : NULL;

	if (!t)
		return;
	api_tls_crl_free(&t->crls);
	tc_buf_cleanup(&t->cert_pem);
	tc_buf_cleanup(&t->key_pem);
	tc_buf_cleanup(&t->client_ca_pem);
	X509_STORE_free(t->client_ca);
	X509_STORE_free(t->admin_ca);
	free(t);
	*tp = NULL;
}
