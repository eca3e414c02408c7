/*
 * fuzz_json_body.c — fuzzes the path every API request body takes: tc_json_parse (size limit, duplicate
 * keys), a field spec shaped like POST /v1/certificates, and RFC 8785 canonicalization of the document and
 * of workload_info. Beyond "no crash" it checks properties that must hold for any input:
 *   - a failure always carries a known error code and a detail,
 *   - canonical JSON re-parses to an equal value and is a fixed point (canon(parse(canon(x))) == canon(x)).
 */
#include <stdlib.h>
#include <string.h>

#include "tc.h"

#define FUZZ_BODY_MAX ((size_t)64 * 1024)
#define FUZZ_NONCE_LEN 32
#define FUZZ_CSR_MAX 16384
#define FUZZ_DAYS_MAX 90
#define FUZZ_GPUS_MAX 8

static void fuzz_check_failure(struct tc_result r)
{
	if (tc_is_ok(r))
		return;
	if (r.code <= TC_OK || r.code >= TC_ERR__COUNT || tc_error_detail()[0] == '\0')
		abort();
}

/* canon(parse(canon(v))) must equal canon(v). */
static void fuzz_canonical(const json_t *v)
{
	struct tc_buf first = { 0 }, second = { 0 };
	json_t *again = NULL;
	struct tc_result r = tc_json_canonical(v, &first);

	fuzz_check_failure(r);
	if (!tc_is_ok(r))
		goto out;
	r = tc_json_parse((const char *)first.data, first.len, TC_BUF_DEFAULT_MAX, &again);
	if (!tc_is_ok(r))
		abort(); /* canonical output is always valid JSON */
	if (!json_equal(v, again))
		abort();
	if (!tc_is_ok(tc_json_canonical(again, &second)))
		abort();
	if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
		abort();
out:
	json_decref(again);
	tc_buf_cleanup(&first);
	tc_buf_cleanup(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = NULL, *evidence = NULL, *gpus = NULL, *workload_info = NULL;
	struct tc_buf nonce = { 0 }, csr = { 0 }, dump = { 0 };
	const char *kind = NULL;
	int64_t days = 0, not_after = 0;
	bool renew = false;
	const struct tc_json_field spec[] = {
		{ .name = "kind", .kind = TC_JSON_STRING, .required = true, .out = &kind, .max_len = 16 },
		{ .name = "nonce", .kind = TC_JSON_HEX, .required = true, .out = &nonce, .exact_len = FUZZ_NONCE_LEN },
		{ .name = "csr", .kind = TC_JSON_BASE64, .required = true, .out = &csr, .max_len = FUZZ_CSR_MAX },
		{ .name = "evidence", .kind = TC_JSON_OBJECT, .out = &evidence },
		{ .name = "days", .kind = TC_JSON_INT, .out = &days, .min = 1, .max = FUZZ_DAYS_MAX },
		{ .name = "renew", .kind = TC_JSON_BOOL, .out = &renew },
		{ .name = "gpus", .kind = TC_JSON_ARRAY, .out = &gpus, .max_len = FUZZ_GPUS_MAX },
		{ .name = "not_after", .kind = TC_JSON_TIME, .out = &not_after },
		{ .name = "workload_info", .kind = TC_JSON_ANY, .out = &workload_info },
	};
	struct tc_result r = tc_json_parse((const char *)data, size, FUZZ_BODY_MAX, &body);

	fuzz_check_failure(r);
	if (!tc_is_ok(r))
		return 0;
	fuzz_canonical(body);
	fuzz_check_failure(tc_json_dump(body, &dump));

	r = tc_json_fields(body, spec, sizeof(spec) / sizeof(spec[0]), false);
	fuzz_check_failure(r);
	if (tc_is_ok(r)) {
		if (nonce.len != FUZZ_NONCE_LEN || csr.len > FUZZ_CSR_MAX || kind == NULL || strlen(kind) > 16)
			abort();
		if (workload_info != NULL)
			fuzz_canonical(workload_info);
	}
	/* The lenient variant must accept everything the strict one does. */
	fuzz_check_failure(tc_json_fields(body, spec, sizeof(spec) / sizeof(spec[0]), true));

	tc_buf_cleanup(&nonce);
	tc_buf_cleanup(&csr);
	tc_buf_cleanup(&dump);
	json_decref(body);
	return 0;
}
