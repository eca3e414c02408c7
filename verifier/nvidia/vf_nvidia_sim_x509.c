/*
 * vf_nvidia_sim_x509.c — keys and certificates of the simulated NVIDIA PKI (teecert sim nvidia).
 *
 * Every key is ECDSA P-384 and every certificate is signed with ecdsa-with-SHA384, like NVIDIA's device and
 * RIM chains. Profiles follow the real H100 chain (RFC 5280 §4.2): CAs carry critical basicConstraints and
 * keyUsage keyCertSign|cRLSign, signing leaves a critical keyUsage digitalSignature; all carry SKI and AKI so
 * that OpenSSL's X509_STRICT path building (vf_x509_verify_chain) accepts them. Roots get the
 * simulated-root marker (vf_x509_mark_simulated); FMC leaves get the TCG DICE TcbInfo FWID
 * (vf_nv_cert_tcbinfo_der, the form vf_nv_cert_fwid parses) and NVIDIA's UEID otherName SAN.
 */
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_SERIAL_LEN 16
#define VF_NV_SIM_UEID_OID "1.3.6.1.4.1.412.274.1" /* NVIDIA device UEID otherName (H100 FMC leaves) */
#define VF_NV_SIM_CONF_MAX 160

TC_RESULT vf_nv_sim_path(const char *dir, const char *name, char *out)
{
	int n = snprintf(out, VF_NV_SIM_PATH_MAX, "%s/%s", dir, name);

	TC_ENSURE(n > 0 && n < VF_NV_SIM_PATH_MAX, TC_ERR_INVALID_ARGUMENT, "path %s/%s too long", dir, name);
	return tc_ok();
}

static TC_RESULT vf_nv_sim_tcbinfo(X509 *x, EVP_PKEY *key, const uint8_t *fwid)
{
	struct tc_buf der;
	struct tc_result r;

	tc_buf_init(&der, VF_SIM_FILE_MAX);
	r = vf_nv_cert_tcbinfo_der(key, fwid, VF_NV_FWID_LEN, &der);
	if (tc_is_ok(r))
		r = vf_sim_ext_der(x, VF_DICE_TCBINFO_OID, der.data, der.len);
	tc_buf_cleanup(&der);
	return r;
}

static TC_RESULT vf_nv_sim_cert_fill(const struct vf_nv_sim_cert_spec *spec, EVP_PKEY *key, X509 *issuer,
				     EVP_PKEY *issuer_key, X509_NAME *name, X509 **out)
{
	char bc[VF_NV_SIM_CONF_MAX], san[VF_NV_SIM_CONF_MAX];
	const struct vf_sim_ext exts[] = {
		{ NID_basic_constraints, bc },
		{ NID_key_usage, spec->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
		{ NID_subject_alt_name, spec->ueid_san != NULL ? san : NULL },
	};
	const struct vf_sim_cert_spec cert = { .subject = name,
					       .issuer = issuer,
					       .serial_len = VF_NV_SIM_SERIAL_LEN,
					       .not_before = spec->not_before,
					       .not_after = spec->not_after,
					       .key = key,
					       .exts = exts,
					       .n_exts = sizeof(exts) / sizeof(exts[0]),
					       .simulated_root = spec->simulated_root };
	X509 *x = NULL;
	struct tc_result r = tc_ok();

	if (!spec->ca)
		snprintf(bc, sizeof(bc), "critical,CA:FALSE");
	else if (spec->pathlen >= 0)
		snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", spec->pathlen);
	else
		snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	if (spec->ueid_san != NULL)
		snprintf(san, sizeof(san), "otherName:%s;UTF8:%s", VF_NV_SIM_UEID_OID, spec->ueid_san);
	TC_GUARD(vf_sim_cert_new(&cert, &x));
	if (spec->fwid != NULL)
		TC_GUARD_GOTO(r, vf_nv_sim_tcbinfo(x, key, spec->fwid), out);
	if (X509_sign(x, issuer_key, EVP_sha384()) <= 0) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "signing a certificate");
		goto out;
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return r;
}

TC_RESULT vf_nv_sim_cert_issue(const struct vf_nv_sim_cert_spec *spec, EVP_PKEY *key, X509 *issuer,
			       EVP_PKEY *issuer_key, X509 **out)
{
	const struct vf_sim_rdn rdns[] = { { "serialNumber", spec->subject.serial },
					   { "O", spec->subject.o },
					   { "CN", spec->subject.cn } };
	X509_NAME *name = NULL;
	struct tc_result r;

	TC_GUARD(vf_sim_name(rdns, sizeof(rdns) / sizeof(rdns[0]), &name));
	r = vf_nv_sim_cert_fill(spec, key, issuer, issuer_key, name, out);
	X509_NAME_free(name);
	tc_openssl_clear();
	return r;
}

/* ----------------------------------------------------------------------------------------- PEM */

TC_RESULT vf_nv_sim_chain_pem(STACK_OF(X509) *chain, struct tc_buf *out)
{
	for (int i = 0; i < sk_X509_num(chain); i++)
		TC_GUARD(vf_sim_cert_pem(sk_X509_value(chain, i), out));
	return tc_ok();
}

TC_RESULT vf_nv_sim_cert_write(const char *dir, const char *name, X509 *cert)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	return vf_sim_certs_write(path, &cert, 1);
}

TC_RESULT vf_nv_sim_key_write(const char *dir, const char *name, EVP_PKEY *key)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	return vf_sim_key_write(path, key);
}

static TC_RESULT vf_nv_sim_read(const char *dir, const char *name, struct tc_buf *out)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	return tc_file_read(path, VF_SIM_FILE_MAX, out);
}

TC_RESULT vf_nv_sim_cert_read(const char *dir, const char *name, X509 **out)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	return vf_sim_cert_read(path, out);
}

TC_RESULT vf_nv_sim_chain_read(const char *dir, const char *name, STACK_OF(X509) **out)
{
	struct tc_buf pem;
	struct tc_result r;

	tc_buf_init(&pem, VF_SIM_FILE_MAX);
	r = vf_nv_sim_read(dir, name, &pem);
	if (tc_is_ok(r))
		r = vf_x509_parse_pem_chain(pem.data, pem.len, TC_ERR_INVALID_ARGUMENT, out);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT vf_nv_sim_key_read(const char *dir, const char *name, EVP_PKEY **out)
{
	char path[VF_NV_SIM_PATH_MAX];

	TC_GUARD(vf_nv_sim_path(dir, name, path));
	return vf_sim_key_read(path, EVP_PKEY_EC, out);
}
