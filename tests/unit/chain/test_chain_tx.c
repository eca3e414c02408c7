/*
 * test_chain_tx.c — transactions against all 18 vectors of ../shared/vectors/eth_tx.json (EIP-155 example,
 * the ethereumjs EIP-1559 file, the chain-204 vectors with r/s leading-zero edge cases): signing payload,
 * signing hash, RFC 6979 signature (r, s, recid), raw bytes and tx hash; decoding each raw transaction back
 * to the same fields and sender. Negative tests: high S, r/s zero or >= n, bad v and yParity, other types,
 * non-empty access lists, non-canonical integers, extra fields, trailing bytes, every truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain_test_util.h"

struct vec {
	struct chain_tx tx;
	uint8_t *data;
	struct chain_key key;
	uint8_t from[CHAIN_ADDRESS_LEN];
};

static void vec_load(const json_t *v, struct vec *out)
{
	const char *to = ct_str(v, "to"), *from = ct_str(v, "from");
	uint8_t secret[CHAIN_PRIVKEY_LEN];

	memset(out, 0, sizeof(*out));
	out->tx.type = (enum chain_tx_type)json_integer_value(json_object_get(v, "type"));
	out->tx.chain_id = ct_u64(v, "chain_id");
	out->tx.nonce = ct_u64(v, "nonce");
	if (out->tx.type == CHAIN_TX_EIP1559) {
		ct_u256(v, "max_priority_fee_per_gas", &out->tx.max_priority_fee_per_gas);
		ct_u256(v, "max_fee_per_gas", &out->tx.max_fee_per_gas);
	} else {
		ct_u256(v, "gas_price", &out->tx.gas_price);
	}
	out->tx.gas_limit = ct_u64(v, "gas_limit");
	out->tx.has_to = true;
	assert_true(tc_is_ok(chain_address_parse(to, strlen(to), out->tx.to)));
	ct_u256(v, "value", &out->tx.value);
	out->data = ct_hex(ct_str(v, "data"), &out->tx.data_len);
	out->tx.data = out->data;
	ct_hex_fixed(ct_str(v, "private_key"), secret, sizeof(secret));
	assert_true(tc_is_ok(chain_key_from_bytes(&out->key, secret)));
	assert_true(tc_is_ok(chain_address_parse(from, strlen(from), out->from)));
}

static void tx_equal(const struct chain_tx *a, const struct chain_tx *b)
{
	assert_int_equal(a->type, b->type);
	assert_true(a->chain_id == b->chain_id);
	assert_true(a->nonce == b->nonce);
	assert_true(a->gas_limit == b->gas_limit);
	assert_memory_equal(a->gas_price.be, b->gas_price.be, CHAIN_U256_LEN);
	assert_memory_equal(a->max_priority_fee_per_gas.be, b->max_priority_fee_per_gas.be, CHAIN_U256_LEN);
	assert_memory_equal(a->max_fee_per_gas.be, b->max_fee_per_gas.be, CHAIN_U256_LEN);
	assert_memory_equal(a->value.be, b->value.be, CHAIN_U256_LEN);
	assert_int_equal(a->has_to, b->has_to);
	assert_memory_equal(a->to, b->to, CHAIN_ADDRESS_LEN);
	assert_int_equal(a->data_len, b->data_len);
	if (a->data_len > 0)
		assert_memory_equal(a->data, b->data, a->data_len);
}

static void test_vectors(void **state)
{
	json_t *doc = ct_load_vectors("eth_tx.json");
	json_t *vecs = json_object_get(doc, "vectors"), *v;
	size_t i, n = 0;

	json_array_foreach(vecs, i, v) {
		struct vec t;
		struct tc_buf payload, raw, raw2;
		struct chain_signature sig, dsig;
		struct chain_tx dtx;
		uint8_t hash[CHAIN_HASH_LEN], txh[CHAIN_HASH_LEN], from[CHAIN_ADDRESS_LEN];
		size_t raw_len;
		uint8_t *want_raw = ct_hex(ct_str(v, "raw"), &raw_len);

		vec_load(v, &t);
		assert_memory_equal(t.key.address, t.from, CHAIN_ADDRESS_LEN);
		tc_buf_init(&payload, 0);
		tc_buf_init(&raw, 0);
		tc_buf_init(&raw2, 0);
		assert_true(tc_is_ok(chain_tx_signing_payload(&t.tx, &payload)));
		ct_assert_hex(payload.data, payload.len, ct_str(v, "signing_payload"));
		assert_true(tc_is_ok(chain_tx_signing_hash(&t.tx, hash)));
		ct_assert_hex(hash, sizeof(hash), ct_str(v, "signing_hash"));
		/* Sign: RFC 6979 makes r, s and recid exact. */
		assert_true(tc_is_ok(chain_tx_sign(&t.tx, &t.key, &raw, txh, &sig)));
		ct_assert_hex(sig.r, sizeof(sig.r), ct_str(v, "r"));
		ct_assert_hex(sig.s, sizeof(sig.s), ct_str(v, "s"));
		assert_int_equal(sig.recid, (int)json_integer_value(json_object_get(v, "recid")));
		ct_assert_hex(raw.data, raw.len, ct_str(v, "raw"));
		ct_assert_hex(txh, sizeof(txh), ct_str(v, "tx_hash"));
		/* Re-encoding from the signature alone gives the same bytes. */
		assert_true(tc_is_ok(chain_tx_encode_signed(&t.tx, &sig, &raw2)));
		assert_int_equal(raw2.len, raw.len);
		assert_memory_equal(raw2.data, raw.data, raw.len);
		/* Decode the vector's raw transaction: same fields, sender, hash and signature. */
		assert_true(tc_is_ok(chain_tx_decode(want_raw, raw_len, &dtx, &dsig, from, txh)));
		tx_equal(&dtx, &t.tx);
		assert_memory_equal(from, t.from, CHAIN_ADDRESS_LEN);
		ct_assert_hex(txh, sizeof(txh), ct_str(v, "tx_hash"));
		assert_memory_equal(dsig.r, sig.r, sizeof(sig.r));
		assert_memory_equal(dsig.s, sig.s, sizeof(sig.s));
		assert_int_equal(dsig.recid, sig.recid);
		/* Every truncation and one trailing byte are rejected. */
		for (size_t cut = 0; cut < raw_len; cut++)
			assert_false(tc_is_ok(chain_tx_decode(want_raw, cut, NULL, NULL, NULL, NULL)));
		assert_true(tc_is_ok(tc_buf_append_u8(&raw, 0x00)));
		assert_false(tc_is_ok(chain_tx_decode(raw.data, raw.len, NULL, NULL, NULL, NULL)));
		tc_buf_cleanup(&payload);
		tc_buf_cleanup(&raw);
		tc_buf_cleanup(&raw2);
		chain_key_cleanup(&t.key);
		free(t.data);
		free(want_raw);
		n++;
	}
	assert_int_equal(n, 18);
	print_message("eth_tx: %zu vectors passed (sign, encode, decode, recover)\n", n);
	json_decref(doc);
}

/* The chain-204 anchor() call vector, signed by anvil account 0. */
static void anchor_vector(struct vec *t, json_t **doc)
{
	json_t *vecs, *v;
	size_t i;

	*doc = ct_load_vectors("eth_tx.json");
	vecs = json_object_get(*doc, "vectors");
	json_array_foreach(vecs, i, v) {
		if (strcmp(ct_str(v, "name"), "chain204_type2_anchor_call") == 0) {
			vec_load(v, t);
			return;
		}
	}
	fail_msg("no chain204_type2_anchor_call vector");
}

static bool decodes(const struct tc_buf *b)
{
	return tc_is_ok(chain_tx_decode(b->data, b->len, NULL, NULL, NULL, NULL));
}

/* Build a type-2 list from parts, with the given trailing fields as raw RLP bytes. */
static void build(struct tc_buf *b, const struct chain_tx *tx, const char *tail_hex, bool access_nonempty)
{
	size_t mark, al, len;
	uint8_t *tail = ct_hex(tail_hex, &len);

	tc_buf_reset(b);
	assert_true(tc_is_ok(tc_buf_append_u8(b, 0x02)));
	assert_true(tc_is_ok(chain_rlp_list_begin(b, &mark)));
	assert_true(tc_is_ok(chain_rlp_put_u64(b, tx->chain_id)));
	assert_true(tc_is_ok(chain_rlp_put_u64(b, tx->nonce)));
	assert_true(tc_is_ok(chain_rlp_put_u256(b, &tx->max_priority_fee_per_gas)));
	assert_true(tc_is_ok(chain_rlp_put_u256(b, &tx->max_fee_per_gas)));
	assert_true(tc_is_ok(chain_rlp_put_u64(b, tx->gas_limit)));
	assert_true(tc_is_ok(chain_rlp_put_bytes(b, tx->to, CHAIN_ADDRESS_LEN)));
	assert_true(tc_is_ok(chain_rlp_put_u256(b, &tx->value)));
	assert_true(tc_is_ok(chain_rlp_put_bytes(b, tx->data, tx->data_len)));
	assert_true(tc_is_ok(chain_rlp_list_begin(b, &al)));
	if (access_nonempty) {
		size_t entry, keys;

		assert_true(tc_is_ok(chain_rlp_list_begin(b, &entry)));
		assert_true(tc_is_ok(chain_rlp_put_bytes(b, tx->to, CHAIN_ADDRESS_LEN)));
		assert_true(tc_is_ok(chain_rlp_list_begin(b, &keys)));
		assert_true(tc_is_ok(chain_rlp_list_end(b, keys)));
		assert_true(tc_is_ok(chain_rlp_list_end(b, entry)));
	}
	assert_true(tc_is_ok(chain_rlp_list_end(b, al)));
	assert_true(tc_is_ok(tc_buf_append(b, tail, len)));
	assert_true(tc_is_ok(chain_rlp_list_end(b, mark)));
	free(tail);
}

#define R_HEX "a04335c26271141e4c552f79b2d1b95197d8e879aa26bc7ca897ad65697c08e830"
#define S_HEX "a039075de94891e11fe7042e7b0cfa4efa5aeedd59a581625c2d258855ed3aa882"
/* n - s of the vector's s: the same signature with high S (EIP-2 malleability). */
#define S_HIGH_HEX "a0c6f8a216b76e1ee018fbd184f305b1045fbfff8d09c73ddf92acd636e2fb98bf"

static void test_negative(void **state)
{
	struct vec t;
	json_t *doc;
	struct tc_buf b;
	uint8_t from[CHAIN_ADDRESS_LEN];

	anchor_vector(&t, &doc);
	tc_buf_init(&b, 0);
	/* The reference encoding decodes and recovers the sender. */
	build(&b, &t.tx, "80" R_HEX S_HEX, false);
	assert_true(tc_is_ok(chain_tx_decode(b.data, b.len, NULL, NULL, from, NULL)));
	assert_memory_equal(from, t.from, CHAIN_ADDRESS_LEN);
	/* Wrong yParity recovers a different address (valid tx, other sender). */
	build(&b, &t.tx, "01" R_HEX S_HEX, false);
	if (decodes(&b)) {
		assert_true(tc_is_ok(chain_tx_decode(b.data, b.len, NULL, NULL, from, NULL)));
		assert_memory_not_equal(from, t.from, CHAIN_ADDRESS_LEN);
	}
	/* yParity 2, non-canonical yParity 0x00, high S, zero r, r = n, extra field, missing field. */
	build(&b, &t.tx, "02" R_HEX S_HEX, false);
	assert_false(decodes(&b));
	build(&b, &t.tx, "00" R_HEX S_HEX, false);
	assert_false(decodes(&b));
	build(&b, &t.tx, "80" R_HEX S_HIGH_HEX, false);
	assert_false(decodes(&b));
	build(&b, &t.tx,
	      "80"
	      "80" S_HEX,
	      false);
	assert_false(decodes(&b));
	build(&b, &t.tx,
	      "80"
	      "a0fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141" S_HEX,
	      false);
	assert_false(decodes(&b));
	build(&b, &t.tx, "80" R_HEX S_HEX "80", false);
	assert_false(decodes(&b));
	build(&b, &t.tx, "80" R_HEX, false);
	assert_false(decodes(&b));
	/* r with a leading zero byte (non-minimal integer). */
	build(&b, &t.tx,
	      "80"
	      "a1004335c26271141e4c552f79b2d1b95197d8e879aa26bc7ca897ad65697c08e830" S_HEX,
	      false);
	assert_false(decodes(&b));
	/* Non-empty access list: unsupported. */
	build(&b, &t.tx, "80" R_HEX S_HEX, true);
	assert_false(decodes(&b));
	/* Other EIP-2718 types and a bare byte string. */
	build(&b, &t.tx, "80" R_HEX S_HEX, false);
	b.data[0] = 0x01;
	assert_false(decodes(&b));
	b.data[0] = 0x03;
	assert_false(decodes(&b));
	assert_false(tc_is_ok(chain_tx_decode((const uint8_t *)"\x83"
							       "abc",
					      4, NULL, NULL, NULL, NULL)));
	assert_false(tc_is_ok(chain_tx_decode((const uint8_t *)"\x02", 1, NULL, NULL, NULL, NULL)));
	assert_false(tc_is_ok(chain_tx_decode((const uint8_t *)"", 0, NULL, NULL, NULL, NULL)));
	tc_buf_cleanup(&b);
	chain_key_cleanup(&t.key);
	free(t.data);
	json_decref(doc);
}

static void test_legacy_v(void **state)
{
	/* EIP-155 example (chain 1) with v changed: 27/28 are pre-EIP-155 (different payload), 35/36 invalid. */
	static const char *prefix =
		"f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080";
	static const char *rs =
		"a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
	static const char *vs[] = { "25", "1b", "1c", "23", "24", "80", "00" };
	static const bool ok[] = { true, true, true, false, false, false, false };
	struct chain_tx tx;

	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		char hex[512];
		size_t len;
		uint8_t *raw;

		snprintf(hex, sizeof(hex), "%s%s%s", prefix, vs[i], rs);
		raw = ct_hex(hex, &len);
		assert_int_equal(tc_is_ok(chain_tx_decode(raw, len, &tx, NULL, NULL, NULL)), ok[i]);
		if (ok[i])
			assert_true(tx.chain_id == (i == 0 ? 1 : 0));
		free(raw);
	}
}

static void test_roundtrip_create_and_prefork(void **state)
{
	struct chain_key key;
	struct chain_tx tx, dtx;
	struct tc_buf raw;
	uint8_t from[CHAIN_ADDRESS_LEN], h1[CHAIN_HASH_LEN], h2[CHAIN_HASH_LEN];
	static const uint8_t code[] = { 0x60, 0x00, 0x60, 0x00, 0xf3 };

	assert_true(tc_is_ok(chain_key_generate(&key)));
	tc_buf_init(&raw, 0);
	for (int type = 0; type <= 2; type += 2) {
		for (uint64_t chain = 0; chain <= 5611; chain += 5611) {
			memset(&tx, 0, sizeof(tx));
			tx.type = (enum chain_tx_type)type;
			tx.chain_id = chain;
			tx.nonce = 7;
			if (type == CHAIN_TX_LEGACY) {
				chain_u256_from_u64(&tx.gas_price, 1000000000);
			} else {
				chain_u256_from_u64(&tx.max_fee_per_gas, 2000000000);
				chain_u256_from_u64(&tx.max_priority_fee_per_gas, 1);
			}
			tx.gas_limit = 100000;
			tx.has_to = false; /* contract creation */
			tx.data = code;
			tx.data_len = sizeof(code);
			tc_buf_reset(&raw);
			if (type == 2 && chain == 0) {
				assert_false(tc_is_ok(chain_tx_sign(&tx, &key, &raw, h1, NULL)));
				assert_int_equal(raw.len, 0);
				continue;
			}
			assert_true(tc_is_ok(chain_tx_sign(&tx, &key, &raw, h1, NULL)));
			assert_true(tc_is_ok(chain_tx_decode(raw.data, raw.len, &dtx, NULL, from, h2)));
			tx_equal(&dtx, &tx);
			assert_memory_equal(from, key.address, CHAIN_ADDRESS_LEN);
			assert_memory_equal(h1, h2, CHAIN_HASH_LEN);
		}
	}
	tc_buf_cleanup(&raw);
	chain_key_cleanup(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_legacy_v),
		cmocka_unit_test(test_roundtrip_create_and_prefork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
