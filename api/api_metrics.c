/*
 * api_metrics.c — GET /metrics in the Prometheus text exposition format 0.0.4, and the counters behind it.
 *
 * Per route (the pattern, or "unmatched" for 404/405 so that scanners cannot blow up the label space):
 * teecert_http_requests_total{route,method,status} and the teecert_http_request_duration_seconds
 * histogram. One mutex guards all request counters: a request touches it once, at completion, which is
 * cheap next to the request itself and keeps every rendered snapshot consistent (count == +Inf bucket).
 * Pool gauges and counters come from db_pool_stats at render time.
 *
 * Decisions: teecert_admission_decisions_total{kind=peer|workload, decision=allow|deny, reason} (reason "ok"
 * for allow, else the stable code of the first deny reason, api_adm_reason_name) and
 * teecert_appraisals_total{verdict, failure} of POST /v1/evidence/appraise; plain atomic counters, so the
 * decision paths take no lock for them. The label sets are fixed tables: nothing a client sends becomes a
 * label value.
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

static const char *const adm_reason_names[API_ADM__COUNT] = {
	[API_ADM_OK] = "ok",
	[API_ADM_CHAIN_INVALID] = "chain_invalid",
	[API_ADM_UNKNOWN_CERT] = "unknown_certificate",
	[API_ADM_CERT_MISMATCH] = "certificate_mismatch",
	[API_ADM_REVOKED] = "revoked",
	[API_ADM_EXTENSION_INVALID] = "extension_invalid",
	[API_ADM_APPRAISAL_REJECTED] = "appraisal_rejected",
	[API_ADM_LOG_REF_MISMATCH] = "log_reference_mismatch",
	[API_ADM_NO_APPRAISAL] = "no_appraisal",
	[API_ADM_TCB_NOT_ACCEPTED] = "tcb_status_not_accepted",
	[API_ADM_NOT_WORKLOAD] = "not_a_workload_certificate",
	[API_ADM_WORKLOAD_MISMATCH] = "workload_info_mismatch",
	[API_ADM_NOT_ANCHORED] = "not_anchored",
};

const char *api_adm_reason_name(enum api_adm_reason r)
{
	return (unsigned)r < API_ADM__COUNT ? adm_reason_names[r] : "unknown";
}

void api_metrics_admission(struct api_metrics *m, bool workload, enum api_adm_reason reason)
{
	if ((unsigned)reason >= API_ADM__COUNT)
		reason = API_ADM_CHAIN_INVALID;
	atomic_fetch_add_explicit(&m->admission[workload ? 1 : 0][reason], 1, memory_order_relaxed);
}

void api_metrics_appraisal(struct api_metrics *m, bool accepted, enum tc_code failure)
{
	size_t i = accepted ? TC_OK : (size_t)failure;

	if (i >= TC_ERR__COUNT)
		i = TC_ERR_INTERNAL;
	atomic_fetch_add_explicit(&m->appraisals[i], 1, memory_order_relaxed);
}

/* Admission decisions and appraisals: only the rows seen so far (every counter starts at zero). */
static TC_RESULT render_decisions(struct api_metrics *m, struct tc_buf *out)
{
	static const char *const kinds[2] = { "peer", "workload" };

	TC_GUARD(tc_buf_append_str(out, "# HELP teecert_admission_decisions_total Admission verdicts, by kind, "
					"decision and reason code (the first deny reason).\n"
					"# TYPE teecert_admission_decisions_total counter\n"));
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < API_ADM__COUNT; i++) {
			unsigned long long n = atomic_load_explicit(&m->admission[k][i], memory_order_relaxed);

			if (n)
				TC_GUARD(tc_buf_appendf(out,
							"teecert_admission_decisions_total{kind=\"%s\",decision=\"%s\","
							"reason=\"%s\"} %llu\n",
							kinds[k], i == API_ADM_OK ? "allow" : "deny",
							adm_reason_names[i], n));
		}
	TC_GUARD(tc_buf_append_str(out, "# HELP teecert_appraisals_total Evidence appraisals (POST "
					"/v1/evidence/appraise), by verdict and failure code.\n"
					"# TYPE teecert_appraisals_total counter\n"));
	for (size_t i = 0; i < TC_ERR__COUNT; i++) {
		unsigned long long n = atomic_load_explicit(&m->appraisals[i], memory_order_relaxed);

		if (n)
			TC_GUARD(tc_buf_appendf(out, "teecert_appraisals_total{verdict=\"%s\",failure=\"%s\"} %llu\n",
						i == TC_OK ? "accepted" : "rejected",
						i == TC_OK ? "" : tc_error_info((enum tc_code)i)->code, n));
	}
	return tc_ok();
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
	TC_GUARD_GOTO(r, render_decisions(&req->server->metrics, &out), done);
	TC_GUARD_GOTO(r, render_process(req->server, &out), done);
	TC_GUARD_GOTO(r, api_reply_data(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len), done);
done:
	tc_buf_cleanup(&out);
	return r;
}
