/*
 * vf_nvidia_sim_ocsp.c — OCSP responses (RFC 6960 §4.2) for the simulated NVIDIA PKI, standing in for NVIDIA's
 * OCSP service: one BasicOCSPResponse per certificate the appraiser asks about (vf_nvidia_appraise.c step 5:
 * the GPU chain without the FMC leaf and the root, the RIM signer chain without the root), signed by the
 * certificate's issuer itself (§4.2.2.2), CertID over SHA-384, ResponderID by name, no certificates
 * embedded (the verifier knows the issuer). thisUpdate an hour before NOW, nextUpdate a week after.
 */
#include <openssl/ocsp.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_OCSP_MAX (64u * 1024u)
#define VF_NV_SIM_HOUR 3600
#define VF_NV_SIM_DAY_S 86400
#define VF_NV_SIM_WEEK (7 * VF_NV_SIM_DAY_S)

/* One response for CERT issued by ISSUER (key ISSUER_KEY) with FAULT, DER appended to OUT. */
static TC_RESULT vf_nv_sim_ocsp_one(X509 *cert, X509 *issuer, EVP_PKEY *issuer_key, enum vf_nv_sim_ocsp_fault fault,
				    int64_t now, struct tc_buf *out)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha384(), cert, issuer);
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *this_upd = ASN1_TIME_set(NULL, (time_t)(now - VF_NV_SIM_HOUR));
	ASN1_TIME *next_upd = ASN1_TIME_set(
		NULL, (time_t)(fault == VF_NV_SIM_OCSP_STALE ? now - VF_NV_SIM_DAY_S : now + VF_NV_SIM_WEEK));
	ASN1_TIME *rev_time = ASN1_TIME_set(NULL, (time_t)(now - VF_NV_SIM_DAY_S));
	bool revoked = fault == VF_NV_SIM_OCSP_REVOKED || fault == VF_NV_SIM_OCSP_ON_HOLD;
	int reason = fault == VF_NV_SIM_OCSP_ON_HOLD ? OCSP_REVOKED_STATUS_CERTIFICATEHOLD :
						       OCSP_REVOKED_STATUS_KEYCOMPROMISE;
	unsigned char *der = NULL;
	int len;
	struct tc_result r = tc_ok();

	if (id == NULL || bs == NULL || this_upd == NULL || next_upd == NULL || rev_time == NULL ||
	    OCSP_basic_add1_status(bs, id, revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
				   revoked ? reason : -1, revoked ? rev_time : NULL, this_upd, next_upd) == NULL ||
	    OCSP_basic_sign(bs, issuer, issuer_key, EVP_sha384(), NULL, OCSP_NOCERTS) != 1 ||
	    (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(resp, &der)) <= 0) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "building an OCSP response");
		goto out;
	}
	/* Without embedded certificates the signature BIT STRING ends the DER: its last byte is the low byte of
	 * the ECDSA s value, so flipping it keeps the structure and breaks the signature. */
	if (fault == VF_NV_SIM_OCSP_BAD_SIG)
		der[len - 1] ^= 0x01;
	r = tc_buf_append(out, der, (size_t)len);
out:
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(this_upd);
	ASN1_TIME_free(next_upd);
	ASN1_TIME_free(rev_time);
	return r;
}

TC_RESULT vf_nv_sim_ocsp(const struct vf_nv_sim_pki *pki, size_t gpu, enum vf_nv_sim_ocsp_fault fault,
			 enum vf_nv_sim_ocsp_target target, int64_t now, struct tc_buf out[VF_NV_SIM_OCSP_RESPONSES])
{
	STACK_OF(X509) *chain;

	TC_ENSURE(gpu < pki->n_gpus, TC_ERR_INVALID_ARGUMENT, "GPU %zu: the sim PKI has %zu", gpu, pki->n_gpus);
	chain = pki->gpus[gpu].chain;
	/* chain: FMC leaf, BROM, ICA, GH100 identity, root; certificate i+1 is issued by i+2. */
	for (int i = 0; i < VF_NV_SIM_DEVICE_CAS; i++)
		TC_GUARD(vf_nv_sim_ocsp_one(
			sk_X509_value(chain, i + 1), sk_X509_value(chain, i + 2), pki->device_ca_keys[i],
			target == VF_NV_SIM_OCSP_TARGET_GPU && i == 0 ? fault : VF_NV_SIM_OCSP_GOOD, now, &out[i]));
	TC_GUARD(vf_nv_sim_ocsp_one(pki->rim_signer, pki->rim_ca, pki->rim_ca_key,
				    target == VF_NV_SIM_OCSP_TARGET_RIM ? fault : VF_NV_SIM_OCSP_GOOD, now,
				    &out[VF_NV_SIM_DEVICE_CAS]));
	return vf_nv_sim_ocsp_one(pki->rim_ca, pki->rim_root, pki->rim_root_key, VF_NV_SIM_OCSP_GOOD, now,
				  &out[VF_NV_SIM_DEVICE_CAS + 1]);
}
