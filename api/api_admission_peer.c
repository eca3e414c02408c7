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
 * the chain share a subject (then OpenSSL's issuer choice cannot depend on the time). With the path, the
 * entry keeps what is a pure function of its bytes: each certificate's serial and DER SHA-256 and the
 * decoded teecert extensions of the leaf. The database checks (revocation, appraisal, anchoring) run on
 * every request, as ONE query for the whole path (db_admission_certs: it compares SHA-256s instead of
 * shipping DER, and reads the anchor in the same round trip).
 *
 * Every deny reason has a stable code (enum api_adm_reason, "reason_codes" in the verdict); the first one
 * is counted in /metrics (teecert_admission_decisions_total).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
	json_t *codes;             /* stable reason codes, parallel to reasons */
	enum api_adm_reason first; /* API_ADM_OK while allowed */
	json_t *certificate;       /* {serial, kind, tee, tcb_status, not_after} or null */
	json_t *anchored;          /* {tree_size, tx_hash, block} or null */
	int64_t not_after;         /* of the leaf, 0: unknown */
};

static void deny(struct verdict *v, enum api_adm_reason code, const char *fmt, ...) TC_PRINTF(3, 4);

static void deny(struct verdict *v, enum api_adm_reason code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (v->first == API_ADM_OK)
		v->first = code;
	json_array_append_new(v->reasons, json_string(buf));
	json_array_append_new(v->codes, json_string(api_adm_reason_name(code)));
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
#define EXT_DETAIL_MAX 256

/* What a validated path's bytes say, computed once per path (facts_compute) and cached with it. */
struct path_facts {
	size_t n; /* certificates of the path, leaf first */
	struct db_admission_key keys[DB_ADMISSION_PATH_MAX];
	bool ext_malformed; /* the leaf's teecert extensions */
	char ext_detail[EXT_DETAIL_MAX];
	bool ext_rejected; /* its embedded appraisal was not accepted */
	char ext_failure[64];
	bool has_log_ref;
	uint64_t log_ref_seq;
};

struct vcache_entry {
	X509_STORE *store; /* a reference: NULL marks an empty slot */
	uint8_t key[VCACHE_KEY_LEN];
	STACK_OF(X509) *sk, *path;
	struct path_facts facts;
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

/* A cached validation of the chain KEY under STORE, still current at NOW: new references in *SK, *PATH,
 * its facts copied into FACTS. */
static bool vcache_get(X509_STORE *store, const uint8_t key[VCACHE_KEY_LEN], int64_t now, STACK_OF(X509) **sk,
		       STACK_OF(X509) **path, struct path_facts *facts)
{
	struct vcache_entry *e = &vcache[vcache_slot(key)];
	bool hit = false;

	pthread_mutex_lock(&vcache_lock);
	if (e->store == store && memcmp(e->key, key, VCACHE_KEY_LEN) == 0 && path_current(e->path, now)) {
		*sk = X509_chain_up_ref(e->sk);
		*path = X509_chain_up_ref(e->path);
		hit = *sk && *path;
		if (hit)
			*facts = e->facts;
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
static void vcache_put(X509_STORE *store, const uint8_t key[VCACHE_KEY_LEN], STACK_OF(X509) *sk, STACK_OF(X509) *path,
		       const struct path_facts *facts)
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
	n.facts = *facts;
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
				deny(v, API_ADM_CHAIN_INVALID, "chain: %s",
				     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		}
	}
	if (!ctx || !untrusted)
		deny(v, API_ADM_CHAIN_INVALID, "chain: out of memory");
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	return ok;
}

/* Serial (big-endian magnitude; a 0x00 byte when it cannot be one of ours) and DER SHA-256 of X. */
static TC_RESULT cert_key(X509 *x, struct db_admission_key *k)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	unsigned char *der = NULL;
	int len, n;

	TC_ENSURE(bn != NULL, TC_ERR_NO_MEMORY, "serial");
	n = BN_num_bytes(bn);
	if (n < 1 || n > DB_CA_SERIAL_MAX || BN_is_negative(bn)) {
		k->serial[0] = 0; /* never recorded: serials are stored without a leading zero byte */
		k->serial_len = 1;
	} else {
		BN_bn2bin(bn, k->serial);
		k->serial_len = (size_t)n;
	}
	BN_free(bn);
	len = i2d_X509(x, &der);
	TC_ENSURE(len > 0, TC_ERR_NO_MEMORY, "certificate DER");
	bool ok = EVP_Digest(der, (size_t)len, k->sha256, NULL, EVP_sha256(), NULL) == 1;

	OPENSSL_free(der);
	ERR_clear_error();
	TC_ENSURE(ok, TC_ERR_CRYPTO, "certificate digest");
	return tc_ok();
}

/* The facts of a validated PATH: keys of every certificate, the leaf's teecert extensions (docs/ca.md). */
static TC_RESULT facts_compute(STACK_OF(X509) *path, struct path_facts *f)
{
	unsigned char *der = NULL;
	struct ca_cert_info *info = NULL;
	int len;
	struct tc_result r = tc_ok();

	memset(f, 0, sizeof(*f));
	TC_ENSURE(sk_X509_num(path) >= 1 && sk_X509_num(path) <= DB_ADMISSION_PATH_MAX, TC_ERR_INVALID_ARGUMENT,
		  "the validated path has %d certificates (at most %d)", sk_X509_num(path), DB_ADMISSION_PATH_MAX);
	f->n = (size_t)sk_X509_num(path);
	for (size_t i = 0; i < f->n; i++)
		TC_GUARD(cert_key(sk_X509_value(path, (int)i), &f->keys[i]));
	len = i2d_X509(sk_X509_value(path, 0), &der);
	info = calloc(1, sizeof(*info));
	TC_ENSURE_GOTO(r, len > 0 && info != NULL, out, TC_ERR_NO_MEMORY, "certificate extensions");
	if (!tc_is_ok(ca_cert_info_parse(der, (size_t)len, info))) {
		f->ext_malformed = true;
		snprintf(f->ext_detail, sizeof(f->ext_detail), "%s", tc_error_detail());
		goto out;
	}
	if (info->has_appraisal && !info->appraisal.accepted) {
		f->ext_rejected = true;
		snprintf(f->ext_failure, sizeof(f->ext_failure), "%s", info->appraisal.failure);
	}
	f->has_log_ref = info->has_log_ref;
	f->log_ref_seq = info->has_log_ref ? info->log_ref.seq : 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	free(info);
	return r;
}

static void check_appraisal(const struct api_admission *a, const char *who, const struct db_admission_cert *c,
			    struct verdict *v)
{
	enum vf_tcb_status s;

	if (!c->has_tcb_status) {
		deny(v, API_ADM_NO_APPRAISAL, "%s: no appraisal with a tcb_status was recorded at issuance", who);
		return;
	}
	if (!tc_is_ok(vf_tcb_status_parse(c->tcb_status, &s)))
		deny(v, API_ADM_TCB_NOT_ACCEPTED, "%s: recorded tcb_status %s is unknown", who, c->tcb_status);
	else if ((a->policy.accepted_tcb_statuses & (1u << s)) == 0)
		deny(v, API_ADM_TCB_NOT_ACCEPTED,
		     "%s: recorded tcb_status %s is no longer accepted by the current policy", who, c->tcb_status);
}

/* The leaf's extensions against its logged entry: well-formed, an accepted appraisal, the same log entry. */
static void check_extensions(const struct path_facts *f, uint64_t log_seq, struct verdict *v)
{
	if (f->ext_malformed) {
		deny(v, API_ADM_EXTENSION_INVALID, "leaf: malformed teecert extension: %s", f->ext_detail);
		return;
	}
	if (f->ext_rejected)
		deny(v, API_ADM_APPRAISAL_REJECTED, "leaf: its embedded appraisal was not accepted (%s)",
		     f->ext_failure);
	if (f->has_log_ref && f->log_ref_seq != log_seq)
		deny(v, API_ADM_LOG_REF_MISMATCH, "leaf: its log reference (entry %llu) is not its logged entry %llu",
		     (unsigned long long)f->log_ref_seq, (unsigned long long)log_seq);
}

/* ---------------------------------------------- optional short-lived cache of the database facts */

/*
 * With db_cache_ms > 0 (serve --admission-cache-ms) the rows of db_admission_certs for a path are reused for
 * that long: the query is most of the database's work per admission, and a node presents the same chain
 * many times a second. Keyed by the chain key AND the path's serials and SHA-256s (so the rows always
 * describe exactly these certificates); direct-mapped, bounded; a revocation or a new anchor shows after at
 * most db_cache_ms. Off by default.
 */
#define RCACHE_SLOTS 128 /* a power of two */

struct rcache_entry {
	bool used;
	uint8_t key[VCACHE_KEY_LEN];
	size_t n;
	struct db_admission_key keys[DB_ADMISSION_PATH_MAX];
	struct db_admission_cert rows[DB_ADMISSION_PATH_MAX];
	int64_t at_ms;
};

static struct rcache_entry rcache[RCACHE_SLOTS];
static pthread_mutex_t rcache_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool keys_equal(const struct db_admission_key *a, const struct db_admission_key *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].serial_len != b[i].serial_len || memcmp(a[i].serial, b[i].serial, a[i].serial_len) != 0 ||
		    memcmp(a[i].sha256, b[i].sha256, 32) != 0)
			return false;
	return true;
}

static bool rcache_get(const uint8_t key[VCACHE_KEY_LEN], const struct path_facts *f, unsigned ttl_ms,
		       struct db_admission_cert *rows)
{
	struct rcache_entry *e = &rcache[vcache_slot(key) & (RCACHE_SLOTS - 1)];
	int64_t now = mono_ms();
	bool hit;

	pthread_mutex_lock(&rcache_lock);
	hit = e->used && memcmp(e->key, key, VCACHE_KEY_LEN) == 0 && e->n == f->n &&
	      keys_equal(e->keys, f->keys, f->n) && now - e->at_ms >= 0 && now - e->at_ms < (int64_t)ttl_ms;
	if (hit)
		memcpy(rows, e->rows, f->n * sizeof(rows[0]));
	pthread_mutex_unlock(&rcache_lock);
	return hit;
}

static void rcache_put(const uint8_t key[VCACHE_KEY_LEN], const struct path_facts *f,
		       const struct db_admission_cert *rows, int64_t at_ms)
{
	struct rcache_entry *e = &rcache[vcache_slot(key) & (RCACHE_SLOTS - 1)];

	pthread_mutex_lock(&rcache_lock);
	e->used = true;
	memcpy(e->key, key, VCACHE_KEY_LEN);
	e->n = f->n;
	memcpy(e->keys, f->keys, f->n * sizeof(f->keys[0]));
	memcpy(e->rows, rows, f->n * sizeof(rows[0]));
	e->at_ms = at_ms;
	pthread_mutex_unlock(&rcache_lock);
}

/* The rows of F's path: from the short-lived cache (CKEY non-NULL and caching on) or one query. */
static TC_RESULT path_rows(const struct api_admission *a, struct api_request *req, const uint8_t *ckey,
			   const struct path_facts *f, struct db_admission_cert *rows)
{
	struct db_conn *conn = NULL;
	bool cache = a->db_cache_ms > 0 && ckey != NULL;
	int64_t at = cache ? mono_ms() : 0; /* before the query: an entry is never fresher than its read */

	if (cache && rcache_get(ckey, f, a->db_cache_ms, rows))
		return tc_ok();
	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD(db_admission_certs(conn, f->keys, f->n, rows));
	if (cache)
		rcache_put(ckey, f, rows, at);
	return tc_ok();
}

/* Everything the database says about the validated path (one query, or the short-lived cache), leaf first. */
static TC_RESULT check_db(const struct api_admission *a, struct api_request *req, const uint8_t *ckey,
			  const struct path_facts *f, const uint8_t *expect_wih, struct verdict *v)
{
	struct db_admission_cert rows[DB_ADMISSION_PATH_MAX];
	const struct db_admission_cert *leaf = &rows[0];

	TC_GUARD(path_rows(a, req, ckey, f, rows));
	if (!leaf->found) {
		deny(v, API_ADM_UNKNOWN_CERT, "leaf: not issued by a CA of this deployment");
		return tc_ok();
	}
	v->certificate =
		json_pack("{s:o, s:s, s:o, s:o, s:I}", "serial", tc_json_hex(f->keys[0].serial, f->keys[0].serial_len),
			  "kind", leaf->kind, "tee", leaf->has_tee ? json_string(leaf->tee) : json_null(), "tcb_status",
			  leaf->has_tcb_status ? json_string(leaf->tcb_status) : json_null(), "not_after",
			  (json_int_t)leaf->not_after);
	TC_ENSURE(v->certificate != NULL, TC_ERR_NO_MEMORY, "certificate summary");
	v->not_after = leaf->not_after;
	if (!leaf->same)
		deny(v, API_ADM_CERT_MISMATCH,
		     "leaf: this deployment recorded a different certificate under its serial");
	if (leaf->revoked)
		deny(v, API_ADM_REVOKED, "leaf: revoked");
	check_extensions(f, leaf->log_seq, v);
	check_appraisal(a, "leaf", leaf, v);
	if (expect_wih && strcmp(leaf->kind, "workload") != 0)
		deny(v, API_ADM_NOT_WORKLOAD, "leaf: not a workload certificate");
	else if (expect_wih && (!leaf->has_workload_info_hash || memcmp(leaf->workload_info_hash, expect_wih, 32) != 0))
		deny(v, API_ADM_WORKLOAD_MISMATCH, "leaf: its workload info hash is not the expected one");
	for (size_t i = 1; i < f->n; i++) {
		const struct db_admission_cert *ca = &rows[i];
		char who[48];

		if (!ca->found)
			continue; /* a CA certificate the database does not hold (the configured root itself) */
		snprintf(who, sizeof(who), "CA certificate %zu", i);
		if (!ca->same)
			deny(v, API_ADM_CERT_MISMATCH,
			     "%s: this deployment recorded a different certificate under its serial", who);
		if (ca->revoked)
			deny(v, API_ADM_REVOKED, "%s: revoked", who);
		if (ca->has_tcb_status)
			check_appraisal(a, who, ca, v);
	}
	if (leaf->anchored) {
		v->anchored = json_pack("{s:I, s:o, s:o}", "tree_size", (json_int_t)leaf->tree_size, "tx_hash",
					tc_json_hex(leaf->tx_hash, 32), "block",
					leaf->block >= 0 ? json_integer(leaf->block) : json_null());
		TC_ENSURE(v->anchored != NULL, TC_ERR_NO_MEMORY, "anchored");
	} else if (a->require_anchored) {
		deny(v, API_ADM_NOT_ANCHORED, "leaf: its log entry %llu is not anchored yet and the policy requires it",
		     (unsigned long long)leaf->log_seq);
	}
	return tc_ok();
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
	body = json_pack("{s:s, s:O, s:O, s:O, s:O, s:s, s:s, s:o}", "decision", allow ? "allow" : "deny", "reasons",
			 v->reasons, "reason_codes", v->codes, "certificate",
			 v->certificate ? v->certificate : json_null(), "anchored",
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
	struct path_facts facts;
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
	v.codes = json_array();
	TC_ENSURE_GOTO(r, v.reasons != NULL && v.codes != NULL, out, TC_ERR_NO_MEMORY, "verdict");
	now = api_admission_now(a);
	keyed = chain_key(chain_pem, key);
	if (keyed && vcache_get(a->store, key, now, &sk, &path, &facts)) {
		valid = true;
	} else {
		TC_GUARD_GOTO(r, chain_parse(chain_pem, &sk), out);
		valid = chain_verify(a, sk, now, &path, &v);
		if (valid)
			TC_GUARD_GOTO(r, facts_compute(path, &facts), out);
		if (valid && keyed)
			vcache_put(a->store, key, sk, path, &facts);
	}
	if (valid)
		TC_GUARD_GOTO(r, check_db(a, req, keyed ? key : NULL, &facts, workload ? wih.data : NULL, &v), out);
	api_metrics_admission(&req->server->metrics, workload, v.first);
	r = reply(req, a, &v, now, nonce);
out:
	sk_X509_pop_free(sk, X509_free);
	sk_X509_pop_free(path, X509_free);
	json_decref(v.reasons);
	json_decref(v.codes);
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
