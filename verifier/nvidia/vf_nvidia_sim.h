/*
 * vf_nvidia_sim.h — private header of the simulated NVIDIA H100 (teecert sim nvidia): the PKI's keys and
 * certificates, for verifier/nvidia and the unit tests. What cli/sim_nvidia.c drives (knobs, faults, the
 * emitting functions) is in vf.h's sim section.
 *
 * Pieces, one file each:
 *   vf_nvidia_sim.c        vf_nvidia_sim_init: the sim vendor PKI, collateral folder, pki.json; loading it back.
 *   vf_nvidia_sim_x509.c   P-384 keys and certificates (issuing, PEM files, the simulated-root marker).
 *   vf_nvidia_sim_spdm.c   SPDM 1.1 GET_MEASUREMENTS request || MEASUREMENTS response, signed by the FMC leaf key,
 *                          built with the constants of vf_nvidia.h that the parser reads.
 *   vf_nvidia_sim_rim.c    TCG RIM / SWID tag XML signed with xmlsec1 (enveloped XML-DSig, ecdsa-sha384).
 *   vf_nvidia_sim_ocsp.c   RFC 6960 OCSP responses for the device and RIM signer chains.
 *   vf_nvidia_sim_cases.c  the conformance case set (schema-1 manifests) covering every knob.
 * Layout and knobs: docs/sim.md "## NVIDIA".
 */
#ifndef VF_NVIDIA_SIM_H
#define VF_NVIDIA_SIM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vf_nvidia.h"

/* VF_NV_SIM_MAX_GPUS, VF_NV_SIM_BLOCKS, the knobs, fault enums and the emitting functions are in vf.h's
 * sim section (what cli/sim_nvidia.c uses); their sizes must stay the parser's. */
_Static_assert(VF_NV_SIM_NONCE_LEN == VF_SPDM_NONCE_LEN, "sim nonce size");
_Static_assert(VF_NV_SIM_VERSION_MAX == VF_RIM_VERSION_MAX, "sim version size");
_Static_assert(VF_NV_SIM_TRAILING_MAX == VF_SPDM_MAX_INPUT, "sim trailing limit");

#define VF_NV_SIM_MEAS_LEN 48 /* SHA-384 measurement values */
#define VF_NV_SIM_PATH_MAX 4096
#define VF_NV_SIM_DRIVER_VERSION "570.124.06"
#define VF_NV_SIM_VBIOS_VERSION "96.00.9f.00.04"
#define VF_NV_SIM_PRODUCT "GH100"
#define VF_NV_SIM_ALT_RIM_INDEX 2 /* VBIOS RIM index with two alternatives; the evidence carries the second */
#define VF_NV_SIM_DEFAULT_TRUNCATE 100

/* A loaded sim PKI (vf_nv_sim_pki_load). */
struct vf_nv_sim_gpu {
	STACK_OF(X509) *chain; /* leaf first, root last */
	EVP_PKEY *fmc_key;
	EVP_PKEY *brom_key;
};

/* Issuer keys of the device chain (OCSP signers), leaf side first: ICA, GH100 identity, root. */
#define VF_NV_SIM_DEVICE_CAS 3

struct vf_nv_sim_pki {
	char dir[VF_NV_SIM_PATH_MAX];
	int64_t created_at;
	char driver_version[VF_RIM_VERSION_MAX];
	char vbios_version[VF_RIM_VERSION_MAX];
	uint8_t meas[VF_NV_SIM_BLOCKS][VF_NV_SIM_MEAS_LEN]; /* value of SPDM block i+1 */
	size_t n_gpus;
	struct vf_nv_sim_gpu gpus[VF_NV_SIM_MAX_GPUS];
	X509 *device_root;
	X509 *rim_root, *rim_ca, *rim_signer;
	EVP_PKEY *rim_root_key, *rim_ca_key, *rim_signer_key;
	EVP_PKEY *device_ca_keys[VF_NV_SIM_DEVICE_CAS];
};

/* ---------------------------------------------------------------------------------------- PKI */

/* vf_nvidia_sim_init at a given time (tests). */
TC_RESULT vf_nv_sim_init_at(const char *dir, int64_t now);
TC_RESULT vf_nv_sim_pki_load(const char *dir, struct vf_nv_sim_pki **out);
void vf_nv_sim_pki_free(struct vf_nv_sim_pki **pki);
/* True when RIM index I (0-based) is active in the driver (else VBIOS, else neither) RIM. */
bool vf_nv_sim_rim_active(enum vf_nv_sim_rim_kind kind, size_t index);

/* --------------------------------------------------------------------------------------- x509 */

struct vf_nv_sim_name {
	const char *cn;
	const char *o;
	const char *serial; /* subject serialNumber attribute, NULL: none */
};

/* Certificate profile: a CA (keyCertSign, cRLSign), or a signing leaf (digitalSignature). */
struct vf_nv_sim_cert_spec {
	struct vf_nv_sim_name subject;
	bool ca;
	int pathlen; /* CA path length constraint, -1: none */
	int64_t not_before, not_after;
	bool simulated_root;  /* self-signed root with the VF_SIM_ROOT_OID marker */
	const uint8_t *fwid;  /* TCG DICE TcbInfo FWID (VF_NV_FWID_LEN bytes), NULL: none */
	const char *ueid_san; /* "NVIDIA:GH100:<hex>" otherName SAN, NULL: none */
};

/* Every simulated NVIDIA key is ECDSA P-384 (vf_sim_key_new(VF_NV_SIM_CURVE, ...)). */
#define VF_NV_SIM_CURVE SN_secp384r1
/* Issue a certificate for KEY (public part) signed by ISSUER_KEY; ISSUER NULL = self-signed. */
TC_RESULT vf_nv_sim_cert_issue(const struct vf_nv_sim_cert_spec *spec, EVP_PKEY *key, X509 *issuer,
			       EVP_PKEY *issuer_key, X509 **out);
/* PEM of a stack appended to OUT (one certificate: vf_sim_cert_pem). */
TC_RESULT vf_nv_sim_chain_pem(STACK_OF(X509) *chain, struct tc_buf *out);
/* Files: certificates 0644, PKCS#8 private keys 0600 (the PEM buffer is zeroed). */
TC_RESULT vf_nv_sim_cert_write(const char *dir, const char *name, X509 *cert);
TC_RESULT vf_nv_sim_key_write(const char *dir, const char *name, EVP_PKEY *key);
TC_RESULT vf_nv_sim_cert_read(const char *dir, const char *name, X509 **out);
TC_RESULT vf_nv_sim_chain_read(const char *dir, const char *name, STACK_OF(X509) **out);
TC_RESULT vf_nv_sim_key_read(const char *dir, const char *name, EVP_PKEY **out);
/* DIR/NAME into OUT (VF_NV_SIM_PATH_MAX); fails when too long. */
TC_RESULT vf_nv_sim_path(const char *dir, const char *name, char *out);

/* --------------------------------------------------------------------------------------- SPDM */

/* Evidence of every GPU: SPDM[i] (request || response) and CHAINS[i] (PEM, leaf first), appended; arrays of
 * at least knobs->gpus (or 1) buffers. NOW places the expired leaf's window. */
TC_RESULT vf_nv_sim_evidence(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, int64_t now,
			     struct tc_buf *spdm, struct tc_buf *chains);

/* ---------------------------------------------------------------------------------------- RIMs */

/* A RIM of KIND for VERSION (NULL: the PKI's) with FAULT, signed at NOW, appended to OUT. */
TC_RESULT vf_nv_sim_rim(const struct vf_nv_sim_pki *pki, enum vf_nv_sim_rim_kind kind, const char *version,
			enum vf_nv_sim_rim_fault fault, int64_t now, struct tc_buf *out);
/* The same, from the measurement table alone, signed by SIGNER_KEY with KeyInfo certificates CERTS (leaf
 * first) — vf_nvidia_sim_init's entry before the PKI files exist. */
TC_RESULT vf_nv_sim_rim_sign(const uint8_t meas[VF_NV_SIM_BLOCKS][VF_NV_SIM_MEAS_LEN], enum vf_nv_sim_rim_kind kind,
			     const char *version, EVP_PKEY *signer_key, STACK_OF(X509) *certs,
			     enum vf_nv_sim_rim_fault fault, struct tc_buf *out);

/* ---------------------------------------------------------------------------------------- OCSP */

/* DER OCSP responses for GPU's chain and the RIM signer chain at NOW, appended to OUT[0..4]. */
TC_RESULT vf_nv_sim_ocsp(const struct vf_nv_sim_pki *pki, size_t gpu, enum vf_nv_sim_ocsp_fault fault,
			 enum vf_nv_sim_ocsp_target target, int64_t now, struct tc_buf out[VF_NV_SIM_OCSP_RESPONSES]);

/* --------------------------------------------------------------------------------------- cases */

/* Write the conformance set under OUT_DIR (cases/NAME.json + data), verify_at = NOW. *N_CASES = how many. */
TC_RESULT vf_nv_sim_cases(const char *pki_dir, const char *out_dir, int64_t now, size_t *n_cases);

#endif /* VF_NVIDIA_SIM_H */
