/*
 * chain_abi.c — the part of the Solidity ABI (docs.soliditylang.org, "Contract ABI Specification") that the
 * anchor contract needs: static types only, each one 32-byte word. uintN is left-padded with zeros, bytes32
 * is the word itself, address is a uint160. Decoders insist on zero padding, so a word that does not hold a
 * value of the declared type is rejected rather than truncated.
 *
 *   anchor calldata = selector(keccak256("anchor(uint64,bytes32,uint64)")[0:4]) || treeSize || root || prev
 *   Anchored log    = topics [keccak256(CHAIN_ANCHORED_EVENT_SIG), treeSize (indexed)],
 *                     data   root || prevTreeSize
 * The signatures are written once, in chain.h, next to the contract's interface.
 */
#include <string.h>

#include "chain_internal.h"

#define U64_BYTES 8

static TC_RESULT abi_word_padded(struct tc_cursor *c, size_t value_len, const uint8_t **value)
{
	struct tc_cursor t = *c;
	const uint8_t *w;

	TC_GUARD(tc_cursor_view(&t, CHAIN_ABI_WORD, &w));
	for (size_t i = 0; i < CHAIN_ABI_WORD - value_len; i++)
		TC_ENSURE(w[i] == 0, CHAIN_ERR_MALFORMED, "abi: word at offset %zu does not fit in %zu bytes",
			  tc_cursor_pos(c), value_len);
	*c = t;
	*value = w + CHAIN_ABI_WORD - value_len;
	return tc_ok();
}

TC_RESULT chain_abi_put_u64(struct tc_buf *out, uint64_t v)
{
	struct chain_u256 u;

	chain_u256_from_u64(&u, v);
	return tc_buf_append(out, u.be, CHAIN_ABI_WORD);
}

TC_RESULT chain_abi_put_u256(struct tc_buf *out, const struct chain_u256 *v)
{
	return tc_buf_append(out, v->be, CHAIN_ABI_WORD);
}

TC_RESULT chain_abi_put_bytes32(struct tc_buf *out, const uint8_t v[CHAIN_ABI_WORD])
{
	return tc_buf_append(out, v, CHAIN_ABI_WORD);
}

TC_RESULT chain_abi_put_address(struct tc_buf *out, const uint8_t addr[CHAIN_ADDRESS_LEN])
{
	uint8_t w[CHAIN_ABI_WORD] = { 0 };

	memcpy(w + CHAIN_ABI_WORD - CHAIN_ADDRESS_LEN, addr, CHAIN_ADDRESS_LEN);
	return tc_buf_append(out, w, CHAIN_ABI_WORD);
}

TC_RESULT chain_abi_get_u64(struct tc_cursor *c, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;

	TC_GUARD(abi_word_padded(c, U64_BYTES, &p));
	for (size_t i = 0; i < U64_BYTES; i++)
		v = v << 8 | p[i];
	*out = v;
	return tc_ok();
}

TC_RESULT chain_abi_get_u256(struct tc_cursor *c, struct chain_u256 *out)
{
	return tc_cursor_copy(c, out->be, CHAIN_ABI_WORD);
}

TC_RESULT chain_abi_get_bytes32(struct tc_cursor *c, uint8_t out[CHAIN_ABI_WORD])
{
	return tc_cursor_copy(c, out, CHAIN_ABI_WORD);
}

TC_RESULT chain_abi_get_address(struct tc_cursor *c, uint8_t out[CHAIN_ADDRESS_LEN])
{
	const uint8_t *p;

	TC_GUARD(abi_word_padded(c, CHAIN_ADDRESS_LEN, &p));
	memcpy(out, p, CHAIN_ADDRESS_LEN);
	return tc_ok();
}

void chain_abi_selector(const char *signature, uint8_t out[CHAIN_ABI_SELECTOR_LEN])
{
	uint8_t h[CHAIN_HASH_LEN];

	chain_keccak256(signature, strlen(signature), h);
	memcpy(out, h, CHAIN_ABI_SELECTOR_LEN);
}

void chain_abi_event_topic(const char *signature, uint8_t out[CHAIN_HASH_LEN])
{
	chain_keccak256(signature, strlen(signature), out);
}

TC_RESULT chain_anchor_calldata(uint64_t tree_size, const uint8_t root[CHAIN_HASH_LEN], uint64_t prev_tree_size,
				struct tc_buf *out)
{
	uint8_t sel[CHAIN_ABI_SELECTOR_LEN];
	size_t start = out->len;

	chain_abi_selector(CHAIN_ANCHOR_FN_SIG, sel);
	TC_GUARD(tc_buf_reserve(out, CHAIN_ANCHOR_CALLDATA_LEN));
	TC_GUARD(tc_buf_append(out, sel, sizeof(sel)));
	TC_GUARD(chain_abi_put_u64(out, tree_size));
	TC_GUARD(chain_abi_put_bytes32(out, root));
	TC_GUARD(chain_abi_put_u64(out, prev_tree_size));
	TC_ENSURE(out->len - start == CHAIN_ANCHOR_CALLDATA_LEN, TC_ERR_INTERNAL, "anchor calldata length");
	return tc_ok();
}

TC_RESULT chain_anchor_calldata_decode(const uint8_t *data, size_t len, uint64_t *tree_size,
				       uint8_t root[CHAIN_HASH_LEN], uint64_t *prev_tree_size)
{
	struct tc_cursor c;
	uint8_t sel[CHAIN_ABI_SELECTOR_LEN], want[CHAIN_ABI_SELECTOR_LEN], r[CHAIN_HASH_LEN];
	uint64_t size, prev;

	TC_ENSURE(len == CHAIN_ANCHOR_CALLDATA_LEN, CHAIN_ERR_MALFORMED, "anchor calldata of %zu bytes, not %d", len,
		  CHAIN_ANCHOR_CALLDATA_LEN);
	tc_cursor_init(&c, data, len);
	chain_abi_selector(CHAIN_ANCHOR_FN_SIG, want);
	TC_GUARD(tc_cursor_copy(&c, sel, sizeof(sel)));
	TC_ENSURE(memcmp(sel, want, sizeof(sel)) == 0, CHAIN_ERR_MALFORMED, "calldata is not a call of %s",
		  CHAIN_ANCHOR_FN_SIG);
	TC_GUARD(chain_abi_get_u64(&c, &size));
	TC_GUARD(chain_abi_get_bytes32(&c, r));
	TC_GUARD(chain_abi_get_u64(&c, &prev));
	*tree_size = size;
	memcpy(root, r, CHAIN_HASH_LEN);
	*prev_tree_size = prev;
	return tc_ok();
}

TC_RESULT chain_anchored_decode(const uint8_t (*topics)[CHAIN_HASH_LEN], size_t n_topics, const uint8_t *data,
				size_t data_len, struct chain_anchored_event *out)
{
	struct chain_anchored_event ev;
	struct tc_cursor c;
	uint8_t topic0[CHAIN_HASH_LEN];

	chain_abi_event_topic(CHAIN_ANCHORED_EVENT_SIG, topic0);
	TC_ENSURE(n_topics == CHAIN_ANCHORED_TOPICS, CHAIN_ERR_MALFORMED, "Anchored log with %zu topics, not %d",
		  n_topics, CHAIN_ANCHORED_TOPICS);
	TC_ENSURE(memcmp(topics[0], topic0, CHAIN_HASH_LEN) == 0, CHAIN_ERR_MALFORMED, "log topic 0 is not %s",
		  CHAIN_ANCHORED_EVENT_SIG);
	TC_ENSURE(data_len == CHAIN_ANCHORED_DATA_LEN, CHAIN_ERR_MALFORMED, "Anchored log data of %zu bytes, not %d",
		  data_len, CHAIN_ANCHORED_DATA_LEN);
	/* Indexed static arguments are stored as their ABI word in the topic. */
	tc_cursor_init(&c, topics[1], CHAIN_HASH_LEN);
	TC_GUARD(chain_abi_get_u64(&c, &ev.tree_size));
	tc_cursor_init(&c, data, data_len);
	TC_GUARD(chain_abi_get_bytes32(&c, ev.root));
	TC_GUARD(chain_abi_get_u64(&c, &ev.prev_tree_size));
	*out = ev;
	return tc_ok();
}
