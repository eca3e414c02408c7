/*
 * test_chain_abi.c — ABI pieces: selector and event topic against keccak256.json, the anchor() calldata of
 * the chain-204 anchor-call vector in eth_tx.json, calldata and Anchored log decoding with their negative
 * cases (dirty padding, wrong selector/topic, wrong lengths), and the signatures in chain.h against the ABI
 * of the committed artifact chain/contracts/TeecertAnchor.json (so C and contract cannot drift apart).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain_test_util.h"

static const json_t *find_vector(const json_t *doc, const char *list, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(doc, list), i, v)
		if (strcmp(ct_str(v, "name"), name) == 0)
			return v;
	fail_msg("no vector %s", name);
	return NULL;
}

static void test_selector_and_calldata(void **state)
{
	json_t *kdoc = ct_load_vectors("keccak256.json");
	json_t *tdoc = ct_load_vectors("eth_tx.json");
	const json_t *fn = find_vector(kdoc, "vectors", "anchor_fn_sig");
	const json_t *root_v = find_vector(kdoc, "vectors", "example_root");
	const json_t *call = find_vector(tdoc, "vectors", "chain204_type2_anchor_call");
	uint8_t sel[CHAIN_ABI_SELECTOR_LEN], root[CHAIN_HASH_LEN], root2[CHAIN_HASH_LEN];
	struct tc_buf b;
	uint64_t size, prev;
	size_t len;
	uint8_t *data;

	assert_string_equal(ct_str(fn, "input_ascii"), CHAIN_ANCHOR_FN_SIG);
	chain_abi_selector(CHAIN_ANCHOR_FN_SIG, sel);
	ct_assert_hex(sel, sizeof(sel), "0441d146");
	assert_memory_equal(ct_str(fn, "keccak256"), "0441d146", 8);
	/* The vector anchors treeSize 1, root keccak("example root"), prevTreeSize 5. */
	chain_keccak256("example root", 12, root);
	ct_assert_hex(root, sizeof(root), ct_str(root_v, "keccak256"));
	tc_buf_init(&b, 0);
	assert_true(tc_is_ok(chain_anchor_calldata(1, root, 5, &b)));
	assert_int_equal(b.len, CHAIN_ANCHOR_CALLDATA_LEN);
	ct_assert_hex(b.data, b.len, ct_str(call, "data"));
	data = ct_hex(ct_str(call, "data"), &len);
	assert_true(tc_is_ok(chain_anchor_calldata_decode(data, len, &size, root2, &prev)));
	assert_true(size == 1 && prev == 5);
	assert_memory_equal(root2, root, CHAIN_HASH_LEN);
	/* Negative: wrong length, wrong selector, dirty padding of a uint64. */
	assert_false(tc_is_ok(chain_anchor_calldata_decode(data, len - 1, &size, root2, &prev)));
	data[0] ^= 1;
	assert_false(tc_is_ok(chain_anchor_calldata_decode(data, len, &size, root2, &prev)));
	data[0] ^= 1;
	data[CHAIN_ABI_SELECTOR_LEN + 23] = 1;
	assert_false(tc_is_ok(chain_anchor_calldata_decode(data, len, &size, root2, &prev)));
	free(data);
	tc_buf_cleanup(&b);
	json_decref(kdoc);
	json_decref(tdoc);
}

static void test_static_types(void **state)
{
	struct tc_buf b;
	struct tc_cursor c;
	struct chain_u256 u, u2;
	uint8_t addr[CHAIN_ADDRESS_LEN], addr2[CHAIN_ADDRESS_LEN], w[CHAIN_ABI_WORD];
	uint64_t v;

	tc_buf_init(&b, 0);
	memset(addr, 0xa5, sizeof(addr));
	assert_true(tc_is_ok(chain_u256_from_dec("1000000000000000000000000000000", 31, &u)));
	assert_true(tc_is_ok(chain_abi_put_u64(&b, UINT64_MAX)));
	assert_true(tc_is_ok(chain_abi_put_address(&b, addr)));
	assert_true(tc_is_ok(chain_abi_put_u256(&b, &u)));
	assert_int_equal(b.len, 3 * CHAIN_ABI_WORD);
	ct_assert_hex(b.data, CHAIN_ABI_WORD, "000000000000000000000000000000000000000000000000ffffffffffffffff");
	tc_cursor_init(&c, b.data, b.len);
	assert_true(tc_is_ok(chain_abi_get_u64(&c, &v)));
	assert_true(v == UINT64_MAX);
	assert_true(tc_is_ok(chain_abi_get_address(&c, addr2)));
	assert_memory_equal(addr, addr2, sizeof(addr));
	assert_true(tc_is_ok(chain_abi_get_u256(&c, &u2)));
	assert_int_equal(chain_u256_cmp(&u, &u2), 0);
	assert_false(tc_is_ok(chain_abi_get_bytes32(&c, w))); /* truncated */
	/* A uint256 word does not pass as uint64 or address. */
	tc_cursor_init(&c, b.data + 2 * CHAIN_ABI_WORD, CHAIN_ABI_WORD);
	assert_false(tc_is_ok(chain_abi_get_u64(&c, &v)));
	assert_int_equal(tc_cursor_pos(&c), 0);
	memset(w, 0xff, sizeof(w));
	tc_cursor_init(&c, w, sizeof(w));
	assert_false(tc_is_ok(chain_abi_get_address(&c, addr2)));
	tc_buf_cleanup(&b);
}

static void test_anchored_event(void **state)
{
	uint8_t topics[CHAIN_ANCHORED_TOPICS][CHAIN_HASH_LEN];
	uint8_t root[CHAIN_HASH_LEN];
	struct chain_anchored_event ev;
	struct tc_buf data, t1;

	chain_abi_event_topic(CHAIN_ANCHORED_EVENT_SIG, topics[0]);
	tc_buf_init(&t1, 0);
	assert_true(tc_is_ok(chain_abi_put_u64(&t1, 1024)));
	memcpy(topics[1], t1.data, CHAIN_HASH_LEN);
	memset(root, 0x5d, sizeof(root));
	tc_buf_init(&data, 0);
	assert_true(tc_is_ok(chain_abi_put_bytes32(&data, root)));
	assert_true(tc_is_ok(chain_abi_put_u64(&data, 512)));
	assert_true(
		tc_is_ok(chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])topics, 2, data.data, data.len, &ev)));
	assert_true(ev.tree_size == 1024 && ev.prev_tree_size == 512);
	assert_memory_equal(ev.root, root, sizeof(root));
	/* Wrong topic count, wrong topic 0, short data, dirty indexed topic. */
	assert_false(
		tc_is_ok(chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])topics, 1, data.data, data.len, &ev)));
	assert_false(tc_is_ok(
		chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])topics, 2, data.data, data.len - 1, &ev)));
	topics[1][0] = 1;
	assert_false(
		tc_is_ok(chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])topics, 2, data.data, data.len, &ev)));
	topics[1][0] = 0;
	topics[0][31] ^= 1;
	assert_false(
		tc_is_ok(chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])topics, 2, data.data, data.len, &ev)));
	tc_buf_cleanup(&data);
	tc_buf_cleanup(&t1);
}

/* "name(type,type,...)" of an ABI JSON entry. */
static void abi_signature(const json_t *entry, char *out, size_t size)
{
	const json_t *in;
	size_t i, n = 0;

	n += (size_t)snprintf(out + n, size - n, "%s(", ct_str(entry, "name"));
	json_array_foreach(json_object_get(entry, "inputs"), i, in)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", ct_str(in, "type"));
	snprintf(out + n, size - n, ")");
}

static void test_artifact_abi(void **state)
{
	json_t *art = ct_load_source_json("chain/contracts/TeecertAnchor.json");
	const json_t *entry;
	size_t i;
	bool saw_fn = false, saw_ev = false;

	assert_non_null(art);
	json_array_foreach(json_object_get(art, "abi"), i, entry) {
		char sig[256];
		const char *type = ct_str(entry, "type");

		if (strcmp(type, "function") != 0 && strcmp(type, "event") != 0)
			continue;
		abi_signature(entry, sig, sizeof(sig));
		if (strcmp(ct_str(entry, "name"), "anchor") == 0) {
			assert_string_equal(sig, CHAIN_ANCHOR_FN_SIG);
			saw_fn = true;
		}
		if (strcmp(ct_str(entry, "name"), "Anchored") == 0) {
			const json_t *inputs = json_object_get(entry, "inputs");

			assert_string_equal(sig, CHAIN_ANCHORED_EVENT_SIG);
			/* Only treeSize is indexed (topic 1); the rest is data. */
			assert_true(json_is_true(json_object_get(json_array_get(inputs, 0), "indexed")));
			for (size_t k = 1; k < json_array_size(inputs); k++)
				assert_false(json_is_true(json_object_get(json_array_get(inputs, k), "indexed")));
			saw_ev = true;
		}
	}
	assert_true(saw_fn && saw_ev);
	json_decref(art);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector_and_calldata),
		cmocka_unit_test(test_static_types),
		cmocka_unit_test(test_anchored_event),
		cmocka_unit_test(test_artifact_abi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
