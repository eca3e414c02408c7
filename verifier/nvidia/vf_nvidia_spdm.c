/*
 * vf_nvidia_spdm.c — DMTF DSP0274 SPDM 1.1 GET_MEASUREMENTS request || MEASUREMENTS response, as NVIDIA
 * H100 GPUs return it (the "attestation report"), and NVIDIA's opaque-data TLVs.
 *
 * Request (DSP0274 1.1 §10.11, Table 40), 37 bytes when a signature is requested:
 *   SPDMVersion 0x11 | RequestResponseCode 0xE0 | Param1 (bit 0: signature requested) | Param2 (operation:
 *   0xFF = all blocks) | Nonce[32] | SlotIDParam
 * Response (Table 41 MEASUREMENTS):
 *   SPDMVersion | 0x60 | Param1 | Param2 (slot) | NumberOfBlocks | MeasurementRecordLength (3 bytes LE) |
 *   MeasurementRecord | Nonce[32] | OpaqueLength (2 LE) | OpaqueData | Signature (P-384: r || s, 96 bytes)
 * Measurement block (Table 45): Index | MeasurementSpecification (bit 0 = DMTF) | MeasurementSize (2 LE) |
 *   Measurement; DMTF measurement (Table 46): DMTFSpecMeasurementValueType | ValueSize (2 LE) | Value.
 * The SPDM 1.1 signature covers the transcript: request || response up to the signature (§10.11.2 L1/L2).
 *
 * NVIDIA opaque data (facts from NVIDIA nvtrust local_gpu_verifier spdm_msrt_resp_msg.py): a sequence of
 * [DataType u16le | DataSize u16le | Data]; field ids in vf_nvidia.h.
 */
#include <ctype.h>
#include <string.h>

#include "vf_nvidia.h"

/* --------------------------------------------------------------------------------------- opaque */

static const struct {
	uint16_t type;
	const char *name;
} vf_nv_opaque_names[] = {
	{ VF_NV_OPAQUE_CERT_ISSUER_NAME, "cert_issuer_name" },
	{ VF_NV_OPAQUE_CERT_AUTHORITY_KEY_IDENTIFIER, "cert_authority_key_identifier" },
	{ VF_NV_OPAQUE_DRIVER_VERSION, "driver_version" },
	{ VF_NV_OPAQUE_GPU_INFO, "gpu_info" },
	{ VF_NV_OPAQUE_SKU, "sku" },
	{ VF_NV_OPAQUE_VBIOS_VERSION, "vbios_version" },
	{ VF_NV_OPAQUE_MANUFACTURER_ID, "manufacturer_id" },
	{ VF_NV_OPAQUE_TAMPER_DETECTION, "tamper_detection" },
	{ VF_NV_OPAQUE_SMC, "smc" },
	{ VF_NV_OPAQUE_VPR, "vpr" },
	{ VF_NV_OPAQUE_NVDEC0_STATUS, "nvdec0_status" },
	{ VF_NV_OPAQUE_MSRSCNT, "measurement_count" },
	{ VF_NV_OPAQUE_CPRINFO, "cpr_info" },
	{ VF_NV_OPAQUE_BOARD_ID, "board_id" },
	{ VF_NV_OPAQUE_CHIP_SKU, "chip_sku" },
	{ VF_NV_OPAQUE_CHIP_SKU_MOD, "chip_sku_mod" },
	{ VF_NV_OPAQUE_PROJECT, "project" },
	{ VF_NV_OPAQUE_PROJECT_SKU, "project_sku" },
	{ VF_NV_OPAQUE_PROJECT_SKU_MOD, "project_sku_mod" },
	{ VF_NV_OPAQUE_FWID, "fwid" },
	{ VF_NV_OPAQUE_PROTECTED_PCIE_STATUS, "protected_pcie_status" },
	{ VF_NV_OPAQUE_SWITCH_PDI, "switch_pdi" },
	{ VF_NV_OPAQUE_FLOORSWEPT_PORTS, "floorswept_ports" },
	{ VF_NV_OPAQUE_POSITION_ID, "position_id" },
	{ VF_NV_OPAQUE_LOCK_SWITCH_STATUS, "lock_switch_status" },
	{ VF_NV_OPAQUE_GPU_LINK_CONN, "gpu_link_conn" },
	{ VF_NV_OPAQUE_SYS_ENABLE_STATUS, "sys_enable_status" },
	{ VF_NV_OPAQUE_OPAQUE_DATA_VERSION, "opaque_data_version" },
	{ VF_NV_OPAQUE_CHIP_INFO, "chip_info" },
	{ VF_NV_OPAQUE_FEATURE_FLAG, "feature_flag" },
	{ VF_NV_OPAQUE_INVALID, "invalid" },
};

const char *vf_nv_opaque_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(vf_nv_opaque_names) / sizeof(vf_nv_opaque_names[0]); i++)
		if (vf_nv_opaque_names[i].type == type)
			return vf_nv_opaque_names[i].name;
	return NULL;
}

TC_RESULT vf_nv_opaque_parse(const uint8_t *data, size_t len, struct vf_nv_opaque_field *fields, size_t max,
			     size_t *n_out)
{
	struct tc_cursor c;
	size_t n = 0;

	tc_cursor_init(&c, data, len);
	while (tc_cursor_remaining(&c) > 0) {
		struct vf_nv_opaque_field f;
		size_t at = tc_cursor_pos(&c);

		TC_ENSURE(n < max, TC_ERR_EVIDENCE_MALFORMED, "opaque data: more than %zu fields", max);
		TC_ENSURE(tc_is_ok(tc_cursor_u16le(&c, &f.type)) && tc_is_ok(tc_cursor_u16le(&c, &f.len)),
			  TC_ERR_EVIDENCE_MALFORMED, "opaque data: truncated field header at offset %zu", at);
		TC_ENSURE(tc_is_ok(tc_cursor_view(&c, f.len, &f.value)), TC_ERR_EVIDENCE_MALFORMED,
			  "opaque data: field type %u at offset %zu declares %u bytes, only %zu left", f.type, at,
			  f.len, tc_cursor_remaining(&c));
		for (size_t i = 0; i < n; i++)
			TC_ENSURE(fields[i].type != f.type, TC_ERR_EVIDENCE_MALFORMED,
				  "opaque data: field type %u repeated at offset %zu", f.type, at);
		fields[n++] = f;
	}
	*n_out = n;
	return tc_ok();
}

const struct vf_nv_opaque_field *vf_spdm_field(const struct vf_spdm *s, uint16_t type)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (s->fields[i].type == type)
			return &s->fields[i];
	return NULL;
}

const struct vf_spdm_block *vf_spdm_block(const struct vf_spdm *s, uint8_t index)
{
	for (size_t i = 0; i < s->n_blocks; i++)
		if (s->blocks[i].index == index)
			return &s->blocks[i];
	return NULL;
}

/* ----------------------------------------------------------------------------------------- SPDM */

/* Hex text input ("11e001ff..." with optional whitespace) is decoded into SCRATCH. */
static bool vf_spdm_looks_hex(const uint8_t *data, size_t len)
{
	size_t digits = 0;

	if (len == 0 || data[0] == VF_SPDM_VERSION_11)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (isxdigit(data[i]))
			digits++;
		else if (!isspace(data[i]))
			return false;
	}
	return digits > 0;
}

static TC_RESULT vf_spdm_unhex(const uint8_t *data, size_t len, struct tc_buf *scratch)
{
	struct tc_buf text;
	struct tc_result r = tc_ok();

	tc_buf_init(&text, 2 * VF_SPDM_MAX_INPUT + 1);
	for (size_t i = 0; i < len; i++)
		if (!isspace(data[i]))
			TC_GUARD_GOTO(r, tc_buf_append_u8(&text, data[i]), out);
	if (!tc_is_ok(tc_hex_decode((const char *)text.data, text.len, scratch)))
		r = tc_fail(TC_ERR_EVIDENCE_MALFORMED, "SPDM evidence: hex text does not decode (%s)",
			    tc_error_detail());
out:
	tc_buf_cleanup(&text);
	if (r.code == TC_ERR_TOO_LARGE)
		r = tc_fail(TC_ERR_EVIDENCE_MALFORMED, "SPDM evidence: hex text longer than %u bytes",
			    2 * VF_SPDM_MAX_INPUT);
	return r;
}

#define SPDM_NEED(expr, what)                                                                               \
	TC_ENSURE(tc_is_ok(expr), TC_ERR_EVIDENCE_MALFORMED, "SPDM %s truncated at offset %zu", (what),  \
		  tc_cursor_pos(&c))

static TC_RESULT vf_spdm_request(struct tc_cursor *msg, struct vf_spdm *out)
{
	struct tc_cursor c;
	uint8_t version, code;

	TC_ENSURE(tc_is_ok(tc_cursor_sub(msg, VF_SPDM_REQUEST_LEN, &c)), TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM evidence: %zu bytes, shorter than the %d-byte GET_MEASUREMENTS request",
		  tc_cursor_remaining(msg), VF_SPDM_REQUEST_LEN);
	SPDM_NEED(tc_cursor_u8(&c, &version), "request");
	SPDM_NEED(tc_cursor_u8(&c, &code), "request");
	TC_ENSURE(version == VF_SPDM_VERSION_11, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "SPDM request version 0x%02x, only 1.1 (0x11) is supported", version);
	TC_ENSURE(code == VF_SPDM_GET_MEASUREMENTS, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "SPDM request code 0x%02x is not GET_MEASUREMENTS (0xe0)", code);
	SPDM_NEED(tc_cursor_u8(&c, &out->req_param1), "request");
	SPDM_NEED(tc_cursor_u8(&c, &out->req_param2), "request");
	TC_ENSURE(out->req_param1 & VF_SPDM_REQ_SIGNATURE, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "SPDM request Param1 0x%02x does not request a signature", out->req_param1);
	SPDM_NEED(tc_cursor_copy(&c, out->req_nonce, VF_SPDM_NONCE_LEN), "request");
	SPDM_NEED(tc_cursor_u8(&c, &out->req_slot), "request");
	return tc_ok();
}

static TC_RESULT vf_spdm_record(const uint8_t *rec, size_t len, struct vf_spdm *out)
{
	struct tc_cursor c;

	tc_cursor_init(&c, rec, len);
	for (size_t i = 0; i < out->n_blocks; i++) {
		struct vf_spdm_block *b = &out->blocks[i];
		struct tc_cursor m;
		uint16_t size;

		SPDM_NEED(tc_cursor_u8(&c, &b->index), "measurement block");
		SPDM_NEED(tc_cursor_u8(&c, &b->spec), "measurement block");
		SPDM_NEED(tc_cursor_u16le(&c, &size), "measurement block");
		TC_ENSURE(tc_is_ok(tc_cursor_sub(&c, size, &m)), TC_ERR_EVIDENCE_MALFORMED,
			  "SPDM measurement block %zu (index %u) declares %u bytes, only %zu left in the record", i,
			  b->index, size, tc_cursor_remaining(&c));
		TC_ENSURE(b->spec & VF_DMTF_SPEC_DMTF, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
			  "SPDM measurement block index %u: specification 0x%02x is not DMTF", b->index, b->spec);
		TC_ENSURE(b->index != 0 && b->index != 0xFF, TC_ERR_EVIDENCE_MALFORMED,
			  "SPDM measurement block %zu has reserved index %u", i, b->index);
		for (size_t j = 0; j < i; j++)
			TC_ENSURE(out->blocks[j].index != b->index, TC_ERR_EVIDENCE_MALFORMED,
				  "SPDM measurement index %u repeated", b->index);
		TC_ENSURE(tc_is_ok(tc_cursor_u8(&m, &b->value_type)) && tc_is_ok(tc_cursor_u16le(&m, &b->value_len)),
			  TC_ERR_EVIDENCE_MALFORMED, "SPDM measurement index %u: truncated DMTF header", b->index);
		TC_ENSURE(b->value_len == tc_cursor_remaining(&m), TC_ERR_EVIDENCE_MALFORMED,
			  "SPDM measurement index %u: value size %u but %zu bytes in the block", b->index,
			  b->value_len, tc_cursor_remaining(&m));
		TC_ENSURE(b->value_len <= VF_NV_MAX_MEAS_VALUE, TC_ERR_EVIDENCE_MALFORMED,
			  "SPDM measurement index %u: value of %u bytes exceeds %d", b->index, b->value_len,
			  VF_NV_MAX_MEAS_VALUE);
		TC_GUARD(tc_cursor_view(&m, b->value_len, &b->value));
	}
	TC_ENSURE(tc_cursor_remaining(&c) == 0, TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM measurement record: %zu bytes left after %u blocks", tc_cursor_remaining(&c), out->n_blocks);
	return tc_ok();
}

TC_RESULT vf_spdm_parse(const uint8_t *data, size_t len, size_t max_trailing, struct tc_buf *scratch,
			struct vf_spdm *out)
{
	struct tc_cursor c;
	uint8_t code;
	uint32_t rec_len;
	const uint8_t *rec;

	TC_ENSURE(len <= 2 * VF_SPDM_MAX_INPUT + 4096, TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM evidence of %zu bytes exceeds the limit", len);
	if (vf_spdm_looks_hex(data, len)) {
		tc_buf_reset(scratch);
		TC_GUARD(vf_spdm_unhex(data, len, scratch));
		data = scratch->data;
		len = scratch->len;
	}
	TC_ENSURE(len <= VF_SPDM_MAX_INPUT, TC_ERR_EVIDENCE_MALFORMED, "SPDM evidence of %zu bytes exceeds %u",
		  len, VF_SPDM_MAX_INPUT);
	memset(out, 0, sizeof(*out));
	out->msg = data;
	tc_cursor_init(&c, data, len);
	TC_GUARD(vf_spdm_request(&c, out));

	/* MEASUREMENTS response header (Table 41). */
	SPDM_NEED(tc_cursor_u8(&c, &out->version), "response");
	SPDM_NEED(tc_cursor_u8(&c, &code), "response");
	TC_ENSURE(out->version == VF_SPDM_VERSION_11, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "SPDM response version 0x%02x, only 1.1 (0x11) is supported", out->version);
	TC_ENSURE(code == VF_SPDM_MEASUREMENTS, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "SPDM response code 0x%02x is not MEASUREMENTS (0x60)", code);
	SPDM_NEED(tc_cursor_u8(&c, &out->rsp_param1), "response");
	SPDM_NEED(tc_cursor_u8(&c, &out->rsp_param2), "response");
	SPDM_NEED(tc_cursor_u8(&c, &out->n_blocks), "response");
	SPDM_NEED(tc_cursor_u24le(&c, &rec_len), "response");
	TC_ENSURE(tc_is_ok(tc_cursor_view(&c, rec_len, &rec)), TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM MeasurementRecordLength %u exceeds the %zu bytes left", rec_len, tc_cursor_remaining(&c));
	TC_ENSURE(out->n_blocks > 0, TC_ERR_EVIDENCE_MALFORMED, "SPDM response holds no measurement blocks");
	TC_GUARD(vf_spdm_record(rec, rec_len, out));
	SPDM_NEED(tc_cursor_copy(&c, out->rsp_nonce, VF_SPDM_NONCE_LEN), "response nonce");
	SPDM_NEED(tc_cursor_u16le(&c, &out->opaque_len), "response");
	TC_ENSURE(tc_is_ok(tc_cursor_view(&c, out->opaque_len, &out->opaque)), TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM OpaqueLength %u exceeds the %zu bytes left", out->opaque_len, tc_cursor_remaining(&c));
	TC_GUARD(vf_nv_opaque_parse(out->opaque, out->opaque_len, out->fields, VF_NV_MAX_OPAQUE_FIELDS,
				    &out->n_fields));
	out->signed_len = tc_cursor_pos(&c);
	TC_ENSURE(tc_is_ok(tc_cursor_view(&c, VF_SPDM_SIG_LEN, &out->signature)), TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM signature truncated: %zu of %d bytes", tc_cursor_remaining(&c), VF_SPDM_SIG_LEN);
	out->trailing = tc_cursor_remaining(&c);
	TC_ENSURE(out->trailing <= max_trailing, TC_ERR_EVIDENCE_MALFORMED,
		  "SPDM evidence has %zu bytes after the signature (at most %zu tolerated)", out->trailing,
		  max_trailing);
	for (size_t i = 0; i < out->trailing; i++) {
		uint8_t b;

		TC_GUARD(tc_cursor_u8(&c, &b));
		TC_ENSURE(b == 0, TC_ERR_EVIDENCE_MALFORMED, "SPDM trailing byte after the signature is 0x%02x, not 0",
			  b);
	}
	return tc_ok();
}

/* --------------------------------------------------------------------------------------- claims */

/* Text up to the first NUL of a field, printable ASCII only. */
static TC_RESULT vf_nv_field_text(const struct vf_nv_opaque_field *f, const char *what, char *out, size_t size)
{
	size_t n = 0;

	while (n < f->len && f->value[n] != 0)
		n++;
	TC_ENSURE(n > 0 && n < size, TC_ERR_EVIDENCE_MALFORMED, "opaque %s: %zu characters", what, n);
	for (size_t i = 0; i < n; i++)
		TC_ENSURE(f->value[i] >= 0x20 && f->value[i] < 0x7f, TC_ERR_EVIDENCE_MALFORMED,
			  "opaque %s: non-printable byte 0x%02x", what, f->value[i]);
	memcpy(out, f->value, n);
	out[n] = 0;
	return tc_ok();
}

TC_RESULT vf_nv_driver_version(const struct vf_spdm *s, char *out, size_t out_size)
{
	const struct vf_nv_opaque_field *f = vf_spdm_field(s, VF_NV_OPAQUE_DRIVER_VERSION);

	TC_ENSURE(f != NULL, TC_ERR_EVIDENCE_MALFORMED, "opaque data has no driver version field");
	TC_GUARD(vf_nv_field_text(f, "driver_version", out, out_size));
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return tc_ok();
}

/*
 * nvtrust format_vbios_version: the field read as a little-endian integer, printed as hex; its upper half
 * followed by the byte just below the middle, in dot-separated pairs (8 bytes -> "96.00.5e.00.01").
 */
TC_RESULT vf_nv_vbios_version(const struct vf_spdm *s, char *out, size_t out_size)
{
	const struct vf_nv_opaque_field *f = vf_spdm_field(s, VF_NV_OPAQUE_VBIOS_VERSION);
	char hex[2 * 16 + 1];
	char temp[sizeof(hex)];
	size_t hl, half, tl = 0, o = 0;

	TC_ENSURE(f != NULL, TC_ERR_EVIDENCE_MALFORMED, "opaque data has no VBIOS version field");
	TC_ENSURE(f->len >= 2 && f->len <= 16 && f->len % 2 == 0, TC_ERR_EVIDENCE_MALFORMED,
		  "opaque VBIOS version of %u bytes", f->len);
	hl = 2 * (size_t)f->len;
	for (size_t i = 0; i < f->len; i++) {
		static const char digits[] = "0123456789abcdef";
		uint8_t b = f->value[f->len - 1 - i];

		hex[2 * i] = digits[b >> 4];
		hex[2 * i + 1] = digits[b & 15];
	}
	half = hl / 2;
	memcpy(temp, hex + half, half);
	tl = half;
	memcpy(temp + tl, hex + half - 2, 2);
	tl += 2;
	TC_ENSURE(out_size >= tl + tl / 2, TC_ERR_INTERNAL, "vbios version buffer too small");
	for (size_t i = 0; i < tl; i += 2) {
		if (i > 0)
			out[o++] = '.';
		out[o++] = temp[i];
		out[o++] = temp[i + 1];
	}
	out[o] = 0;
	return tc_ok();
}

TC_RESULT vf_nv_vbios_encode(const char *version, uint8_t out[VF_NV_VBIOS_LEN])
{
	/* vf_nv_vbios_version prints hex(LE value)[half..] followed by hex[half-2..half] for a
	 * VF_NV_VBIOS_LEN-byte field: "aa.bb.cc.dd.ee" is the LE value 0x000000ee_aabbccdd. */
	uint8_t pairs[5];
	uint8_t be[VF_NV_VBIOS_LEN] = { 0 };
	const char *p = version;

	for (size_t i = 0; i < sizeof(pairs); i++) {
		TC_ENSURE(isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
				  p[2] == (i + 1 < sizeof(pairs) ? '.' : 0),
			  TC_ERR_INVALID_ARGUMENT, "VBIOS version \"%s\": expected five dot-separated hex pairs",
			  version);
		TC_GUARD(tc_hex_decode_fixed(p, 2, &pairs[i], 1));
		p += 3;
	}
	be[3] = pairs[4];
	memcpy(be + 4, pairs, 4);
	for (size_t i = 0; i < VF_NV_VBIOS_LEN; i++)
		out[i] = be[VF_NV_VBIOS_LEN - 1 - i];
	return tc_ok();
}

static TC_RESULT vf_json_set(json_t *obj, const char *key, json_t *value)
{
	TC_ENSURE(value != NULL && json_object_set_new(obj, key, value) == 0, TC_ERR_NO_MEMORY,
		  "claims: cannot set %s", key);
	return tc_ok();
}

/* Fields whose value is text in the evidence. */
static bool vf_nv_field_is_text(uint16_t type)
{
	return type == VF_NV_OPAQUE_PROJECT || type == VF_NV_OPAQUE_PROJECT_SKU ||
	       type == VF_NV_OPAQUE_PROJECT_SKU_MOD || type == VF_NV_OPAQUE_CHIP_SKU ||
	       type == VF_NV_OPAQUE_CHIP_SKU_MOD || type == VF_NV_OPAQUE_CHIP_INFO;
}

TC_RESULT vf_spdm_claims(const struct vf_spdm *s, json_t *claims)
{
	char text[VF_RIM_VERSION_MAX];
	json_t *meas = json_object();
	json_t *opaque = json_object();
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, meas != NULL && opaque != NULL, out, TC_ERR_NO_MEMORY, "claims: out of memory");
	TC_GUARD_GOTO(r, vf_json_set(claims, "spdm_version", json_string("1.1")), out);
	TC_GUARD_GOTO(r, vf_json_set(claims, "nonce", tc_json_hex(s->req_nonce, VF_SPDM_NONCE_LEN)), out);
	TC_GUARD_GOTO(r, vf_json_set(claims, "responder_nonce", tc_json_hex(s->rsp_nonce, VF_SPDM_NONCE_LEN)), out);
	TC_GUARD_GOTO(r, vf_json_set(claims, "measurement_blocks", json_integer(s->n_blocks)), out);
	TC_GUARD_GOTO(r, vf_json_set(claims, "trailing_bytes", json_integer((json_int_t)s->trailing)), out);
	if (tc_is_ok(vf_nv_driver_version(s, text, sizeof(text))))
		TC_GUARD_GOTO(r, vf_json_set(claims, "driver_version", json_string(text)), out);
	if (tc_is_ok(vf_nv_vbios_version(s, text, sizeof(text))))
		TC_GUARD_GOTO(r, vf_json_set(claims, "vbios_version", json_string(text)), out);
	for (size_t i = 0; i < s->n_blocks; i++) {
		char key[8];

		snprintf(key, sizeof(key), "%u", s->blocks[i].index);
		TC_GUARD_GOTO(r, vf_json_set(meas, key, tc_json_hex(s->blocks[i].value, s->blocks[i].value_len)), out);
	}
	for (size_t i = 0; i < s->n_fields; i++) {
		const struct vf_nv_opaque_field *f = &s->fields[i];
		const char *name = vf_nv_opaque_name(f->type);
		char key[24];
		json_t *v;

		if (f->type == VF_NV_OPAQUE_DRIVER_VERSION || f->type == VF_NV_OPAQUE_VBIOS_VERSION)
			continue;
		if (name == NULL) {
			snprintf(key, sizeof(key), "type_%u", f->type);
			name = key;
		}
		if (vf_nv_field_is_text(f->type) && tc_is_ok(vf_nv_field_text(f, name, text, sizeof(text))))
			v = json_string(text);
		else
			v = tc_json_hex(f->value, f->len);
		TC_GUARD_GOTO(r, vf_json_set(opaque, name, v), out);
	}
	{
		json_t *m = meas, *o = opaque;

		meas = NULL; /* json_object_set_new steals the reference, also on failure */
		opaque = NULL;
		r = vf_json_set(claims, "measurements", m);
		if (tc_is_ok(r))
			r = vf_json_set(claims, "opaque", o);
		else
			json_decref(o);
	}
out:
	json_decref(meas);
	json_decref(opaque);
	return r;
}
