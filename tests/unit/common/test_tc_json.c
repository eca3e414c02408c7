/*
 * test_tc_json.c — JSON from outside (limits, duplicate keys, trailing bytes), the field spec (every kind
 * and every rejection), RFC 8785 canonical JSON (the RFC's own examples without floats, key order by
 * UTF-16 code units, escaping) and compact dumps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tc.h"

static json_t *parse_ok(const char *s)
{
	json_t *v = NULL;

	struct tc_result r = tc_json_parse(s, strlen(s), TC_JSON_MAX_DEFAULT, &v);
	if (!tc_is_ok(r))
		fail_msg("'%s' failed: %s", s, tc_error_detail());
	return v;
}

static enum tc_code parse_code(const char *s)
{
	json_t *v = (json_t *)0x1;
	struct tc_result r = tc_json_parse(s, strlen(s), TC_JSON_MAX_DEFAULT, &v);

	if (tc_is_ok(r))
		json_decref(v);
	else
		assert_ptr_equal(v, (json_t *)0x1); /* not written on failure */
	return r.code;
}

static void test_parse(void **state)
{
	static const char *bad[] = {
		"",
		" ",
		"{",
		"{\"a\":1,\"a\":2}",
		"{\"x\":{\"a\":1,\"a\":1}}",
		"[{\"k\":true,\"k\":false}]",
		"{} x",
		"{}{}",
		"[1],",
		"{\"a\":\"\\u0000\"}",
		"{'a':1}",
		"{\"a\":01}",
		"{\"a\":1,}",
		"\"\xff\"",
		"{\"a\":99999999999999999999999}",
		"NaN",
	};
	json_t *v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_code(bad[i]) != TC_ERR_JSON_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
	}
	assert_int_equal(parse_code("{\"a\":1,\"a\":2}"), TC_ERR_JSON_MALFORMED);
	assert_non_null(strstr(tc_error_detail(), "duplicate"));
	assert_non_null(strstr(tc_error_detail(), "line 1"));
	/* Embedded NUL byte: the length, not the NUL, ends the input. */
	assert_int_equal(tc_json_parse("{}\0{}", 5, 100, &v).code, TC_ERR_JSON_MALFORMED);

	v = parse_ok(" {\"a\":[1,2,{\"b\":null}]} \n");
	assert_true(json_is_object(v));
	json_decref(v);
	v = parse_ok("\"scalar\"");
	assert_string_equal(json_string_value(v), "scalar");
	json_decref(v);
	v = parse_ok("42");
	assert_int_equal(json_integer_value(v), 42);
	json_decref(v);
}

static void test_size_limit(void **state)
{
	const char *doc = "{\"abc\":123}"; /* 11 bytes */
	json_t *v = NULL;

	assert_true(tc_is_ok(tc_json_parse(doc, 11, 11, &v)));
	json_decref(v);
	v = NULL;
	assert_int_equal(tc_json_parse(doc, 11, 10, &v).code, TC_ERR_TOO_LARGE);
	assert_null(v);
	/* The limit is checked before the bytes are looked at. */
	assert_int_equal(tc_json_parse("garbage", 7, 3, &v).code, TC_ERR_TOO_LARGE);
	assert_int_equal(tc_json_parse(NULL, 5, 10, &v).code, TC_ERR_INVALID_ARGUMENT);
}

/* A realistic request body read with every kind. */
static void test_fields_all_kinds(void **state)
{
	json_t *body = parse_ok("{\"kind\":\"cvm\",\"nonce\":\"00112233445566778899aabbccddeeff"
				"00112233445566778899aabbccddeeff\",\"csr\":\"Zm9vYmFy\",\"days\":7,\"renew\":true,"
				"\"evidence\":{\"tdx\":\"q\"},\"gpus\":[1,2],\"not_after\":\"2030-01-01T00:00:00Z\","
				"\"extra\":[null],\"order_id\":null}");
	const char *kind = NULL, *order_id = "untouched";
	struct tc_buf nonce = { 0 }, csr = { 0 };
	int64_t days = 0, not_after = 0;
	bool renew = false, has_order = true, has_days = false;
	json_t *evidence = NULL, *gpus = NULL, *extra = NULL;
	const struct tc_json_field spec[] = {
		{ .name = "kind", .kind = TC_JSON_STRING, .required = true, .out = &kind, .max_len = 16 },
		{ .name = "nonce", .kind = TC_JSON_HEX, .required = true, .out = &nonce, .exact_len = 32 },
		{ .name = "csr", .kind = TC_JSON_BASE64, .required = true, .out = &csr, .max_len = 6 },
		{ .name = "days", .kind = TC_JSON_INT, .out = &days, .min = 1, .max = 90, .present = &has_days },
		{ .name = "renew", .kind = TC_JSON_BOOL, .out = &renew },
		{ .name = "evidence", .kind = TC_JSON_OBJECT, .required = true, .out = &evidence },
		{ .name = "gpus", .kind = TC_JSON_ARRAY, .out = &gpus, .max_len = 8 },
		{ .name = "not_after", .kind = TC_JSON_TIME, .out = &not_after },
		{ .name = "extra", .kind = TC_JSON_ANY, .out = &extra },
		{ .name = "order_id", .kind = TC_JSON_STRING, .out = &order_id, .present = &has_order },
	};

	assert_true(tc_is_ok(tc_json_fields(body, spec, sizeof(spec) / sizeof(spec[0]), false)));
	assert_string_equal(kind, "cvm");
	assert_int_equal(nonce.len, 32);
	assert_int_equal(nonce.data[31], 0xff);
	assert_int_equal(csr.len, 6);
	assert_memory_equal(csr.data, "foobar", 6);
	assert_int_equal(days, 7);
	assert_true(has_days);
	assert_true(renew);
	assert_ptr_equal(evidence, json_object_get(body, "evidence"));
	assert_int_equal(json_array_size(gpus), 2);
	assert_int_equal(not_after, 1893456000);
	assert_true(json_is_array(extra));
	/* null counts as absent: output untouched, present false. */
	assert_string_equal(order_id, "untouched");
	assert_false(has_order);
	tc_buf_cleanup(&nonce);
	tc_buf_cleanup(&csr);
	json_decref(body);
}

struct field_case {
	const char *body;
	enum tc_code code;
	const char *detail; /* substring expected in the detail */
};

static void test_fields_rejections(void **state)
{
	static const struct field_case cases[] = {
		{ "{}", TC_ERR_JSON_FIELD_MISSING, "'name'" },
		{ "{\"name\":null}", TC_ERR_JSON_FIELD_MISSING, "'name'" },
		{ "{\"name\":1}", TC_ERR_JSON_FIELD_INVALID, "'name' must be a string" },
		{ "{\"name\":\"toolongname\"}", TC_ERR_JSON_FIELD_INVALID, "longer than 8" },
		{ "{\"name\":\"n\",\"other\":1}", TC_ERR_JSON_FIELD_UNKNOWN, "'other'" },
		{ "{\"name\":\"n\",\"hash\":\"0011\"}", TC_ERR_JSON_FIELD_INVALID, "4 bytes" },
		{ "{\"name\":\"n\",\"hash\":\"0011223344\"}", TC_ERR_JSON_FIELD_INVALID, "'hash'" },
		{ "{\"name\":\"n\",\"hash\":\"001122z3\"}", TC_ERR_JSON_FIELD_INVALID, "invalid hex" },
		{ "{\"name\":\"n\",\"hash\":\"0011223\"}", TC_ERR_JSON_FIELD_INVALID, "'hash'" },
		{ "{\"name\":\"n\",\"hash\":12}", TC_ERR_JSON_FIELD_INVALID, "hex string" },
		{ "{\"name\":\"n\",\"blob\":\"Zm9v!\"}", TC_ERR_JSON_FIELD_INVALID, "'blob'" },
		{ "{\"name\":\"n\",\"blob\":\"Zm9vYmFyYg==\"}", TC_ERR_JSON_FIELD_INVALID, "longer than 6" },
		{ "{\"name\":\"n\",\"blob\":\"Zm9vYmFyYmF6Zm9vYmFyYmF6\"}", TC_ERR_JSON_FIELD_INVALID,
		  "longer than 6" },
		{ "{\"name\":\"n\",\"count\":0}", TC_ERR_JSON_FIELD_INVALID, "1..10" },
		{ "{\"name\":\"n\",\"count\":11}", TC_ERR_JSON_FIELD_INVALID, "1..10" },
		{ "{\"name\":\"n\",\"count\":-9223372036854775808}", TC_ERR_JSON_FIELD_INVALID, "'count'" },
		{ "{\"name\":\"n\",\"count\":1.0}", TC_ERR_JSON_FIELD_INVALID, "integer" },
		{ "{\"name\":\"n\",\"count\":\"5\"}", TC_ERR_JSON_FIELD_INVALID, "integer" },
		{ "{\"name\":\"n\",\"flag\":1}", TC_ERR_JSON_FIELD_INVALID, "boolean" },
		{ "{\"name\":\"n\",\"flag\":\"true\"}", TC_ERR_JSON_FIELD_INVALID, "boolean" },
		{ "{\"name\":\"n\",\"obj\":[]}", TC_ERR_JSON_FIELD_INVALID, "object" },
		{ "{\"name\":\"n\",\"list\":{}}", TC_ERR_JSON_FIELD_INVALID, "array" },
		{ "{\"name\":\"n\",\"list\":[1,2,3,4]}", TC_ERR_JSON_FIELD_INVALID, "more than 3" },
		{ "{\"name\":\"n\",\"when\":\"2024-02-30T00:00:00Z\"}", TC_ERR_JSON_FIELD_INVALID, "'when'" },
		{ "{\"name\":\"n\",\"when\":1700000000}", TC_ERR_JSON_FIELD_INVALID, "RFC 3339" },
		{ "[]", TC_ERR_JSON_FIELD_INVALID, "object" },
		{ "\"name\"", TC_ERR_JSON_FIELD_INVALID, "object" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = NULL;
		struct tc_buf hash = { 0 }, blob = { 0 };
		int64_t count = 0, when = 0;
		bool flag = false;
		json_t *obj = NULL, *list = NULL;
		const struct tc_json_field spec[] = {
			{ .name = "name", .kind = TC_JSON_STRING, .required = true, .out = &name, .max_len = 8 },
			{ .name = "hash", .kind = TC_JSON_HEX, .out = &hash, .exact_len = 4 },
			{ .name = "blob", .kind = TC_JSON_BASE64, .out = &blob, .max_len = 6 },
			{ .name = "count", .kind = TC_JSON_INT, .out = &count, .min = 1, .max = 10 },
			{ .name = "flag", .kind = TC_JSON_BOOL, .out = &flag },
			{ .name = "obj", .kind = TC_JSON_OBJECT, .out = &obj },
			{ .name = "list", .kind = TC_JSON_ARRAY, .out = &list, .max_len = 3 },
			{ .name = "when", .kind = TC_JSON_TIME, .out = &when },
		};
		json_t *body = parse_ok(cases[i].body);
		struct tc_result r = tc_json_fields(body, spec, sizeof(spec) / sizeof(spec[0]), false);

		if (r.code != cases[i].code || strstr(tc_error_detail(), cases[i].detail) == NULL)
			fail_msg("%s: got %s (%s), want %s (%s)", cases[i].body, tc_error_info(r.code)->code,
				 tc_error_detail(), tc_error_info(cases[i].code)->code, cases[i].detail);
		assert_int_equal(blob.len, 0); /* nothing decoded is left behind */
		tc_buf_cleanup(&hash);
		tc_buf_cleanup(&blob);
		json_decref(body);
	}
}

static void test_fields_unknown_and_ranges(void **state)
{
	json_t *body = parse_ok("{\"a\":-5,\"zzz\":1}");
	int64_t a = 0;
	struct tc_json_field spec[] = { { .name = "a", .kind = TC_JSON_INT, .out = &a } };

	assert_int_equal(tc_json_fields(body, spec, 1, false).code, TC_ERR_JSON_FIELD_UNKNOWN);
	assert_true(tc_is_ok(tc_json_fields(body, spec, 1, true)));
	assert_int_equal(a, -5); /* min = max = 0: any integer */
	spec[0].min = -5;
	spec[0].max = -5;
	assert_true(tc_is_ok(tc_json_fields(body, spec, 1, true)));
	spec[0].min = -4;
	spec[0].max = 100;
	assert_int_equal(tc_json_fields(body, spec, 1, true).code, TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(tc_json_fields(NULL, spec, 1, true).code, TC_ERR_JSON_FIELD_INVALID);
	json_decref(body);

	/* A limit near SIZE_MAX does not wrap around. */
	{
		struct tc_buf blob = { 0 };
		const struct tc_json_field b64[] = {
			{ .name = "b", .kind = TC_JSON_BASE64, .out = &blob, .max_len = SIZE_MAX },
			{ .name = "h", .kind = TC_JSON_HEX, .out = &blob, .max_len = SIZE_MAX },
		};

		body = parse_ok("{\"b\":\"Zm9vYmFy\",\"h\":\"00ff\"}");
		assert_true(tc_is_ok(tc_json_fields(body, b64, 2, false)));
		assert_int_equal(blob.len, 8);
		json_decref(body);
		tc_buf_cleanup(&blob);
	}

	/* Unknown-field check compares whole names, not prefixes. */
	body = parse_ok("{\"ab\":1}");
	spec[0].min = spec[0].max = 0;
	assert_int_equal(tc_json_fields(body, spec, 1, false).code, TC_ERR_JSON_FIELD_UNKNOWN);
	json_decref(body);
}

static void expect_canonical(const char *in, const char *want)
{
	json_t *v = parse_ok(in);
	struct tc_buf out = { 0 };

	struct tc_result r = tc_json_canonical(v, &out);
	if (!tc_is_ok(r))
		fail_msg("canonical of %s failed: %s", in, tc_error_detail());
	assert_string_equal((char *)out.data, want);
	tc_buf_cleanup(&out);
	json_decref(v);
}

static void test_jcs_rfc8785(void **state)
{
	/* RFC 8785 §3.2.3 sorting example. */
	expect_canonical("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", \"\\ufb33\": \"Hebrew Letter "
			 "Dalet With Dagesh\", \"1\": \"One\", \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", "
			 "\"\\u0080\": \"Control\", \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
			 "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"\xc3\xb6\":\"Latin "
			 "Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: "
			 "Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
	/* RFC 8785 §3.2.2 example without its "numbers" member (floats are out of scope). */
	expect_canonical("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\", "
			 "\"literals\": [null, true, false]}",
			 "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

static void test_jcs_more(void **state)
{
	expect_canonical("{}", "{}");
	expect_canonical("[]", "[]");
	expect_canonical("\"x\"", "\"x\"");
	expect_canonical("-0", "0");
	expect_canonical("[9007199254740992,-9007199254740992,0,-1]", "[9007199254740992,-9007199254740992,0,-1]");
	/* Nested objects are sorted at every level; arrays keep their order. */
	expect_canonical("{\"b\":{\"d\":1,\"c\":[{\"z\":1,\"y\":2}]},\"a\":true,\"aa\":false,\"A\":null}",
			 "{\"A\":null,\"a\":true,\"aa\":false,\"b\":{\"c\":[{\"y\":2,\"z\":1}],\"d\":1}}");
	/* UTF-16 order differs from code point order: U+FFFD sorts after U+1F600 (surrogate D83D < FFFD). */
	expect_canonical("{\"\\ufffd\":1,\"\\ud83d\\ude00\":2,\"\\ue000\":3}",
			 "{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":3,\"\xef\xbf\xbd\":1}");
	/* Control characters: short escapes where JSON has them, \u00xx lowercase otherwise; DEL and U+2028
	 * and '/' stay as they are. */
	expect_canonical("\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u2028/\"",
			 "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xe2\x80\xa8/\"");
}

static void test_jcs_all_controls(void **state)
{
	char raw[32];
	json_t *s;
	struct tc_buf out = { 0 };
	const char *p;

	for (int i = 0; i < 32; i++)
		raw[i] = (char)i;
	s = json_stringn(raw, sizeof(raw)); /* contains NUL: only possible for values built in code */
	assert_non_null(s);
	assert_true(tc_is_ok(tc_json_canonical(s, &out)));
	p = (const char *)out.data;
	assert_string_equal(p, "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
			       "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
			       "\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
	json_decref(s);
	tc_buf_cleanup(&out);
}

static void test_jcs_rejections(void **state)
{
	struct tc_buf out = { 0 };
	json_t *v;

	assert_true(tc_is_ok(tc_buf_append_str(&out, "keep")));
	v = parse_ok("{\"a\":[1,{\"b\":1.5}]}");
	assert_int_equal(tc_json_canonical(v, &out).code, TC_ERR_UNSUPPORTED);
	assert_string_equal((char *)out.data, "keep"); /* no half documents */
	json_decref(v);
	v = parse_ok("[9007199254740993]");
	assert_int_equal(tc_json_canonical(v, &out).code, TC_ERR_UNSUPPORTED);
	json_decref(v);
	v = parse_ok("-9007199254740993");
	assert_int_equal(tc_json_canonical(v, &out).code, TC_ERR_UNSUPPORTED);
	json_decref(v);
	/* Invalid UTF-8 can only come from values built with *_nocheck; it is refused, not passed on. */
	v = json_stringn_nocheck("\xc3(", 2);
	assert_int_equal(tc_json_canonical(v, &out).code, TC_ERR_INVALID_ARGUMENT);
	json_decref(v);
	v = json_object();
	json_object_set_new_nocheck(v, "\xff", json_true());
	assert_int_equal(tc_json_canonical(v, &out).code, TC_ERR_INVALID_ARGUMENT);
	json_decref(v);
	assert_int_equal(tc_json_canonical(NULL, &out).code, TC_ERR_INVALID_ARGUMENT);
	/* The buffer's limit applies. */
	tc_buf_cleanup(&out);
	tc_buf_init(&out, 5);
	v = parse_ok("{\"abcdef\":1}");
	assert_int_equal(tc_json_canonical(v, &out).code, TC_ERR_TOO_LARGE);
	assert_int_equal(out.len, 0);
	json_decref(v);
	tc_buf_cleanup(&out);
}

/* Canonical output is a fixed point: parsing it and canonicalizing again gives the same bytes, whatever
 * the input key order. */
static void test_jcs_idempotent(void **state)
{
	json_t *a = parse_ok("{\"z\":[3,2,1],\"m\":{\"q\":\"\\u00e9\",\"b\":null},\"a\":\"\\u001e\"}");
	json_t *b = parse_ok("{\"a\":\"\\u001e\",\"m\":{\"b\":null,\"q\":\"\\u00e9\"},\"z\":[3,2,1]}");
	struct tc_buf ca = { 0 }, cb = { 0 }, cc = { 0 };
	json_t *c;

	assert_true(tc_is_ok(tc_json_canonical(a, &ca)));
	assert_true(tc_is_ok(tc_json_canonical(b, &cb)));
	assert_string_equal((char *)ca.data, (char *)cb.data);
	c = parse_ok((char *)ca.data);
	assert_true(tc_is_ok(tc_json_canonical(c, &cc)));
	assert_string_equal((char *)ca.data, (char *)cc.data);
	assert_true(json_equal(a, c));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	tc_buf_cleanup(&ca);
	tc_buf_cleanup(&cb);
	tc_buf_cleanup(&cc);
}

static void test_dump_and_hex(void **state)
{
	json_t *v = parse_ok("{ \"z\" : 1, \"a\" : [ true, \"x\" ] }");
	struct tc_buf out = { 0 };
	json_t *h;

	assert_true(tc_is_ok(tc_json_dump(v, &out)));
	assert_string_equal((char *)out.data, "{\"z\":1,\"a\":[true,\"x\"]}");
	json_decref(v);
	assert_int_equal(tc_json_dump(NULL, &out).code, TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&out);
	tc_buf_init(&out, 4);
	v = parse_ok("[1,2,3]");
	assert_int_equal(tc_json_dump(v, &out).code, TC_ERR_TOO_LARGE);
	assert_int_equal(out.len, 0);
	json_decref(v);
	tc_buf_cleanup(&out);

	h = tc_json_hex("\x00\xab\xff", 3);
	assert_string_equal(json_string_value(h), "00abff");
	json_decref(h);
	h = tc_json_hex(NULL, 0);
	assert_string_equal(json_string_value(h), "");
	json_decref(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_fields_all_kinds),
		cmocka_unit_test(test_fields_rejections),
		cmocka_unit_test(test_fields_unknown_and_ranges),
		cmocka_unit_test(test_jcs_rfc8785),
		cmocka_unit_test(test_jcs_more),
		cmocka_unit_test(test_jcs_all_controls),
		cmocka_unit_test(test_jcs_rejections),
		cmocka_unit_test(test_jcs_idempotent),
		cmocka_unit_test(test_dump_and_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
