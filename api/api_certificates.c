/*
 * api_certificates.c — POST /v1/certificates: issue a CVM certificate after appraising the evidence bound
 * to the CSR key and a challenge (DESIGN.md "Evidence binding", docs/ca-service.md).
 *
 *   {"kind": "cvm", "csr": PEM, "nonce": 64 hex, "evidence": {"tee": "tdx", "quote": base64}}
 *
 * parse (field spec, CSR intake) -> one transaction: Idempotency-Key lookup, consume the nonce, appraise with
 * the expected report_data = vf_binding_report_data(SPKI, nonce) (nonce_mismatch otherwise), issue (profile
 * cvm), insert certificate + appraisal + log entry + idempotency key -> 201. Nothing answered 201 is left
 * uncommitted: the reply is sent only after db_txn_run committed, and any failure rolls everything back.
 */
#include <string.h>

#include "api_internal.h"

#define API_CERT_QUOTE_MAX ((size_t)64 * 1024)

struct cert_txn {
	struct api_ca *ca;
	const struct ca_csr *csr;
	uint8_t nonce[VF_BINDING_NONCE_LEN];
	const struct tc_buf *quote;
	const char *idem_key;
	uint8_t request_hash[32];
	int64_t now;
	/* results */
	bool replayed;
	int status;
	json_t *response; /* owned */
};

static TC_RESULT response_build(const struct api_ca *ca, const struct api_ca_recorded *rec, json_t **out)
{
	char nb[TC_TIME_RFC3339_LEN], na[TC_TIME_RFC3339_LEN];
	json_t *chain = json_array();

	TC_ENSURE(chain, TC_ERR_NO_MEMORY, "response");
	json_array_append_new(chain, json_stringn((const char *)ca->cert_pem.data, ca->cert_pem.len));
	TC_GUARD(tc_time_format(rec->issued.not_before, nb));
	TC_GUARD(tc_time_format(rec->issued.not_after, na));
	*out = json_pack("{s:s%, s:o, s:s, s:s, s:O, s:I, s:s, s:s, s:s}", "certificate",
			 (const char *)rec->issued.pem.data, rec->issued.pem.len, "chain", chain, "serial",
			 rec->issued.serial_hex, "kind", "cvm", "appraisal", rec->appraisal_json, "log_index",
			 (json_int_t)rec->log_seq, "not_before", nb, "not_after", na, "ca", ca->row.name);
	TC_ENSURE(*out, TC_ERR_NO_MEMORY, "response");
	return tc_ok();
}

/* Idempotency-Key: a stored response for the same request is replayed; another request is a conflict. */
static TC_RESULT idem_check(struct db_conn *conn, struct cert_txn *t, bool *replay)
{
	uint8_t hash[32];
	int status = 0;
	bool found = false;
	struct tc_buf resp;
	struct tc_result r;

	*replay = false;
	if (!t->idem_key)
		return tc_ok();
	tc_buf_init(&resp, (size_t)4 * 1024 * 1024);
	r = db_cert_idem_get(conn, t->idem_key, hash, &status, &resp, &found);
	if (tc_is_ok(r) && found && !tc_ct_equal(hash, t->request_hash, 32))
		r = tc_fail(TC_ERR_IDEMPOTENCY_CONFLICT, "Idempotency-Key '%.64s' was used with a different request",
			    t->idem_key);
	if (tc_is_ok(r) && found) {
		r = tc_json_parse((const char *)resp.data, resp.len, resp.max, &t->response);
		t->status = status;
		*replay = tc_is_ok(r);
	}
	tc_buf_cleanup(&resp);
	return r;
}

static struct tc_result cert_txn_run(struct db_conn *conn, void *arg)
{
	struct cert_txn *t = arg;
	struct api_ca *ca = t->ca;
	struct vf_input in = { .tee = VF_TEE_TDX };
	struct vf_policy policy = ca->inputs.policy; /* shallow copy: json members stay owned by the CA */
	struct vf_appraisal a;
	struct api_ca_recorded rec = { 0 };
	struct tc_result r;
	bool replay = false;

	json_decref(t->response);
	t->response = NULL;
	t->replayed = false;
	TC_GUARD(idem_check(conn, t, &replay));
	if (replay) {
		t->replayed = true;
		return tc_ok();
	}
	TC_GUARD(db_challenge_consume(conn, t->nonce));

	in.evidence[0] = (struct vf_item){ .role = "tdx_quote", .data = t->quote->data, .len = t->quote->len };
	in.n_evidence = 1;
	memcpy(in.collateral, ca->inputs.collateral, ca->inputs.n_collateral * sizeof(in.collateral[0]));
	in.n_collateral = ca->inputs.n_collateral;
	memcpy(in.anchors, ca->inputs.anchors, ca->inputs.n_anchors * sizeof(in.anchors[0]));
	in.n_anchors = ca->inputs.n_anchors;
	policy.has_expected_report_data = true;
	TC_GUARD(vf_binding_report_data(t->csr->spki.data, t->csr->spki.len, t->nonce, NULL,
					policy.expected_report_data));
	if (ca->network == CA_NETWORK_TRUSTED)
		policy.allow_simulated = false;
	TC_GUARD(vf_appraise(&in, &policy, t->now, &a));
	if (!a.accepted) {
		r = tc_fail(a.failure, "appraisal rejected: %s", a.detail);
		vf_appraisal_cleanup(&a);
		return r;
	}
	struct api_ca_record spec = {
		.issuer = &ca->issuer,
		.issuer_subject = ca->subject,
		.ca_id = ca->row.id,
		.csr = t->csr,
		.role = CA_ROLE_CVM,
		.validity_s = API_CA_CVM_VALIDITY_S,
		.appraisal = &a,
		.evidence = in.evidence,
		.n_evidence = in.n_evidence,
		.now = t->now,
	};
	r = api_ca_record(conn, &spec, &rec);
	vf_appraisal_cleanup(&a);
	TC_GUARD(r);
	r = response_build(ca, &rec, &t->response);
	api_ca_recorded_cleanup(&rec);
	TC_GUARD(r);
	t->status = 201;
	if (t->idem_key) {
		struct tc_buf dump;

		tc_buf_init(&dump, (size_t)4 * 1024 * 1024);
		r = tc_json_dump(t->response, &dump);
		if (tc_is_ok(r))
			r = tc_buf_append_u8(&dump, 0);
		if (tc_is_ok(r))
			r = db_cert_idem_put(conn, t->idem_key, t->request_hash, t->status, (const char *)dump.data);
		tc_buf_cleanup(&dump);
	}
	return r;
}

/* The fields of the body (STYLE.md point 8: declarative spec, unknown fields refused). */
static TC_RESULT body_parse(const json_t *in, const char **kind, const char **csr, struct tc_buf *nonce,
			    struct tc_buf *quote)
{
	json_t *evidence = NULL;
	const char *tee = NULL;
	const struct tc_json_field top[] = {
		{ .name = "kind", .kind = TC_JSON_STRING, .required = true, .out = kind, .max_len = 16 },
		{ .name = "csr", .kind = TC_JSON_STRING, .required = true, .out = csr, .max_len = CA_CSR_PEM_MAX },
		{ .name = "nonce", .kind = TC_JSON_HEX, .required = true, .out = nonce, .exact_len = VF_BINDING_NONCE_LEN },
		{ .name = "evidence", .kind = TC_JSON_OBJECT, .required = true, .out = &evidence },
	};
	const struct tc_json_field ev[] = {
		{ .name = "tee", .kind = TC_JSON_STRING, .required = true, .out = &tee, .max_len = 16 },
		{ .name = "quote", .kind = TC_JSON_BASE64, .required = true, .out = quote, .max_len = API_CERT_QUOTE_MAX },
	};

	TC_ENSURE(in && json_is_object(in), TC_ERR_JSON_FIELD_MISSING, "the body must be a JSON object");
	TC_GUARD(tc_json_fields(in, top, sizeof(top) / sizeof(top[0]), false));
	TC_ENSURE(strcmp(*kind, "cvm") == 0, TC_ERR_JSON_FIELD_INVALID,
		  "kind '%.16s' is not supported here yet (this CA issues kind cvm)", *kind);
	TC_GUARD(tc_json_fields(evidence, ev, sizeof(ev) / sizeof(ev[0]), false));
	TC_ENSURE(strcmp(tee, "tdx") == 0, TC_ERR_JSON_FIELD_INVALID, "evidence.tee '%.16s': only tdx is accepted yet",
		  tee);
	return tc_ok();
}

TC_RESULT api_certificates_post(struct api_request *req)
{
	struct api_ca *ca = req->server->cfg.ca;
	const char *kind = NULL, *csr_pem = NULL;
	struct tc_buf nonce, quote;
	struct ca_csr csr;
	bool have_csr = false;
	struct cert_txn t = { .ca = ca };
	struct db_conn *conn = NULL;
	struct tc_result r;

	TC_ENSURE(ca, TC_ERR_INTERNAL, "this server has no CA configured");
	tc_buf_init(&nonce, VF_BINDING_NONCE_LEN);
	tc_buf_init(&quote, API_CERT_QUOTE_MAX);
	TC_GUARD_GOTO(r, body_parse(api_request_json(req), &kind, &csr_pem, &nonce, &quote), out);
	TC_GUARD_GOTO(r, ca_csr_parse_pem(csr_pem, strlen(csr_pem), &csr), out);
	have_csr = true;
	t.idem_key = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (t.idem_key) {
		size_t n = strlen(t.idem_key);

		TC_ENSURE_GOTO(r, n >= 1 && n <= DB_CA_IDEM_KEY_MAX, out, TC_ERR_INVALID_ARGUMENT,
			       "Idempotency-Key must be 1..%d printable characters", DB_CA_IDEM_KEY_MAX);
		for (size_t i = 0; i < n; i++)
			TC_ENSURE_GOTO(r, t.idem_key[i] > 0x20 && t.idem_key[i] < 0x7f, out, TC_ERR_INVALID_ARGUMENT,
				       "Idempotency-Key must be printable ASCII without spaces");
	}
	api_ca_sha256(req->body.data, req->body.len, t.request_hash);
	memcpy(t.nonce, nonce.data, VF_BINDING_NONCE_LEN);
	t.csr = &csr;
	t.quote = &quote;
	t.now = (int64_t)time(NULL);
	TC_GUARD_GOTO(r, api_request_db(req, &conn), out);
	TC_GUARD_GOTO(r, db_txn_run(conn, cert_txn_run, &t), out);
	tc_log(TC_LOG_INFO, t.replayed ? "certificate_replayed" : "certificate_issued", "serial %s subject %s",
	       json_string_value(json_object_get(t.response, "serial")), csr.subject_text);
	r = api_reply_json(req, (unsigned)t.status, t.response);
out:
	json_decref(t.response);
	if (have_csr)
		ca_csr_cleanup(&csr);
	tc_buf_cleanup(&nonce);
	tc_buf_cleanup(&quote);
	return r;
}
