/*
 * api_admission_peer.c — POST /v1/admission/peer {chain: PEM (leaf first), nonce?: hex} (teecert-verifier,
 * docs/admission.md): may a node peer with the holder of this chain?
 *
 *   parse     the body (declarative fields) and the PEM chain (1..API_ADMISSION_CHAIN_MAX certificates);
 *   verify    the chain to the configured trust root with OpenSSL at now (RFC 5280 path validation; our
 *             extensions are non-critical, docs/ca.md), then, from one read of the database: the leaf and
 *             every CA certificate of the path must be known and unrevoked, their appraisals recorded at
 *             issuance must still pass the CURRENT policy (accepted_tcb_statuses), and the leaf's log entry
 *             is anchored or not (require_anchored: deny when not);
 *   reply     {decision, reasons[], certificate, anchored, checked_at, expires_at, nonce, jws}: jws is the
 *             compact JWS ES256 of the same verdict (without jws), keyed by GET /v1/verdict-key.
 *
 * api_admission_decide also serves POST /v1/admission/workload (api_admission_workload.c), which adds the
 * expected workload info hash: the leaf must be a workload certificate recording exactly that hash.
 *
 * A malformed request is a 400; a chain that fails any check is a 200 deny with the reasons.
 *
 * Performance (docs/bench.md "Admission"): parsing the PEM chain and OpenSSL path validation (a P-384
 * signature check per certificate) cost most of a request, and nodes present the same chain over and over.
 * Chains that validated are kept in a small direct-mapped cache keyed by SHA-256 of the chain text and the
 * trust store (the entry holds a reference to the store, so the pointer cannot be reused by another one).
 * A hit still checks every certificate of the path against now (RFC 5280 §6.1.3 (a)(2)) and falls back to the
 * full validation when one is outside its validity, so the verdict (and its reasons) is the one the full
 * validation gives. Only positive results are cached, and only when no two certificates of the store or of
 * the chain share a subject (then OpenSSL's issuer choice cannot depend on the time). The database checks
 * (revocation, appraisal, anchoring) run on every request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "api_internal.h"

#define NONCE_MAX 64
#define CHAIN_PEM_MAX (API_ADMISSION_MAX_BODY)

struct verdict {
	json_t *reasons;
	json_t *certificate; /* {serial, kind, tee, tcb_status, not_after} or null */
	json_t *anchored;    /* {tree_size, tx_hash, block} or null */
	int64_t not_after;   /* of the leaf, 0: unknown */
};

static void deny(struct verdict *v, const char *fmt, ...) TC_PRINTF(2, 3);

static void deny(struct verdict *v, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(v->reasons, json_string(buf));
}

static TC_RESULT chain_parse(const char *pem, STACK_OF(X509) **out)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	TC_ENSURE(bio && sk, TC_ERR_NO_MEMORY, "chain");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) == API_ADMISSION_CHAIN_MAX || !sk_X509_push(sk, x)) {
			X509_free(x);
			BIO_free(bio);
			sk_X509_pop_free(sk, X509_free);
			return tc_fail(TC_ERR_INVALID_ARGUMENT, "chain has more than %d certificates",
				       API_ADMISSION_CHAIN_MAX);
		}
	}
	ERR_clear_error();
	BIO_free(bio);
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "chain holds no PEM certificate");
	}
	*out = sk;
	return tc_ok();
}

/* ------------------------------------------------------------------------ cache of validated chains */

#define VCACHE_SLOTS 256 /* a power of two */
#define VCACHE_KEY_LEN 32

struct vcache_entry {
	X509_STORE *store; /* a reference: NULL marks an empty slot */
	uint8_t key[VCACHE_KEY_LEN];
	STACK_OF(X509) *sk, *path;
};

static struct vcache_entry vcache[VCACHE_SLOTS];
static pthread_mutex_t vcache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool chain_key(const char *pem, uint8_t key[VCACHE_KEY_LEN])
{
	bool ok = EVP_Digest(pem, strlen(pem), key, NULL, EVP_sha256(), NULL) == 1;

	ERR_clear_error();
	return ok;
}

static size_t vcache_slot(const uint8_t key[VCACHE_KEY_LEN])
{
	return ((size_t)key[0] | (size_t)key[1] << 8) & (VCACHE_SLOTS - 1);
}

/* Every certificate of PATH is within its validity at NOW (what X509_verify_cert checks of each). */
static bool path_current(STACK_OF(X509) *path, int64_t now)
{
	time_t t = (time_t)now;

	for (int i = 0; i < sk_X509_num(path); i++) {
		X509 *x = sk_X509_value(path, i);

		if (X509_cmp_time(X509_get0_notBefore(x), &t) != -1 || X509_cmp_time(X509_get0_notAfter(x), &t) != 1)
			return false;
	}
	return true;
}

/* A cached validation of the chain KEY under STORE, still current at NOW: new references in *SK, *PATH. */
static bool vcache_get(X509_STORE *store, const uint8_t key[VCACHE_KEY_LEN], int64_t now, STACK_OF(X509) **sk,
		       STACK_OF(X509) **path)
{
	struct vcache_entry *e = &vcache[vcache_slot(key)];
	bool hit = false;

	pthread_mutex_lock(&vcache_lock);
	if (e->store == store && memcmp(e->key, key, VCACHE_KEY_LEN) == 0 && path_current(e->path, now)) {
		*sk = X509_chain_up_ref(e->sk);
		*path = X509_chain_up_ref(e->path);
		hit = *sk && *path;
		if (!hit) {
			sk_X509_pop_free(*sk, X509_free);
			sk_X509_pop_free(*path, X509_free);
		}
	}
	pthread_mutex_unlock(&vcache_lock);
	return hit;
}

static bool subjects_distinct(STACK_OF(X509) *certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++)
		for (int j = i + 1; j < sk_X509_num(certs); j++)
			if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(certs, i)),
					  X509_get_subject_name(sk_X509_value(certs, j))) == 0)
				return false;
	return true;
}

/* Remember that SK validated to PATH under STORE (references taken; nothing when the issuer choice could
 * depend on the time, or on any allocation failure). */
static void vcache_put(X509_STORE *store, const uint8_t key[VCACHE_KEY_LEN], STACK_OF(X509) *sk, STACK_OF(X509) *path)
{
	STACK_OF(X509) *roots = X509_STORE_get1_all_certs(store);
	struct vcache_entry n = { .store = store };
	struct vcache_entry *e = &vcache[vcache_slot(key)];
	bool cacheable = roots && subjects_distinct(roots) && subjects_distinct(sk);

	sk_X509_pop_free(roots, X509_free);
	ERR_clear_error();
	if (!cacheable)
		return;
	memcpy(n.key, key, VCACHE_KEY_LEN);
	n.sk = X509_chain_up_ref(sk);
	n.path = X509_chain_up_ref(path);
	if (n.sk == NULL || n.path == NULL || X509_STORE_up_ref(store) != 1) {
		sk_X509_pop_free(n.sk, X509_free);
		sk_X509_pop_free(n.path, X509_free);
		ERR_clear_error();
		return;
	}
	pthread_mutex_lock(&vcache_lock);
	struct vcache_entry old = *e;

	*e = n;
	pthread_mutex_unlock(&vcache_lock);
	if (old.store) {
		sk_X509_pop_free(old.sk, X509_free);
		sk_X509_pop_free(old.path, X509_free);
		X509_STORE_free(old.store);
	}
}

/* OpenSSL path validation at NOW; on success *PATH is the validated path (leaf .. root). */
static bool chain_verify(const struct api_admission *a, STACK_OF(X509) *sk, int64_t now, STACK_OF(X509) **path,
			 struct verdict *v)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(sk);
	bool ok = false;

	if (ctx && untrusted) {
		(void)sk_X509_shift(untrusted); /* the leaf itself */
		if (X509_STORE_CTX_init(ctx, a->store, sk_X509_value(sk, 0), untrusted) == 1) {
			X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
			ok = X509_verify_cert(ctx) == 1;
			if (ok)
				*path = X509_STORE_CTX_get1_chain(ctx);
			else
				deny(v, "chain: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		}
	}
	if (!ctx || !untrusted)
		deny(v, "chain: out of memory");
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	return ok;
}

struct lookup {
	bool found;
	bool revoked;
	char status[16];
	char tcb_status[32];
	bool has_tcb;
	uint64_t log_seq;
	json_t *summary;
	int64_t not_after;
	bool workload, has_wih;
	uint8_t wih[32];
	const uint8_t *want_der; /* the presented certificate */
	size_t want_len;
	bool same; /* the stored certificate is exactly the presented one */
};

static TC_RESULT take_row(const struct db_certs_row *row, void *arg)
{
	struct lookup *l = arg;

	l->found = true;
	l->same = row->der_len == l->want_len && memcmp(row->der, l->want_der, l->want_len) == 0;
	l->revoked = row->revoked;
	snprintf(l->status, sizeof(l->status), "%s", row->status);
	l->has_tcb = row->tcb_status != NULL;
	snprintf(l->tcb_status, sizeof(l->tcb_status), "%s", row->tcb_status ? row->tcb_status : "");
	l->log_seq = row->log_seq;
	l->not_after = row->not_after;
	l->workload = strcmp(row->kind, "workload") == 0;
	l->has_wih = row->has_workload_info_hash;
	memcpy(l->wih, row->workload_info_hash, sizeof(l->wih));
	json_decref(l->summary);
	l->summary = json_pack("{s:o, s:s, s:o, s:o, s:I}", "serial", tc_json_hex(row->serial, row->serial_len), "kind",
			       row->kind, "tee", row->tee ? json_string(row->tee) : json_null(), "tcb_status",
			       row->tcb_status ? json_string(row->tcb_status) : json_null(), "not_after",
			       (json_int_t)row->not_after);
	TC_ENSURE(l->summary != NULL, TC_ERR_NO_MEMORY, "certificate summary");
	return tc_ok();
}

static TC_RESULT lookup_cert(struct db_conn *conn, X509 *x, int64_t now, struct lookup *l)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	uint8_t serial[DB_CA_SERIAL_MAX];
	struct db_certs_filter f = { .limit = 1, .at = now };
	int n;

	TC_ENSURE(bn != NULL, TC_ERR_NO_MEMORY, "serial");
	n = BN_num_bytes(bn);
	if (n < 1 || n > DB_CA_SERIAL_MAX || BN_is_negative(bn)) {
		BN_free(bn);
		return tc_ok(); /* not one of ours: not found */
	}
	BN_bn2bin(bn, serial);
	BN_free(bn);
	f.serial = serial;
	f.serial_len = (size_t)n;
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	TC_ENSURE(len > 0, TC_ERR_NO_MEMORY, "certificate DER");
	l->want_der = der;
	l->want_len = (size_t)len;
	struct tc_result r = db_certs_list(conn, &f, take_row, l);

	OPENSSL_free(der);
	l->want_der = NULL;
	return r;
}

static void check_appraisal(const struct api_admission *a, const char *who, const struct lookup *l, struct verdict *v)
{
	enum vf_tcb_status s;

	if (!l->has_tcb) {
		deny(v, "%s: no appraisal with a tcb_status was recorded at issuance", who);
		return;
	}
	if (!tc_is_ok(vf_tcb_status_parse(l->tcb_status, &s)))
		deny(v, "%s: recorded tcb_status %s is unknown", who, l->tcb_status);
	else if ((a->policy.accepted_tcb_statuses & (1u << s)) == 0)
		deny(v, "%s: recorded tcb_status %s is no longer accepted by the current policy", who, l->tcb_status);
}

/* Our extensions of the leaf (docs/ca.md), decoded: well-formed, an accepted appraisal, the logged entry. */
static TC_RESULT check_extensions(X509 *x, uint64_t log_seq, struct verdict *v)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	struct ca_cert_info *info = calloc(1, sizeof(*info));
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, len > 0 && info != NULL, out, TC_ERR_NO_MEMORY, "certificate extensions");
	if (!tc_is_ok(ca_cert_info_parse(der, (size_t)len, info))) {
		deny(v, "leaf: malformed teecert extension: %s", tc_error_detail());
		goto out;
	}
	if (info->has_appraisal && !info->appraisal.accepted)
		deny(v, "leaf: its embedded appraisal was not accepted (%s)", info->appraisal.failure);
	if (info->has_log_ref && info->log_ref.seq != log_seq)
		deny(v, "leaf: its log reference (entry %llu) is not its logged entry %llu",
		     (unsigned long long)info->log_ref.seq, (unsigned long long)log_seq);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	free(info);
	return r;
}

/* Everything the database says about the validated PATH (leaf first). */
static TC_RESULT check_db(const struct api_admission *a, struct db_conn *conn, STACK_OF(X509) *path, int64_t now,
			  const uint8_t *expect_wih, struct verdict *v)
{
	struct lookup leaf = { 0 };
	uint64_t tree_size;
	uint8_t tx[32];
	int64_t block;
	bool anchored = false;
	struct tc_result r = tc_ok();

	TC_GUARD_GOTO(r, lookup_cert(conn, sk_X509_value(path, 0), now, &leaf), out);
	if (!leaf.found) {
		deny(v, "leaf: not issued by a CA of this deployment");
		goto out;
	}
	v->certificate = json_incref(leaf.summary);
	v->not_after = leaf.not_after;
	if (!leaf.same)
		deny(v, "leaf: this deployment recorded a different certificate under its serial");
	if (leaf.revoked)
		deny(v, "leaf: revoked");
	TC_GUARD_GOTO(r, check_extensions(sk_X509_value(path, 0), leaf.log_seq, v), out);
	check_appraisal(a, "leaf", &leaf, v);
	if (expect_wih && !leaf.workload)
		deny(v, "leaf: not a workload certificate");
	else if (expect_wih && (!leaf.has_wih || memcmp(leaf.wih, expect_wih, sizeof(leaf.wih)) != 0))
		deny(v, "leaf: its workload info hash is not the expected one");
	for (int i = 1; i < sk_X509_num(path); i++) {
		struct lookup ca = { 0 };
		char who[32];

		snprintf(who, sizeof(who), "CA certificate %d", i);
		r = lookup_cert(conn, sk_X509_value(path, i), now, &ca);
		json_decref(ca.summary);
		TC_GUARD_GOTO(r, r, out);
		if (!ca.found)
			continue; /* a CA certificate the database does not hold (the configured root itself) */
		if (!ca.same)
			deny(v, "%s: this deployment recorded a different certificate under its serial", who);
		if (ca.revoked)
			deny(v, "%s: revoked", who);
		if (ca.has_tcb)
			check_appraisal(a, who, &ca, v);
	}
	TC_GUARD_GOTO(r, db_admission_anchor(conn, leaf.log_seq, &anchored, &tree_size, tx, &block), out);
	if (anchored) {
		v->anchored = json_pack("{s:I, s:o, s:o}", "tree_size", (json_int_t)tree_size, "tx_hash",
					tc_json_hex(tx, 32), "block", block >= 0 ? json_integer(block) : json_null());
		TC_ENSURE_GOTO(r, v->anchored != NULL, out, TC_ERR_NO_MEMORY, "anchored");
	} else if (a->require_anchored) {
		deny(v, "leaf: its log entry %llu is not anchored yet and the policy requires it",
		     (unsigned long long)leaf.log_seq);
	}
out:
	json_decref(leaf.summary);
	return r;
}

static TC_RESULT reply(struct api_request *req, const struct api_admission *a, struct verdict *v, int64_t now,
		       const char *nonce)
{
	char checked[TC_TIME_RFC3339_LEN], expires[TC_TIME_RFC3339_LEN];
	int64_t until = now + a->ttl_s;
	bool allow = json_array_size(v->reasons) == 0;
	struct tc_buf jws;
	json_t *body;
	struct tc_result r;

	if (v->not_after && v->not_after < until)
		until = v->not_after;
	TC_GUARD(tc_time_format(now, checked));
	TC_GUARD(tc_time_format(until, expires));
	body = json_pack("{s:s, s:O, s:O, s:O, s:s, s:s, s:o}", "decision", allow ? "allow" : "deny", "reasons",
			 v->reasons, "certificate", v->certificate ? v->certificate : json_null(), "anchored",
			 v->anchored ? v->anchored : json_null(), "checked_at", checked, "expires_at", expires, "nonce",
			 nonce ? json_string(nonce) : json_null());
	TC_ENSURE(body != NULL, TC_ERR_NO_MEMORY, "verdict");
	tc_buf_init(&jws, TC_BUF_DEFAULT_MAX);
	r = api_admission_sign(a, body, &jws);
	if (tc_is_ok(r) && json_object_set_new(body, "jws", json_stringn((const char *)jws.data, jws.len)) != 0)
		r = tc_fail(TC_ERR_NO_MEMORY, "verdict");
	if (tc_is_ok(r))
		r = api_reply_json(req, 200, body);
	tc_buf_cleanup(&jws);
	json_decref(body);
	return r;
}

TC_RESULT api_admission_decide(struct api_request *req, bool workload)
{
	const struct api_admission *a = api_request_config(req)->admission;
	const char *chain_pem = NULL, *nonce = NULL;
	struct tc_buf nonce_bytes, wih;
	STACK_OF(X509) *sk = NULL, *path = NULL;
	struct verdict v = { 0 };
	struct db_conn *conn = NULL;
	int64_t now;
	uint8_t key[VCACHE_KEY_LEN];
	bool keyed, valid;
	struct tc_result r = tc_ok();

	TC_ENSURE(a != NULL, TC_ERR_ADMISSION_NOT_CONFIGURED,
		  "start teecert-verifier with --trust-root and --signing-key");
	TC_ENSURE(api_request_json(req) != NULL, TC_ERR_JSON_FIELD_MISSING, "a JSON body {chain, nonce?} is required");
	tc_buf_init(&nonce_bytes, NONCE_MAX);
	tc_buf_init(&wih, 32);
	const struct tc_json_field spec[] = {
		{ .name = "chain",
		  .kind = TC_JSON_STRING,
		  .required = true,
		  .out = &chain_pem,
		  .max_len = CHAIN_PEM_MAX },
		{ .name = "nonce", .kind = TC_JSON_STRING, .out = &nonce, .max_len = 2 * NONCE_MAX },
		{ .name = "workload_info_hash", .kind = TC_JSON_HEX, .required = true, .out = &wih, .exact_len = 32 },
	};
	TC_GUARD_GOTO(r, tc_json_fields(api_request_json(req), spec, workload ? 3 : 2, false), out);
	if (nonce)
		TC_GUARD_GOTO(r, tc_hex_decode(nonce, strlen(nonce), &nonce_bytes), out);
	v.reasons = json_array();
	TC_ENSURE_GOTO(r, v.reasons != NULL, out, TC_ERR_NO_MEMORY, "verdict");
	now = api_admission_now(a);
	keyed = chain_key(chain_pem, key);
	if (keyed && vcache_get(a->store, key, now, &sk, &path)) {
		valid = true;
	} else {
		TC_GUARD_GOTO(r, chain_parse(chain_pem, &sk), out);
		valid = chain_verify(a, sk, now, &path, &v);
		if (valid && keyed)
			vcache_put(a->store, key, sk, path);
	}
	if (valid) {
		TC_GUARD_GOTO(r, api_request_db(req, &conn), out);
		TC_GUARD_GOTO(r, check_db(a, conn, path, now, workload ? wih.data : NULL, &v), out);
	}
	r = reply(req, a, &v, now, nonce);
out:
	sk_X509_pop_free(sk, X509_free);
	sk_X509_pop_free(path, X509_free);
	json_decref(v.reasons);
	json_decref(v.certificate);
	json_decref(v.anchored);
	tc_buf_cleanup(&nonce_bytes);
	tc_buf_cleanup(&wih);
	return r;
}

TC_RESULT api_admission_peer_post(struct api_request *req)
{
	return api_admission_decide(req, false);
}
