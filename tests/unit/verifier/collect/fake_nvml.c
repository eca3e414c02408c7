/*
 * fake_nvml.c — a stand-in for libnvidia-ml.so.1 with the symbols vf_nvidia_collect uses, serving canned
 * evidence of the four H100s in ../shared (nvat_h100x4_590.12_gpu<N>_spdm.bin / _certchain.pem). Behaviour
 * from the environment, read at each call:
 *   FAKE_NVML_DIR   folder of the files (default $TEECERT_SHARED/evidence/nvidia)
 *   FAKE_NVML_GPUS  number of GPUs (default 4)
 *   FAKE_NVML_CC    "0": confidential computing off
 *   FAKE_NVML_DER   "1": return the certificate chain as concatenated DER instead of PEM
 * Structure layouts as in NVIDIA's nvml.h (redeclared here, independently of the code under test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define FAKE_REPORT_SIZE 0x2000
#define FAKE_CEC_REPORT_SIZE 0x1000
#define FAKE_CERT_CHAIN_SIZE 0x1000
#define FAKE_ATT_CERT_CHAIN_SIZE 0x1400
#define FAKE_NVML_SUCCESS 0
#define FAKE_NVML_ERROR_INVALID_ARGUMENT 2
#define FAKE_NVML_ERROR_UNKNOWN 999

typedef struct {
	unsigned int environment, ccFeature, devToolsMode;
} nvmlConfComputeSystemState_t;

typedef struct {
	unsigned int isCecAttestationReportPresent;
	unsigned int attestationReportSize;
	unsigned int cecAttestationReportSize;
	unsigned char nonce[32];
	unsigned char attestationReport[FAKE_REPORT_SIZE];
	unsigned char cecAttestationReport[FAKE_CEC_REPORT_SIZE];
} nvmlConfComputeGpuAttestationReport_t;

typedef struct {
	unsigned int certChainSize;
	unsigned int attestationCertChainSize;
	unsigned char certChain[FAKE_CERT_CHAIN_SIZE];
	unsigned char attestationCertChain[FAKE_ATT_CERT_CHAIN_SIZE];
} nvmlConfComputeGpuCertificate_t;

typedef struct fake_device *nvmlDevice_t;
struct fake_device {
	unsigned int index;
};
static struct fake_device devices[16];
static int initialised;

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && *v ? (int)strtol(v, NULL, 10) : dflt;
}

static size_t read_file(unsigned int gpu, const char *suffix, unsigned char *out, size_t max)
{
	char path[1024];
	const char *dir = getenv("FAKE_NVML_DIR");
	const char *shared = getenv("TEECERT_SHARED");
	FILE *f;
	size_t n;

	if (dir)
		snprintf(path, sizeof(path), "%s/nvat_h100x4_590.12_gpu%u_%s", dir, gpu, suffix);
	else
		snprintf(path, sizeof(path), "%s/evidence/nvidia/nvat_h100x4_590.12_gpu%u_%s",
			 shared ? shared : "../shared", gpu, suffix);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(out, 1, max, f);
	fclose(f);
	return n;
}

int nvmlInit_v2(void)
{
	initialised = 1;
	return FAKE_NVML_SUCCESS;
}

int nvmlShutdown(void)
{
	initialised = 0;
	return FAKE_NVML_SUCCESS;
}

const char *nvmlErrorString(int rc)
{
	return rc == FAKE_NVML_ERROR_INVALID_ARGUMENT ? "Invalid Argument" : "Unknown Error";
}

int nvmlSystemGetConfComputeState(nvmlConfComputeSystemState_t *s)
{
	if (!initialised || !s)
		return FAKE_NVML_ERROR_INVALID_ARGUMENT;
	s->environment = 2; /* production */
	s->ccFeature = (unsigned)env_int("FAKE_NVML_CC", 1);
	s->devToolsMode = 0;
	return FAKE_NVML_SUCCESS;
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
	*count = (unsigned)env_int("FAKE_NVML_GPUS", 4);
	return FAKE_NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev)
{
	if (index >= 16)
		return FAKE_NVML_ERROR_INVALID_ARGUMENT;
	devices[index].index = index;
	*dev = &devices[index];
	return FAKE_NVML_SUCCESS;
}

int nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t dev, nvmlConfComputeGpuAttestationReport_t *r)
{
	size_t n = read_file(dev->index % 4, "spdm.bin", r->attestationReport, sizeof(r->attestationReport));

	if (n == 0)
		return FAKE_NVML_ERROR_UNKNOWN;
	r->attestationReportSize = (unsigned)n;
	r->isCecAttestationReportPresent = 0;
	r->cecAttestationReportSize = 0;
	return FAKE_NVML_SUCCESS;
}

int nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t dev, nvmlConfComputeGpuCertificate_t *c)
{
	unsigned char pem[FAKE_ATT_CERT_CHAIN_SIZE * 2];
	size_t n = read_file(dev->index % 4, "certchain.pem", pem, sizeof(pem));
	BIO *bio;
	X509 *x;
	size_t used = 0;

	if (n == 0)
		return FAKE_NVML_ERROR_UNKNOWN;
	memset(c, 0, sizeof(*c));
	if (env_int("FAKE_NVML_DER", 0) != 1) {
		if (n > sizeof(c->attestationCertChain))
			return FAKE_NVML_ERROR_UNKNOWN;
		memcpy(c->attestationCertChain, pem, n);
		c->attestationCertChainSize = (unsigned)n;
		return FAKE_NVML_SUCCESS;
	}
	bio = BIO_new_mem_buf(pem, (int)n);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *p = c->attestationCertChain + used;
		int len = i2d_X509(x, NULL);

		if (len > 0 && used + (size_t)len <= sizeof(c->attestationCertChain))
			used += (size_t)i2d_X509(x, &p);
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error(); /* the PEM reader's end-of-input entry */
	c->attestationCertChainSize = (unsigned)used;
	return FAKE_NVML_SUCCESS;
}
