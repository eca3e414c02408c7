/*
 * test_chain_note.c — chain/chain_note.c: C2SP signed notes (c2sp.org/signed-note) and checkpoints
 * (c2sp.org/tlog-checkpoint) with an Ed25519 log key.
 *
 * Interop: the reference note of golang.org/x/mod/sumdb/note (key "PeterNeumann", published in its package
 * documentation and tests) must verify, and signing its text with the same key must give the same bytes
 * (Ed25519 is deterministic). Then round trips, tampering and malformed input of every part.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "chain.h"

#define assert_ok(expr)                                                                                              \
	do {                                                                                                         \
		struct tc_result t__r = (expr);                                                                      \
		if (t__r.code != TC_OK)                                                                              \
			fail_msg("%s failed: %s: %s", #expr, tc_error_info(t__r.code)->code, tc_error_detail());     \
	} while (0)
#define assert_fails(expr) assert_int_not_equal((expr).code, TC_OK)

/* golang.org/x/mod/sumdb/note: verifier key, signer key (base64 of 0x01 || seed), text and signed note. */
static const char go_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_seed_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
			      "then you don't know what your problem is.\n";
static const char go_note[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n"
	"\n"
	"\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/* RFC 8410 §7: PKCS#8 of an Ed25519 private key is this prefix followed by the 32-byte seed. */
static const uint8_t ed25519_pkcs8_prefix[] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
						0x04, 0x22, 0x04, 0x20 };

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_chain_note_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	for (const char *const *f = (const char *const[]){ "go.pem", "log.pem", "ec.pem", NULL }; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, *f);
		unlink(path);
	}
	return rmdir(tmpdir);
}

/* Write the Go example key as a PKCS#8 PEM file with MODE. */
static void go_key_file(const char *path, unsigned mode)
{
	struct tc_buf seed, der, pem;

	tc_buf_init(&seed, 64);
	tc_buf_init(&der, 128);
	tc_buf_init(&pem, 512);
	assert_ok(tc_base64_decode(go_seed_b64, strlen(go_seed_b64), &seed));
	assert_int_equal(seed.len, 33);
	assert_int_equal(seed.data[0], CHAIN_NOTE_SIG_TYPE_ED25519);
	assert_ok(tc_buf_append(&der, ed25519_pkcs8_prefix, sizeof(ed25519_pkcs8_prefix)));
	assert_ok(tc_buf_append(&der, seed.data + 1, 32));
	assert_ok(tc_buf_append_str(&pem, "-----BEGIN PRIVATE KEY-----\n"));
	assert_ok(tc_base64_encode(der.data, der.len, &pem));
	assert_ok(tc_buf_append_str(&pem, "\n-----END PRIVATE KEY-----\n"));
	assert_ok(tc_file_write(path, pem.data, pem.len, mode));
	tc_buf_cleanup(&seed);
	tc_buf_cleanup(&der);
	tc_buf_cleanup(&pem);
}

static void test_go_reference_vector(void **state)
{
	struct chain_note_verifier v;
	struct chain_note_signer *s = NULL;
	struct tc_buf note, vkey;
	char path[128];
	size_t text_len = 0;
	static const uint8_t want_id[] = { 0xc7, 0x4f, 0x20, 0xa3 };

	(void)state;
	assert_ok(chain_note_verifier_parse(go_vkey, strlen(go_vkey), &v));
	assert_string_equal(v.name, "PeterNeumann");
	assert_memory_equal(v.key_id, want_id, sizeof(want_id));
	assert_ok(chain_note_open(go_note, strlen(go_note), &v, &text_len));
	assert_int_equal(text_len, strlen(go_text));

	/* Our signer, loaded from a PEM of the same key, writes the very same note. */
	snprintf(path, sizeof(path), "%s/go.pem", tmpdir);
	go_key_file(path, 0600);
	assert_ok(chain_note_signer_load(path, "PeterNeumann", &s));
	tc_buf_init(&vkey, 512);
	assert_ok(chain_note_verifier_format(chain_note_signer_verifier(s), &vkey));
	assert_string_equal((const char *)vkey.data, go_vkey);
	tc_buf_init(&note, CHAIN_NOTE_MAX);
	assert_ok(chain_note_sign(s, go_text, strlen(go_text), &note, NULL));
	assert_string_equal((const char *)note.data, go_note);
	tc_buf_cleanup(&note);
	tc_buf_cleanup(&vkey);
	chain_note_signer_free(&s);
	assert_null(s);
}

/* Copy of NOTE with byte AT replaced by C; opening it with V must fail. */
static void expect_tamper_rejected(const char *note, size_t at, char c, const struct chain_note_verifier *v)
{
	char *bad = strdup(note);
	size_t text_len;

	assert_non_null(bad);
	bad[at] = c;
	assert_fails(chain_note_open(bad, strlen(bad), v, &text_len));
	free(bad);
}

static void test_note_tampering(void **state)
{
	struct chain_note_verifier v, other;
	size_t n = strlen(go_note), text_len;
	char buf[2 * CHAIN_NOTE_MAX];
	const char *sig_at = strstr(go_note, "x08go");

	(void)state;
	assert_ok(chain_note_verifier_parse(go_vkey, strlen(go_vkey), &v));
	expect_tamper_rejected(go_note, 3, 'X', &v);                   /* the text */
	expect_tamper_rejected(go_note, (size_t)(sig_at - go_note) + 10, 'A', &v); /* the signature */
	expect_tamper_rejected(go_note, (size_t)(sig_at - go_note) + 1, 'A', &v);  /* the key id */
	expect_tamper_rejected(go_note, n - 5, '*', &v);               /* base64 */
	expect_tamper_rejected(go_note, 0, '\t', &v);                  /* control character */
	expect_tamper_rejected(go_note, 0, '\x80', &v);                /* not UTF-8 */

	/* Same name, another key: not signed by it. */
	other = v;
	other.pubkey[0] ^= 1;
	assert_ok(chain_note_key_id(other.name, other.pubkey, other.key_id));
	assert_fails(chain_note_open(go_note, n, &other, &text_len));

	/* A line of an unknown key is ignored; the known one still decides. */
	snprintf(buf, sizeof(buf), "%s\xe2\x80\x94 someone.else AAAAAAAAAAAA\n", go_note);
	assert_ok(chain_note_open(buf, strlen(buf), &v, &text_len));
	assert_int_equal(text_len, strlen(go_text));
	/* Structure: no signatures, no blank line, a bad signature line, missing final newline. */
	snprintf(buf, sizeof(buf), "%s\n", go_text);
	assert_fails(chain_note_open(buf, strlen(buf), &v, &text_len));
	snprintf(buf, sizeof(buf), "%s%s", go_text, strstr(go_note, "\xe2\x80\x94"));
	assert_fails(chain_note_open(buf, strlen(buf), &v, &text_len));
	snprintf(buf, sizeof(buf), "%s- PeterNeumann AAAA\n", go_note);
	assert_fails(chain_note_open(buf, strlen(buf), &v, &text_len));
	assert_fails(chain_note_open(go_note, n - 1, &v, &text_len));
	/* Too many signature lines. */
	snprintf(buf, sizeof(buf), "%s", go_note);
	for (int i = 0; i < CHAIN_NOTE_MAX_SIGS; i++) {
		size_t len = strlen(buf);

		snprintf(buf + len, sizeof(buf) - len, "\xe2\x80\x94 k%d AAAAAAAAAAAA\n", i);
	}
	assert_fails(chain_note_open(buf, strlen(buf), &v, &text_len));
	/* Text that may not be signed. */
	{
		struct chain_note_signer *s = NULL;
		struct tc_buf note;

		assert_ok(chain_note_signer_generate("k", &s));
		tc_buf_init(&note, CHAIN_NOTE_MAX);
		assert_fails(chain_note_sign(s, "no newline", 10, &note, NULL));
		assert_fails(chain_note_sign(s, "a\n\nb\n", 5, &note, NULL));
		assert_fails(chain_note_sign(s, "", 0, &note, NULL));
		assert_fails(chain_note_sign(s, "tab\there\n", 9, &note, NULL));
		assert_int_equal(note.len, 0);
		tc_buf_cleanup(&note);
		chain_note_signer_free(&s);
	}
}

static void test_verifier_keys(void **state)
{
	struct chain_note_verifier v;
	static const char *const bad[] = {
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* key id */
		"PeterNeumann+c74f20a3+AhpzZBxQ8OExB6DDFvOEqqIF+xWSaqr8sMTiLNbLXRNY", /* type 0x02 */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  /* base64 */
		"PeterNeumann+c74f20a3",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tc_is_ok(chain_note_verifier_parse(bad[i], strlen(bad[i]), &v)))
			fail_msg("accepted verifier key %s", bad[i]);
	assert_fails(chain_note_signer_generate("with space", (struct chain_note_signer *[]){ NULL }));
	assert_fails(chain_note_signer_generate("plus+sign", (struct chain_note_signer *[]){ NULL }));
}

static void test_key_files(void **state)
{
	struct chain_note_signer *s = NULL, *t = NULL;
	char path[128], ec[128];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/log.pem", tmpdir);
	assert_ok(chain_note_signer_generate("log.example/teecert", &s));
	assert_ok(chain_note_signer_save(s, path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_ok(chain_note_signer_load(path, "log.example/teecert", &t));
	assert_memory_equal(chain_note_signer_verifier(s), chain_note_signer_verifier(t),
			    sizeof(struct chain_note_verifier));
	chain_note_signer_free(&t);
	/* Readable by others: refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_fails(chain_note_signer_load(path, "log.example/teecert", &t));
	assert_null(t);
	/* Not an Ed25519 key. */
	snprintf(ec, sizeof(ec), "%s/ec.pem", tmpdir);
	{
		EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		BIO *bio = BIO_new(BIO_s_mem());
		char *data = NULL;
		long len;

		assert_non_null(pkey);
		assert_non_null(bio);
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
		len = BIO_get_mem_data(bio, &data);
		assert_true(len > 0);
		assert_ok(tc_file_write(ec, data, (size_t)len, 0600));
		BIO_free(bio);
		EVP_PKEY_free(pkey);
		assert_fails(chain_note_signer_load(ec, "log.example/teecert", &t));
		assert_true(strstr(tc_error_detail(), "not an Ed25519 key") != NULL);
	}
	assert_fails(chain_note_signer_load("/nonexistent/key.pem", "x", &t));
	chain_note_signer_free(&s);
}

static void test_checkpoint_round_trip(void **state)
{
	struct chain_note_signer *s = NULL;
	struct chain_checkpoint cp = { .origin = "log.example/teecert", .tree_size = 1234567, .time = 1750000000 },
				got;
	struct tc_buf note;
	uint8_t sig[CHAIN_ED25519_SIG_LEN];
	size_t text_len;

	(void)state;
	for (int i = 0; i < CHAIN_HASH_LEN; i++)
		cp.root[i] = (uint8_t)(i * 7);
	assert_ok(chain_note_signer_generate("log.example/teecert", &s));
	tc_buf_init(&note, CHAIN_NOTE_MAX);
	assert_ok(chain_checkpoint_sign(s, &cp, &note, sig));
	/* The text is the four lines of docs/log.md. */
	assert_true(strncmp((const char *)note.data,
			    "log.example/teecert\n1234567\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=\ntime 1750000000\n\n",
			    84) == 0);
	assert_ok(chain_checkpoint_open((const char *)note.data, note.len, chain_note_signer_verifier(s), &got));
	assert_memory_equal(&got, &cp, sizeof(cp));
	assert_ok(chain_note_open((const char *)note.data, note.len, chain_note_signer_verifier(s), &text_len));
	/* Another key's name as origin: signing refuses, opening with a renamed verifier refuses. */
	{
		struct chain_checkpoint other = cp;
		struct chain_note_verifier v = *chain_note_signer_verifier(s);

		snprintf(other.origin, sizeof(other.origin), "other.log");
		assert_fails(chain_checkpoint_sign(s, &other, &note, NULL));
		snprintf(v.name, sizeof(v.name), "other.log");
		assert_ok(chain_note_key_id(v.name, v.pubkey, v.key_id));
		assert_fails(chain_checkpoint_open((const char *)note.data, note.len, &v, &got));
	}
	tc_buf_cleanup(&note);
	chain_note_signer_free(&s);
}

static void test_checkpoint_parse(void **state)
{
	struct chain_checkpoint cp;
	static const char root[] = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=";
	char text[512];
	static const struct {
		const char *size, *root, *ext;
		bool ok;
	} cases[] = {
		{ "5", root, "time 7\n", true },
		{ "0", root, "time 0\n", true },
		{ "5", root, "other extension\ntime 7\n", true },
		{ "05", root, "time 7\n", false },                   /* leading zero */
		{ "-5", root, "time 7\n", false },                   /* sign */
		{ "18446744073709551616", root, "time 7\n", false }, /* 2^64 */
		{ "5", "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0g==", "time 7\n", false }, /* 31 bytes */
		{ "5", root, "", false },                            /* no time */
		{ "5", root, "time 7\ntime 8\n", false },            /* two times */
		{ "5", root, "time x\n", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "origin.example\n%s\n%s\n%s", cases[i].size, cases[i].root, cases[i].ext);
		struct tc_result r = chain_checkpoint_parse(text, strlen(text), &cp);

		if (tc_is_ok(r) != cases[i].ok)
			fail_msg("case %zu (%s): expected %s", i, text, cases[i].ok ? "ok" : "failure");
	}
	snprintf(text, sizeof(text), "origin.example\n18446744073709551615\n%s\ntime 9\n", root);
	assert_ok(chain_checkpoint_parse(text, strlen(text), &cp));
	assert_true(cp.tree_size == UINT64_MAX);
	assert_int_equal(cp.time, 9);
	assert_string_equal(cp.origin, "origin.example");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_reference_vector), cmocka_unit_test(test_note_tampering),
		cmocka_unit_test(test_verifier_keys),       cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_checkpoint_round_trip), cmocka_unit_test(test_checkpoint_parse),
	};
	return cmocka_run_group_tests_name("chain_note", tests, setup, teardown);
}
