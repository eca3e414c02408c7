/*
 * test_db_cert_batch.c — api_ca_record_rows_batch (api/api_ca_state.c) and the statement it uses for runs of
 * common-case jobs, db_cert_insert_appraised_batch (sql/db_cert_insert_appraised_batch.c), on real PostgreSQL:
 * the batch writes exactly the rows the one-job path (api_ca_record_rows for each job in order) writes, with
 * text that needs escaping, NULL columns, an uncommon job between runs and a workload certificate whose cvm
 * parent is inserted earlier in the same statement; a failing row writes nothing of its run.
 */
#include <string.h>

#include "api_internal.h"
#include "db_test_util.h"

#define JOBS 6
#define DER_LEN 3000
#define EVIDENCE_LEN 2500

static struct db_test_env env;
static int64_t ca_id;

/* The inputs of one job and its outputs. */
struct job {
	struct ca_csr csr;
	struct vf_appraisal appraisal;
	struct vf_item evidence;
	uint8_t evidence_bytes[EVIDENCE_LEN];
	uint8_t wih[32];
	struct api_ca_record rec;
	struct api_ca_prepared prep;
	struct api_ca_recorded out;
};

static int setup(void **state)
{
	(void)state;
	if (db_test_env_setup(&env, "db_cert_batch", true) != 0)
		return -1;
	db_test_sql(env.conn, "INSERT INTO cas (name, role, network, certificate, cert_sha256)"
			      " VALUES ('batch-root', 'root', 'untrusted', decode(repeat('30', 100), 'hex'),"
			      " sha256(decode(repeat('30', 100), 'hex')))");
	ca_id = db_test_int(env.conn, "SELECT id FROM cas WHERE name = 'batch-root'");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return db_test_env_teardown(&env);
}

/*
 * Job I of run RUN (0: the batch, 1: one job at a time): 0, 1 common cvm jobs (1 with a subject, SANs and
 * appraisal text full of quotes and backslashes, no hardware id); 2 no appraisal (uncommon: certificates row
 * only); 3 a common cvm job; 4 a common workload job bound to 3 (same statement in the batch); 5 a common
 * workload job bound to 0 (an earlier statement).
 */
static void job_make(struct job *jobs, size_t i, int run)
{
	struct job *j = &jobs[i];
	static const enum ca_role roles[JOBS] = { CA_ROLE_CVM, CA_ROLE_CVM,      CA_ROLE_CVM,
						  CA_ROLE_CVM, CA_ROLE_WORKLOAD, CA_ROLE_WORKLOAD };

	memset(j, 0, sizeof(*j));
	tc_buf_init(&j->csr.spki, 4096);
	assert_true(tc_is_ok(tc_buf_append(&j->csr.spki, "spki-", 5)));
	assert_true(tc_is_ok(tc_buf_append_u8(&j->csr.spki, (uint8_t)i)));
	snprintf(j->csr.subject_text, sizeof(j->csr.subject_text), i == 1 ? "CN=a\"b\\\\c,O=x y" : "CN=job%zu", i);
	vf_appraisal_init(&j->appraisal);
	memset(j->appraisal.policy_digest, 0x10 + (int)i, 32);
	memset(j->appraisal.evidence_digest, 0x20 + (int)i, 32);
	for (size_t k = 0; k < EVIDENCE_LEN; k++)
		j->evidence_bytes[k] = (uint8_t)(k * 7 + i);
	j->evidence = (struct vf_item){ .role = "tdx_quote", .data = j->evidence_bytes, .len = EVIDENCE_LEN };
	memset(j->wih, 0x40 + (int)i, 32);

	j->rec.ca_id = ca_id;
	j->rec.csr = &j->csr;
	j->rec.role = roles[i];
	j->rec.appraisal = i == 2 ? NULL : &j->appraisal;
	j->rec.evidence = i == 2 ? NULL : &j->evidence;
	j->rec.n_evidence = i == 2 ? 0 : 1;
	if (roles[i] == CA_ROLE_WORKLOAD) {
		const struct job *parent = &jobs[i == 4 ? 3 : 0];

		j->rec.workload_info_hash = j->wih;
		j->rec.parent_cvm_serial = parent->out.issued.serial;
		j->rec.parent_cvm_serial_len = CA_SERIAL_LEN;
	}

	api_ca_prepared_init(&j->prep);
	assert_true(tc_is_ok(tc_buf_append_str(
		&j->prep.appraisal_text, i == 1 ? "{\"detail\": \"q\\\"uo\\\\te\", \"n\": [1, 2]}" : "{\"n\": 1}")));
	assert_true(tc_is_ok(tc_buf_append_u8(&j->prep.appraisal_text, 0)));
	assert_true(tc_is_ok(tc_buf_append_str(
		&j->prep.sans, i == 1 ? "[{\"type\": \"dns\", \"value\": \"a\\\"b\\\\c.example\"}]" : "[]")));
	assert_true(tc_is_ok(tc_buf_append_u8(&j->prep.sans, 0)));
	if (i != 1)
		snprintf(j->prep.hwid, sizeof(j->prep.hwid), "tdx:ppid:%02zx", i);

	tc_buf_init(&j->out.issued.der, 1 << 20);
	tc_buf_init(&j->out.issued.pem, 1 << 20);
	for (size_t k = 0; k < DER_LEN; k++)
		assert_true(
			tc_is_ok(tc_buf_append_u8(&j->out.issued.der, (uint8_t)(k == 0 ? (size_t)run : k * 13 + i))));
	memset(j->out.issued.serial, 0x11 * (int)(i + 1), CA_SERIAL_LEN);
	j->out.issued.serial[0] = (uint8_t)(run + 1);
	j->out.issued.not_before = 1700000000 + (int64_t)i;
	j->out.issued.not_after = 1800000000 + (int64_t)i;
}

static void job_cleanup(struct job *j)
{
	ca_issued_cleanup(&j->out.issued);
	api_ca_prepared_cleanup(&j->prep);
	vf_appraisal_cleanup(&j->appraisal);
	tc_buf_cleanup(&j->csr.spki);
}

/* Append N log entries in the open transaction; their seqs go to the jobs' outputs. */
static void entries_append(struct job *jobs, size_t n)
{
	struct db_log_entry e[JOBS];
	uint64_t first = 0;

	memset(e, 0, sizeof(e));
	for (size_t i = 0; i < n; i++) {
		e[i].type = DB_LOG_ISSUANCE;
		snprintf(e[i].serial, sizeof(e[i].serial), "%02x%02x", (unsigned)jobs[i].out.issued.serial[0],
			 (unsigned)i);
		memset(e[i].cert_sha256, (int)i, 32);
		snprintf(e[i].issuer, sizeof(e[i].issuer), "CN=batch-root");
		snprintf(e[i].kind, sizeof(e[i].kind), "%s", ca_role_name(jobs[i].rec.role));
		e[i].time = 1700000000;
	}
	db_assert_ok(db_log_append_batch(env.conn, e, n, &first));
	for (size_t i = 0; i < n; i++)
		jobs[i].out.log_seq = first + i;
}

/* Record the JOBS of RUN with the batch (RUN 0) or one job at a time (RUN 1), in one transaction. */
static void run_record(int run)
{
	struct job *jobs = calloc(JOBS, sizeof(*jobs));
	const struct api_ca_record *recs[JOBS];
	const struct api_ca_prepared *preps[JOBS];
	struct api_ca_recorded *outs[JOBS];

	assert_non_null(jobs);
	for (size_t i = 0; i < JOBS; i++) {
		job_make(jobs, i, run);
		recs[i] = &jobs[i].rec;
		preps[i] = &jobs[i].prep;
		outs[i] = &jobs[i].out;
	}
	db_test_sql(env.conn, "BEGIN");
	env.conn->in_txn = true;
	entries_append(jobs, JOBS);
	if (run == 0) {
		db_assert_ok(api_ca_record_rows_batch(env.conn, recs, preps, outs, JOBS));
	} else {
		for (size_t i = 0; i < JOBS; i++)
			db_assert_ok(api_ca_record_rows(env.conn, recs[i], preps[i], outs[i]));
	}
	env.conn->in_txn = false;
	db_test_sql(env.conn, "COMMIT");
	for (size_t i = 0; i < JOBS; i++) {
		assert_int_equal(outs[i]->ca_id, ca_id);
		job_cleanup(&jobs[i]);
	}
	free(jobs);
}

static void test_batch_equals_one_by_one(void **state)
{
	(void)state;
	int64_t certs0 = db_test_int(env.conn, "SELECT count(*) FROM certificates");
	int64_t seq0 = db_test_int(env.conn, "SELECT size FROM log_state");
	char sql[2048];

	run_record(0);
	run_record(1);
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM certificates"), certs0 + 2 * JOBS);
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM appraisals"), 2 * (JOBS - 1));
	/* Pair each batch row with the one-by-one row of the same job (log_seq + JOBS): every column equal but
	 * the serial (run byte), the DER's first byte and its hash; parents compared by their log_seq. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM certificates a JOIN certificates b ON b.log_seq = a.log_seq + %d"
		 " LEFT JOIN certificates ap ON ap.serial = a.parent_cvm_serial"
		 " LEFT JOIN certificates bp ON bp.serial = b.parent_cvm_serial"
		 " WHERE a.log_seq >= %lld AND a.log_seq < %lld"
		 " AND (a.ca, a.kind, a.subject, a.sans, a.not_before, a.not_after, substring(a.der FROM 2),"
		 "      a.spki_sha256, a.hardware_id, a.workload_info_hash, ap.log_seq + %d)"
		 "  IS NOT DISTINCT FROM (b.ca, b.kind, b.subject, b.sans, b.not_before, b.not_after,"
		 "      substring(b.der FROM 2), b.spki_sha256, b.hardware_id, b.workload_info_hash, bp.log_seq)"
		 " AND get_byte(a.der, 0) = 0 AND get_byte(b.der, 0) = 1 AND substring(a.serial FROM 2) ="
		 " substring(b.serial FROM 2)",
		 JOBS, (long long)seq0, (long long)seq0 + JOBS, JOBS);
	assert_int_equal(db_test_int(env.conn, sql), JOBS);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM certificates a JOIN certificates b ON b.log_seq = a.log_seq + %d"
		 " JOIN appraisals x ON x.serial = a.serial JOIN appraisals y ON y.serial = b.serial"
		 " WHERE a.log_seq >= %lld AND a.log_seq < %lld"
		 " AND (x.appraisal, x.policy_digest, x.evidence_digest, x.evidence_type, x.evidence)"
		 "   = (y.appraisal, y.policy_digest, y.evidence_digest, y.evidence_type, y.evidence)",
		 JOBS, (long long)seq0, (long long)seq0 + JOBS);
	assert_int_equal(db_test_int(env.conn, sql), JOBS - 1);
	/* The escaped text arrived intact, NULLs stayed NULL. */
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM certificates WHERE subject = 'CN=a\"b\\\\c,O=x y'"
					       " AND sans->0->>'value' = 'a\"b\\c.example' AND hardware_id IS NULL"),
			 2);
	assert_int_equal(
		db_test_int(env.conn, "SELECT count(*) FROM appraisals WHERE appraisal->>'detail' = 'q\"uo\\te'"), 2);
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM certificates WHERE kind = 'cvm'"
					       " AND workload_info_hash IS NULL AND parent_cvm_serial IS NULL"),
			 2 * 4);
}

/* A run whose second row breaks a check (a workload bound to a missing parent) writes none of its rows. */
static void test_batch_failure_writes_nothing(void **state)
{
	(void)state;
	struct job *jobs = calloc(JOBS, sizeof(*jobs));
	struct db_cert certs[2];
	struct db_cert_appraisal_row rows[2];
	int64_t certs0 = db_test_int(env.conn, "SELECT count(*) FROM certificates");
	static const uint8_t missing[CA_SERIAL_LEN] = { 0x7f, 1, 2, 3 };

	assert_non_null(jobs);
	for (size_t i = 0; i < 2; i++)
		job_make(jobs, i, 2);
	db_test_sql(env.conn, "BEGIN");
	env.conn->in_txn = true;
	entries_append(jobs, 2);
	for (size_t i = 0; i < 2; i++) {
		memset(&certs[i], 0, sizeof(certs[i]));
		memcpy(certs[i].serial, jobs[i].out.issued.serial, CA_SERIAL_LEN);
		certs[i].serial_len = CA_SERIAL_LEN;
		certs[i].ca = ca_id;
		snprintf(certs[i].kind, sizeof(certs[i].kind), "%s", i == 1 ? "workload" : "cvm");
		certs[i].subject = "CN=x";
		certs[i].der = jobs[i].out.issued.der.data;
		certs[i].der_len = jobs[i].out.issued.der.len;
		certs[i].log_seq = jobs[i].out.log_seq;
		rows[i] = (struct db_cert_appraisal_row){ .appraisal_json = "{}",
							  .policy_digest = jobs[i].appraisal.policy_digest,
							  .evidence_digest = jobs[i].appraisal.evidence_digest,
							  .evidence_type = "tdx_quote",
							  .evidence = jobs[i].evidence_bytes,
							  .evidence_len = EVIDENCE_LEN };
	}
	certs[1].has_workload_info_hash = true;
	certs[1].parent_cvm_serial = missing;
	certs[1].parent_cvm_serial_len = sizeof(missing);
	db_assert_code(db_cert_insert_appraised_batch(env.conn, certs, rows, 2), TC_ERR_DB_QUERY);
	db_assert_code(db_cert_insert_appraised_batch(env.conn, certs, rows, 0), TC_ERR_INVALID_ARGUMENT);
	env.conn->in_txn = false;
	db_test_sql(env.conn, "ROLLBACK");
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM certificates"), certs0);
	for (size_t i = 0; i < 2; i++)
		job_cleanup(&jobs[i]);
	free(jobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_equals_one_by_one),
		cmocka_unit_test(test_batch_failure_writes_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
