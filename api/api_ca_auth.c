/*
 * api_ca_auth.c — the admin auth class (API_AUTH_ADMIN routes, issue #7): EITHER a verified admin TLS
 * client certificate (api_tls_client.c: verified by OpenSSL against --client-ca, admin by
 * --admin-cert-sha256 or --admin-client-ca) OR `Authorization: Bearer TOKEN` against the token of
 * --admin-token-file. The token and the presented value are both hashed with SHA-256 and compared in
 * constant time, so neither the content nor the length of the configured token leaks through timing
 * (STYLE.md point 7).
 *
 * Outcomes (RFC 9110 §15.5.2/§15.5.4): no credentials, or a client certificate that did not verify, 401
 * unauthorized; a wrong token, or a verified certificate that is not an admin's (without a good token),
 * 403 forbidden. Every decision is logged with the request id, the method and the certificate fingerprint.
 */
#include <string.h>
#include <strings.h>

#include "api_internal.h"

TC_RESULT api_auth_token_load(const char *path, struct tc_buf *out)
{
	TC_GUARD(tc_file_read(path, API_CA_TOKEN_MAX + 2, out));
	while (out->len > 0 && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
		out->len--;
	TC_ENSURE(out->len >= API_CA_TOKEN_MIN && out->len <= API_CA_TOKEN_MAX, TC_ERR_INVALID_ARGUMENT,
		  "admin token file %s: the token must be %d..%d bytes", path, API_CA_TOKEN_MIN, API_CA_TOKEN_MAX);
	for (size_t i = 0; i < out->len; i++)
		TC_ENSURE(out->data[i] > 0x20 && out->data[i] < 0x7f, TC_ERR_INVALID_ARGUMENT,
			  "admin token file %s: the token must be printable ASCII without spaces", path);
	return tc_ok();
}

/* The Authorization header's bearer credential, NULL when there is none (other schemes count as none). */
static const char *bearer_of(const char *authorization)
{
	static const char bearer[] = "Bearer ";

	if (!authorization || strncasecmp(authorization, bearer, sizeof(bearer) - 1) != 0 ||
	    authorization[sizeof(bearer) - 1] == '\0')
		return NULL;
	return authorization + sizeof(bearer) - 1;
}

TC_RESULT api_auth_admin_decide(const struct api_client *client, bool cert_admin_configured, const uint8_t *token,
				size_t token_len, const char *authorization, enum api_admin_method *method)
{
	const char *presented = bearer_of(authorization);
	enum api_client_cert cert = client ? client->cert : API_CLIENT_NONE;
	uint8_t want[32], got[32];

	if (cert == API_CLIENT_VERIFIED && client->admin) {
		*method = API_ADMIN_CLIENT_CERT;
		return tc_ok();
	}
	if (presented) {
		TC_ENSURE(token && token_len > 0, TC_ERR_UNAUTHORIZED,
			  "bearer tokens are not accepted: the server has no --admin-token-file");
		api_ca_sha256(token, token_len, want);
		api_ca_sha256(presented, strnlen(presented, API_CA_TOKEN_MAX + 1), got);
		bool ok = tc_ct_equal(want, got, sizeof(want));

		tc_secure_zero(want, sizeof(want));
		tc_secure_zero(got, sizeof(got));
		TC_ENSURE(ok, TC_ERR_FORBIDDEN, "the bearer token is not the admin token");
		*method = API_ADMIN_BEARER;
		return tc_ok();
	}
	TC_ENSURE(cert != API_CLIENT_VERIFIED, TC_ERR_FORBIDDEN,
		  "the client certificate (SHA-256 %s) is not an admin certificate", client->fp_hex);
	TC_ENSURE(cert != API_CLIENT_UNVERIFIED, TC_ERR_UNAUTHORIZED,
		  "the client certificate (SHA-256 %s) did not verify against --client-ca: %s", client->fp_hex,
		  client->why);
	TC_ENSURE((token && token_len > 0) || cert_admin_configured, TC_ERR_UNAUTHORIZED,
		  "admin endpoints are disabled (start the server with --admin-token-file, or with --client-ca and "
		  "--admin-cert-sha256 / --admin-client-ca)");
	if (!cert_admin_configured)
		return tc_fail(TC_ERR_UNAUTHORIZED, "admin endpoints need 'Authorization: Bearer TOKEN'");
	if (!token || token_len == 0)
		return tc_fail(TC_ERR_UNAUTHORIZED, "admin endpoints need an admin TLS client certificate");
	return tc_fail(TC_ERR_UNAUTHORIZED, "admin endpoints need an admin client certificate or "
					    "'Authorization: Bearer TOKEN'");
}

static const char *method_name(enum api_admin_method m)
{
	switch (m) {
	case API_ADMIN_CLIENT_CERT:
		return "client_cert";
	case API_ADMIN_BEARER:
		return "bearer";
	case API_ADMIN_NONE:
		break;
	}
	return "none";
}

TC_RESULT api_auth_admin(struct api_request *req)
{
	const struct api_config *cfg = &req->server->cfg;
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	bool cert_admin = cfg->tls && cfg->tls->client_ca && (cfg->tls->n_admin_fp > 0 || cfg->tls->admin_ca);
	enum api_admin_method method = API_ADMIN_NONE;
	struct tc_result r =
		api_auth_admin_decide(&req->client, cert_admin, cfg->admin_token, cfg->admin_token_len, h, &method);
	const char *fp = req->client.cert != API_CLIENT_NONE ? req->client.fp_hex : NULL;
	json_t *fields =
		json_pack("{s:s, s:s, s:s?, s:s}", "route", req->match.route->pattern, "method", method_name(method),
			  "fingerprint", fp, "result", tc_is_ok(r) ? "ok" : tc_error_info(r.code)->code);

	if (fields)
		tc_log_fields(tc_is_ok(r) ? TC_LOG_INFO : TC_LOG_WARN, tc_is_ok(r) ? "admin_auth" : "admin_auth_denied",
			      fields);
	json_decref(fields);
	return r;
}
