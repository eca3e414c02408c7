/*
 * vf_collect.h — private declarations of evidence collection on real CVMs (not part of vf.h):
 *   verifier/vf_collect.c               vf_collect_cpu: configfs-tsm first, then the ioctl fallbacks
 *   verifier/tdx/vf_tdx_collect.c       /dev/tdx_guest TDX_CMD_GET_REPORT0 (include/uapi/linux/tdx-guest.h)
 *   verifier/snp/vf_snp_collect.c       /dev/sev-guest SNP_GET_EXT_REPORT (include/uapi/linux/sev-guest.h) and
 *                                       the GHCB certificate table (GUID table of VCEK/VLEK/ASK/ARK)
 *   verifier/nvidia/vf_nvidia_collect.c NVML through dlopen (vf_nvidia_collect in vf.h)
 * The ioctl structures are mirrored here (with their sizes asserted) so the build does not depend on the
 * installed kernel headers; tests exercise the request building and response parsing without a device.
 */
#ifndef VF_COLLECT_H
#define VF_COLLECT_H

#include <assert.h>

#include "vf.h"

/* ----------------------------------------------------------------- TDX: include/uapi/linux/tdx-guest.h */

#define VF_TDX_GUEST_REPORTDATA_LEN 64 /* TDX_REPORTDATA_LEN */
#define VF_TDX_GUEST_TDREPORT_LEN 1024 /* TDX_REPORT_LEN */
#define VF_TDX_GUEST_IOC_TYPE 'T'
#define VF_TDX_GUEST_IOC_GET_REPORT0 1
/* TDX module ABI, REPORTMACSTRUCT (first 256 bytes of TDREPORT): REPORTTYPE(4) RESERVED(12) CPUSVN(16)
 * TEE_TCB_INFO_HASH(48) TEE_INFO_HASH(48) REPORTDATA(64) RESERVED(32) MAC(32). */
#define VF_TDX_TDREPORT_TYPE_TDX 0x81
#define VF_TDX_TDREPORT_REPORTDATA_OFFSET 128

/* struct tdx_report_req */
struct vf_tdx_report_req {
	uint8_t reportdata[VF_TDX_GUEST_REPORTDATA_LEN];
	uint8_t tdreport[VF_TDX_GUEST_TDREPORT_LEN];
};
static_assert(sizeof(struct vf_tdx_report_req) == 1088, "struct tdx_report_req layout");

/* TDX_CMD_GET_REPORT0 = _IOWR('T', 1, struct tdx_report_req) */
unsigned long vf_tdx_get_report0_cmd(void);
void vf_tdx_report_req_init(struct vf_tdx_report_req *req, const uint8_t report_data[VF_REPORT_DATA_LEN]);
/* A TDREPORT of type TDX carrying REPORT_DATA, else TC_ERR_EVIDENCE_MALFORMED / TC_ERR_NONCE_MISMATCH. */
TC_RESULT vf_tdx_tdreport_check(const uint8_t *tdreport, size_t len, const uint8_t report_data[VF_REPORT_DATA_LEN]);
/* A TDX quote (v4/v5, parsed by verifier/tdx) carrying REPORT_DATA. */
TC_RESULT vf_tdx_quote_check_report_data(const uint8_t *quote, size_t len,
					 const uint8_t report_data[VF_REPORT_DATA_LEN]);
/* TDREPORT through DEVICE (NULL: VF_TDX_GUEST_DEVICE), appended to OUT. *PRESENT: the device exists. */
TC_RESULT vf_tdx_collect_tdreport(const char *device, const uint8_t report_data[VF_REPORT_DATA_LEN], bool *present,
				  struct tc_buf *out);

/* ---------------------------------------------------------------- SNP: include/uapi/linux/sev-guest.h */

#define VF_SNP_USER_DATA_LEN 64
#define VF_SNP_REQ_RSVD_LEN 28
#define VF_SNP_RESP_LEN 4000
#define VF_SNP_MSG_VERSION 1 /* message version of the guest request, non-zero */
#define VF_SNP_GUEST_IOC_TYPE 'S'
#define VF_SNP_IOC_GET_REPORT 0x0
#define VF_SNP_IOC_GET_EXT_REPORT 0x2
#define VF_SNP_VMM_ERR_SHIFT 32
#define VF_SNP_VMM_ERR_INVALID_LEN 1 /* certificate buffer too small; certs_len holds the size needed */
#define VF_SNP_VMM_ERR_BUSY 2
#define VF_SNP_PAGE_LEN 4096 /* certs_len must be a multiple of the page size */
#define VF_SNP_CERTS_MAX ((size_t)64 * 1024)
#define VF_SNP_CERTS_DEFAULT ((size_t)16 * 1024) /* SEV_FW_BLOB_MAX_SIZE of the guest driver */
/* SEV-SNP Firmware ABI, Table "MSG_REPORT_RSP": STATUS(4) REPORT_SIZE(4) RESERVED(0x18) REPORT at 0x20. */
#define VF_SNP_MSG_REPORT_RSP_HDR_LEN 0x20
#define VF_SNP_ATT_REPORT_LEN 0x4A0
#define VF_SNP_ATT_REPORT_DATA_OFFSET 0x50

struct vf_snp_report_req {
	uint8_t user_data[VF_SNP_USER_DATA_LEN];
	uint32_t vmpl;
	uint8_t rsvd[VF_SNP_REQ_RSVD_LEN];
};
static_assert(sizeof(struct vf_snp_report_req) == 96, "struct snp_report_req layout");

struct vf_snp_report_resp {
	uint8_t data[VF_SNP_RESP_LEN];
};

struct vf_snp_ext_report_req {
	struct vf_snp_report_req data;
	uint64_t certs_address;
	uint32_t certs_len;
};
static_assert(sizeof(struct vf_snp_ext_report_req) == 112, "struct snp_ext_report_req layout");

struct vf_snp_guest_request_ioctl {
	uint8_t msg_version;
	uint64_t req_data;
	uint64_t resp_data;
	uint64_t exitinfo2; /* bits 63:32 VMM error, 31:0 firmware error */
};
static_assert(sizeof(struct vf_snp_guest_request_ioctl) == 32, "struct snp_guest_request_ioctl layout");

unsigned long vf_snp_get_report_cmd(void);
unsigned long vf_snp_get_ext_report_cmd(void);
/* Fill the extended request (CERTS/CERTS_LEN: the page-aligned certificate buffer; NULL/0 for a plain one)
 * and the ioctl argument pointing at REQ and RESP. */
void vf_snp_ext_report_req_init(struct vf_snp_ext_report_req *req, const uint8_t report_data[VF_REPORT_DATA_LEN],
				uint32_t vmpl, void *certs, uint32_t certs_len);
void vf_snp_guest_request_init(struct vf_snp_guest_request_ioctl *io, void *req, struct vf_snp_report_resp *resp);
/* MSG_REPORT_RSP -> the attestation report (appended to REPORT). Non-zero STATUS or a bad REPORT_SIZE fail. */
TC_RESULT vf_snp_report_resp_parse(const uint8_t *resp, size_t len, struct tc_buf *report);
/* An SNP attestation report (parsed by verifier/snp) carrying REPORT_DATA. */
TC_RESULT vf_snp_report_check_report_data(const uint8_t *report, size_t len,
					  const uint8_t report_data[VF_REPORT_DATA_LEN]);

/* GHCB spec "SNP Extended Guest Request": the certificate table. Entries {GUID(16) OFFSET(u32le) LENGTH(u32le)}
 * terminated by an all-zero entry; offsets count from the start of the buffer; certificates are DER. */
#define VF_SNP_GUID_LEN 16
#define VF_SNP_CERT_ENTRY_LEN 24
#define VF_SNP_CERT_TABLE_MAX 16

enum vf_snp_cert_kind { VF_SNP_CERT_VCEK, VF_SNP_CERT_VLEK, VF_SNP_CERT_ASK, VF_SNP_CERT_ARK, VF_SNP_CERT_OTHER };

struct vf_snp_cert_entry {
	enum vf_snp_cert_kind kind;
	uint8_t guid[VF_SNP_GUID_LEN]; /* as found */
	const uint8_t *data;           /* borrowed from the table buffer */
	uint32_t len;
};

struct vf_snp_cert_table {
	struct vf_snp_cert_entry entries[VF_SNP_CERT_TABLE_MAX];
	size_t n;
	size_t extent; /* bytes of the buffer the table and its certificates use */
};

/* "vcek", "vlek", "ask", "ark", "other" */
const char *vf_snp_cert_kind_name(enum vf_snp_cert_kind kind);
/* Parse (an empty or all-zero buffer is an empty table). Malformed -> TC_ERR_EVIDENCE_MALFORMED. */
TC_RESULT vf_snp_cert_table_parse(const uint8_t *buf, size_t len, struct vf_snp_cert_table *out);
/* Fill EV->endorsement (VCEK or VLEK DER, is_vlek) and EV->ark_ask_chain (ASK then ARK, PEM) from TABLE. */
TC_RESULT vf_snp_cert_table_split(const struct vf_snp_cert_table *table, struct vf_cpu_evidence *ev);
/* SNP_GET_EXT_REPORT through DEVICE (NULL: VF_SEV_GUEST_DEVICE) at VMPL: report and certificate table
 * appended to REPORT / CERTS (CERTS empty when the host supplies none). *PRESENT: the device exists. */
TC_RESULT vf_snp_collect_ext_report(const char *device, const uint8_t report_data[VF_REPORT_DATA_LEN], uint32_t vmpl,
				    bool *present, struct tc_buf *report, struct tc_buf *certs);

#endif /* VF_COLLECT_H */
