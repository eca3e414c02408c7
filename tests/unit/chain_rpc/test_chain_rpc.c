/*
 * test_chain_rpc.c — the JSON-RPC client: strict quantity/data decoding, retries with backoff on HTTP
 * 429/5xx and JSON-RPC rate limits, no retry on a node's real error, failover from a dead URL, the typed
 * methods' parsing (receipt, block, fee history) and eth_getLogs paging. The node is a canned HTTP server
 * on 127.0.0.1 run by a thread of this test.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain.h"

#define MAX_SCRIPT 32
#define REQ_MAX 65536

/* One canned answer: HTTP status and either a result, an error object or a raw body. */
struct canned {
	int status;
	const char *result; /* JSON text of "result" */
	const char *error;  /* JSON text of "error" */
	const char *raw;    /* whole body as is */
};

struct server {
	int fd;
	int port;
	pthread_t thread;
	struct canned script[MAX_SCRIPT];
	size_t n, next;
	int requests;
	char last_body[MAX_SCRIPT][1024];
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	for (;;) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		static char req[REQ_MAX];
		size_t len = 0;
		char *body = NULL;
		size_t want = 0;
		while (len < sizeof(req) - 1) {
			ssize_t r = read(c, req + len, sizeof(req) - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			req[len] = '\0';
			char *hdr_end = strstr(req, "\r\n\r\n");
			if (hdr_end != NULL) {
				char *cl = strcasestr(req, "Content-Length:");
				want = cl ? strtoul(cl + 15, NULL, 10) : 0;
				body = hdr_end + 4;
				if ((size_t)(req + len - body) >= want)
					break;
			}
		}
		unsigned long long id = 0;
		char *idp = body ? strstr(body, "\"id\":") : NULL;
		if (idp != NULL)
			id = strtoull(idp + 5, NULL, 10);
		const struct canned *k = s->next < s->n ? &s->script[s->next] : NULL;
		if (s->next < MAX_SCRIPT && body != NULL)
			snprintf(s->last_body[s->next], sizeof(s->last_body[0]), "%s", body);
		s->next++;
		s->requests++;
		char out[8192];
		char payload[6000];
		if (k == NULL)
			snprintf(
				payload, sizeof(payload),
				"{\"jsonrpc\":\"2.0\",\"id\":%llu,\"error\":{\"code\":-1,\"message\":\"script exhausted\"}}",
				id);
		else if (k->raw != NULL)
			snprintf(payload, sizeof(payload), "%s", k->raw);
		else if (k->error != NULL)
			snprintf(payload, sizeof(payload), "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"error\":%s}", id,
				 k->error);
		else
			snprintf(payload, sizeof(payload), "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"result\":%s}", id,
				 k->result);
		int status = k ? k->status : 200;
		int n = snprintf(out, sizeof(out),
				 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s"
				 "Connection: close\r\n\r\n%s",
				 status, strlen(payload), status == 429 ? "Retry-After: 0\r\n" : "", payload);
		write_all(c, out, (size_t)n);
		close(c);
	}
}

static void server_start(struct server *s)
{
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 16), 0);
	socklen_t al = sizeof(a);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
}

static void push(struct server *s, struct canned c)
{
	assert_true(s->n < MAX_SCRIPT);
	s->script[s->n++] = c;
}

static struct chain_rpc *client(const struct server *s, const char *first_url)
{
	static char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
	struct chain_rpc_options o;
	memset(&o, 0, sizeof(o));
	if (first_url != NULL)
		o.urls[o.n_urls++] = first_url;
	o.urls[o.n_urls++] = url;
	o.backoff_base_ms = 5;
	o.backoff_max_ms = 20;
	o.max_attempts = 4;
	o.timeout_ms = 2000;
	struct chain_rpc *rpc = NULL;
	assert_int_equal(chain_rpc_new(&o, &rpc).code, TC_OK);
	return rpc;
}

static void test_quantity_strict(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		bool ok;
		uint64_t v;
	} cases[] = {
		{ "\"0x0\"", true, 0 },    { "\"0x1\"", true, 1 },
		{ "\"0xcc\"", true, 204 }, { "\"0xFFFFFFFFFFFFFFFF\"", true, UINT64_MAX },
		{ "\"0x\"", false, 0 },    { "\"0x01\"", false, 0 },
		{ "\"0x00\"", false, 0 },  { "\"cc\"", false, 0 },
		{ "\"0x1g\"", false, 0 },  { "\"0x10000000000000000\"", false, 0 },
		{ "204", false, 0 },       { "\"0X1\"", false, 0 },
		{ "\" 0x1\"", false, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		uint64_t v = 0;
		struct tc_result r = chain_rpc_parse_quantity(j, &v);
		json_decref(j);
		if (cases[i].ok) {
			assert_int_equal(r.code, TC_OK);
			assert_true(v == cases[i].v);
		} else {
			assert_int_equal(r.code, TC_ERR_CHAIN_RPC_ERROR);
		}
	}
	json_t *big = json_string("0x1000000000000000000000000000000000000000000000000000000000000000");
	struct chain_u256 u;
	assert_int_equal(chain_rpc_parse_quantity_u256(big, &u).code, TC_OK);
	assert_int_equal(u.be[0], 0x10);
	json_decref(big);
	json_t *odd = json_string("0xabc");
	struct tc_buf b;
	tc_buf_init(&b, 1024);
	assert_int_equal(chain_rpc_parse_data(odd, &b).code, TC_ERR_CHAIN_RPC_ERROR);
	json_decref(odd);
	json_t *ok = json_string("0xabcd");
	assert_int_equal(chain_rpc_parse_data(ok, &b).code, TC_OK);
	assert_int_equal(b.len, 2);
	json_decref(ok);
	tc_buf_cleanup(&b);
}

static void test_retry_then_success(void **state)
{
	(void)state;
	struct server s;
	memset(&s, 0, sizeof(s));
	push(&s, (struct canned){ .status = 500, .raw = "oops" });
	push(&s, (struct canned){ .status = 429, .raw = "slow down" });
	push(&s,
	     (struct canned){ .status = 200, .error = "{\"code\":-32005,\"message\":\"request rate limit reached\"}" });
	push(&s, (struct canned){ .status = 200, .result = "\"0xcc\"" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, NULL);
	uint64_t id = 0;
	assert_int_equal(chain_rpc_chain_id(rpc, &id).code, TC_OK);
	assert_int_equal(id, 204);
	struct chain_rpc_stats st;
	chain_rpc_stats(rpc, &st);
	assert_int_equal(st.attempts, 4);
	assert_int_equal(st.retries, 3);
	assert_int_equal(s.requests, 4);
	chain_rpc_free(&rpc);
	server_stop(&s);
}

static void test_gives_up(void **state)
{
	(void)state;
	struct server s;
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 4; i++)
		push(&s, (struct canned){ .status = 503, .raw = "down" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, NULL);
	uint64_t n;
	assert_int_equal(chain_rpc_block_number(rpc, &n).code, TC_ERR_CHAIN_UNAVAILABLE);
	assert_int_equal(s.requests, 4);
	chain_rpc_free(&rpc);
	server_stop(&s);
}

static void test_node_error_not_retried(void **state)
{
	(void)state;
	struct server s;
	memset(&s, 0, sizeof(s));
	push(&s, (struct canned){ .status = 200, .error = "{\"code\":-32000,\"message\":\"nonce too low\"}" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, NULL);
	uint8_t raw[3] = { 1, 2, 3 };
	assert_int_equal(chain_rpc_send_raw(rpc, raw, sizeof(raw), NULL).code, TC_ERR_CHAIN_RPC_ERROR);
	const char *msg;
	assert_int_equal(chain_rpc_last_error(rpc, &msg), -32000);
	assert_string_equal(msg, "nonce too low");
	assert_int_equal(s.requests, 1);
	assert_non_null(strstr(s.last_body[0], "\"0x010203\""));
	chain_rpc_free(&rpc);
	server_stop(&s);
}

static void test_malformed_and_wrong_id(void **state)
{
	(void)state;
	struct server s;
	memset(&s, 0, sizeof(s));
	push(&s, (struct canned){ .status = 200, .raw = "{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":\"0x1\"}" });
	push(&s, (struct canned){ .status = 200, .raw = "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"result\":\"0x1\"}" });
	push(&s, (struct canned){ .status = 200, .result = "\"0x01\"" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, NULL);
	uint64_t n;
	/* Two unusable answers are retried, then the third parses but has a non-minimal quantity. */
	assert_int_equal(chain_rpc_block_number(rpc, &n).code, TC_ERR_CHAIN_RPC_ERROR);
	assert_int_equal(s.requests, 3);
	chain_rpc_free(&rpc);
	server_stop(&s);
}

static void test_failover(void **state)
{
	(void)state;
	/* A port nobody listens on: bind, read the port, close. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	char dead[64];
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	close(fd);

	struct server s;
	memset(&s, 0, sizeof(s));
	push(&s, (struct canned){ .status = 200, .result = "\"0x10\"" });
	push(&s, (struct canned){ .status = 200, .result = "\"0x11\"" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, dead);
	uint64_t n = 0;
	assert_int_equal(chain_rpc_block_number(rpc, &n).code, TC_OK);
	assert_int_equal(n, 16);
	/* The client stays on the URL that worked. */
	assert_int_equal(chain_rpc_block_number(rpc, &n).code, TC_OK);
	assert_int_equal(n, 17);
	struct chain_rpc_stats st;
	chain_rpc_stats(rpc, &st);
	assert_int_equal(st.failovers, 1);
	chain_rpc_free(&rpc);
	server_stop(&s);
}

#define H32 "0x1111111111111111111111111111111111111111111111111111111111111111"
#define H32B "0x2222222222222222222222222222222222222222222222222222222222222222"

static void test_receipt_block_fees(void **state)
{
	(void)state;
	struct server s;
	memset(&s, 0, sizeof(s));
	push(&s, (struct canned){ .status = 200, .result = "null" });
	push(&s,
	     (struct canned){
		     .status = 200,
		     .result =
			     "{\"transactionHash\":\"" H32 "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" H32B
			     "\",\"status\":\"0x1\","
			     "\"gasUsed\":\"0x5208\",\"effectiveGasPrice\":\"0x3b9aca00\",\"contractAddress\":null,\"logs\":[]}" });
	push(&s,
	     (struct canned){
		     .status = 200,
		     .result =
			     "{\"transactionHash\":\"" H32
			     "\",\"blockNumber\":\"0x5\",\"blockHash\":\"0x22\",\"status\":\"0x1\",\"gasUsed\":\"0x1\"}" });
	push(&s, (struct canned){ .status = 200,
				  .result = "{\"number\":\"0x7\",\"hash\":\"" H32B "\",\"parentHash\":\"" H32
					    "\",\"timestamp\":\"0x64\",\"baseFeePerGas\":\"0x7\"}" });
	push(&s,
	     (struct canned){
		     .status = 200,
		     .result =
			     "{\"oldestBlock\":\"0x1\",\"baseFeePerGas\":[\"0x1\",\"0x2\",\"0x3\",\"0x9\"],\"gasUsedRatio\":[0.5,0.5,0.5],"
			     "\"reward\":[[\"0x5\"],[\"0x1\"],[\"0x3\"]]}" });
	push(&s, (struct canned){ .status = 200, .error = "{\"code\":-32601,\"message\":\"method not found\"}" });
	push(&s, (struct canned){ .status = 200, .result = "\"0x64\"" });
	push(&s, (struct canned){ .status = 200, .result = "\"0x2\"" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, NULL);
	uint8_t h[CHAIN_HASH_LEN];
	memset(h, 0x11, sizeof(h));
	struct chain_receipt rc;
	bool found = true;
	assert_int_equal(chain_rpc_receipt(rpc, h, &rc, &found).code, TC_OK);
	assert_false(found);
	assert_int_equal(chain_rpc_receipt(rpc, h, &rc, &found).code, TC_OK);
	assert_true(found && rc.status && rc.block_number == 5 && rc.gas_used == 21000 && !rc.has_contract_address);
	assert_int_equal(rc.block_hash[31], 0x22);
	assert_int_equal(chain_rpc_receipt(rpc, h, &rc, &found).code, TC_ERR_CHAIN_RPC_ERROR); /* short block hash */
	struct chain_block b;
	struct chain_block_ref ref = { .tag = CHAIN_BLOCK_FINALIZED };
	assert_int_equal(chain_rpc_block(rpc, ref, &b, &found).code, TC_OK);
	assert_true(found && b.number == 7 && b.timestamp == 100 && b.has_base_fee);
	assert_non_null(strstr(s.last_body[3], "\"finalized\""));
	struct chain_fee_suggestion fs;
	assert_int_equal(chain_rpc_fee_suggestion(rpc, 3, 50, &fs).code, TC_OK);
	uint64_t v;
	assert_int_equal(chain_u256_to_u64(&fs.base_fee, &v).code, TC_OK);
	assert_int_equal(v, 9);
	assert_int_equal(chain_u256_to_u64(&fs.priority_fee, &v).code, TC_OK);
	assert_int_equal(v, 3); /* median of 5, 1, 3 */
	/* No eth_feeHistory: falls back to eth_gasPrice and eth_maxPriorityFeePerGas. */
	assert_int_equal(chain_rpc_fee_suggestion(rpc, 3, 50, &fs).code, TC_OK);
	assert_int_equal(chain_u256_to_u64(&fs.base_fee, &v).code, TC_OK);
	assert_int_equal(v, 100);
	assert_int_equal(chain_u256_to_u64(&fs.priority_fee, &v).code, TC_OK);
	assert_int_equal(v, 2);
	chain_rpc_free(&rpc);
	server_stop(&s);
}

static struct tc_result count_log(void *ctx, const struct chain_log *lg)
{
	int *n = ctx;
	assert_int_equal(lg->n_topics, 2);
	assert_int_equal(lg->data_len, 64);
	(*n)++;
	return tc_ok();
}

#define LOG_ENTRY                                                                                                         \
	"{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[\"" H32 "\",\"" H32B "\"],"              \
	"\"data\":\"0x"                                                                                                   \
	"0000000000000000000000000000000000000000000000000000000000000001"                                                \
	"0000000000000000000000000000000000000000000000000000000000000000\",\"blockNumber\":\"0x3\",\"blockHash\":\"" H32 \
	"\",\"transactionHash\":\"" H32B "\",\"logIndex\":\"0x0\",\"removed\":false}"

static void test_get_logs_paging(void **state)
{
	(void)state;
	struct server s;
	memset(&s, 0, sizeof(s));
	/* Blocks 0..24 in ranges of 10: 0-9 refused as too large, then 0-4, 5-9 (halved), 10-14, 15-19, 20-24. */
	push(&s,
	     (struct canned){ .status = 200,
			      .error = "{\"code\":-32005,\"message\":\"query returned more than 10000 results\"}" });
	push(&s, (struct canned){ .status = 200, .result = "[" LOG_ENTRY "]" });
	push(&s, (struct canned){ .status = 200, .result = "[]" });
	push(&s, (struct canned){ .status = 200, .result = "[" LOG_ENTRY "," LOG_ENTRY "]" });
	push(&s, (struct canned){ .status = 200, .result = "[]" });
	push(&s, (struct canned){ .status = 200, .result = "[" LOG_ENTRY "]" });
	server_start(&s);
	struct chain_rpc *rpc = client(&s, NULL);
	uint8_t addr[CHAIN_ADDRESS_LEN] = { 0 };
	int n = 0;
	assert_int_equal(chain_rpc_get_logs(rpc, addr, NULL, 0, 24, 10, count_log, &n).code, TC_OK);
	assert_int_equal(n, 4);
	assert_int_equal(s.requests, 6);
	assert_non_null(strstr(s.last_body[1], "\"fromBlock\":\"0x0\""));
	assert_non_null(strstr(s.last_body[1], "\"toBlock\":\"0x4\""));
	assert_non_null(strstr(s.last_body[5], "\"toBlock\":\"0x18\""));
	chain_rpc_free(&rpc);
	server_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantity_strict),
		cmocka_unit_test(test_retry_then_success),
		cmocka_unit_test(test_gives_up),
		cmocka_unit_test(test_node_error_not_retried),
		cmocka_unit_test(test_malformed_and_wrong_id),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_receipt_block_fees),
		cmocka_unit_test(test_get_logs_paging),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
