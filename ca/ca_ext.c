/*
 * ca_ext.c — teecert's X.509 extensions: encoders and strict decoders of the ASN.1 module ca/teecert.asn1
 * (arc 2.25.294202798840466547262940463723324836766 .1-.5), the TCG DICE conceptual-message-wrapper
 * extension 2.23.133.5.4.9 carrying the raw evidence as a CBOR CMW collection (draft-ietf-rats-msg-wrap
 * §3.3 collection of §3.1 records; TCG DICE Attestation Architecture v1.1 OID), and the Intel RA-TLS quote
 * extension 1.2.840.113741.1337.6. Decoders read bytes from outside (certificates presented to admission),
 * so they go through the bounds-checked DER reader and are fuzzed (tests/fuzz/ca).
 */
#include "ca_internal.h"

#include <string.h>

#include <openssl/evp.h>

#define CA_APPRAISAL_VERSION 1
#define CA_CMW_IND_EVIDENCE 4 /* CMW record "ind": bit 2 = evidence (draft-ietf-rats-msg-wrap §3.1) */
#define CA_CMW_COLLECTION_TYPE "tag:teecert.dev,2025:evidence"
#define CA_CBOR_MAP 5
#define CA_CBOR_ARRAY 4
#define CA_CBOR_TEXT 3
#define CA_CBOR_BYTES 2
#define CA_CBOR_UINT 0

/* ENUMERATED values of TeeType and TcbStatus in ca/teecert.asn1 order (decoupled from the C enums). */
static const enum vf_tee tee_values[] = { VF_TEE_TDX, VF_TEE_SNP, VF_TEE_NVIDIA };
static const enum vf_tcb_status tcb_values[] = {
	VF_TCB_UP_TO_DATE,
	VF_TCB_SW_HARDENING_NEEDED,
	VF_TCB_CONFIGURATION_NEEDED,
	VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	VF_TCB_OUT_OF_DATE,
	VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	VF_TCB_TD_RELAUNCH_ADVISED,
	VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
	VF_TCB_REVOKED,
	VF_TCB_UNKNOWN,
};
#define N_TEE (sizeof(tee_values) / sizeof(tee_values[0]))
#define N_TCB (sizeof(tcb_values) / sizeof(tcb_values[0]))

static uint64_t tee_enum(enum vf_tee t)
{
	for (size_t i = 0; i < N_TEE; i++)
		if (tee_values[i] == t)
			return i;
	return 0;
}

static uint64_t tcb_enum(enum vf_tcb_status s)
{
	for (size_t i = 0; i < N_TCB; i++)
		if (tcb_values[i] == s)
			return i;
	return N_TCB - 1;
}

static const char *const role_names[] = { "root", "subroot", "cvm", "workload" };
static const char *const network_names[] = { "trusted", "untrusted" };

/* Index of S in NAMES[0..N) into *OUT; false when S is NULL or not there. */
static bool name_index(const char *const *names, unsigned n, const char *s, unsigned *out)
{
	for (unsigned i = 0; i < n && s != NULL; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

const char *ca_role_name(enum ca_role r)
{
	return (unsigned)r < 4 ? role_names[r] : "unknown";
}

TC_RESULT ca_role_parse(const char *s, enum ca_role *out)
{
	unsigned i;
	TC_ENSURE(name_index(role_names, 4, s, &i), TC_ERR_INVALID_ARGUMENT,
		  "unknown certificate role \"%s\" (root|subroot|cvm|workload)", s != NULL ? s : "");
	*out = (enum ca_role)i;
	return tc_ok();
}

const char *ca_network_name(enum ca_network n)
{
	return (unsigned)n < 2 ? network_names[n] : "unknown";
}

TC_RESULT ca_network_parse(const char *s, enum ca_network *out)
{
	unsigned i;
	TC_ENSURE(name_index(network_names, 2, s, &i), TC_ERR_INVALID_ARGUMENT,
		  "unknown network mode \"%s\" (trusted|untrusted)", s != NULL ? s : "");
	*out = (enum ca_network)i;
	return tc_ok();
}

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* ----------------------------------------------------------------------------------- from appraisal */

TC_RESULT ca_ext_appraisal_from_vf(const struct vf_appraisal *a, struct ca_ext_appraisal *out)
{
	memset(out, 0, sizeof(*out));
	TC_ENSURE(a->n_devices <= VF_MAX_DEVICES && a->n_collateral <= VF_MAX_ITEMS, TC_ERR_INTERNAL,
		  "appraisal with too many devices/digests");
	out->accepted = a->accepted;
	if (!a->accepted)
		snprintf(out->failure, sizeof(out->failure), "%s", tc_error_info(a->failure)->code);
	for (size_t i = 0; i < a->n_devices; i++) {
		const struct vf_device *d = &a->devices[i];
		struct ca_ext_device *e = &out->devices[i];

		snprintf(e->id, sizeof(e->id), "%s", d->id);
		e->tee = d->tee;
		e->simulated = d->simulated;
		e->has_tcb_status = d->has_tcb_status;
		e->tcb_status = d->has_tcb_status ? d->tcb_status : VF_TCB_UNKNOWN;
	}
	out->n_devices = a->n_devices;
	memcpy(out->policy_digest, a->policy_digest, 32);
	memcpy(out->evidence_digest, a->evidence_digest, 32);
	memcpy(out->collateral, a->collateral, a->n_collateral * sizeof(a->collateral[0]));
	out->n_collateral = a->n_collateral;
	out->appraised_at = a->appraised_at;
	return tc_ok();
}

/* Hex claim NAME of a device into OUT (exactly MIN..MAX bytes); *LEN = 0 when absent. */
static TC_RESULT claim_bytes(const struct vf_device *d, const char *name, uint8_t *out, size_t min, size_t max,
			     size_t *len)
{
	const char *hex = json_string_value(json_object_get(d->claims, name));
	struct tc_buf b = { 0 };
	struct tc_result r;

	*len = 0;
	if (hex == NULL)
		return tc_ok();
	tc_buf_init(&b, max);
	r = tc_hex_decode(hex, strlen(hex), &b);
	if (tc_is_ok(r) && (b.len < min || b.len > max))
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "claim %s of %s is %zu bytes", name, d->id, b.len);
	if (tc_is_ok(r)) {
		memcpy(out, b.data, b.len);
		*len = b.len;
	}
	tc_buf_cleanup(&b);
	return r;
}

TC_RESULT ca_ext_hwid_from_vf(const struct vf_appraisal *a, struct ca_ext_hwid *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < a->n_devices && i < VF_MAX_DEVICES; i++) {
		const struct vf_device *d = &a->devices[i];
		struct ca_ext_hwid_device *e = &out->devices[out->n_devices];

		snprintf(e->id, sizeof(e->id), "%s", d->id);
		e->tee = d->tee;
		TC_GUARD(claim_bytes(d, "fmspc", e->fmspc, CA_FMSPC_LEN, CA_FMSPC_LEN, &n));
		e->has_fmspc = n > 0;
		TC_GUARD(claim_bytes(d, "ppid", e->ppid, CA_PPID_LEN, CA_PPID_LEN, &n));
		e->has_ppid = n > 0;
		TC_GUARD(claim_bytes(d, "chip_id", e->chip_id, 1, CA_CHIP_ID_MAX, &e->chip_id_len));
		TC_GUARD(claim_bytes(d, "ueid", e->ueid, 1, CA_HWID_UEID_MAX, &e->ueid_len));
		out->n_devices++;
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------ .1 appraisal */

TC_RESULT ca_ext_appraisal_encode(const struct ca_ext_appraisal *v, struct tc_buf *out)
{
	struct ca_der w;

	TC_ENSURE(v->n_devices <= VF_MAX_DEVICES && v->n_collateral <= VF_MAX_ITEMS, TC_ERR_INVALID_ARGUMENT,
		  "appraisal summary too large");
	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_INTEGER, CA_APPRAISAL_VERSION);
	ca_der_uint(&w, CA_DER_ENUMERATED, v->accepted ? 0 : 1);
	if (v->failure[0] != '\0')
		ca_der_utf8(&w, CA_DER_CTX(0), v->failure);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	for (size_t i = 0; i < v->n_devices; i++) {
		const struct ca_ext_device *d = &v->devices[i];

		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_utf8(&w, CA_DER_UTF8STRING, d->id);
		ca_der_uint(&w, CA_DER_ENUMERATED, tee_enum(d->tee));
		if (d->simulated)
			ca_der_bool(&w, true); /* DEFAULT FALSE omitted */
		if (d->has_tcb_status)
			ca_der_uint(&w, CA_DER_ENUMERATED, tcb_enum(d->tcb_status));
		ca_der_end(&w);
	}
	ca_der_end(&w);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, v->policy_digest, 32);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, v->evidence_digest, 32);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	for (size_t i = 0; i < v->n_collateral; i++) {
		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_utf8(&w, CA_DER_UTF8STRING, v->collateral[i].role);
		ca_der_tlv(&w, CA_DER_OCTET_STRING, v->collateral[i].sha256, 32);
		ca_der_end(&w);
	}
	ca_der_end(&w);
	ca_der_time(&w, v->appraised_at, true);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

static TC_RESULT decode_device(struct tc_cursor *c, struct ca_ext_device *d)
{
	struct tc_cursor s;
	uint64_t v;
	uint8_t tag;

	memset(d, 0, sizeof(*d));
	d->tcb_status = VF_TCB_UNKNOWN; /* absent: not evaluated */
	TC_GUARD(ca_der_read(c, CA_DER_SEQUENCE, "DeviceSummary", &s));
	TC_GUARD(ca_der_read_string(&s, CA_DER_UTF8STRING, "DeviceSummary.id", d->id, sizeof(d->id)));
	TC_GUARD(ca_der_read_uint(&s, CA_DER_ENUMERATED, "DeviceSummary.tee", N_TEE - 1, &v));
	d->tee = tee_values[v];
	if (ca_der_peek(&s, &tag) && tag == CA_DER_BOOLEAN) {
		TC_GUARD(ca_der_read_bool(&s, "DeviceSummary.simulated", &d->simulated));
		TC_ENSURE(d->simulated, TC_ERR_EXTENSION_MALFORMED, "DeviceSummary.simulated: DEFAULT FALSE encoded");
	}
	if (ca_der_peek(&s, &tag) && tag == CA_DER_ENUMERATED) {
		TC_GUARD(ca_der_read_uint(&s, CA_DER_ENUMERATED, "DeviceSummary.tcbStatus", N_TCB - 1, &v));
		d->has_tcb_status = true;
		d->tcb_status = tcb_values[v];
	}
	return ca_der_expect_end(&s, "DeviceSummary");
}

TC_RESULT ca_ext_appraisal_decode(const uint8_t *der, size_t len, struct ca_ext_appraisal *out)
{
	struct tc_cursor c, s, list;
	const uint8_t *p;
	size_t n;
	uint64_t v;
	uint8_t tag;

	memset(out, 0, sizeof(*out));
	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "AppraisalSummary", &s));
	TC_GUARD(ca_der_expect_end(&c, "AppraisalSummary"));
	TC_GUARD(ca_der_read_uint(&s, CA_DER_INTEGER, "AppraisalSummary.version", UINT64_MAX, &v));
	TC_ENSURE(v == CA_APPRAISAL_VERSION, TC_ERR_EXTENSION_MALFORMED, "AppraisalSummary.version %llu unsupported",
		  (unsigned long long)v);
	TC_GUARD(ca_der_read_uint(&s, CA_DER_ENUMERATED, "AppraisalSummary.verdict", 1, &v));
	out->accepted = v == 0;
	if (ca_der_peek(&s, &tag) && tag == CA_DER_CTX(0)) {
		TC_GUARD(ca_der_read_string(&s, CA_DER_CTX(0), "AppraisalSummary.failure", out->failure,
					    sizeof(out->failure)));
		TC_ENSURE(printable(out->failure), TC_ERR_EXTENSION_MALFORMED, "AppraisalSummary.failure: not printable");
	}
	TC_ENSURE(out->accepted == (out->failure[0] == '\0'), TC_ERR_EXTENSION_MALFORMED,
		  "AppraisalSummary: failure must be present exactly when rejected");
	TC_GUARD(ca_der_read(&s, CA_DER_SEQUENCE, "AppraisalSummary.devices", &list));
	while (tc_cursor_remaining(&list) > 0) {
		TC_ENSURE(out->n_devices < VF_MAX_DEVICES, TC_ERR_EXTENSION_MALFORMED, "more than %d devices",
			  VF_MAX_DEVICES);
		TC_GUARD(decode_device(&list, &out->devices[out->n_devices++]));
	}
	TC_GUARD(ca_der_read_octets(&s, CA_DER_OCTET_STRING, "AppraisalSummary.policyDigest", 32, 32, &p, &n));
	memcpy(out->policy_digest, p, 32);
	TC_GUARD(ca_der_read_octets(&s, CA_DER_OCTET_STRING, "AppraisalSummary.evidenceDigest", 32, 32, &p, &n));
	memcpy(out->evidence_digest, p, 32);
	TC_GUARD(ca_der_read(&s, CA_DER_SEQUENCE, "AppraisalSummary.collateral", &list));
	while (tc_cursor_remaining(&list) > 0) {
		struct tc_cursor e;
		struct vf_digest *d;

		TC_ENSURE(out->n_collateral < VF_MAX_ITEMS, TC_ERR_EXTENSION_MALFORMED, "more than %d digests",
			  VF_MAX_ITEMS);
		d = &out->collateral[out->n_collateral++];
		TC_GUARD(ca_der_read(&list, CA_DER_SEQUENCE, "CollateralDigest", &e));
		TC_GUARD(ca_der_read_string(&e, CA_DER_UTF8STRING, "CollateralDigest.role", d->role, sizeof(d->role)));
		TC_GUARD(ca_der_read_octets(&e, CA_DER_OCTET_STRING, "CollateralDigest.sha256", 32, 32, &p, &n));
		memcpy(d->sha256, p, 32);
		TC_GUARD(ca_der_expect_end(&e, "CollateralDigest"));
	}
	TC_GUARD(ca_der_read_gentime(&s, "AppraisalSummary.appraisedAt", &out->appraised_at));
	return ca_der_expect_end(&s, "AppraisalSummary");
}

/* -------------------------------------------------------------------------------- .2 workload info */

TC_RESULT ca_ext_workload_info_encode(const uint8_t hash[VF_BINDING_HASH_LEN], struct tc_buf *out)
{
	struct ca_der w;

	ca_der_init(&w, out);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, hash, VF_BINDING_HASH_LEN);
	return ca_der_finish(&w);
}

TC_RESULT ca_ext_workload_info_decode(const uint8_t *der, size_t len, uint8_t out[VF_BINDING_HASH_LEN])
{
	struct tc_cursor c;
	const uint8_t *p;
	size_t n;

	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read_octets(&c, CA_DER_OCTET_STRING, "WorkloadInfoHash", VF_BINDING_HASH_LEN,
				    VF_BINDING_HASH_LEN, &p, &n));
	TC_GUARD(ca_der_expect_end(&c, "WorkloadInfoHash"));
	memcpy(out, p, VF_BINDING_HASH_LEN);
	return tc_ok();
}

/* ------------------------------------------------------------------------------ .3 hardware identity */

TC_RESULT ca_ext_hwid_encode(const struct ca_ext_hwid *v, struct tc_buf *out)
{
	struct ca_der w;

	TC_ENSURE(v->n_devices <= VF_MAX_DEVICES, TC_ERR_INVALID_ARGUMENT, "too many devices");
	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	for (size_t i = 0; i < v->n_devices; i++) {
		const struct ca_ext_hwid_device *d = &v->devices[i];

		TC_ENSURE(d->chip_id_len <= CA_CHIP_ID_MAX && d->ueid_len <= CA_HWID_UEID_MAX, TC_ERR_INVALID_ARGUMENT,
			  "hardware id too long");
		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_utf8(&w, CA_DER_UTF8STRING, d->id);
		ca_der_uint(&w, CA_DER_ENUMERATED, tee_enum(d->tee));
		if (d->has_fmspc)
			ca_der_tlv(&w, CA_DER_CTX(0), d->fmspc, CA_FMSPC_LEN);
		if (d->has_ppid)
			ca_der_tlv(&w, CA_DER_CTX(1), d->ppid, CA_PPID_LEN);
		if (d->chip_id_len > 0)
			ca_der_tlv(&w, CA_DER_CTX(2), d->chip_id, d->chip_id_len);
		if (d->ueid_len > 0)
			ca_der_tlv(&w, CA_DER_CTX(3), d->ueid, d->ueid_len);
		ca_der_end(&w);
	}
	ca_der_end(&w);
	return ca_der_finish(&w);
}

TC_RESULT ca_ext_hwid_decode(const uint8_t *der, size_t len, struct ca_ext_hwid *out)
{
	struct tc_cursor c, list;
	const uint8_t *p;
	size_t n;
	uint64_t v;
	uint8_t tag;

	memset(out, 0, sizeof(*out));
	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "HardwareIdentity", &list));
	TC_GUARD(ca_der_expect_end(&c, "HardwareIdentity"));
	while (tc_cursor_remaining(&list) > 0) {
		struct tc_cursor s;
		struct ca_ext_hwid_device *d;

		TC_ENSURE(out->n_devices < VF_MAX_DEVICES, TC_ERR_EXTENSION_MALFORMED, "more than %d devices",
			  VF_MAX_DEVICES);
		d = &out->devices[out->n_devices++];
		TC_GUARD(ca_der_read(&list, CA_DER_SEQUENCE, "DeviceIdentity", &s));
		TC_GUARD(ca_der_read_string(&s, CA_DER_UTF8STRING, "DeviceIdentity.id", d->id, sizeof(d->id)));
		TC_GUARD(ca_der_read_uint(&s, CA_DER_ENUMERATED, "DeviceIdentity.tee", N_TEE - 1, &v));
		d->tee = tee_values[v];
		if (ca_der_peek(&s, &tag) && tag == CA_DER_CTX(0)) {
			TC_GUARD(ca_der_read_octets(&s, CA_DER_CTX(0), "DeviceIdentity.fmspc", CA_FMSPC_LEN, CA_FMSPC_LEN,
						    &p, &n));
			memcpy(d->fmspc, p, n);
			d->has_fmspc = true;
		}
		if (ca_der_peek(&s, &tag) && tag == CA_DER_CTX(1)) {
			TC_GUARD(ca_der_read_octets(&s, CA_DER_CTX(1), "DeviceIdentity.ppid", CA_PPID_LEN, CA_PPID_LEN, &p,
						    &n));
			memcpy(d->ppid, p, n);
			d->has_ppid = true;
		}
		if (ca_der_peek(&s, &tag) && tag == CA_DER_CTX(2)) {
			TC_GUARD(ca_der_read_octets(&s, CA_DER_CTX(2), "DeviceIdentity.chipId", 1, CA_CHIP_ID_MAX, &p,
						    &n));
			memcpy(d->chip_id, p, n);
			d->chip_id_len = n;
		}
		if (ca_der_peek(&s, &tag) && tag == CA_DER_CTX(3)) {
			TC_GUARD(ca_der_read_octets(&s, CA_DER_CTX(3), "DeviceIdentity.ueid", 1, CA_HWID_UEID_MAX, &p,
						    &n));
			memcpy(d->ueid, p, n);
			d->ueid_len = n;
		}
		TC_GUARD(ca_der_expect_end(&s, "DeviceIdentity"));
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ .4 role */

TC_RESULT ca_ext_role_encode(const struct ca_ext_role *v, struct tc_buf *out)
{
	struct ca_der w;

	TC_ENSURE((unsigned)v->role <= CA_ROLE_WORKLOAD && (unsigned)v->network <= CA_NETWORK_UNTRUSTED,
		  TC_ERR_INVALID_ARGUMENT, "role/network out of range");
	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_ENUMERATED, (uint64_t)v->role);
	ca_der_uint(&w, CA_DER_ENUMERATED, (uint64_t)v->network);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

TC_RESULT ca_ext_role_decode(const uint8_t *der, size_t len, struct ca_ext_role *out)
{
	struct tc_cursor c, s;
	uint64_t role, net;

	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "CaRole", &s));
	TC_GUARD(ca_der_expect_end(&c, "CaRole"));
	TC_GUARD(ca_der_read_uint(&s, CA_DER_ENUMERATED, "CaRole.role", CA_ROLE_WORKLOAD, &role));
	TC_GUARD(ca_der_read_uint(&s, CA_DER_ENUMERATED, "CaRole.network", CA_NETWORK_UNTRUSTED, &net));
	TC_GUARD(ca_der_expect_end(&s, "CaRole"));
	out->role = (enum ca_role)role;
	out->network = (enum ca_network)net;
	return tc_ok();
}

/* ---------------------------------------------------------------------------------- .5 log reference */

TC_RESULT ca_ext_log_ref_encode(const struct ca_ext_log_ref *v, struct tc_buf *out)
{
	struct ca_der w;

	TC_ENSURE(v->log_id_len >= 1 && v->log_id_len <= CA_LOG_ID_MAX, TC_ERR_INVALID_ARGUMENT,
		  "log id must be 1..%d bytes", CA_LOG_ID_MAX);
	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_INTEGER, v->seq);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, v->log_id, v->log_id_len);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

TC_RESULT ca_ext_log_ref_decode(const uint8_t *der, size_t len, struct ca_ext_log_ref *out)
{
	struct tc_cursor c, s;
	const uint8_t *p;
	size_t n;

	memset(out, 0, sizeof(*out));
	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "LogEntryReference", &s));
	TC_GUARD(ca_der_expect_end(&c, "LogEntryReference"));
	TC_GUARD(ca_der_read_uint(&s, CA_DER_INTEGER, "LogEntryReference.seq", UINT64_MAX, &out->seq));
	TC_GUARD(ca_der_read_octets(&s, CA_DER_OCTET_STRING, "LogEntryReference.logId", 1, CA_LOG_ID_MAX, &p, &n));
	memcpy(out->log_id, p, n);
	out->log_id_len = n;
	return ca_der_expect_end(&s, "LogEntryReference");
}

/* ------------------------------------------------------------------------------ TCG DICE CMW evidence */

static const char *media_type_of(const char *role)
{
	const char *dot = strchr(role, '.');
	const char *leaf = dot != NULL ? dot + 1 : role;

	if (strcmp(role, "tdx_quote") == 0)
		return "application/vnd.teecert.tdx-quote";
	if (strcmp(role, "snp_report") == 0)
		return "application/vnd.teecert.snp-report";
	if (strcmp(role, "vcek") == 0 || strcmp(role, "vlek") == 0)
		return "application/pkix-cert"; /* RFC 2585 */
	if (strcmp(leaf, "spdm") == 0)
		return "application/vnd.teecert.spdm-measurements";
	if (strcmp(leaf, "cert_chain") == 0)
		return "application/pem-certificate-chain"; /* RFC 8555 §9.1 */
	return "application/octet-stream";
}

/* Deterministic CBOR map key order (RFC 8949 §4.2.1): for text keys below 256 bytes, shorter first, then
 * bytewise. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

static TC_RESULT cbor_text(struct tc_buf *b, const char *s)
{
	size_t n = strlen(s);

	TC_GUARD(ca_cbor_head(b, CA_CBOR_TEXT, n));
	return tc_buf_append(b, s, n);
}

TC_RESULT ca_ext_evidence_encode(const struct vf_item *items, size_t n, struct tc_buf *out)
{
	size_t order[VF_MAX_ITEMS + 1];
	const char *keys[VF_MAX_ITEMS + 1];
	struct tc_buf cbor = { 0 };
	struct ca_der w;
	struct tc_result r = tc_ok();

	TC_ENSURE(n >= 1 && n <= VF_MAX_ITEMS, TC_ERR_INVALID_ARGUMENT, "evidence of %zu items (1..%d)", n,
		  VF_MAX_ITEMS);
	/* Keys: every role plus "__cmwc_t" (index n); insertion sort into canonical order. */
	for (size_t i = 0; i <= n; i++) {
		keys[i] = i < n ? items[i].role : "__cmwc_t";
		TC_ENSURE(strlen(keys[i]) >= 1 && strlen(keys[i]) < 48, TC_ERR_INVALID_ARGUMENT, "bad evidence role");
		size_t j = i;
		while (j > 0 && key_cmp(keys[order[j - 1]], strlen(keys[order[j - 1]]), keys[i], strlen(keys[i])) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t i = 1; i <= n; i++)
		TC_ENSURE(strcmp(keys[order[i - 1]], keys[order[i]]) != 0, TC_ERR_INVALID_ARGUMENT,
			  "evidence role %s repeated", keys[order[i]]);
	tc_buf_init(&cbor, CA_DER_MAX_OUTPUT);
	TC_GUARD_GOTO(r, ca_cbor_head(&cbor, CA_CBOR_MAP, n + 1), out);
	for (size_t k = 0; k <= n; k++) {
		size_t i = order[k];

		TC_GUARD_GOTO(r, cbor_text(&cbor, keys[i]), out);
		if (i == n) {
			TC_GUARD_GOTO(r, cbor_text(&cbor, CA_CMW_COLLECTION_TYPE), out);
			continue;
		}
		/* CMW record: [ media type, value, ind ] */
		TC_GUARD_GOTO(r, ca_cbor_head(&cbor, CA_CBOR_ARRAY, 3), out);
		TC_GUARD_GOTO(r, cbor_text(&cbor, media_type_of(items[i].role)), out);
		TC_GUARD_GOTO(r, ca_cbor_head(&cbor, CA_CBOR_BYTES, items[i].len), out);
		TC_GUARD_GOTO(r, tc_buf_append(&cbor, items[i].data, items[i].len), out);
		TC_GUARD_GOTO(r, ca_cbor_head(&cbor, CA_CBOR_UINT, CA_CMW_IND_EVIDENCE), out);
	}
	ca_der_init(&w, out);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, cbor.data, cbor.len);
	r = ca_der_finish(&w);
out:
	tc_buf_cleanup(&cbor);
	return r;
}

/* One CBOR head with MAJOR type; strict shortest argument, no indefinite lengths. */
static TC_RESULT cbor_read_head(struct tc_cursor *c, uint8_t major, uint64_t *arg, const char *what)
{
	uint8_t b, info;
	uint64_t v = 0;
	size_t n;

	TC_ENSURE(tc_is_ok(tc_cursor_u8(c, &b)), TC_ERR_EXTENSION_MALFORMED, "CMW %s: truncated", what);
	TC_ENSURE(b >> 5 == major, TC_ERR_EXTENSION_MALFORMED, "CMW %s: CBOR major type %u (expected %u)", what,
		  b >> 5, major);
	info = b & 0x1f;
	if (info < 24) {
		*arg = info;
		return tc_ok();
	}
	TC_ENSURE(info <= 27, TC_ERR_EXTENSION_MALFORMED, "CMW %s: indefinite or reserved length", what);
	n = (size_t)1 << (info - 24);
	for (size_t i = 0; i < n; i++) {
		TC_ENSURE(tc_is_ok(tc_cursor_u8(c, &b)), TC_ERR_EXTENSION_MALFORMED, "CMW %s: truncated", what);
		v = (v << 8) | b;
	}
	TC_ENSURE(v >= 24 && (n == 1 || v >> (4 * n) != 0), TC_ERR_EXTENSION_MALFORMED,
		  "CMW %s: non-shortest CBOR argument", what);
	*arg = v;
	return tc_ok();
}

static TC_RESULT cbor_read_text(struct tc_cursor *c, char *out, size_t size, const char *what)
{
	uint64_t n;
	const uint8_t *p;

	TC_GUARD(cbor_read_head(c, CA_CBOR_TEXT, &n, what));
	TC_ENSURE(n >= 1 && n < size, TC_ERR_EXTENSION_MALFORMED, "CMW %s: text of %llu bytes", what,
		  (unsigned long long)n);
	TC_ENSURE(tc_is_ok(tc_cursor_view(c, (size_t)n, &p)), TC_ERR_EXTENSION_MALFORMED, "CMW %s: truncated", what);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	TC_ENSURE(printable(out), TC_ERR_EXTENSION_MALFORMED, "CMW %s: not printable ASCII", what);
	return tc_ok();
}

TC_RESULT ca_ext_evidence_decode(const uint8_t *der, size_t len, struct ca_ext_evidence *out)
{
	struct tc_cursor c, cb;
	const uint8_t *p;
	size_t n;
	uint64_t entries, v;
	char prev[48] = "", key[48], ctype[64];
	bool have_type = false;

	memset(out, 0, sizeof(*out));
	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read_octets(&c, CA_DER_OCTET_STRING, "TcgDiceCmw", 1, SIZE_MAX, &p, &n));
	TC_GUARD(ca_der_expect_end(&c, "TcgDiceCmw"));
	tc_cursor_init(&cb, p, n);
	TC_GUARD(cbor_read_head(&cb, CA_CBOR_MAP, &entries, "collection"));
	TC_ENSURE(entries >= 1 && entries <= VF_MAX_ITEMS + 1, TC_ERR_EXTENSION_MALFORMED,
		  "CMW collection of %llu entries", (unsigned long long)entries);
	for (uint64_t e = 0; e < entries; e++) {
		TC_GUARD(cbor_read_text(&cb, key, sizeof(key), "label"));
		TC_ENSURE(e == 0 || key_cmp(prev, strlen(prev), key, strlen(key)) < 0, TC_ERR_EXTENSION_MALFORMED,
			  "CMW labels not in deterministic order (or repeated): %s", key);
		memcpy(prev, key, sizeof(prev));
		if (strcmp(key, "__cmwc_t") == 0) {
			TC_GUARD(cbor_read_text(&cb, ctype, sizeof(ctype), "__cmwc_t"));
			have_type = true;
			continue;
		}
		struct ca_ext_evidence_item *it = &out->items[out->n_items];
		uint64_t arr;

		TC_ENSURE(out->n_items < VF_MAX_ITEMS, TC_ERR_EXTENSION_MALFORMED, "too many CMW records");
		memcpy(it->role, key, sizeof(it->role));
		TC_GUARD(cbor_read_head(&cb, CA_CBOR_ARRAY, &arr, "record"));
		TC_ENSURE(arr == 3, TC_ERR_EXTENSION_MALFORMED, "CMW record of %llu elements (expected 3)",
			  (unsigned long long)arr);
		TC_GUARD(cbor_read_text(&cb, it->media_type, sizeof(it->media_type), "type"));
		TC_GUARD(cbor_read_head(&cb, CA_CBOR_BYTES, &v, "value"));
		TC_ENSURE(v <= tc_cursor_remaining(&cb), TC_ERR_EXTENSION_MALFORMED, "CMW value: truncated");
		TC_ENSURE(tc_is_ok(tc_cursor_view(&cb, (size_t)v, &it->data)), TC_ERR_EXTENSION_MALFORMED,
			  "CMW value: truncated");
		it->len = (size_t)v;
		TC_GUARD(cbor_read_head(&cb, CA_CBOR_UINT, &v, "ind"));
		TC_ENSURE(v == CA_CMW_IND_EVIDENCE, TC_ERR_EXTENSION_MALFORMED, "CMW ind %llu (expected evidence = 4)",
			  (unsigned long long)v);
		out->n_items++;
	}
	TC_ENSURE(have_type && strcmp(ctype, CA_CMW_COLLECTION_TYPE) == 0, TC_ERR_EXTENSION_MALFORMED,
		  "CMW collection type missing or not %s", CA_CMW_COLLECTION_TYPE);
	TC_ENSURE(out->n_items >= 1, TC_ERR_EXTENSION_MALFORMED, "CMW collection without evidence");
	TC_ENSURE(tc_cursor_remaining(&cb) == 0, TC_ERR_EXTENSION_MALFORMED, "CMW: trailing bytes after the collection");
	return tc_ok();
}

/* ---------------------------------------------------------------------------------------- RA-TLS */

TC_RESULT ca_ext_ratls_encode(const uint8_t *quote, size_t len, struct tc_buf *out)
{
	struct ca_der w;

	TC_ENSURE(quote != NULL && len > 0, TC_ERR_INVALID_ARGUMENT, "empty quote");
	ca_der_init(&w, out);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, quote, len);
	return ca_der_finish(&w);
}

TC_RESULT ca_ext_ratls_decode(const uint8_t *der, size_t len, const uint8_t **quote, size_t *quote_len)
{
	struct tc_cursor c;

	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read_octets(&c, CA_DER_OCTET_STRING, "RaTlsQuote", 1, SIZE_MAX, quote, quote_len));
	return ca_der_expect_end(&c, "RaTlsQuote");
}

/* ------------------------------------------------------------------------------- certificate info */

/* Walk TBSCertificate (RFC 5280 §4.1) to its extensions with the DER reader, so decoded evidence borrows
 * from the caller's bytes. */
TC_RESULT ca_cert_info_parse(const uint8_t *cert_der, size_t len, struct ca_cert_info *out)
{
	struct tc_cursor c, cert, tbs, skip, exts_wrap, exts;
	uint8_t tag;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	tc_cursor_init(&c, cert_der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "Certificate", &cert));
	TC_GUARD(ca_der_expect_end(&c, "Certificate"));
	TC_GUARD(ca_der_read(&cert, CA_DER_SEQUENCE, "TBSCertificate", &tbs));
	TC_GUARD(ca_der_read(&tbs, CA_DER_CTX_CONS(0), "version", &skip));
	TC_GUARD(ca_der_read(&tbs, CA_DER_INTEGER, "serialNumber", &skip));
	TC_GUARD(ca_der_read(&tbs, CA_DER_SEQUENCE, "signature", &skip));
	TC_GUARD(ca_der_read(&tbs, CA_DER_SEQUENCE, "issuer", &skip));
	TC_GUARD(ca_der_read(&tbs, CA_DER_SEQUENCE, "validity", &skip));
	TC_GUARD(ca_der_read(&tbs, CA_DER_SEQUENCE, "subject", &skip));
	TC_GUARD(ca_der_read(&tbs, CA_DER_SEQUENCE, "subjectPublicKeyInfo", &skip));
	while (ca_der_peek(&tbs, &tag) && (tag == CA_DER_CTX(1) || tag == CA_DER_CTX(2)))
		TC_GUARD(ca_der_read(&tbs, tag, "uniqueID", &skip));
	if (!ca_der_peek(&tbs, &tag))
		return tc_ok();
	TC_GUARD(ca_der_read(&tbs, CA_DER_CTX_CONS(3), "extensions", &exts_wrap));
	TC_GUARD(ca_der_read(&exts_wrap, CA_DER_SEQUENCE, "Extensions", &exts));
	while (tc_cursor_remaining(&exts) > 0) {
		struct tc_cursor ext;
		const uint8_t *oid, *val;
		size_t oid_len, val_len;
		bool crit = false;
		unsigned bit = 0;

		TC_GUARD(ca_der_read(&exts, CA_DER_SEQUENCE, "Extension", &ext));
		TC_GUARD(ca_der_read_octets(&ext, CA_DER_OID, "extnID", 1, 64, &oid, &oid_len));
		if (ca_der_peek(&ext, &tag) && tag == CA_DER_BOOLEAN)
			TC_GUARD(ca_der_read_bool(&ext, "critical", &crit));
		TC_GUARD(ca_der_read_octets(&ext, CA_DER_OCTET_STRING, "extnValue", 0, SIZE_MAX, &val, &val_len));
		if (ca_oid_eq(&CA_OIDB_APPRAISAL, oid, oid_len)) {
			bit = 1;
			TC_GUARD(ca_ext_appraisal_decode(val, val_len, &out->appraisal));
			out->has_appraisal = true;
		} else if (ca_oid_eq(&CA_OIDB_WORKLOAD_INFO, oid, oid_len)) {
			bit = 2;
			TC_GUARD(ca_ext_workload_info_decode(val, val_len, out->workload_info_hash));
			out->has_workload_info = true;
		} else if (ca_oid_eq(&CA_OIDB_HARDWARE_ID, oid, oid_len)) {
			bit = 4;
			TC_GUARD(ca_ext_hwid_decode(val, val_len, &out->hwid));
			out->has_hwid = true;
		} else if (ca_oid_eq(&CA_OIDB_ROLE, oid, oid_len)) {
			bit = 8;
			TC_GUARD(ca_ext_role_decode(val, val_len, &out->role));
			out->has_role = true;
		} else if (ca_oid_eq(&CA_OIDB_LOG_REF, oid, oid_len)) {
			bit = 16;
			TC_GUARD(ca_ext_log_ref_decode(val, val_len, &out->log_ref));
			out->has_log_ref = true;
		} else if (ca_oid_eq(&CA_OIDB_TCG_DICE_CMW, oid, oid_len)) {
			bit = 32;
			TC_GUARD(ca_ext_evidence_decode(val, val_len, &out->evidence));
			out->has_evidence = true;
		} else if (ca_oid_eq(&CA_OIDB_RATLS_QUOTE, oid, oid_len)) {
			bit = 64;
			TC_GUARD(ca_ext_ratls_decode(val, val_len, &out->ratls_quote, &out->ratls_quote_len));
			out->has_ratls = true;
		}
		TC_ENSURE((seen & bit) == 0, TC_ERR_EXTENSION_MALFORMED, "extension repeated (RFC 5280 §4.2)");
		seen |= bit;
	}
	return ca_der_expect_end(&tbs, "TBSCertificate");
}

static json_t *tee_json(enum vf_tee t)
{
	return json_string(vf_tee_name(t));
}

TC_RESULT ca_cert_info_to_json(const struct ca_cert_info *info, json_t **out)
{
	json_t *o = json_object();
	char ts[TC_TIME_RFC3339_LEN];
	bool ok = o != NULL;

	if (ok && info->has_appraisal) {
		const struct ca_ext_appraisal *a = &info->appraisal;
		json_t *devs = json_array(), *digs = json_array();

		for (size_t i = 0; i < a->n_devices && devs != NULL; i++) {
			const struct ca_ext_device *d = &a->devices[i];

			json_array_append_new(devs, json_pack("{s:s, s:o, s:b, s:o}", "id", d->id, "tee", tee_json(d->tee),
							      "simulated", d->simulated, "tcb_status",
							      d->has_tcb_status ? json_string(vf_tcb_status_name(d->tcb_status))
										: json_null()));
		}
		for (size_t i = 0; i < a->n_collateral && digs != NULL; i++)
			json_array_append_new(digs, json_pack("{s:s, s:o}", "role", a->collateral[i].role, "sha256",
							      tc_json_hex(a->collateral[i].sha256, 32)));
		if (!tc_is_ok(tc_time_format(a->appraised_at, ts)))
			ts[0] = '\0';
		ok = devs != NULL && digs != NULL &&
		     json_object_set_new(o, "appraisal",
					 json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s}", "verdict",
						   a->accepted ? "accepted" : "rejected", "failure",
						   a->accepted ? json_null() : json_string(a->failure), "devices", devs,
						   "policy_digest", tc_json_hex(a->policy_digest, 32), "evidence_digest",
						   tc_json_hex(a->evidence_digest, 32), "collateral_digests", digs,
						   "appraised_at", ts)) == 0;
	}
	if (ok && info->has_workload_info)
		ok = json_object_set_new(o, "workload_info_hash", tc_json_hex(info->workload_info_hash, 32)) == 0;
	if (ok && info->has_hwid) {
		json_t *arr = json_array();

		for (size_t i = 0; i < info->hwid.n_devices && arr != NULL; i++) {
			const struct ca_ext_hwid_device *d = &info->hwid.devices[i];
			json_t *e = json_pack("{s:s, s:o}", "id", d->id, "tee", tee_json(d->tee));

			if (e != NULL && d->has_fmspc)
				json_object_set_new(e, "fmspc", tc_json_hex(d->fmspc, CA_FMSPC_LEN));
			if (e != NULL && d->has_ppid)
				json_object_set_new(e, "ppid", tc_json_hex(d->ppid, CA_PPID_LEN));
			if (e != NULL && d->chip_id_len > 0)
				json_object_set_new(e, "chip_id", tc_json_hex(d->chip_id, d->chip_id_len));
			if (e != NULL && d->ueid_len > 0)
				json_object_set_new(e, "ueid", tc_json_hex(d->ueid, d->ueid_len));
			json_array_append_new(arr, e);
		}
		ok = arr != NULL && json_object_set_new(o, "hardware_identity", arr) == 0;
	}
	if (ok && info->has_role)
		ok = json_object_set_new(o, "role", json_string(ca_role_name(info->role.role))) == 0 &&
		     json_object_set_new(o, "network", json_string(ca_network_name(info->role.network))) == 0;
	if (ok && info->has_log_ref)
		ok = json_object_set_new(o, "log_entry",
					 json_pack("{s:I, s:o}", "seq", (json_int_t)info->log_ref.seq, "log_id",
						   tc_json_hex(info->log_ref.log_id, info->log_ref.log_id_len))) == 0;
	if (ok && info->has_evidence) {
		json_t *arr = json_array();

		for (size_t i = 0; i < info->evidence.n_items && arr != NULL; i++) {
			const struct ca_ext_evidence_item *it = &info->evidence.items[i];
			uint8_t h[32];
			unsigned int hl = 0;

			if (!EVP_Digest(it->data, it->len, h, &hl, EVP_sha256(), NULL)) {
				json_decref(arr);
				json_decref(o);
				return tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256");
			}
			json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o}", "role", it->role, "media_type",
							     it->media_type, "size", (json_int_t)it->len, "sha256",
							     tc_json_hex(h, 32)));
		}
		ok = arr != NULL && json_object_set_new(o, "evidence", arr) == 0;
	}
	if (ok && info->has_ratls)
		ok = json_object_set_new(o, "ratls_quote_size", json_integer((json_int_t)info->ratls_quote_len)) == 0;
	if (!ok) {
		json_decref(o);
		return tc_fail(TC_ERR_NO_MEMORY, "certificate info JSON");
	}
	*out = o;
	return tc_ok();
}
