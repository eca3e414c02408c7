/*
 * api_internal.h — private to api/: the server and request structures shared by the server core, the
 * metrics and the endpoint files, the request-id rules, and the handlers the route table names.
 * Nothing outside api/ (except its unit tests) includes this file.
 */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

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

/* Admission decisions by reason code (API_ADM_OK for allow; a deny counts its first reason). */
enum api_adm_reason {
	API_ADM_OK,
	API_ADM_CHAIN_INVALID,       /* path validation to the trust root failed */
	API_ADM_UNKNOWN_CERT,        /* the leaf is not recorded in this deployment */
	API_ADM_CERT_MISMATCH,       /* another certificate is recorded under its serial */
	API_ADM_REVOKED,             /* the leaf or a CA certificate of the path */
	API_ADM_EXTENSION_INVALID,   /* a teecert extension is malformed */
	API_ADM_APPRAISAL_REJECTED,  /* the embedded appraisal was not accepted */
	API_ADM_LOG_REF_MISMATCH,    /* the .5 extension names another log entry */
	API_ADM_NO_APPRAISAL,        /* no recorded appraisal with a tcb_status */
	API_ADM_TCB_NOT_ACCEPTED,    /* the recorded tcb_status is not accepted by the current policy */
	API_ADM_NOT_WORKLOAD,        /* workload admission of a non-workload certificate */
	API_ADM_WORKLOAD_MISMATCH,   /* workload info hash differs */
	API_ADM_NOT_ANCHORED,        /* require_anchored and the entry is not anchored */
	API_ADM__COUNT
};
/* "ok", "chain_invalid", ... (the metric label and the verdict's reason_codes). */
const char *api_adm_reason_name(enum api_adm_reason r);

struct api_metrics {
	pthread_mutex_t lock;
	size_t n_routes;                  /* + 1 slot for unmatched requests */
	struct api_metrics_route *routes; /* n_routes + 1 */
	_Atomic unsigned long long admission[2][API_ADM__COUNT]; /* [peer, workload][reason] */
	_Atomic unsigned long long appraisals[TC_ERR__COUNT];    /* [TC_OK]: accepted, else by failure code */
};

TC_RESULT api_metrics_init(struct api_metrics *m, size_t n_routes);
void api_metrics_cleanup(struct api_metrics *m);
/* Count one finished request. ROUTE_INDEX is n_routes for unmatched requests. */
void api_metrics_observe(struct api_metrics *m, size_t route_index, const char *method, unsigned status,
			 double seconds);
/* Count one admission decision (REASON: API_ADM_OK or the first deny reason). */
void api_metrics_admission(struct api_metrics *m, bool workload, enum api_adm_reason reason);
/* Count one evidence appraisal (POST /v1/evidence/appraise). */
void api_metrics_appraisal(struct api_metrics *m, bool accepted, enum tc_code failure);

/* ---------------------------------------------------------------- per-client rate limit (api_ratelimit.c) */
/*
 * A token bucket per client in a fixed table (bounded memory whatever the number of clients): the key is
 * the verified TLS client certificate's SHA-256, else the peer IP address. Time is injected (monotonic
 * nanoseconds) so the bucket is testable without sleeping.
 */
#define API_RATELIMIT_SLOTS 4096 /* a power of two */
#define API_RATELIMIT_PROBE 8    /* slots looked at per key (open addressing window) */
#define API_RATELIMIT_KEY_LEN 33 /* kind byte + 32 (fingerprint, or the IP address zero-padded) */

struct api_ratelimit;
/* PER_S > 0 tokens per second, BURST >= 1 tokens at most. */
TC_RESULT api_ratelimit_new(double per_s, double burst, struct api_ratelimit **out);
void api_ratelimit_free(struct api_ratelimit **rl);
/* Take a token for KEY at NOW_NS. False when the bucket is empty: *RETRY_AFTER_S (>= 1) until one refills. */
bool api_ratelimit_take(struct api_ratelimit *rl, const uint8_t key[API_RATELIMIT_KEY_LEN], int64_t now_ns,
			unsigned *retry_after_s);
/* Clients evicted from the table so far (an idle client's slot given to a new one). */
unsigned long long api_ratelimit_evictions(struct api_ratelimit *rl);
/* Check REQ's client against the server's limit: a 429 failure (REQ->retry_after_s set) when over it. */
TC_RESULT api_ratelimit_check(struct api_request *req);

/* ---------------------------------------------------------------------- HTTPS and client identity */
/* api_tls.c (the only GnuTLS user), api_tls_config.c (api_tls_load), api_tls_client.c (the identity). */
struct x509_store_st;
struct stack_st_X509_CRL;
struct api_tls_crls; /* --client-crl: the files, the current CRL set, reloads (api_tls_config.c) */

#define API_TLS_PEER_CHAIN_MAX 8
#define API_TLS_FILE_MAX (256 * 1024)
#define API_TLS_RECHECK_S 60 /* a connection's verified client certificate is verified again after this */
#define API_TLS_WHY_MAX 160
#define API_TLS_CRL_FILE_MAX (4 * 1024 * 1024)
#define API_TLS_CRLS_MAX 64  /* CRLs across all --client-crl files */
#define API_TLS_CRL_POLL_S 1 /* the files' mtimes are looked at no more often than this */

struct api_tls {
	struct tc_buf cert_pem;          /* normalised PEM handed to MHD: certificate + chain */
	struct tc_buf key_pem;           /* PKCS#8 PEM (zeroed on free) */
	struct tc_buf client_ca_pem;     /* empty: no client certificates requested */
	struct x509_store_st *client_ca; /* NULL: none */
	struct x509_store_st *admin_ca;  /* NULL: none (partial chains allowed: an intermediate may be named) */
	uint8_t admin_fp[API_TLS_ADMIN_FPS_MAX][32];
	size_t n_admin_fp;
	struct api_tls_crls *crls; /* NULL: no --client-crl, revocation is not checked */
};

/*
 * --client-crl FILE...: load the PEM CRLs into TLS (which has a client CA store). Each CRL must be signed by
 * a certificate of --client-ca or --admin-client-ca (TC_ERR_INVALID_ARGUMENT otherwise); a CRL past its
 * nextUpdate is loaded (with a warning) and then fails every verification that needs it.
 */
TC_RESULT api_tls_crl_load(struct api_tls *tls, const char *const *files, size_t n);
/*
 * The current CRLs into *OUT (a new stack holding references: sk_X509_CRL_pop_free(*OUT, X509_CRL_free))
 * and their generation into *GEN (> 0; it changes with every reload). The files are looked at when NOW is
 * API_TLS_CRL_POLL_S past the last look and re-read when their mtime, size or inode changed; a new file that
 * does not load is logged (tc_log error) and the previous CRLs are kept. Thread-safe.
 */
TC_RESULT api_tls_crl_get(struct api_tls_crls *c, int64_t now, struct stack_st_X509_CRL **out, uint64_t *gen);
/* The generation api_tls_crl_get would hand out at NOW (the same look at the files; may reload). */
uint64_t api_tls_crl_generation(struct api_tls_crls *c, int64_t now);
/* Free the CRL state (api_tls_free does it for TLS->crls); sets *C to NULL. */
void api_tls_crl_free(struct api_tls_crls **c);

/* The peer's certificates as DER, leaf first, borrowed from the connection's TLS session. */
struct api_tls_peer {
	const uint8_t *der[API_TLS_PEER_CHAIN_MAX];
	size_t len[API_TLS_PEER_CHAIN_MAX];
	size_t n;
};
/* False when CONN is plain HTTP or the client sent no certificate (api_tls.c). */
bool api_tls_peer_cert_der(struct MHD_Connection *conn, struct api_tls_peer *out);

enum api_client_cert {
	API_CLIENT_NONE,       /* no certificate (or plain HTTP, or no --client-ca) */
	API_CLIENT_UNVERIFIED, /* presented, but OpenSSL did not verify it against --client-ca */
	API_CLIENT_VERIFIED,
};

/* Who the client is, from its TLS client certificate. */
struct api_client {
	enum api_client_cert cert;
	bool admin;     /* VERIFIED and an admin (--admin-cert-sha256 / --admin-client-ca) */
	uint8_t fp[32]; /* SHA-256 of the leaf DER (unless NONE) */
	char fp_hex[65];
	char why[API_TLS_WHY_MAX]; /* UNVERIFIED: OpenSSL's reason */
	int64_t checked_at;        /* when it was verified (per-connection cache) */
	uint64_t crl_gen;          /* the --client-crl set it was checked against (0: none) */
};

/* Fill REQ->client from the connection's client certificate, verified with OpenSSL (cached per connection). */
void api_client_identify(struct api_request *req);
/* The MHD options of TLS (OUT ends with MHD_OPTION_END; only that when TLS is NULL) for MHD_OPTION_ARRAY. */
#define API_TLS_MHD_OPTIONS_MAX 6
void api_tls_mhd_options(const struct api_tls *tls, struct MHD_OptionItem out[API_TLS_MHD_OPTIONS_MAX]);
/* MHD_OPTION_NOTIFY_CONNECTION: the per-connection cache of the verified client identity. */
void api_tls_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			 enum MHD_ConnectionNotificationCode toe);
/* Verify a client certificate chain (DER, leaf first) with OpenSSL at time NOW into OUT (pure: no MHD). */
void api_tls_client_check(const struct api_tls *tls, const struct api_tls_peer *peer, int64_t now,
			  struct api_client *out);
/* SHA-256 of the request's verified client certificate DER into OUT; false when none or unverified. */
bool api_request_client_fp(const struct api_request *req, uint8_t out[32]);

/* ----------------------------------------------------------------------------------------- the server */

struct api_server {
	struct api_config cfg;
	char host[API_HOST_MAX];
	struct MHD_Daemon *daemon;
	struct db_pool *pool;
	bool owns_pool;
	uint16_t port;
	struct api_metrics metrics;
	struct db_pool *read_pool; /* API_ROUTE_READ routes (cfg.read_dsn / read_pool), NULL: the primary */
	bool owns_read_pool;
	struct api_ratelimit *ratelimit; /* NULL: no per-client limit */

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
	struct db_pool *db_pool; /* the pool DB came from */
	unsigned retry_after_s;  /* a 429: the Retry-After header */
	unsigned status;
	bool replied;
	const char *allow; /* Allow header for a 405 reply */
	struct api_client client; /* the TLS client certificate (api_client_identify) */
};

/* ----------------------------------------------------------------------------------------- endpoints */

TC_RESULT api_healthz(struct api_request *req);
TC_RESULT api_readyz(struct api_request *req);
TC_RESULT api_metrics_handler(struct api_request *req);
TC_RESULT api_openapi(struct api_request *req);
TC_RESULT api_challenges_post(struct api_request *req);

/* A JSON body: flat objects of ASCII string/null members in one pass, anything else by tc_json_parse; the
 * result is the same as tc_json_parse's (api_json_flat.c, routes flagged API_ROUTE_FLAT_JSON). */
TC_RESULT api_json_parse_flat(const char *data, size_t len, size_t max, json_t **out);

/* ---------------------------------------------------------------- evidence bodies (api_evidence.c) */
/*
 * The evidence of a request body, shared by the endpoints that take raw evidence (POST /v1/evidence/appraise;
 * POST /v1/certificates):  "evidence": {"tee": "tdx", "quote"} | {"tee": "snp", "report", "vcek"|"vlek"}
 * (base64), "gpu_evidence": [{"spdm": base64, "cert_chain": PEM}, ...].
 */
#define API_EVIDENCE_QUOTE_MAX ((size_t)64 * 1024)
#define API_EVIDENCE_VCEK_MAX ((size_t)16 * 1024)
#define API_EVIDENCE_GPUS_MAX 8
#define API_EVIDENCE_SPDM_MAX ((size_t)16 * 1024)
#define API_EVIDENCE_CHAIN_MAX ((size_t)32 * 1024)
#define API_EVIDENCE_APPRAISE_MAX_BODY ((size_t)768 * 1024)

struct api_evidence {
	bool has_cpu;
	enum vf_tee tee;           /* of the CPU evidence */
	struct tc_buf cpu;         /* TDX quote or SNP report */
	struct tc_buf endorsement; /* SNP VCEK or VLEK */
	bool is_vlek;
	size_t n_gpus;
	struct tc_buf spdm[API_EVIDENCE_GPUS_MAX];
	const char *chain[API_EVIDENCE_GPUS_MAX]; /* PEM, borrowed from the body */
};

void api_evidence_init(struct api_evidence *e);
void api_evidence_cleanup(struct api_evidence *e);
/* EVIDENCE (an object, or NULL) and GPUS (an array, or NULL) of a body into E (initialised by the caller);
 * 400 codes naming the field on bad input. */
TC_RESULT api_evidence_parse(const json_t *evidence, const json_t *gpus, struct api_evidence *e);
/* E's items (borrowed) as the CPU input (tee tdx/snp) and the GPU input (tee nvidia), roles per vf.h. */
void api_evidence_inputs(const struct api_evidence *e, struct vf_input *cpu, struct vf_input *gpu);
/* Supplies an input's collateral and trust anchors before it is appraised. */
typedef struct tc_result (*api_evidence_fill_fn)(void *arg, struct vf_input *in);
/*
 * One appraisal of E at NOW: the CPU under CPU_POLICY, then (when accepted) the GPUs under GPU_POLICY,
 * merged into OUT (CPU then GPU devices, every collateral digest once, the evidence digest over every item
 * in order); the first rejection is OUT's verdict. GPUs alone: the NVIDIA appraisal. Errors only when no
 * appraisal could be made.
 */
TC_RESULT api_evidence_appraise(const struct api_evidence *e, const struct vf_policy *cpu_policy,
				const struct vf_policy *gpu_policy, int64_t now, api_evidence_fill_fn fill, void *arg,
				struct vf_appraisal *out);
TC_RESULT api_evidence_appraise_post(struct api_request *req);

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

/* teecert-verifier serve: the --trust-anchor ROLE=FILE anchors and --appraisal-policy NAME=FILE policies of
 * POST /v1/evidence/appraise, read once; apply points CFG at them (they must outlive the server). */
#define API_APPRAISE_POLICIES_MAX 8
struct api_appraise_inputs {
	struct api_ca_inputs anchors;
	struct api_ca_inputs *policies[API_APPRAISE_POLICIES_MAX];
	char names[API_APPRAISE_POLICIES_MAX][72];
	struct api_named_policy named[API_APPRAISE_POLICIES_MAX];
	size_t n_policies;
};
TC_RESULT api_appraise_inputs_new(const char *const *anchors, size_t n_anchors, const char *const *policies,
				  size_t n_policies, struct api_appraise_inputs **out);
void api_appraise_inputs_free(struct api_appraise_inputs **in);
void api_appraise_inputs_apply(const struct api_appraise_inputs *in, struct api_config *cfg);

#define API_CA_CHAIN_MAX 8 /* certificates from an issuing CA up to its root, itself included */
struct api_ca_job;

/* Batches that may run at once: while one holds the log lock (signing, writing, committing), the next does
 * its checks and nonces and then waits for the lock, so the database round trips and the fsync overlap
 * (only at low load: api_ca_batch.c batch_may_start). */
#ifndef API_CA_BATCH_LEADERS
#define API_CA_BATCH_LEADERS 2
#endif

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
	struct ca_issuer_facts *issuer_facts; /* owned; issuer.facts points at it */
	struct api_ca_inputs inputs;
	struct api_collateral *collateral; /* serve: the collateral service (borrowed); NULL: inputs.collateral */

	/* The issuing chain handed out with every certificate: this CA's certificate, then its parents up to
	 * and including the root (PEM each; from the cas rows at load, api_ca_load). */
	struct tc_buf chain_pem[API_CA_CHAIN_MAX];
	size_t chain_len;
	struct tc_buf chain_json; /* the same as a JSON array text, spliced into every reply */

	/* Group commit of issuances (api_ca_batch.c): queued jobs, whether a thread is running a batch. */
	pthread_mutex_t batch_lock;
	pthread_cond_t batch_done;
	struct api_ca_job *queue_head, *queue_tail;
	unsigned batch_leaders; /* batches running (at most API_CA_BATCH_LEADERS) */
	unsigned batches_unlocked; /* of those, the ones that have not taken the log lock yet */
	struct api_ca_job **running[API_CA_BATCH_LEADERS]; /* their jobs (NULL: free slot), for queue_take */
	size_t running_n[API_CA_BATCH_LEADERS];
	int64_t idem_purged_at; /* last purge of expired idempotency keys (Unix seconds) */
	/* The signatures of the running batch, shared out to the waiting request threads. */
	struct api_ca_job **sign_jobs;
	size_t sign_n, sign_next, sign_done;
	pthread_cond_t sign_cond;

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

/*
 * `teecert-ca serve` start-up (api_collateral_ca.c): attach the collateral service COLL to CA, import the
 * role-named folders DIRS into it (each item verified, with the CA's trust anchors), and keep the CA's trust
 * anchors and policy in the replay history (collateral_history, policies). *IMPORTED / *REJECTED get counts.
 */
TC_RESULT api_ca_collateral_start(struct api_ca *ca, struct api_collateral *coll, const char *const *dirs,
				  size_t n_dirs, size_t *imported, size_t *rejected);

/*
 * `teecert-ca init`: the collateral of the root's own appraisal from the collateral service, as serve gets it
 * (api_collateral_ca.c): a cache-only service on DSN with IN's trust anchors (kept in collateral_history),
 * the folders DIRS imported into the store (counts in *IMPORTED / *REJECTED), BASE (the policy without the
 * per-request report data) kept in policies, then INPUT gets IN's anchors and api_collateral_resolve's items
 * (bytes in HOLD). So `teecert replay` finds every item, anchor and the policy of a root certificate.
 */
TC_RESULT api_ca_self_collateral(const char *dsn, const struct api_ca_inputs *in, const struct vf_policy *base,
				 const char *const *dirs, size_t n_dirs, struct vf_input *input, struct api_coll_hold *hold,
				 size_t *imported, size_t *rejected);

/*
 * The appraisals row of a certificate (api_collateral_ca.c): the appraisal JSON, its digests and the evidence
 * as received — one item as is (evidence_type = its role), several (SNP report + VCEK, GPUs) as the CMW
 * collection of the certificate's evidence extension (evidence_type cmw) — so teecert replay has every item.
 */
TC_RESULT api_ca_appraisal_insert(struct db_conn *conn, const uint8_t *serial, size_t serial_len,
				  const char *appraisal_json, const struct vf_appraisal *a, const struct vf_item *evidence,
				  size_t n_evidence);

/*
 * The collateral service options shared by `teecert-ca serve` and `teecert-verifier serve`
 * (api_collateral_cli.c, one table): --intel-sgx-base, --intel-tdx-base, --intel-root-crl, --intel-update,
 * --amd-kds, --nvidia-rim, --nvidia-ocsp (vendor base URLs), --snp-product and --collateral-offline (cache only).
 */
struct api_coll_cli {
	const char *intel_sgx_base, *intel_tdx_base, *intel_root_crl, *intel_update;
	const char *amd_kds, *nvidia_rim, *nvidia_ocsp;
	const char *snp_product; /* --snp-product Milan|Genoa|Turin: for SNP reports that name no product */
	bool offline;
};
/* ARGV[*I] is a collateral option: consume it (and its value) and return true; *MISSING when the value is
 * absent. */
bool api_coll_cli_take(int argc, char **argv, int *i, struct api_coll_cli *o, bool *missing);
void api_coll_cli_usage(FILE *f);
/* The service on DSN with O's sources and ANCHORS (borrowed) as extra trust anchors; its refresher runs
 * unless offline. */
TC_RESULT api_coll_cli_open(const struct api_coll_cli *o, const char *dsn, const struct vf_item *anchors,
			    size_t n_anchors, struct api_collateral **out);
/* `serve` of either service: the collateral service on DSN (trust anchors: CA's, else the ANCHOR_ARGS
 * ROLE=FILE files), the folders DIRS imported into it; for a CA also api_ca_collateral_start. Prints what
 * failed; returns an exit code. Free with api_coll_serve_free after the server stopped. */
struct api_coll_serve;
int api_coll_serve_open(const char *prog, const struct api_coll_cli *o, const char *dsn, struct api_ca *ca,
			const char *const *dirs, size_t n_dirs, const char *const *anchor_args, size_t n_anchor_args,
			struct api_coll_serve **out);
struct api_collateral *api_coll_serve_service(struct api_coll_serve *s);
void api_coll_serve_free(struct api_coll_serve **s);

/* `init` / `enroll`: connect to DSN (*OUT, also on failure when opened), check the schema is current and that
 * no CA is named NAME yet (db_conflict otherwise). */
TC_RESULT api_ca_db_open_new(const char *dsn, const char *name, struct db_conn **out);
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

/*
 * api_ca_record in steps, for the group commit: PREPARE (no database: the appraisal JSON, its digest, the
 * SAN and hardware-identity columns), SIGN with the log sequence number the certificate names, ENTRY (the
 * log entry of a signed certificate), ROWS (cas row of a new CA, certificates and appraisals rows; the log
 * entry is appended by the caller first).
 */
struct api_ca_prepared {
	json_t *appraisal_json; /* owned */
	uint8_t appraisal_digest[32];
	struct tc_buf appraisal_text; /* NUL-terminated JSON for the appraisals row */
	struct tc_buf sans;           /* NUL-terminated JSON array */
	char hwid[DB_CA_HWID_MAX];
};
void api_ca_prepared_init(struct api_ca_prepared *p);
void api_ca_prepared_cleanup(struct api_ca_prepared *p);
TC_RESULT api_ca_record_prepare(const struct api_ca_record *rec, struct api_ca_prepared *p);
TC_RESULT api_ca_record_sign(const struct api_ca_record *rec, uint64_t log_seq, struct ca_issued *out);
void api_ca_record_entry(const struct api_ca_record *rec, const struct api_ca_prepared *p,
			 const struct ca_issued *issued, int64_t now, struct db_log_entry *e);
TC_RESULT api_ca_record_rows(struct db_conn *conn, const struct api_ca_record *rec, const struct api_ca_prepared *p,
			     struct api_ca_recorded *out);
/*
 * ROWS of N jobs: exactly api_ca_record_rows(CONN, RECS[i], PREPS[i], OUTS[i]) for i = 0 .. N - 1 in order (each
 * OUTS[i]->issued and ->log_seq set by the caller; OUTS[i]->ca_id written), stopping at the first failure. Each
 * run of consecutive jobs in the common case (an appraisal, one evidence item, no new CA) is written with one
 * statement (db_cert_insert_appraised_batch); the others, and a run of one, take the one-job path. A failure
 * leaves the transaction failed, as the one-job path does (the caller rolls back; the ca_id of the jobs of the
 * failed run may have been written).
 */
TC_RESULT api_ca_record_rows_batch(struct db_conn *conn, const struct api_ca_record *const *recs,
				   const struct api_ca_prepared *const *preps, struct api_ca_recorded *const *outs,
				   size_t n);

/* ------------------------------------------------------------ group commit of issuances (api_ca_batch.c) */
/*
 * POST /v1/certificates appraises in the request's thread, then queues an issuance job here. A waiting
 * thread (up to API_CA_BATCH_LEADERS at once) runs the queued jobs as one READ COMMITTED transaction on its own connection: per job the
 * Idempotency-Key lookup, the CVM certificate's status and the nonce; then ONE lock of log_state, the
 * signatures (each certificate names its log entry), the log entries, the rows, ONE commit (one fsync).
 * Each job is answered only after that commit. A job that fails its checks is left out; a failure after the
 * writes began rolls the batch back and its jobs run again one transaction each, so one bad job cannot fail
 * the others.
 */
#define API_CA_BATCH_MAX 64
#define API_CA_IDEM_TTL_S ((int64_t)24 * 3600)  /* an Idempotency-Key is honoured this long after first use */
#define API_CA_IDEM_PURGE_EVERY_S ((int64_t)600) /* expired keys are deleted at most this often */
#define API_CA_REPLY_MAX ((size_t)4 * 1024 * 1024)

struct api_ca_job {
	/* in (borrowed until api_ca_issue returns) */
	struct api_ca_record spec;
	const uint8_t *nonce;          /* VF_BINDING_NONCE_LEN: the challenge consumed with the issuance */
	const char *idem_key;          /* NULL: none */
	const uint8_t *request_hash;   /* 32 bytes: SHA-256 of the body (with IDEM_KEY) */
	const uint8_t *parent_serial;  /* workload: the CVM certificate (recorded by this CA, unrevoked) */
	size_t parent_serial_len;
	const uint8_t *parent_sha256;
	bool subroot_needs_root;       /* subroot: only a root CA issues it */
	/* out */
	bool replayed;       /* the stored response of IDEM_KEY */
	int status;          /* HTTP status of BODY */
	struct tc_buf body;  /* the reply body (JSON text) */
	char serial_hex[2 * DB_CA_SERIAL_MAX + 1]; /* of the certificate (also when replayed) */
	/* private (api_ca_batch.c) */
	struct api_ca_prepared prep;
	struct api_ca_recorded rec;
	bool skip, done;
	struct tc_result result, sign_result;
	char detail[TC_DETAIL_MAX];
	struct api_ca_job *next;
};

void api_ca_job_init(struct api_ca_job *job);
void api_ca_job_cleanup(struct api_ca_job *job);
/* Issue JOB through the group commit (CONN: this request's connection, used when it runs a batch). */
TC_RESULT api_ca_issue(struct api_ca *ca, struct db_conn *conn, struct api_ca_job *job);
/* Set up and tear down the CA's queue (api_ca_load / api_ca_free). */
void api_ca_batch_init(struct api_ca *ca);
void api_ca_batch_cleanup(struct api_ca *ca);

/*
 * Admin check of API_AUTH_ADMIN routes: a verified admin client certificate or the bearer token (constant
 * time). No credentials (or an unverified certificate) 401; a wrong token or a verified non-admin
 * certificate 403. Logs the method that authenticated.
 */
TC_RESULT api_auth_admin(struct api_request *req);
enum api_admin_method { API_ADMIN_NONE, API_ADMIN_CLIENT_CERT, API_ADMIN_BEARER };
/* The decision alone (pure): CLIENT (may be NULL), the configured TOKEN (NULL: none), the Authorization
 * header value (NULL: absent), CERT_ADMIN_CONFIGURED (the server names admin certificates). */
TC_RESULT api_auth_admin_decide(const struct api_client *client, bool cert_admin_configured, const uint8_t *token,
				size_t token_len, const char *authorization, enum api_admin_method *method);
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
#define API_ADMISSION_SIGN_CTX_MAX 32
struct evp_pkey_ctx_st;
struct evp_md_st;
struct api_admission {
	struct x509_store_st *store; /* the trust root(s) */
	struct vf_policy policy;
	bool require_anchored;
	struct evp_pkey_st *key; /* verdict signing key (P-256), used only by api_admission_sign */
	char kid[API_ADMISSION_KID_MAX]; /* RFC 7638 thumbprint, base64url */
	json_t *jwk;                     /* the public key (RFC 7517) */
	int64_t ttl_s, fixed_now;
	unsigned db_cache_ms; /* api_admission_options.db_cache_ms */
	/* Signing contexts initialised once and reused (EVP_PKEY_sign_init per verdict cost ~6% of an
	 * admission); at most API_ADMISSION_SIGN_CTX_MAX are kept. */
	pthread_mutex_t sign_lock;
	struct evp_pkey_ctx_st *sign_ctx[API_ADMISSION_SIGN_CTX_MAX];
	size_t n_sign_ctx;
	struct evp_md_st *sha256; /* fetched once */
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
