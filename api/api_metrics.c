/*
 * api_metrics.c — GET /metrics in the Prometheus text exposition format 0.0.4, and the counters behind it.
 *
 * Per route (the pattern, or "unmatched" for 404/405 so that scanners cannot blow up the label space):
 * teecert_http_requests_total{route,method,status} and the teecert_http_request_duration_seconds
 * histogram. One mutex guards all request counters: a request touches it once, at completion, which is
 * cheap next to the request itself and keeps every rendered snapshot consistent (count == +Inf bucket).
 * Pool gauges and counters come from db_pool_stats at render time.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#ifndef API_VERSION
#define API_VERSION "unknown"
#endif
#define API_METRICS_BODY_MAX ((size_t)4 * 1024 * 1024)

/* Histogram bounds (seconds); the last bucket is +Inf. */
static const double bucket_bounds[API_METRICS_BUCKETS - 1] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
							       0.1,    0.25,  0.5,    1,     2.5,  5 };
static const char *const bucket_labels[API_METRICS_BUCKETS] = { "0.0005", "0.001", "0.0025", "0.005", "0.01",
								"0.025",  "0.05",  "0.1",    "0.25",  "0.5",
								"1",      "2.5",   "5",      "+Inf" };

TC_RESULT api_metrics_init(struct api_metrics *m, size_t n_routes)
{
	memset(m, 0, sizeof(*m));
	m->routes = calloc(n_routes + 1, sizeof(*m->routes));
	TC_ENSURE(m->routes, TC_ERR_NO_MEMORY, "metrics for %zu routes", n_routes);
	m->n_routes = n_routes;
	pthread_mutex_init(&m->lock, NULL);
	return tc_ok();
}

void api_metrics_cleanup(struct api_metrics *m)
{
	if (!m->routes)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->routes);
	m->routes = NULL;
}

void api_metrics_observe(struct api_metrics *m, size_t route_index, const char *method, unsigned status, double seconds)
{
	size_t b = 0;

	if (route_index > m->n_routes)
		route_index = m->n_routes;
	while (b < API_METRICS_BUCKETS - 1 && seconds > bucket_bounds[b])
		b++;
	pthread_mutex_lock(&m->lock);
	struct api_metrics_route *r = &m->routes[route_index];

	r->buckets[b]++;
	r->count++;
	r->sum_s += seconds;
	size_t i = 0;

	for (; i < API_METRICS_STATUS_SLOTS && r->statuses[i].method; i++)
		if (r->statuses[i].status == status && strcmp(r->statuses[i].method, method) == 0)
			break;
	if (i == API_METRICS_STATUS_SLOTS) {
		r->status_overflow++;
	} else {
		r->statuses[i].method = method;
		r->statuses[i].status = status;
		r->statuses[i].count++;
	}
	pthread_mutex_unlock(&m->lock);
}

static const char *route_label(const struct api_server *s, size_t i)
{
	return i < s->cfg.n_routes ? s->cfg.routes[i].pattern : API_METRICS_UNMATCHED;
}

/* Request counters and histograms, rendered under the lock (one consistent snapshot). */
static TC_RESULT render_requests(struct api_server *s, struct tc_buf *out)
{
	struct api_metrics *m = &s->metrics;
	struct tc_result r = tc_ok();

	pthread_mutex_lock(&m->lock);
	TC_GUARD_GOTO(r,
		      tc_buf_append_str(out,
					"# HELP teecert_http_requests_total HTTP requests served, by route "
					"pattern, method and status.\n# TYPE teecert_http_requests_total counter\n"),
		      out);
	for (size_t i = 0; i <= m->n_routes; i++) {
		const struct api_metrics_route *mr = &m->routes[i];

		for (size_t j = 0; j < API_METRICS_STATUS_SLOTS && mr->statuses[j].method; j++)
			TC_GUARD_GOTO(
				r,
				tc_buf_appendf(out,
					       "teecert_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} "
					       "%llu\n",
					       route_label(s, i), mr->statuses[j].method, mr->statuses[j].status,
					       mr->statuses[j].count),
				out);
		if (mr->status_overflow)
			TC_GUARD_GOTO(
				r,
				tc_buf_appendf(
					out,
					"teecert_http_requests_total{route=\"%s\",method=\"other\",status=\"other\"} "
					"%llu\n",
					route_label(s, i), mr->status_overflow),
				out);
	}
	TC_GUARD_GOTO(r,
		      tc_buf_append_str(out, "# HELP teecert_http_request_duration_seconds Time from the request line "
					     "to the end of the reply, by route pattern.\n"
					     "# TYPE teecert_http_request_duration_seconds histogram\n"),
		      out);
	for (size_t i = 0; i <= m->n_routes; i++) {
		const struct api_metrics_route *mr = &m->routes[i];
		unsigned long long cumulative = 0;

		for (size_t b = 0; b < API_METRICS_BUCKETS; b++) {
			cumulative += mr->buckets[b];
			TC_GUARD_GOTO(
				r,
				tc_buf_appendf(out,
					       "teecert_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} "
					       "%llu\n",
					       route_label(s, i), bucket_labels[b], cumulative),
				out);
		}
		TC_GUARD_GOTO(r,
			      tc_buf_appendf(out,
					     "teecert_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
					     "teecert_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
					     route_label(s, i), mr->sum_s, route_label(s, i), mr->count),
			      out);
	}
out:
	pthread_mutex_unlock(&m->lock);
	return r;
}

static TC_RESULT render_process(struct api_server *s, struct tc_buf *out)
{
	struct db_pool_stats st;
	unsigned inflight;

	memset(&st, 0, sizeof(st));
	if (s->pool)
		db_pool_stats(s->pool, &st);
	pthread_mutex_lock(&s->inflight_lock);
	inflight = s->inflight;
	pthread_mutex_unlock(&s->inflight_lock);
	TC_GUARD(tc_buf_appendf(
		out,
		"# HELP teecert_http_requests_in_flight Requests received and not yet completed.\n"
		"# TYPE teecert_http_requests_in_flight gauge\n"
		"teecert_http_requests_in_flight %u\n"
		"# HELP teecert_db_pool_connections Database pool connections, configured (size) and borrowed (in_use).\n"
		"# TYPE teecert_db_pool_connections gauge\n"
		"teecert_db_pool_connections{state=\"in_use\"} %u\n"
		"teecert_db_pool_connections{state=\"size\"} %u\n"
		"# HELP teecert_db_pool_acquire_total Connections handed out by the pool.\n"
		"# TYPE teecert_db_pool_acquire_total counter\n"
		"teecert_db_pool_acquire_total %llu\n"
		"# HELP teecert_db_pool_wait_total Acquisitions that had to wait for a free connection.\n"
		"# TYPE teecert_db_pool_wait_total counter\n"
		"teecert_db_pool_wait_total %llu\n"
		"# HELP teecert_db_pool_errors_total Acquisitions that failed (database unreachable or timeout).\n"
		"# TYPE teecert_db_pool_errors_total counter\n"
		"teecert_db_pool_errors_total %llu\n"
		"# HELP teecert_db_pool_reconnects_total Reconnections after a broken connection.\n"
		"# TYPE teecert_db_pool_reconnects_total counter\n"
		"teecert_db_pool_reconnects_total %llu\n"
		"# HELP teecert_db_txn_retries_total Transactions retried after a serialization failure or deadlock.\n"
		"# TYPE teecert_db_txn_retries_total counter\n"
		"teecert_db_txn_retries_total %llu\n"
		"# HELP teecert_build_info Build of this process (always 1).\n"
		"# TYPE teecert_build_info gauge\n"
		"teecert_build_info{version=\"%s\",service=\"%s\"} 1\n",
		inflight, st.in_use, st.size, st.acquired, st.waited, st.errors, st.reconnects, db_txn_retries(),
		API_VERSION, s->cfg.service));
	return tc_ok();
}

TC_RESULT api_metrics_handler(struct api_request *req)
{
	struct tc_result r = tc_ok();
	struct tc_buf out;

	tc_buf_init(&out, API_METRICS_BODY_MAX);
	TC_GUARD_GOTO(r, render_requests(req->server, &out), done);
	TC_GUARD_GOTO(r, render_process(req->server, &out), done);
	TC_GUARD_GOTO(r, api_reply_data(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len), done);
done:
	tc_buf_cleanup(&out);
	return r;
}
