/*
 * api_certs_common.c — what the certificate history endpoints of teecert-verifier share (docs/admission.md):
 * hex serials from paths and queries, DER as PEM (RFC 7468), and one certificate row as JSON.
 */
#include <string.h>

#include "api_internal.h"

#define PEM_LINE 64

TC_RESULT api_certs_pem(const uint8_t *der, size_t len, struct tc_buf *out)
{
	struct tc_buf b64;
	struct tc_result r = tc_ok();

	tc_buf_init(&b64, TC_BUF_DEFAULT_MAX);
	TC_GUARD_GOTO(r, tc_base64_encode(der, len, &b64), out);
	TC_GUARD_GOTO(r, tc_buf_append_str(out, "-----BEGIN CERTIFICATE-----\n"), out);
	for (size_t off = 0; off < b64.len; off += PEM_LINE) {
		size_t n = b64.len - off < PEM_LINE ? b64.len - off : PEM_LINE;

		TC_GUARD_GOTO(r, tc_buf_append(out, b64.data + off, n), out);
		TC_GUARD_GOTO(r, tc_buf_append_u8(out, '\n'), out);
	}
	r = tc_buf_append_str(out, "-----END CERTIFICATE-----\n");
out:
	tc_buf_cleanup(&b64);
	return r;
}

TC_RESULT api_certs_serial_parse(const char *name, const char *s, uint8_t out[DB_CA_SERIAL_MAX], size_t *len)
{
	size_t n = s ? strlen(s) : 0;

	TC_ENSURE(n >= 2 && n <= 2 * DB_CA_SERIAL_MAX && n % 2 == 0, TC_ERR_INVALID_ARGUMENT,
		  "%s must be 1..%d bytes of hex (got '%.48s')", name, DB_CA_SERIAL_MAX, s ? s : "");
	for (size_t i = 0; i < n; i++)
		TC_ENSURE((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'), TC_ERR_INVALID_ARGUMENT,
			  "%s must be lowercase hex (got '%.48s')", name, s);
	TC_GUARD(tc_hex_decode_fixed(s, n, out, n / 2));
	*len = n / 2;
	return tc_ok();
}

static json_t *time_json(int64_t t)
{
	char buf[TC_TIME_RFC3339_LEN];

	if (!tc_is_ok(tc_time_format(t, buf)))
		return json_null();
	return json_string(buf);
}

static json_t *opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The parts only the single-certificate reply has: PEM, appraisal object, decoded extensions. */
static TC_RESULT add_full(const struct db_certs_row *row, json_t *o)
{
	struct tc_buf pem;
	json_t *appraisal = json_null(), *ext = json_null(), *sans = NULL;
	struct ca_cert_info info;
	struct tc_result r = tc_ok();

	tc_buf_init(&pem, TC_BUF_DEFAULT_MAX);
	TC_GUARD_GOTO(r, api_certs_pem(row->der, row->der_len, &pem), out);
	if (row->appraisal_json) {
		json_decref(appraisal);
		appraisal = NULL;
		TC_GUARD_GOTO(
			r,
			tc_json_parse(row->appraisal_json, strlen(row->appraisal_json), TC_BUF_DEFAULT_MAX, &appraisal),
			out);
	}
	if (tc_is_ok(ca_cert_info_parse(row->der, row->der_len, &info))) {
		json_t *e = NULL;

		if (tc_is_ok(ca_cert_info_to_json(&info, &e))) {
			json_decref(ext);
			ext = e;
		}
	}
	TC_GUARD_GOTO(r, tc_json_parse(row->sans_json, strlen(row->sans_json), TC_BUF_DEFAULT_MAX, &sans), out);
	TC_ENSURE_GOTO(r,
		       json_object_set_new(o, "certificate", json_stringn((const char *)pem.data, pem.len)) == 0 &&
			       json_object_set(o, "appraisal", appraisal) == 0 &&
			       json_object_set(o, "extensions", ext) == 0 && json_object_set(o, "sans", sans) == 0,
		       out, TC_ERR_NO_MEMORY, "certificate body");
out:
	json_decref(appraisal);
	json_decref(ext);
	json_decref(sans);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT api_certs_row_json(const struct db_certs_row *row, bool full, json_t **out)
{
	json_t *o, *revoked = json_null();

	if (row->revoked)
		revoked = json_pack("{s:o, s:i}", "at", time_json(row->revoked_at), "reason", row->reason);
	o = json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "serial",
		      tc_json_hex(row->serial, row->serial_len), "kind", row->kind, "issuer_ca", row->ca_name,
		      "subject", row->subject, "not_before", time_json(row->not_before), "not_after",
		      time_json(row->not_after), "status", row->status, "revoked", revoked, "tee", opt_string(row->tee),
		      "tcb_status", opt_string(row->tcb_status), "hardware_id", opt_string(row->hardware_id),
		      "workload_info_hash",
		      row->has_workload_info_hash ? tc_json_hex(row->workload_info_hash, 32) : json_null(), "log_seq",
		      (json_int_t)row->log_seq, "issued_at", time_json(row->created_us / 1000000));
	TC_ENSURE(o != NULL, TC_ERR_NO_MEMORY, "certificate body");
	if (full) {
		struct tc_result r = add_full(row, o);

		if (!tc_is_ok(r)) {
			json_decref(o);
			return r;
		}
	}
	*out = o;
	return tc_ok();
}
