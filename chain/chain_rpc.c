/*
 * chain_rpc.c — Ethereum JSON-RPC 2.0 client over libcurl (docs/anchor.md "RPC client").
 *
 * Specs: JSON-RPC 2.0 (request/response objects, id matching), the Ethereum execution API
 * (ethereum.org "JSON-RPC API": quantities are "0x" + minimal hex digits, unformatted data is "0x" + an even
 * number of digits; block tags latest/pending/safe/finalized), EIP-1474 error codes (-32005 limit
 * exceeded), EIP-1559 eth_feeHistory.
 *
 * Retry policy: a request is tried at most max_attempts times in all. Connection failures, timeouts,
 * HTTP 429 and 5xx, unreadable bodies and JSON-RPC rate-limit errors are retried after an exponential
 * backoff with jitter (half fixed, half random: base * 2^k, capped; a Retry-After header of a 429 is
 * honoured up to the cap), moving to the next URL each time when several are configured. A JSON-RPC error
 * that is not a rate limit is the node's answer and is returned at once (TC_ERR_CHAIN_RPC_ERROR).
 */
#include "chain.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define RPC_DEFAULT_TIMEOUT_MS 10000
#define RPC_DEFAULT_CONNECT_TIMEOUT_MS 3000
#define RPC_DEFAULT_ATTEMPTS 6
#define RPC_DEFAULT_BACKOFF_BASE_MS 200
#define RPC_DEFAULT_BACKOFF_MAX_MS 5000
#define RPC_DEFAULT_LOG_RANGE 5000
#define RPC_QUANTITY_STR_MAX 80 /* "0x" + 64 digits, with room */
#define RPC_LAST_FAILURE_MAX 200
#define RPC_LOG_TOPICS_MAX 4

struct chain_rpc {
	char *urls[CHAIN_RPC_MAX_URLS];
	size_t n_urls;
	size_t current;
	unsigned timeout_ms, connect_timeout_ms, max_attempts, backoff_base_ms, backoff_max_ms;
	CURL *curl;
	struct curl_slist *headers;
	uint64_t next_id;
	struct chain_rpc_stats stats;
	int last_code;
	char last_msg[CHAIN_RPC_ERROR_MSG_MAX];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init_once(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --------------------------------------------------------------------------------------------- set-up */

TC_RESULT chain_rpc_options_parse_urls(char *list, struct chain_rpc_options *opts)
{
	TC_ENSURE(list != NULL && opts != NULL, TC_ERR_INVALID_ARGUMENT,
		  "chain_rpc_options_parse_urls: missing argument");
	opts->n_urls = 0;
	char *p = list;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		TC_ENSURE(*p != '\0', TC_ERR_INVALID_ARGUMENT, "empty URL in the RPC URL list");
		TC_ENSURE(opts->n_urls < CHAIN_RPC_MAX_URLS, TC_ERR_INVALID_ARGUMENT, "more than %d RPC URLs",
			  CHAIN_RPC_MAX_URLS);
		opts->urls[opts->n_urls++] = p;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return tc_ok();
}

static bool url_scheme_ok(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

TC_RESULT chain_rpc_new(const struct chain_rpc_options *opts, struct chain_rpc **out)
{
	TC_ENSURE(opts != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "chain_rpc_new: missing argument");
	TC_ENSURE(opts->n_urls > 0 && opts->n_urls <= CHAIN_RPC_MAX_URLS, TC_ERR_INVALID_ARGUMENT,
		  "between 1 and %d RPC URLs are needed", CHAIN_RPC_MAX_URLS);
	for (size_t i = 0; i < opts->n_urls; i++)
		TC_ENSURE(opts->urls[i] != NULL && url_scheme_ok(opts->urls[i]), TC_ERR_INVALID_ARGUMENT,
			  "RPC URL '%s' is not http:// or https://", opts->urls[i] ? opts->urls[i] : "(null)");
	pthread_once(&curl_once, curl_init_once);
	TC_ENSURE(curl_init_code == CURLE_OK, TC_ERR_INTERNAL, "curl_global_init failed: %s",
		  curl_easy_strerror(curl_init_code));

	struct chain_rpc *rpc = calloc(1, sizeof(*rpc));
	TC_ENSURE(rpc != NULL, TC_ERR_NO_MEMORY, "chain_rpc_new: out of memory");
	rpc->timeout_ms = opts->timeout_ms ? opts->timeout_ms : RPC_DEFAULT_TIMEOUT_MS;
	rpc->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : RPC_DEFAULT_CONNECT_TIMEOUT_MS;
	rpc->max_attempts = opts->max_attempts ? opts->max_attempts : RPC_DEFAULT_ATTEMPTS;
	rpc->backoff_base_ms = opts->backoff_base_ms ? opts->backoff_base_ms : RPC_DEFAULT_BACKOFF_BASE_MS;
	rpc->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms : RPC_DEFAULT_BACKOFF_MAX_MS;
	rpc->next_id = 1;
	rpc->n_urls = opts->n_urls;
	for (size_t i = 0; i < opts->n_urls; i++) {
		rpc->urls[i] = strdup(opts->urls[i]);
		if (rpc->urls[i] == NULL) {
			chain_rpc_free(&rpc);
			return tc_fail(TC_ERR_NO_MEMORY, "chain_rpc_new: out of memory");
		}
	}
	rpc->curl = curl_easy_init();
	rpc->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (rpc->curl == NULL || rpc->headers == NULL) {
		chain_rpc_free(&rpc);
		return tc_fail(TC_ERR_NO_MEMORY, "chain_rpc_new: curl handle");
	}
	*out = rpc;
	return tc_ok();
}

void chain_rpc_free(struct chain_rpc **rpc)
{
	if (rpc == NULL || *rpc == NULL)
		return;
	struct chain_rpc *r = *rpc;
	for (size_t i = 0; i < r->n_urls; i++)
		free(r->urls[i]);
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	curl_slist_free_all(r->headers);
	free(r);
	*rpc = NULL;
}

void chain_rpc_stats(const struct chain_rpc *rpc, struct chain_rpc_stats *out)
{
	*out = rpc->stats;
}

int chain_rpc_last_error(const struct chain_rpc *rpc, const char **message)
{
	if (message != NULL)
		*message = rpc->last_msg;
	return rpc->last_code;
}

/* ------------------------------------------------------------------------------------- value decoding */

static TC_RESULT quantity_digits(const json_t *v, const char **digits, size_t *n)
{
	TC_ENSURE(json_is_string(v), TC_ERR_CHAIN_RPC_ERROR, "quantity is not a string");
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	TC_ENSURE(len >= 3 && s[0] == '0' && s[1] == 'x', TC_ERR_CHAIN_RPC_ERROR,
		  "quantity '%.40s' lacks 0x and digits", s);
	TC_ENSURE(len == 3 || s[2] != '0', TC_ERR_CHAIN_RPC_ERROR, "quantity '%.40s' has leading zeros", s);
	for (size_t i = 2; i < len; i++)
		TC_ENSURE(isxdigit((unsigned char)s[i]), TC_ERR_CHAIN_RPC_ERROR, "quantity '%.40s' is not hex", s);
	*digits = s + 2;
	*n = len - 2;
	return tc_ok();
}

static unsigned hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	return (unsigned)(c - 'A' + 10);
}

TC_RESULT chain_rpc_parse_quantity(const json_t *v, uint64_t *out)
{
	const char *d;
	size_t n;
	TC_GUARD(quantity_digits(v, &d, &n));
	TC_ENSURE(n <= 16, TC_ERR_CHAIN_RPC_ERROR, "quantity 0x%.40s does not fit in 64 bits", d);
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x = (x << 4) | hex_nibble(d[i]);
	*out = x;
	return tc_ok();
}

TC_RESULT chain_rpc_parse_quantity_u256(const json_t *v, struct chain_u256 *out)
{
	const char *d;
	size_t n;
	TC_GUARD(quantity_digits(v, &d, &n));
	TC_ENSURE(n <= 2 * CHAIN_U256_LEN, TC_ERR_CHAIN_RPC_ERROR, "quantity does not fit in 256 bits");
	struct chain_u256 x;
	memset(&x, 0, sizeof(x));
	/* Digit i from the right goes to byte 31 - i/2, low nibble for even i. */
	for (size_t i = 0; i < n; i++) {
		unsigned nib = hex_nibble(d[n - 1 - i]);
		x.be[CHAIN_U256_LEN - 1 - i / 2] |= (uint8_t)(i % 2 == 0 ? nib : nib << 4);
	}
	*out = x;
	return tc_ok();
}

TC_RESULT chain_rpc_parse_data(const json_t *v, struct tc_buf *out)
{
	TC_ENSURE(json_is_string(v), TC_ERR_CHAIN_RPC_ERROR, "data is not a string");
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	TC_ENSURE(len >= 2 && s[0] == '0' && s[1] == 'x', TC_ERR_CHAIN_RPC_ERROR, "data '%.40s' lacks 0x", s);
	TC_ENSURE(len % 2 == 0, TC_ERR_CHAIN_RPC_ERROR, "data '%.40s' has an odd number of digits", s);
	struct tc_result r = tc_hex_decode(s + 2, len - 2, out);
	if (!tc_is_ok(r))
		return tc_fail(r.code == TC_ERR_HEX_INVALID ? TC_ERR_CHAIN_RPC_ERROR : r.code, "data: %s",
			       tc_error_detail());
	return tc_ok();
}

TC_RESULT chain_rpc_parse_fixed(const json_t *v, void *out, size_t len)
{
	TC_ENSURE(json_is_string(v), TC_ERR_CHAIN_RPC_ERROR, "expected a %zu-byte hex string", len);
	const char *s = json_string_value(v);
	size_t slen = json_string_length(v);
	TC_ENSURE(slen == 2 + 2 * len && s[0] == '0' && s[1] == 'x', TC_ERR_CHAIN_RPC_ERROR,
		  "'%.80s' is not 0x + %zu bytes of hex", s, len);
	struct tc_result r = tc_hex_decode_fixed(s + 2, slen - 2, out, len);
	if (!tc_is_ok(r))
		return tc_fail(TC_ERR_CHAIN_RPC_ERROR, "'%.80s': %s", s, tc_error_detail());
	return tc_ok();
}

static json_t *quantity_json(uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "0x%" PRIx64, v);
	return json_string(s);
}

static json_t *data_json(const uint8_t *data, size_t len)
{
	struct tc_buf b;
	tc_buf_init(&b, TC_BUF_DEFAULT_MAX);
	json_t *j = NULL;
	if (tc_is_ok(tc_buf_append_str(&b, "0x")) && tc_is_ok(tc_hex_encode_buf(data, len, &b)))
		j = json_stringn((const char *)b.data, b.len);
	tc_buf_cleanup(&b);
	return j;
}

static json_t *block_ref_json(struct chain_block_ref ref)
{
	switch (ref.tag) {
	case CHAIN_BLOCK_LATEST:
		return json_string("latest");
	case CHAIN_BLOCK_PENDING:
		return json_string("pending");
	case CHAIN_BLOCK_SAFE:
		return json_string("safe");
	case CHAIN_BLOCK_FINALIZED:
		return json_string("finalized");
	case CHAIN_BLOCK_NUMBER:
		break;
	}
	return quantity_json(ref.number);
}

/* ------------------------------------------------------------------------------------------ transport */

struct body_sink {
	struct tc_buf buf;
	bool overflow;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body_sink *sink = userdata;
	size_t n = size * nmemb;
	if (!tc_is_ok(tc_buf_append(&sink->buf, ptr, n))) {
		sink->overflow = true;
		return 0;
	}
	return n;
}

enum attempt_outcome { ATTEMPT_DONE, ATTEMPT_RETRY };

static bool contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* Is a JSON-RPC error a "slow down" rather than the node's answer? */
static bool is_rate_limit(int code, const char *msg)
{
	if (code == 429 || contains_ci(msg, "rate limit") || contains_ci(msg, "too many requests") ||
	    contains_ci(msg, "request limit"))
		return true;
	/* -32005 is also used for "query returned more than N results": that one is an answer. */
	return code == CHAIN_RPC_CODE_LIMIT_EXCEEDED && !contains_ci(msg, "result") && !contains_ci(msg, "range") &&
	       !contains_ci(msg, "block");
}

/*
 * One HTTP round trip to URL. ATTEMPT_DONE with *DOC set (a JSON-RPC response object) or with a failure in
 * *R; ATTEMPT_RETRY with a description in WHY and a server-requested delay in *RETRY_AFTER_MS (0: none).
 */
static enum attempt_outcome attempt_once(struct chain_rpc *rpc, const char *url, const struct tc_buf *body, uint64_t id,
					 json_t **doc, struct tc_result *r, char *why, size_t why_size,
					 unsigned *retry_after_ms)
{
	struct body_sink sink = { .overflow = false };
	tc_buf_init(&sink.buf, CHAIN_RPC_RESPONSE_MAX);
	enum attempt_outcome outcome = ATTEMPT_RETRY;
	*retry_after_ms = 0;
	*doc = NULL;

	CURL *c = rpc->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, rpc->headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body->data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)rpc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)rpc->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "teecert-anchor");

	rpc->stats.attempts++;
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		snprintf(why, why_size, "%s",
			 sink.overflow ? "response larger than the limit" : curl_easy_strerror(cc));
		goto out;
	}
	if (status == 429 || status >= 500) {
		curl_off_t ra = 0;
		if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			*retry_after_ms = ra > 3600 ? 3600u * 1000u : (unsigned)ra * 1000u;
		snprintf(why, why_size, "HTTP %ld", status);
		goto out;
	}
	json_t *parsed = NULL;
	if (!tc_is_ok(tc_json_parse((const char *)sink.buf.data, sink.buf.len, CHAIN_RPC_RESPONSE_MAX, &parsed))) {
		snprintf(why, why_size, "HTTP %ld with an unreadable body: %.120s", status, tc_error_detail());
		goto out;
	}
	json_t *jid = json_object_get(parsed, "id");
	const char *ver = json_string_value(json_object_get(parsed, "jsonrpc"));
	if (!json_is_object(parsed) || ver == NULL || strcmp(ver, "2.0") != 0 || !json_is_integer(jid) ||
	    (uint64_t)json_integer_value(jid) != id) {
		json_decref(parsed);
		snprintf(why, why_size, "HTTP %ld: not a JSON-RPC 2.0 response to request %" PRIu64, status, id);
		goto out;
	}
	json_t *err = json_object_get(parsed, "error");
	if (err != NULL && !json_is_null(err)) {
		json_t *jc = json_object_get(err, "code");
		const char *msg = json_string_value(json_object_get(err, "message"));
		int code = json_is_integer(jc) ? (int)json_integer_value(jc) : 0;
		if (is_rate_limit(code, msg ? msg : "")) {
			json_decref(parsed);
			snprintf(why, why_size, "rate limited (JSON-RPC %d)", code);
			goto out;
		}
	} else if (status != 200) {
		json_decref(parsed);
		snprintf(why, why_size, "HTTP %ld", status);
		goto out;
	}
	*doc = parsed;
	*r = tc_ok();
	outcome = ATTEMPT_DONE;
out:
	tc_buf_cleanup(&sink.buf);
	return outcome;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Wait before retry number K (1-based): half of min(max, base*2^(k-1)) fixed plus a random half. */
static unsigned backoff_ms(const struct chain_rpc *rpc, unsigned k, unsigned server_ms)
{
	uint64_t d = rpc->backoff_base_ms;
	for (unsigned i = 1; i < k && d < rpc->backoff_max_ms; i++)
		d *= 2;
	if (d > rpc->backoff_max_ms)
		d = rpc->backoff_max_ms;
	uint32_t rnd = 0;
	if (!tc_is_ok(tc_random_bytes(&rnd, sizeof(rnd))))
		rnd = 0;
	uint64_t wait = d / 2 + (d / 2 + 1) * (uint64_t)rnd / ((uint64_t)UINT32_MAX + 1);
	if (server_ms > wait)
		wait = server_ms < rpc->backoff_max_ms ? server_ms : rpc->backoff_max_ms;
	return (unsigned)wait;
}

TC_RESULT chain_rpc_call(struct chain_rpc *rpc, const char *method, json_t *params, json_t **result)
{
	struct tc_result r = tc_ok();
	struct tc_buf body;
	tc_buf_init(&body, TC_BUF_DEFAULT_MAX);
	json_t *req = NULL, *doc = NULL;
	if (params == NULL)
		params = json_array();
	TC_ENSURE_GOTO(r, rpc != NULL && method != NULL && result != NULL && params != NULL, out,
		       TC_ERR_INVALID_ARGUMENT, "chain_rpc_call: missing argument");
	rpc->stats.requests++;
	rpc->last_code = 0;
	rpc->last_msg[0] = '\0';
	uint64_t id = rpc->next_id++;
	req = json_pack("{s:s, s:I, s:s, s:O}", "jsonrpc", "2.0", "id", (json_int_t)id, "method", method, "params",
			params);
	TC_ENSURE_GOTO(r, req != NULL, out, TC_ERR_NO_MEMORY, "%s: building the request", method);
	TC_GUARD_GOTO(r, tc_json_dump(req, &body), out);

	char why[RPC_LAST_FAILURE_MAX] = "";
	unsigned server_ms = 0;
	for (unsigned attempt = 0; attempt < rpc->max_attempts; attempt++) {
		if (attempt > 0) {
			rpc->stats.retries++;
			sleep_ms(backoff_ms(rpc, attempt, server_ms));
			if (rpc->n_urls > 1) {
				rpc->current = (rpc->current + 1) % rpc->n_urls;
				rpc->stats.failovers++;
			}
		}
		const char *url = rpc->urls[rpc->current];
		if (attempt_once(rpc, url, &body, id, &doc, &r, why, sizeof(why), &server_ms) == ATTEMPT_DONE)
			break;
		tc_log(TC_LOG_WARN, "chain_rpc_retry", "%s on %s: %s (attempt %u of %u)", method, url, why, attempt + 1,
		       rpc->max_attempts);
	}
	TC_ENSURE_GOTO(r, doc != NULL, out, TC_ERR_CHAIN_UNAVAILABLE,
		       "%s: no RPC endpoint answered after %u attempts; last: %s", method, rpc->max_attempts, why);

	json_t *err = json_object_get(doc, "error");
	if (err != NULL && !json_is_null(err)) {
		json_t *jc = json_object_get(err, "code");
		const char *msg = json_string_value(json_object_get(err, "message"));
		rpc->last_code = json_is_integer(jc) ? (int)json_integer_value(jc) : 0;
		snprintf(rpc->last_msg, sizeof(rpc->last_msg), "%s", msg ? msg : "");
		r = tc_fail(TC_ERR_CHAIN_RPC_ERROR, "%s: node error %d: %s", method, rpc->last_code, rpc->last_msg);
		goto out;
	}
	json_t *res = json_object_get(doc, "result");
	TC_ENSURE_GOTO(r, res != NULL, out, TC_ERR_CHAIN_RPC_ERROR, "%s: response has neither result nor error",
		       method);
	*result = json_incref(res);
out:
	json_decref(doc);
	json_decref(req);
	json_decref(params);
	tc_buf_cleanup(&body);
	return r;
}

/* ------------------------------------------------------------------------------------- typed methods */

/* Call METHOD and decode its result as one quantity. */
static TC_RESULT call_quantity(struct chain_rpc *rpc, const char *method, json_t *params, uint64_t *out)
{
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, method, params, &res));
	uint64_t v;
	struct tc_result r = chain_rpc_parse_quantity(res, &v);
	json_decref(res);
	if (!tc_is_ok(r))
		return tc_fail(r.code, "%s: %s", method, tc_error_detail());
	*out = v;
	return tc_ok();
}

static TC_RESULT call_u256(struct chain_rpc *rpc, const char *method, json_t *params, struct chain_u256 *out)
{
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, method, params, &res));
	struct chain_u256 v;
	struct tc_result r = chain_rpc_parse_quantity_u256(res, &v);
	json_decref(res);
	if (!tc_is_ok(r))
		return tc_fail(r.code, "%s: %s", method, tc_error_detail());
	*out = v;
	return tc_ok();
}

TC_RESULT chain_rpc_chain_id(struct chain_rpc *rpc, uint64_t *out)
{
	return call_quantity(rpc, "eth_chainId", NULL, out);
}

TC_RESULT chain_rpc_block_number(struct chain_rpc *rpc, uint64_t *out)
{
	return call_quantity(rpc, "eth_blockNumber", NULL, out);
}

TC_RESULT chain_rpc_nonce(struct chain_rpc *rpc, const uint8_t addr[CHAIN_ADDRESS_LEN], bool pending, uint64_t *out)
{
	json_t *params = json_pack("[o, s]", data_json(addr, CHAIN_ADDRESS_LEN), pending ? "pending" : "latest");
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_getTransactionCount: out of memory");
	return call_quantity(rpc, "eth_getTransactionCount", params, out);
}

TC_RESULT chain_rpc_gas_price(struct chain_rpc *rpc, struct chain_u256 *out)
{
	return call_u256(rpc, "eth_gasPrice", NULL, out);
}

TC_RESULT chain_rpc_max_priority_fee(struct chain_rpc *rpc, struct chain_u256 *out)
{
	return call_u256(rpc, "eth_maxPriorityFeePerGas", NULL, out);
}

static int u256_cmp_qsort(const void *a, const void *b)
{
	return chain_u256_cmp(a, b);
}

/* eth_feeHistory result: {oldestBlock, baseFeePerGas[blocks+1], gasUsedRatio[blocks], reward[blocks][1]}. */
static TC_RESULT fee_history_parse(const json_t *res, struct chain_fee_suggestion *out)
{
	const json_t *base = json_object_get(res, "baseFeePerGas");
	const json_t *reward = json_object_get(res, "reward");
	TC_ENSURE(json_is_array(base) && json_array_size(base) > 0, TC_ERR_CHAIN_RPC_ERROR,
		  "eth_feeHistory: baseFeePerGas missing");
	struct chain_fee_suggestion s;
	/* The last element is the base fee of the block after the newest one (EIP-1559 update rule). */
	TC_GUARD(chain_rpc_parse_quantity_u256(json_array_get(base, json_array_size(base) - 1), &s.base_fee));
	chain_u256_from_u64(&s.priority_fee, 0);
	size_t n = json_is_array(reward) ? json_array_size(reward) : 0;
	if (n > 0) {
		struct chain_u256 *v = calloc(n, sizeof(*v));
		TC_ENSURE(v != NULL, TC_ERR_NO_MEMORY, "eth_feeHistory: out of memory");
		for (size_t i = 0; i < n; i++) {
			const json_t *row = json_array_get(reward, i);
			struct tc_result r =
				json_is_array(row) && json_array_size(row) == 1 ?
					chain_rpc_parse_quantity_u256(json_array_get(row, 0), &v[i]) :
					tc_fail(TC_ERR_CHAIN_RPC_ERROR, "eth_feeHistory: reward row %zu", i);
			if (!tc_is_ok(r)) {
				free(v);
				return r;
			}
		}
		qsort(v, n, sizeof(*v), u256_cmp_qsort);
		s.priority_fee = v[n / 2];
		free(v);
	}
	*out = s;
	return tc_ok();
}

TC_RESULT chain_rpc_fee_suggestion(struct chain_rpc *rpc, unsigned blocks, unsigned percentile,
				   struct chain_fee_suggestion *out)
{
	TC_ENSURE(blocks > 0 && blocks <= 1024 && percentile <= 100, TC_ERR_INVALID_ARGUMENT,
		  "fee history: blocks 1..1024, percentile 0..100");
	json_t *params = json_pack("[o, s, [i]]", quantity_json(blocks), "latest", (int)percentile);
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_feeHistory: out of memory");
	json_t *res;
	struct tc_result r = chain_rpc_call(rpc, "eth_feeHistory", params, &res);
	if (tc_is_ok(r)) {
		r = fee_history_parse(res, out);
		json_decref(res);
		return r;
	}
	if (r.code != TC_ERR_CHAIN_RPC_ERROR || rpc->last_code == 0)
		return r;
	/* The node answered but has no eth_feeHistory: the legacy methods. */
	tc_log(TC_LOG_INFO, "chain_fee_fallback", "eth_feeHistory unavailable (%s); using eth_gasPrice", rpc->last_msg);
	struct chain_fee_suggestion s;
	TC_GUARD(chain_rpc_gas_price(rpc, &s.base_fee));
	if (!tc_is_ok(chain_rpc_max_priority_fee(rpc, &s.priority_fee)))
		chain_u256_from_u64(&s.priority_fee, 0);
	*out = s;
	return tc_ok();
}

TC_RESULT chain_rpc_estimate_gas(struct chain_rpc *rpc, const uint8_t from[CHAIN_ADDRESS_LEN], const uint8_t *to,
				 const uint8_t *data, size_t len, uint64_t *out)
{
	json_t *call =
		json_pack("{s:o, s:o}", "from", data_json(from, CHAIN_ADDRESS_LEN), "data", data_json(data, len));
	TC_ENSURE(call != NULL, TC_ERR_NO_MEMORY, "eth_estimateGas: out of memory");
	if (to != NULL && json_object_set_new(call, "to", data_json(to, CHAIN_ADDRESS_LEN)) != 0) {
		json_decref(call);
		return tc_fail(TC_ERR_NO_MEMORY, "eth_estimateGas: out of memory");
	}
	json_t *params = json_pack("[o]", call);
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_estimateGas: out of memory");
	return call_quantity(rpc, "eth_estimateGas", params, out);
}

TC_RESULT chain_rpc_send_raw(struct chain_rpc *rpc, const uint8_t *raw, size_t len, uint8_t tx_hash[CHAIN_HASH_LEN])
{
	json_t *params = json_pack("[o]", data_json(raw, len));
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_sendRawTransaction: out of memory");
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, "eth_sendRawTransaction", params, &res));
	uint8_t h[CHAIN_HASH_LEN];
	struct tc_result r = chain_rpc_parse_fixed(res, h, sizeof(h));
	json_decref(res);
	TC_GUARD(r);
	if (tx_hash != NULL)
		memcpy(tx_hash, h, sizeof(h));
	return tc_ok();
}

static TC_RESULT receipt_parse(const json_t *o, struct chain_receipt *out)
{
	TC_ENSURE(json_is_object(o), TC_ERR_CHAIN_RPC_ERROR, "receipt is not an object");
	struct chain_receipt rc;
	memset(&rc, 0, sizeof(rc));
	uint64_t status;
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "transactionHash"), rc.tx_hash, CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "blockNumber"), &rc.block_number));
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "blockHash"), rc.block_hash, CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "status"), &status));
	TC_ENSURE(status <= 1, TC_ERR_CHAIN_RPC_ERROR, "receipt status %" PRIu64, status);
	rc.status = status == 1;
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "gasUsed"), &rc.gas_used));
	const json_t *egp = json_object_get(o, "effectiveGasPrice");
	if (egp != NULL && !json_is_null(egp))
		TC_GUARD(chain_rpc_parse_quantity_u256(egp, &rc.effective_gas_price));
	const json_t *ca = json_object_get(o, "contractAddress");
	if (ca != NULL && !json_is_null(ca)) {
		TC_GUARD(chain_rpc_parse_fixed(ca, rc.contract_address, CHAIN_ADDRESS_LEN));
		rc.has_contract_address = true;
	}
	*out = rc;
	return tc_ok();
}

TC_RESULT chain_rpc_receipt(struct chain_rpc *rpc, const uint8_t tx_hash[CHAIN_HASH_LEN], struct chain_receipt *out,
			    bool *found)
{
	json_t *params = json_pack("[o]", data_json(tx_hash, CHAIN_HASH_LEN));
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_getTransactionReceipt: out of memory");
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, "eth_getTransactionReceipt", params, &res));
	struct tc_result r = tc_ok();
	if (json_is_null(res)) {
		*found = false;
	} else {
		r = receipt_parse(res, out);
		if (tc_is_ok(r))
			*found = true;
		else
			r = tc_fail(r.code, "eth_getTransactionReceipt: %s", tc_error_detail());
	}
	json_decref(res);
	return r;
}

TC_RESULT chain_rpc_tx_known(struct chain_rpc *rpc, const uint8_t tx_hash[CHAIN_HASH_LEN], bool *known)
{
	json_t *params = json_pack("[o]", data_json(tx_hash, CHAIN_HASH_LEN));
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_getTransactionByHash: out of memory");
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, "eth_getTransactionByHash", params, &res));
	struct tc_result r = tc_ok();
	if (json_is_null(res)) {
		*known = false;
	} else {
		uint8_t h[CHAIN_HASH_LEN];
		r = chain_rpc_parse_fixed(json_object_get(res, "hash"), h, sizeof(h));
		if (tc_is_ok(r) && memcmp(h, tx_hash, sizeof(h)) != 0)
			r = tc_fail(TC_ERR_CHAIN_RPC_ERROR, "eth_getTransactionByHash answered another transaction");
		if (tc_is_ok(r))
			*known = true;
	}
	json_decref(res);
	return r;
}

static TC_RESULT block_parse(const json_t *o, struct chain_block *out)
{
	TC_ENSURE(json_is_object(o), TC_ERR_CHAIN_RPC_ERROR, "block is not an object");
	struct chain_block b;
	memset(&b, 0, sizeof(b));
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "number"), &b.number));
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "hash"), b.hash, CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "parentHash"), b.parent_hash, CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "timestamp"), &b.timestamp));
	const json_t *bf = json_object_get(o, "baseFeePerGas");
	if (bf != NULL && !json_is_null(bf)) {
		TC_GUARD(chain_rpc_parse_quantity_u256(bf, &b.base_fee_per_gas));
		b.has_base_fee = true;
	}
	*out = b;
	return tc_ok();
}

TC_RESULT chain_rpc_block(struct chain_rpc *rpc, struct chain_block_ref ref, struct chain_block *out, bool *found)
{
	json_t *params = json_pack("[o, b]", block_ref_json(ref), 0);
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_getBlockByNumber: out of memory");
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, "eth_getBlockByNumber", params, &res));
	struct tc_result r = tc_ok();
	if (json_is_null(res)) {
		*found = false;
	} else {
		r = block_parse(res, out);
		if (tc_is_ok(r))
			*found = true;
		else
			r = tc_fail(r.code, "eth_getBlockByNumber: %s", tc_error_detail());
	}
	json_decref(res);
	return r;
}

TC_RESULT chain_rpc_eth_call(struct chain_rpc *rpc, const uint8_t to[CHAIN_ADDRESS_LEN], const uint8_t *data,
			     size_t len, struct chain_block_ref ref, struct tc_buf *out)
{
	json_t *params = json_pack("[{s:o, s:o}, o]", "to", data_json(to, CHAIN_ADDRESS_LEN), "data",
				   data_json(data, len), block_ref_json(ref));
	TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_call: out of memory");
	json_t *res;
	TC_GUARD(chain_rpc_call(rpc, "eth_call", params, &res));
	struct tc_result r = chain_rpc_parse_data(res, out);
	json_decref(res);
	return r;
}

/* --------------------------------------------------------------------------------------------- logs */

static TC_RESULT log_parse_and_emit(const json_t *o, chain_log_fn fn, void *ctx)
{
	TC_ENSURE(json_is_object(o), TC_ERR_CHAIN_RPC_ERROR, "eth_getLogs: entry is not an object");
	struct chain_log lg;
	memset(&lg, 0, sizeof(lg));
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "address"), lg.address, CHAIN_ADDRESS_LEN));
	const json_t *topics = json_object_get(o, "topics");
	TC_ENSURE(json_is_array(topics) && json_array_size(topics) <= RPC_LOG_TOPICS_MAX, TC_ERR_CHAIN_RPC_ERROR,
		  "eth_getLogs: topics must be an array of at most 4");
	lg.n_topics = json_array_size(topics);
	for (size_t i = 0; i < lg.n_topics; i++)
		TC_GUARD(chain_rpc_parse_fixed(json_array_get(topics, i), lg.topics[i], CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "blockNumber"), &lg.block_number));
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "blockHash"), lg.block_hash, CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_fixed(json_object_get(o, "transactionHash"), lg.tx_hash, CHAIN_HASH_LEN));
	TC_GUARD(chain_rpc_parse_quantity(json_object_get(o, "logIndex"), &lg.log_index));
	const json_t *removed = json_object_get(o, "removed");
	lg.removed = json_is_true(removed);
	struct tc_buf data;
	tc_buf_init(&data, CHAIN_RPC_RESPONSE_MAX);
	struct tc_result r = chain_rpc_parse_data(json_object_get(o, "data"), &data);
	if (tc_is_ok(r)) {
		lg.data = data.data;
		lg.data_len = data.len;
		r = fn(ctx, &lg);
	}
	tc_buf_cleanup(&data);
	return r;
}

/* Does the node's error say the range or the result set was too large? */
static bool logs_range_too_large(const char *msg)
{
	return contains_ci(msg, "range") || contains_ci(msg, "too many") || contains_ci(msg, "more than") ||
	       contains_ci(msg, "limit") || contains_ci(msg, "exceed");
}

TC_RESULT chain_rpc_get_logs(struct chain_rpc *rpc, const uint8_t address[CHAIN_ADDRESS_LEN], const uint8_t *topic0,
			     uint64_t from, uint64_t to, uint64_t range, chain_log_fn fn, void *ctx)
{
	TC_ENSURE(rpc != NULL && address != NULL && fn != NULL, TC_ERR_INVALID_ARGUMENT,
		  "eth_getLogs: missing argument");
	TC_ENSURE(from <= to, TC_ERR_INVALID_ARGUMENT, "eth_getLogs: from %" PRIu64 " > to %" PRIu64, from, to);
	if (range == 0)
		range = RPC_DEFAULT_LOG_RANGE;
	uint64_t start = from;
	for (;;) {
		uint64_t end = to - start + 1 > range ? start + range - 1 : to;
		json_t *filter = json_pack("{s:o, s:o, s:o}", "address", data_json(address, CHAIN_ADDRESS_LEN),
					   "fromBlock", quantity_json(start), "toBlock", quantity_json(end));
		TC_ENSURE(filter != NULL, TC_ERR_NO_MEMORY, "eth_getLogs: out of memory");
		if (topic0 != NULL &&
		    json_object_set_new(filter, "topics", json_pack("[o]", data_json(topic0, CHAIN_HASH_LEN))) != 0) {
			json_decref(filter);
			return tc_fail(TC_ERR_NO_MEMORY, "eth_getLogs: out of memory");
		}
		json_t *params = json_pack("[o]", filter);
		TC_ENSURE(params != NULL, TC_ERR_NO_MEMORY, "eth_getLogs: out of memory");
		json_t *res;
		struct tc_result r = chain_rpc_call(rpc, "eth_getLogs", params, &res);
		if (!tc_is_ok(r)) {
			if (r.code == TC_ERR_CHAIN_RPC_ERROR && rpc->last_code != 0 && end > start &&
			    logs_range_too_large(rpc->last_msg)) {
				range = (end - start + 1) / 2;
				tc_log(TC_LOG_INFO, "chain_logs_range",
				       "node refused %" PRIu64 " blocks (%s); asking %" PRIu64, end - start + 1,
				       rpc->last_msg, range);
				continue;
			}
			return r;
		}
		if (!json_is_array(res)) {
			json_decref(res);
			return tc_fail(TC_ERR_CHAIN_RPC_ERROR, "eth_getLogs: result is not an array");
		}
		size_t i;
		json_t *entry;
		json_array_foreach(res, i, entry) {
			r = log_parse_and_emit(entry, fn, ctx);
			if (!tc_is_ok(r)) {
				json_decref(res);
				return r;
			}
		}
		json_decref(res);
		if (end == to)
			break;
		start = end + 1;
	}
	return tc_ok();
}
