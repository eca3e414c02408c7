/*
 * api_server.c — the libmicrohttpd glue: start/stop, routing a request to its handler, body limits, the
 * error shape, the access log and metrics of every request, and the graceful shutdown.
 *
 * Threading model, two of them (api_config.thread_per_connection):
 *   - a thread per connection (MHD_USE_THREAD_PER_CONNECTION, poll), at most --max-connections: the CA
 *     always, the verifier by default. A handler that waits only holds up its own connection: an issuance
 *     waiting for its batch's commit (api_ca_batch.c, tens of milliseconds under load), a verification
 *     whose collateral is fetched from the vendor (api_collateral_resolve.c, seconds when the vendor is
 *     slow), a database round trip.
 *   - a pool of --threads N workers (MHD_OPTION_THREAD_POOL_SIZE, epoll), the verifier's opt-in: an idle
 *     keep-alive connection costs an epoll registration instead of a thread, and the thread count stays
 *     fixed. But a worker owns the connections it accepted, so a handler that waits stalls all of them, and
 *     the accepts fall unevenly: half the machine sat idle in the CA's issuance benchmark, and the
 *     verifier's admission rate swung 2x between runs at 4 and 16 clients (docs/bench.md "Threading").
 *     Use it only with --collateral-offline, where no handler waits for a vendor.
 *
 * Request life cycle (MHD 0.9.75): the URI log callback creates the request context and counts the
 * request as in flight; the access handler routes it on its first call (headers complete) and may reply at
 * once (404/405/413/415 — MHD then closes the connection without reading the body), receives the body
 * under the route's limit, and runs the handler on its last call; the completion callback logs the access
 * line, records metrics and frees the context. MHD only allows queuing a reply on the first or the last
 * call, so a chunked body that passes the limit is dropped (not buffered) up to API_DISCARD_MAX more bytes
 * and answered with 413 when it ends; beyond that the connection is closed.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"

#define API_DISCARD_MAX ((size_t)1024 * 1024)
#define API_CONNECTION_TIMEOUT_S 60
#define API_WAIT_POLL_MS 200
#define API_NS_PER_MS 1000000L
#define API_TE_SHOWN_MAX 32 /* characters of an unsupported Transfer-Encoding quoted in the detail */

/* ------------------------------------------------------------------------------------------ helpers */

static const char *method_label(const char *method)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };

	for (size_t i = 0; method && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return known[i];
	return "other";
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Printable ASCII copy of a request path for the log (outside bytes must not break the JSON log line). */
static void log_path_copy(char *out, size_t out_size, const char *path)
{
	size_t n = 0;

	for (; path && path[n] && n + 1 < out_size; n++)
		out[n] = (path[n] >= 0x20 && path[n] < 0x7f) ? path[n] : '?';
	out[n] = '\0';
}

static void inflight_add(struct api_server *s)
{
	pthread_mutex_lock(&s->inflight_lock);
	s->inflight++;
	pthread_mutex_unlock(&s->inflight_lock);
}

static void inflight_done(struct api_server *s)
{
	pthread_mutex_lock(&s->inflight_lock);
	if (s->inflight > 0)
		s->inflight--;
	if (s->inflight == 0)
		pthread_cond_broadcast(&s->inflight_cond);
	pthread_mutex_unlock(&s->inflight_lock);
}

/* Reply with the error shape; on failure to queue, tell MHD to close the connection. */
static enum MHD_Result reply_error(struct api_request *req, enum tc_code code, const char *detail)
{
	if (tc_error_info(code)->http_status >= 500)
		tc_log(TC_LOG_ERROR, "http_error", "%s: %s", tc_error_info(code)->code, detail ? detail : "");
	if (!tc_is_ok(api_reply_error(req, code, detail))) {
		tc_log(TC_LOG_ERROR, "http_reply_failed", "%s", tc_error_detail());
		return MHD_NO;
	}
	return MHD_YES;
}

/* Reply with the detail of the failure R (recorded by tc_fail on this thread). */
static enum MHD_Result reply_failure(struct api_request *req, struct tc_result r)
{
	char detail[TC_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "%s", tc_error_detail());
	return reply_error(req, r.code, detail);
}

/* ------------------------------------------------------------------------------------ request stages */

static bool content_type_is_json(const char *ct)
{
	static const char json[] = "application/json";
	size_t n = sizeof(json) - 1;

	if (!ct || strncasecmp(ct, json, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Size limit of the body of the matched route (0: no body accepted). */
static size_t body_limit(const struct api_route *route)
{
	return route->body != API_BODY_NONE ? route->max_body : 0;
}

/* Count the header lines named NAME (case-insensitive): message framing must be unambiguous. */
struct header_count {
	const char *name;
	unsigned n;
};

static enum MHD_Result header_count_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	(void)value;
	if (key && strcasecmp(key, hc->name) == 0)
		hc->n++;
	return MHD_YES;
}

static unsigned header_count(struct MHD_Connection *conn, const char *name)
{
	struct header_count hc = { name, 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, header_count_cb, &hc);
	return hc.n;
}

/*
 * RFC 9112 §6: the body length must have exactly one reading. Refused before any body byte is read (MHD then
 * closes the connection): repeated Content-Length or Transfer-Encoding lines, both headers at once (request
 * smuggling, §6.3 item 3), and transfer codings other than chunked (MHD would read such a body until the
 * client closes, keeping the request in flight; §6.1 lets a server refuse codings it does not implement).
 */
static enum MHD_Result check_framing(struct api_request *req, const char *clen, const char *te)
{
	char coding[API_TE_SHOWN_MAX + 1];
	char detail[TC_DETAIL_MAX];

	if (header_count(req->conn, MHD_HTTP_HEADER_CONTENT_LENGTH) > 1 ||
	    header_count(req->conn, MHD_HTTP_HEADER_TRANSFER_ENCODING) > 1)
		return reply_error(req, TC_ERR_INVALID_ARGUMENT,
				   "repeated Content-Length or Transfer-Encoding header (RFC 9112 §6.3)");
	if (te && clen)
		return reply_error(req, TC_ERR_INVALID_ARGUMENT,
				   "both Transfer-Encoding and Content-Length (RFC 9112 §6.3); send one");
	if (te && strcasecmp(te, "chunked") != 0) {
		log_path_copy(coding, sizeof(coding), te); /* printable: the detail must stay valid JSON text */
		snprintf(detail, sizeof(detail), "Transfer-Encoding '%s' is not supported (only chunked)", coding);
		return reply_error(req, TC_ERR_UNSUPPORTED, detail);
	}
	return MHD_YES;
}

/* First call: headers are complete. Route, and refuse early what needs no body to decide. */
static enum MHD_Result on_headers(struct api_request *req, const char *url, const char *method)
{
	struct api_server *s = req->server;
	const char *rid = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Request-Id");
	const char *clen = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	struct tc_result r;

	req->method = method;
	log_path_copy(req->path, sizeof(req->path), url);
	if (!tc_is_ok(api_request_id_pick(rid, req->id)))
		snprintf(req->id, sizeof(req->id), "noid-%p", (void *)req);
	tc_log_set_request_id(req->id);
	api_client_identify(req); /* before anything that keys on the client (rate limits, admin auth) */

	r = api_route_match(s->cfg.routes, s->cfg.n_routes, method, url, &req->match);
	if (!tc_is_ok(r)) {
		req->allow = req->match.allow;
		return reply_failure(req, r);
	}
	req->matched = true;
	r = api_ratelimit_check(req);
	if (!tc_is_ok(r))
		return reply_failure(req, r);
	if (req->match.route->auth == API_AUTH_ADMIN) {
		r = api_auth_admin(req);
		if (!tc_is_ok(r))
			return reply_failure(req, r);
	}

	if (clen || te) {
		enum MHD_Result framing = check_framing(req, clen, te);

		if (framing != MHD_YES || req->replied)
			return framing;
	}

	/* Size limit from Content-Length before reading a byte of the body (STYLE.md point 8). */
	size_t limit = body_limit(req->match.route);
	bool has_body = te != NULL;

	if (clen) {
		char *end = NULL;

		errno = 0;
		unsigned long long n = strtoull(clen, &end, 10);

		if (errno != 0 || end == clen || *end != '\0' || n > limit) {
			char detail[TC_DETAIL_MAX];

			snprintf(detail, sizeof(detail), "Content-Length %.32s exceeds the limit of %zu bytes", clen,
				 limit);
			return reply_error(req, TC_ERR_BODY_TOO_LARGE, detail);
		}
		has_body = has_body || n > 0;
	}
	const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (has_body && limit > 0 && req->match.route->body == API_BODY_OCSP &&
	    (!ct || strcasecmp(ct, "application/ocsp-request") != 0))
		return reply_error(req, TC_ERR_UNSUPPORTED_MEDIA_TYPE, "the body must be application/ocsp-request");
	if (has_body && limit > 0 && req->match.route->body == API_BODY_JSON && !content_type_is_json(ct))
		return reply_error(req, TC_ERR_UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
	tc_buf_init(&req->body, limit);
	req->state = API_REQ_BODY;
	return MHD_YES;
}

/* Last call: the whole body is here. Parse it and run the handler. */
static enum MHD_Result on_complete(struct api_request *req)
{
	const struct api_route *route = req->match.route;
	struct tc_result r;

	if (route->body == API_BODY_JSON && req->body.len > 0) {
		r = (route->flags & API_ROUTE_FLAT_JSON)
			    ? api_json_parse_flat((const char *)req->body.data, req->body.len, route->max_body, &req->json)
			    : tc_json_parse((const char *)req->body.data, req->body.len, route->max_body, &req->json);
		if (!tc_is_ok(r))
			return reply_failure(req, r);
	}
	r = route->handler(req);
	if (req->db) {
		db_pool_release(req->db_pool, req->db);
		req->db = NULL;
	}
	if (!tc_is_ok(r)) {
		if (req->replied) {
			tc_log(TC_LOG_ERROR, "http_handler_failed_after_reply", "%s", tc_error_detail());
			return MHD_YES;
		}
		return reply_failure(req, r);
	}
	if (!req->replied)
		return reply_error(req, TC_ERR_INTERNAL, "the handler finished without a reply");
	return MHD_YES;
}

static enum MHD_Result on_body(struct api_request *req, const char *data, size_t *size)
{
	size_t limit = body_limit(req->match.route);

	if (*size == 0)
		return on_complete(req);
	if (req->body.len + *size > limit) {
		/* Passed the limit while streaming: stop buffering, drop the rest, answer 413 at the end. */
		req->discarded = req->body.len + *size;
		tc_buf_cleanup(&req->body);
		req->state = API_REQ_DISCARD;
		*size = 0;
		return MHD_YES;
	}
	if (!tc_is_ok(tc_buf_append(&req->body, data, *size)))
		return reply_failure(req, tc_fail(TC_ERR_NO_MEMORY, "%s", tc_error_detail()));
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result on_discard(struct api_request *req, size_t *size)
{
	char detail[TC_DETAIL_MAX];

	if (*size > 0) {
		req->discarded += *size;
		*size = 0;
		if (req->discarded > body_limit(req->match.route) + API_DISCARD_MAX) {
			req->status = MHD_HTTP_CONTENT_TOO_LARGE;
			tc_log(TC_LOG_WARN, "http_body_dropped", "closing: body passed %zu bytes", req->discarded);
			return MHD_NO;
		}
		return MHD_YES;
	}
	snprintf(detail, sizeof(detail), "the body exceeds the limit of %zu bytes", body_limit(req->match.route));
	return reply_error(req, TC_ERR_BODY_TOO_LARGE, detail);
}

/* ------------------------------------------------------------------------------------- MHD callbacks */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct api_server *s = cls;
	struct api_request *req = calloc(1, sizeof(*req));

	(void)uri;
	if (!req)
		return NULL;
	req->server = s;
	req->conn = conn;
	req->state = API_REQ_NEW;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	inflight_add(s);
	return req;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				 const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct api_request *req = *req_cls;
	enum MHD_Result ret = MHD_NO;

	(void)cls;
	(void)conn;
	(void)version;
	if (!req)
		return MHD_NO; /* out of memory in on_uri */
	tc_log_set_request_id(req->id[0] ? req->id : NULL);
	switch (req->state) {
	case API_REQ_NEW:
		ret = on_headers(req, url, method);
		break;
	case API_REQ_BODY:
		ret = on_body(req, upload_data, upload_data_size);
		break;
	case API_REQ_DISCARD:
		ret = on_discard(req, upload_data_size);
		break;
	case API_REQ_DONE:
		*upload_data_size = 0;
		ret = MHD_YES;
		break;
	}
	tc_log_set_request_id(NULL);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct api_server *s = cls;
	struct api_request *req = *req_cls;
	(void)conn;
	if (!req)
		return;
	double secs = seconds_since(&req->start);
	size_t route_index = req->matched ? req->match.route_index : s->cfg.n_routes;
	const char *method = req->matched ? req->match.route->method : method_label(req->method);

	if (req->matched && req->method && strcmp(req->method, "HEAD") == 0)
		method = "HEAD";
	if (req->status != 0)
		api_metrics_observe(&s->metrics, route_index, method, req->status, secs);

	tc_log_set_request_id(req->id[0] ? req->id : NULL);
	json_t *fields = json_pack("{s:s, s:s, s:s, s:i, s:I, s:b}", "method", method_label(req->method), "path",
				   req->path, "route", req->matched ? req->match.route->pattern : API_METRICS_UNMATCHED,
				   "status", (int)req->status, "duration_us", (json_int_t)(secs * 1e6), "completed",
				   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);

	tc_log_fields(TC_LOG_INFO, "http_access", fields);
	json_decref(fields);
	tc_log_set_request_id(NULL);

	if (req->db)
		db_pool_release(req->db_pool, req->db);
	json_decref(req->json);
	tc_buf_cleanup(&req->body);
	free(req);
	*req_cls = NULL;
	inflight_done(s);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[TC_DETAIL_MAX];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	tc_log(TC_LOG_WARN, "mhd", "%s", msg);
}

/* ------------------------------------------------------------------------------------- start / stop */

void api_config_init(struct api_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->service = "verifier";
	cfg->listen_host = "127.0.0.1";
	cfg->pool_size = API_DEFAULT_POOL_SIZE;
	cfg->threads = API_DEFAULT_THREADS;
	cfg->max_connections = API_DEFAULT_MAX_CONNECTIONS;
	cfg->challenge_lifetime_s = API_DEFAULT_CHALLENGE_LIFETIME_S;
	cfg->shutdown_grace_ms = API_DEFAULT_SHUTDOWN_GRACE_MS;
	cfg->db_acquire_ms = API_DEFAULT_DB_ACQUIRE_MS;
}

TC_RESULT api_listen_parse(const char *s, char *host, size_t host_size, uint16_t *port)
{
	const char *colon;
	const char *h = s;
	size_t hlen;

	TC_ENSURE(s && *s, TC_ERR_INVALID_ARGUMENT, "empty listen address (want HOST:PORT)");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		TC_ENSURE(close && close[1] == ':', TC_ERR_INVALID_ARGUMENT,
			  "bad listen address '%.64s' (want [V6]:PORT)", s);
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		TC_ENSURE(colon, TC_ERR_INVALID_ARGUMENT, "bad listen address '%.64s' (want HOST:PORT)", s);
		hlen = (size_t)(colon - s);
		TC_ENSURE(memchr(s, ':', hlen) == NULL, TC_ERR_INVALID_ARGUMENT,
			  "bad listen address '%.64s' (write IPv6 addresses as [V6]:PORT)", s);
	}
	TC_ENSURE(hlen > 0 && hlen < host_size, TC_ERR_INVALID_ARGUMENT, "bad host in listen address '%.64s'", s);
	char *end = NULL;

	errno = 0;
	long p = strtol(colon + 1, &end, 10);

	TC_ENSURE(errno == 0 && end != colon + 1 && *end == '\0' && p >= 0 && p <= 65535, TC_ERR_INVALID_ARGUMENT,
		  "bad port in listen address '%.64s' (0..65535)", s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return tc_ok();
}

/* Resolve HOST:PORT to one socket address. */
static TC_RESULT resolve(const char *host, uint16_t port, struct sockaddr_storage *out, bool *v6)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char service[8];

	snprintf(service, sizeof(service), "%u", (unsigned)port);
	int rc = getaddrinfo(host, service, &hints, &res);

	TC_ENSURE(rc == 0 && res, TC_ERR_INVALID_ARGUMENT, "cannot resolve listen host '%.64s': %s", host,
		  gai_strerror(rc));
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return tc_ok();
}

static void server_release(struct api_server *s)
{
	if (s->owns_pool)
		db_pool_free(&s->pool);
	if (s->owns_read_pool)
		db_pool_free(&s->read_pool);
	api_ratelimit_free(&s->ratelimit);
	api_metrics_cleanup(&s->metrics);
	pthread_cond_destroy(&s->inflight_cond);
	pthread_mutex_destroy(&s->inflight_lock);
	free(s);
}

TC_RESULT api_server_start(const struct api_config *cfg, struct api_server **out)
{
	struct tc_result r = tc_ok();
	struct api_server *s = NULL;
	struct sockaddr_storage addr;
	bool v6 = false;
	pthread_condattr_t cattr;

	TC_ENSURE(cfg && cfg->service && cfg->listen_host, TC_ERR_INVALID_ARGUMENT, "server config incomplete");
	TC_ENSURE((cfg->thread_per_connection || cfg->threads >= 1) && cfg->pool_size >= 1 && cfg->max_connections >= 1,
		  TC_ERR_INVALID_ARGUMENT, "threads (of a worker pool), pool size and max connections must be at least 1");
	TC_ENSURE(cfg->challenge_lifetime_s > 0, TC_ERR_INVALID_ARGUMENT, "challenge lifetime must be positive");
	s = calloc(1, sizeof(*s));
	TC_ENSURE(s, TC_ERR_NO_MEMORY, "server");
	s->cfg = *cfg;
	snprintf(s->host, sizeof(s->host), "%s", cfg->listen_host);
	s->cfg.listen_host = s->host;
	pthread_mutex_init(&s->inflight_lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->inflight_cond, &cattr);
	pthread_condattr_destroy(&cattr);
	if (!s->cfg.routes) {
		s->cfg.routes = api_routes_for_service(cfg->service, &s->cfg.n_routes);
		TC_ENSURE_GOTO(r, s->cfg.routes, fail, TC_ERR_INVALID_ARGUMENT, "unknown service '%.32s'",
			       cfg->service);
	}
	TC_GUARD_GOTO(r, api_metrics_init(&s->metrics, s->cfg.n_routes), fail);
	s->pool = cfg->pool;
	if (!s->pool) {
		TC_ENSURE_GOTO(r, cfg->dsn, fail, TC_ERR_INVALID_ARGUMENT, "no database: set a DSN or a pool");
		TC_GUARD_GOTO(r, db_pool_new(cfg->dsn, cfg->pool_size, &s->pool), fail);
		s->owns_pool = true;
	}
	s->read_pool = cfg->read_pool;
	if (!s->read_pool && cfg->read_dsn) {
		TC_GUARD_GOTO(r, db_pool_new(cfg->read_dsn, cfg->pool_size, &s->read_pool), fail);
		s->owns_read_pool = true;
	}
	if (cfg->rate_per_s > 0)
		TC_GUARD_GOTO(r,
			      api_ratelimit_new(cfg->rate_per_s, cfg->rate_burst > 0 ? cfg->rate_burst
									    : (cfg->rate_per_s > 1 ? cfg->rate_per_s : 1),
						&s->ratelimit),
			      fail);
	TC_GUARD_GOTO(r, resolve(s->host, cfg->port, &addr, &v6), fail);

	if (cfg->handle_signals) {
		/* Block before MHD creates its threads, so they inherit the mask and api_server_wait's sigtimedwait
		 * is the only taker of SIGTERM/SIGINT. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) |
			 (cfg->tls ? MHD_USE_TLS : 0) |
			 (cfg->thread_per_connection ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL : MHD_USE_EPOLL);
	struct MHD_OptionItem tls_opts[API_TLS_MHD_OPTIONS_MAX];

	api_tls_mhd_options(cfg->tls, tls_opts); /* certificate, key, client CA list (HTTPS only) */

	s->daemon = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, cfg->thread_per_connection ? 0u : (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)API_CONNECTION_TIMEOUT_S, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_ARRAY,
		tls_opts, MHD_OPTION_NOTIFY_CONNECTION, api_tls_conn_notify, s, MHD_OPTION_END);
	TC_ENSURE_GOTO(r, s->daemon, fail, TC_ERR_IO, "cannot listen on %.64s:%u (address in use or not local?)",
		       s->host, (unsigned)cfg->port);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);

	s->port = info ? info->port : cfg->port;
	if (cfg->thread_per_connection)
		tc_log(TC_LOG_INFO, "server_started", "%s listening on %s port %u (a thread per connection, pool %u)",
		       cfg->service, s->host, (unsigned)s->port, cfg->pool_size);
	else
		tc_log(TC_LOG_INFO, "server_started", "%s listening on %s port %u (%u threads, pool %u)", cfg->service,
		       s->host, (unsigned)s->port, cfg->threads, cfg->pool_size);
	*out = s;
	return tc_ok();
fail:
	server_release(s);
	return r;
}

uint16_t api_server_port(const struct api_server *s)
{
	return s->port;
}

void api_server_request_stop(struct api_server *s)
{
	atomic_store(&s->stop_requested, true);
}

void api_server_wait(struct api_server *s)
{
	sigset_t set;
	struct timespec poll = { 0, API_WAIT_POLL_MS * API_NS_PER_MS };

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (!atomic_load(&s->stop_requested)) {
		if (!s->cfg.handle_signals) {
			nanosleep(&poll, NULL);
			continue;
		}
		int sig = sigtimedwait(&set, NULL, &poll);

		if (sig == SIGTERM || sig == SIGINT) {
			tc_log(TC_LOG_INFO, "signal", "%s received: shutting down",
			       sig == SIGTERM ? "SIGTERM" : "SIGINT");
			atomic_store(&s->stop_requested, true);
		}
	}
}

unsigned api_server_stop(struct api_server *s)
{
	struct timespec deadline;
	unsigned left;

	if (s->stopped)
		return 0;
	atomic_store(&s->stopping, true);
	/* Stop accepting: MHD hands the listening socket back; closing it refuses new connections. */
	MHD_socket fd = MHD_quiesce_daemon(s->daemon);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += s->cfg.shutdown_grace_ms / 1000;
	deadline.tv_nsec += (long)(s->cfg.shutdown_grace_ms % 1000) * API_NS_PER_MS;
	if (deadline.tv_nsec >= 1000 * API_NS_PER_MS) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000 * API_NS_PER_MS;
	}
	pthread_mutex_lock(&s->inflight_lock);
	while (s->inflight > 0)
		if (pthread_cond_timedwait(&s->inflight_cond, &s->inflight_lock, &deadline) == ETIMEDOUT)
			break;
	left = s->inflight;
	pthread_mutex_unlock(&s->inflight_lock);
	if (left > 0)
		tc_log(TC_LOG_WARN, "shutdown_grace_expired", "%u requests still in flight; closing them", left);
	MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
	s->stopped = true;
	tc_log(TC_LOG_INFO, "server_stopped", "%s stopped", s->cfg.service);
	return left;
}

void api_server_free(struct api_server **sp)
{
	struct api_server *s = sp ? *sp : NULL;

	if (!s)
		return;
	if (!s->stopped && s->daemon)
		(void)api_server_stop(s);
	server_release(s);
	*sp = NULL;
}
