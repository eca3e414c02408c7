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

#include "db.h"
#include "tc.h"

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
};

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
	unsigned threads; /* MHD worker threads (internal thread pool) */
	unsigned max_connections;
	const struct api_route *routes; /* NULL: api_routes_for_service(service) */
	size_t n_routes;
	int challenge_lifetime_s;
	unsigned shutdown_grace_ms; /* how long api_server_stop waits for in-flight requests */
	unsigned db_acquire_ms;     /* how long a handler waits for a pooled connection */
	bool handle_signals;        /* block SIGTERM/SIGINT in all threads; api_server_wait returns on them */
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

/* --------------------------------------------------------------------------------------- service mains */

/* Exit codes of the shared subcommands: the values of cli/cli.h's cli_exit. */
#define API_CLI_EXIT_OK 0
#define API_CLI_EXIT_USAGE 1
#define API_CLI_EXIT_INTERNAL 3

/* `PROG serve ...` and `PROG migrate ...` (ARGV[0] is the subcommand); return an exit code. */
int api_cli_serve(const char *prog, const char *service, int argc, char **argv);
int api_cli_migrate(const char *prog, int argc, char **argv);

/* The embedded OpenAPI 3.1 document (api/openapi.json, embedded at build time). */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#endif /* API_H */
