/*
 * api_cas.c — GET /v1/cas (teecert-verifier, docs/admission.md): every CA instance of the deployment with
 * its certificate (PEM), role (root | subroot), network mode (trusted | untrusted), parent, validity and
 * status at now: revoked (its certificate row is revoked), expired, not_yet_valid or valid.
 */
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "api_internal.h"

static json_t *asn1_time_json(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[TC_TIME_RFC3339_LEN];

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 || !tc_is_ok(tc_time_format((int64_t)timegm(&tm), buf)))
		return json_null();
	return json_string(buf);
}

struct cas_walk {
	json_t *arr;
	time_t now;
};

static TC_RESULT take_ca(const struct db_certs_ca_row *row, void *arg)
{
	struct cas_walk *w = arg;
	const unsigned char *p = row->der;
	X509 *x = d2i_X509(NULL, &p, (long)row->der_len);
	struct tc_buf pem;
	const char *status = "valid";
	json_t *o = NULL;
	struct tc_result r = tc_ok();

	tc_buf_init(&pem, TC_BUF_DEFAULT_MAX);
	TC_ENSURE_GOTO(r, x != NULL, out, TC_ERR_INTERNAL, "CA %s: stored certificate does not parse", row->name);
	TC_GUARD_GOTO(r, api_certs_pem(row->der, row->der_len, &pem), out);
	if (row->revoked)
		status = "revoked";
	else if (ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), w->now) < 0)
		status = "expired";
	else if (ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), w->now) > 0)
		status = "not_yet_valid";
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:s%}", "id", (json_int_t)row->id, "name", row->name,
		      "role", row->role, "network", row->network, "parent",
		      row->parent ? json_integer(row->parent) : json_null(), "status", status, "not_before",
		      asn1_time_json(X509_get0_notBefore(x)), "not_after", asn1_time_json(X509_get0_notAfter(x)),
		      "certificate", (const char *)pem.data, pem.len);
	TC_ENSURE_GOTO(r, o != NULL && json_array_append_new(w->arr, o) == 0, out, TC_ERR_NO_MEMORY, "CA list");
out:
	ERR_clear_error();
	X509_free(x);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT api_cas_get(struct api_request *req)
{
	struct db_conn *conn = NULL;
	struct cas_walk w = { .arr = json_array(), .now = (time_t)tc_time_now() };
	json_t *body = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(w.arr != NULL, TC_ERR_NO_MEMORY, "CA list");
	TC_GUARD_GOTO(r, api_request_db(req, &conn), out);
	TC_GUARD_GOTO(r, db_certs_list_cas(conn, take_ca, &w), out);
	body = json_pack("{s:O}", "cas", w.arr);
	TC_ENSURE_GOTO(r, body != NULL, out, TC_ERR_NO_MEMORY, "CA list");
	r = api_reply_json(req, 200, body);
out:
	json_decref(body);
	json_decref(w.arr);
	return r;
}
