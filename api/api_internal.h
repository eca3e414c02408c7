/*
 * api_internal.h — private to api/: the server and request structures shared by the server core, the
 * metrics and the endpoint files, the request-id rules, and the handlers the route table names.
 * Nothing outside api/ (except its unit tests) includes this file.
 */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "api.h"

/* ----------------------------------------------------------------------------------------- request id */

#define API_REQUEST_ID_MAX 64
#define API_REQUEST_ID_RANDOM_BYTES 16

/* True when ID is 1..64 characters of [A-Za-z0-9._-] (the X-Request-Id we accept from clients). */
bool api_request_id_valid(const char *id);
/* ID when valid, else a fresh id of 16 random bytes in hex, into OUT (API_REQUEST_ID_MAX + 1 bytes). */
TC_RESULT api_request_id_pick(const char *id, char out[API_REQUEST_ID_MAX + 1]);

/* -------------------------------------------------------------------------------------------- metrics */

#define API_METRICS_BUCKETS 14 /* 13 bounds + Inf */
#define API_METRICS_STATUS_SLOTS 24
#define API_METRICS_UNMATCHED "unmatched"

struct api_metrics_status {
	const char *method; /* static string */
	unsigned status;
	unsigned long long count;
};

struct api_metrics_route {
	unsigned long long buckets[API_METRICS_BUCKETS]; /* not cumulative; summed when rendered */
	unsigned long long count;
	double sum_s;
	struct api_metrics_status statuses[API_METRICS_STATUS_SLOTS];
	unsigned long long status_overflow;
};

struct api_metrics {
	pthread_mutex_t lock;
	size_t n_routes;                  /* + 1 slot for unmatched requests */
	struct api_metrics_route *routes; /* n_routes + 1 */
};

TC_RESULT api_metrics_init(struct api_metrics *m, size_t n_routes);
void api_metrics_cleanup(struct api_metrics *m);
/* Count one finished request. ROUTE_INDEX is n_routes for unmatched requests. */
void api_metrics_observe(struct api_metrics *m, size_t route_index, const char *method, unsigned status,
			 double seconds);

/* ----------------------------------------------------------------------------------------- the server */

struct api_server {
	struct api_config cfg;
	char host[API_HOST_MAX];
	struct MHD_Daemon *daemon;
	struct db_pool *pool;
	bool owns_pool;
	uint16_t port;
	struct api_metrics metrics;

	atomic_bool stopping;
	atomic_bool stop_requested;
	pthread_mutex_t inflight_lock;
	pthread_cond_t inflight_cond;
	unsigned inflight;
	bool stopped;
};

#define API_LOG_PATH_MAX 256

enum api_request_state {
	API_REQ_NEW,     /* headers received, not yet routed */
	API_REQ_BODY,    /* receiving the body */
	API_REQ_DISCARD, /* the body passed its limit: reading and dropping the rest, 413 at the end */
	API_REQ_DONE,    /* a reply is queued */
};

struct api_request {
	struct api_server *server;
	struct MHD_Connection *conn;
	struct timespec start;
	enum api_request_state state;
	char id[API_REQUEST_ID_MAX + 1];
	const char *method;
	char path[API_LOG_PATH_MAX]; /* printable copy for the access log */
	struct api_match match;
	bool matched;
	struct tc_buf body;
	size_t discarded;
	json_t *json;
	struct db_conn *db;
	unsigned status;
	bool replied;
	const char *allow; /* Allow header for a 405 reply */
};

/* ----------------------------------------------------------------------------------------- endpoints */

TC_RESULT api_healthz(struct api_request *req);
TC_RESULT api_readyz(struct api_request *req);
TC_RESULT api_metrics_handler(struct api_request *req);
TC_RESULT api_openapi(struct api_request *req);
TC_RESULT api_challenges_post(struct api_request *req);

/* Transparency log endpoints (api_log_*.c) and the query helpers they share (api_log_query.c). */
struct chain_merkle_proof;

struct api_log_query {
	const char *name; /* the parameter's name */
	bool present;     /* set by api_log_query_parse */
	uint64_t value;
};

/* Decimal 0 .. 2^63 - 1 without sign or leading zeros; NAME goes into the 400 detail. */
TC_RESULT api_log_u64(const char *name, const char *s, uint64_t *out);
/* Read the query string into Q (N names); unknown or repeated parameters and bad numbers are 400s. */
TC_RESULT api_log_query_parse(struct api_request *req, struct api_log_query *q, size_t n);
/* Tree size of the latest checkpoint (0 when there is none). */
TC_RESULT api_log_latest_size(struct db_conn *conn, uint64_t *size);
/* A proof as a JSON array of hex hashes (new reference). */
TC_RESULT api_log_proof_json(const struct chain_merkle_proof *p, json_t **out);
TC_RESULT api_log_checkpoint_get(struct api_request *req);
/* GET /v1/anchors (api_anchors.c). */
TC_RESULT api_anchors_get(struct api_request *req);
TC_RESULT api_log_entry_get(struct api_request *req);
TC_RESULT api_log_inclusion_get(struct api_request *req);
TC_RESULT api_log_consistency_get(struct api_request *req);

/* ------------------------------------------------------------------------------------------ CA service */

/*
 * The issuing CA of `teecert-ca serve` and `teecert-ca init` (api_ca_*.c, docs/ca-service.md): its signer
 * (the only path to the key), certificate, appraisal inputs (collateral folder, trust anchors, policy) and
 * the cached CRL. Read-only after api_ca_load except the CRL cache (under crl_lock).
 */
#include "ca.h"

#define API_CA_ITEMS_MAX VF_MAX_ITEMS
#define API_CA_ROLE_MAX 48
#define API_CA_TOKEN_MAX 1024
#define API_CA_TOKEN_MIN 16
#define API_CA_CRL_VALIDITY_S (24 * 3600)
#define API_CA_OCSP_VALIDITY_S 3600
#define API_CA_CVM_VALIDITY_S (7 * 24 * 3600)
#define API_CA_LOG_ORIGIN_DEFAULT "teecert"

/*
 * `--name VALUE` options of the CA subcommands (init, enroll): each row stores its value at OFFSET in the
 * options struct BASE; REPEAT (NULL: none) names one repeatable option collected into REP[0..REP_MAX).
 * --help/-h sets *HELP. Returns API_CLI_EXIT_OK or API_CLI_EXIT_USAGE (message printed as "PROG CMD: ...").
 */
struct api_cli_opt {
	const char *name;
	size_t offset;
};
int api_cli_parse_opts(const char *prog, const char *cmd, int argc, char **argv, const struct api_cli_opt *opts,
		       size_t n_opts, void *base, const char *repeat, const char **rep, size_t rep_max, size_t *n_rep,
		       bool *help);

/* The CA's checkpoint thread (api_checkpointer.c): every N entries or T seconds, signed with the log key. */
#define API_CHECKPOINT_EVERY_N_DEFAULT 256
#define API_CHECKPOINT_EVERY_S_DEFAULT 60
struct api_checkpointer;
TC_RESULT api_checkpointer_start(const char *dsn, const char *key_file, const char *name, unsigned every_n,
				 unsigned every_s, struct api_checkpointer **out);
void api_checkpointer_stop(struct api_checkpointer **c);

struct api_ca_inputs {
	struct tc_buf files[2 * API_CA_ITEMS_MAX];
	char roles[2 * API_CA_ITEMS_MAX][API_CA_ROLE_MAX];
	size_t n_files;
	struct vf_item collateral[API_CA_ITEMS_MAX];
	size_t n_collateral;
	struct vf_item anchors[API_CA_ITEMS_MAX];
	size_t n_anchors;
	struct vf_policy policy;
};

void api_ca_inputs_init(struct api_ca_inputs *in);
void api_ca_inputs_cleanup(struct api_ca_inputs *in);
/* Role-named files of DIR (tcb_info.json -> tcb_info) as collateral; ROLE=FILE as a trust anchor; a JSON
 * policy file (vf_policy_from_json). */
TC_RESULT api_ca_inputs_collateral_dir(struct api_ca_inputs *in, const char *dir);
TC_RESULT api_ca_inputs_anchor(struct api_ca_inputs *in, const char *role_eq_file);
TC_RESULT api_ca_inputs_policy_file(struct api_ca_inputs *in, const char *path);

struct api_ca {
	struct ca_signer *signer; /* owned */
	struct tc_buf cert_der;
	struct tc_buf cert_pem;
	struct db_ca row; /* cas row (id, name, role, network) */
	enum ca_network network;
	char subject[DB_LOG_ISSUER_MAX + 1]; /* RFC 4514 subject of the CA certificate (log entries' issuer) */
	char crl_url[CA_URL_MAX];
	char ocsp_url[CA_URL_MAX];
	char log_origin[CA_LOG_ID_MAX + 1];
	struct ca_issuer issuer;
	struct api_ca_inputs inputs;

	pthread_mutex_t crl_lock;
	uint64_t crl_generation; /* bumped by every revocation of this process */
	uint64_t crl_built_generation;
	uint64_t crl_number;
	int64_t crl_next_update;
	struct tc_buf crl; /* DER; empty until first built */
};

/* Options of api_ca_load (teecert-ca serve). */
struct api_ca_options {
	const char *name;            /* NULL: the CA named in the certificate's cas row (by --ca-name) */
	const char *key_file;
	const char *passphrase_file; /* NULL: $TEECERT_CA_PASSPHRASE */
	const char *cert_file;
	const char *public_url; /* base URL: CRL DP {url}/v1/crl/{name}, OCSP {url}/v1/ocsp */
	const char *log_origin;
};

/* Open the key, read the certificate (it must hold the key), look the CA up in the database. INPUTS are
 * moved into the CA (left empty). */
TC_RESULT api_ca_load(const struct api_ca_options *o, struct db_conn *conn, struct api_ca_inputs *inputs,
		      struct api_ca **out);
void api_ca_free(struct api_ca **ca);
/*
 * Collateral for one appraisal: the items IN's evidence needs (vendor collateral by role, plus the CA's trust
 * anchors) placed into IN->collateral / IN->anchors. Bytes are borrowed from HOLD (or from the CA) and stay
 * valid until api_coll_hold_cleanup(HOLD) (api.h).
 */
TC_RESULT api_ca_collateral_fill(const struct api_ca *ca, struct vf_input *in, struct api_coll_hold *hold);

/* A new revocation happened: the next CRL request rebuilds it. */
void api_ca_crl_invalidate(struct api_ca *ca);
/* The CA's current CRL (DER) appended to OUT, rebuilt from the database when stale. */
TC_RESULT api_ca_crl_get(struct api_ca *ca, struct db_conn *conn, int64_t now, struct tc_buf *out);

/* RFC 4514 subject of a DER certificate into OUT. */
TC_RESULT api_ca_cert_subject(const uint8_t *der, size_t len, char *out, size_t out_size);
/* SHA-256 helper. */
void api_ca_sha256(const void *data, size_t len, uint8_t out[32]);

/*
 * Issue and record one certificate inside the caller's transaction (the log sequence number the
 * certificate's .5 extension names is the one db_log_append assigns): ca_issue, log entry, certificates row,
 * appraisals row. CA_ID is the cas row the certificate belongs to (0 for a root being created: filled by
 * INSERT_CA). OUT is initialised here.
 */
struct api_ca_record {
	const struct ca_issuer *issuer;
	const char *issuer_subject; /* log entry issuer; NULL: the CSR's own subject (root) */
	int64_t ca_id;
	const struct db_ca *new_ca; /* root creation: insert this cas row with the issued certificate first */
	const struct ca_csr *csr;
	enum ca_role role;
	int64_t validity_s; /* 0: the profile default */
	const struct vf_appraisal *appraisal;
	const struct vf_item *evidence;
	size_t n_evidence;
	int64_t now;
	/* kind workload only: the bound workload info hash and CVM certificate (DER, its serial) */
	const uint8_t *workload_info_hash;
	const uint8_t *cvm_cert_der;
	size_t cvm_cert_len;
	const uint8_t *parent_cvm_serial;
	size_t parent_cvm_serial_len;
};

struct api_ca_recorded {
	struct ca_issued issued;
	uint64_t log_seq;
	int64_t ca_id;          /* the cas row of the certificate (new_ca's id when one was inserted) */
	json_t *appraisal_json; /* owned */
};

TC_RESULT api_ca_record(struct db_conn *conn, const struct api_ca_record *rec, struct api_ca_recorded *out);
void api_ca_recorded_cleanup(struct api_ca_recorded *r);

/* Admin bearer-token check for API_AUTH_ADMIN routes: missing credentials 401, wrong ones 403. */
TC_RESULT api_auth_admin(struct api_request *req);
/* Read a token file (trailing newline stripped, API_CA_TOKEN_MIN..MAX bytes) into OUT. */
TC_RESULT api_auth_token_load(const char *path, struct tc_buf *out);

TC_RESULT api_certificates_post(struct api_request *req);
TC_RESULT api_revoke_post(struct api_request *req);
TC_RESULT api_crl_get(struct api_request *req);
TC_RESULT api_ocsp_post(struct api_request *req);
TC_RESULT api_ocsp_get(struct api_request *req);

/* ------------------------------------------------------------------ certificate history (verifier) */
/* GET /v1/certificates[/{serial}] and GET /v1/cas (api_certs_*.c, api_cas.c; docs/admission.md). */
#define API_CERTS_LIMIT_DEFAULT 100
#define API_CERTS_LIMIT_MAX 1000
/* PEM ("CERTIFICATE") of DER appended to OUT as text. */
TC_RESULT api_certs_pem(const uint8_t *der, size_t len, struct tc_buf *out);
/* A certificate row as JSON (new reference); FULL adds the PEM, appraisal object and decoded extensions. */
TC_RESULT api_certs_row_json(const struct db_certs_row *row, bool full, json_t **out);
/* Lowercase hex serial 1..20 bytes, no leading zero byte needed: NAME goes into the 400 detail. */
TC_RESULT api_certs_serial_parse(const char *name, const char *s, uint8_t out[DB_CA_SERIAL_MAX], size_t *len);
TC_RESULT api_certs_get(struct api_request *req);
TC_RESULT api_certs_list(struct api_request *req);
TC_RESULT api_cas_get(struct api_request *req);

/* ------------------------------------------------------------------------------ admission (verifier) */
/* api_admission*.c (docs/admission.md). Read-only after api_admission_load. */
struct x509_store_st;
struct evp_pkey_st;
#define API_ADMISSION_KID_MAX 64
#define API_ADMISSION_MAX_BODY (128 * 1024)
#define API_ADMISSION_CHAIN_MAX 8
struct api_admission {
	struct x509_store_st *store; /* the trust root(s) */
	struct vf_policy policy;
	bool require_anchored;
	struct evp_pkey_st *key; /* verdict signing key (P-256), used only by api_admission_sign */
	char kid[API_ADMISSION_KID_MAX]; /* RFC 7638 thumbprint, base64url */
	json_t *jwk;                     /* the public key (RFC 7517) */
	int64_t ttl_s, fixed_now;
};
/* Verification time: the fixed test time or the clock. */
int64_t api_admission_now(const struct api_admission *a);
/* Compact JWS ES256 (RFC 7515, RFC 7518 §3.4) of the canonical JSON of PAYLOAD, appended to OUT. */
TC_RESULT api_admission_sign(const struct api_admission *a, const json_t *payload, struct tc_buf *out);
/* The admission decision of a request body {chain, nonce?[, workload_info_hash]} (WORKLOAD: the latter is
 * required and must be the leaf's recorded one), replied as the signed verdict. */
TC_RESULT api_admission_decide(struct api_request *req, bool workload);
TC_RESULT api_admission_peer_post(struct api_request *req);
TC_RESULT api_admission_workload_post(struct api_request *req);
TC_RESULT api_admission_key_get(struct api_request *req);

#endif /* API_INTERNAL_H */
