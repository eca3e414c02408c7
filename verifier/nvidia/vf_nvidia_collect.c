/*
 * vf_nvidia_collect.c — GPU evidence through NVML, loaded with dlopen at run time (no NVIDIA package at build
 * time). The few entry points and structures used are declared here from NVIDIA's public nvml.h
 * documentation ("Confidential Computing" queries, R535+ drivers):
 *   nvmlInit_v2, nvmlShutdown, nvmlErrorString, nvmlDeviceGetCount_v2, nvmlDeviceGetHandleByIndex_v2,
 *   nvmlSystemGetConfComputeState(nvmlConfComputeSystemState_t *),
 *   nvmlDeviceGetConfComputeGpuAttestationReport(device, nvmlConfComputeGpuAttestationReport_t *) — the
 *     caller puts the 32-byte nonce in the structure; attestationReport is the SPDM GET_MEASUREMENTS request
 *     || MEASUREMENTS response (DMTF DSP0274 1.1), exactly what verifier/nvidia/vf_nvidia_spdm.c parses,
 *   nvmlDeviceGetConfComputeGpuCertificate(device, nvmlConfComputeGpuCertificate_t *) — attestationCertChain
 *     is the device certificate chain (PEM, leaf first; DER certificates are converted to PEM),
 *   nvmlDeviceGetArchitecture (optional, for the "arch" field).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vf_nvidia.h"

/* nvml.h constants and structures (layouts as published; unsigned int is 32 bits on every NVML platform). */
#define VF_NVML_SUCCESS 0
#define VF_NVML_CC_FEATURE_ENABLED 1       /* NVML_CC_SYSTEM_FEATURE_ENABLED */
#define VF_NVML_CC_DEVTOOLS_ON 1           /* NVML_CC_SYSTEM_DEVTOOLS_MODE_ON */
#define VF_NVML_CC_ENV_SIM 1               /* NVML_CC_SYSTEM_ENVIRONMENT_SIM */
#define VF_NVML_CC_NONCE_SIZE 0x20         /* NVML_CC_GPU_CEC_NONCE_SIZE */
#define VF_NVML_CC_REPORT_SIZE 0x2000      /* NVML_CC_GPU_ATTESTATION_REPORT_SIZE */
#define VF_NVML_CC_CEC_REPORT_SIZE 0x1000  /* NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE */
#define VF_NVML_CERT_CHAIN_SIZE 0x1000     /* NVML_GPU_CERT_CHAIN_SIZE */
#define VF_NVML_ATT_CERT_CHAIN_SIZE 0x1400 /* NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE */
#define VF_NVML_ARCH_HOPPER 9              /* NVML_DEVICE_ARCH_HOPPER */
#define VF_NVML_ARCH_BLACKWELL 10          /* NVML_DEVICE_ARCH_BLACKWELL */
#define VF_NV_SPDM_NONCE_OFFSET 4          /* GET_MEASUREMENTS: header(4) then Nonce(32) */
#define VF_NV_PEM_BEGIN "-----BEGIN"

typedef int vf_nvml_return;   /* nvmlReturn_t */
typedef void *vf_nvml_device; /* nvmlDevice_t (opaque pointer) */

struct vf_nvml_cc_state { /* nvmlConfComputeSystemState_t */
	unsigned int environment;
	unsigned int cc_feature;
	unsigned int dev_tools_mode;
};

struct vf_nvml_att_report { /* nvmlConfComputeGpuAttestationReport_t */
	unsigned int is_cec_report_present;
	unsigned int report_size;
	unsigned int cec_report_size;
	unsigned char nonce[VF_NVML_CC_NONCE_SIZE];
	unsigned char report[VF_NVML_CC_REPORT_SIZE];
	unsigned char cec_report[VF_NVML_CC_CEC_REPORT_SIZE];
};

struct vf_nvml_certificate { /* nvmlConfComputeGpuCertificate_t */
	unsigned int cert_chain_size;
	unsigned int att_cert_chain_size;
	unsigned char cert_chain[VF_NVML_CERT_CHAIN_SIZE];
	unsigned char att_cert_chain[VF_NVML_ATT_CERT_CHAIN_SIZE];
};

struct vf_nvml {
	void *lib;
	vf_nvml_return (*init)(void);
	vf_nvml_return (*shutdown)(void);
	const char *(*error_string)(vf_nvml_return);
	vf_nvml_return (*count)(unsigned int *);
	vf_nvml_return (*handle)(unsigned int, vf_nvml_device *);
	vf_nvml_return (*cc_state)(struct vf_nvml_cc_state *);
	vf_nvml_return (*report)(vf_nvml_device, struct vf_nvml_att_report *);
	vf_nvml_return (*certificate)(vf_nvml_device, struct vf_nvml_certificate *);
	vf_nvml_return (*architecture)(vf_nvml_device, unsigned int *); /* optional */
};

/* dlsym into a function pointer of any type (POSIX guarantees the conversion). */
static bool sym(void *lib, const char *name, void *fn_ptr)
{
	void *p = dlsym(lib, name);

	memcpy(fn_ptr, &p, sizeof(p));
	return p != NULL;
}

static TC_RESULT nvml_load(const char *path, struct vf_nvml *n)
{
	static const char *const names[] = { "nvmlInit_v2",
					     "nvmlShutdown",
					     "nvmlErrorString",
					     "nvmlDeviceGetCount_v2",
					     "nvmlDeviceGetHandleByIndex_v2",
					     "nvmlSystemGetConfComputeState",
					     "nvmlDeviceGetConfComputeGpuAttestationReport",
					     "nvmlDeviceGetConfComputeGpuCertificate" };
	void *slots[] = { &n->init,   &n->shutdown, &n->error_string, &n->count,
			  &n->handle, &n->cc_state, &n->report,       &n->certificate };
	const char *err;

	memset(n, 0, sizeof(*n));
	n->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		err = dlerror();
		return tc_fail(
			TC_ERR_UNSUPPORTED,
			"NVML: %s not found or not loadable (%s): install the NVIDIA driver (R535 or newer) or pass "
			"--nvml PATH",
			path, err ? err : "dlopen failed");
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!sym(n->lib, names[i], slots[i])) {
			dlclose(n->lib);
			n->lib = NULL;
			return tc_fail(
				TC_ERR_UNSUPPORTED,
				"NVML: %s has no %s: the driver is too old for confidential computing (R535+ needed)",
				path, names[i]);
		}
	}
	if (!sym(n->lib, "nvmlDeviceGetArchitecture", &n->architecture))
		n->architecture = NULL;
	return tc_ok();
}

static const char *nvml_text(const struct vf_nvml *n, vf_nvml_return rc)
{
	const char *s = n->error_string(rc);

	return s ? s : "unknown NVML error";
}

/* The attestation chain as PEM (as given when it is PEM already; DER certificates one after another else). */
static TC_RESULT chain_to_pem(const uint8_t *data, size_t len, struct tc_buf *out)
{
	const unsigned char *p = data;
	BIO *bio = NULL;
	char *mem = NULL;
	long mem_len;
	struct tc_result r = tc_ok();

	TC_ENSURE(len > 0, TC_ERR_EVIDENCE_MALFORMED, "NVML returned an empty attestation certificate chain");
	if (len >= strlen(VF_NV_PEM_BEGIN) && memcmp(data, VF_NV_PEM_BEGIN, strlen(VF_NV_PEM_BEGIN)) == 0) {
		while (len > 0 && data[len - 1] == 0) /* text: drop C-string padding */
			len--;
		return tc_buf_append(out, data, len);
	}
	bio = BIO_new(BIO_s_mem());
	TC_ENSURE(bio, TC_ERR_NO_MEMORY, "BIO_new failed");
	while (p < data + len) {
		X509 *x = d2i_X509(NULL, &p, (long)(data + len - p));

		if (!x) {
			r = tc_fail_openssl(TC_ERR_EVIDENCE_MALFORMED,
					    "NVML attestation certificate chain is neither PEM nor DER certificates");
			goto out;
		}
		if (PEM_write_bio_X509(bio, x) != 1) {
			X509_free(x);
			r = tc_fail_openssl(TC_ERR_CRYPTO, "writing a GPU certificate as PEM");
			goto out;
		}
		X509_free(x);
	}
	mem_len = BIO_get_mem_data(bio, &mem);
	r = tc_buf_append(out, mem, (size_t)mem_len);
out:
	BIO_free(bio);
	return r;
}

static TC_RESULT collect_gpu(const struct vf_nvml *n, unsigned int index, const uint8_t nonce[VF_GPU_NONCE_LEN],
			     struct vf_nvidia_gpu_evidence *g)
{
	struct vf_nvml_att_report *rep = calloc(1, sizeof(*rep));
	struct vf_nvml_certificate *cert = calloc(1, sizeof(*cert));
	vf_nvml_device dev = NULL;
	unsigned int arch = 0;
	vf_nvml_return rc;
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, rep && cert, out, TC_ERR_NO_MEMORY, "out of memory");
	rc = n->handle(index, &dev);
	TC_ENSURE_GOTO(r, rc == VF_NVML_SUCCESS, out, TC_ERR_IO, "NVML: nvmlDeviceGetHandleByIndex_v2(%u): %s", index,
		       nvml_text(n, rc));
	memcpy(rep->nonce, nonce, VF_GPU_NONCE_LEN);
	rc = n->report(dev, rep);
	TC_ENSURE_GOTO(r, rc == VF_NVML_SUCCESS, out, TC_ERR_IO,
		       "NVML: nvmlDeviceGetConfComputeGpuAttestationReport(gpu%u): %s", index, nvml_text(n, rc));
	TC_ENSURE_GOTO(r,
		       rep->report_size >= VF_NV_SPDM_NONCE_OFFSET + VF_GPU_NONCE_LEN &&
			       rep->report_size <= VF_NVML_CC_REPORT_SIZE,
		       out, TC_ERR_EVIDENCE_MALFORMED, "NVML: gpu%u attestation report size %u out of range", index,
		       rep->report_size);
	/* The GET_MEASUREMENTS request inside must carry our nonce, else the report answers someone else. */
	TC_ENSURE_GOTO(r, memcmp(rep->report + VF_NV_SPDM_NONCE_OFFSET, nonce, VF_GPU_NONCE_LEN) == 0, out,
		       TC_ERR_NONCE_MISMATCH, "NVML: gpu%u returned an SPDM request for a different nonce", index);
	rc = n->certificate(dev, cert);
	TC_ENSURE_GOTO(r, rc == VF_NVML_SUCCESS, out, TC_ERR_IO,
		       "NVML: nvmlDeviceGetConfComputeGpuCertificate(gpu%u): %s", index, nvml_text(n, rc));
	TC_ENSURE_GOTO(r, cert->att_cert_chain_size <= VF_NVML_ATT_CERT_CHAIN_SIZE, out, TC_ERR_EVIDENCE_MALFORMED,
		       "NVML: gpu%u certificate chain size %u out of range", index, cert->att_cert_chain_size);
	TC_GUARD_GOTO(r, tc_buf_append(&g->spdm, rep->report, rep->report_size), out);
	TC_GUARD_GOTO(r, chain_to_pem(cert->att_cert_chain, cert->att_cert_chain_size, &g->cert_chain), out);
	memcpy(g->nonce, nonce, VF_GPU_NONCE_LEN);
	if (n->architecture && n->architecture(dev, &arch) == VF_NVML_SUCCESS)
		snprintf(g->arch, sizeof(g->arch), "%s",
			 arch == VF_NVML_ARCH_HOPPER    ? "HOPPER" :
			 arch == VF_NVML_ARCH_BLACKWELL ? "BLACKWELL" :
							  "UNKNOWN");
	else
		snprintf(g->arch, sizeof(g->arch), "HOPPER");
out:
	free(rep);
	free(cert);
	return r;
}

TC_RESULT vf_nvidia_collect(const char *nvml_path, const uint8_t nonce[VF_GPU_NONCE_LEN],
			    struct vf_nvidia_evidence *out)
{
	struct vf_nvml n;
	struct vf_nvml_cc_state cc = { 0 };
	unsigned int count = 0;
	vf_nvml_return rc;
	bool initialised = false;
	struct tc_result r;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < VF_MAX_DEVICES; i++) {
		tc_buf_init(&out->gpus[i].spdm, VF_SPDM_MAX_INPUT);
		tc_buf_init(&out->gpus[i].cert_chain, VF_SPDM_MAX_INPUT);
	}
	TC_GUARD(nvml_load(nvml_path ? nvml_path : VF_NVML_DEFAULT_LIB, &n));
	rc = n.init();
	TC_ENSURE_GOTO(r, rc == VF_NVML_SUCCESS, out, TC_ERR_IO, "NVML: nvmlInit_v2: %s", nvml_text(&n, rc));
	initialised = true;
	rc = n.cc_state(&cc);
	TC_ENSURE_GOTO(r, rc == VF_NVML_SUCCESS, out, TC_ERR_IO, "NVML: nvmlSystemGetConfComputeState: %s",
		       nvml_text(&n, rc));
	TC_ENSURE_GOTO(r, cc.cc_feature == VF_NVML_CC_FEATURE_ENABLED, out, TC_ERR_UNSUPPORTED,
		       "NVML: confidential computing is off on this system (ccFeature=%u): enable CC mode on the GPUs "
		       "(nvidia-smi conf-compute) and boot a CVM",
		       cc.cc_feature);
	if (cc.dev_tools_mode == VF_NVML_CC_DEVTOOLS_ON || cc.environment == VF_NVML_CC_ENV_SIM)
		tc_log(TC_LOG_WARN, "nvml_cc_not_production", "GPU confidential computing runs in %s mode",
		       cc.environment == VF_NVML_CC_ENV_SIM ? "simulation" : "devtools");
	rc = n.count(&count);
	TC_ENSURE_GOTO(r, rc == VF_NVML_SUCCESS, out, TC_ERR_IO, "NVML: nvmlDeviceGetCount_v2: %s", nvml_text(&n, rc));
	TC_ENSURE_GOTO(r, count > 0, out, TC_ERR_UNSUPPORTED, "NVML: no GPU found");
	TC_ENSURE_GOTO(r, count <= VF_MAX_DEVICES, out, TC_ERR_TOO_LARGE, "NVML: %u GPUs, at most %d supported", count,
		       VF_MAX_DEVICES);
	for (unsigned int i = 0; i < count; i++) {
		TC_GUARD_GOTO(r, collect_gpu(&n, i, nonce, &out->gpus[i]), out);
		out->n_gpus++;
	}
	r = tc_ok();
out:
	if (initialised && n.shutdown() != VF_NVML_SUCCESS)
		tc_log(TC_LOG_WARN, "nvml_shutdown_failed", "nvmlShutdown failed");
	dlclose(n.lib);
	if (!tc_is_ok(r))
		vf_nvidia_evidence_cleanup(out);
	return r;
}
