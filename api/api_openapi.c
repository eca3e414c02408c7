/*
 * api_openapi.c — GET /openapi.json: the OpenAPI 3.1 document of this API. The document is api/openapi.json,
 * embedded into the library at build time (api/api_embed.cmake), so the binary needs no data files.
 */
#include "api_internal.h"

TC_RESULT api_openapi(struct api_request *req)
{
	return api_reply_data(req, 200, "application/json", api_openapi_json, api_openapi_json_len);
}
