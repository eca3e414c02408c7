/*
 * db_log_encode.c — the canonical encoding of a log entry, the bytes whose RFC 9162 leaf hash goes into the
 * tree (DESIGN.md "Transparency log and anchoring"; docs/log.md). It is RFC 8785 (JCS) JSON of an object
 * with always the same nine members:
 *
 *   {"appraisal_digest":hex|null,"cert_sha256":hex,"issuer":str,"kind":str,"seq":int,"serial":hex,
 *    "time":"YYYY-MM-DDTHH:MM:SSZ","type":"issuance"|"revocation","workload_info_hash":hex|null}
 *
 * No query here: the encoder is shared by db_log_append.c and the tests, and checks the fields the way the
 * CHECK constraints of log_entries do, so a bad entry fails before the database is asked.
 */
#include <string.h>

#include "db_internal.h"

#define DB_LOG_SEQ_JSON_MAX ((uint64_t)1 << 53) /* JSON integers beyond 2^53 lose precision (RFC 8785 §3.2.2.3) */

static const char *const log_kinds[] = { "root", "subroot", "cvm", "workload" };

const char *db_log_type_name(enum db_log_type t)
{
	return t == DB_LOG_REVOCATION ? "revocation" : "issuance";
}

TC_RESULT db_log_type_parse(const char *s, enum db_log_type *out)
{
	TC_ENSURE(s != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "log type: missing argument");
	if (strcmp(s, "issuance") == 0)
		*out = DB_LOG_ISSUANCE;
	else if (strcmp(s, "revocation") == 0)
		*out = DB_LOG_REVOCATION;
	else
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "log entry type '%.32s' is not issuance or revocation", s);
	return tc_ok();
}

static TC_RESULT entry_check(const struct db_log_entry *e)
{
	size_t serial_len = strnlen(e->serial, sizeof(e->serial));
	size_t issuer_len = strnlen(e->issuer, sizeof(e->issuer));
	bool kind_ok = false;

	TC_ENSURE(e->type == DB_LOG_ISSUANCE || e->type == DB_LOG_REVOCATION, TC_ERR_INVALID_ARGUMENT,
		  "log entry: unknown type %d", (int)e->type);
	TC_ENSURE(e->seq < DB_LOG_SEQ_JSON_MAX, TC_ERR_INVALID_ARGUMENT, "log entry: seq beyond 2^53");
	TC_ENSURE(serial_len >= 2 && serial_len <= DB_LOG_SERIAL_MAX && serial_len % 2 == 0, TC_ERR_INVALID_ARGUMENT,
		  "log entry: serial must be 2..%d hex digits, an even number", DB_LOG_SERIAL_MAX);
	for (size_t i = 0; i < serial_len; i++)
		TC_ENSURE((e->serial[i] >= '0' && e->serial[i] <= '9') || (e->serial[i] >= 'a' && e->serial[i] <= 'f'),
			  TC_ERR_INVALID_ARGUMENT, "log entry: serial is not lowercase hex");
	TC_ENSURE(issuer_len >= 1 && issuer_len <= DB_LOG_ISSUER_MAX, TC_ERR_INVALID_ARGUMENT,
		  "log entry: issuer must be 1..%d bytes", DB_LOG_ISSUER_MAX);
	for (size_t i = 0; i < sizeof(log_kinds) / sizeof(log_kinds[0]); i++)
		kind_ok = kind_ok || strncmp(e->kind, log_kinds[i], sizeof(e->kind)) == 0;
	TC_ENSURE(kind_ok, TC_ERR_INVALID_ARGUMENT, "log entry: kind '%.16s' is not root, subroot, cvm or workload",
		  e->kind);
	TC_ENSURE(e->time >= 0, TC_ERR_INVALID_ARGUMENT, "log entry: time before 1970");
	return tc_ok();
}

/* A hash as lowercase hex, or null when absent. New reference, NULL on OOM. */
static json_t *hash_or_null(bool present, const uint8_t hash[DB_LOG_HASH_LEN])
{
	return present ? tc_json_hex(hash, DB_LOG_HASH_LEN) : json_null();
}

TC_RESULT db_log_entry_encode(const struct db_log_entry *e, struct tc_buf *out)
{
	char when[TC_TIME_RFC3339_LEN];
	json_t *obj;
	struct tc_result r;

	TC_ENSURE(e != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "log entry encode: missing argument");
	TC_GUARD(entry_check(e));
	TC_GUARD(tc_time_format(e->time, when));
	obj = json_pack("{s:o, s:o, s:s, s:s, s:I, s:s, s:s, s:s, s:o}",
			"appraisal_digest", hash_or_null(e->has_appraisal_digest, e->appraisal_digest),
			"cert_sha256", tc_json_hex(e->cert_sha256, DB_LOG_HASH_LEN),
			"issuer", e->issuer, "kind", e->kind, "seq", (json_int_t)e->seq, "serial", e->serial,
			"time", when, "type", db_log_type_name(e->type),
			"workload_info_hash", hash_or_null(e->has_workload_info_hash, e->workload_info_hash));
	TC_ENSURE(obj != NULL, TC_ERR_INVALID_ARGUMENT, "log entry encode: issuer is not UTF-8 (or out of memory)");
	r = tc_json_canonical(obj, out);
	json_decref(obj);
	return r;
}
