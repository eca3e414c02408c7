/*
 * api_tls_client.c — who is on the other end of an HTTPS connection. The client certificate list comes out
 * of the TLS session (api_tls.c); OpenSSL alone decides whether it is trusted: the leaf and the
 * intermediates the client sent are verified against the --client-ca store with purpose sslclient
 * (RFC 5280 §4.2.1.12 extendedKeyUsage id-kp-clientAuth when present) at the current time. A verified
 * certificate is an admin when its SHA-256 (over the DER) is one of --admin-cert-sha256, or when it also
 * verifies against the --admin-client-ca store.
 *
 * Verification costs signature checks, and a keep-alive connection sends many requests with one
 * certificate: the result is kept per connection (MHD's socket context, allocated by api_tls_conn_notify)
 * under the leaf's fingerprint and redone after API_TLS_RECHECK_S, so an expiring certificate stops
 * working on a long-lived connection too, and when the --client-crl set changed (its generation is part of
 * the cached result), so a revocation reaches connections that are already open.
 *
 * Revocation (--client-crl, RFC 5280 §6.3): the chain against --client-ca is verified with
 * X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL, so every certificate of the chain, not only the leaf,
 * needs a current CRL from its issuer. CRL_CHECK_ALL because the chains have intermediates (the admins CA of
 * docs/ca-service.md): revoking a compromised intermediate must cut off every certificate it issued, which
 * leaf-only checking would ignore. A certificate whose issuer has no CRL loaded fails ("unable to get
 * certificate CRL"), as does one whose CRL is past its nextUpdate ("CRL has expired"): failing closed is the
 * point of configuring CRLs. The --admin-client-ca pass checks the leaf only (X509_V_FLAG_CRL_CHECK): that
 * store may end the chain at an intermediate (partial chain) whose own issuer is not there to verify its CRL,
 * and the intermediates were already checked by the --client-ca pass that has to succeed first.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "api_internal.h"

/*
 * Verify LEAF (+ UNTRUSTED intermediates) against STORE for a TLS client at NOW; reason into WHY. With CRLS
 * (borrowed), revocation is checked with CRL_FLAGS.
 */
static bool chain_verify(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls,
			 unsigned long crl_flags, int64_t now, char *why, size_t why_size)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = ctx && X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1 &&
		  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1;

	if (ok) {
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
		if (crls) {
			X509_STORE_CTX_set0_crls(ctx, crls);
			X509_STORE_CTX_set_flags(ctx, crl_flags);
		}
		ok = X509_verify_cert(ctx) == 1;
		if (!ok && why)
			snprintf(why, why_size, "%s (depth %d)",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
				 X509_STORE_CTX_get_error_depth(ctx));
	} else if (why) {
		snprintf(why, why_size, "cannot set up the verification");
	}
	X509_STORE_CTX_free(ctx);
	return ok;
}

/* DER bytes (exactly one certificate, nothing after it) into an X509. */
static X509 *der_cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (len == 0 || len > API_TLS_FILE_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

void api_tls_client_check(const struct api_tls *tls, const struct api_tls_peer *peer, int64_t now,
			  struct api_client *out)
{
	X509 *leaf = NULL;
	STACK_OF(X509) *untrusted = NULL;
	STACK_OF(X509_CRL) *crls = NULL;

	memset(out, 0, sizeof(*out));
	if (!tls || !tls->client_ca || !peer || peer->n == 0)
		return;
	out->cert = API_CLIENT_UNVERIFIED;
	out->checked_at = now;
	SHA256(peer->der[0], peer->len[0], out->fp);
	if (!tc_is_ok(tc_hex_encode(out->fp, sizeof(out->fp), out->fp_hex, sizeof(out->fp_hex))))
		out->fp_hex[0] = '\0';
	leaf = der_cert(peer->der[0], peer->len[0]);
	untrusted = sk_X509_new_null();
	if (!leaf || !untrusted) {
		snprintf(out->why, sizeof(out->why), "the client certificate is not DER X.509");
		goto out;
	}
	for (size_t i = 1; i < peer->n; i++) {
		X509 *x = der_cert(peer->der[i], peer->len[i]);

		if (!x || sk_X509_push(untrusted, x) <= 0) {
			X509_free(x);
			snprintf(out->why, sizeof(out->why), "certificate %zu of the client chain is not DER X.509", i);
			goto out;
		}
	}
	if (tls->crls && !tc_is_ok(api_tls_crl_get(tls->crls, now, &crls, &out->crl_gen))) {
		snprintf(out->why, sizeof(out->why), "the client CRLs are not available");
		goto out;
	}
	if (!chain_verify(tls->client_ca, leaf, untrusted, crls, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL, now,
			  out->why, sizeof(out->why)))
		goto out;
	out->cert = API_CLIENT_VERIFIED;
	for (size_t i = 0; i < tls->n_admin_fp && !out->admin; i++)
		out->admin = tc_ct_equal(out->fp, tls->admin_fp[i], sizeof(out->fp));
	if (!out->admin && tls->admin_ca)
		out->admin = chain_verify(tls->admin_ca, leaf, untrusted, crls, X509_V_FLAG_CRL_CHECK, now, NULL, 0);
out:
	ERR_clear_error(); /* verification failures leave nothing for the next request */
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
}

void api_client_identify(struct api_request *req)
{
	const struct api_tls *tls = req->server->cfg.tls;
	const union MHD_ConnectionInfo *info;
	struct api_client *cached;
	struct api_tls_peer peer;
	uint8_t fp[32];
	int64_t now;

	memset(&req->client, 0, sizeof(req->client));
	if (!tls || !tls->client_ca || !api_tls_peer_cert_der(req->conn, &peer))
		return;
	now = (int64_t)time(NULL);
	info = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	cached = info ? info->socket_context : NULL;
	SHA256(peer.der[0], peer.len[0], fp);
	/* A cached result stands for the CRLs it was checked against: a reload makes it stale. */
	if (cached && cached->cert != API_CLIENT_NONE && memcmp(cached->fp, fp, sizeof(fp)) == 0 &&
	    now >= cached->checked_at && now - cached->checked_at < API_TLS_RECHECK_S &&
	    cached->crl_gen == api_tls_crl_generation(tls->crls, now)) {
		req->client = *cached;
		return;
	}
	api_tls_client_check(tls, &peer, now, &req->client);
	if (cached)
		*cached = req->client;
	json_t *fields =
		json_pack("{s:s, s:b, s:b, s:s}", "fingerprint", req->client.fp_hex, "verified",
			  req->client.cert == API_CLIENT_VERIFIED, "admin", req->client.admin, "why", req->client.why);

	if (fields)
		tc_log_fields(req->client.cert == API_CLIENT_VERIFIED ? TC_LOG_DEBUG : TC_LOG_WARN, "tls_client_cert",
			      fields);
	json_decref(fields);
}

void api_tls_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			 enum MHD_ConnectionNotificationCode toe)
{
	const struct api_server *s = cls;

	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Only HTTPS servers that request client certificates keep a cache; calloc failing just means none. */
		if (s->cfg.tls && s->cfg.tls->client_ca)
			*socket_context = calloc(1, sizeof(struct api_client));
		return;
	}
	free(*socket_context);
	*socket_context = NULL;
}

bool api_request_client_fp(const struct api_request *req, uint8_t out[32])
{
	if (!req || req->client.cert != API_CLIENT_VERIFIED)
		return false;
	memcpy(out, req->client.fp, sizeof(req->client.fp));
	return true;
}
