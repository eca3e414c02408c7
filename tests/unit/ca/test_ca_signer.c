/*
 * test_ca_signer.c — the file signer: generation, signatures that verify, encrypted PKCS#8 files with mode
 * 0600, refusal of group/other-readable files, wrong passphrases, non-CA curves, passphrase sources;
 * one signer (one gnutls_privkey_t) signing from several threads at once: every signature verifies and no two
 * share an r (a repeated ECDSA nonce would give the key away).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca.h"

static const uint8_t pass[] = "a long enough passphrase";
#define PASS_LEN (sizeof(pass) - 1)

static bool verifies(const struct ca_signer *s, const void *msg, size_t len, const struct tc_buf *sig)
{
	struct tc_buf spki = { 0 };
	const unsigned char *p;
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	assert_true(tc_is_ok(s->public_key(s, &spki)));
	p = spki.data;
	pk = d2i_PUBKEY(NULL, &p, (long)spki.len);
	assert_non_null(pk);
	ok = EVP_DigestVerifyInit(ctx, NULL, s->algorithm(s) == CA_SIG_ECDSA_SHA384 ? EVP_sha384() : EVP_sha256(), NULL,
				  pk) == 1 &&
	     EVP_DigestVerify(ctx, sig->data, sig->len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	tc_buf_cleanup(&spki);
	return ok;
}

static void test_sign_verify(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct ca_signer *s = NULL;
		struct tc_buf sig = { 0 };
		uint8_t digest[48] = { 0 };

		assert_true(tc_is_ok(ca_signer_file_generate(k == 0 ? CA_KEY_P384 : CA_KEY_P256, NULL, NULL, 0, &s)));
		assert_int_equal(s->algorithm(s), k == 0 ? CA_SIG_ECDSA_SHA384 : CA_SIG_ECDSA_SHA256);
		assert_true(tc_is_ok(ca_signer_sign_data(s, "hello", 5, &sig)));
		assert_true(verifies(s, "hello", 5, &sig));
		assert_false(verifies(s, "hellO", 5, &sig));
		/* A digest of the wrong length is refused. */
		assert_int_equal(s->sign(s, digest, k == 0 ? 32 : 48, &sig).code, TC_ERR_INVALID_ARGUMENT);
		tc_buf_cleanup(&sig);
		ca_signer_free(&s);
		assert_null(s);
	}
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/ca_signer_XXXXXX";
	char path[256], plain[256];
	struct ca_signer *s = NULL, *t = NULL;
	struct tc_buf a = { 0 }, b = { 0 }, sig = { 0 }, file = { 0 };
	struct stat st;
	FILE *f;
	EVP_PKEY *k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	snprintf(plain, sizeof(plain), "%s/plain.key", dir);
	assert_true(tc_is_ok(ca_signer_file_generate(CA_KEY_P384, path, pass, PASS_LEN, &s)));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(tc_is_ok(tc_file_read(path, 65536, &file)));
	assert_non_null(strstr((char *)file.data, "BEGIN ENCRYPTED PRIVATE KEY"));
	/* Refuses to overwrite. */
	assert_int_equal(ca_signer_file_generate(CA_KEY_P384, path, pass, PASS_LEN, &t).code, TC_ERR_IO);
	/* Loads back with the same public key; its signatures verify with the original's key. */
	assert_true(tc_is_ok(ca_signer_file_open(path, pass, PASS_LEN, &t)));
	assert_true(tc_is_ok(s->public_key(s, &a)));
	assert_true(tc_is_ok(t->public_key(t, &b)));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_true(tc_is_ok(ca_signer_sign_data(t, "x", 1, &sig)));
	assert_true(verifies(s, "x", 1, &sig));
	ca_signer_free(&t);
	/* Wrong passphrase, short passphrase. */
	assert_int_equal(ca_signer_file_open(path, (const uint8_t *)"another passphrase", 18, &t).code,
			 TC_ERR_KEY_PASSPHRASE);
	assert_int_equal(ca_signer_file_open(path, (const uint8_t *)"short", 5, &t).code, TC_ERR_KEY_PASSPHRASE);
	/* Group/other-readable file refused. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ca_signer_file_open(path, pass, PASS_LEN, &t).code, TC_ERR_KEY_FILE_INSECURE);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(ca_signer_file_open(path, pass, PASS_LEN, &t).code, TC_ERR_KEY_FILE_INSECURE);
	/* A plain (unencrypted) key file is refused even with mode 0600; so is another curve. */
	k = EVP_EC_gen("P-256");
	f = fopen(plain, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(k);
	assert_int_equal(chmod(plain, 0600), 0);
	assert_int_equal(ca_signer_file_open(plain, pass, PASS_LEN, &t).code, TC_ERR_KEY_FILE_INSECURE);
	unlink(plain);
	k = EVP_EC_gen("P-521");
	f = fopen(plain, "w");
	PEM_write_PKCS8PrivateKey(f, k, EVP_aes_256_cbc(), (const char *)pass, (int)PASS_LEN, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(k);
	assert_int_equal(chmod(plain, 0600), 0);
	assert_int_equal(ca_signer_file_open(plain, pass, PASS_LEN, &t).code, TC_ERR_KEY_UNSUPPORTED);
	assert_int_equal(ca_signer_file_open("/nonexistent/ca.key", pass, PASS_LEN, &t).code, TC_ERR_IO);
	unlink(plain);
	unlink(path);
	rmdir(dir);
	ca_signer_free(&s);
	tc_buf_cleanup(&a);
	tc_buf_cleanup(&b);
	tc_buf_cleanup(&sig);
	tc_buf_cleanup(&file);
}

static void test_passphrase_sources(void **state)
{
	char path[] = "/tmp/ca_pass_XXXXXX";
	int fd;
	struct tc_buf b = { 0 };

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "from a file, long\n", 18), 18);
	close(fd);
	assert_true(tc_is_ok(ca_passphrase_load(path, NULL, &b)));
	assert_int_equal(b.len, 17);
	assert_memory_equal(b.data, "from a file, long", 17);
	tc_buf_cleanup(&b);
	setenv("CA_TEST_PASS_ENV", "from the environment", 1);
	assert_true(tc_is_ok(ca_passphrase_load(NULL, "CA_TEST_PASS_ENV", &b)));
	assert_int_equal(b.len, 20);
	tc_buf_cleanup(&b);
	setenv("CA_TEST_PASS_ENV", "short", 1);
	assert_int_equal(ca_passphrase_load(NULL, "CA_TEST_PASS_ENV", &b).code, TC_ERR_KEY_PASSPHRASE);
	unsetenv("CA_TEST_PASS_ENV");
	assert_int_equal(ca_passphrase_load(NULL, "CA_TEST_PASS_ENV", &b).code, TC_ERR_KEY_PASSPHRASE);
	unlink(path);
	tc_buf_cleanup(&b);
}

#define SIGN_THREADS 8
#define SIGN_PER_THREAD 40

struct sign_job {
	const struct ca_signer *s;
	int id;
	bool ok[SIGN_PER_THREAD];
	struct tc_buf sig[SIGN_PER_THREAD];
	char msg[SIGN_PER_THREAD][32];
};

static void *sign_thread(void *arg)
{
	struct sign_job *j = arg;

	for (int i = 0; i < SIGN_PER_THREAD; i++) {
		snprintf(j->msg[i], sizeof(j->msg[i]), "thread %d message %d", j->id, i);
		tc_buf_init(&j->sig[i], CA_SIG_MAX);
		j->ok[i] = tc_is_ok(ca_signer_sign_data(j->s, j->msg[i], strlen(j->msg[i]), &j->sig[i]));
	}
	return NULL;
}

static void test_concurrent_signing(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct ca_signer *s = NULL;
		struct sign_job *jobs = calloc(SIGN_THREADS, sizeof(*jobs));
		pthread_t th[SIGN_THREADS];
		BIGNUM **rs = calloc(SIGN_THREADS * SIGN_PER_THREAD, sizeof(*rs));
		size_t n = 0;

		assert_non_null(jobs);
		assert_non_null(rs);
		assert_true(tc_is_ok(ca_signer_file_generate(k == 0 ? CA_KEY_P384 : CA_KEY_P256, NULL, NULL, 0, &s)));
		for (int t = 0; t < SIGN_THREADS; t++) {
			jobs[t].s = s;
			jobs[t].id = t;
			assert_int_equal(pthread_create(&th[t], NULL, sign_thread, &jobs[t]), 0);
		}
		for (int t = 0; t < SIGN_THREADS; t++)
			assert_int_equal(pthread_join(th[t], NULL), 0);
		for (int t = 0; t < SIGN_THREADS; t++) {
			for (int i = 0; i < SIGN_PER_THREAD; i++) {
				const unsigned char *p = jobs[t].sig[i].data;
				ECDSA_SIG *es;

				assert_true(jobs[t].ok[i]);
				assert_true(verifies(s, jobs[t].msg[i], strlen(jobs[t].msg[i]), &jobs[t].sig[i]));
				es = d2i_ECDSA_SIG(NULL, &p, (long)jobs[t].sig[i].len);
				assert_non_null(es);
				rs[n] = BN_dup(ECDSA_SIG_get0_r(es));
				for (size_t m = 0; m < n; m++)
					assert_int_not_equal(BN_cmp(rs[m], rs[n]), 0);
				n++;
				ECDSA_SIG_free(es);
				tc_buf_cleanup(&jobs[t].sig[i]);
			}
		}
		for (size_t m = 0; m < n; m++)
			BN_free(rs[m]);
		free(rs);
		free(jobs);
		ca_signer_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_passphrase_sources),
		cmocka_unit_test(test_concurrent_signing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
