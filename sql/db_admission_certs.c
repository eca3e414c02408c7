/*
 * db_admission_certs.c — everything an admission decision reads, in one round trip (teecert-verifier,
 * POST /v1/admission/peer|workload, docs/admission.md): for each certificate of a validated path (leaf
 * first) whether this deployment recorded it, whether the recorded one is the presented one (SHA-256 of the
 * DER; the bytes themselves are not shipped), revocation, the first appraised device's tee and tcb_status,
 * the log entry, notAfter and the workload info hash; for the leaf also the first confirmed anchor whose tree
 * covers its entry (as db_admission_anchor).
 *
 * The statement has a fixed shape — DB_ADMISSION_CHUNK serials as bytea parameters (unused slots repeat the
 * first, never NULL, so a custom plan is never cheaper than the generic one) and the leaf's serial for the
 * anchor — so that PostgreSQL settles on one generic plan for it after its first executions: an earlier
 * form passing the path as text lists through unnest() was replanned on every execution (custom plans won
 * on estimated cost) and spent ~0.7 ms of the server's CPU per admission planning (docs/bench.md). Longer
 * paths take one more round trip per chunk. The appraisal (a few KB of compressed jsonb) is detoasted once
 * per row for its first device.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

#define DB_ADMISSION_CHUNK 4

static const struct db_stmt stmt = {
	.name = "admission_certs",
	.sql = "SELECT encode(c.serial, 'hex'), encode(c.sha256, 'hex'), c.kind, r.serial IS NOT NULL,"
	       " ap.d0->>'tee', ap.d0->>'tcb_status', c.log_seq,"
	       " extract(epoch FROM c.not_after)::bigint, encode(c.workload_info_hash, 'hex'),"
	       " an.tree_size, encode(an.tx_hash, 'hex'), an.block"
	       " FROM certificates c"
	       " LEFT JOIN revocations r ON r.serial = c.serial"
	       " LEFT JOIN LATERAL (SELECT a.appraisal->'devices'->0 AS d0 FROM appraisals a"
	       "   WHERE a.serial = c.serial) ap ON true"
	       " LEFT JOIN LATERAL (SELECT t.tree_size, t.tx_hash, COALESCE(t.block_number, -1) AS block"
	       "   FROM anchor_txs t WHERE c.serial = $5::bytea AND t.state = 'confirmed' AND t.tx_hash IS NOT NULL"
	       "   AND t.tree_size > c.log_seq ORDER BY t.tree_size LIMIT 1) an ON true"
	       " WHERE c.serial IN ($1::bytea, $2::bytea, $3::bytea, $4::bytea)",
	.nparams = 5,
};

/* Row I into C; SHA (the presented certificate's) decides c->same. */
static TC_RESULT read_row(const PGresult *res, int i, const uint8_t sha[32], struct db_admission_cert *c)
{
	const char *hash = PQgetvalue(res, i, 1);
	uint8_t recorded[32];
	int64_t v;

	c->found = true;
	TC_GUARD(tc_hex_decode_fixed(hash, strlen(hash), recorded, 32));
	c->same = memcmp(recorded, sha, 32) == 0;
	snprintf(c->kind, sizeof(c->kind), "%s", PQgetvalue(res, i, 2));
	TC_GUARD(db_value_bool(res, i, 3, &c->revoked));
	c->has_tee = !PQgetisnull(res, i, 4);
	snprintf(c->tee, sizeof(c->tee), "%s", c->has_tee ? PQgetvalue(res, i, 4) : "");
	c->has_tcb_status = !PQgetisnull(res, i, 5);
	snprintf(c->tcb_status, sizeof(c->tcb_status), "%s", c->has_tcb_status ? PQgetvalue(res, i, 5) : "");
	TC_GUARD(db_value_int64(res, i, 6, &v));
	c->log_seq = (uint64_t)v;
	TC_GUARD(db_value_int64(res, i, 7, &c->not_after));
	c->has_workload_info_hash = !PQgetisnull(res, i, 8);
	if (c->has_workload_info_hash) {
		const char *h = PQgetvalue(res, i, 8);

		TC_GUARD(tc_hex_decode_fixed(h, strlen(h), c->workload_info_hash, 32));
	}
	c->anchored = !PQgetisnull(res, i, 9);
	if (c->anchored) {
		const char *tx = PQgetvalue(res, i, 10);

		TC_GUARD(db_value_int64(res, i, 9, &v));
		c->tree_size = (uint64_t)v;
		TC_GUARD(tc_hex_decode_fixed(tx, strlen(tx), c->tx_hash, 32));
		TC_GUARD(db_value_int64(res, i, 11, &c->block));
	}
	return tc_ok();
}

/* KEYS[first .. first + n) (n <= DB_ADMISSION_CHUNK) in one round trip; LEAF: the serial the anchor is for. */
static TC_RESULT chunk(struct db_conn *conn, const struct db_admission_key *keys, size_t first, size_t n,
		       struct db_admission_cert *out)
{
	struct db_param params[DB_ADMISSION_CHUNK + 1];
	PGresult *res = NULL;
	struct tc_result r = tc_ok();

	for (size_t k = 0; k < DB_ADMISSION_CHUNK; k++)
		params[k] =
			DB_PARAM_BYTES(keys[first + (k < n ? k : 0)].serial, keys[first + (k < n ? k : 0)].serial_len);
	params[DB_ADMISSION_CHUNK] = DB_PARAM_BYTES(keys[0].serial, keys[0].serial_len);
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	for (int i = 0; i < PQntuples(res) && tc_is_ok(r); i++) {
		const char *hex = PQgetvalue(res, i, 0);
		uint8_t serial[DB_CA_SERIAL_MAX];
		size_t len = strlen(hex) / 2;

		if (len < 1 || len > DB_CA_SERIAL_MAX) {
			r = tc_fail(TC_ERR_DB_QUERY, "admission_certs: bad serial");
			break;
		}
		r = tc_hex_decode_fixed(hex, 2 * len, serial, len);
		for (size_t k = 0; tc_is_ok(r) && k < n; k++)
			if (keys[first + k].serial_len == len && memcmp(keys[first + k].serial, serial, len) == 0)
				r = read_row(res, i, keys[first + k].sha256, &out[first + k]);
	}
	PQclear(res);
	return r;
}

TC_RESULT db_admission_certs(struct db_conn *conn, const struct db_admission_key *keys, size_t n,
			     struct db_admission_cert *out)
{
	TC_ENSURE(conn && keys && out && n >= 1 && n <= DB_ADMISSION_PATH_MAX, TC_ERR_INVALID_ARGUMENT,
		  "db_admission_certs: 1..%d certificates", DB_ADMISSION_PATH_MAX);
	memset(out, 0, n * sizeof(*out));
	for (size_t first = 0; first < n; first += DB_ADMISSION_CHUNK)
		TC_GUARD(
			chunk(conn, keys, first, n - first < DB_ADMISSION_CHUNK ? n - first : DB_ADMISSION_CHUNK, out));
	return tc_ok();
}
