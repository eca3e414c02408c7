/*
 * vf_tdx_json.c — Intel PCS API v4 collateral bodies.
 *
 * A PCS response body is {"tcbInfo":{...},"signature":"<hex r||s>"} (TCB Info, "Get TDX TCB Info" v4) or
 * {"enclaveIdentity":{...},"signature":"..."} ("Get TDX QE Identity" v4). The ECDSA P-256 / SHA-256
 * signature covers the exact bytes of the inner object as they appear in the body, so vf_tdx_pcs_split finds
 * that byte span with a small JSON-aware scanner (strings, escapes, nesting) instead of re-serializing.
 * The inner objects are then read with jansson: TCB Info v3 (id "TDX": tdxModule, tdxModuleIdentities,
 * tcbLevels with sgxtcbcomponents / pcesvn / tdxtcbcomponents) and Enclave Identity v2 (id "TD_QE").
 * Unknown members are ignored (PCS adds fields over time); id and version are checked by the TCB
 * evaluation (vf_tdx_tcb.c), so a wrong document fails there as tcb_mismatch, after the signature.
 */
#include <stdlib.h>
#include <string.h>

#include "vf_tdx.h"

#define SCAN_MAX_DEPTH 32
#define DOC_MAX_LEN ((size_t)1024 * 1024)
#define MAX_LEVELS 256
#define MAX_IDENTITIES 32
#define MAX_ADVISORIES 256

/* ------------------------------------------------------------------------------ signed-span scanner */

struct scan {
	struct tc_cursor c;
};

static int peek(const struct scan *s)
{
	return tc_cursor_remaining(&s->c) > 0 ? s->c.data[s->c.pos] : -1;
}

static void skip_ws(struct scan *s)
{
	uint8_t ch;
	while (tc_cursor_remaining(&s->c) > 0) {
		int p = peek(s);
		if (p != ' ' && p != '\t' && p != '\n' && p != '\r')
			return;
		if (!tc_is_ok(tc_cursor_u8(&s->c, &ch)))
			return;
	}
}

static bool expect(struct scan *s, uint8_t want)
{
	uint8_t ch;
	return tc_is_ok(tc_cursor_u8(&s->c, &ch)) && ch == want;
}

/* At '"': skip a string (escapes included); no control characters inside. */
static bool skip_string(struct scan *s)
{
	uint8_t ch;
	if (!expect(s, '"'))
		return false;
	for (;;) {
		if (!tc_is_ok(tc_cursor_u8(&s->c, &ch)) || ch < 0x20)
			return false;
		if (ch == '"')
			return true;
		if (ch == '\\' && !tc_is_ok(tc_cursor_u8(&s->c, &ch)))
			return false;
	}
}

static bool skip_value(struct scan *s, int depth);

static bool skip_container(struct scan *s, int depth, uint8_t open, uint8_t close)
{
	if (depth > SCAN_MAX_DEPTH || !expect(s, open))
		return false;
	skip_ws(s);
	if (peek(s) == close)
		return expect(s, close);
	for (;;) {
		skip_ws(s);
		if (open == '{') {
			if (!skip_string(s))
				return false;
			skip_ws(s);
			if (!expect(s, ':'))
				return false;
			skip_ws(s);
		}
		if (!skip_value(s, depth + 1))
			return false;
		skip_ws(s);
		if (peek(s) == close)
			return expect(s, close);
		if (!expect(s, ','))
			return false;
	}
}

/* Numbers and literals: a run of their characters (jansson validates the whole body separately). */
static bool skip_scalar(struct scan *s)
{
	size_t start = tc_cursor_pos(&s->c);
	uint8_t ch;
	for (;;) {
		int p = peek(s);
		if (p < 0 || !(strchr("+-.0123456789eEtruefalsn", p) != NULL && p != 0))
			break;
		if (!tc_is_ok(tc_cursor_u8(&s->c, &ch)))
			return false;
	}
	return tc_cursor_pos(&s->c) > start;
}

static bool skip_value(struct scan *s, int depth)
{
	switch (peek(s)) {
	case '{':
		return skip_container(s, depth, '{', '}');
	case '[':
		return skip_container(s, depth, '[', ']');
	case '"':
		return skip_string(s);
	default:
		return skip_scalar(s);
	}
}

/* Find the top-level member FIELD of BODY: offset and length of its raw value. */
static bool find_member(const uint8_t *body, size_t len, const char *field, size_t *off, size_t *vlen)
{
	struct scan s;
	size_t flen = strlen(field);
	bool found = false;

	tc_cursor_init(&s.c, body, len);
	skip_ws(&s);
	if (!expect(&s, '{'))
		return false;
	skip_ws(&s);
	if (peek(&s) == '}')
		return false;
	for (;;) {
		skip_ws(&s);
		size_t kstart = tc_cursor_pos(&s.c);
		if (!skip_string(&s))
			return false;
		size_t kend = tc_cursor_pos(&s.c);
		bool match = kend - kstart == flen + 2 && memcmp(body + kstart + 1, field, flen) == 0;
		skip_ws(&s);
		if (!expect(&s, ':'))
			return false;
		skip_ws(&s);
		size_t vstart = tc_cursor_pos(&s.c);
		if (!skip_value(&s, 1))
			return false;
		if (match) {
			if (found)
				return false; /* repeated key */
			found = true;
			*off = vstart;
			*vlen = tc_cursor_pos(&s.c) - vstart;
		}
		skip_ws(&s);
		if (peek(&s) == '}')
			break;
		if (!expect(&s, ','))
			return false;
	}
	if (!expect(&s, '}'))
		return false;
	skip_ws(&s);
	return found && tc_cursor_remaining(&s.c) == 0;
}

TC_RESULT vf_tdx_pcs_split(const uint8_t *body, size_t len, const char *field, size_t *span_off, size_t *span_len,
			   uint8_t sig[VF_TDX_ECDSA_SIG_LEN])
{
	struct tc_result r = tc_ok();
	json_error_t jerr;
	json_t *doc = NULL;
	size_t off = 0, vlen = 0;

	TC_ENSURE(body != NULL && len > 0 && len <= DOC_MAX_LEN, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "%s: body is empty or larger than %zu bytes", field, DOC_MAX_LEN);
	doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	TC_ENSURE(doc != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: body is not valid JSON: %s (line %d)",
		  field, jerr.text, jerr.line);
	TC_ENSURE_GOTO(r, json_is_object(doc) && json_is_object(json_object_get(doc, field)), out,
		       TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: body has no \"%s\" object", field, field);
	const char *hex = json_string_value(json_object_get(doc, "signature"));
	TC_ENSURE_GOTO(r, hex != NULL, out, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: body has no signature string",
		       field);
	TC_ENSURE_GOTO(r, tc_is_ok(tc_hex_decode_fixed(hex, strlen(hex), sig, VF_TDX_ECDSA_SIG_LEN)), out,
		       TC_ERR_COLLATERAL_SIGNATURE_INVALID, "%s: signature is not %d bytes of hex", field,
		       VF_TDX_ECDSA_SIG_LEN);
	TC_ENSURE_GOTO(r, find_member(body, len, field, &off, &vlen), out, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		       "%s: cannot locate the signed \"%s\" bytes", field, field);
	*span_off = off;
	*span_len = vlen;
out:
	json_decref(doc);
	return r;
}

/* ---------------------------------------------------------------------------------- field helpers */

#define BAD(what, ...) tc_fail(TC_ERR_COLLATERAL_SIGNATURE_INVALID, what ": " __VA_ARGS__)

static TC_RESULT get_int(const json_t *o, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(o, name);
	TC_ENSURE(json_is_integer(v), TC_ERR_COLLATERAL_SIGNATURE_INVALID, "collateral: \"%s\" is not an integer",
		  name);
	json_int_t x = json_integer_value(v);
	TC_ENSURE(x >= min && x <= max, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "collateral: \"%s\" = %lld is out of range", name, (long long)x);
	*out = x;
	return tc_ok();
}

static TC_RESULT get_str(const json_t *o, const char *name, size_t max, char *out)
{
	const char *s = json_string_value(json_object_get(o, name));
	TC_ENSURE(s != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "collateral: \"%s\" is not a string", name);
	size_t n = strlen(s);
	TC_ENSURE(n < max, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "collateral: \"%s\" is too long", name);
	memcpy(out, s, n + 1);
	return tc_ok();
}

static TC_RESULT get_hex(const json_t *o, const char *name, void *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, name));
	TC_ENSURE(s != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "collateral: \"%s\" is not a string", name);
	TC_ENSURE(tc_is_ok(tc_hex_decode_fixed(s, strlen(s), out, n)), TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "collateral: \"%s\" is not %zu bytes of hex", name, n);
	return tc_ok();
}

static TC_RESULT get_time(const json_t *o, const char *name, int64_t *out)
{
	const char *s = json_string_value(json_object_get(o, name));
	TC_ENSURE(s != NULL && tc_is_ok(tc_time_parse(s, out)), TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "collateral: \"%s\" is not an RFC 3339 time", name);
	return tc_ok();
}

static const json_t *get_array(const json_t *o, const char *name, size_t min, size_t max)
{
	const json_t *a = json_object_get(o, name);
	if (!json_is_array(a) || json_array_size(a) < min || json_array_size(a) > max)
		return NULL;
	return a;
}

/* tcbStatus, tcbDate, advisoryIDs of a level (PCS v4: every level kind carries them). */
static TC_RESULT get_level_status(const json_t *lvl, struct vf_tdx_level_status *st)
{
	const char *s = json_string_value(json_object_get(lvl, "tcbStatus"));
	TC_ENSURE(s != NULL && tc_is_ok(vf_tcb_status_parse(s, &st->status)) && st->status != VF_TCB_UNKNOWN &&
			  st->status != VF_TCB_TD_RELAUNCH_ADVISED &&
			  st->status != VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
		  TC_ERR_COLLATERAL_SIGNATURE_INVALID, "collateral: unknown tcbStatus \"%s\"", s ? s : "(none)");
	TC_GUARD(get_str(lvl, "tcbDate", sizeof st->tcb_date, st->tcb_date));
	const json_t *adv = json_object_get(lvl, "advisoryIDs");
	st->advisory_ids = json_array();
	TC_ENSURE(st->advisory_ids != NULL, TC_ERR_NO_MEMORY, "out of memory");
	if (adv == NULL)
		return tc_ok();
	TC_ENSURE(json_is_array(adv) && json_array_size(adv) <= MAX_ADVISORIES, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "collateral: advisoryIDs is not an array");
	size_t i;
	const json_t *id;
	json_array_foreach (adv, i, id) {
		TC_ENSURE(json_is_string(id), TC_ERR_COLLATERAL_SIGNATURE_INVALID,
			  "collateral: advisory id is not a string");
		TC_ENSURE(json_array_append_new(st->advisory_ids, json_string(json_string_value(id))) == 0,
			  TC_ERR_NO_MEMORY, "out of memory");
	}
	return tc_ok();
}

/* 16 {"svn": n} objects. */
static TC_RESULT get_components(const json_t *tcb, const char *name, uint8_t out[VF_TDX_SVN_LEN])
{
	const json_t *a = get_array(tcb, name, VF_TDX_SVN_LEN, VF_TDX_SVN_LEN);
	TC_ENSURE(a != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "collateral: \"%s\" is not 16 components", name);
	for (size_t i = 0; i < VF_TDX_SVN_LEN; i++) {
		int64_t svn;
		TC_GUARD(get_int(json_array_get(a, i), "svn", 0, 255, &svn));
		out[i] = (uint8_t)svn;
	}
	return tc_ok();
}

/* -------------------------------------------------------------------------------------- TCB Info v3 */

void vf_tdx_tcb_info_free(struct vf_tdx_tcb_info *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_levels; i++)
		json_decref(t->levels[i].st.advisory_ids);
	for (size_t i = 0; i < t->n_identities; i++) {
		for (size_t j = 0; j < t->identities[i].n_levels; j++)
			json_decref(t->identities[i].levels[j].st.advisory_ids);
		free(t->identities[i].levels);
	}
	free(t->identities);
	free(t->levels);
	free(t);
}

static TC_RESULT parse_module(const json_t *m, bool with_levels, struct vf_tdx_module_identity *out)
{
	TC_ENSURE(json_is_object(m), TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: TDX module is not an object");
	if (with_levels)
		TC_GUARD(get_str(m, "id", sizeof out->id, out->id));
	TC_GUARD(get_hex(m, "mrsigner", out->mrsigner, sizeof out->mrsigner));
	TC_GUARD(get_hex(m, "attributes", out->attributes, sizeof out->attributes));
	TC_GUARD(get_hex(m, "attributesMask", out->attributes_mask, sizeof out->attributes_mask));
	if (!with_levels)
		return tc_ok();
	const json_t *levels = get_array(m, "tcbLevels", 1, MAX_LEVELS);
	TC_ENSURE(levels != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: %s has no tcbLevels", out->id);
	out->levels = calloc(json_array_size(levels), sizeof *out->levels);
	TC_ENSURE(out->levels != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < json_array_size(levels); i++) {
		const json_t *lvl = json_array_get(levels, i);
		struct vf_tdx_module_level *ml = &out->levels[i];
		int64_t svn;
		out->n_levels = i + 1;
		TC_GUARD(get_level_status(lvl, &ml->st));
		TC_GUARD(get_int(json_object_get(lvl, "tcb"), "isvsvn", 0, 255, &svn));
		ml->isvsvn = (uint8_t)svn;
	}
	return tc_ok();
}

static TC_RESULT parse_tcb_info(const json_t *o, struct vf_tdx_tcb_info *t)
{
	int64_t version;
	TC_ENSURE(json_is_object(o), TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: not an object");
	TC_GUARD(get_str(o, "id", sizeof t->id, t->id));
	TC_GUARD(get_int(o, "version", 0, 255, &version));
	t->version = (int)version;
	TC_GUARD(get_time(o, "issueDate", &t->issue_date));
	TC_GUARD(get_time(o, "nextUpdate", &t->next_update));
	TC_GUARD(get_hex(o, "fmspc", t->fmspc, sizeof t->fmspc));
	TC_GUARD(get_hex(o, "pceId", t->pceid, sizeof t->pceid));
	TC_GUARD(get_int(o, "tcbType", 0, 255, &t->tcb_type));
	TC_GUARD(get_int(o, "tcbEvaluationDataNumber", 0, INT32_MAX, &t->tcb_evaluation_data_number));
	const json_t *m = json_object_get(o, "tdxModule");
	if (m != NULL) {
		TC_GUARD(parse_module(m, false, &t->module));
		t->has_module = true;
	}
	const json_t *ids = json_object_get(o, "tdxModuleIdentities");
	if (ids != NULL) {
		TC_ENSURE(json_is_array(ids) && json_array_size(ids) <= MAX_IDENTITIES,
			  TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: tdxModuleIdentities is not an array");
		t->identities = calloc(json_array_size(ids) + 1, sizeof *t->identities);
		TC_ENSURE(t->identities != NULL, TC_ERR_NO_MEMORY, "out of memory");
		for (size_t i = 0; i < json_array_size(ids); i++) {
			t->n_identities = i + 1;
			TC_GUARD(parse_module(json_array_get(ids, i), true, &t->identities[i]));
		}
	}
	const json_t *levels = get_array(o, "tcbLevels", 1, MAX_LEVELS);
	TC_ENSURE(levels != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: no tcbLevels");
	t->levels = calloc(json_array_size(levels), sizeof *t->levels);
	TC_ENSURE(t->levels != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < json_array_size(levels); i++) {
		const json_t *lvl = json_array_get(levels, i);
		struct vf_tdx_tcb_level *tl = &t->levels[i];
		int64_t pcesvn;
		t->n_levels = i + 1;
		TC_GUARD(get_level_status(lvl, &tl->st));
		const json_t *tcb = json_object_get(lvl, "tcb");
		TC_ENSURE(json_is_object(tcb), TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: level %zu has no tcb", i);
		TC_GUARD(get_components(tcb, "sgxtcbcomponents", tl->sgx));
		TC_GUARD(get_int(tcb, "pcesvn", 0, 65535, &pcesvn));
		tl->pcesvn = (uint16_t)pcesvn;
		/* Absent in SGX TCB info; a TDX v3 document without them fails as tcb_mismatch later. */
		if (json_object_get(tcb, "tdxtcbcomponents") != NULL)
			TC_GUARD(get_components(tcb, "tdxtcbcomponents", tl->tdx));
		else if (strcmp(t->id, "TDX") == 0)
			return BAD("tcb_info", "level %zu has no tdxtcbcomponents", i);
	}
	return tc_ok();
}

TC_RESULT vf_tdx_tcb_info_parse(const uint8_t *json, size_t len, struct vf_tdx_tcb_info **out)
{
	json_error_t jerr;
	struct vf_tdx_tcb_info *t = NULL;
	json_t *o = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	TC_ENSURE(o != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "tcb_info: not valid JSON: %s", jerr.text);
	t = calloc(1, sizeof *t);
	if (t == NULL) {
		json_decref(o);
		return tc_fail(TC_ERR_NO_MEMORY, "out of memory");
	}
	struct tc_result r = parse_tcb_info(o, t);
	json_decref(o);
	if (!tc_is_ok(r)) {
		vf_tdx_tcb_info_free(t);
		return r;
	}
	*out = t;
	return tc_ok();
}

/* -------------------------------------------------------------------------------- QE Identity v2 */

void vf_tdx_qe_identity_free(struct vf_tdx_qe_identity *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n_levels; i++)
		json_decref(q->levels[i].st.advisory_ids);
	free(q->levels);
	free(q);
}

static TC_RESULT parse_qe_identity(const json_t *o, struct vf_tdx_qe_identity *q)
{
	int64_t version, prodid;
	uint8_t misc[4], misc_mask[4];
	TC_ENSURE(json_is_object(o), TC_ERR_COLLATERAL_SIGNATURE_INVALID, "qe_identity: not an object");
	TC_GUARD(get_str(o, "id", sizeof q->id, q->id));
	TC_GUARD(get_int(o, "version", 0, 255, &version));
	q->version = (int)version;
	TC_GUARD(get_time(o, "issueDate", &q->issue_date));
	TC_GUARD(get_time(o, "nextUpdate", &q->next_update));
	TC_GUARD(get_int(o, "tcbEvaluationDataNumber", 0, INT32_MAX, &q->tcb_evaluation_data_number));
	/* MISCSELECT is stored in report byte order (little-endian u32), as dcap-qvl reads it. */
	TC_GUARD(get_hex(o, "miscselect", misc, sizeof misc));
	TC_GUARD(get_hex(o, "miscselectMask", misc_mask, sizeof misc_mask));
	q->miscselect = (uint32_t)misc[0] | (uint32_t)misc[1] << 8 | (uint32_t)misc[2] << 16 | (uint32_t)misc[3] << 24;
	q->miscselect_mask = (uint32_t)misc_mask[0] | (uint32_t)misc_mask[1] << 8 | (uint32_t)misc_mask[2] << 16 |
			     (uint32_t)misc_mask[3] << 24;
	TC_GUARD(get_hex(o, "attributes", q->attributes, sizeof q->attributes));
	TC_GUARD(get_hex(o, "attributesMask", q->attributes_mask, sizeof q->attributes_mask));
	TC_GUARD(get_hex(o, "mrsigner", q->mrsigner, sizeof q->mrsigner));
	TC_GUARD(get_int(o, "isvprodid", 0, 65535, &prodid));
	q->isvprodid = (uint16_t)prodid;
	const json_t *levels = get_array(o, "tcbLevels", 1, MAX_LEVELS);
	TC_ENSURE(levels != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "qe_identity: no tcbLevels");
	q->levels = calloc(json_array_size(levels), sizeof *q->levels);
	TC_ENSURE(q->levels != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < json_array_size(levels); i++) {
		const json_t *lvl = json_array_get(levels, i);
		int64_t svn;
		q->n_levels = i + 1;
		TC_GUARD(get_level_status(lvl, &q->levels[i].st));
		TC_GUARD(get_int(json_object_get(lvl, "tcb"), "isvsvn", 0, 65535, &svn));
		q->levels[i].isvsvn = (uint16_t)svn;
	}
	return tc_ok();
}

TC_RESULT vf_tdx_qe_identity_parse(const uint8_t *json, size_t len, struct vf_tdx_qe_identity **out)
{
	json_error_t jerr;
	struct vf_tdx_qe_identity *q = NULL;
	json_t *o = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	TC_ENSURE(o != NULL, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "qe_identity: not valid JSON: %s", jerr.text);
	q = calloc(1, sizeof *q);
	if (q == NULL) {
		json_decref(o);
		return tc_fail(TC_ERR_NO_MEMORY, "out of memory");
	}
	struct tc_result r = parse_qe_identity(o, q);
	json_decref(o);
	if (!tc_is_ok(r)) {
		vf_tdx_qe_identity_free(q);
		return r;
	}
	*out = q;
	return tc_ok();
}
