/*
 * test_audit.c — `teecert audit` end to end, every piece real: a fresh PostgreSQL database seeded through
 * sql/db_log_*.c (entries and an Ed25519-signed checkpoint), the teecert-verifier process serving the log
 * API, the TeecertAnchor contract on anvil (the shared `anvil` fixture) deployed and fed by the
 * teecert-anchor binary (`deploy`, `run --until-idle`), and the teecert binary auditing over HTTP and
 * JSON-RPC. Cases, in order (each builds on the log the previous one left):
 *   - several seqs audit OK (root path: the checkpoint itself is anchored), with --json and with
 *     eth_getLogs paged one block at a time;
 *   - usage errors (exit 1), --cert/--serial refused until the certificate API exists;
 *   - another pinned key or origin → FAIL checkpoint; a wrong contract → FAIL chain; an unreachable
 *     verifier or node → exit 3;
 *   - a second checkpoint not anchored yet → OK through the consistency path; an entry only the new
 *     checkpoint covers → FAIL chain (not anchored yet); after anchoring → OK;
 *   - log_entries rows tampered with (immutability trigger disabled in this test database) → FAIL at
 *     inclusion (entry and leaf hash rewritten) or at leaf (entry rewritten, stored leaf hash kept);
 *   - a newer checkpoint signed by another key of the same name → FAIL checkpoint.
 * Child processes die with the test (PR_SET_PDEATHSIG) and are stopped in the group teardown.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "chain.h"
#include "db.h"
#include "db_internal.h"
#include "tc_testsupport.h"

#define SKIP 77
#define KEY_NAME "audit.teecert.test/log"
#define PATH_LEN 512
#define OUT_MAX 65536
#define RUN_TIMEOUT_MS 120000
#define VERIFIER_STOP_MS 15000
#define FIRST_ENTRIES 20
#define SECOND_ENTRIES 12
#define T0 1750000000

static struct {
	char tmp[PATH_LEN];
	char dsn[TC_TEST_DSN_MAX];
	char rpc_url[256];
	char verifier_url[64];
	char contract[CHAIN_ADDRESS_STR_SIZE];
	char chain_key[PATH_LEN + 32];
	char vkey[PATH_LEN + 32];       /* the log's verifier key */
	char vkey_other[PATH_LEN + 32]; /* same name, another key */
	struct db_conn *db;
	struct chain_note_signer *log_key, *other_key;
	pid_t verifier;
	uint64_t size; /* entries appended so far */
} g;

/* --------------------------------------------------------------------------------------- processes */

/* Run ARGV (NULL-terminated) with stdout+stderr into OUT; return its exit status (-1: killed). */
static int run(const char *const *argv, char *out, size_t size)
{
	int rc = tc_test_run(argv, out, size, RUN_TIMEOUT_MS);

	if (rc == TC_TEST_RUN_TIMEOUT)
		fail_msg("%s %s did not exit within %d ms", argv[0], argv[1], RUN_TIMEOUT_MS);
	assert_true(rc != TC_TEST_RUN_ERROR);
	return rc;
}

static const char *env_bin(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fail_msg("%s is not set (run through ctest)", name);
	return v;
}

/* Start teecert-verifier serve on 127.0.0.1:0 and read its listening line. */
static void verifier_start(void)
{
	const char *argv[] = { env_bin("TEECERT_VERIFIER_BIN"),
			       "serve",
			       "--listen",
			       "127.0.0.1:0",
			       "--db",
			       g.dsn,
			       "--log-level",
			       "warn",
			       NULL };

	g.verifier = tc_test_serve(argv, g.verifier_url, sizeof(g.verifier_url));
	if (g.verifier <= 0)
		fail_msg("teecert-verifier did not start: '%s'", g.verifier_url);
}

static void verifier_stop(void)
{
	if (g.verifier <= 0)
		return;
	tc_test_stop(g.verifier, SIGTERM, VERIFIER_STOP_MS);
	g.verifier = 0;
}

/* teecert-anchor run --until-idle: everything checkpointed gets anchored and confirmed. */
static void anchor_until_idle(void)
{
	char out[OUT_MAX];
	const char *argv[] = { env_bin("TEECERT_ANCHOR_BIN"),
			       "run",
			       "--rpc",
			       g.rpc_url,
			       "--key",
			       g.chain_key,
			       "--db",
			       g.dsn,
			       "--chain-id",
			       "204",
			       "--confirmations",
			       "1",
			       "--finalized-stale-s",
			       "0",
			       "--poll-ms",
			       "100",
			       "--until-idle",
			       NULL };
	int rc = run(argv, out, sizeof(out));

	if (rc != 0)
		fail_msg("teecert-anchor run exited %d:\n%s", rc, out);
}

/* ------------------------------------------------------------------------------------------ the log */

struct append {
	uint64_t first, n;
	const struct chain_note_signer *key; /* NULL: no checkpoint */
};

static struct tc_result append_fn(struct db_conn *conn, void *arg)
{
	struct append *a = arg;

	for (uint64_t i = a->first; i < a->first + a->n; i++) {
		struct db_log_entry e = { .type = i % 7 == 6 ? DB_LOG_REVOCATION : DB_LOG_ISSUANCE,
					  .time = T0 + (int64_t)i };

		snprintf(e.serial, sizeof(e.serial), "%04x", (unsigned)(0x1000 + i));
		memset(e.cert_sha256, (int)i, sizeof(e.cert_sha256));
		snprintf(e.issuer, sizeof(e.issuer), "CN=teecert audit test CA");
		snprintf(e.kind, sizeof(e.kind), i % 2 ? "workload" : "cvm");
		e.has_appraisal_digest = e.type == DB_LOG_ISSUANCE;
		memset(e.appraisal_digest, 0xa0, sizeof(e.appraisal_digest));
		TC_GUARD(db_log_append(conn, &e, NULL, NULL));
	}
	if (a->key)
		TC_GUARD(db_log_maybe_checkpoint(conn, a->key, T0 + 1000 + (int64_t)(a->first + a->n), 1, 0, NULL));
	return tc_ok();
}

/* Append N entries and sign a checkpoint of the whole log with KEY. */
static void append_and_checkpoint(uint64_t n, const struct chain_note_signer *key)
{
	struct append a = { g.size, n, key };

	tc_assert_ok(db_txn_run(g.db, append_fn, &a));
	g.size += n;
}

static void sql(const char *q)
{
	tc_assert_ok(tc_test_sql(db_conn_pg(g.db), q));
}

static void write_vkey(const struct chain_note_signer *s, const char *path)
{
	struct tc_buf b;

	tc_buf_init(&b, 1024);
	tc_assert_ok(chain_note_verifier_format(chain_note_signer_verifier(s), &b));
	tc_assert_ok(tc_buf_append_str(&b, "\n"));
	tc_assert_ok(tc_file_write(path, b.data, b.len, 0644));
	tc_buf_cleanup(&b);
}

/* --------------------------------------------------------------------------------------------- audit */

/* Run `teecert audit --seq SEQ` with the world's flags, then EXTRA (later flags override). */
static int audit(uint64_t seq, const char *const *extra, char *out, size_t size)
{
	char seq_s[24];
	const char *argv[40];
	size_t n = 0;
	const char *common[] = { env_bin("TEECERT_BIN"), "audit",        "--seq",     seq_s,
				 "--verifier",           g.verifier_url, "--rpc",     g.rpc_url,
				 "--contract",           g.contract,     "--log-key", g.vkey };

	snprintf(seq_s, sizeof(seq_s), "%llu", (unsigned long long)seq);
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		argv[n++] = common[i];
	for (size_t i = 0; extra && extra[i]; i++) {
		assert_true(n < sizeof(argv) / sizeof(argv[0]) - 1);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	int rc = run(argv, out, size);

	printf("--- teecert audit --seq %llu%s%s (exit %d)\n%s", (unsigned long long)seq, extra ? " " : "",
	       extra ? extra[0] : "", rc, out);
	return rc;
}

static void expect_has(const char *out, const char *what)
{
	if (strstr(out, what) == NULL)
		fail_msg("expected '%s' in the output:\n%s", what, out);
}

static void expect_lacks(const char *out, const char *what)
{
	if (strstr(out, what) != NULL)
		fail_msg("did not expect '%s' in the output:\n%s", what, out);
}

/* Audit SEQ; it must pass. CONSISTENCY: through the consistency path (checkpoint not anchored). */
static void expect_pass(uint64_t seq, bool consistency, const char *const *extra)
{
	char out[OUT_MAX];
	int rc = audit(seq, extra, out, sizeof(out));

	if (rc != 0)
		fail_msg("audit of %llu exited %d:\n%s", (unsigned long long)seq, rc, out);
	expect_has(out, "OK checkpoint: ");
	expect_has(out, "OK leaf: ");
	expect_has(out, "OK inclusion: ");
	expect_has(out, "OK chain: ");
	expect_has(out, "OK receipt: ");
	expect_has(out, "status 1 (success)");
	expect_has(out, "audit passed");
	expect_lacks(out, "FAIL");
	if (consistency) {
		expect_has(out, "OK consistency: ");
		expect_has(out, "OK anchored-inclusion: ");
	} else {
		expect_lacks(out, "consistency");
	}
}

/* Audit SEQ; it must fail at STEP with EXIT_CODE, and no later step runs. */
static void expect_fail(uint64_t seq, const char *const *extra, int exit_code, const char *step, const char *detail)
{
	char out[OUT_MAX], line[64];
	int rc = audit(seq, extra, out, sizeof(out));

	if (rc != exit_code)
		fail_msg("audit of %llu exited %d, expected %d:\n%s", (unsigned long long)seq, rc, exit_code, out);
	snprintf(line, sizeof(line), "FAIL %s: ", step);
	expect_has(out, line);
	if (detail)
		expect_has(out, detail);
	expect_lacks(out, "audit passed");
	expect_lacks(out, "OK receipt");
}

/* ------------------------------------------------------------------------------------------- setup */

static void chain_setup(void)
{
	char path[PATH_LEN + 32], out[OUT_MAX], addr[CHAIN_ADDRESS_STR_SIZE], hex[2 * CHAIN_PRIVKEY_LEN + 1];
	struct chain_rpc_options ro;
	struct chain_rpc *rpc = NULL;
	struct chain_key key;
	json_t *res = NULL;
	struct tc_buf b;

	snprintf(path, sizeof(path), "%s/rpc_url", env_bin("TEECERT_ANVIL_DIR"));
	tc_buf_init(&b, 256);
	tc_assert_ok(tc_file_read(path, 255, &b));
	snprintf(g.rpc_url, sizeof(g.rpc_url), "%.*s", (int)strcspn((char *)b.data, "\r\n"), (char *)b.data);
	tc_buf_cleanup(&b);

	/* A fresh funded chain key: no nonce shared with other tests on the fixture node. */
	tc_assert_ok(chain_key_generate(&key));
	tc_assert_ok(tc_hex_encode(key.secret, CHAIN_PRIVKEY_LEN, hex, sizeof(hex)));
	snprintf(g.chain_key, sizeof(g.chain_key), "%s/chain.key", g.tmp);
	tc_assert_ok(tc_file_write(g.chain_key, hex, strlen(hex), 0600));
	tc_secure_zero(hex, sizeof(hex));
	chain_address_to_eip55(key.address, addr);
	chain_key_cleanup(&key);
	memset(&ro, 0, sizeof(ro));
	ro.urls[0] = g.rpc_url;
	ro.n_urls = 1;
	tc_assert_ok(chain_rpc_new(&ro, &rpc));
	tc_assert_ok(chain_rpc_call(rpc, "anvil_setBalance", json_pack("[s, s]", addr, "0x56bc75e2d63100000"), &res));
	json_decref(res);
	chain_rpc_free(&rpc);

	const char *deploy[] = { env_bin("TEECERT_ANCHOR_BIN"),
				 "deploy",
				 "--rpc",
				 g.rpc_url,
				 "--key",
				 g.chain_key,
				 "--db",
				 g.dsn,
				 "--chain-id",
				 "204",
				 NULL };
	int rc = run(deploy, out, sizeof(out));

	if (rc != 0)
		fail_msg("teecert-anchor deploy exited %d:\n%s", rc, out);
	/* The address is the last line of its output. */
	char *last = out + strlen(out);

	while (last > out && (last[-1] == '\n' || last[-1] == '\r'))
		*--last = '\0';
	while (last > out && last[-1] != '\n')
		last--;
	tc_assert_ok(chain_address_parse(last, strlen(last), (uint8_t[CHAIN_ADDRESS_LEN]){ 0 }));
	snprintf(g.contract, sizeof(g.contract), "%s", last);
}

static int group_setup(void **state)
{
	(void)state;
	tc_assert_ok(tc_test_db_create("audit", g.dsn, sizeof(g.dsn)));
	tc_assert_ok(db_conn_open(g.dsn, &g.db));
	tc_assert_ok(db_migrate(g.db, NULL));
	tc_assert_ok(chain_note_signer_generate(KEY_NAME, &g.log_key));
	tc_assert_ok(chain_note_signer_generate(KEY_NAME, &g.other_key));
	snprintf(g.vkey, sizeof(g.vkey), "%s/log.vkey", g.tmp);
	snprintf(g.vkey_other, sizeof(g.vkey_other), "%s/other.vkey", g.tmp);
	write_vkey(g.log_key, g.vkey);
	write_vkey(g.other_key, g.vkey_other);
	append_and_checkpoint(FIRST_ENTRIES, g.log_key);
	verifier_start();
	chain_setup();
	anchor_until_idle();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	verifier_stop();
	db_conn_free(&g.db);
	if (g.dsn[0] != '\0' && !tc_is_ok(tc_test_db_drop(g.dsn)))
		fprintf(stderr, "drop %s: %s\n", g.dsn, tc_error_detail());
	g.dsn[0] = '\0';
	chain_note_signer_free(&g.log_key);
	chain_note_signer_free(&g.other_key);
	return 0;
}

/* --------------------------------------------------------------------------------------------- tests */

static void test_audit_ok(void **state)
{
	static const char *const paged[] = { "--range", "1", "--from-block", "0", NULL };
	static const char *const json[] = { "--json", "--origin", KEY_NAME, NULL };
	char out[OUT_MAX];

	(void)state;
	expect_pass(0, false, NULL);
	expect_pass(6, false, NULL); /* a revocation */
	expect_pass(13, false, paged);
	expect_pass(FIRST_ENTRIES - 1, false, NULL);

	/* The JSON summary is the last line. */
	assert_int_equal(audit(7, json, out, sizeof(out)), 0);
	char *nl = out + strlen(out) - 1;

	while (nl > out && nl[-1] != '\n')
		nl--;
	json_t *j = NULL;

	tc_assert_ok(tc_json_parse(nl, strlen(nl), OUT_MAX, &j));
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "exit")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 7);
	json_t *anchor = json_object_get(j, "anchor"), *cp = json_object_get(j, "checkpoint");

	assert_int_equal(json_integer_value(json_object_get(anchor, "tree_size")), FIRST_ENTRIES);
	assert_int_equal(json_integer_value(json_object_get(anchor, "status")), 1);
	assert_true(json_integer_value(json_object_get(anchor, "confirmations")) >= 1);
	assert_string_equal(json_string_value(json_object_get(anchor, "path")), "checkpoint");
	assert_int_equal(json_integer_value(json_object_get(cp, "tree_size")), FIRST_ENTRIES);
	assert_string_equal(json_string_value(json_object_get(cp, "root")),
			    json_string_value(json_object_get(anchor, "root")));
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "entry"), "seq")), 7);
	json_decref(j);
}

static void test_audit_usage(void **state)
{
	char out[OUT_MAX];
	static const char *const cert[] = { "--cert", "/nonexistent.pem", NULL };
	static const char *const serial[] = { "--serial", "1001", NULL };
	static const char *const bad_contract[] = { "--contract", "0x1234", NULL };
	static const char *const bad_key[] = { "--log-key", "/nonexistent.vkey", NULL };
	static const char *const stray[] = { "extra", NULL };
	const char *no_flags[] = { env_bin("TEECERT_BIN"), "audit", "--seq", "1", NULL };
	const char *bad_seq[] = { env_bin("TEECERT_BIN"), "audit", "--seq", "01", NULL };
	const char *help[] = { env_bin("TEECERT_BIN"), "audit", "--help", NULL };

	(void)state;
	/* --seq together with --cert or --serial: exactly one of them. */
	assert_int_equal(audit(1, cert, out, sizeof(out)), 1);
	expect_has(out, "give exactly one of");
	assert_int_equal(audit(1, serial, out, sizeof(out)), 1);
	expect_has(out, "give exactly one of");
	assert_int_equal(audit(1, bad_contract, out, sizeof(out)), 1);
	assert_int_equal(audit(1, bad_key, out, sizeof(out)), 1);
	assert_int_equal(audit(1, stray, out, sizeof(out)), 1);
	assert_int_equal(run(no_flags, out, sizeof(out)), 1);
	assert_int_equal(run(bad_seq, out, sizeof(out)), 1);
	assert_int_equal(run(help, out, sizeof(out)), 0);
	expect_has(out, "--cert FILE, --serial S");
	/* A seq the checkpoint does not cover: the log has no such entry. */
	expect_fail(FIRST_ENTRIES + 5, NULL, 2, "leaf", "not_found");
}

static void test_audit_wrong_key_or_origin(void **state)
{
	static const char *const other[] = { "--log-key", g.vkey_other, NULL };
	static const char *const origin[] = { "--origin", "another.log/origin", NULL };

	(void)state;
	expect_fail(3, other, 2, "checkpoint", "does not verify with the pinned key");
	expect_fail(3, origin, 2, "checkpoint", "is not the expected 'another.log/origin'");
}

static void test_audit_wrong_contract(void **state)
{
	/* An address without a contract: no Anchored event, whatever the log says. */
	static const char *const nowhere[] = { "--contract", "0x00000000000000000000000000000000000000aa", NULL };

	(void)state;
	expect_fail(3, nowhere, 2, "chain", "no Anchored event");
	expect_fail(3, nowhere, 2, "chain", "there is no contract at that address");
}

static void test_audit_unreachable(void **state)
{
	char dead_url[64];
	const char *dead_verifier[] = { "--verifier", dead_url, NULL };
	const char *dead_rpc[] = { "--rpc", dead_url, NULL };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	(void)state;
	/* A port that was free a moment ago: bound, closed, nobody listening. */
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(dead_url, sizeof(dead_url), "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	expect_fail(3, dead_verifier, 3, "checkpoint", "verifier unreachable");
	expect_fail(3, dead_rpc, 3, "chain", "chain_unavailable");
}

static void test_audit_consistency_path(void **state)
{
	char out[OUT_MAX];
	static const char *const json[] = { "--json", NULL };

	(void)state;
	/* A second checkpoint (size 32) that is not anchored yet: the anchored size 20 is used. */
	append_and_checkpoint(SECOND_ENTRIES, g.log_key);
	expect_pass(0, true, NULL);
	expect_pass(5, true, NULL);
	expect_pass(FIRST_ENTRIES - 1, true, NULL);
	assert_int_equal(audit(11, json, out, sizeof(out)), 0);
	expect_has(out, "\"path\":\"consistency\"");
	expect_has(out, "checkpoint 32 is not anchored yet");
	/* An entry only the new checkpoint covers is not anchored yet. */
	expect_fail(FIRST_ENTRIES, NULL, 2, "chain", "is not anchored yet");
	expect_fail(g.size - 1, NULL, 2, "chain", "is not anchored yet");
	/* Anchored now: both through the checkpoint itself. */
	anchor_until_idle();
	expect_pass(FIRST_ENTRIES, false, NULL);
	expect_pass(g.size - 1, false, NULL);
	expect_pass(5, false, NULL);
}

/* ------------------------------------------------------------------------- audit of a certificate */

/* Run `teecert audit FLAG VALUE` (--serial or --cert instead of --seq) with the world's flags. */
static int audit_by(const char *flag, const char *value, char *out, size_t size)
{
	const char *argv[] = { env_bin("TEECERT_BIN"), "audit", flag, value, "--verifier", g.verifier_url,
			       "--rpc", g.rpc_url, "--contract", g.contract, "--log-key", g.vkey, NULL };
	int rc = run(argv, out, size);

	printf("--- teecert audit %s %s (exit %d)\n%s", flag, value, rc, out);
	return rc;
}

struct cert_entry {
	char serial[64];
	uint8_t sha256[32];
	uint64_t seq;
};

/* The certificate's log entry (as the CA writes it at issuance) and a checkpoint covering it. */
static struct tc_result cert_append_fn(struct db_conn *conn, void *arg)
{
	struct cert_entry *c = arg;
	struct db_log_entry e = { .type = DB_LOG_ISSUANCE, .time = T0 + 5000 };

	snprintf(e.serial, sizeof(e.serial), "%s", c->serial);
	memcpy(e.cert_sha256, c->sha256, sizeof(e.cert_sha256));
	snprintf(e.issuer, sizeof(e.issuer), "CN=teecert audit test CA");
	snprintf(e.kind, sizeof(e.kind), "cvm");
	TC_GUARD(db_log_append(conn, &e, &c->seq, NULL));
	return db_log_maybe_checkpoint(conn, g.log_key, T0 + 6000, 1, 0, NULL);
}

static void test_audit_certificate(void **state)
{
	char path[1024], out[OUT_MAX], *q = NULL, der_hex[4096];
	struct cert_entry c = { { 0 }, { 0 }, 0 };
	unsigned char *der = NULL;
	const ASN1_INTEGER *sn;
	unsigned int hl = 0;
	int der_len;
	X509 *x;
	FILE *f;

	(void)state;
	/* Any real certificate will do as the stored DER: the Intel SGX root of the shared evidence. */
	snprintf(path, sizeof(path), "%s/evidence/tdx/intel_sgx_root_ca.pem", getenv("TEECERT_SHARED"));
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	der_len = i2d_X509(x, &der);
	assert_true(der_len > 0 && (size_t)der_len * 2 < sizeof(der_hex));
	sn = X509_get0_serialNumber(x);
	tc_assert_ok(tc_hex_encode(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), c.serial,
				   sizeof(c.serial)));
	tc_assert_ok(tc_hex_encode(der, (size_t)der_len, der_hex, sizeof(der_hex)));
	assert_int_equal(EVP_Digest(der, (size_t)der_len, c.sha256, &hl, EVP_sha256(), NULL), 1);
	tc_assert_ok(db_txn_run(g.db, cert_append_fn, &c));
	g.size++;
	assert_true(asprintf(&q,
			     "INSERT INTO cas (name, role, network, certificate, cert_sha256)"
			     " VALUES ('audit-ca', 'root', 'untrusted', '\\x%s', sha256('\\x%s'));"
			     "INSERT INTO certificates (serial, ca, kind, subject, not_before, not_after, der, sha256,"
			     " spki_sha256, log_seq) VALUES ('\\x%s', (SELECT id FROM cas WHERE name = 'audit-ca'), 'cvm',"
			     " 'CN=audit', now() - interval '1 day', now() + interval '1 day', '\\x%s', sha256('\\x%s'),"
			     " sha256('\\x00'), %llu)",
			     der_hex, der_hex, c.serial, der_hex, der_hex, (unsigned long long)c.seq) > 0);
	sql(q);
	free(q);
	anchor_until_idle();

	/* By file: the entry must record this certificate's SHA-256; by serial. */
	assert_int_equal(audit_by("--cert", path, out, sizeof(out)), 0);
	expect_has(out, "OK certificate: serial ");
	expect_has(out, "audit passed");
	assert_int_equal(audit_by("--serial", c.serial, out, sizeof(out)), 0);
	expect_has(out, "audit passed");
	/* A serial the CA never issued, and a file that is not a certificate. */
	assert_int_equal(audit_by("--serial", "7fffffff", out, sizeof(out)), 2);
	expect_has(out, "FAIL certificate:");
	assert_int_equal(audit_by("--serial", "xyz", out, sizeof(out)), 1);
	assert_int_equal(audit_by("--cert", g.vkey, out, sizeof(out)), 1);
	OPENSSL_free(der);
	X509_free(x);
}

static void test_audit_tampered_entry(void **state)
{
	(void)state;
	sql("ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only");
	/* Entry 7 rewritten with a matching leaf hash: the stored tree no longer contains it. */
	sql("UPDATE log_entries SET"
	    " entry = convert_to(replace(convert_from(entry, 'UTF8'), 'CN=teecert audit test CA', 'CN=evil CA'), 'UTF8'),"
	    " leaf_hash = sha256('\\x00'::bytea || convert_to(replace(convert_from(entry, 'UTF8'),"
	    " 'CN=teecert audit test CA', 'CN=evil CA'), 'UTF8')) WHERE seq = 7");
	{
		char what[64];

		snprintf(what, sizeof(what), "is not in the tree of %llu entries", (unsigned long long)g.size);
		expect_fail(7, NULL, 2, "inclusion", what);
	}
	/* Entry 9 rewritten, its stored leaf hash kept (the CHECK dropped): the leaf hash does not match. */
	sql("ALTER TABLE log_entries DROP CONSTRAINT log_entries_leaf_hash_check");
	sql("UPDATE log_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '\"type\":\"issuance\"',"
	    " '\"type\":\"revocation\"'), 'UTF8') WHERE seq = 9");
	expect_fail(9, NULL, 2, "leaf", "the verifier says another leaf hash");
	/* Untouched entries still pass. */
	expect_pass(8, false, NULL);
}

static void test_audit_rogue_checkpoint(void **state)
{
	(void)state;
	/* A newer checkpoint signed by another key with the log's name. */
	append_and_checkpoint(3, g.other_key);
	expect_fail(2, NULL, 2, "checkpoint", "does not verify with the pinned key");
	expect_fail(g.size - 1, NULL, 2, "checkpoint", "does not verify with the pinned key");
}

int main(void)
{
	const char *src = getenv("TEECERT_SOURCE_DIR");
	char anvil[PATH_LEN], cmd[PATH_LEN + 16];

	snprintf(anvil, sizeof(anvil), "%s/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil", src ? src : ".");
	if (src == NULL || access(anvil, X_OK) != 0) {
		fprintf(stderr, "anvil not installed (%s): skipping\n", anvil);
		return SKIP;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(g.tmp, sizeof(g.tmp), "/tmp/teecert-audit-test-XXXXXX");
	if (mkdtemp(g.tmp) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_ok),
		cmocka_unit_test(test_audit_usage),
		cmocka_unit_test(test_audit_wrong_key_or_origin),
		cmocka_unit_test(test_audit_wrong_contract),
		cmocka_unit_test(test_audit_unreachable),
		cmocka_unit_test(test_audit_consistency_path),
		cmocka_unit_test(test_audit_certificate),
		cmocka_unit_test(test_audit_tampered_entry),
		cmocka_unit_test(test_audit_rogue_checkpoint),
	};
	int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);

	if (g.dsn[0] != '\0') /* the group setup failed half-way: the teardown did not run */
		group_teardown(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g.tmp);
	return rc;
}
