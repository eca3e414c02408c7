/*
 * api_ca_state.c — the issuing CA of teecert-ca (docs/ca-service.md): loading its key (through the signer
 * interface only), certificate and appraisal inputs; the one issuance-and-record step shared by `init` and
 * POST /v1/certificates; the CRL cache.
 *
 * Issuance and its records are one unit inside the caller's transaction: log_state is locked first
 * (db_log_lock) so the certificate's LogEntryReference (.5) can name the entry that is appended after the
 * signature; api_ca_record does one certificate (init), api_ca_batch.c many with one lock and one commit
 * (POST /v1/certificates), from the same steps (prepare, sign, entry, rows; api_ca_record_rows_batch writes the
 * rows of many jobs with one statement per run of common-case jobs).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api_internal.h"

#define API_CA_FILE_MAX ((size_t)4 * 1024 * 1024)
#define API_CA_SANS_JSON_MAX ((size_t)64 * 1024)

void api_ca_sha256(const void *data, size_t len, uint8_t out[32])
{
	SHA256(data, len, out);
}

TC_RESULT api_ca_cert_subject(const uint8_t *der, size_t len, char *out, size_t out_size)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	BIO *bio = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(x != NULL, TC_ERR_INVALID_ARGUMENT, "the CA certificate is not DER X.509");
	bio = BIO_new(BIO_s_mem());
	if (!bio || X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "subject name");
	} else {
		int n = BIO_read(bio, out, (int)out_size - 1);

		out[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			r = tc_fail(TC_ERR_INVALID_ARGUMENT, "the CA certificate has an empty subject");
	}
	BIO_free(bio);
	X509_free(x);
	return r;
}

/* ------------------------------------------------------------------------------------------- inputs */

void api_ca_inputs_init(struct api_ca_inputs *in)
{
	memset(in, 0, sizeof(*in));
	vf_policy_init(&in->policy);
}

void api_ca_inputs_cleanup(struct api_ca_inputs *in)
{
	for (size_t i = 0; i < in->n_files; i++)
		tc_buf_cleanup(&in->files[i]);
	vf_policy_cleanup(&in->policy);
	memset(in, 0, sizeof(*in));
}

static TC_RESULT add_file(struct api_ca_inputs *in, struct vf_item *items, size_t *n, const char *role,
			  const char *path)
{
	TC_ENSURE(in->n_files < 2 * API_CA_ITEMS_MAX && *n < API_CA_ITEMS_MAX, TC_ERR_TOO_LARGE, "too many input files");
	struct tc_buf *b = &in->files[in->n_files];

	tc_buf_init(b, API_CA_FILE_MAX);
	snprintf(in->roles[in->n_files], API_CA_ROLE_MAX, "%s", role);
	in->n_files++;
	TC_GUARD(tc_file_read(path, API_CA_FILE_MAX, b));
	items[*n] = (struct vf_item){ .role = in->roles[in->n_files - 1], .data = b->data, .len = b->len };
	(*n)++;
	return tc_ok();
}

TC_RESULT api_ca_inputs_collateral_dir(struct api_ca_inputs *in, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	struct tc_result r = tc_ok();

	TC_ENSURE(n >= 0, TC_ERR_IO, "cannot read collateral folder %s", dir);
	for (int i = 0; i < n; i++) {
		char role[API_CA_ROLE_MAX], path[4096];
		struct stat st;

		if (names[i]->d_name[0] == '.' || !tc_is_ok(r))
			continue;
		snprintf(role, sizeof(role), "%.47s", names[i]->d_name);
		role[strcspn(role, ".")] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		r = add_file(in, in->collateral, &in->n_collateral, role, path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

TC_RESULT api_ca_inputs_anchor(struct api_ca_inputs *in, const char *role_eq_file)
{
	const char *eq = strchr(role_eq_file, '=');
	char role[API_CA_ROLE_MAX];

	TC_ENSURE(eq && eq != role_eq_file && eq[1] && (size_t)(eq - role_eq_file) < sizeof(role),
		  TC_ERR_INVALID_ARGUMENT, "trust anchor '%.64s': want ROLE=FILE (e.g. intel_root=root.pem)",
		  role_eq_file);
	snprintf(role, sizeof(role), "%.*s", (int)(eq - role_eq_file), role_eq_file);
	return add_file(in, in->anchors, &in->n_anchors, role, eq + 1);
}

TC_RESULT api_ca_inputs_policy_file(struct api_ca_inputs *in, const char *path)
{
	struct tc_buf b;
	json_t *j = NULL;
	struct tc_result r;

	tc_buf_init(&b, TC_JSON_MAX_DEFAULT);
	r = tc_file_read(path, TC_JSON_MAX_DEFAULT, &b);
	if (tc_is_ok(r))
		r = tc_json_parse((const char *)b.data, b.len, TC_JSON_MAX_DEFAULT, &j);
	if (tc_is_ok(r))
		r = json_is_object(j) ? vf_policy_from_json(&in->policy, j)
				      : tc_fail(TC_ERR_INVALID_ARGUMENT, "policy %s: not a JSON object", path);
	json_decref(j);
	tc_buf_cleanup(&b);
	return r;
}

/* Move SRC into DST: the file bytes stay where they are; the role names live in the struct, so the items'
 * role pointers are re-pointed at DST's copies. SRC is left empty. */
static void inputs_move(struct api_ca_inputs *dst, struct api_ca_inputs *src)
{
	struct vf_item *lists[2] = { src->collateral, src->anchors };
	size_t counts[2] = { src->n_collateral, src->n_anchors };

	*dst = *src;
	for (size_t l = 0; l < 2; l++) {
		struct vf_item *items = l == 0 ? dst->collateral : dst->anchors;

		for (size_t i = 0; i < counts[l]; i++)
			for (size_t j = 0; j < src->n_files; j++)
				if (lists[l][i].role == src->roles[j])
					items[i].role = dst->roles[j];
	}
	memset(src, 0, sizeof(*src));
	vf_policy_init(&src->policy);
}

/* ------------------------------------------------------------------------------------------ record */

void api_ca_recorded_cleanup(struct api_ca_recorded *r)
{
	ca_issued_cleanup(&r->issued);
	json_decref(r->appraisal_json);
	r->appraisal_json = NULL;
}

/* SANs of the CSR as a JSON array of {type, value}. */
static TC_RESULT sans_json(const struct ca_csr *csr, struct tc_buf *out)
{
	static const char *const names[] = { "dns", "ip", "uri", "other" };
	json_t *a = json_array();
	struct tc_result r;

	TC_ENSURE(a, TC_ERR_NO_MEMORY, "sans");
	for (size_t i = 0; i < csr->n_sans; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "type", names[csr->sans[i].type], "value",
						   csr->sans[i].value));
	r = tc_json_dump(a, out);
	json_decref(a);
	if (tc_is_ok(r))
		r = tc_buf_append_u8(out, 0);
	return r;
}

/* A hardware identity string from the first device's claims (ppid, fmspc, chip_id), NULL-terminated. */
static void hardware_id(const struct vf_appraisal *a, char *out, size_t size)
{
	static const char *const keys[] = { "ppid", "chip_id", "ueid", "fmspc" };

	out[0] = '\0';
	if (!a || a->n_devices == 0 || !a->devices[0].claims)
		return;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *v = json_string_value(json_object_get(a->devices[0].claims, keys[k]));

		if (v) {
			snprintf(out, size, "%s:%s:%.200s", vf_tee_name(a->devices[0].tee), keys[k], v);
			return;
		}
	}
}

static TC_RESULT appraisal_digest(const json_t *aj, uint8_t out[32])
{
	struct tc_buf b;

	tc_buf_init(&b, TC_JSON_MAX_DEFAULT);
	struct tc_result r = tc_json_canonical(aj, &b);

	if (tc_is_ok(r))
		api_ca_sha256(b.data, b.len, out);
	tc_buf_cleanup(&b);
	return r;
}

void api_ca_prepared_init(struct api_ca_prepared *p)
{
	memset(p, 0, sizeof(*p));
	tc_buf_init(&p->appraisal_text, TC_JSON_MAX_DEFAULT);
	tc_buf_init(&p->sans, API_CA_SANS_JSON_MAX);
}

void api_ca_prepared_cleanup(struct api_ca_prepared *p)
{
	json_decref(p->appraisal_json);
	p->appraisal_json = NULL;
	tc_buf_cleanup(&p->appraisal_text);
	tc_buf_cleanup(&p->sans);
}

/* Everything of the records that needs no database and no log sequence number (P initialised). */
TC_RESULT api_ca_record_prepare(const struct api_ca_record *rec, struct api_ca_prepared *p)
{
	if (rec->appraisal)
		TC_GUARD(vf_appraisal_to_json(rec->appraisal, &p->appraisal_json));
	if (!p->appraisal_json)
		p->appraisal_json = json_object();
	TC_ENSURE(p->appraisal_json, TC_ERR_NO_MEMORY, "appraisal");
	TC_GUARD(appraisal_digest(p->appraisal_json, p->appraisal_digest));
	TC_GUARD(tc_json_dump(p->appraisal_json, &p->appraisal_text));
	TC_GUARD(tc_buf_append_u8(&p->appraisal_text, 0));
	TC_GUARD(sans_json(rec->csr, &p->sans));
	hardware_id(rec->appraisal, p->hwid, sizeof(p->hwid));
	return tc_ok();
}

/* The certificate itself; its LogEntryReference (.5) names LOG_SEQ. */
TC_RESULT api_ca_record_sign(const struct api_ca_record *rec, uint64_t log_seq, struct ca_issued *out)
{
	struct ca_issue_request req = { 0 };

	req.csr = rec->csr;
	ca_profile_default(rec->role, &req.profile);
	if (rec->validity_s > 0)
		req.profile.validity_s = rec->validity_s;
	req.appraisal = rec->appraisal;
	req.evidence = rec->evidence;
	req.n_evidence = rec->n_evidence;
	req.workload_info_hash = rec->workload_info_hash;
	req.cvm_cert_der = rec->cvm_cert_der;
	req.cvm_cert_len = rec->cvm_cert_len;
	req.has_log_seq = rec->issuer->log_id != NULL;
	req.log_seq = log_seq;
	req.now = rec->now;
	return ca_issue(rec->issuer, &req, out);
}

void api_ca_record_entry(const struct api_ca_record *rec, const struct api_ca_prepared *p,
			 const struct ca_issued *issued, int64_t now, struct db_log_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->type = DB_LOG_ISSUANCE;
	snprintf(e->serial, sizeof(e->serial), "%s", issued->serial_hex);
	memcpy(e->cert_sha256, issued->sha256, 32);
	snprintf(e->issuer, sizeof(e->issuer), "%s", rec->issuer_subject ? rec->issuer_subject : rec->csr->subject_text);
	snprintf(e->kind, sizeof(e->kind), "%s", ca_role_name(rec->role));
	memcpy(e->appraisal_digest, p->appraisal_digest, 32);
	e->has_appraisal_digest = true;
	if (rec->workload_info_hash) {
		e->has_workload_info_hash = true;
		memcpy(e->workload_info_hash, rec->workload_info_hash, 32);
	}
	e->time = now;
}

/* The certificates row of OUT->issued into C (its ca column: OUT->ca_id, set by the caller). */
static void cert_row(const struct api_ca_record *rec, const struct api_ca_prepared *p,
		     const struct api_ca_recorded *out, struct db_cert *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->serial, out->issued.serial, CA_SERIAL_LEN);
	c->serial_len = CA_SERIAL_LEN;
	/* A subroot's own certificate belongs to its issuer (the parent's CRL lists it); a root's to itself. */
	c->ca = rec->new_ca && rec->new_ca->parent != 0 ? rec->ca_id : out->ca_id;
	snprintf(c->kind, sizeof(c->kind), "%s", ca_role_name(rec->role));
	c->subject = rec->csr->subject_text;
	c->sans_json = (const char *)p->sans.data;
	c->not_before = out->issued.not_before;
	c->not_after = out->issued.not_after;
	c->der = out->issued.der.data;
	c->der_len = out->issued.der.len;
	api_ca_sha256(rec->csr->spki.data, rec->csr->spki.len, c->spki_sha256);
	c->hardware_id = p->hwid[0] ? p->hwid : NULL;
	c->log_seq = out->log_seq;
	if (rec->workload_info_hash) {
		c->has_workload_info_hash = true;
		memcpy(c->workload_info_hash, rec->workload_info_hash, 32);
	}
	c->parent_cvm_serial = rec->parent_cvm_serial;
	c->parent_cvm_serial_len = rec->parent_cvm_serial_len;
}

/* The common case (one piece of evidence, e.g. a TDX quote, appraised; no new CA): certificate and appraisal
 * rows in one statement. */
static bool rows_appraised(const struct api_ca_record *rec)
{
	return rec->appraisal && rec->n_evidence == 1 && !rec->new_ca;
}

static struct db_cert_appraisal_row appraisal_row(const struct api_ca_record *rec, const struct api_ca_prepared *p)
{
	return (struct db_cert_appraisal_row){
		.appraisal_json = (const char *)p->appraisal_text.data,
		.policy_digest = rec->appraisal->policy_digest,
		.evidence_digest = rec->appraisal->evidence_digest,
		.evidence_type = rec->evidence[0].role,
		.evidence = rec->evidence[0].data,
		.evidence_len = rec->evidence[0].len,
	};
}

/* The rows of OUT->issued (signed, its log entry OUT->log_seq already appended). */
TC_RESULT api_ca_record_rows(struct db_conn *conn, const struct api_ca_record *rec, const struct api_ca_prepared *p,
			     struct api_ca_recorded *out)
{
	struct db_cert c;

	out->ca_id = rec->ca_id;
	if (rec->new_ca)
		TC_GUARD(db_ca_insert(conn, rec->new_ca, out->issued.der.data, out->issued.der.len, &out->ca_id));
	cert_row(rec, p, out, &c);
	if (rec->appraisal && rec->n_evidence == 1) { /* the common case (one TDX quote): one statement */
		struct db_cert_appraisal_row a = appraisal_row(rec, p);

		return db_cert_insert_appraised_batch(conn, &c, &a, 1);
	}
	TC_GUARD(db_cert_insert(conn, &c));
	if (rec->appraisal && rec->n_evidence > 0)
		TC_GUARD(api_ca_appraisal_insert(conn, c.serial, c.serial_len, (const char *)p->appraisal_text.data,
						 rec->appraisal, rec->evidence, rec->n_evidence));
	return tc_ok();
}

/* api_ca_record_rows for each job in order; each run of consecutive common-case jobs is one statement. */
TC_RESULT api_ca_record_rows_batch(struct db_conn *conn, const struct api_ca_record *const *recs,
				   const struct api_ca_prepared *const *preps, struct api_ca_recorded *const *outs,
				   size_t n)
{
	struct db_cert *certs = NULL;
	struct db_cert_appraisal_row *rows = NULL;
	struct tc_result r = tc_ok();
	size_t i = 0;

	TC_ENSURE(conn && (n == 0 || (recs && preps && outs)), TC_ERR_INVALID_ARGUMENT,
		  "api_ca_record_rows_batch: missing argument");
	while (i < n && tc_is_ok(r)) {
		size_t m = 0;

		while (i + m < n && m < DB_CERT_BATCH_MAX && rows_appraised(recs[i + m]))
			m++;
		if (m <= 1) { /* an uncommon job, or a run of one: the one-job path */
			r = api_ca_record_rows(conn, recs[i], preps[i], outs[i]);
			i++;
			continue;
		}
		if (!certs) {
			certs = calloc(DB_CERT_BATCH_MAX, sizeof(*certs));
			rows = calloc(DB_CERT_BATCH_MAX, sizeof(*rows));
			TC_ENSURE_GOTO(r, certs && rows, out, TC_ERR_NO_MEMORY, "certificate rows");
		}
		for (size_t j = 0; j < m; j++) {
			outs[i + j]->ca_id = recs[i + j]->ca_id;
			cert_row(recs[i + j], preps[i + j], outs[i + j], &certs[j]);
			rows[j] = appraisal_row(recs[i + j], preps[i + j]);
		}
		r = db_cert_insert_appraised_batch(conn, certs, rows, m);
		i += m;
	}
out:
	free(certs);
	free(rows);
	return r;
}

/* One issuance in the caller's transaction: lock the log, sign naming its next entry, append, rows. */
TC_RESULT api_ca_record(struct db_conn *conn, const struct api_ca_record *rec, struct api_ca_recorded *out)
{
	struct api_ca_prepared p;
	struct db_log_entry e;
	uint64_t size = 0, seq = 0;
	struct tc_result r = tc_ok();

	memset(out, 0, sizeof(*out));
	api_ca_prepared_init(&p);
	TC_GUARD_GOTO(r, api_ca_record_prepare(rec, &p), out);
	TC_GUARD_GOTO(r, db_log_lock(conn, &size), out);
	TC_GUARD_GOTO(r, api_ca_record_sign(rec, size, &out->issued), out);
	api_ca_record_entry(rec, &p, &out->issued, rec->now, &e);
	TC_GUARD_GOTO(r, db_log_append(conn, &e, &seq, NULL), out);
	TC_ENSURE_GOTO(r, seq == size, out, TC_ERR_DB_CONFLICT, "log grew during issuance; retry");
	out->log_seq = seq;
	TC_GUARD_GOTO(r, api_ca_record_rows(conn, rec, &p, out), out);
	out->appraisal_json = json_incref(p.appraisal_json);
out:
	api_ca_prepared_cleanup(&p);
	if (!tc_is_ok(r))
		api_ca_recorded_cleanup(out);
	return r;
}

/* -------------------------------------------------------------------------------------------- load */

/* CHILD (DER) is signed by PARENT (DER). */
static bool chain_link_ok(const struct tc_buf *child, const struct tc_buf *parent)
{
	const unsigned char *cp = child->data, *pp = parent->data;
	X509 *c = d2i_X509(NULL, &cp, (long)child->len);
	X509 *p = d2i_X509(NULL, &pp, (long)parent->len);
	bool ok = c && p && X509_check_issued(p, c) == X509_V_OK && X509_verify(c, X509_get0_pubkey(p)) == 1;

	X509_free(c);
	X509_free(p);
	tc_openssl_clear();
	return ok;
}

/*
 * The chain handed out with every certificate: this CA's certificate, then its ancestors from the cas rows
 * up to the root, each checked to sign the one below (a root has no ancestors; a sub-CA must end at one).
 */
static TC_RESULT chain_load(struct api_ca *ca, struct db_conn *conn)
{
	struct tc_buf der[API_CA_CHAIN_MAX];
	json_t *arr = NULL;
	size_t n = 0;
	struct tc_result r = tc_ok();

	for (size_t i = 0; i < API_CA_CHAIN_MAX; i++)
		tc_buf_init(&der[i], CA_KEY_FILE_MAX);
	TC_GUARD_GOTO(r, tc_buf_append(&der[0], ca->cert_der.data, ca->cert_der.len), out);
	TC_GUARD_GOTO(r, db_ca_chain(conn, ca->row.id, der + 1, API_CA_CHAIN_MAX - 1, &n), out);
	n++;
	TC_ENSURE_GOTO(r, (strcmp(ca->row.role, "root") == 0) == (n == 1), out, TC_ERR_INVALID_ARGUMENT,
		       "CA '%s' (%s) has %zu ancestors in the cas rows", ca->row.name, ca->row.role, n - 1);
	for (size_t i = 0; i + 1 < n; i++)
		TC_ENSURE_GOTO(r, chain_link_ok(&der[i], &der[i + 1]), out, TC_ERR_INVALID_ARGUMENT,
			       "CA '%s': certificate %zu of its chain is not signed by the next one (cas rows)",
			       ca->row.name, i);
	TC_ENSURE_GOTO(r, chain_link_ok(&der[n - 1], &der[n - 1]), out, TC_ERR_INVALID_ARGUMENT,
		       "CA '%s': its chain does not end at a self-signed root", ca->row.name);
	for (size_t i = 0; i < n; i++)
		TC_GUARD_GOTO(r, api_certs_pem(der[i].data, der[i].len, &ca->chain_pem[i]), out);
	ca->chain_len = n;
	arr = json_array();
	TC_ENSURE_GOTO(r, arr, out, TC_ERR_NO_MEMORY, "chain");
	for (size_t i = 0; i < n; i++)
		TC_ENSURE_GOTO(r,
			       json_array_append_new(arr, json_stringn((const char *)ca->chain_pem[i].data,
								       ca->chain_pem[i].len)) == 0,
			       out, TC_ERR_NO_MEMORY, "chain");
	TC_GUARD_GOTO(r, tc_json_dump(arr, &ca->chain_json), out);
out:
	json_decref(arr);
	for (size_t i = 0; i < API_CA_CHAIN_MAX; i++)
		tc_buf_cleanup(&der[i]);
	return r;
}

TC_RESULT api_ca_load(const struct api_ca_options *o, struct db_conn *conn, struct api_ca_inputs *inputs,
		      struct api_ca **out)
{
	struct api_ca *ca = calloc(1, sizeof(*ca));
	struct tc_buf pass, spki, cert_spki;
	bool found = false;
	struct tc_result r = tc_ok();

	TC_ENSURE(ca, TC_ERR_NO_MEMORY, "ca");
	tc_buf_init(&pass, CA_PASSPHRASE_MAX + 2);
	tc_buf_init(&spki, 4096);
	tc_buf_init(&cert_spki, 4096);
	tc_buf_init(&ca->cert_der, CA_KEY_FILE_MAX);
	tc_buf_init(&ca->cert_pem, CA_KEY_FILE_MAX);
	tc_buf_init(&ca->crl, (size_t)64 * 1024 * 1024);
	pthread_mutex_init(&ca->crl_lock, NULL);
	api_ca_inputs_init(&ca->inputs);
	for (size_t i = 0; i < API_CA_CHAIN_MAX; i++)
		tc_buf_init(&ca->chain_pem[i], CA_KEY_FILE_MAX);
	tc_buf_init(&ca->chain_json, API_CA_CHAIN_MAX * CA_KEY_FILE_MAX);
	api_ca_batch_init(ca);

	TC_GUARD_GOTO(r, ca_passphrase_load(o->passphrase_file, "TEECERT_CA_PASSPHRASE", &pass), fail);
	TC_GUARD_GOTO(r, ca_signer_file_open(o->key_file, pass.data, pass.len, &ca->signer), fail);
	TC_GUARD_GOTO(r, tc_file_read(o->cert_file, CA_KEY_FILE_MAX, &ca->cert_pem), fail);
	{
		BIO *bio = BIO_new_mem_buf(ca->cert_pem.data, (int)ca->cert_pem.len);
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		unsigned char *der = NULL;
		int n = x ? i2d_X509(x, &der) : -1;

		if (n > 0)
			r = tc_buf_append(&ca->cert_der, der, (size_t)n);
		else
			r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "the --ca-cert file is not a PEM certificate");
		if (n > 0 && tc_is_ok(r)) {
			unsigned char *sp = NULL;
			int sn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &sp);

			r = sn > 0 ? tc_buf_append(&cert_spki, sp, (size_t)sn) : tc_fail(TC_ERR_CRYPTO, "spki");
			OPENSSL_free(sp);
		}
		OPENSSL_free(der);
		X509_free(x);
		BIO_free(bio);
		TC_GUARD_GOTO(r, r, fail);
	}
	TC_GUARD_GOTO(r, ca->signer->public_key(ca->signer, &spki), fail);
	TC_ENSURE_GOTO(r, spki.len == cert_spki.len && memcmp(spki.data, cert_spki.data, spki.len) == 0, fail,
		       TC_ERR_PROFILE_VIOLATION, "the --ca-cert certificate does not hold the --ca-key key");
	TC_GUARD_GOTO(r, api_ca_cert_subject(ca->cert_der.data, ca->cert_der.len, ca->subject, sizeof(ca->subject)),
		      fail);
	char cn[DB_CA_NAME_MAX + 1] = "";

	if (!o->name) {
		const unsigned char *p = ca->cert_der.data;
		X509 *x = d2i_X509(NULL, &p, (long)ca->cert_der.len);

		if (x)
			X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		X509_free(x);
	}
	const char *name = o->name ? o->name : cn;

	TC_GUARD_GOTO(r, db_ca_get(conn, name, &ca->row, NULL, &found), fail);
	TC_ENSURE_GOTO(r, found, fail, TC_ERR_NOT_FOUND, "no CA named '%.64s' in the database (run teecert-ca init)",
		       name);
	TC_GUARD_GOTO(r, ca_network_parse(ca->row.network, &ca->network), fail);
	TC_GUARD_GOTO(r, chain_load(ca, conn), fail);
	snprintf(ca->log_origin, sizeof(ca->log_origin), "%s", o->log_origin ? o->log_origin : API_CA_LOG_ORIGIN_DEFAULT);
	if (o->public_url && o->public_url[0]) {
		size_t n = strlen(o->public_url);

		while (n > 0 && o->public_url[n - 1] == '/')
			n--;
		snprintf(ca->crl_url, sizeof(ca->crl_url), "%.*s/v1/crl/%s", (int)n, o->public_url, ca->row.name);
		snprintf(ca->ocsp_url, sizeof(ca->ocsp_url), "%.*s/v1/ocsp", (int)n, o->public_url);
	}
	ca->issuer = (struct ca_issuer){
		.cert_der = ca->cert_der.data,
		.cert_len = ca->cert_der.len,
		.signer = ca->signer,
		.crl_url = ca->crl_url[0] ? ca->crl_url : NULL,
		.ocsp_url = ca->ocsp_url[0] ? ca->ocsp_url : NULL,
		.network = ca->network,
		.log_id = (const uint8_t *)ca->log_origin,
		.log_id_len = strlen(ca->log_origin),
	};
	TC_GUARD_GOTO(r, ca_issuer_prepare(&ca->issuer, &ca->issuer_facts), fail);
	ca->issuer.facts = ca->issuer_facts;
	api_ca_inputs_cleanup(&ca->inputs);
	inputs_move(&ca->inputs, inputs);
	ca->inputs.policy.allow_simulated = ca->inputs.policy.allow_simulated && ca->network == CA_NETWORK_UNTRUSTED;
	tc_buf_cleanup(&pass);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&cert_spki);
	*out = ca;
	return tc_ok();
fail:
	tc_buf_cleanup(&pass);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&cert_spki);
	api_ca_free(&ca);
	return r;
}

void api_ca_free(struct api_ca **pca)
{
	struct api_ca *ca = pca ? *pca : NULL;

	if (!ca)
		return;
	ca_issuer_facts_free(&ca->issuer_facts);
	ca_signer_free(&ca->signer);
	tc_buf_cleanup(&ca->cert_der);
	tc_buf_cleanup(&ca->cert_pem);
	tc_buf_cleanup(&ca->crl);
	api_ca_inputs_cleanup(&ca->inputs);
	for (size_t i = 0; i < API_CA_CHAIN_MAX; i++)
		tc_buf_cleanup(&ca->chain_pem[i]);
	tc_buf_cleanup(&ca->chain_json);
	api_ca_batch_cleanup(ca);
	pthread_mutex_destroy(&ca->crl_lock);
	free(ca);
	*pca = NULL;
}

/* --------------------------------------------------------------------------------------------- CRL */

void api_ca_crl_invalidate(struct api_ca *ca)
{
	pthread_mutex_lock(&ca->crl_lock);
	ca->crl_generation++;
	pthread_mutex_unlock(&ca->crl_lock);
}

static TC_RESULT crl_build(struct api_ca *ca, struct db_conn *conn, int64_t now)
{
	struct db_cert_revoked *list = NULL;
	size_t n = 0;
	struct ca_revoked *entries = NULL;
	struct tc_result r;

	TC_GUARD(db_cert_revoked_list(conn, ca->row.id, &list, &n));
	entries = calloc(n ? n : 1, sizeof(*entries));
	if (!entries) {
		free(list);
		return tc_fail(TC_ERR_NO_MEMORY, "crl entries");
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(entries[i].serial, list[i].serial, list[i].serial_len);
		entries[i].serial_len = list[i].serial_len;
		entries[i].revoked_at = list[i].revoked_at;
		entries[i].reason = (enum ca_crl_reason)list[i].reason;
	}
	/* cRLNumber: monotonically increasing (RFC 5280 §5.2.3), from the clock so restarts keep it growing. */
	uint64_t number = (uint64_t)now > ca->crl_number ? (uint64_t)now : ca->crl_number + 1;

	tc_buf_reset(&ca->crl);
	r = ca_crl_build(&ca->issuer, entries, n, number, now, now + API_CA_CRL_VALIDITY_S, &ca->crl);
	if (tc_is_ok(r)) {
		ca->crl_number = number;
		ca->crl_next_update = now + API_CA_CRL_VALIDITY_S;
	}
	free(entries);
	free(list);
	return r;
}

TC_RESULT api_ca_crl_get(struct api_ca *ca, struct db_conn *conn, int64_t now, struct tc_buf *out)
{
	struct tc_result r = tc_ok();

	pthread_mutex_lock(&ca->crl_lock);
	bool stale = ca->crl.len == 0 || ca->crl_built_generation != ca->crl_generation ||
		     now >= ca->crl_next_update - API_CA_CRL_VALIDITY_S / 2;
	uint64_t gen = ca->crl_generation;

	if (stale) {
		r = crl_build(ca, conn, now);
		if (tc_is_ok(r))
			ca->crl_built_generation = gen;
	}
	if (tc_is_ok(r))
		r = tc_buf_append(out, ca->crl.data, ca->crl.len);
	pthread_mutex_unlock(&ca->crl_lock);
	return r;
}

/* ------------------------------------------------------------------------------- init / enroll */

TC_RESULT api_ca_db_open_new(const char *dsn, const char *name, struct db_conn **out)
{
	struct db_ca existing;
	bool found = false;

	TC_GUARD(db_conn_open(dsn, out));
	TC_GUARD(db_schema_check(*out));
	TC_GUARD(db_ca_get(*out, name, &existing, NULL, &found));
	TC_ENSURE(!found, TC_ERR_DB_CONFLICT, "a CA named '%.64s' exists already", name);
	return tc_ok();
}
