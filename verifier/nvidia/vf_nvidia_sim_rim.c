/*
 * vf_nvidia_sim_rim.c — simulated NVIDIA reference integrity manifests: ISO/IEC 19770-2 SWID tags with the
 * TCG RIM Information Model Meta attributes, shaped like NVIDIA's driver / VBIOS RIMs (one Resource per
 * measurement index 0..63, RIM index i = SPDM block i+1), with an enveloped W3C XML-DSig signature made by
 * xmlsec1 (xmlSecDSigCtxSign): Canonical XML 1.1 for SignedInfo and the reference, SHA-384 digest,
 * ecdsa-sha384 (RFC 6931 §2.3.6), KeyInfo/X509Data with the signer chain leaf first — what
 * vf_nvidia_rim.c verifies.
 *
 * Faults for the conformance set: a Hash0 edited after signing (reference digest fails), a flipped bit in
 * SignatureValue, a chain to a freshly generated unpinned root, a signer certificate that expired a year ago.
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/openssl/evp.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_RIM_MAX (1024u * 1024u)
#define VF_NV_SIM_RIM_CERT_MAX (16u * 1024u)
#define VF_NV_SIM_SWID_NS "http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define VF_NV_SIM_SHA384_NS "http://www.w3.org/2001/04/xmlenc#sha384"
#define VF_NV_SIM_TCG_RIM_NS                                                                                           \
	"https://trustedcomputinggroup.org/resource/tcg-reference-integrity-manifest-rim-information-model/"
#define VF_NV_SIM_DSIG_PREFIX "ds"
#define VF_NV_SIM_VENDOR_ID "5703" /* NVIDIA's PCI-SIG / IANA id as NVIDIA RIMs write it */
#define VF_NV_SIM_YEAR (365 * 86400)
#define VF_NV_SIM_TAMPER_INDEX 1 /* the RIM index whose Hash0 the tampered RIM edits (VBIOS) */
#define VF_NV_SIM_TAMPER_INDEX_DRIVER 7

/* The SWID body (before the signature). Versions are written in upper case like NVIDIA's VBIOS RIMs. */
static TC_RESULT vf_nv_sim_rim_body(const uint8_t meas[VF_NV_SIM_BLOCKS][VF_NV_SIM_MEAS_LEN],
				    enum vf_nv_sim_rim_kind kind, const char *version, struct tc_buf *x)
{
	bool drv = kind == VF_NV_SIM_RIM_DRIVER;
	char upper[VF_RIM_VERSION_MAX], tag[2 * 48 + 1];
	uint8_t tag_digest[48];
	struct tc_buf id;
	struct tc_result r = tc_ok();

	TC_ENSURE(strlen(version) < sizeof(upper), TC_ERR_INVALID_ARGUMENT, "RIM version too long");
	for (size_t i = 0; i <= strlen(version); i++)
		upper[i] = (char)(version[i] >= 'a' && version[i] <= 'f' && !drv ? version[i] - 'a' + 'A' : version[i]);
	tc_buf_init(&id, VF_NV_SIM_RIM_CERT_MAX);
	TC_GUARD_GOTO(r, tc_buf_appendf(&id, "teecert-sim/%s/%s", drv ? "driver" : "vbios", upper), out);
	TC_GUARD_GOTO(r, vf_sha384(id.data, id.len, tag_digest), out);
	TC_GUARD_GOTO(r, tc_hex_encode(tag_digest, sizeof(tag_digest), tag, sizeof(tag)), out);
	TC_GUARD_GOTO(
		r,
		tc_buf_appendf(
			x,
			"<SoftwareIdentity xmlns=\"%s\" xmlns:SHA384=\"%s\" corpus=\"false\" name=\"%s\" "
			"patch=\"false\" supplemental=\"false\" tagId=\"%s\" version=\"1.0\" tagVersion=\"0\">\n"
			"    <Entity name=\"NVIDIA Corporation (teecert sim)\" role=\"softwareCreator tagCreator\"/>\n"
			"    <Meta xmlns:rim=\"%s\" colloquialVersion=\"%s\" edition=\"%s\" product=\"%s\" "
			"revision=\"r1\" PayloadType=\"direct\" rim:BindingSpec=\"RIMIM\" "
			"rim:BindingSpecVersion=\"1.01\" rim:PlatformManufacturerId=\"%s\" "
			"rim:PlatformManufacturerStr=\"NVIDIA Corporation\" rim:PlatformModel=\"%s\" "
			"rim:FirmwareManufacturer=\"NVIDIA Corporation\" rim:FirmwareManufacturerId=\"%s\"/>\n"
			"    <Payload>\n",
			VF_NV_SIM_SWID_NS, VF_NV_SIM_SHA384_NS, VF_NV_SIM_PRODUCT, tag, VF_NV_SIM_TCG_RIM_NS, upper,
			drv ? "driver" : "GPU", VF_NV_SIM_PRODUCT, VF_NV_SIM_VENDOR_ID, VF_NV_SIM_PRODUCT,
			VF_NV_SIM_VENDOR_ID),
		out);
	for (size_t i = 0; i < VF_NV_SIM_BLOCKS; i++) {
		char hex[2 * VF_NV_SIM_MEAS_LEN + 1], alt[2 * VF_NV_SIM_MEAS_LEN + 1];
		bool active = vf_nv_sim_rim_active(kind, i);
		uint8_t other[VF_NV_SIM_MEAS_LEN];

		if (active) {
			TC_GUARD_GOTO(r, tc_hex_encode(meas[i], VF_NV_SIM_MEAS_LEN, hex, sizeof(hex)), out);
		} else {
			memset(hex, '0', 2 * VF_NV_SIM_MEAS_LEN);
			hex[2 * VF_NV_SIM_MEAS_LEN] = 0;
		}
		if (active && i == VF_NV_SIM_ALT_RIM_INDEX) {
			/* Two reference values; the evidence carries the second (any alternative matches). */
			memcpy(other, meas[i], sizeof(other));
			other[sizeof(other) - 1] ^= 0x5A;
			TC_GUARD_GOTO(r, tc_hex_encode(other, sizeof(other), alt, sizeof(alt)), out);
			TC_GUARD_GOTO(
				r,
				tc_buf_appendf(x,
					       "        <Resource type=\"Measurement\" index=\"%zu\" active=\"True\" "
					       "alternatives=\"2\" SHA384:Hash0=\"%s\" SHA384:Hash1=\"%s\" "
					       "name=\"HashedMeasurement_%zu\" size=\"%d\"/>\n",
					       i, alt, hex, i, VF_NV_SIM_MEAS_LEN),
				out);
			continue;
		}
		TC_GUARD_GOTO(r,
			      tc_buf_appendf(x,
					     "        <Resource type=\"Measurement\" index=\"%zu\" active=\"%s\" "
					     "alternatives=\"1\" SHA384:Hash0=\"%s\" name=\"%s_%zu\" size=\"%d\"/>\n",
					     i, active ? "True" : "False", hex,
					     active ? "HashedMeasurement" : "Measurement", i, VF_NV_SIM_MEAS_LEN),
			      out);
	}
	r = tc_buf_append_str(x, "    </Payload>\n</SoftwareIdentity>\n");
out:
	tc_buf_cleanup(&id);
	return r;
}

/* Signature template: enveloped, c14n 1.1, SHA-384, ecdsa-sha384; KeyInfo/X509Data with CERTS. */
static TC_RESULT vf_nv_sim_rim_template(xmlDocPtr doc, STACK_OF(X509) *certs, xmlNodePtr *sig_out)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), sig, ref, key_info, x509_data;
	struct tc_buf b64;
	struct tc_result r = tc_ok();

	sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformInclC14N11Id, xmlSecTransformEcdsaSha384Id, NULL,
					      BAD_CAST VF_NV_SIM_DSIG_PREFIX);
	TC_ENSURE(sig != NULL, TC_ERR_INTERNAL, "xmlsec: signature template");
	if (xmlAddChild(root, sig) == NULL) {
		xmlFreeNode(sig);
		return tc_fail(TC_ERR_INTERNAL, "xmlsec: adding the signature node");
	}
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha384Id, NULL, BAD_CAST "", NULL);
	TC_ENSURE(ref != NULL && xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) != NULL &&
			  xmlSecTmplReferenceAddTransform(ref, xmlSecTransformInclC14N11Id) != NULL,
		  TC_ERR_INTERNAL, "xmlsec: reference template");
	key_info = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	x509_data = key_info != NULL ? xmlSecTmplKeyInfoAddX509Data(key_info) : NULL;
	TC_ENSURE(x509_data != NULL, TC_ERR_INTERNAL, "xmlsec: KeyInfo template");
	tc_buf_init(&b64, VF_NV_SIM_RIM_CERT_MAX);
	for (int i = 0; i < sk_X509_num(certs); i++) {
		unsigned char *p = NULL;
		int len = i2d_X509(sk_X509_value(certs, i), &p);
		xmlNodePtr cert;

		TC_ENSURE_GOTO(r, len > 0, out, TC_ERR_CRYPTO, "i2d_X509");
		tc_buf_reset(&b64);
		r = tc_base64_encode(p, (size_t)len, &b64);
		OPENSSL_free(p);
		if (!tc_is_ok(r))
			goto out;
		cert = xmlSecAddChild(x509_data, xmlSecNodeX509Certificate, xmlSecDSigNs);
		TC_ENSURE_GOTO(r, cert != NULL, out, TC_ERR_INTERNAL, "xmlsec: X509Certificate node");
		xmlNodeSetContent(cert, BAD_CAST b64.data);
	}
	*sig_out = sig;
out:
	tc_buf_cleanup(&b64);
	return r;
}

static TC_RESULT vf_nv_sim_rim_xmlsign(xmlNodePtr sig, EVP_PKEY *signer_key)
{
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	xmlSecKeyDataPtr data = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(ctx != NULL, TC_ERR_NO_MEMORY, "xmlSecDSigCtxCreate");
	TC_ENSURE_GOTO(r, EVP_PKEY_up_ref(signer_key) == 1, out, TC_ERR_CRYPTO, "EVP_PKEY_up_ref");
	data = xmlSecOpenSSLEvpKeyAdopt(signer_key);
	if (data == NULL) {
		EVP_PKEY_free(signer_key);
		r = tc_fail(TC_ERR_INTERNAL, "xmlSecOpenSSLEvpKeyAdopt failed");
		goto out;
	}
	ctx->signKey = xmlSecKeyCreate();
	TC_ENSURE_GOTO(r, ctx->signKey != NULL && xmlSecKeySetValue(ctx->signKey, data) == 0, out, TC_ERR_INTERNAL,
		       "xmlsec: signing key");
	data = NULL; /* owned by the key */
	TC_ENSURE_GOTO(r, xmlSecDSigCtxSign(ctx, sig) == 0, out, TC_ERR_CRYPTO, "xmlSecDSigCtxSign failed");
out:
	tc_openssl_clear();
	if (data != NULL)
		xmlSecKeyDataDestroy(data);
	xmlSecDSigCtxDestroy(ctx);
	return r;
}

/* Edit one Resource's Hash0 after signing (the reference digest no longer matches). */
static TC_RESULT vf_nv_sim_rim_tamper(xmlDocPtr doc, enum vf_nv_sim_rim_kind kind)
{
	char want[8];
	xmlNodePtr payload = NULL;

	snprintf(want, sizeof(want), "%d",
		 kind == VF_NV_SIM_RIM_DRIVER ? VF_NV_SIM_TAMPER_INDEX_DRIVER : VF_NV_SIM_TAMPER_INDEX);
	for (xmlNodePtr n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST "Payload") == 0)
			payload = n;
	TC_ENSURE(payload != NULL, TC_ERR_INTERNAL, "RIM without Payload");
	for (xmlNodePtr n = payload->children; n != NULL; n = n->next) {
		xmlChar *index;
		bool hit;
		xmlNsPtr ns;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		index = xmlGetNoNsProp(n, BAD_CAST "index");
		hit = index != NULL && xmlStrcmp(index, BAD_CAST want) == 0;
		xmlFree(index);
		if (!hit)
			continue;
		ns = xmlSearchNsByHref(doc, n, BAD_CAST VF_NV_SIM_SHA384_NS);
		TC_ENSURE(ns != NULL, TC_ERR_INTERNAL, "RIM without the SHA384 namespace");
		{
			char hex[2 * VF_NV_SIM_MEAS_LEN + 1];

			memset(hex, 'f', sizeof(hex) - 1);
			hex[sizeof(hex) - 1] = 0;
			TC_ENSURE(xmlSetNsProp(n, ns, BAD_CAST "Hash0", BAD_CAST hex) != NULL, TC_ERR_NO_MEMORY,
				  "RIM tamper");
		}
		return tc_ok();
	}
	return tc_fail(TC_ERR_INTERNAL, "RIM index %s not found", want);
}

/* Flip one bit of the decoded SignatureValue and store it back. */
static TC_RESULT vf_nv_sim_rim_badsig(xmlNodePtr sig)
{
	xmlNodePtr value = xmlSecFindChild(sig, xmlSecNodeSignatureValue, xmlSecDSigNs);
	xmlChar *text = value != NULL ? xmlNodeGetContent(value) : NULL;
	struct tc_buf clean, raw, b64;
	struct tc_result r = tc_ok();

	tc_buf_init(&clean, VF_NV_SIM_RIM_CERT_MAX);
	tc_buf_init(&raw, VF_NV_SIM_RIM_CERT_MAX);
	tc_buf_init(&b64, VF_NV_SIM_RIM_CERT_MAX);
	TC_ENSURE_GOTO(r, text != NULL, out, TC_ERR_INTERNAL, "RIM without SignatureValue");
	for (const xmlChar *c = text; *c; c++)
		if (*c != '\n' && *c != '\r' && *c != ' ' && *c != '\t')
			TC_GUARD_GOTO(r, tc_buf_append_u8(&clean, *c), out);
	TC_GUARD_GOTO(r, tc_base64_decode((const char *)clean.data, clean.len, &raw), out);
	TC_ENSURE_GOTO(r, raw.len > 0, out, TC_ERR_INTERNAL, "empty SignatureValue");
	raw.data[raw.len / 4] ^= 0x01;
	TC_GUARD_GOTO(r, tc_base64_encode(raw.data, raw.len, &b64), out);
	xmlNodeSetContent(value, BAD_CAST b64.data);
out:
	xmlFree(text);
	tc_buf_cleanup(&clean);
	tc_buf_cleanup(&raw);
	tc_buf_cleanup(&b64);
	return r;
}

TC_RESULT vf_nv_sim_rim_sign(const uint8_t meas[VF_NV_SIM_BLOCKS][VF_NV_SIM_MEAS_LEN], enum vf_nv_sim_rim_kind kind,
			     const char *version, EVP_PKEY *signer_key, STACK_OF(X509) *certs,
			     enum vf_nv_sim_rim_fault fault, struct tc_buf *out)
{
	struct tc_buf body;
	xmlDocPtr doc = NULL;
	xmlNodePtr sig = NULL;
	xmlChar *dump = NULL;
	int dump_len = 0;
	struct tc_result r = tc_ok();

	TC_GUARD(vf_rim_xmlsec_init());
	tc_buf_init(&body, VF_NV_SIM_RIM_MAX);
	TC_GUARD_GOTO(r, vf_nv_sim_rim_body(meas, kind, version, &body), out);
	doc = xmlReadMemory((const char *)body.data, (int)body.len, NULL, "UTF-8", XML_PARSE_NONET);
	TC_ENSURE_GOTO(r, doc != NULL, out, TC_ERR_INTERNAL, "sim RIM body is not well-formed");
	TC_GUARD_GOTO(r, vf_nv_sim_rim_template(doc, certs, &sig), out);
	TC_GUARD_GOTO(r, vf_nv_sim_rim_xmlsign(sig, signer_key), out);
	if (fault == VF_NV_SIM_RIM_TAMPERED)
		TC_GUARD_GOTO(r, vf_nv_sim_rim_tamper(doc, kind), out);
	if (fault == VF_NV_SIM_RIM_BAD_SIG)
		TC_GUARD_GOTO(r, vf_nv_sim_rim_badsig(sig), out);
	xmlDocDumpMemoryEnc(doc, &dump, &dump_len, "UTF-8");
	TC_ENSURE_GOTO(r, dump != NULL && dump_len > 0, out, TC_ERR_NO_MEMORY, "xmlDocDumpMemory");
	r = tc_buf_append(out, dump, (size_t)dump_len);
out:
	xmlFree(dump);
	xmlFreeDoc(doc);
	tc_buf_cleanup(&body);
	return r;
}

/* A throwaway root -> CA -> signer chain that no policy pins (the foreign-root fault). */
static TC_RESULT vf_nv_sim_foreign_chain(int64_t now, EVP_PKEY **signer_key, STACK_OF(X509) *chain)
{
	EVP_PKEY *root_key = NULL, *ca_key = NULL;
	X509 *root = NULL, *ca = NULL, *signer = NULL;
	struct vf_nv_sim_cert_spec spec = {
		.subject = { .cn = "Foreign RIM Root (teecert sim)", .o = "Not NVIDIA (teecert sim)" },
		.ca = true,
		.pathlen = -1,
		.not_before = now - VF_NV_SIM_YEAR,
		.not_after = now + VF_NV_SIM_YEAR,
		.simulated_root = true,
	};
	struct tc_result r = tc_ok();

	TC_GUARD_GOTO(r, vf_sim_key_new(VF_NV_SIM_CURVE, &root_key), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_issue(&spec, root_key, NULL, root_key, &root), out);
	spec.subject.cn = "Foreign RIM CA (teecert sim)";
	spec.simulated_root = false;
	TC_GUARD_GOTO(r, vf_sim_key_new(VF_NV_SIM_CURVE, &ca_key), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_issue(&spec, ca_key, root, root_key, &ca), out);
	spec.subject.cn = "Foreign RIM Signer (teecert sim)";
	spec.ca = false;
	TC_GUARD_GOTO(r, vf_sim_key_new(VF_NV_SIM_CURVE, signer_key), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_issue(&spec, *signer_key, ca, ca_key, &signer), out);
	TC_ENSURE_GOTO(r, sk_X509_push(chain, signer) > 0, out, TC_ERR_NO_MEMORY, "chain");
	signer = NULL;
	TC_ENSURE_GOTO(r, sk_X509_push(chain, ca) > 0, out, TC_ERR_NO_MEMORY, "chain");
	ca = NULL;
	TC_ENSURE_GOTO(r, sk_X509_push(chain, root) > 0, out, TC_ERR_NO_MEMORY, "chain");
	root = NULL;
out:
	X509_free(root);
	X509_free(ca);
	X509_free(signer);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	return r;
}

/* The sim RIM signer re-issued by the RIM CA with a window that ended a year before NOW. */
static TC_RESULT vf_nv_sim_expired_signer(const struct vf_nv_sim_pki *pki, int64_t now, X509 **out)
{
	X509 *signer = X509_dup(pki->rim_signer);

	TC_ENSURE(signer != NULL, TC_ERR_NO_MEMORY, "X509_dup");
	if (ASN1_TIME_set(X509_getm_notBefore(signer), (time_t)(now - 2 * VF_NV_SIM_YEAR)) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(signer), (time_t)(now - VF_NV_SIM_YEAR)) == NULL ||
	    X509_sign(signer, pki->rim_ca_key, EVP_sha384()) <= 0) {
		X509_free(signer);
		return tc_fail_openssl(TC_ERR_CRYPTO, "re-issuing an expired RIM signer");
	}
	*out = signer;
	return tc_ok();
}

TC_RESULT vf_nv_sim_rim(const struct vf_nv_sim_pki *pki, enum vf_nv_sim_rim_kind kind, const char *version,
			enum vf_nv_sim_rim_fault fault, int64_t now, struct tc_buf *out)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	EVP_PKEY *key = NULL;
	X509 *expired = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(chain != NULL, TC_ERR_NO_MEMORY, "chain");
	if (version == NULL)
		version = kind == VF_NV_SIM_RIM_DRIVER ? pki->driver_version : pki->vbios_version;
	if (fault == VF_NV_SIM_RIM_FOREIGN_ROOT) {
		TC_GUARD_GOTO(r, vf_nv_sim_foreign_chain(now, &key, chain), out);
	} else {
		if (fault == VF_NV_SIM_RIM_EXPIRED_SIGNER)
			TC_GUARD_GOTO(r, vf_nv_sim_expired_signer(pki, now, &expired), out);
		TC_ENSURE_GOTO(r, EVP_PKEY_up_ref(pki->rim_signer_key) == 1, out, TC_ERR_CRYPTO, "EVP_PKEY_up_ref");
		key = pki->rim_signer_key;
		TC_ENSURE_GOTO(r,
			       X509_up_ref(expired != NULL ? expired : pki->rim_signer) == 1 &&
				       sk_X509_push(chain, expired != NULL ? expired : pki->rim_signer) > 0,
			       out, TC_ERR_NO_MEMORY, "chain");
		TC_ENSURE_GOTO(r, X509_up_ref(pki->rim_ca) == 1 && sk_X509_push(chain, pki->rim_ca) > 0, out,
			       TC_ERR_NO_MEMORY, "chain");
		TC_ENSURE_GOTO(r, X509_up_ref(pki->rim_root) == 1 && sk_X509_push(chain, pki->rim_root) > 0, out,
			       TC_ERR_NO_MEMORY, "chain");
	}
	r = vf_nv_sim_rim_sign((const uint8_t(*)[VF_NV_SIM_MEAS_LEN])pki->meas, kind, version, key, chain, fault, out);
out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(expired);
	EVP_PKEY_free(key);
	return r;
}
