/*
 * test_chain_key.c — keys and addresses against ../shared/vectors/eth_address.json: public keys, keccak of
 * X||Y, addresses and EIP-55 forms of every key; rejection of every invalid private key; the EIP-55 table;
 * CREATE addresses (keccak of rlp([sender, nonce])). Negative tests: bad hex, wrong lengths, bad checksums,
 * key files that group/others can read, symlinks and oversized files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain_test_util.h"

static void test_keys(void **state)
{
	json_t *doc = ct_load_vectors("eth_address.json");
	json_t *keys = json_object_get(doc, "keys"), *v;
	size_t i, n = 0;

	json_array_foreach(keys, i, v) {
		struct chain_key key, key2;
		uint8_t secret[CHAIN_PRIVKEY_LEN], h[CHAIN_KECCAK256_LEN], addr[CHAIN_ADDRESS_LEN];
		char s[CHAIN_ADDRESS_STR_SIZE];
		const char *hex = ct_str(v, "private_key");

		ct_hex_fixed(hex, secret, sizeof(secret));
		assert_true(tc_is_ok(chain_key_from_bytes(&key, secret)));
		ct_assert_hex(key.pubkey, sizeof(key.pubkey), ct_str(v, "public_key_uncompressed"));
		chain_keccak256(key.pubkey + 1, CHAIN_PUBKEY_LEN - 1, h);
		ct_assert_hex(h, sizeof(h), ct_str(v, "keccak256_of_xy"));
		ct_assert_hex(key.address, sizeof(key.address), ct_str(v, "address_lower"));
		chain_address_to_eip55(key.address, s);
		assert_string_equal(s, ct_str(v, "address_eip55"));
		assert_true(tc_is_ok(chain_address_parse(s, strlen(s), addr)));
		assert_memory_equal(addr, key.address, sizeof(addr));
		assert_true(tc_is_ok(chain_address_parse(ct_str(v, "address_lower"), strlen(s), addr)));
		assert_memory_equal(addr, key.address, sizeof(addr));
		/* Hex form, with 0x and a trailing newline too. */
		assert_true(tc_is_ok(chain_key_from_hex(&key2, hex, strlen(hex))));
		assert_memory_equal(key2.address, key.address, sizeof(addr));
		chain_key_cleanup(&key2);
		{
			char buf[80];

			snprintf(buf, sizeof(buf), "0x%s\n", hex);
			assert_true(tc_is_ok(chain_key_from_hex(&key2, buf, strlen(buf))));
			assert_memory_equal(key2.address, key.address, sizeof(addr));
		}
		chain_key_cleanup(&key);
		chain_key_cleanup(&key2);
		for (size_t b = 0; b < sizeof(key); b++)
			assert_int_equal(((uint8_t *)&key)[b], 0);
		n++;
	}
	assert_int_equal(n, 7);
	print_message("eth_address: %zu keys passed\n", n);
	json_decref(doc);
}

static void test_invalid_keys(void **state)
{
	json_t *doc = ct_load_vectors("eth_address.json");
	json_t *keys = json_object_get(doc, "invalid_private_keys"), *v;
	size_t i, n = 0;
	struct chain_key key;
	static const char *bad_hex[] = { "",
					 "00",
					 "0x",
					 "zz00000000000000000000000000000000000000000000000000000000000001",
					 "000000000000000000000000000000000000000000000000000000000000001",
					 "00000000000000000000000000000000000000000000000000000000000000001",
					 "0000000000000000000000000000000000000000000000000000000000000001 junk" };

	json_array_foreach(keys, i, v) {
		uint8_t secret[CHAIN_PRIVKEY_LEN];
		const char *hex = ct_str(v, "private_key");

		ct_hex_fixed(hex, secret, sizeof(secret));
		assert_false(tc_is_ok(chain_key_from_bytes(&key, secret)));
		assert_false(tc_is_ok(chain_key_from_hex(&key, hex, strlen(hex))));
		n++;
	}
	assert_int_equal(n, 4);
	for (size_t k = 0; k < sizeof(bad_hex) / sizeof(bad_hex[0]); k++)
		assert_false(tc_is_ok(chain_key_from_hex(&key, bad_hex[k], strlen(bad_hex[k]))));
	print_message("eth_address: %zu invalid keys rejected\n", n);
	json_decref(doc);
}

static void test_eip55(void **state)
{
	json_t *doc = ct_load_vectors("eth_address.json");
	json_t *list = json_object_get(doc, "eip55"), *v;
	size_t i, n = 0;

	json_array_foreach(list, i, v) {
		uint8_t addr[CHAIN_ADDRESS_LEN], addr2[CHAIN_ADDRESS_LEN];
		char s[CHAIN_ADDRESS_STR_SIZE];
		const char *lower = ct_str(v, "address_lower"), *sum = ct_str(v, "address_eip55");

		assert_true(tc_is_ok(chain_address_parse(lower, strlen(lower), addr)));
		chain_address_to_eip55(addr, s);
		assert_string_equal(s, sum);
		assert_true(tc_is_ok(chain_address_parse(sum, strlen(sum), addr2)));
		assert_memory_equal(addr, addr2, sizeof(addr));
		n++;
	}
	assert_int_equal(n, 8);
	/* A mixed-case address with one letter's case flipped fails its checksum. */
	{
		char s[] = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
		uint8_t addr[CHAIN_ADDRESS_LEN];

		assert_true(tc_is_ok(chain_address_parse(s, strlen(s), addr)));
		s[4] = 'a';
		assert_false(tc_is_ok(chain_address_parse(s, strlen(s), addr)));
		assert_false(tc_is_ok(chain_address_parse(s + 2, strlen(s) - 2, addr)));
		assert_false(tc_is_ok(chain_address_parse(s, strlen(s) - 1, addr)));
		assert_false(tc_is_ok(chain_address_parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg", 42, addr)));
	}
	print_message("eip55: %zu vectors passed\n", n);
	json_decref(doc);
}

static void test_create_addresses(void **state)
{
	json_t *doc = ct_load_vectors("eth_address.json");
	json_t *list = json_object_get(doc, "create_addresses"), *v;
	size_t i, n = 0;

	json_array_foreach(list, i, v) {
		uint8_t sender[CHAIN_ADDRESS_LEN], h[CHAIN_KECCAK256_LEN];
		struct tc_buf b;
		size_t mark;
		const char *s = ct_str(v, "sender");

		assert_true(tc_is_ok(chain_address_parse(s, strlen(s), sender)));
		tc_buf_init(&b, 0);
		assert_true(tc_is_ok(chain_rlp_list_begin(&b, &mark)));
		assert_true(tc_is_ok(chain_rlp_put_bytes(&b, sender, sizeof(sender))));
		assert_true(tc_is_ok(chain_rlp_put_u64(&b, (uint64_t)json_integer_value(json_object_get(v, "nonce")))));
		assert_true(tc_is_ok(chain_rlp_list_end(&b, mark)));
		ct_assert_hex(b.data, b.len, ct_str(v, "rlp_sender_nonce"));
		chain_keccak256(b.data, b.len, h);
		ct_assert_hex(h + CHAIN_KECCAK256_LEN - CHAIN_ADDRESS_LEN, CHAIN_ADDRESS_LEN,
			      ct_str(v, "address_lower"));
		tc_buf_cleanup(&b);
		n++;
	}
	assert_int_equal(n, 2);
	json_decref(doc);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/test_chain_key.XXXXXX";
	char path[256], link[256], big[400];
	struct chain_key key;
	char s[CHAIN_ADDRESS_STR_SIZE];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	write_file(path, "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n", 0600);
	assert_true(tc_is_ok(chain_key_load_file(&key, path)));
	chain_address_to_eip55(key.address, s);
	assert_string_equal(s, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
	chain_key_cleanup(&key);
	assert_int_equal(chmod(path, 0400), 0);
	assert_true(tc_is_ok(chain_key_load_file(&key, path)));
	chain_key_cleanup(&key);
	/* Readable by group or others: refused, whatever the content. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_false(tc_is_ok(chain_key_load_file(&key, path)));
	assert_int_equal(chmod(path, 0604), 0);
	assert_false(tc_is_ok(chain_key_load_file(&key, path)));
	assert_int_equal(chmod(path, 0600), 0);
	/* Symlinks are not followed; directories and missing files fail. */
	assert_int_equal(symlink(path, link), 0);
	assert_false(tc_is_ok(chain_key_load_file(&key, link)));
	assert_false(tc_is_ok(chain_key_load_file(&key, dir)));
	unlink(link);
	/* Bad content. */
	write_file(path, "not a key\n", 0600);
	assert_false(tc_is_ok(chain_key_load_file(&key, path)));
	write_file(path, "0000000000000000000000000000000000000000000000000000000000000000\n", 0600);
	assert_false(tc_is_ok(chain_key_load_file(&key, path)));
	memset(big, '0', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(path, big, 0600);
	assert_false(tc_is_ok(chain_key_load_file(&key, path)));
	unlink(path);
	assert_false(tc_is_ok(chain_key_load_file(&key, path)));
	rmdir(dir);
}

static void test_generate(void **state)
{
	struct chain_key a, b, c;
	uint8_t addr[CHAIN_ADDRESS_LEN];

	assert_true(tc_is_ok(chain_key_generate(&a)));
	assert_true(tc_is_ok(chain_key_generate(&b)));
	assert_memory_not_equal(a.secret, b.secret, CHAIN_PRIVKEY_LEN);
	assert_true(tc_is_ok(chain_key_from_bytes(&c, a.secret)));
	assert_memory_equal(c.address, a.address, CHAIN_ADDRESS_LEN);
	assert_true(tc_is_ok(chain_address_from_pubkey(a.pubkey, addr)));
	assert_memory_equal(addr, a.address, CHAIN_ADDRESS_LEN);
	a.pubkey[0] = 0x02;
	assert_false(tc_is_ok(chain_address_from_pubkey(a.pubkey, addr)));
	chain_key_cleanup(&a);
	chain_key_cleanup(&b);
	chain_key_cleanup(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),     cmocka_unit_test(test_invalid_keys),
		cmocka_unit_test(test_eip55),    cmocka_unit_test(test_create_addresses),
		cmocka_unit_test(test_key_file), cmocka_unit_test(test_generate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
