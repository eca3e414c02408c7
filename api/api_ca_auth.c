/*
 * api_ca_auth.c — the admin auth class (API_AUTH_ADMIN routes): `Authorization: Bearer TOKEN` against the
 * token of --admin-token-file. Both sides are hashed with SHA-256 and compared in constant time, so neither
 * the content nor the length of the configured token leaks through timing (STYLE.md point 7). No header:
 * 401 with WWW-Authenticate semantics; a wrong token: 403.
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

TC_RESULT api_auth_admin(struct api_request *req)
{
	const struct api_config *cfg = &req->server->cfg;
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	uint8_t want[32], got[32];
	static const char bearer[] = "Bearer ";

	TC_ENSURE(cfg->admin_token && cfg->admin_token_len > 0, TC_ERR_UNAUTHORIZED,
		  "admin endpoints are disabled (start the server with --admin-token-file)");
	TC_ENSURE(h && strncasecmp(h, bearer, sizeof(bearer) - 1) == 0 && h[sizeof(bearer) - 1] != '\0',
		  TC_ERR_UNAUTHORIZED, "admin endpoints need 'Authorization: Bearer TOKEN'");
	h += sizeof(bearer) - 1;
	api_ca_sha256(cfg->admin_token, cfg->admin_token_len, want);
	api_ca_sha256(h, strnlen(h, API_CA_TOKEN_MAX + 1), got);
	bool ok = tc_ct_equal(want, got, sizeof(want));

	tc_secure_zero(want, sizeof(want));
	tc_secure_zero(got, sizeof(got));
	TC_ENSURE(ok, TC_ERR_FORBIDDEN, "the bearer token is not the admin token");
	return tc_ok();
}
