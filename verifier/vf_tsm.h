/*
 * vf_tsm.h — private header of the Linux configfs-tsm report provider (verifier/vf_tsm.c). Not part of vf.h.
 *
 * Linux Documentation/ABI/testing/configfs-tsm: every folder made under /sys/kernel/config/tsm/report is one
 * report request with the attributes
 *   inblob      (WO) up to 64 bytes of caller data (TDX REPORTDATA, SNP REPORT_DATA)
 *   outblob     (RO) the evidence: a TDX quote (via the host's quoting service) or an SNP attestation report
 *   auxblob     (RO, optional) supplemental data; for SEV-SNP the certificate table (GUID table of
 *               VCEK/VLEK, ASK, ARK) of the GHCB extended guest request
 *   provider    (RO) the TSM that made the report: "tdx_guest", "sev_guest"
 *   generation  (RO) incremented by every write to inblob or an option; a value that moved by more than our
 *               own writes means another process wrote to the same entry between our write and our read
 *   privlevel   (WO, optional, 0..3) the privilege level (SNP VMPL) to report at; privlevel_floor (RO)
 * The kernel limits: TSM_INBLOB_MAX 64, TSM_OUTBLOB_MAX 32 KiB (include/linux/tsm.h).
 */
#ifndef VF_TSM_H
#define VF_TSM_H

#include "vf.h"

#define VF_TSM_INBLOB_LEN 64
#define VF_TSM_OUTBLOB_MAX ((size_t)32 * 1024)
#define VF_TSM_AUXBLOB_MAX ((size_t)64 * 1024)
#define VF_TSM_PRIVLEVEL_MAX 3
#define VF_TSM_SMALL_ATTR_MAX 64         /* generation, provider, privlevel_floor */
#define VF_TSM_CONFIGFS_MAGIC 0x62656570 /* include/uapi/linux/magic.h CONFIGFS_MAGIC */
/* A tree that is not configfs (a test's fake kernel, a copied tree) fills attributes asynchronously: wait at
 * most this long for `generation` to appear and to reach our writes. configfs itself is synchronous. */
#define VF_TSM_SETTLE_MS 5000
#define VF_TSM_POLL_MS 5

struct vf_tsm_report {
	char provider[VF_COLLECT_NAME_MAX];
	struct tc_buf outblob;
	struct tc_buf auxblob; /* empty when the provider has no auxblob */
	bool has_auxblob;
	bool on_configfs;    /* ROOT is a configfs mount (false: a plain folder, e.g. a test's fake kernel) */
	uint64_t generation; /* final value of `generation` */
};

void vf_tsm_report_cleanup(struct vf_tsm_report *r);

/*
 * One report through configfs-tsm under ROOT (NULL: VF_TSM_DEFAULT_ROOT): mkdir an entry, write PRIVLEVEL
 * (unless < 0) and INBLOB, read outblob, auxblob, provider, check `generation`, rmdir the entry. *PRESENT
 * tells whether the interface exists at all (false: ROOT missing -> TC_ERR_UNSUPPORTED). Errors name the
 * attribute, the errno text and a hint; a racing writer -> TC_ERR_IO ("racing writer"). OUT is initialised
 * here and filled only on success.
 */
TC_RESULT vf_tsm_report_get(const char *root, const uint8_t inblob[VF_TSM_INBLOB_LEN], int privlevel, bool *present,
			    struct vf_tsm_report *out);

/* A short hint for an errno from a TEE interface ("" when there is none to give). */
const char *vf_tsm_errno_hint(int err);

#endif /* VF_TSM_H */
