/*
 * api_ca_batch.c — group commit of issuances (docs/ca-service.md "Throughput"): the jobs that
 * POST /v1/certificates queues after appraising run as one transaction with one lock of the log and one
 * commit, so the fsync and the serialization on log_state are paid once per batch, not per certificate.
 *
 * Leader/follower, no thread of its own: a request thread queues its job and waits; if no batch is running
 * it becomes the leader, takes the queued jobs (its own among them) and runs them on its own connection;
 * jobs queued meanwhile wait for the next leader, so batches grow with the load and a lone request runs at
 * once. Every job is answered only after its batch committed (or failed).
 *
 * The batch transaction (READ COMMITTED, db_txn_run_read_committed):
 *   per job  Idempotency-Key lookup (a live key replays its stored response, another body is a conflict),
 *            the CVM certificate's status (workload: recorded by this CA, unrevoked; FOR UPDATE, so a
 *            concurrent revocation waits for us or we see it);
 *   once     the nonces of the jobs still in (db_challenge_consume_batch: row locks, single use);
 *            a job failing one of these is answered with its error and left out: it wrote nothing;
 *   once     lock log_state (db_log_lock: concurrent appenders, other CA processes and revocations wait);
 *   per job  sign the certificate naming log entry size + i (its .5 extension), shared out to the waiting
 *            request threads (sign_all) so that the signatures use every core while the lock is held;
 *   once     append the entries (db_log_append_batch: gap-free, hashes checked by the database);
 *   once     certificates + appraisals rows (api_ca_record_rows_batch: one statement for the common jobs,
 *            one evidence item each; others, e.g. a sub-CA with its cas row, one by one);
 *   per job  the response, the idempotency key;
 *   COMMIT   one fsync.
 * A failure after the writes began aborts the transaction: its jobs then run again one transaction each, so
 * one bad job (a duplicate key, a concurrent idempotency key) fails alone. Retries of the runner (deadlocks)
 * redo the whole attempt; nothing outside the database is changed before the commit.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"

/* The whole batch: borrowed jobs and the CA; UNLOCKED: the leader's "not past the log lock yet" (counted in
 * ca->batches_unlocked until then). */
struct batch {
	struct api_ca *ca;
	struct api_ca_job **jobs;
	size_t n;
	bool *unlocked;
};

/* A batch is past its pre-lock work (it holds the log lock, or it ended before): another may start. Once per
 * batch (*UNLOCKED cleared); takes batch_lock. */
static void batch_past_prelock(struct api_ca *ca, bool *unlocked)
{
	pthread_mutex_lock(&ca->batch_lock);
	if (*unlocked) {
		*unlocked = false;
		ca->batches_unlocked--;
		pthread_cond_broadcast(&ca->batch_done);
	}
	pthread_mutex_unlock(&ca->batch_lock);
}

void api_ca_batch_init(struct api_ca *ca)
{
	pthread_mutex_init(&ca->batch_lock, NULL);
	pthread_cond_init(&ca->batch_done, NULL);
	pthread_cond_init(&ca->sign_cond, NULL);
	ca->sign_jobs = NULL;
	ca->sign_n = ca->sign_next = ca->sign_done = 0;
	ca->queue_head = ca->queue_tail = NULL;
	ca->batch_leaders = 0;
	ca->batches_unlocked = 0;
	memset(ca->running, 0, sizeof(ca->running));
	memset(ca->running_n, 0, sizeof(ca->running_n));
	ca->idem_purged_at = 0;
}

void api_ca_batch_cleanup(struct api_ca *ca)
{
	pthread_cond_destroy(&ca->sign_cond);
	pthread_cond_destroy(&ca->batch_done);
	pthread_mutex_destroy(&ca->batch_lock);
}

void api_ca_job_init(struct api_ca_job *job)
{
	memset(job, 0, sizeof(*job));
	api_ca_prepared_init(&job->prep);
	tc_buf_init(&job->body, API_CA_REPLY_MAX);
}

static void job_reset(struct api_ca_job *job)
{
	tc_buf_reset(&job->body);
	job->serial_hex[0] = '\0';
	api_ca_recorded_cleanup(&job->rec);
	memset(&job->rec, 0, sizeof(job->rec));
	job->replayed = false;
	job->skip = false;
	job->status = 0;
	job->result = tc_ok();
	job->sign_result = tc_ok();
	job->detail[0] = '\0';
}

void api_ca_job_cleanup(struct api_ca_job *job)
{
	job_reset(job);
	api_ca_prepared_cleanup(&job->prep);
	tc_buf_cleanup(&job->body);
}

/* JOB failed with R (the detail is this thread's, copied for the job's own thread). */
static void job_fail(struct api_ca_job *job, struct tc_result r)
{
	job->skip = true;
	job->result = r;
	snprintf(job->detail, sizeof(job->detail), "%s", tc_error_detail());
}

/*
 * The reply body {certificate, chain (this CA up to the root), serial, kind, log_index, not_before,
 * not_after, ca, appraisal} into JOB->body. The chain is spliced in as the text made once at load
 * (ca->chain_json) and the appraisal as the text already dumped for its row (api_ca_record_prepare), so
 * neither is serialized per reply again.
 */
static TC_RESULT response_build(const struct api_ca *ca, struct api_ca_job *job)
{
	const struct api_ca_recorded *rec = &job->rec;
	char nb[TC_TIME_RFC3339_LEN], na[TC_TIME_RFC3339_LEN];
	json_t *o = NULL;
	struct tc_result r = tc_ok();

	TC_GUARD(tc_time_format(rec->issued.not_before, nb));
	TC_GUARD(tc_time_format(rec->issued.not_after, na));
	TC_ENSURE(job->prep.appraisal_text.len > 1 && ca->chain_json.len > 1, TC_ERR_INTERNAL,
		  "appraisal or chain text missing");
	o = json_pack("{s:s%, s:s, s:s, s:I, s:s, s:s, s:s}", "certificate", (const char *)rec->issued.pem.data,
		      rec->issued.pem.len, "serial", rec->issued.serial_hex, "kind", ca_role_name(job->spec.role),
		      "log_index", (json_int_t)rec->log_seq, "not_before", nb, "not_after", na, "ca", ca->row.name);
	TC_ENSURE(o, TC_ERR_NO_MEMORY, "response");
	tc_buf_reset(&job->body);
	TC_GUARD_GOTO(r, tc_json_dump(o, &job->body), out);
	TC_ENSURE_GOTO(r, job->body.len >= 2 && job->body.data[job->body.len - 1] == '}', out, TC_ERR_INTERNAL,
		       "response is not a JSON object");
	job->body.len--; /* reopen the object for the members kept as text */
	TC_GUARD_GOTO(r, tc_buf_append_str(&job->body, ",\"chain\":"), out);
	TC_GUARD_GOTO(r, tc_buf_append(&job->body, ca->chain_json.data, ca->chain_json.len), out);
	TC_GUARD_GOTO(r, tc_buf_append_str(&job->body, ",\"appraisal\":"), out);
	TC_GUARD_GOTO(r, tc_buf_append(&job->body, job->prep.appraisal_text.data, job->prep.appraisal_text.len - 1),
		      out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&job->body, '}'), out);
	snprintf(job->serial_hex, sizeof(job->serial_hex), "%s", rec->issued.serial_hex);
out:
	json_decref(o);
	return r;
}

/* Idempotency-Key: a live stored response for the same body is replayed; another body is a conflict. */
static TC_RESULT idem_check(struct db_conn *conn, struct api_ca_job *job)
{
	uint8_t hash[32];
	int status = 0;
	bool found = false;
	struct tc_buf resp;
	struct tc_result r;

	tc_buf_init(&resp, (size_t)4 * 1024 * 1024);
	r = db_cert_idem_get(conn, job->idem_key, API_CA_IDEM_TTL_S, hash, &status, &resp, &found);
	if (tc_is_ok(r) && found && !tc_ct_equal(hash, job->request_hash, 32))
		r = tc_fail(TC_ERR_IDEMPOTENCY_CONFLICT, "Idempotency-Key '%.64s' was used with a different request",
			    job->idem_key);
	if (tc_is_ok(r) && found) {
		json_t *stored = NULL;

		r = tc_json_parse((const char *)resp.data, resp.len, resp.max, &stored);
		if (tc_is_ok(r))
			r = tc_buf_append(&job->body, resp.data, resp.len);
		if (tc_is_ok(r)) {
			snprintf(job->serial_hex, sizeof(job->serial_hex), "%.40s",
				 json_string_value(json_object_get(stored, "serial")) ?
					 json_string_value(json_object_get(stored, "serial")) :
					 "");
			job->status = status;
			job->replayed = true;
		}
		json_decref(stored);
	}
	tc_buf_cleanup(&resp);
	return r;
}

/* Inside the transaction: the CVM certificate is the one this CA stored (same bytes) and is not revoked. */
static TC_RESULT parent_check(struct db_conn *conn, const struct api_ca *ca, const struct api_ca_job *job)
{
	struct db_cert_status st;
	bool found = false;

	TC_GUARD(db_cert_status(conn, job->parent_serial, job->parent_serial_len, true, &st, &found));
	TC_ENSURE(found && st.ca == ca->row.id && strcmp(st.kind, "cvm") == 0 &&
			  tc_ct_equal(st.sha256, job->parent_sha256, 32),
		  TC_ERR_CVM_CERT_INVALID, "the CVM certificate is not a cvm certificate recorded by this CA");
	TC_ENSURE(!st.revoked, TC_ERR_CERT_REVOKED, "the CVM certificate is revoked");
	return tc_ok();
}

/* The checks of one job before its nonce; they write nothing. */
static TC_RESULT job_check(struct db_conn *conn, const struct api_ca *ca, struct api_ca_job *job)
{
	if (job->idem_key) {
		TC_GUARD(idem_check(conn, job));
		if (job->replayed)
			return tc_ok();
	}
	TC_ENSURE(!job->subroot_needs_root || strcmp(ca->row.role, "root") == 0, TC_ERR_PROFILE_VIOLATION,
		  "subroot certificates are issued by a root CA only (this CA is a %s)", ca->row.role);
	if (job->parent_serial)
		TC_GUARD(parent_check(conn, ca, job));
	return tc_ok();
}

/*
 * The nonces of the jobs still in, in one statement; a job whose nonce was not consumed gets the reason from
 * db_challenge_consume (not found, used, expired; a nonce twice in the batch: used) and is left out.
 */
static TC_RESULT nonces_consume(struct db_conn *conn, struct api_ca_job **jobs, size_t n)
{
	uint8_t nonces[API_CA_BATCH_MAX][DB_NONCE_LEN];
	bool consumed[API_CA_BATCH_MAX];
	struct api_ca_job *live[API_CA_BATCH_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!jobs[i]->skip) {
			memcpy(nonces[k], jobs[i]->nonce, DB_NONCE_LEN);
			live[k++] = jobs[i];
		}
	if (k == 0)
		return tc_ok();
	TC_GUARD(db_challenge_consume_batch(conn, (const uint8_t(*)[DB_NONCE_LEN])nonces, k, consumed));
	for (size_t i = 0; i < k; i++) {
		struct tc_result r;

		if (consumed[i])
			continue;
		r = db_challenge_consume(conn, live[i]->nonce);
		if (!tc_is_ok(r) && db_txn_aborted(conn))
			return r;
		if (!tc_is_ok(r))
			job_fail(live[i], r);
	}
	return tc_ok();
}

static TC_RESULT job_finish(struct db_conn *conn, const struct api_ca *ca, struct api_ca_job *job)
{
	struct tc_result r;

	TC_GUARD(response_build(ca, job));
	job->status = 201;
	if (!job->idem_key)
		return tc_ok();
	TC_GUARD(tc_buf_append_u8(&job->body, 0)); /* the text is stored as it is sent */
	r = db_cert_idem_put(conn, job->idem_key, API_CA_IDEM_TTL_S, job->request_hash, job->status,
			     (const char *)job->body.data);
	job->body.len--;
	return r;
}

/* Claim and sign one published job of the running batch. Caller holds batch_lock (released meanwhile). */
static void sign_one(struct api_ca *ca)
{
	struct api_ca_job *job = ca->sign_jobs[ca->sign_next++];
	struct tc_result r;

	pthread_mutex_unlock(&ca->batch_lock);
	r = api_ca_record_sign(&job->spec, job->rec.log_seq, &job->rec.issued);
	if (!tc_is_ok(r))
		snprintf(job->detail, sizeof(job->detail), "%s", tc_error_detail());
	job->sign_result = r;
	pthread_mutex_lock(&ca->batch_lock);
	if (++ca->sign_done == ca->sign_n)
		pthread_cond_signal(&ca->sign_cond);
}

/*
 * Sign the N jobs (their log_seq set): published to the request threads waiting in api_ca_issue, which
 * take one each while this (leader) thread takes its share, so the signatures of a batch run on every core.
 * The first refusal (the profile refused a request) is returned: the batch then rolls back, as no number
 * may be skipped.
 */
static TC_RESULT sign_all(struct api_ca *ca, struct api_ca_job **jobs, size_t n)
{
	pthread_mutex_lock(&ca->batch_lock);
	/* Batches sign under the log lock, so two never sign at once in one process; wait if they ever did. */
	while (ca->sign_n != 0) {
		if (ca->sign_next < ca->sign_n)
			sign_one(ca);
		else
			pthread_cond_wait(&ca->batch_done, &ca->batch_lock);
	}
	ca->sign_jobs = jobs;
	ca->sign_n = n;
	ca->sign_next = 0;
	ca->sign_done = 0;
	pthread_cond_broadcast(&ca->batch_done);
	while (ca->sign_next < ca->sign_n)
		sign_one(ca);
	while (ca->sign_done < ca->sign_n)
		pthread_cond_wait(&ca->sign_cond, &ca->batch_lock);
	ca->sign_jobs = NULL;
	ca->sign_n = ca->sign_next = ca->sign_done = 0;
	pthread_cond_broadcast(&ca->batch_done);
	pthread_mutex_unlock(&ca->batch_lock);
	for (size_t i = 0; i < n; i++)
		if (!tc_is_ok(jobs[i]->sign_result))
			return tc_fail(jobs[i]->sign_result.code, "%s", jobs[i]->detail);
	return tc_ok();
}

/* The certificate and appraisal rows of the N signed jobs (their entries appended): one statement per run of
 * common-case jobs (api_ca_record_rows_batch). */
static TC_RESULT rows_write(struct db_conn *conn, struct api_ca_job *const *jobs, size_t n)
{
	const struct api_ca_record *recs[API_CA_BATCH_MAX];
	const struct api_ca_prepared *preps[API_CA_BATCH_MAX];
	struct api_ca_recorded *outs[API_CA_BATCH_MAX];

	for (size_t i = 0; i < n; i++) {
		recs[i] = &jobs[i]->spec;
		preps[i] = &jobs[i]->prep;
		outs[i] = &jobs[i]->rec;
	}
	return api_ca_record_rows_batch(conn, recs, preps, outs, n);
}

static struct tc_result batch_txn(struct db_conn *conn, void *arg)
{
	struct batch *b = arg;
	struct db_log_entry *entries = NULL;
	struct api_ca_job *signed_jobs[API_CA_BATCH_MAX];
	size_t n_signed = 0;
	uint64_t size = 0, first = 0;
	struct tc_result r = tc_ok();

	for (size_t i = 0; i < b->n; i++)
		job_reset(b->jobs[i]);
	for (size_t i = 0; i < b->n; i++) {
		struct api_ca_job *job = b->jobs[i];

		r = job_check(conn, b->ca, job);
		if (!tc_is_ok(r) && db_txn_aborted(conn))
			return r; /* a statement failed: the transaction can only roll back */
		if (!tc_is_ok(r))
			job_fail(job, r);
		else if (job->replayed)
			job->skip = true;
	}
	TC_GUARD(nonces_consume(conn, b->jobs, b->n));
	r = tc_ok();
	for (size_t i = 0; i < b->n && n_signed == 0; i++)
		if (!b->jobs[i]->skip)
			n_signed = 1;
	if (n_signed == 0)
		return tc_ok();
	n_signed = 0;
	TC_GUARD(db_log_lock(conn, &size));
	batch_past_prelock(b->ca, b->unlocked);
	for (size_t i = 0; i < b->n; i++) {
		struct api_ca_job *job = b->jobs[i];

		if (job->skip)
			continue;
		job->rec.log_seq = size + n_signed;
		signed_jobs[n_signed++] = job;
	}
	TC_GUARD(sign_all(b->ca, signed_jobs, n_signed));
	entries = calloc(n_signed, sizeof(*entries));
	TC_ENSURE(entries, TC_ERR_NO_MEMORY, "log entries");
	for (size_t i = 0; i < n_signed; i++)
		api_ca_record_entry(&signed_jobs[i]->spec, &signed_jobs[i]->prep, &signed_jobs[i]->rec.issued,
				    signed_jobs[i]->spec.now, &entries[i]);
	r = db_log_append_batch(conn, entries, n_signed, &first);
	free(entries);
	TC_GUARD(r);
	TC_ENSURE(first == size, TC_ERR_DB_CONFLICT, "the log grew under its lock (%llu, expected %llu)",
		  (unsigned long long)first, (unsigned long long)size);
	TC_GUARD(rows_write(conn, signed_jobs, n_signed));
	for (size_t i = 0; i < n_signed; i++)
		TC_GUARD(job_finish(conn, b->ca, signed_jobs[i]));
	return tc_ok();
}

/* Run JOBS as one transaction; if that fails as a whole, each alone. Sets every job's result. */
static void batch_run(struct api_ca *ca, struct db_conn *conn, struct api_ca_job **jobs, size_t n, bool *unlocked)
{
	struct batch b = { .ca = ca, .jobs = jobs, .n = n, .unlocked = unlocked };
	struct tc_result r = db_txn_run_read_committed(conn, batch_txn, &b);

	if (tc_is_ok(r))
		return;
	if (n > 1) {
		tc_log(TC_LOG_DEBUG, "issuance_batch_split", "batch of %zu failed (%s): one transaction per job", n,
		       tc_error_detail());
		for (size_t i = 0; i < n; i++)
			batch_run(ca, conn, &jobs[i], 1, unlocked);
		return;
	}
	job_reset(jobs[0]);
	job_fail(jobs[0], r);
}

static struct tc_result purge_txn(struct db_conn *conn, void *arg)
{
	uint64_t *deleted = arg;

	return db_cert_idem_purge(conn, API_CA_IDEM_TTL_S, deleted);
}

/* Delete expired idempotency keys, at most every API_CA_IDEM_PURGE_EVERY_S (one leader claims the turn). */
static void idem_purge(struct api_ca *ca, struct db_conn *conn)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t deleted = 0;
	bool due;

	pthread_mutex_lock(&ca->batch_lock);
	due = now - ca->idem_purged_at >= API_CA_IDEM_PURGE_EVERY_S;
	if (due)
		ca->idem_purged_at = now;
	pthread_mutex_unlock(&ca->batch_lock);
	if (!due)
		return;
	if (!tc_is_ok(db_txn_run_read_committed(conn, purge_txn, &deleted)))
		tc_log(TC_LOG_WARN, "idempotency_purge_failed", "%s", tc_error_detail());
	else if (deleted > 0)
		tc_log(TC_LOG_INFO, "idempotency_purged", "%llu expired Idempotency-Keys deleted",
		       (unsigned long long)deleted);
}

/* True when a job of JOBS[0..N) carries Idempotency-Key KEY. */
static bool idem_in(struct api_ca_job *const *jobs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i]->idem_key && strcmp(jobs[i]->idem_key, key) == 0)
			return true;
	return false;
}

/* Take up to API_CA_BATCH_MAX queued jobs, in order. A job whose Idempotency-Key is already in this batch or
 * in a batch still running stays queued: it replays the first one's response in a later batch (a running
 * batch's key is not visible to another transaction before its commit). Caller holds batch_lock. */
static size_t queue_take(struct api_ca *ca, struct api_ca_job **out)
{
	struct api_ca_job **link = &ca->queue_head;
	size_t n = 0;

	while (*link && n < API_CA_BATCH_MAX) {
		struct api_ca_job *job = *link;
		bool dup = job->idem_key && idem_in(out, n, job->idem_key);

		for (size_t k = 0; k < API_CA_BATCH_LEADERS && job->idem_key && !dup; k++)
			dup = ca->running[k] && idem_in(ca->running[k], ca->running_n[k], job->idem_key);
		if (dup) {
			link = &job->next;
			continue;
		}
		*link = job->next;
		job->next = NULL;
		out[n++] = job;
	}
	ca->queue_tail = NULL;
	for (struct api_ca_job *j = ca->queue_head; j; j = j->next)
		ca->queue_tail = j;
	return n;
}

/*
 * May a batch start now (caller holds batch_lock)? Always when none runs. A second one overlaps the running
 * one only at low load: when the running batch holds the log lock already (the new one then does its
 * pre-lock work while the other signs and commits) and is a single job. Under load one batch at a time
 * is faster: the next takes every job queued meanwhile, and bigger batches mean fewer statements and commits
 * per certificate (docs/bench.md: one leader beat two from concurrency 4 up, two won at 2).
 */
static bool batch_may_start(const struct api_ca *ca)
{
	if (ca->queue_head == NULL || ca->batch_leaders >= API_CA_BATCH_LEADERS)
		return false;
	if (ca->batch_leaders == 0)
		return true;
	if (ca->batches_unlocked > 0)
		return false;
	for (size_t k = 0; k < API_CA_BATCH_LEADERS; k++)
		if (ca->running[k] && ca->running_n[k] > 1)
			return false;
	return true;
}

/* A free slot of ca->running (one exists while batch_leaders < API_CA_BATCH_LEADERS). */
static size_t running_slot(const struct api_ca *ca)
{
	size_t k = 0;

	while (k + 1 < API_CA_BATCH_LEADERS && ca->running[k])
		k++;
	return k;
}

TC_RESULT api_ca_issue(struct api_ca *ca, struct db_conn *conn, struct api_ca_job *job)
{
	struct api_ca_job *batch[API_CA_BATCH_MAX];

	TC_ENSURE(ca && conn && job && job->nonce && (!job->idem_key || job->request_hash), TC_ERR_INVALID_ARGUMENT,
		  "api_ca_issue: missing argument");
	TC_GUARD(api_ca_record_prepare(&job->spec, &job->prep));
	job->done = false;
	job->next = NULL;
	pthread_mutex_lock(&ca->batch_lock);
	if (ca->queue_tail)
		ca->queue_tail->next = job;
	else
		ca->queue_head = job;
	ca->queue_tail = job;
	while (!job->done) {
		if (ca->sign_next < ca->sign_n) { /* help the running batch sign */
			sign_one(ca);
			continue;
		}
		if (!batch_may_start(ca)) {
			pthread_cond_wait(&ca->batch_done, &ca->batch_lock);
			continue;
		}
		size_t n = queue_take(ca, batch), slot = running_slot(ca);

		if (n == 0) { /* only jobs waiting for a running batch's Idempotency-Key */
			pthread_cond_wait(&ca->batch_done, &ca->batch_lock);
			continue;
		}
		bool unlocked = true;

		ca->batch_leaders++;
		ca->batches_unlocked++;
		ca->running[slot] = batch;
		ca->running_n[slot] = n;

		pthread_mutex_unlock(&ca->batch_lock);
		idem_purge(ca, conn);
		batch_run(ca, conn, batch, n, &unlocked);
		batch_past_prelock(ca, &unlocked); /* if it ended before the log lock (every job failed a check) */
		pthread_mutex_lock(&ca->batch_lock);
		for (size_t i = 0; i < n; i++)
			batch[i]->done = true;
		ca->batch_leaders--;
		ca->running[slot] = NULL;
		ca->running_n[slot] = 0;
		pthread_cond_broadcast(&ca->batch_done);
	}
	pthread_mutex_unlock(&ca->batch_lock);
	if (!tc_is_ok(job->result))
		return tc_fail(job->result.code, "%s", job->detail);
	return tc_ok();
}
