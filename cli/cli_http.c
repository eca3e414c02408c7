/*
 * cli_http.c — the HTTP the CLI needs to talk to teecert-ca and teecert-verifier (teecert audit, request,
 * admit, certs), over libcurl: GET, and POST of a JSON body. Bounded: the body has a hard maximum (the transfer is aborted past it), http/https only, no
 * redirects, timeouts on connect and on the whole request. The caller parses the body (tc_json_parse).
 * HTTPS with a private CA (--cacert or $TEECERT_CACERT: CURLOPT_CAINFO, the system store off) and an optional
 * client certificate (--cert/--key: CURLOPT_SSLCERT/CURLOPT_SSLKEY).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CLI_HTTP_CONNECT_TIMEOUT_MS 3000L

/* The process's TLS settings: set once by the flag parsers, read by every request (a CLI is one thread). */
static struct {
	const char *cacert, *cert, *key;
} tls;

bool cli_http_tls_flag(const char *arg, const char *value)
{
	if (strcmp(arg, "--cacert") == 0)
		tls.cacert = value;
	else if (strcmp(arg, "--cert") == 0)
		tls.cert = value;
	else if (strcmp(arg, "--key") == 0)
		tls.key = value;
	else
		return false;
	return true;
}

/* --cacert, else $TEECERT_CACERT (an empty value: unset), else NULL (the system store). */
static const char *cacert_file(void)
{
	const char *env = getenv("TEECERT_CACERT");

	if (tls.cacert)
		return tls.cacert;
	return env && *env ? env : NULL;
}

int cli_http_tls_check(const char *prog)
{
	const char *files[] = { cacert_file(), tls.cert, tls.key };

	if ((tls.cert == NULL) != (tls.key == NULL))
		return cli_usage_error(prog, "--cert and --key go together (the client certificate and its key)");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] && access(files[i], R_OK) != 0)
			return cli_usage_error(prog, "cannot read %s%s: %s", files[i],
					       i == 0 && !tls.cacert ? " ($TEECERT_CACERT)" : "", strerror(errno));
	return CLI_EXIT_OK;
}

/* A private CA replaces the system store (CAINFO set, CAPATH off); the client certificate when given. */
static void set_tls(CURL *c)
{
	const char *cacert = cacert_file();

	if (cacert) {
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (tls.cert && tls.key) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

struct sink {
	struct tc_buf *body;
	bool too_large;
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (!tc_is_ok(tc_buf_append(s->body, data, n))) {
		s->too_large = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

/* One request: GET when POST_BODY is NULL, else POST of POST_LEN bytes as application/json. */
static TC_RESULT perform(const char *url, const void *post_body, size_t post_len, unsigned timeout_ms, long *status,
			 struct tc_buf *body)
{
	static bool curl_ready;
	struct sink sink = { .body = body, .too_large = false };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	const char *method = post_body ? "POST" : "GET";
	CURLcode cc;
	CURL *c;
	long code = 0;

	if (!curl_ready) {
		TC_ENSURE(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, TC_ERR_INTERNAL,
			  "curl_global_init failed");
		curl_ready = true;
	}
	c = curl_easy_init();
	TC_ENSURE(c != NULL, TC_ERR_NO_MEMORY, "curl_easy_init");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	set_tls(c);
	if (post_body) {
		hdr = curl_slist_append(NULL, "Content-Type: application/json");
		if (!hdr) {
			curl_easy_cleanup(c);
			return tc_fail(TC_ERR_NO_MEMORY, "curl_slist_append");
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)post_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms ? timeout_ms : 10000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CLI_HTTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "teecert");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	TC_ENSURE(!sink.too_large, TC_ERR_TOO_LARGE, "%s %s: the response is larger than %zu bytes", method, url,
		  body->max);
	TC_ENSURE(cc == CURLE_OK, TC_ERR_IO, "%s %s: %s", method, url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	*status = code;
	return tc_ok();
}

TC_RESULT cli_http_get(const char *url, unsigned timeout_ms, long *status, struct tc_buf *body)
{
	return perform(url, NULL, 0, timeout_ms, status, body);
}

TC_RESULT cli_http_post_json(const char *url, const void *json, size_t len, unsigned timeout_ms, long *status,
			     struct tc_buf *body)
{
	return perform(url, json ? json : "", json ? len : 0, timeout_ms, status, body);
}
