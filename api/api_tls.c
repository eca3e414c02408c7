/*
 * api_tls.c — the only file that speaks GnuTLS. libmicrohttpd's HTTPS is built on GnuTLS, so the client
 * certificate a TLS client presented lives in MHD's GnuTLS session; this file copies out nothing but the
 * borrowed DER bytes of that certificate list (leaf first, RFC 8446 §4.4.2 / RFC 5246 §7.4.6 order).
 *
 * GnuTLS's own verification is never consulted: MHD only asks for a certificate (GNUTLS_CERT_REQUEST when a
 * trust list is configured) and GnuTLS checks the handshake signature that proves the client holds the key.
 * Whether the certificate is trusted — chain, time, purpose — is decided with OpenSSL in api_tls_client.c.
 */
#include <gnutls/gnutls.h>

#include "api_internal.h"

bool api_tls_peer_cert_der(struct MHD_Connection *conn, struct api_tls_peer *out)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	const gnutls_datum_t *peers;
	unsigned n = 0;

	if (!info || !info->tls_session)
		return false; /* plain HTTP */
	session = (gnutls_session_t)info->tls_session;
	if (gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509)
		return false;
	peers = gnutls_certificate_get_peers(session, &n);
	if (!peers || n == 0 || !peers[0].data || peers[0].size == 0)
		return false; /* no client certificate */
	out->n = 0;
	for (unsigned i = 0; i < n && out->n < API_TLS_PEER_CHAIN_MAX; i++) {
		if (!peers[i].data || peers[i].size == 0)
			break;
		out->der[out->n] = peers[i].data;
		out->len[out->n] = peers[i].size;
		out->n++;
	}
	return true;
}
