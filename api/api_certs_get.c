/*
 * api_certs_get.c — GET /v1/certificates/{serial} (teecert-verifier, docs/admission.md): one certificate
 * with its PEM, the chain of its issuing CA up to the root (PEM, issuer first), status at now
 * (valid | revoked | expired | not_yet_valid), the appraisal recorded at issuance, the workload info hash and
 * its log entry; when a signed checkpoint covers the entry, the RFC 9162 §2.1.3 inclusion proof against the
 * latest checkpoint. {serial} is lowercase hex; 400 when malformed, 404 when unknown.
 */
#include "api_internal.h"
#include "chain.h"

#define CHAIN_DEPTH_MAX 8

struct found {
	bool found;
	json_t *cert;
	int64_t ca;
	uint64_t log_seq;
};

static TC_RESULT take_row(const struct db_certs_row *row, void *arg)
{
	struct found *f = arg;

	TC_GUARD(api_certs_row_json(row, true, &f->cert));
	f->found = true;
	f->ca = row->ca;
	f->log_seq = row->log_seq;
	return tc_ok();
}

struct ca_entry {
	int64_t id, parent;
	char *pem;
};

struct ca_table {
	struct ca_entry e[64];
	size_t n;
};

static TC_RESULT take_ca(const struct db_certs_ca_row *row, void *arg)
{
	struct ca_table *t = arg;
	struct tc_buf pem;
	size_t len;

	if (t->n == sizeof(t->e) / sizeof(t->e[0]))
		return tc_ok();
	tc_buf_init(&pem, TC_BUF_DEFAULT_MAX);
	struct tc_result r = api_certs_pem(row->der, row->der_len, &pem);

	if (tc_is_ok(r))
		r = tc_buf_append_u8(&pem, 0);
	if (tc_is_ok(r)) {
		t->e[t->n].id = row->id;
		t->e[t->n].parent = row->parent;
		t->e[t->n].pem = (char *)tc_buf_steal(&pem, &len);
		t->n++;
	}
	tc_buf_cleanup(&pem);
	return r;
}

/* The chain from CA up to its root (PEMs, issuer first). */
static TC_RESULT chain_json(struct db_conn *conn, int64_t ca, json_t **out)
{
	struct ca_table *t = calloc(1, sizeof(*t));
	json_t *arr = json_array();
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, t && arr, out, TC_ERR_NO_MEMORY, "chain");
	TC_GUARD_GOTO(r, db_certs_list_cas(conn, take_ca, t), out);
	for (int depth = 0; ca != 0 && depth < CHAIN_DEPTH_MAX; depth++) {
		const struct ca_entry *hit = NULL;

		for (size_t i = 0; i < t->n; i++)
			if (t->e[i].id == ca)
				hit = &t->e[i];
		if (!hit)
			break;
		TC_ENSURE_GOTO(r, json_array_append_new(arr, json_string(hit->pem)) == 0, out, TC_ERR_NO_MEMORY,
			       "chain");
		ca = hit->parent;
	}
	*out = arr;
	arr = NULL;
out:
	for (size_t i = 0; t && i < t->n; i++)
		free(t->e[i].pem);
	free(t);
	json_decref(arr);
	return r;
}

/* {seq, inclusion: {tree_size, root, leaf_hash, proof} | null}. */
static TC_RESULT log_json(struct db_conn *conn, uint64_t seq, json_t **out)
{
	struct db_log_checkpoint *cp = calloc(1, sizeof(*cp));
	struct chain_merkle_proof *proof = calloc(1, sizeof(*proof));
	struct db_log_entry *e = calloc(1, sizeof(*e));
	uint8_t leaf[DB_LOG_HASH_LEN];
	json_t *inclusion = json_null(), *arr = NULL;
	bool found = false, efound = false;
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, cp && proof && e, out, TC_ERR_NO_MEMORY, "log proof");
	TC_GUARD_GOTO(r, db_log_checkpoint_latest(conn, cp, &found), out);
	if (found && cp->tree_size > seq) {
		TC_GUARD_GOTO(r, db_log_entry_get(conn, seq, e, NULL, leaf, &efound), out);
		TC_ENSURE_GOTO(r, efound, out, TC_ERR_INTERNAL, "log entry %llu is missing", (unsigned long long)seq);
		TC_GUARD_GOTO(r, db_log_inclusion_proof(conn, seq, cp->tree_size, proof), out);
		TC_GUARD_GOTO(r, api_log_proof_json(proof, &arr), out);
		json_decref(inclusion);
		inclusion = json_pack("{s:I, s:o, s:o, s:o}", "tree_size", (json_int_t)cp->tree_size, "root",
				      tc_json_hex(cp->root, DB_LOG_HASH_LEN), "leaf_hash",
				      tc_json_hex(leaf, DB_LOG_HASH_LEN), "proof", arr);
		arr = NULL;
		TC_ENSURE_GOTO(r, inclusion != NULL, out, TC_ERR_NO_MEMORY, "log proof");
	}
	*out = json_pack("{s:I, s:O}", "seq", (json_int_t)seq, "inclusion", inclusion);
	TC_ENSURE_GOTO(r, *out != NULL, out, TC_ERR_NO_MEMORY, "log proof");
out:
	json_decref(inclusion);
	json_decref(arr);
	free(cp);
	free(proof);
	free(e);
	return r;
}

TC_RESULT api_certs_get(struct api_request *req)
{
	uint8_t serial[DB_CA_SERIAL_MAX];
	struct db_certs_filter f = { .limit = 1 };
	struct found got = { 0 };
	struct db_conn *conn = NULL;
	json_t *chain = NULL, *log = NULL;
	struct tc_result r = tc_ok();

	TC_GUARD(api_certs_serial_parse("serial", api_request_param(req, "serial"), serial, &f.serial_len));
	f.serial = serial;
	f.at = tc_time_now();
	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD_GOTO(r, db_certs_list(conn, &f, take_row, &got), out);
	TC_ENSURE_GOTO(r, got.found, out, TC_ERR_NOT_FOUND, "no certificate with serial %s",
		       api_request_param(req, "serial"));
	TC_GUARD_GOTO(r, chain_json(conn, got.ca, &chain), out);
	TC_GUARD_GOTO(r, log_json(conn, got.log_seq, &log), out);
	TC_ENSURE_GOTO(r, json_object_set(got.cert, "chain", chain) == 0 && json_object_set(got.cert, "log", log) == 0,
		       out, TC_ERR_NO_MEMORY, "certificate body");
	r = api_reply_json(req, 200, got.cert);
out:
	json_decref(got.cert);
	json_decref(chain);
	json_decref(log);
	return r;
}
