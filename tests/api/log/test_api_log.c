/*
 * test_api_log.c — GET /v1/log/checkpoint, /v1/log/entries/{seq}, /v1/log/proof/inclusion and
 * /v1/log/proof/consistency against the real teecert-verifier. The log is seeded through sql/db_log_*.c:
 * 30 entries and a signed checkpoint, then 7 more entries no checkpoint covers. Every proof the server
 * returns is verified with chain.h against the checkpoint's signed root, and every error case is a 400 or
 * 404 with the one error shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_test_util.h"
#include "chain.h"
#include "db.h"
#include "tc_testsupport.h"

#define CHECKPOINTED 30
#define EXTRA 7
#define KEY_NAME "log.teecert.test/api"

static char g_dsn[API_TEST_DSN_MAX];
static struct api_test_server g_srv;
static struct chain_merkle_mem g_ref;
static struct chain_note_verifier g_verifier;

struct seed {
	int first, n;
	const struct chain_note_signer *key;
};

static struct tc_result seed_fn(struct db_conn *conn, void *arg)
{
	struct seed *s = arg;

	for (int i = s->first; i < s->first + s->n; i++) {
		struct db_log_entry e = { .type = i % 5 == 4 ? DB_LOG_REVOCATION : DB_LOG_ISSUANCE, .time = 1750000000 + i };

		snprintf(e.serial, sizeof(e.serial), "%04x", 0x100 + i);
		memset(e.cert_sha256, i, sizeof(e.cert_sha256));
		snprintf(e.issuer, sizeof(e.issuer), "CN=teecert API test CA");
		snprintf(e.kind, sizeof(e.kind), "cvm");
		TC_GUARD(db_log_append(conn, &e, NULL, NULL));
	}
	if (s->key)
		TC_GUARD(db_log_maybe_checkpoint(conn, s->key, 1750000100, 1, 0, NULL));
	return tc_ok();
}

static void seed_log(void)
{
	struct db_conn *conn = NULL;
	struct chain_note_signer *key = NULL;
	struct seed s1 = { 0, CHECKPOINTED, NULL }, s2 = { CHECKPOINTED, EXTRA, NULL };

	tc_assert_ok(db_conn_open(g_dsn, &conn));
	tc_assert_ok(chain_note_signer_generate(KEY_NAME, &key));
	g_verifier = *chain_note_signer_verifier(key);
	s1.key = key;
	tc_assert_ok(db_txn_run(conn, seed_fn, &s1));
	tc_assert_ok(db_txn_run(conn, seed_fn, &s2));
	chain_merkle_mem_init(&g_ref, 1024);
	for (uint64_t seq = 0; seq < CHECKPOINTED + EXTRA; seq++) {
		struct db_log_entry e;
		uint8_t leaf[DB_LOG_HASH_LEN];
		bool found = false;

		tc_assert_ok(db_log_entry_get(conn, seq, &e, NULL, leaf, &found));
		assert_true(found);
		tc_assert_ok(chain_merkle_mem_append_hash(&g_ref, leaf));
	}
	chain_note_signer_free(&key);
	db_conn_free(&conn);
}

static int group_setup(void **state)
{
	const char *migrate[] = { "migrate", "--db", g_dsn, NULL };

	(void)state;
	api_test_init();
	api_test_db_create(g_dsn);
	if (api_test_run(migrate, NULL, 0, NULL, 0) != 0)
		return -1;
	seed_log();
	api_test_server_start(g_dsn, NULL, &g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	api_test_server_stop(&g_srv, 15, 20);
	chain_merkle_mem_cleanup(&g_ref);
	api_test_db_drop(g_dsn);
	return 0;
}

/* GET PATH; returns the JSON body of a 200 (new reference), or checks the error STATUS/CODE and returns NULL. */
static json_t *get(const char *path, long status, const char *code)
{
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;
	json_t *body = NULL;

	snprintf(url, sizeof(url), "%s%s", g_srv.url, path);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	if (status == 200) {
		if (r.status != 200)
			fail_msg("GET %s: %ld %s", path, r.status, r.body);
		body = api_test_reply_json(&r);
	} else {
		api_test_expect_error(&r, status, code);
	}
	api_test_reply_free(&r);
	return body;
}

static void hex_field(const json_t *obj, const char *name, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(obj, name));

	if (s == NULL)
		fail_msg("no string field %s", name);
	tc_assert_ok(tc_hex_decode_fixed(s, strlen(s), out, len));
}

static size_t proof_field(const json_t *obj, uint8_t (*out)[CHAIN_HASH_LEN])
{
	const json_t *arr = json_object_get(obj, "proof");
	size_t i;
	json_t *h;

	assert_true(json_is_array(arr));
	assert_true(json_array_size(arr) <= CHAIN_MERKLE_PROOF_MAX);
	json_array_foreach(arr, i, h)
	{
		assert_true(json_is_string(h));
		tc_assert_ok(tc_hex_decode_fixed(json_string_value(h), json_string_length(h), out[i], CHAIN_HASH_LEN));
	}
	return json_array_size(arr);
}

static void ref_root(uint64_t n, uint8_t out[CHAIN_HASH_LEN])
{
	struct chain_merkle_source src = chain_merkle_mem_source(&g_ref);

	tc_assert_ok(chain_merkle_root(&src, n, out));
}

/* The signed root of the latest checkpoint, after verifying its note. */
static void checkpoint_root(uint8_t root[CHAIN_HASH_LEN])
{
	json_t *b = get("/v1/log/checkpoint", 200, NULL);
	const char *note = json_string_value(json_object_get(b, "note"));
	struct chain_checkpoint cp;

	assert_non_null(note);
	tc_assert_ok(chain_checkpoint_open(note, strlen(note), &g_verifier, &cp));
	assert_int_equal(cp.tree_size, CHECKPOINTED);
	memcpy(root, cp.root, CHAIN_HASH_LEN);
	json_decref(b);
}

static void test_checkpoint(void **state)
{
	uint8_t root[CHAIN_HASH_LEN], want[CHAIN_HASH_LEN], id[DB_LOG_KEY_ID_LEN];
	json_t *b;

	(void)state;
	checkpoint_root(root);
	ref_root(CHECKPOINTED, want);
	assert_memory_equal(root, want, CHAIN_HASH_LEN);
	b = get("/v1/log/checkpoint?tree_size=30", 200, NULL);
	assert_int_equal(json_integer_value(json_object_get(b, "tree_size")), CHECKPOINTED);
	hex_field(b, "root", root, CHAIN_HASH_LEN);
	assert_memory_equal(root, want, CHAIN_HASH_LEN);
	hex_field(b, "key_id", id, sizeof(id));
	assert_memory_equal(id, g_verifier.key_id, sizeof(id));
	assert_string_equal(json_string_value(json_object_get(b, "key_name")), KEY_NAME);
	assert_string_equal(json_string_value(json_object_get(b, "time")), "2025-06-15T15:08:20Z");
	json_decref(b);
	get("/v1/log/checkpoint?tree_size=31", 404, "not_found");
	get("/v1/log/checkpoint?tree_size=abc", 400, "invalid_argument");
	get("/v1/log/checkpoint?size=30", 400, "invalid_argument");
}

static void test_entries(void **state)
{
	uint8_t leaf[CHAIN_HASH_LEN], want[CHAIN_HASH_LEN];
	json_t *b;
	const char *canonical;

	(void)state;
	for (int seq = 0; seq < CHECKPOINTED + EXTRA; seq += 6) {
		char path[64];

		snprintf(path, sizeof(path), "/v1/log/entries/%d", seq);
		b = get(path, 200, NULL);
		assert_int_equal(json_integer_value(json_object_get(b, "seq")), seq);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "entry"), "seq")), seq);
		canonical = json_string_value(json_object_get(b, "canonical"));
		assert_non_null(canonical);
		tc_assert_ok(chain_merkle_leaf_hash(canonical, strlen(canonical), want));
		hex_field(b, "leaf_hash", leaf, CHAIN_HASH_LEN);
		assert_memory_equal(leaf, want, CHAIN_HASH_LEN);
		assert_memory_equal(leaf, g_ref.level[0].data + (size_t)seq * CHAIN_HASH_LEN, CHAIN_HASH_LEN);
		json_decref(b);
	}
	get("/v1/log/entries/37", 404, "not_found");
	get("/v1/log/entries/-1", 400, "invalid_argument");
	get("/v1/log/entries/01", 400, "invalid_argument");
	get("/v1/log/entries/99999999999999999999", 400, "invalid_argument");
}

static void test_inclusion(void **state)
{
	uint8_t root[CHAIN_HASH_LEN], leaf[CHAIN_HASH_LEN], got_root[CHAIN_HASH_LEN];
	uint8_t proof[CHAIN_MERKLE_PROOF_MAX][CHAIN_HASH_LEN];
	char path[96];
	json_t *b;

	(void)state;
	checkpoint_root(root);
	/* Every entry under the checkpoint, default tree size: verified against the signed root. */
	for (uint64_t seq = 0; seq < CHECKPOINTED; seq++) {
		snprintf(path, sizeof(path), "/v1/log/proof/inclusion?seq=%llu", (unsigned long long)seq);
		b = get(path, 200, NULL);
		assert_int_equal(json_integer_value(json_object_get(b, "tree_size")), CHECKPOINTED);
		hex_field(b, "leaf_hash", leaf, CHAIN_HASH_LEN);
		size_t n = proof_field(b, proof);

		tc_assert_ok(chain_merkle_verify_inclusion(seq, CHECKPOINTED, leaf, (const uint8_t(*)[CHAIN_HASH_LEN])proof, n,
							root));
		json_decref(b);
	}
	/* An older tree size: verified against the reference root of that size. */
	b = get("/v1/log/proof/inclusion?tree_size=17&seq=3", 200, NULL);
	hex_field(b, "root", got_root, CHAIN_HASH_LEN);
	ref_root(17, root);
	assert_memory_equal(got_root, root, CHAIN_HASH_LEN);
	size_t n = proof_field(b, proof);

	tc_assert_ok(chain_merkle_verify_inclusion(3, 17, g_ref.level[0].data + 3 * CHAIN_HASH_LEN,
						(const uint8_t(*)[CHAIN_HASH_LEN])proof, n, root));
	json_decref(b);
	/* Errors. */
	get("/v1/log/proof/inclusion", 400, "invalid_argument");
	get("/v1/log/proof/inclusion?seq=30", 400, "invalid_argument");            /* seq >= tree_size */
	get("/v1/log/proof/inclusion?seq=5&tree_size=5", 400, "invalid_argument");  /* seq >= tree_size */
	get("/v1/log/proof/inclusion?seq=3&tree_size=31", 400, "invalid_argument"); /* beyond the checkpoint */
	get("/v1/log/proof/inclusion?seq=3&tree_size=36", 400, "invalid_argument"); /* in the log, not signed */
	get("/v1/log/proof/inclusion?seq=x", 400, "invalid_argument");
	get("/v1/log/proof/inclusion?seq=1&seq=2", 400, "invalid_argument");
	get("/v1/log/proof/inclusion?seq=1&index=2", 400, "invalid_argument");
	get("/v1/log/proof/inclusion?seq=", 400, "invalid_argument");
}

static void test_consistency(void **state)
{
	uint8_t root[CHAIN_HASH_LEN], old_root[CHAIN_HASH_LEN], got[CHAIN_HASH_LEN];
	uint8_t proof[CHAIN_MERKLE_PROOF_MAX][CHAIN_HASH_LEN];
	char path[96];
	json_t *b;

	(void)state;
	checkpoint_root(root);
	for (uint64_t from = 1; from <= CHECKPOINTED; from++) {
		snprintf(path, sizeof(path), "/v1/log/proof/consistency?from=%llu", (unsigned long long)from);
		b = get(path, 200, NULL);
		assert_int_equal(json_integer_value(json_object_get(b, "to")), CHECKPOINTED);
		ref_root(from, old_root);
		hex_field(b, "from_root", got, CHAIN_HASH_LEN);
		assert_memory_equal(got, old_root, CHAIN_HASH_LEN);
		size_t n = proof_field(b, proof);

		tc_assert_ok(chain_merkle_verify_consistency(from, CHECKPOINTED, old_root, root,
							  (const uint8_t(*)[CHAIN_HASH_LEN])proof, n));
		json_decref(b);
	}
	b = get("/v1/log/proof/consistency?from=7&to=13", 200, NULL);
	size_t n = proof_field(b, proof);

	ref_root(7, old_root);
	ref_root(13, root);
	tc_assert_ok(chain_merkle_verify_consistency(7, 13, old_root, root, (const uint8_t(*)[CHAIN_HASH_LEN])proof, n));
	json_decref(b);
	get("/v1/log/proof/consistency", 400, "invalid_argument");
	get("/v1/log/proof/consistency?from=0", 400, "invalid_argument");
	get("/v1/log/proof/consistency?from=20&to=10", 400, "invalid_argument");
	get("/v1/log/proof/consistency?from=3&to=31", 400, "invalid_argument");
	get("/v1/log/proof/consistency?from=3&to=1e3", 400, "invalid_argument");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_inclusion),
		cmocka_unit_test(test_consistency),
	};
	return cmocka_run_group_tests_name("api_log", tests, group_setup, group_teardown);
}
