/*
 * api_certificates.c — POST /v1/certificates: issue a CVM certificate after appraising the evidence bound
 * to the CSR key and a challenge (DESIGN.md "Evidence binding", docs/ca-service.md).
 *
 *   {"kind": "cvm", "csr": PEM, "nonce": 64 hex, "evidence": {"tee": "tdx", "quote": base64}
 *                                                  | {"tee": "snp", "report": base64, "vcek"|"vlek": base64},
 *    "gpu_evidence": [{"spdm": base64, "cert_chain": PEM}, ...]}   (optional, NVIDIA H100 per GPU)
 *   kind workload adds "workload_info": {...}, "cvm_certificate": PEM (bound CVM cert: this CA, unrevoked,
 *   same hardware; workload_info_hash joins the report_data binding); kind subroot adds "name" (root only;
 *   the sub-CA's cas row is inserted in the same transaction).
 *
 * The CPU evidence is appraised with report_data bound to the CSR key and nonce; the GPUs, when present, with
 * expected_nonce = vf_binding_gpu_nonce(SPKI, nonce). Both must be accepted; the certificate carries one
 * appraisal (CPU then GPU devices, evidence digest over every item in order, every collateral digest).
 *
 * The evidence fields are parsed and appraised by the shared evidence parser (api_evidence.c).
 *
 * parse (field spec, CSR intake) -> decide, without the database: appraise with the expected report_data =
 * vf_binding_report_data(SPKI, nonce) (nonce_mismatch otherwise), workload hardware match -> the group
 * commit (api_ca_batch.c): in one transaction with other requests' issuances, Idempotency-Key lookup, CVM
 * certificate status, consume the nonce, sign (the log entry number is known only under the log lock),
 * insert log entry + certificate + appraisal + idempotency key -> commit -> 201 with the whole chain.
 * Nothing answered 201 is left uncommitted: the reply is built only after the batch committed, and any
 * failure rolls everything back (a rejected appraisal leaves the nonce unused).
 */
#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api_internal.h"

#define API_CERT_PEM_MAX ((size_t)32 * 1024) /* cvm_certificate */

/* kind workload: the CVM certificate it is bound to (checked before the transaction, status inside it). */
struct cvm_parent {
	struct tc_buf der;
	struct ca_cert_info info; /* borrows der */
	uint8_t serial[DB_CA_SERIAL_MAX];
	size_t serial_len;
	uint8_t sha256[32];
};

/* What the appraisal of one request needs (borrowed). */
struct cert_req {
	const struct api_ca *ca;
	const struct ca_csr *csr;
	uint8_t nonce[VF_BINDING_NONCE_LEN];
	const struct api_evidence *ev;
	const uint8_t *workload_info_hash; /* workload only */
	int64_t now;
};

/* The collateral of an input comes from this CA's collateral service (api_evidence_fill_fn). */
struct cert_fill {
	const struct api_ca *ca;
	struct api_coll_hold *hold;
};

static struct tc_result cert_fill(void *arg, struct vf_input *in)
{
	struct cert_fill *f = arg;

	return api_ca_collateral_fill(f->ca, in, f->hold);
}

/*
 * Appraise the evidence (api_evidence.c): the CPU with report_data bound to the CSR key and nonce, then the
 * GPUs with expected_nonce = gpu_nonce of the same key and nonce; any rejection fails with its code. ALL gets
 * every evidence item in order (borrowed), OUT the merged appraisal (caller cleans up).
 */
static TC_RESULT appraise_all(const struct api_ca *ca, const struct cert_req *t, struct vf_item *all, size_t *n_all,
			      struct api_coll_hold *hold, struct vf_appraisal *out)
{
	struct vf_policy policy = ca->inputs.policy; /* shallow copies: json members stay owned by the CA */
	struct vf_policy gpol;
	struct vf_input cpu, gpu;
	struct cert_fill fill = { .ca = ca, .hold = hold };
	struct vf_appraisal a;
	struct tc_result r;

	if (ca->network == CA_NETWORK_TRUSTED)
		policy.allow_simulated = false;
	gpol = policy;
	policy.has_expected_report_data = true;
	TC_GUARD(vf_binding_report_data(t->csr->spki.data, t->csr->spki.len, t->nonce, t->workload_info_hash,
					policy.expected_report_data));
	gpol.has_expected_report_data = false;
	gpol.has_expected_nonce = true;
	TC_GUARD(vf_binding_gpu_nonce(t->csr->spki.data, t->csr->spki.len, t->nonce, gpol.expected_nonce));
	TC_GUARD(api_evidence_appraise(t->ev, &policy, &gpol, t->now, cert_fill, &fill, &a));
	if (!a.accepted) {
		r = tc_fail(a.failure, "appraisal rejected: %s", a.detail);
		vf_appraisal_cleanup(&a);
		return r;
	}
	api_evidence_inputs(t->ev, &cpu, &gpu);
	memcpy(all, cpu.evidence, cpu.n_evidence * sizeof(all[0]));
	memcpy(all + cpu.n_evidence, gpu.evidence, gpu.n_evidence * sizeof(all[0]));
	*n_all = cpu.n_evidence + gpu.n_evidence;
	*out = a;
	return tc_ok();
}

/*
 * The CVM certificate of a workload request: PEM, signed by this CA's key, role cvm (our .4 extension), valid
 * NOW. Its extensions (hardware identity) are trusted only after the signature check.
 */
static TC_RESULT cvm_parent_load(const struct api_ca *ca, const char *pem, int64_t now, struct cvm_parent *p)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL, *issuer = NULL;
	const unsigned char *ip = ca->cert_der.data;
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : -1;
	const ASN1_INTEGER *sn;
	time_t t = (time_t)now;
	struct tc_result r = tc_ok();

	BIO_free(bio);
	if (n <= 0) {
		r = tc_fail_openssl(TC_ERR_CVM_CERT_INVALID, "cvm_certificate is not a PEM certificate");
		goto out;
	}
	TC_GUARD_GOTO(r, tc_buf_append(&p->der, der, (size_t)n), out);
	issuer = d2i_X509(NULL, &ip, (long)ca->cert_der.len);
	TC_ENSURE_GOTO(r, issuer, out, TC_ERR_INTERNAL, "CA certificate DER");
	TC_ENSURE_GOTO(r, X509_check_issued(issuer, x) == X509_V_OK && X509_verify(x, X509_get0_pubkey(issuer)) == 1,
		       out, TC_ERR_CVM_CERT_INVALID, "the CVM certificate was not issued by this CA");
	TC_ENSURE_GOTO(r, X509_cmp_time(X509_get0_notBefore(x), &t) < 0 && X509_cmp_time(X509_get0_notAfter(x), &t) > 0,
		       out, TC_ERR_CVM_CERT_INVALID, "the CVM certificate is not valid now");
	TC_GUARD_GOTO(r, ca_cert_info_parse(p->der.data, p->der.len, &p->info), out);
	TC_ENSURE_GOTO(r, p->info.has_role && p->info.role.role == CA_ROLE_CVM && p->info.has_hwid, out,
		       TC_ERR_CVM_CERT_INVALID,
		       "the bound certificate is not a cvm certificate with a hardware identity");
	sn = X509_get0_serialNumber(x);
	TC_ENSURE_GOTO(r, ASN1_STRING_length(sn) > 0 && (size_t)ASN1_STRING_length(sn) <= sizeof(p->serial), out,
		       TC_ERR_CVM_CERT_INVALID, "the CVM certificate serial is not one of ours");
	p->serial_len = (size_t)ASN1_STRING_length(sn);
	memcpy(p->serial, ASN1_STRING_get0_data(sn), p->serial_len);
	api_ca_sha256(p->der.data, p->der.len, p->sha256);
out:
	tc_openssl_clear();
	OPENSSL_free(der);
	X509_free(x);
	X509_free(issuer);
	return r;
}

/*
 * Same CPU: SNP by CHIP_ID; TDX by PPID (+ FMSPC) when both sides carry it. The TDX appraiser does not surface
 * the PCK certificate's PPID yet, so TDX falls back to FMSPC alone: a platform model, not one machine (see
 * docs/ca-service.md "Not yet").
 */
static bool hwid_same(const struct ca_ext_hwid_device *a, const struct ca_ext_hwid_device *b)
{
	if (a->tee != b->tee)
		return false;
	if (a->chip_id_len > 0 || b->chip_id_len > 0)
		return a->chip_id_len == b->chip_id_len && memcmp(a->chip_id, b->chip_id, a->chip_id_len) == 0;
	if (a->has_fmspc != b->has_fmspc || a->has_ppid != b->has_ppid || (!a->has_fmspc && !a->has_ppid))
		return false;
	return (!a->has_fmspc || memcmp(a->fmspc, b->fmspc, CA_FMSPC_LEN) == 0) &&
	       (!a->has_ppid || memcmp(a->ppid, b->ppid, CA_PPID_LEN) == 0);
}

/* The workload evidence comes from the CPU the CVM certificate names (DESIGN.md "Certificates"). */
static TC_RESULT hardware_match(const struct vf_appraisal *a, const struct ca_ext_hwid *cvm)
{
	struct ca_ext_hwid hw;
	const struct ca_ext_hwid_device *mine = NULL, *theirs = NULL;

	TC_GUARD(ca_ext_hwid_from_vf(a, &hw));
	for (size_t i = 0; i < hw.n_devices; i++)
		if (strcmp(hw.devices[i].id, "cpu0") == 0)
			mine = &hw.devices[i];
	for (size_t i = 0; i < cvm->n_devices; i++)
		if (strcmp(cvm->devices[i].id, "cpu0") == 0)
			theirs = &cvm->devices[i];
	TC_ENSURE(mine && theirs && hwid_same(mine, theirs), TC_ERR_HARDWARE_MISMATCH,
		  "the workload evidence's CPU identity differs from the CVM certificate's");
	return tc_ok();
}

/*
 * The decision, before any database work (STYLE.md point 8: pure, and outside the transaction so that the
 * group commit never redoes it): appraise the evidence bound to the CSR key and nonce (CPU, then GPUs) and,
 * for a workload, match its hardware with the CVM certificate's. ALL/N_ALL get the evidence items, A the
 * merged appraisal (caller cleans up).
 */
static TC_RESULT decide(const struct cert_req *t, const struct cvm_parent *parent, struct vf_item *all, size_t *n_all,
			struct vf_appraisal *a)
{
	struct api_coll_hold hold;
	struct tc_result r;

	api_coll_hold_init(&hold);
	r = appraise_all(t->ca, t, all, n_all, &hold, a);
	api_coll_hold_cleanup(&hold); /* the appraisal keeps digests only */
	TC_GUARD(r);
	if (parent) {
		r = hardware_match(a, &parent->info.hwid);
		if (!tc_is_ok(r))
			vf_appraisal_cleanup(a);
	}
	return r;
}

/* The fields of the body (STYLE.md point 8: declarative spec, unknown fields refused). */
static TC_RESULT body_parse(const json_t *in, const char **kind, const char **csr, struct tc_buf *nonce,
			    struct api_evidence *ev, json_t **workload_info, const char **cvm_pem, const char **name)
{
	json_t *evidence = NULL, *gpus = NULL;
	const struct tc_json_field top[] = {
		{ .name = "kind", .kind = TC_JSON_STRING, .required = true, .out = kind, .max_len = 16 },
		{ .name = "csr", .kind = TC_JSON_STRING, .required = true, .out = csr, .max_len = CA_CSR_PEM_MAX },
		{ .name = "nonce",
		  .kind = TC_JSON_HEX,
		  .required = true,
		  .out = nonce,
		  .exact_len = VF_BINDING_NONCE_LEN },
		{ .name = "evidence", .kind = TC_JSON_OBJECT, .required = true, .out = &evidence },
		{ .name = "gpu_evidence", .kind = TC_JSON_ARRAY, .out = &gpus, .max_len = API_EVIDENCE_GPUS_MAX },
		{ .name = "workload_info", .kind = TC_JSON_OBJECT, .out = workload_info },
		{ .name = "cvm_certificate", .kind = TC_JSON_STRING, .out = cvm_pem, .max_len = API_CERT_PEM_MAX },
		{ .name = "name", .kind = TC_JSON_STRING, .out = name, .max_len = DB_CA_NAME_MAX },
	};

	TC_ENSURE(in && json_is_object(in), TC_ERR_JSON_FIELD_MISSING, "the body must be a JSON object");
	TC_GUARD(tc_json_fields(in, top, sizeof(top) / sizeof(top[0]), false));
	TC_ENSURE(strcmp(*kind, "cvm") == 0 || strcmp(*kind, "workload") == 0 || strcmp(*kind, "subroot") == 0,
		  TC_ERR_JSON_FIELD_INVALID, "kind '%.16s': expected cvm, workload or subroot", *kind);
	TC_ENSURE((strcmp(*kind, "subroot") == 0) == (*name != NULL), TC_ERR_JSON_FIELD_INVALID,
		  "name (the sub-CA's name) goes with kind subroot (and only there)");
	if (*name) { /* cas.name: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ */
		size_t n = strlen(*name);

		TC_ENSURE(n >= 1 && n <= DB_CA_NAME_MAX && isalnum((unsigned char)(*name)[0]) &&
				  strspn(*name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
					  n,
			  TC_ERR_JSON_FIELD_INVALID, "name: 1..64 of [A-Za-z0-9._-], starting with a letter or digit");
	}
	TC_ENSURE((strcmp(*kind, "workload") == 0) == (*workload_info != NULL && *cvm_pem != NULL),
		  TC_ERR_JSON_FIELD_INVALID,
		  "workload_info and cvm_certificate go with kind workload (and only there)");
	return api_evidence_parse(evidence, gpus, ev);
}

TC_RESULT api_certificates_post(struct api_request *req)
{
	struct api_ca *ca = req->server->cfg.ca;
	const char *kind = NULL, *csr_pem = NULL;
	struct tc_buf nonce;
	struct api_evidence ev;
	json_t *workload_info = NULL;
	const char *cvm_pem = NULL, *sub_name = NULL;
	struct cvm_parent parent = { 0 };
	uint8_t wl_hash[VF_BINDING_HASH_LEN], request_hash[32];
	struct ca_csr csr;
	bool have_csr = false, have_appraisal = false;
	struct cert_req t = { .ca = ca };
	struct vf_item all[VF_MAX_ITEMS];
	size_t n_all = 0;
	struct vf_appraisal a;
	struct db_ca sub = { 0 };
	enum ca_role role = CA_ROLE_CVM;
	const char *idem_key;
	struct api_ca_job job;
	struct db_conn *conn = NULL;
	struct tc_result r;

	TC_ENSURE(ca, TC_ERR_INTERNAL, "this server has no CA configured");
	tc_buf_init(&nonce, VF_BINDING_NONCE_LEN);
	api_evidence_init(&ev);
	tc_buf_init(&parent.der, API_CERT_PEM_MAX);
	api_ca_job_init(&job);
	t.now = (int64_t)time(NULL);
	TC_GUARD_GOTO(
		r, body_parse(api_request_json(req), &kind, &csr_pem, &nonce, &ev, &workload_info, &cvm_pem, &sub_name),
		out);
	if (sub_name)
		role = CA_ROLE_SUBROOT;
	if (workload_info) {
		TC_GUARD_GOTO(r, vf_binding_workload_info_hash(workload_info, wl_hash), out);
		TC_GUARD_GOTO(r, cvm_parent_load(ca, cvm_pem, t.now, &parent), out);
		role = CA_ROLE_WORKLOAD;
		t.workload_info_hash = wl_hash;
	}
	TC_GUARD_GOTO(r, ca_csr_parse_pem(csr_pem, strlen(csr_pem), &csr), out);
	have_csr = true;
	idem_key = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (idem_key) {
		size_t n = strlen(idem_key);

		TC_ENSURE_GOTO(r, n >= 1 && n <= DB_CA_IDEM_KEY_MAX, out, TC_ERR_INVALID_ARGUMENT,
			       "Idempotency-Key must be 1..%d printable characters", DB_CA_IDEM_KEY_MAX);
		for (size_t i = 0; i < n; i++)
			TC_ENSURE_GOTO(r, idem_key[i] > 0x20 && idem_key[i] < 0x7f, out, TC_ERR_INVALID_ARGUMENT,
				       "Idempotency-Key must be printable ASCII without spaces");
	}
	api_ca_sha256(req->body.data, req->body.len, request_hash);
	memcpy(t.nonce, nonce.data, VF_BINDING_NONCE_LEN);
	t.csr = &csr;
	t.ev = &ev;
	TC_GUARD_GOTO(r, decide(&t, workload_info ? &parent : NULL, all, &n_all, &a), out);
	have_appraisal = true;

	sub.parent = ca->row.id;
	snprintf(sub.name, sizeof(sub.name), "%s", sub_name ? sub_name : "");
	snprintf(sub.role, sizeof(sub.role), "subroot");
	snprintf(sub.network, sizeof(sub.network), "%s", ca->row.network);
	job.spec = (struct api_ca_record){
		.issuer = &ca->issuer,
		.issuer_subject = ca->subject,
		.ca_id = ca->row.id,
		.new_ca = role == CA_ROLE_SUBROOT ? &sub : NULL,
		.csr = &csr,
		.role = role,
		.validity_s = role == CA_ROLE_CVM ? API_CA_CVM_VALIDITY_S : 0,
		.appraisal = &a,
		.evidence = all,
		.n_evidence = n_all,
		.now = t.now,
		.workload_info_hash = t.workload_info_hash,
		.cvm_cert_der = workload_info ? parent.der.data : NULL,
		.cvm_cert_len = workload_info ? parent.der.len : 0,
		.parent_cvm_serial = workload_info ? parent.serial : NULL,
		.parent_cvm_serial_len = workload_info ? parent.serial_len : 0,
	};
	job.nonce = t.nonce;
	job.idem_key = idem_key;
	job.request_hash = request_hash;
	job.parent_serial = workload_info ? parent.serial : NULL;
	job.parent_serial_len = workload_info ? parent.serial_len : 0;
	job.parent_sha256 = workload_info ? parent.sha256 : NULL;
	job.subroot_needs_root = role == CA_ROLE_SUBROOT;
	TC_GUARD_GOTO(r, api_request_db(req, &conn), out);
	TC_GUARD_GOTO(r, api_ca_issue(ca, conn, &job), out);
	tc_log(TC_LOG_INFO, job.replayed ? "certificate_replayed" : "certificate_issued", "serial %s subject %s",
	       job.serial_hex, csr.subject_text);
	r = api_reply_data(req, (unsigned)job.status, "application/json", job.body.data, job.body.len);
out:
	api_ca_job_cleanup(&job);
	if (have_appraisal)
		vf_appraisal_cleanup(&a);
	if (have_csr)
		ca_csr_cleanup(&csr);
	tc_buf_cleanup(&nonce);
	api_evidence_cleanup(&ev);
	tc_buf_cleanup(&parent.der);
	return r;
}
