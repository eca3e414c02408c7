/*
 * api_routes.c — the static route tables of the two services and the matcher (STYLE.md point 8).
 *
 * A table row is {method, pattern, handler, body kind, max body bytes, auth class}; patterns are literal
 * segments and {name} segments; in a route flagged API_ROUTE_TAIL the last {name} takes the rest of the path,
 * '/' included (the path arrives URL-decoded from libmicrohttpd). Matching is exact: no trailing slash, no
 * empty segments, methods are case-sensitive (RFC 9110 §9.1). A path that some pattern matches but not with this method is a 405 with
 * the Allow header listing that path's methods; GET routes also answer HEAD (RFC 9110 §9.3.2).
 */
#include <string.h>

#include "api_internal.h"

#define API_CHALLENGE_MAX_BODY 4096
#define API_CERTIFICATE_MAX_BODY (256 * 1024)
#define API_REVOKE_MAX_BODY 1024

/* clang-format off */
/* One row per endpoint: method, pattern, handler, body, max body bytes, auth, summary (as in openapi.json),
 * flags (API_ROUTE_READ: the read pool of --read-db; API_ROUTE_UNLIMITED: no per-client rate limit;
 * API_ROUTE_FLAT_JSON: the fast body scanner). */
static const struct api_route verifier_routes[] = {
	{ "GET",  "/healthz",       api_healthz,         API_BODY_NONE, 0, API_AUTH_PUBLIC, "Liveness: the process serves", API_ROUTE_UNLIMITED },
	{ "GET",  "/readyz",        api_readyz,          API_BODY_NONE, 0, API_AUTH_PUBLIC, "Readiness: the database is reachable and its schema is current", API_ROUTE_UNLIMITED },
	{ "GET",  "/metrics",       api_metrics_handler, API_BODY_NONE, 0, API_AUTH_PUBLIC, "Prometheus metrics (text format 0.0.4)", API_ROUTE_UNLIMITED },
	{ "GET",  "/openapi.json",  api_openapi,         API_BODY_NONE, 0, API_AUTH_PUBLIC, "This API's OpenAPI 3.1 document", 0 },
	{ "POST", "/v1/challenges", api_challenges_post, API_BODY_JSON, API_CHALLENGE_MAX_BODY, API_AUTH_PUBLIC, "Create a single-use challenge nonce for evidence binding", 0 },
	{ "GET",  "/v1/log/checkpoint",        api_log_checkpoint_get,  API_BODY_NONE, 0, API_AUTH_PUBLIC, "The latest signed checkpoint of the transparency log (or the one of a given size)", API_ROUTE_READ },
	{ "GET",  "/v1/log/entries/{seq}",     api_log_entry_get,       API_BODY_NONE, 0, API_AUTH_PUBLIC, "One entry of the transparency log", API_ROUTE_READ },
	{ "GET",  "/v1/log/proof/inclusion",   api_log_inclusion_get,   API_BODY_NONE, 0, API_AUTH_PUBLIC, "Inclusion proof of an entry in a checkpointed tree (RFC 9162)", API_ROUTE_READ },
	{ "GET",  "/v1/log/proof/consistency", api_log_consistency_get, API_BODY_NONE, 0, API_AUTH_PUBLIC, "Consistency proof between two checkpointed tree sizes (RFC 9162)", API_ROUTE_READ },
	{ "GET",  "/v1/anchors",               api_anchors_get,         API_BODY_NONE, 0, API_AUTH_PUBLIC, "The log's anchors on chain: tree size, root, transaction, block, state", API_ROUTE_READ },
	{ "GET",  "/v1/certificates/{serial}", api_certs_get,           API_BODY_NONE, 0, API_AUTH_PUBLIC, "One certificate: PEM, chain, status, appraisal, log entry and inclusion proof", API_ROUTE_READ },
	{ "GET",  "/v1/certificates",          api_certs_list,          API_BODY_NONE, 0, API_AUTH_PUBLIC, "Certificate history: filters and keyset pagination", API_ROUTE_READ },
	{ "GET",  "/v1/cas",                   api_cas_get,             API_BODY_NONE, 0, API_AUTH_PUBLIC, "Every CA: certificate, role, network mode and status", API_ROUTE_READ },
	{ "POST", "/v1/admission/peer",        api_admission_peer_post, API_BODY_JSON, API_ADMISSION_MAX_BODY, API_AUTH_PUBLIC, "Admission decision for a peer's certificate chain, signed as a JWS", API_ROUTE_READ | API_ROUTE_FLAT_JSON },
	{ "POST", "/v1/admission/workload",    api_admission_workload_post, API_BODY_JSON, API_ADMISSION_MAX_BODY, API_AUTH_PUBLIC, "Admission decision for a workload's certificate chain and expected workload info hash, signed as a JWS", API_ROUTE_READ | API_ROUTE_FLAT_JSON },
	{ "POST", "/v1/evidence/appraise",     api_evidence_appraise_post, API_BODY_JSON, API_EVIDENCE_APPRAISE_MAX_BODY, API_AUTH_PUBLIC, "Appraise raw TDX/SNP/GPU evidence under a named policy with collateral from the store", 0 },
	{ "GET",  "/v1/verdict-key",           api_admission_key_get,   API_BODY_NONE, 0, API_AUTH_PUBLIC, "The public key (JWK Set) of the admission verdicts", 0 },
};

/* The CA: the common endpoints plus issuance, revocation, CRL and OCSP (docs/ca-service.md). */
static const struct api_route ca_routes[] = {
	{ "GET",  "/healthz",       api_healthz,         API_BODY_NONE, 0, API_AUTH_PUBLIC, "Liveness: the process serves", API_ROUTE_UNLIMITED },
	{ "GET",  "/readyz",        api_readyz,          API_BODY_NONE, 0, API_AUTH_PUBLIC, "Readiness: the database is reachable and its schema is current", API_ROUTE_UNLIMITED },
	{ "GET",  "/metrics",       api_metrics_handler, API_BODY_NONE, 0, API_AUTH_PUBLIC, "Prometheus metrics (text format 0.0.4)", API_ROUTE_UNLIMITED },
	{ "GET",  "/openapi.json",  api_openapi,         API_BODY_NONE, 0, API_AUTH_PUBLIC, "This API's OpenAPI 3.1 document", 0 },
	{ "POST", "/v1/challenges", api_challenges_post, API_BODY_JSON, API_CHALLENGE_MAX_BODY, API_AUTH_PUBLIC, "Create a single-use challenge nonce for evidence binding", 0 },
	{ "POST", "/v1/certificates", api_certificates_post, API_BODY_JSON, API_CERTIFICATE_MAX_BODY, API_AUTH_PUBLIC, "Issue a certificate for a CSR bound to a challenge by appraised evidence", 0 },
	{ "POST", "/v1/certificates/{serial}/revoke", api_revoke_post, API_BODY_JSON, API_REVOKE_MAX_BODY, API_AUTH_ADMIN, "Revoke a certificate (admin)", 0 },
	{ "GET",  "/v1/crl/{ca}",   api_crl_get,         API_BODY_NONE, 0, API_AUTH_PUBLIC, "The CA's current CRL (DER)", 0 },
	{ "POST", "/v1/ocsp",       api_ocsp_post,       API_BODY_OCSP, CA_OCSP_REQUEST_MAX, API_AUTH_PUBLIC, "OCSP responder (RFC 6960), request in the body", 0 },
	{ "GET",  "/v1/ocsp/{request}", api_ocsp_get,    API_BODY_NONE, 0, API_AUTH_PUBLIC, "OCSP responder (RFC 6960), base64 request in the path", API_ROUTE_TAIL },
};
/* clang-format on */

const struct api_route *api_routes_for_service(const char *service, size_t *n_routes)
{
	if (service && strcmp(service, "verifier") == 0) {
		*n_routes = sizeof(verifier_routes) / sizeof(verifier_routes[0]);
		return verifier_routes;
	}
	if (service && strcmp(service, "ca") == 0) {
		*n_routes = sizeof(ca_routes) / sizeof(ca_routes[0]);
		return ca_routes;
	}
	return NULL;
}

/* Length of the segment starting at S (up to '/' or the end). */
static size_t segment_len(const char *s)
{
	return strcspn(s, "/");
}

/*
 * Match PATH against PATTERN; on success store the parameters in M (values copied into m->storage).
 * Both start with '/'. TAIL: a {name} that ends the pattern takes the rest of PATH ('/' included).
 */
static bool pattern_match(const char *pattern, const char *path, bool tail, struct api_match *m)
{
	size_t used = 0;

	m->n_params = 0;
	while (*pattern == '/' && *path == '/') {
		pattern++;
		path++;
		size_t plen = segment_len(pattern);
		size_t slen = segment_len(path);

		if (slen == 0 || plen == 0)
			return false;
		bool param = pattern[0] == '{' && pattern[plen - 1] == '}';
		if (param && tail && pattern[plen] == '\0')
			slen = strlen(path);
		if (param) {
			if (m->n_params == API_ROUTE_MAX_PARAMS || used + slen + 1 > sizeof(m->storage))
				return false;
			struct api_param *p = &m->params[m->n_params++];

			p->name = pattern + 1;
			p->name_len = plen - 2;
			memcpy(m->storage + used, path, slen);
			m->storage[used + slen] = '\0';
			p->value = m->storage + used;
			used += slen + 1;
		} else if (plen != slen || memcmp(pattern, path, plen) != 0) {
			return false;
		}
		pattern += plen;
		path += slen;
	}
	return *pattern == '\0' && *path == '\0';
}

static bool method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0)
		return true;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/* Append METHOD to the comma-separated ALLOW list unless it is already there. */
static void allow_add(char *allow, const char *method)
{
	size_t n = strlen(allow);
	size_t mlen = strlen(method);

	for (const char *p = allow; *p;) {
		size_t len = strcspn(p, ",");

		if (len == mlen && memcmp(p, method, mlen) == 0)
			return;
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	if (n + mlen + 3 > API_ALLOW_MAX)
		return;
	snprintf(allow + n, API_ALLOW_MAX - n, "%s%s", n ? ", " : "", method);
}

TC_RESULT api_route_match(const struct api_route *routes, size_t n_routes, const char *method, const char *path,
			  struct api_match *out)
{
	bool path_known = false;

	TC_ENSURE(routes && method && path && out, TC_ERR_INVALID_ARGUMENT, "route match without input");
	memset(out, 0, sizeof(*out));
	TC_ENSURE(path[0] == '/' && strlen(path) < API_PATH_MAX, TC_ERR_NOT_FOUND, "no route for this path");
	for (size_t i = 0; i < n_routes; i++) {
		if (!pattern_match(routes[i].pattern, path, (routes[i].flags & API_ROUTE_TAIL) != 0, out))
			continue;
		if (method_matches(routes[i].method, method)) {
			out->route = &routes[i];
			out->route_index = i;
			return tc_ok();
		}
		path_known = true;
		allow_add(out->allow, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			allow_add(out->allow, "HEAD");
	}
	out->n_params = 0;
	TC_ENSURE(!path_known, TC_ERR_METHOD_NOT_ALLOWED, "%.32s is not allowed here; allowed: %s", method, out->allow);
	return tc_fail(TC_ERR_NOT_FOUND, "no route for this path");
}

const char *api_match_param(const struct api_match *m, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < m->n_params; i++)
		if (m->params[i].name_len == len && memcmp(m->params[i].name, name, len) == 0)
			return m->params[i].value;
	return NULL;
}
