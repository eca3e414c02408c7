/*
 * api.h — the public door of api/ (libtc_api): the libmicrohttpd server of teecert-ca and teecert-verifier,
 * its static route table, the per-request context handlers see, and the reply helpers.
 *
 * A handler is one file per endpoint (STYLE.md point 8): it reads path parameters and the parsed JSON body
 * from the request, does its work, and either replies (api_reply_*) and returns tc_ok(), or returns a
 * failure, which the server turns into the one error shape {code, hint, detail, request_id} with the HTTP
 * status of the code's row in common/tc_errors.def.
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chain.h"
#include "db.h"
#include "tc.h"
#include "vf.h"

/* --------------------------------------------------------------------------------------------- routes */

#define API_ROUTE_MAX_PARAMS 8
#define API_PATH_MAX 1024
/* "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" fits with room to spare. */
#define API_ALLOW_MAX 128

struct api_request;

/* Reply with api_reply_* and return tc_ok(), or return a failure (the server replies with the error). */
typedef struct tc_result (*api_handler_fn)(struct api_request *req);

enum api_auth {
	API_AUTH_PUBLIC, /* anyone */
	API_AUTH_ADMIN,  /* operator credentials (enforced by the auth layer; refused until it exists) */
};

enum api_body {
	API_BODY_NONE, /* no body accepted (max_body is ignored; a body is refused with body_too_large) */
	API_BODY_JSON, /* optional application/json body of at most max_body bytes, parsed before the handler */
	API_BODY_OCSP, /* an application/ocsp-request body of at most max_body bytes, handed over unparsed */
};

/* One row of a service's route table. PATTERN segments written {name} match one non-empty segment. */
struct api_route {
	const char *method; /* "GET", "POST", ... (case-sensitive, RFC 9110 §9.1); GET routes also answer HEAD */
	const char *pattern;
	api_handler_fn handler;
	enum api_body body;
	size_t max_body; /* bytes, for API_BODY_JSON */
	enum api_auth auth;
	const char *summary; /* one line, the same as in api/openapi.json */
	unsigned flags;      /* API_ROUTE_* (0: the primary pool, rate-limited) */
};

/* Route flags. READ: the handler only reads, so it uses the read pool when --read-db is set (replica lag is
 * acceptable there); UNLIMITED: exempt from the per-client rate limit (health, readiness, metrics). */
#define API_ROUTE_READ (1u << 0)
#define API_ROUTE_UNLIMITED (1u << 1)
/* FLAT_JSON: the body is usually one flat object of strings (a ~15 KB PEM chain): parsed by the fast scanner
 * of api_json_flat.c, which falls back to tc_json_parse for anything else (same result either way). */
#define API_ROUTE_FLAT_JSON (1u << 2)
/* TAIL: the pattern's last {name} takes the rest of the path, '/' included (GET /v1/ocsp/{request}: RFC 6960
 * appendix A.1 puts the base64 request, which may contain '/', in the path). */
#define API_ROUTE_TAIL (1u << 3)

struct api_param {
	const char *name; /* points into the route's pattern (not NUL-terminated at the brace): use name_len */
	size_t name_len;
	const char *value; /* NUL-terminated, inside the match's storage */
};

/* Result of matching a request line against a route table. */
struct api_match {
	const struct api_route *route; /* NULL unless a route matched */
	size_t route_index;
	struct api_param params[API_ROUTE_MAX_PARAMS];
	size_t n_params;
	char allow[API_ALLOW_MAX]; /* for 405: the methods of the path, "GET, HEAD, POST" */
	char storage[API_PATH_MAX];
};

/*
 * Match METHOD and PATH (no query string) against ROUTES. On success OUT has the route and its parameters.
 * Fails with TC_ERR_NOT_FOUND when no pattern matches the path (also for a trailing slash, an empty segment
 * or a path longer than API_PATH_MAX), TC_ERR_METHOD_NOT_ALLOWED when patterns match but none has the
 * method; OUT->allow then lists the methods those patterns accept (RFC 9110 §15.5.6).
 */
TC_RESULT api_route_match(const struct api_route *routes, size_t n_routes, const char *method, const char *path,
			  struct api_match *out);
/* Value of path parameter NAME of a match, NULL when the pattern has none by that name. */
const char *api_match_param(const struct api_match *m, const char *name);

/* The route table of a service ("ca" or "verifier"); NULL for an unknown service. */
const struct api_route *api_routes_for_service(const char *service, size_t *n_routes);

/* --------------------------------------------------------------------------------------------- server */

#define API_DEFAULT_POOL_SIZE 8
#define API_DEFAULT_THREADS 8
#define API_DEFAULT_MAX_CONNECTIONS 1024
#define API_DEFAULT_CHALLENGE_LIFETIME_S 300
#define API_DEFAULT_SHUTDOWN_GRACE_MS 10000
#define API_DEFAULT_DB_ACQUIRE_MS 5000
#define API_HOST_MAX 256

struct api_config {
	const char *service;     /* "ca" | "verifier": metrics label and default route table */
	const char *listen_host; /* numeric address or host name; "0.0.0.0", "::", "127.0.0.1", ... */
	uint16_t port;           /* 0: an ephemeral port (read it back with api_server_port) */
	const char *dsn;         /* used to create a pool when POOL is NULL */
	struct db_pool *pool;    /* borrowed when non-NULL */
	unsigned pool_size;
	unsigned threads;           /* MHD worker threads (internal thread pool); unused with THREAD_PER_CONNECTION */
	/* A thread per connection instead of the pool: what both services' `serve` use (the verifier unless
	 * --threads N; api_server.c "Threading model" says why). api_config_init leaves it false (a pool of
	 * `threads`) for in-process users such as tests. */
	bool thread_per_connection;
	unsigned max_connections;
	const struct api_route *routes; /* NULL: api_routes_for_service(service) */
	size_t n_routes;
	int challenge_lifetime_s;
	unsigned shutdown_grace_ms; /* how long api_server_stop waits for in-flight requests */
	unsigned db_acquire_ms;     /* how long a handler waits for a pooled connection */
	bool handle_signals;        /* block SIGTERM/SIGINT in all threads; api_server_wait returns on them */
	struct api_ca *ca;          /* teecert-ca serve: the issuing CA (api_ca_*.c), NULL otherwise */
	const uint8_t *admin_token; /* bearer token of API_AUTH_ADMIN routes (NULL: admin routes answer 401) */
	size_t admin_token_len;
	struct api_admission *admission; /* teecert-verifier: admission inputs (api_admission_load), NULL: none */
	struct api_collateral *collateral; /* vendor collateral service (borrowed): POST /v1/evidence/appraise */
	/* POST /v1/evidence/appraise (docs/admission.md): the policies clients may name (borrowed; "default"
	 * when not listed: the admission policy, else the built-in defaults) and the trust anchors (borrowed;
	 * none: the pinned vendor roots). */
	const struct api_named_policy *policies;
	size_t n_policies;
	const struct vf_item *anchors;
	size_t n_anchors;
	const char *read_dsn;      /* read-only routes (API_ROUTE_READ) use a second pool on this DSN; NULL: none */
	struct db_pool *read_pool; /* borrowed when non-NULL (instead of read_dsn) */
	double rate_per_s;         /* per-client token bucket (api_ratelimit.c): requests per second, 0: off */
	double rate_burst;         /* bucket size (0 with a rate: max(1, rate_per_s)) */
	const struct api_tls *tls;         /* HTTPS and client certificates (borrowed, api_tls_load); NULL: HTTP */
};

/*
 * HTTPS (api_tls*.c, docs/ca-service.md "Admin authentication"): the server certificate and key, and
 * optionally the CAs whose client certificates are requested. A client certificate is trusted only after
 * OpenSSL verified it against CLIENT_CA_FILE (purpose sslclient, now); a verified one is an admin when its
 * SHA-256 (over the DER) is one of ADMIN_SHA256 or it also chains to ADMIN_CLIENT_CA_FILE.
 */
#define API_TLS_ADMIN_FPS_MAX 16
#define API_TLS_CRL_FILES_MAX 8 /* --client-crl options */
struct api_tls_options {
	const char *cert_file;            /* PEM: server certificate first, then its chain */
	const char *key_file;             /* PEM: its private key (P-256, P-384 or RSA >= 2048) */
	const char *key_passphrase_file;  /* the passphrase of an encrypted key_file (first line); NULL: none */
	const char *client_ca_file;       /* PEM bundle; NULL: no client certificates requested */
	const char *admin_client_ca_file; /* PEM: verified client certificates chaining to these are admins */
	const char *admin_sha256[API_TLS_ADMIN_FPS_MAX]; /* hex SHA-256 of admin certificates (colons allowed) */
	size_t n_admin_sha256;
	const char *client_crl[API_TLS_CRL_FILES_MAX]; /* PEM CRLs of the client CAs (api_tls_config.c) */
	size_t n_client_crl;
};
struct api_tls;
/* Read and check the files (key matches certificate, key type); TC_ERR_INVALID_ARGUMENT on bad input. */
TC_RESULT api_tls_load(const struct api_tls_options *o, struct api_tls **out);
/* Free (the private key bytes are zeroed); sets *T to NULL. */
void api_tls_free(struct api_tls **t);

/* A policy POST /v1/evidence/appraise may be asked for by name. */
struct api_named_policy {
	const char *name;
	const struct vf_policy *policy;
};

/* Defaults for everything; the caller sets service, listen_host/port and dsn or pool. */
void api_config_init(struct api_config *cfg);

struct api_server;

/* Bind, start the worker threads and return. Fails with TC_ERR_IO (bind/start) or TC_ERR_INVALID_ARGUMENT. */
TC_RESULT api_server_start(const struct api_config *cfg, struct api_server **out);
/* The port actually bound (useful with port 0). */
uint16_t api_server_port(const struct api_server *s);
/* Block until SIGTERM/SIGINT arrives (with handle_signals) or api_server_request_stop is called. */
void api_server_wait(struct api_server *s);
/* Make api_server_wait return (any thread). */
void api_server_request_stop(struct api_server *s);
/*
 * Graceful stop: stop accepting (the listening socket is closed, so new connections are refused), let
 * in-flight requests finish for up to shutdown_grace_ms, then stop the daemon. Returns how many requests
 * were still in flight when the grace period ended (0 on a clean stop).
 */
unsigned api_server_stop(struct api_server *s);
/* Stop (if still running) and free, closing the pool it created. Sets *S to NULL. */
void api_server_free(struct api_server **s);

/* Parse "HOST:PORT" or "[V6]:PORT" into HOST (size HOST_SIZE) and PORT. */
TC_RESULT api_listen_parse(const char *s, char *host, size_t host_size, uint16_t *port);

/* ------------------------------------------------------------------------------------ request context */

/* Request id of this request: the client's X-Request-Id when valid, else generated. */
const char *api_request_id(const struct api_request *req);
/* Path parameter NAME of the matched route, NULL when absent. */
const char *api_request_param(const struct api_request *req, const char *name);
/* The parsed JSON body (borrowed), NULL when the request had no body. */
const json_t *api_request_json(const struct api_request *req);
/* The server configuration (borrowed). */
const struct api_config *api_request_config(const struct api_request *req);
/* A pooled connection for this request (acquired on first use, released after the reply). */
TC_RESULT api_request_db(struct api_request *req, struct db_conn **out);
/* The pool of the server (for its statistics). */
struct db_pool *api_request_pool(const struct api_request *req);

/* ------------------------------------------------------------------------------------------- replies */

/* Reply STATUS with BODY (borrowed) as application/json. One reply per request. */
TC_RESULT api_reply_json(struct api_request *req, unsigned status, const json_t *body);
/* Reply STATUS with LEN bytes of DATA (copied) and CONTENT_TYPE. */
TC_RESULT api_reply_data(struct api_request *req, unsigned status, const char *content_type, const void *data,
			 size_t len);
/* Reply with the error shape for CODE: status and hint from tc_errors.def, DETAIL (may be NULL or ""). */
TC_RESULT api_reply_error(struct api_request *req, enum tc_code code, const char *detail);

/* ----------------------------------------------------------------------------------------- admission */

/*
 * Admission decisions of teecert-verifier (api/api_admission*.c, docs/admission.md): POST
 * /v1/admission/peer verifies a presented chain to the trust root, checks revocation and the recorded
 * appraisal against the current policy and reports anchoring; the verdict is a compact JWS ES256 made with
 * the signing key, whose public JWK GET /v1/verdict-key publishes. The verifier holds no CA key.
 */
struct api_admission;

struct api_admission_options {
	const char *trust_root_file;  /* PEM: the root certificate(s) chains must reach */
	const char *policy_file;      /* JSON: a vf policy plus "require_anchored" (bool); NULL: defaults */
	const char *signing_key_file; /* PEM: P-256 private key of the verdicts */
	int64_t verdict_ttl_s;        /* 0: API_ADMISSION_TTL_DEFAULT_S */
	int64_t fixed_now;            /* tests only: verification time (0: the clock) */
	unsigned db_cache_ms; /* reuse a path's database facts this long (0: read them on every request); a
				 revocation or a new anchor then takes effect within this time */
};

#define API_ADMISSION_TTL_DEFAULT_S 300

TC_RESULT api_admission_load(const struct api_admission_options *o, struct api_admission **out);
void api_admission_free(struct api_admission **a);

/* --------------------------------------------------------------------------------------- service mains */

/* Exit codes of the shared subcommands: the values of cli/cli.h's cli_exit. */
#define API_CLI_EXIT_OK 0
#define API_CLI_EXIT_USAGE 1
#define API_CLI_EXIT_INTERNAL 3

/* `PROG serve ...` and `PROG migrate ...` (ARGV[0] is the subcommand); return an exit code. */
int api_cli_serve(const char *prog, const char *service, int argc, char **argv);
int api_cli_migrate(const char *prog, int argc, char **argv);
/* `teecert-ca log-key --out FILE [--name NAME]` (api_checkpointer.c). */
int api_cli_log_key(const char *prog, int argc, char **argv);
/* `teecert-ca init ...`: generate the root key, appraise its own evidence, self-sign, record it
 * (api_ca_init.c, docs/ca-service.md). */
int api_cli_ca_init(const char *prog, int argc, char **argv);
/* `teecert-ca enroll ...`: enroll a sub-CA under a parent root (api_enroll.c, docs/ca-service.md). */
int api_cli_ca_enroll(const char *prog, int argc, char **argv);

/* The embedded OpenAPI 3.1 document (api/openapi.json, embedded at build time). */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

/* ------------------------------------------------------------------------------- collateral service */

/*
 * The vendor collateral service (api/api_collateral*.c, docs/collateral.md): Intel PCS v4 (or a PCCS),
 * AMD KDS and the NVIDIA RIM service / OCSP over HTTPS with libcurl, every item verified
 * (vf_collateral_verify) before it is cached in PostgreSQL (db_collateral_*). Expiring items are served
 * until their own nextUpdate and never after, refreshed ahead of it; immutable items are kept once verified.
 * Concurrent requests for one missing item make one upstream fetch. Per-host token buckets, exponential
 * backoff with jitter, Retry-After honoured. Time comes from an injectable clock.
 */
#define API_COLL_INTEL_SGX_BASE "https://api.trustedservices.intel.com/sgx/certification/v4"
#define API_COLL_INTEL_TDX_BASE "https://api.trustedservices.intel.com/tdx/certification/v4"
#define API_COLL_INTEL_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
#define API_COLL_AMD_KDS_BASE "https://kdsintf.amd.com"
#define API_COLL_NVIDIA_RIM_BASE "https://rim.attestation.nvidia.com/v1/rim"
#define API_COLL_NVIDIA_OCSP_URL "https://ocsp.ndis.nvidia.com"

enum api_coll_host { API_COLL_HOST_INTEL, API_COLL_HOST_AMD, API_COLL_HOST_NVIDIA, API_COLL_HOST_COUNT };

/* Token bucket of one upstream host: PER_S requests per second on average, bursts of BURST. */
struct api_coll_rate {
	double per_s;
	double burst;
};

struct api_collateral_config {
	const char *dsn;      /* used to create a pool when POOL is NULL */
	struct db_pool *pool; /* borrowed when non-NULL */
	const char *intel_sgx_base;     /* PCS v4 or PCCS: .../sgx/certification/v4 (pckcrl) */
	const char *intel_tdx_base;     /* PCS v4 or PCCS: .../tdx/certification/v4 (tcb, qe/identity) */
	const char *intel_root_crl_url; /* the Intel SGX Root CA CRL (PCCS: .../sgx/certification/v4/rootcacrl) */
	const char *intel_update;       /* "standard" (default) or "early" */
	const char *amd_kds_base;
	const char *nvidia_rim_base;
	const char *nvidia_ocsp_url;
	struct api_coll_rate rate[API_COLL_HOST_COUNT]; /* defaults: Intel 5/s, AMD 1 per 10 s, NVIDIA 5/s */
	unsigned timeout_ms;      /* per HTTP attempt (default 15000) */
	unsigned max_attempts;    /* per fetch, retries included (default 4) */
	unsigned backoff_base_ms; /* first retry delay before jitter (default 1000), doubled per retry */
	unsigned backoff_max_ms;  /* cap of one retry delay (default 60000) */
	unsigned max_wait_ms;     /* total rate-limit/backoff waiting one fetch may do (default 300000) */
	/* After a fetch gave up without any HTTP answer (refused, unresolvable, timed out), further fetches from
	 * that host (scheme://host:port) fail at once for host_down_ms (default 30000; 0: never); an answer of
	 * any status ends it earlier. One unreachable vendor then costs one fetch's retries, not every item's. */
	unsigned host_down_ms;
	int64_t refresh_lead_s;   /* refresh expiring items this long before nextUpdate (default 2 days) */
	unsigned refresh_interval_s; /* background refresher period (default 300) */
	unsigned db_acquire_ms;
	bool offline; /* cache only: no upstream fetch (air-gapped; items come from import) */
	/* "Milan" | "Genoa" | "Turin" or NULL: the product line assumed for an SNP report that names none (a v2
	 * report without VCEK/VLEK), so its ark_ask_chain, amd_crl and VCEK can be resolved */
	const char *snp_product;
	/* Extra trust anchors (borrowed; role -> PEM/DER, the vf_input anchor roles "intel_root", "amd_ark",
	 * "nvidia_rim_root"): items signed by them are accepted besides the pinned vendor roots. Simulated roots
	 * of an untrusted network come here; without them sim-signed collateral is refused. */
	const struct vf_item *anchors;
	size_t n_anchors;
	/* api_collateral_resolve's in-process cache in front of the database: entries live at most
	 * cache_ttl_s (default and maximum 60) and never past the item's nextUpdate; at most cache_max entries
	 * (default 256); a miss is remembered for miss_ttl_s (default 30, 0: not at all). */
	unsigned cache_ttl_s;
	unsigned cache_max;
	unsigned miss_ttl_s;
	/* Injectable clock: milliseconds since the epoch, and a sleep that advances it (NULL: real ones). */
	int64_t (*clock_ms)(void *arg);
	void (*sleep_ms)(void *arg, int64_t ms);
	void *clock_arg;
};

void api_collateral_config_init(struct api_collateral_config *cfg);

struct api_collateral;

TC_RESULT api_collateral_new(const struct api_collateral_config *cfg, struct api_collateral **out);
/* Stops the refresher if running. */
void api_collateral_free(struct api_collateral **c);

/*
 * The item KIND/KEY (keys: docs/collateral.md; e.g. tcb_info "b0c06f000000", pck_crl "platform", vcek
 * "Milan/<chip id hex>/3.0.8.115", ark_ask_chain "Milan", rim "NV_GPU_DRIVER_GH100_550.90.07"). Served from
 * the cache while valid; fetched (single flight) when missing or past nextUpdate. OUT (initialised by the
 * caller, db_collateral_item_init) gets the item with its bytes. A cached item past nextUpdate whose
 * refresh fails -> TC_ERR_COLLATERAL_EXPIRED (never served); OCSP items are fetched with
 * api_collateral_fetch_ocsp.
 */
TC_RESULT api_collateral_get(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
			     struct db_collateral_item *out);
/* Fetch KIND/KEY from upstream now (single flight), verify and store it; OUT may be NULL. */
TC_RESULT api_collateral_fetch(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
			       struct db_collateral_item *out);
/* NVIDIA OCSP for the first certificate of CHAIN_PEM (certificate || issuer ...); stored under its serial. */
TC_RESULT api_collateral_fetch_ocsp(struct api_collateral *c, const uint8_t *chain_pem, size_t len,
				    struct db_collateral_item *out);
/*
 * Verify and store an item obtained offline (import). WANT_KEY NULL: the key derived from the content;
 * KEY_OUT (may be NULL, VF_COLL_KEY_MAX bytes) gets the key used.
 */
TC_RESULT api_collateral_put(struct api_collateral *c, enum vf_coll_kind kind, const uint8_t *raw, size_t len,
			     const uint8_t *chain, size_t chain_len, const char *source, const char *want_key,
			     char *key_out);
/* One refresher pass over cached expiring items due within refresh_lead_s (failures keep the cached bytes). */
TC_RESULT api_collateral_refresh_due(struct api_collateral *c, size_t *refreshed, size_t *failed);
/* Background refresher thread: a pass every refresh_interval_s until stopped. */
TC_RESULT api_collateral_refresher_start(struct api_collateral *c);
void api_collateral_refresher_stop(struct api_collateral *c);

/* Offline / air-gapped use: role-named files (tcb_info.json + tcb_info_issuer_chain.pem, pck_crl.der, vcek.der,
 * ark_ask_chain.pem, driver_rim.xml, ...) in DIR and its subfolders; each item verified before it is stored.
 * Export writes DIR/<vendor>/<kind>/<key>/ folders that import reads back. */
TC_RESULT api_collateral_import_dir(struct api_collateral *c, const char *dir, size_t *imported, size_t *rejected);
TC_RESULT api_collateral_export_dir(struct api_collateral *c, const char *dir, size_t *exported);

struct api_collateral_stats {
	uint64_t gets, cache_hits, upstream_requests, stored, unchanged, verify_failed, http_failures;
	uint64_t stale_served;     /* served while refreshes fail (before nextUpdate) */
	uint64_t expired_refused;  /* refused: past nextUpdate and the refresh failed */
	uint64_t single_flight_waits, retries, rate_limit_waits, rollbacks_refused;
	uint64_t host_down_skips; /* fetches not tried: their host did not answer within host_down_ms */
};
void api_collateral_stats(struct api_collateral *c, struct api_collateral_stats *out);
/* Seconds of the service clock (for callers that share it). */
int64_t api_collateral_now(struct api_collateral *c);

/* Bytes that one appraisal borrows (collateral items copied out of the service); freed after vf_appraise. */
struct api_coll_hold {
	struct tc_buf bufs[2 * VF_MAX_ITEMS];
	size_t n;
};
void api_coll_hold_init(struct api_coll_hold *h);
void api_coll_hold_cleanup(struct api_coll_hold *h);

/*
 * The collateral IN's evidence needs, from the service (cache first; fetched when missing or expired):
 * TDX: tcb_info by the PCK certificate's FMSPC, qe_identity, pck_crl of the PCK issuer, root_ca_crl; SNP: the
 * product's ark_ask_chain (or asvk_chain for a VLEK), amd_crl, the VCEK when the evidence lacks one; NVIDIA:
 * the driver and VBIOS RIMs each GPU names and, for the certificates of each GPU chain, OCSP responses (store
 * first; fetched from nvidia_ocsp_url when not offline; roles "ocsp.gpuN.I"). Appended to IN->collateral under the role names of vf.h (with
 * their issuer chains), bytes held in HOLD. An item the service cannot supply is left out (the appraisal then
 * reports collateral_missing); only database/internal failures fail here.
 * The needs are vf_collateral_needs; a VCEK the evidence lacks goes to IN->evidence (role "vcek"), where the
 * SNP appraiser reads it. Served through an in-process cache (see cache_ttl_s) and only while servable.
 */
TC_RESULT api_collateral_resolve(struct api_collateral *c, struct vf_input *in, struct api_coll_hold *hold);
/* Drop every entry of the resolver's in-process cache (tests; after an import in another process). */
void api_collateral_cache_clear(struct api_collateral *c);
/* Keep the service's extra trust anchors in the replay history (collateral_history, kind anchor). */
TC_RESULT api_collateral_store_anchors(struct api_collateral *c);

/* -------------------------------------------------------------------------------- anchoring worker */

/*
 * The teecert-anchor worker (api/api_anchor_*.c): deploys TeecertAnchor and anchors log checkpoints on
 * opBNB with every step stored in PostgreSQL first (docs/anchor.md). It lives here, not in chain/, because
 * it needs both chain/ and sql/ and sql/ already depends on chain/ (Merkle hashing): api/ is the layer that
 * may use both. The main (cli/teecert_anchor.c) only parses flags; the chain tests drive it in-process.
 */
/* Chain presets (docs/anchor.md "Networks"). */
#define API_ANCHOR_CHAIN_OPBNB_MAINNET 204
#define API_ANCHOR_CHAIN_OPBNB_TESTNET 5611

/* Defaults of struct api_anchor_options (teecert-anchor run flags). */
#define API_ANCHOR_DEFAULT_CONFIRMATIONS 15
#define API_ANCHOR_DEFAULT_STUCK_MS 60000
#define API_ANCHOR_DEFAULT_FINALIZED_STALE_S 3600
#define API_ANCHOR_DEFAULT_MAX_FEE_GWEI 100
#define API_ANCHOR_FEE_HISTORY_BLOCKS 10
#define API_ANCHOR_FEE_PERCENTILE 50
/* Replacement fees are raised by 1/8 (12.5%) plus one wei: above the 10% nodes require (geth priceBump). */
#define API_ANCHOR_BUMP_DIVISOR 8
/* Gas limit = estimate * 6 / 5: a margin, the same for every anchor (the contract's gas is constant). */
#define API_ANCHOR_GAS_MARGIN_NUM 6
#define API_ANCHOR_GAS_MARGIN_DEN 5

struct api_anchor_options {
	uint64_t chain_id;                  /* expected chain id (the node must report it) */
	unsigned confirmations;             /* depth (blocks including the anchor's) when !use_finalized */
	bool use_finalized;                 /* confirmed when the `finalized` head reaches the block */
	unsigned stuck_ms;                  /* unmined this long after broadcast: bump both fees */
	unsigned finalized_stale_s;         /* alert when the finalized head is older than this (0: never) */
	struct chain_u256 max_fee_cap;      /* maxFeePerGas never exceeds this (wei) */
	struct chain_u256 min_priority_fee; /* floor of maxPriorityFeePerGas (wei) */
};

void api_anchor_options_defaults(struct api_anchor_options *opt);

/*
 * Counters of one worker since it started (logged by `anchor_stop`, exported by api_anchor_metrics_format),
 * plus what it last saw of the node's `finalized` head.
 */
struct api_anchor_metrics {
	unsigned long long planned, broadcasts, rebroadcasts, fee_bumps, mined, confirmed, reorgs, dropped, reverted,
		finalized_stale_alerts, fee_cap_alerts, tick_errors, ticks;
	bool have_finalized;      /* the node answered the `finalized` tag with a block */
	uint64_t finalized_block; /* that block's number */
	int64_t finalized_age_s;  /* wall clock minus its timestamp when last fetched */
	bool finalized_stale;     /* older than finalized_stale_s at the last fetch */
};

struct api_anchor_worker {
	struct chain_rpc *rpc;       /* borrowed */
	struct db_conn *db;          /* borrowed */
	const struct chain_key *key; /* borrowed */
	struct api_anchor_options opt;
	struct db_anchor_config cfg;
	struct api_anchor_metrics metrics;
	uint64_t stale_alert_ms; /* monotonic time of the last anchor_finalized_stale alert (0: none this episode) */
	bool finalized_unsupported_logged;
};

/*
 * Check the node's chain id against OPT and the database's anchor_config (which must exist and name KEY's
 * address as owner): TC_ERR_CHAIN_ID_MISMATCH / TC_ERR_INVALID_ARGUMENT otherwise.
 */
TC_RESULT api_anchor_worker_init(struct api_anchor_worker *w, struct chain_rpc *rpc, struct db_conn *db,
				 const struct chain_key *key, const struct api_anchor_options *opt);

/*
 * One pass of the state machine: sign planned rows, broadcast signed ones, poll receipts, detect reorgs,
 * bump stuck fees, confirm, and plan the next checkpoint when nothing is in flight. *BUSY (may be NULL) is
 * set when a transaction is still in flight or a checkpoint is waiting.
 */
TC_RESULT api_anchor_tick(struct api_anchor_worker *w, bool *busy);

/*
 * Deploy TeecertAnchor (creation BYTECODE) from KEY, wait up to WAIT_MS for its receipt, and record it in
 * anchor_config. The node's chain id must equal CHAIN_ID.
 */
TC_RESULT api_anchor_deploy(struct chain_rpc *rpc, struct db_conn *db, const struct chain_key *key, uint64_t chain_id,
			    const uint8_t *bytecode, size_t len, const struct api_anchor_options *opt, unsigned wait_ms,
			    struct db_anchor_config *out);

/*
 * Prometheus text exposition format 0.0.4 (docs/anchor.md "Metrics"), appended to OUT: the worker's
 * counters and finalized-head gauges from M (NULL: left out, e.g. `status --metrics`), the database's view
 * (live rows per state, last anchored / confirmed tree size) from TIP (NULL: left out), and NOW_S as
 * teecert_anchor_metrics_timestamp_seconds so a stale file is noticed.
 */
TC_RESULT api_anchor_metrics_format(const struct api_anchor_metrics *m, const struct db_anchor_tip *tip, int64_t now_s,
				    struct tc_buf *out);

/* The creation bytecode of chain/contracts/TeecertAnchor.json embedded at build time ("0x..."). */
extern const char api_anchor_contract_bytecode_hex[];

#endif /* API_H */
