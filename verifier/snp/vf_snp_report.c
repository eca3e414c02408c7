/*
 * vf_snp_report.c — the SEV-SNP ATTESTATION_REPORT parser and the TCB_VERSION codec.
 *
 * Layout: AMD SEV-SNP Firmware ABI Specification (#56860), Table "ATTESTATION_REPORT Structure". Every byte
 * is read through one struct tc_cursor, in report order; reserved ranges are skipped, not interpreted.
 */
#include <stdio.h>
#include <string.h>

#include "vf_snp.h"

/* Reserved ranges of the report ([ABI] ATTESTATION_REPORT): sizes between the named fields. */
#define VF_SNP_RSVD_04C 4     /* 0x04C */
#define VF_SNP_RSVD_18B 0x15  /* 0x18B-0x19F (v3+: after CPUID_FAM/MOD/STEP) */
#define VF_SNP_CPUID_BLOCK 24 /* 0x188-0x19F: v2 reserved, v3 CPUID + reserved */
#define VF_SNP_RSVD_1EB 1
#define VF_SNP_RSVD_1EF 1
#define VF_SNP_MIT_BLOCK 16  /* 0x1F8-0x207: v5 LAUNCH_MIT_VECTOR, CURRENT_MIT_VECTOR; reserved before */
#define VF_SNP_RSVD_208 0x98 /* 0x208-0x29F */
#define VF_SNP_SIG_RSVD (0x200 - 2 * VF_SNP_SIG_COMPONENT_LEN) /* rest of the 512-byte SIGNATURE */

/* The cursor must be at the named offset: the reader and vf_snp_report_encode share vf_snp.h's layout. */
static TC_RESULT at(const struct tc_cursor *c, size_t off)
{
	TC_ENSURE(tc_cursor_pos(c) == off, TC_ERR_INTERNAL, "SNP report layout drift: at 0x%zx, expected 0x%zx",
		  tc_cursor_pos(c), off);
	return tc_ok();
}

static TC_RESULT read_body(struct tc_cursor *c, struct vf_snp_report *r)
{
	uint8_t rsvd_byte;

	TC_GUARD(at(c, VF_SNP_OFF_VERSION));
	TC_GUARD(tc_cursor_u32le(c, &r->version));
	TC_GUARD(tc_cursor_u32le(c, &r->guest_svn));
	TC_GUARD(tc_cursor_u64le(c, &r->policy));
	TC_GUARD(tc_cursor_copy(c, r->family_id, sizeof(r->family_id)));
	TC_GUARD(tc_cursor_copy(c, r->image_id, sizeof(r->image_id)));
	TC_GUARD(at(c, VF_SNP_OFF_VMPL));
	TC_GUARD(tc_cursor_u32le(c, &r->vmpl));
	TC_GUARD(tc_cursor_u32le(c, &r->signature_algo));
	TC_GUARD(tc_cursor_u64le(c, &r->current_tcb));
	TC_GUARD(tc_cursor_u64le(c, &r->platform_info));
	TC_GUARD(tc_cursor_u32le(c, &r->key_info));
	TC_GUARD(tc_cursor_skip(c, VF_SNP_RSVD_04C));
	TC_GUARD(at(c, VF_SNP_OFF_REPORT_DATA));
	TC_GUARD(tc_cursor_copy(c, r->report_data, sizeof(r->report_data)));
	TC_GUARD(tc_cursor_copy(c, r->measurement, sizeof(r->measurement)));
	TC_GUARD(at(c, VF_SNP_OFF_HOST_DATA));
	TC_GUARD(tc_cursor_copy(c, r->host_data, sizeof(r->host_data)));
	TC_GUARD(tc_cursor_copy(c, r->id_key_digest, sizeof(r->id_key_digest)));
	TC_GUARD(tc_cursor_copy(c, r->author_key_digest, sizeof(r->author_key_digest)));
	TC_GUARD(at(c, VF_SNP_OFF_REPORT_ID));
	TC_GUARD(tc_cursor_copy(c, r->report_id, sizeof(r->report_id)));
	TC_GUARD(tc_cursor_copy(c, r->report_id_ma, sizeof(r->report_id_ma)));
	TC_GUARD(at(c, VF_SNP_OFF_REPORTED_TCB));
	TC_GUARD(tc_cursor_u64le(c, &r->reported_tcb));
	if (r->version >= VF_SNP_REPORT_V3) {
		/* 0x188 CPUID_FAM_ID, 0x189 CPUID_MOD_ID, 0x18A CPUID_STEP (report version 3 and later) */
		r->has_cpuid = true;
		TC_GUARD(tc_cursor_u8(c, &r->cpuid_family));
		TC_GUARD(tc_cursor_u8(c, &r->cpuid_model));
		TC_GUARD(tc_cursor_u8(c, &r->cpuid_stepping));
		TC_GUARD(tc_cursor_skip(c, VF_SNP_RSVD_18B));
	} else {
		TC_GUARD(tc_cursor_skip(c, VF_SNP_CPUID_BLOCK));
	}
	TC_GUARD(at(c, VF_SNP_OFF_CHIP_ID));
	TC_GUARD(tc_cursor_copy(c, r->chip_id, sizeof(r->chip_id)));
	TC_GUARD(at(c, VF_SNP_OFF_COMMITTED_TCB));
	TC_GUARD(tc_cursor_u64le(c, &r->committed_tcb));
	TC_GUARD(tc_cursor_u8(c, &r->current_build));
	TC_GUARD(tc_cursor_u8(c, &r->current_minor));
	TC_GUARD(tc_cursor_u8(c, &r->current_major));
	TC_GUARD(tc_cursor_u8(c, &rsvd_byte));
	TC_GUARD(at(c, VF_SNP_OFF_COMMITTED_BUILD));
	TC_GUARD(tc_cursor_u8(c, &r->committed_build));
	TC_GUARD(tc_cursor_u8(c, &r->committed_minor));
	TC_GUARD(tc_cursor_u8(c, &r->committed_major));
	TC_GUARD(tc_cursor_u8(c, &rsvd_byte));
	TC_GUARD(at(c, VF_SNP_OFF_LAUNCH_TCB));
	TC_GUARD(tc_cursor_u64le(c, &r->launch_tcb));
	if (r->version >= VF_SNP_REPORT_V5) {
		/* 0x1F8 LAUNCH_MIT_VECTOR, 0x200 CURRENT_MIT_VECTOR (report version 5 and later) */
		r->has_mit_vectors = true;
		TC_GUARD(at(c, VF_SNP_OFF_LAUNCH_MIT_VECTOR));
		TC_GUARD(tc_cursor_u64le(c, &r->launch_mit_vector));
		TC_GUARD(tc_cursor_u64le(c, &r->current_mit_vector));
	} else {
		TC_GUARD(tc_cursor_skip(c, VF_SNP_MIT_BLOCK));
	}
	TC_GUARD(tc_cursor_skip(c, VF_SNP_RSVD_208));
	TC_GUARD(at(c, VF_SNP_OFF_SIGNATURE));
	/* 0x2A0 SIGNATURE ([ABI] "ECDSA P-384 with SHA-384 Signature": R, S little-endian, 72 bytes each) */
	TC_GUARD(tc_cursor_copy(c, r->sig_r, sizeof(r->sig_r)));
	TC_GUARD(tc_cursor_copy(c, r->sig_s, sizeof(r->sig_s)));
	TC_GUARD(tc_cursor_skip(c, VF_SNP_SIG_RSVD));
	return tc_ok();
}

TC_RESULT vf_snp_report_parse(const uint8_t *data, size_t len, struct vf_snp_report *out)
{
	struct vf_snp_report r;
	struct tc_cursor c;
	struct tc_result res;

	memset(&r, 0, sizeof(r));
	TC_ENSURE(data != NULL && len >= VF_SNP_REPORT_LEN, TC_ERR_EVIDENCE_MALFORMED,
		  "SNP report is %zu bytes, shorter than the %d-byte ATTESTATION_REPORT", data ? len : 0,
		  VF_SNP_REPORT_LEN);
	tc_cursor_init(&c, data, VF_SNP_REPORT_LEN);
	res = read_body(&c, &r);
	if (res.code == TC_ERR_INTERNAL)
		return res;
	TC_ENSURE(tc_is_ok(res), TC_ERR_EVIDENCE_MALFORMED, "SNP report: %s", tc_error_detail());
	TC_ENSURE(tc_cursor_pos(&c) == VF_SNP_REPORT_LEN, TC_ERR_INTERNAL, "SNP report layout is %zu bytes",
		  tc_cursor_pos(&c));
	TC_ENSURE(r.version == VF_SNP_REPORT_V2 || r.version == VF_SNP_REPORT_V3 || r.version == VF_SNP_REPORT_V5,
		  TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "SNP report version %u is not supported (2, 3 or 5)", r.version);
	TC_ENSURE(r.signature_algo == VF_SNP_SIG_ALGO_ECDSA_P384_SHA384, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "SNP report SIGNATURE_ALGO %u is not supported (1 = ECDSA P-384 with SHA-384)", r.signature_algo);
	r.signed_bytes = data;
	*out = r;
	return tc_ok();
}

TC_RESULT vf_snp_report_sig_be(const struct vf_snp_report *r, uint8_t out[2 * VF_SNP_P384_COORD_LEN])
{
	const uint8_t *parts[2] = { r->sig_r, r->sig_s };

	for (int p = 0; p < 2; p++) {
		for (size_t i = VF_SNP_P384_COORD_LEN; i < VF_SNP_SIG_COMPONENT_LEN; i++)
			TC_ENSURE(parts[p][i] == 0, TC_ERR_EVIDENCE_SIGNATURE_INVALID,
				  "SNP report signature %c is wider than 384 bits (byte %zu of its 72 is not zero)",
				  p == 0 ? 'R' : 'S', i);
		/* little-endian -> big-endian */
		for (size_t i = 0; i < VF_SNP_P384_COORD_LEN; i++)
			out[p * VF_SNP_P384_COORD_LEN + i] = parts[p][VF_SNP_P384_COORD_LEN - 1 - i];
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- encoder */

static void put_le(uint8_t *out, size_t off, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[off + i] = (uint8_t)(v >> (8 * i));
}

void vf_snp_report_encode(const struct vf_snp_report *r, uint8_t out[VF_SNP_REPORT_LEN])
{
	memset(out, 0, VF_SNP_REPORT_LEN);
	put_le(out, VF_SNP_OFF_VERSION, r->version, 4);
	put_le(out, VF_SNP_OFF_GUEST_SVN, r->guest_svn, 4);
	put_le(out, VF_SNP_OFF_POLICY, r->policy, 8);
	memcpy(out + VF_SNP_OFF_FAMILY_ID, r->family_id, VF_SNP_FAMILY_ID_LEN);
	memcpy(out + VF_SNP_OFF_IMAGE_ID, r->image_id, VF_SNP_IMAGE_ID_LEN);
	put_le(out, VF_SNP_OFF_VMPL, r->vmpl, 4);
	put_le(out, VF_SNP_OFF_SIGNATURE_ALGO, r->signature_algo, 4);
	put_le(out, VF_SNP_OFF_CURRENT_TCB, r->current_tcb, 8);
	put_le(out, VF_SNP_OFF_PLATFORM_INFO, r->platform_info, 8);
	put_le(out, VF_SNP_OFF_KEY_INFO, r->key_info, 4);
	memcpy(out + VF_SNP_OFF_REPORT_DATA, r->report_data, VF_SNP_REPORT_DATA_LEN);
	memcpy(out + VF_SNP_OFF_MEASUREMENT, r->measurement, VF_SNP_MEASUREMENT_LEN);
	memcpy(out + VF_SNP_OFF_HOST_DATA, r->host_data, VF_SNP_HOST_DATA_LEN);
	memcpy(out + VF_SNP_OFF_ID_KEY_DIGEST, r->id_key_digest, VF_SNP_KEY_DIGEST_LEN);
	memcpy(out + VF_SNP_OFF_AUTHOR_KEY_DIGEST, r->author_key_digest, VF_SNP_KEY_DIGEST_LEN);
	memcpy(out + VF_SNP_OFF_REPORT_ID, r->report_id, VF_SNP_REPORT_ID_LEN);
	memcpy(out + VF_SNP_OFF_REPORT_ID_MA, r->report_id_ma, VF_SNP_REPORT_ID_LEN);
	put_le(out, VF_SNP_OFF_REPORTED_TCB, r->reported_tcb, 8);
	if (r->version >= VF_SNP_REPORT_V3) {
		out[VF_SNP_OFF_CPUID_FAM] = r->cpuid_family;
		out[VF_SNP_OFF_CPUID_MOD] = r->cpuid_model;
		out[VF_SNP_OFF_CPUID_STEP] = r->cpuid_stepping;
	}
	memcpy(out + VF_SNP_OFF_CHIP_ID, r->chip_id, VF_SNP_CHIP_ID_LEN);
	put_le(out, VF_SNP_OFF_COMMITTED_TCB, r->committed_tcb, 8);
	out[VF_SNP_OFF_CURRENT_BUILD] = r->current_build;
	out[VF_SNP_OFF_CURRENT_MINOR] = r->current_minor;
	out[VF_SNP_OFF_CURRENT_MAJOR] = r->current_major;
	out[VF_SNP_OFF_COMMITTED_BUILD] = r->committed_build;
	out[VF_SNP_OFF_COMMITTED_MINOR] = r->committed_minor;
	out[VF_SNP_OFF_COMMITTED_MAJOR] = r->committed_major;
	put_le(out, VF_SNP_OFF_LAUNCH_TCB, r->launch_tcb, 8);
	if (r->version >= VF_SNP_REPORT_V5) {
		put_le(out, VF_SNP_OFF_LAUNCH_MIT_VECTOR, r->launch_mit_vector, 8);
		put_le(out, VF_SNP_OFF_CURRENT_MIT_VECTOR, r->current_mit_vector, 8);
	}
	memcpy(out + VF_SNP_OFF_SIGNATURE, r->sig_r, VF_SNP_SIG_COMPONENT_LEN);
	memcpy(out + VF_SNP_OFF_SIGNATURE + VF_SNP_SIG_COMPONENT_LEN, r->sig_s, VF_SNP_SIG_COMPONENT_LEN);
}

/* ------------------------------------------------------------------------------------------ TCB_VERSION */

static uint8_t byte_of(uint64_t v, unsigned i)
{
	return (uint8_t)(v >> (8 * i));
}

/* Byte positions per layout ([ABI] TCB_VERSION; the Family 1Ah table for Turin). */
struct tcb_positions {
	int fmc, bootloader, tee, snp, microcode; /* -1: not in this layout */
};

static const struct tcb_positions layouts[] = {
	[VF_SNP_TCB_MILAN_GENOA] = { .fmc = -1, .bootloader = 0, .tee = 1, .snp = 6, .microcode = 7 },
	[VF_SNP_TCB_TURIN] = { .fmc = 0, .bootloader = 1, .tee = 2, .snp = 3, .microcode = 7 },
};

struct vf_snp_tcb vf_snp_tcb_decode(uint64_t raw, enum vf_snp_tcb_layout layout)
{
	const struct tcb_positions *p = &layouts[layout];
	struct vf_snp_tcb t = { 0 };

	t.bootloader = byte_of(raw, (unsigned)p->bootloader);
	t.tee = byte_of(raw, (unsigned)p->tee);
	t.snp = byte_of(raw, (unsigned)p->snp);
	t.microcode = byte_of(raw, (unsigned)p->microcode);
	if (p->fmc >= 0)
		t.fmc = byte_of(raw, (unsigned)p->fmc);
	return t;
}

uint64_t vf_snp_tcb_encode(const struct vf_snp_tcb *t, enum vf_snp_tcb_layout layout)
{
	const struct tcb_positions *p = &layouts[layout];
	uint64_t v = 0;

	v |= (uint64_t)t->bootloader << (8 * p->bootloader);
	v |= (uint64_t)t->tee << (8 * p->tee);
	v |= (uint64_t)t->snp << (8 * p->snp);
	v |= (uint64_t)t->microcode << (8 * p->microcode);
	if (p->fmc >= 0)
		v |= (uint64_t)t->fmc << (8 * p->fmc);
	return v;
}

bool vf_snp_tcb_ge(const struct vf_snp_tcb *a, const struct vf_snp_tcb *b, enum vf_snp_tcb_layout layout)
{
	if (layout == VF_SNP_TCB_TURIN && a->fmc < b->fmc)
		return false;
	return a->bootloader >= b->bootloader && a->tee >= b->tee && a->snp >= b->snp && a->microcode >= b->microcode;
}

void vf_snp_tcb_format(const struct vf_snp_tcb *t, enum vf_snp_tcb_layout layout, char *buf, size_t size)
{
	int n = snprintf(buf, size, "bl=%u tee=%u snp=%u ucode=%u", t->bootloader, t->tee, t->snp, t->microcode);

	if (layout == VF_SNP_TCB_TURIN && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " fmc=%u", t->fmc);
}

enum vf_snp_tcb_layout vf_snp_tcb_layout_of(const struct vf_snp_report *r, const char *product)
{
	if (r->has_cpuid)
		return r->cpuid_family == VF_SNP_CPUID_FAMILY_TURIN ? VF_SNP_TCB_TURIN : VF_SNP_TCB_MILAN_GENOA;
	if (product && strcmp(product, "Turin") == 0)
		return VF_SNP_TCB_TURIN;
	return VF_SNP_TCB_MILAN_GENOA;
}
