/*
 * vf_nvidia_rim.c — NVIDIA reference integrity manifests: ISO/IEC 19770-2 SWID tags with TCG RIM
 * (PC Client RIM / RIM Information Model) Meta attributes, signed with an enveloped W3C XML-DSig
 * (XML Signature Syntax and Processing 1.1: ecdsa-sha384 per RFC 6931 §2.3.6, SHA-384 digest, Canonical
 * XML 1.1 / exclusive c14n).
 *
 * Untrusted XML: parsed with XML_PARSE_NONET, no DTD loading, no entity substitution, a size limit, and
 * documents carrying a DTD are refused; the external entity loader refuses everything. xmlsec1 is told to
 * accept only same-document references (URI="") and only the transforms these RIMs use; the key comes from
 * the signer certificate in KeyInfo/X509Data, whose chain the appraiser verifies to the pinned RIM root
 * first (vf_x509_verify_chain), never from xmlsec's own key manager.
 *
 * Content (facts from NVIDIA nvtrust rim/__init__.py): Meta@colloquialVersion is the driver/VBIOS version;
 * each Payload/Resource[@type="Measurement"] has index (0-based; RIM index i = SPDM block i+1), active,
 * alternatives, size and Hash0..Hash<alternatives-1> (hex) attributes.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>

#include "vf_nvidia.h"

#define VF_RIM_MAX_CERTS 8
#define VF_RIM_MAX_CERT_B64 (16u * 1024u)

struct vf_rim_doc {
	xmlDocPtr doc;
	xmlNodePtr signature;
	STACK_OF(X509) *certs;
};

/* ------------------------------------------------------------------------------------------ init */

static pthread_once_t vf_rim_once = PTHREAD_ONCE_INIT;
static bool vf_rim_ready;

static xmlParserInputPtr vf_rim_no_entities(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL; /* untrusted XML never loads external entities or DTDs */
}

static void vf_rim_init_once(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(vf_rim_no_entities);
	if (xmlSecInit() < 0)
		return;
	if (xmlSecCheckVersion() != 1)
		return;
	xmlSecErrorsDefaultCallbackEnableOutput(0);
	if (xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0)
		return;
	vf_rim_ready = true;
}

TC_RESULT vf_rim_xmlsec_init(void)
{
	pthread_once(&vf_rim_once, vf_rim_init_once);
	TC_ENSURE(vf_rim_ready, TC_ERR_INTERNAL, "xmlsec1 initialisation failed");
	return tc_ok();
}

/* ----------------------------------------------------------------------------------------- parse */

static bool vf_xml_is(const xmlNode *n, const char *name, const char *ns)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0 &&
	       (ns == NULL || (n->ns != NULL && xmlStrcmp(n->ns->href, BAD_CAST ns) == 0));
}

static xmlNodePtr vf_xml_child(xmlNodePtr parent, const char *name, const char *ns)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n != NULL; n = n->next)
		if (vf_xml_is(n, name, ns))
			return n;
	return NULL;
}

static size_t vf_xml_count(xmlNodePtr n, const char *name, const char *ns)
{
	size_t count = 0;

	for (; n != NULL; n = n->next) {
		if (vf_xml_is(n, name, ns))
			count++;
		if (n->type == XML_ELEMENT_NODE)
			count += vf_xml_count(n->children, name, ns);
	}
	return count;
}

/* Base64 text of an X509Certificate element (line breaks allowed) -> X509. */
static TC_RESULT vf_rim_cert(xmlNodePtr node, X509 **out)
{
	xmlChar *text = xmlNodeGetContent(node);
	struct tc_buf b64, der;
	struct tc_result r = tc_ok();
	const uint8_t *p;

	tc_buf_init(&b64, VF_RIM_MAX_CERT_B64);
	tc_buf_init(&der, VF_RIM_MAX_CERT_B64);
	TC_ENSURE_GOTO(r, text != NULL, out, TC_ERR_RIM_CHAIN_INVALID, "RIM X509Certificate is empty");
	for (const xmlChar *c = text; *c; c++)
		if (!isspace(*c))
			TC_GUARD_GOTO(r, tc_buf_append_u8(&b64, *c), fail);
	TC_GUARD_GOTO(r, tc_base64_decode((const char *)b64.data, b64.len, &der), fail);
	p = der.data;
	*out = d2i_X509(NULL, &p, (long)der.len);
	if (*out != NULL && p != der.data + der.len) { /* a certificate with bytes after it: not ours to keep */
		X509_free(*out);
		*out = NULL;
	}
	TC_ENSURE_GOTO(r, *out != NULL, fail, TC_ERR_RIM_CHAIN_INVALID, "RIM X509Certificate is not one DER certificate");
	goto out;
fail:
	if (r.code != TC_ERR_RIM_CHAIN_INVALID)
		r = tc_fail(TC_ERR_RIM_CHAIN_INVALID, "RIM X509Certificate does not decode: %s", tc_error_detail());
	tc_openssl_clear();
out:
	xmlFree(text);
	tc_buf_cleanup(&b64);
	tc_buf_cleanup(&der);
	return r;
}

void vf_rim_doc_free(struct vf_rim_doc **doc)
{
	if (*doc == NULL)
		return;
	xmlFreeDoc((*doc)->doc);
	sk_X509_pop_free((*doc)->certs, X509_free);
	free(*doc);
	*doc = NULL;
}

STACK_OF(X509) *vf_rim_doc_certs(const struct vf_rim_doc *doc)
{
	return doc->certs;
}

TC_RESULT vf_rim_doc_parse(const uint8_t *xml, size_t len, struct vf_rim_doc **out)
{
	struct vf_rim_doc *d;
	struct tc_result r = tc_ok();
	xmlNodePtr root, key_info, x509_data;

	TC_GUARD(vf_rim_xmlsec_init());
	TC_ENSURE(len > 0 && len <= VF_RIM_MAX_BYTES, TC_ERR_RIM_SIGNATURE_INVALID,
		  "RIM of %zu bytes (limit %u)", len, VF_RIM_MAX_BYTES);
	d = calloc(1, sizeof(*d));
	TC_ENSURE(d != NULL, TC_ERR_NO_MEMORY, "out of memory");
	d->doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	TC_ENSURE_GOTO(r, d->doc != NULL, out, TC_ERR_RIM_SIGNATURE_INVALID, "RIM is not well-formed XML");
	TC_ENSURE_GOTO(r, d->doc->intSubset == NULL && d->doc->extSubset == NULL, out, TC_ERR_RIM_SIGNATURE_INVALID,
		       "RIM carries a DTD, which is refused");
	root = xmlDocGetRootElement(d->doc);
	TC_ENSURE_GOTO(r, vf_xml_is(root, "SoftwareIdentity", NULL), out, TC_ERR_RIM_SIGNATURE_INVALID,
		       "RIM root element is not SoftwareIdentity");
	/* Exactly one Signature, a child of the root: what URI="" + enveloped-signature signs is the whole
	 * document, so the content read later is the signed content (no wrapping). */
	TC_ENSURE_GOTO(r, vf_xml_count(root, "Signature", (const char *)xmlSecDSigNs) == 1, out,
		       TC_ERR_RIM_SIGNATURE_INVALID, "RIM must hold exactly one ds:Signature");
	d->signature = vf_xml_child(root, "Signature", (const char *)xmlSecDSigNs);
	TC_ENSURE_GOTO(r, d->signature != NULL, out, TC_ERR_RIM_SIGNATURE_INVALID,
		       "RIM ds:Signature is not a child of SoftwareIdentity (not enveloped)");
	d->certs = sk_X509_new_null();
	TC_ENSURE_GOTO(r, d->certs != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	key_info = vf_xml_child(d->signature, "KeyInfo", (const char *)xmlSecDSigNs);
	x509_data = vf_xml_child(key_info, "X509Data", (const char *)xmlSecDSigNs);
	for (xmlNodePtr n = x509_data ? x509_data->children : NULL; n != NULL; n = n->next) {
		X509 *cert = NULL;

		if (!vf_xml_is(n, "X509Certificate", (const char *)xmlSecDSigNs))
			continue;
		TC_ENSURE_GOTO(r, sk_X509_num(d->certs) < VF_RIM_MAX_CERTS, out, TC_ERR_RIM_CHAIN_INVALID,
			       "RIM KeyInfo holds more than %d certificates", VF_RIM_MAX_CERTS);
		TC_GUARD_GOTO(r, vf_rim_cert(n, &cert), out);
		if (sk_X509_push(d->certs, cert) <= 0) {
			X509_free(cert);
			r = tc_fail(TC_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
	}
	TC_ENSURE_GOTO(r, sk_X509_num(d->certs) > 0, out, TC_ERR_RIM_CHAIN_INVALID,
		       "RIM KeyInfo/X509Data holds no signer certificate");
	*out = d;
	return tc_ok();
out:
	vf_rim_doc_free(&d);
	return r;
}

/* ------------------------------------------------------------------------------------- signature */

static TC_RESULT vf_rim_restrict(xmlSecDSigCtxPtr ctx)
{
	/* Only what NVIDIA RIMs use (W3C XML-DSig 1.1 §6 algorithm identifiers). */
	const xmlSecTransformId ref[] = { xmlSecTransformEnvelopedId, xmlSecTransformInclC14N11Id,
					  xmlSecTransformInclC14NId, xmlSecTransformExclC14NId,
					  xmlSecTransformSha384Id, xmlSecTransformSha256Id };
	const xmlSecTransformId sig[] = { xmlSecTransformInclC14N11Id, xmlSecTransformInclC14NId,
					  xmlSecTransformExclC14NId, xmlSecTransformEcdsaSha384Id };

	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
		TC_ENSURE(xmlSecDSigCtxEnableReferenceTransform(ctx, ref[i]) == 0, TC_ERR_INTERNAL,
			  "xmlsec: cannot enable a reference transform");
	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		TC_ENSURE(xmlSecDSigCtxEnableSignatureTransform(ctx, sig[i]) == 0, TC_ERR_INTERNAL,
			  "xmlsec: cannot enable a signature transform");
	return tc_ok();
}

TC_RESULT vf_rim_verify_signature(struct vf_rim_doc *doc)
{
	xmlSecDSigCtxPtr ctx = NULL;
	xmlSecKeyDataPtr data = NULL;
	EVP_PKEY *pkey = NULL;
	struct tc_result r = tc_ok();
	bool digest_ok = true;

	TC_GUARD(vf_rim_xmlsec_init());
	pkey = X509_get_pubkey(sk_X509_value(doc->certs, 0));
	TC_ENSURE_GOTO(r, pkey != NULL, out, TC_ERR_RIM_SIGNATURE_INVALID, "RIM signer certificate has no usable key");
	TC_ENSURE_GOTO(r, EVP_PKEY_base_id(pkey) == EVP_PKEY_EC, out, TC_ERR_RIM_SIGNATURE_INVALID,
		       "RIM signer key is not an EC key");
	ctx = xmlSecDSigCtxCreate(NULL);
	TC_ENSURE_GOTO(r, ctx != NULL, out, TC_ERR_NO_MEMORY, "xmlSecDSigCtxCreate failed");
	TC_GUARD_GOTO(r, vf_rim_restrict(ctx), out);
	data = xmlSecOpenSSLEvpKeyAdopt(pkey);
	TC_ENSURE_GOTO(r, data != NULL, out, TC_ERR_INTERNAL, "xmlSecOpenSSLEvpKeyAdopt failed");
	pkey = NULL; /* owned by DATA */
	ctx->signKey = xmlSecKeyCreate();
	TC_ENSURE_GOTO(r, ctx->signKey != NULL, out, TC_ERR_NO_MEMORY, "xmlSecKeyCreate failed");
	TC_ENSURE_GOTO(r, xmlSecKeySetValue(ctx->signKey, data) == 0, out, TC_ERR_INTERNAL, "xmlSecKeySetValue failed");
	data = NULL; /* owned by the key, which the context owns */
	if (xmlSecDSigCtxVerify(ctx, doc->signature) < 0) {
		r = tc_fail(TC_ERR_RIM_SIGNATURE_INVALID,
			    "RIM XML signature cannot be processed (unsupported algorithm or malformed SignedInfo)");
		goto out;
	}
	for (xmlSecSize i = 0; i < xmlSecPtrListGetSize(&ctx->signedInfoReferences); i++) {
		xmlSecDSigReferenceCtxPtr ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);

		if (ref == NULL || ref->status != xmlSecDSigStatusSucceeded)
			digest_ok = false;
	}
	TC_ENSURE_GOTO(r, ctx->status == xmlSecDSigStatusSucceeded, out, TC_ERR_RIM_SIGNATURE_INVALID,
		       "RIM XML signature invalid: %s",
		       digest_ok ? "SignatureValue does not verify with the signer key"
				 : "reference digest does not match the document (content edited)");
out:
	tc_openssl_clear();
	if (data != NULL)
		xmlSecKeyDataDestroy(data);
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

/* --------------------------------------------------------------------------------------- content */

static TC_RESULT vf_rim_attr(xmlNodePtr n, const char *name, char *out, size_t size, bool required)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	size_t len;

	if (v == NULL) {
		out[0] = 0;
		TC_ENSURE(!required, TC_ERR_MEASUREMENT_MISMATCH, "RIM element %s lacks attribute %s",
			  (const char *)n->name, name);
		return tc_ok();
	}
	len = strlen((const char *)v);
	if (len >= size) {
		xmlFree(v);
		return tc_fail(TC_ERR_MEASUREMENT_MISMATCH, "RIM attribute %s too long", name);
	}
	memcpy(out, v, len + 1);
	xmlFree(v);
	return tc_ok();
}

/* Attribute by local name in any namespace (Hash0 lives in the xmlenc#sha384 namespace). */
static xmlAttrPtr vf_rim_any_attr(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
		if (xmlStrcmp(a->name, BAD_CAST name) == 0)
			return a;
	return NULL;
}

static TC_RESULT vf_rim_uint(const char *s, unsigned long max, const char *what, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	TC_ENSURE(s[0] >= '0' && s[0] <= '9' && *end == 0 && errno == 0 && v <= max, TC_ERR_MEASUREMENT_MISMATCH,
		  "RIM %s \"%s\" is not a number in 0..%lu", what, s, max);
	*out = v;
	return tc_ok();
}

static TC_RESULT vf_rim_resource(xmlNodePtr n, struct vf_rim *out)
{
	char buf[32];
	unsigned long index, alts, size;
	struct vf_rim_meas *m;

	TC_GUARD(vf_rim_attr(n, "type", buf, sizeof(buf), false));
	if (strcmp(buf, "Measurement") != 0)
		return tc_ok();
	TC_GUARD(vf_rim_attr(n, "index", buf, sizeof(buf), true));
	TC_GUARD(vf_rim_uint(buf, VF_RIM_MAX_MEAS - 1, "index", &index));
	TC_GUARD(vf_rim_attr(n, "alternatives", buf, sizeof(buf), true));
	TC_GUARD(vf_rim_uint(buf, VF_RIM_MAX_ALTS, "alternatives", &alts));
	TC_GUARD(vf_rim_attr(n, "size", buf, sizeof(buf), true));
	TC_GUARD(vf_rim_uint(buf, VF_NV_MAX_MEAS_VALUE, "size", &size));
	m = &out->meas[index];
	TC_ENSURE(!m->present, TC_ERR_MEASUREMENT_MISMATCH, "RIM measurement index %lu repeated", index);
	TC_GUARD(vf_rim_attr(n, "active", buf, sizeof(buf), true));
	m->present = true;
	m->active = strcmp(buf, "True") == 0 || strcmp(buf, "true") == 0;
	m->size = (uint16_t)size;
	m->n_alts = (uint8_t)alts;
	TC_ENSURE(!m->active || alts > 0, TC_ERR_MEASUREMENT_MISMATCH, "RIM active index %lu has no alternatives",
		  index);
	for (unsigned long i = 0; i < alts; i++) {
		char name[16];
		xmlAttrPtr a;
		xmlChar *v;
		struct tc_result r;

		snprintf(name, sizeof(name), "Hash%u", (unsigned)(i & 0xff));
		a = vf_rim_any_attr(n, name);
		TC_ENSURE(a != NULL, TC_ERR_MEASUREMENT_MISMATCH, "RIM index %lu lacks %s", index, name);
		v = xmlNodeListGetString(n->doc, a->children, 1);
		TC_ENSURE(v != NULL, TC_ERR_MEASUREMENT_MISMATCH, "RIM index %lu: empty %s", index, name);
		r = tc_hex_decode_fixed((const char *)v, strlen((const char *)v), m->alts[i], size);
		xmlFree(v);
		TC_ENSURE(tc_is_ok(r), TC_ERR_MEASUREMENT_MISMATCH, "RIM index %lu %s is not %lu bytes of hex", index,
			  name, size);
	}
	if (m->active)
		out->n_active++;
	return tc_ok();
}

TC_RESULT vf_rim_content(const struct vf_rim_doc *doc, struct vf_rim *out)
{
	xmlNodePtr root = xmlDocGetRootElement(doc->doc);
	xmlNodePtr meta = vf_xml_child(root, "Meta", NULL);
	xmlNodePtr payload = vf_xml_child(root, "Payload", NULL);

	memset(out, 0, sizeof(*out));
	TC_ENSURE(meta != NULL && payload != NULL, TC_ERR_MEASUREMENT_MISMATCH, "RIM lacks Meta or Payload");
	TC_GUARD(vf_rim_attr(meta, "colloquialVersion", out->version, sizeof(out->version), true));
	for (char *p = out->version; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	TC_GUARD(vf_rim_attr(meta, "product", out->product, sizeof(out->product), false));
	TC_GUARD(vf_rim_attr(root, "tagId", out->tag_id, sizeof(out->tag_id), false));
	{
		xmlAttrPtr a = vf_rim_any_attr(meta, "FirmwareManufacturerId");
		xmlChar *v = a ? xmlNodeListGetString(doc->doc, a->children, 1) : NULL;

		if (v != NULL && strlen((const char *)v) < sizeof(out->manufacturer_id))
			memcpy(out->manufacturer_id, v, strlen((const char *)v) + 1);
		xmlFree(v);
	}
	for (xmlNodePtr n = payload->children; n != NULL; n = n->next)
		if (vf_xml_is(n, "Resource", NULL))
			TC_GUARD(vf_rim_resource(n, out));
	TC_ENSURE(out->n_active > 0, TC_ERR_MEASUREMENT_MISMATCH, "RIM has no active measurement");
	return tc_ok();
}
