/*
 * cmd_audit.c — `teecert audit`: check one entry of the transparency log end to end, trusting only the
 * pinned log key and the chain (DESIGN.md "Transparency log and anchoring", docs/audit.md):
 *
 *   checkpoint  the verifier's latest checkpoint note verifies with the pinned Ed25519 log key (C2SP
 *               signed note, chain_checkpoint_open) and names the expected origin
 *   leaf        entry N's canonical bytes are canonical JSON of entry N; SHA-256(0x00 || bytes) is its leaf
 *               hash (RFC 9162 §2.1.1), recomputed here
 *   inclusion   the inclusion proof of N in the checkpoint's tree verifies against the signed root
 *               (RFC 9162 §2.1.3.2)
 *   chain       eth_getLogs of the contract's Anchored events, read from the node itself: the checkpoint's
 *               size if anchored (roots compared), else the smallest anchored size A > N
 *   consistency (A < checkpoint size) the tree of A entries is a prefix of the checkpoint's (§2.1.4.2) and
 *   anchored-inclusion  entry N is in the anchored tree of A entries
 *   receipt     the anchoring transaction's receipt: status 1, same block, confirmation depth
 *
 * One line per step, `OK step: ...` or `FAIL step: ...`, stop at the first failure. Exit 0 when every step
 * passed, 2 at a mismatch, 3 when the verifier or the chain could not be asked, 1 on usage errors. The
 * verifier's answers are never trusted: every hash is recomputed or verified against a signed or anchored
 * root. Bodies are parsed with tc_json_parse (bounded, duplicate keys rejected), hashes are 64 lowercase
 * hex digits.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "chain.h"
#include "cli.h"

#define PROG "teecert audit"
#define AUDIT_URL_MAX 1024
#define AUDIT_RPC_LIST_MAX 4096
#define AUDIT_BODY_MAX ((size_t)256 * 1024)
#define AUDIT_ENTRY_MAX 4096 /* DB_LOG_ENTRY_MAX: canonical entry bytes */
#define AUDIT_DETAIL_MAX 768
#define AUDIT_HTTP_TIMEOUT_MS 10000
#define AUDIT_DEFAULT_MIN_CONFIRMATIONS 1
#define AUDIT_RPC_ATTEMPTS 3
#define AUDIT_HEX32_LEN (2 * CHAIN_HASH_LEN)
#define AUDIT_HEX32_SIZE (AUDIT_HEX32_LEN + 1)
/* Largest decimal query value of the log API (2^63 - 1). */
#define AUDIT_U63_MAX ((uint64_t)INT64_MAX)
#define AUDIT_SERIAL_HEX_MAX 65 /* serials of up to 32 bytes, lowercase hex */
#define AUDIT_CERT_MAX ((size_t)64 * 1024)

struct audit_flags {
	uint64_t seq;
	bool has_seq;
	const char *serial, *cert; /* audit a certificate: found through GET /v1/certificates/{serial} */
	const char *verifier, *log_key, *origin, *contract;
	char rpc[AUDIT_RPC_LIST_MAX];
	uint64_t from_block, range, min_confirmations;
	bool json;
};

/* An Anchored event as read from the node, with where it is. */
struct audit_anchor {
	bool have;
	struct chain_anchored_event ev;
	uint64_t block;
	uint8_t block_hash[CHAIN_HASH_LEN];
	uint8_t tx_hash[CHAIN_HASH_LEN];
	uint64_t log_index;
};

struct audit {
	struct audit_flags f;
	struct chain_note_verifier vkey;
	uint8_t contract[CHAIN_ADDRESS_LEN];
	struct chain_rpc *rpc;
	json_t *steps;   /* [{step, ok, detail}] for --json */
	json_t *summary; /* the --json object */
	struct chain_checkpoint cp;
	uint8_t leaf[CHAIN_HASH_LEN];
	char serial_hex[AUDIT_SERIAL_HEX_MAX];  /* --serial / --cert */
	char cert_sha256[AUDIT_HEX32_SIZE];     /* --cert: SHA-256 of its DER, the log entry must name it */
	struct audit_anchor anchor;
};

/* ---------------------------------------------------------------------------------------- reporting */

static void record(struct audit *a, const char *step, bool ok, const char *detail)
{
	json_t *s = json_pack("{s:s, s:b, s:s}", "step", step, "ok", ok, "detail", detail);

	if (s != NULL)
		json_array_append_new(a->steps, s);
}

static int step_ok(struct audit *a, const char *step, const char *fmt, ...) TC_PRINTF(3, 4);
static int step_ok(struct audit *a, const char *step, const char *fmt, ...)
{
	char detail[AUDIT_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("OK %s: %s\n", step, detail);
	fflush(stdout);
	record(a, step, true, detail);
	return CLI_EXIT_OK;
}

/* Print and record the failure of STEP; returns EXIT (CLI_EXIT_REJECTED or CLI_EXIT_INTERNAL). */
static int step_fail(struct audit *a, int exit_code, const char *step, const char *fmt, ...) TC_PRINTF(4, 5);
static int step_fail(struct audit *a, int exit_code, const char *step, const char *fmt, ...)
{
	char detail[AUDIT_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("FAIL %s: %s\n", step, detail);
	fflush(stdout);
	record(a, step, false, detail);
	json_object_set_new(a->summary, "failed_step", json_string(step));
	return exit_code;
}

/* A failed library call: unreachable services are exit 3, everything else a mismatch (2). */
static int step_fail_result(struct audit *a, const char *step, const char *what, struct tc_result r)
{
	bool unreachable = r.code == TC_ERR_CHAIN_UNAVAILABLE || r.code == TC_ERR_CHAIN_RPC_ERROR ||
			   r.code == TC_ERR_IO || r.code == TC_ERR_NO_MEMORY || r.code == TC_ERR_INTERNAL;

	return step_fail(a, unreachable ? CLI_EXIT_INTERNAL : CLI_EXIT_REJECTED, step, "%s: %s: %s", what,
			 tc_error_info(r.code)->code, tc_error_detail());
}

static void hex32(const uint8_t h[CHAIN_HASH_LEN], char out[AUDIT_HEX32_SIZE])
{
	if (!tc_is_ok(tc_hex_encode(h, CHAIN_HASH_LEN, out, AUDIT_HEX32_SIZE)))
		out[0] = '\0';
}

/* ----------------------------------------------------------------------------- strict field decoding */

/* A hash from the verifier: exactly 64 lowercase hex digits (docs/log.md "HTTP"). */
static TC_RESULT parse_hash(const json_t *v, const char *name, uint8_t out[CHAIN_HASH_LEN])
{
	const char *s = json_string_value(v);

	TC_ENSURE(s != NULL && json_string_length(v) == AUDIT_HEX32_LEN, TC_ERR_JSON_FIELD_INVALID,
		  "%s: expected 64 lowercase hex digits", name);
	for (size_t i = 0; i < AUDIT_HEX32_LEN; i++)
		TC_ENSURE((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'), TC_ERR_JSON_FIELD_INVALID,
			  "%s: expected 64 lowercase hex digits", name);
	return tc_hex_decode_fixed(s, AUDIT_HEX32_LEN, out, CHAIN_HASH_LEN);
}

/* A non-negative JSON integer member NAME of OBJ. */
static TC_RESULT parse_u64_field(const json_t *obj, const char *name, uint64_t *out)
{
	const json_t *v = json_object_get(obj, name);

	TC_ENSURE(json_is_integer(v) && json_integer_value(v) >= 0, TC_ERR_JSON_FIELD_INVALID,
		  "%s: expected a non-negative integer", name);
	*out = (uint64_t)json_integer_value(v);
	return tc_ok();
}

/* The "proof" array: at most CHAIN_MERKLE_PROOF_MAX hashes. */
static TC_RESULT parse_proof(const json_t *obj, struct chain_merkle_proof *out)
{
	const json_t *arr = json_object_get(obj, "proof");
	size_t i;
	json_t *h;

	TC_ENSURE(json_is_array(arr), TC_ERR_JSON_FIELD_INVALID, "proof: expected an array");
	TC_ENSURE(json_array_size(arr) <= CHAIN_MERKLE_PROOF_MAX, TC_ERR_JSON_FIELD_INVALID,
		  "proof: more than %d hashes", CHAIN_MERKLE_PROOF_MAX);
	json_array_foreach(arr, i, h)
		TC_GUARD(parse_hash(h, "proof[]", out->hash[i]));
	out->len = json_array_size(arr);
	return tc_ok();
}

/* ------------------------------------------------------------------------------------ verifier API */

/*
 * GET PATH of the verifier, for STEP. Returns 0 with *OUT the JSON object of a 200; otherwise the step
 * failed (3: not reachable or 5xx; 2: any other status or a body that is not a JSON object).
 */
static int api_get(struct audit *a, const char *step, const char *path, json_t **out)
{
	char url[AUDIT_URL_MAX];
	struct tc_buf body;
	json_t *doc = NULL;
	long status = 0;
	size_t base_len = strlen(a->f.verifier);
	struct tc_result r;
	int rc = CLI_EXIT_OK;

	while (base_len > 0 && a->f.verifier[base_len - 1] == '/')
		base_len--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)base_len, a->f.verifier, path) >= sizeof(url))
		return step_fail(a, CLI_EXIT_USAGE, step, "verifier URL too long");
	tc_buf_init(&body, AUDIT_BODY_MAX);
	r = cli_http_get(url, AUDIT_HTTP_TIMEOUT_MS, &status, &body);
	if (!tc_is_ok(r)) {
		rc = r.code == TC_ERR_IO ?
			     step_fail(a, CLI_EXIT_INTERNAL, step, "verifier unreachable: %s", tc_error_detail()) :
			     step_fail_result(a, step, "GET", r);
		goto out;
	}
	r = tc_json_parse((const char *)body.data, body.len, AUDIT_BODY_MAX, &doc);
	if (status != 200) {
		const char *code = tc_is_ok(r) ? json_string_value(json_object_get(doc, "code")) : NULL;
		const char *detail = tc_is_ok(r) ? json_string_value(json_object_get(doc, "detail")) : NULL;

		rc = step_fail(a, status >= 500 ? CLI_EXIT_INTERNAL : CLI_EXIT_REJECTED, step,
			       "GET %s: HTTP %ld %s%s%.200s", path, status, code ? code : "(no error code)",
			       detail ? ": " : "", detail ? detail : "");
		goto out;
	}
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, step, "verifier reply", r);
		goto out;
	}
	if (!json_is_object(doc)) {
		rc = step_fail(a, CLI_EXIT_REJECTED, step, "GET %s: the reply is not a JSON object", path);
		goto out;
	}
	*out = doc;
	doc = NULL;
out:
	json_decref(doc);
	tc_buf_cleanup(&body);
	return rc;
}

/* ---------------------------------------------------------------------------------------- the steps */

/* (1) The latest checkpoint, verified with the pinned log key. */
static int step_checkpoint(struct audit *a)
{
	json_t *b = NULL;
	const char *note;
	uint64_t size = 0;
	uint8_t root[CHAIN_HASH_LEN];
	char hex[AUDIT_HEX32_SIZE];
	struct tc_result r;
	int rc = api_get(a, "checkpoint", "/v1/log/checkpoint", &b);

	if (rc != CLI_EXIT_OK)
		return rc;
	note = json_string_value(json_object_get(b, "note"));
	if (note == NULL || json_string_length(json_object_get(b, "note")) > CHAIN_NOTE_MAX) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "checkpoint", "the reply has no note (string of at most %d bytes)",
			       CHAIN_NOTE_MAX);
		goto out;
	}
	r = chain_checkpoint_open(note, json_string_length(json_object_get(b, "note")), &a->vkey, &a->cp);
	if (!tc_is_ok(r)) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "checkpoint",
			       "the signed note does not verify with the pinned key %s: %s", a->vkey.name,
			       tc_error_detail());
		goto out;
	}
	if (a->f.origin != NULL && strcmp(a->cp.origin, a->f.origin) != 0) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "checkpoint", "origin '%s' is not the expected '%s'", a->cp.origin,
			       a->f.origin);
		goto out;
	}
	/* The JSON fields beside the note must say what the note says. */
	r = parse_u64_field(b, "tree_size", &size);
	if (tc_is_ok(r))
		r = parse_hash(json_object_get(b, "root"), "root", root);
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, "checkpoint", "checkpoint reply", r);
		goto out;
	}
	if (size != a->cp.tree_size || memcmp(root, a->cp.root, CHAIN_HASH_LEN) != 0) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "checkpoint",
			       "tree_size/root of the reply differ from its signed note");
		goto out;
	}
	hex32(a->cp.root, hex);
	rc = step_ok(a, "checkpoint",
		     "origin %s, tree size %" PRIu64 ", root %s, time %" PRId64 ", signature of key %s verified",
		     a->cp.origin, a->cp.tree_size, hex, a->cp.time, a->vkey.name);
	json_object_set_new(a->summary, "checkpoint",
			    json_pack("{s:s, s:I, s:s, s:I}", "origin", a->cp.origin, "tree_size",
				      (json_int_t)a->cp.tree_size, "root", hex, "time", (json_int_t)a->cp.time));
out:
	json_decref(b);
	return rc;
}

/* (2) Entry N: canonical JSON of entry N, leaf hash recomputed. */
static int step_leaf(struct audit *a)
{
	char path[96], hex[AUDIT_HEX32_SIZE];
	json_t *b = NULL, *entry = NULL;
	const json_t *canon_v;
	uint8_t served[CHAIN_HASH_LEN];
	uint64_t seq = 0, inner = 0;
	struct tc_buf canon;
	struct tc_result r;
	int rc;

	snprintf(path, sizeof(path), "/v1/log/entries/%" PRIu64, a->f.seq);
	rc = api_get(a, "leaf", path, &b);
	if (rc != CLI_EXIT_OK)
		return rc;
	tc_buf_init(&canon, AUDIT_ENTRY_MAX);
	canon_v = json_object_get(b, "canonical");
	if (!json_is_string(canon_v) || json_string_length(canon_v) > AUDIT_ENTRY_MAX) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "leaf",
			       "the reply has no canonical entry (string of at most %d bytes)", AUDIT_ENTRY_MAX);
		goto out;
	}
	r = parse_u64_field(b, "seq", &seq);
	if (tc_is_ok(r))
		r = parse_hash(json_object_get(b, "leaf_hash"), "leaf_hash", served);
	if (tc_is_ok(r))
		r = tc_json_parse(json_string_value(canon_v), json_string_length(canon_v), AUDIT_ENTRY_MAX, &entry);
	if (tc_is_ok(r))
		r = json_is_object(entry) ? parse_u64_field(entry, "seq", &inner) :
					    tc_fail(TC_ERR_JSON_FIELD_INVALID, "the entry is not a JSON object");
	if (tc_is_ok(r))
		r = tc_json_canonical(entry, &canon);
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, "leaf", "entry reply", r);
		goto out;
	}
	if (seq != a->f.seq || inner != a->f.seq) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "leaf",
			       "asked for entry %" PRIu64 ", got seq %" PRIu64 " (entry says %" PRIu64 ")", a->f.seq,
			       seq, inner);
		goto out;
	}
	if (canon.len != json_string_length(canon_v) ||
	    memcmp(canon.data, json_string_value(canon_v), canon.len) != 0) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "leaf", "entry %" PRIu64 " is not in RFC 8785 canonical form",
			       a->f.seq);
		goto out;
	}
	r = chain_merkle_leaf_hash(json_string_value(canon_v), json_string_length(canon_v), a->leaf);
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, "leaf", "leaf hash", r);
		goto out;
	}
	hex32(a->leaf, hex);
	if (memcmp(a->leaf, served, CHAIN_HASH_LEN) != 0) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "leaf",
			       "entry %" PRIu64 " hashes to %s, the verifier says another leaf hash", a->f.seq, hex);
		goto out;
	}
	if (a->cert_sha256[0] || a->serial_hex[0]) {
		const char *serial = json_string_value(json_object_get(entry, "serial"));
		const char *sha = json_string_value(json_object_get(entry, "cert_sha256"));

		if (a->serial_hex[0] && (!serial || strcmp(serial, a->serial_hex) != 0)) {
			rc = step_fail(a, CLI_EXIT_REJECTED, "leaf", "entry %" PRIu64 " names serial %s, not %s", a->f.seq,
				       serial ? serial : "?", a->serial_hex);
			goto out;
		}
		if (a->cert_sha256[0] && (!sha || strcmp(sha, a->cert_sha256) != 0)) {
			rc = step_fail(a, CLI_EXIT_REJECTED, "leaf",
				       "entry %" PRIu64 " records certificate SHA-256 %s, the file's is %s", a->f.seq,
				       sha ? sha : "?", a->cert_sha256);
			goto out;
		}
	}
	{
		const char *type = json_string_value(json_object_get(entry, "type"));
		const char *serial = json_string_value(json_object_get(entry, "serial"));
		const char *kind = json_string_value(json_object_get(entry, "kind"));

		rc = step_ok(a, "leaf", "entry %" PRIu64 " (%s of %s certificate serial %s) has leaf hash %s", a->f.seq,
			     type ? type : "?", kind ? kind : "?", serial ? serial : "?", hex);
	}
	json_object_set_new(a->summary, "leaf_hash", json_string(hex));
	json_object_set(a->summary, "entry", entry);
out:
	tc_buf_cleanup(&canon);
	json_decref(entry);
	json_decref(b);
	return rc;
}

/* The inclusion proof of entry N in the tree of SIZE entries, verified against ROOT (for STEP). */
static int check_inclusion(struct audit *a, const char *step, uint64_t size, const uint8_t root[CHAIN_HASH_LEN],
			   const char *root_name)
{
	char path[128];
	json_t *b = NULL;
	struct chain_merkle_proof *proof;
	uint64_t seq = 0, got_size = 0;
	struct tc_result r;
	int rc;

	if (a->f.seq >= size)
		return step_fail(a, CLI_EXIT_REJECTED, step,
				 "entry %" PRIu64 " is not in the tree of %" PRIu64 " entries (%s)", a->f.seq, size,
				 root_name);
	snprintf(path, sizeof(path), "/v1/log/proof/inclusion?seq=%" PRIu64 "&tree_size=%" PRIu64, a->f.seq, size);
	rc = api_get(a, step, path, &b);
	if (rc != CLI_EXIT_OK)
		return rc;
	proof = calloc(1, sizeof(*proof));
	if (proof == NULL) {
		rc = step_fail(a, CLI_EXIT_INTERNAL, step, "out of memory");
		goto out;
	}
	r = parse_u64_field(b, "seq", &seq);
	if (tc_is_ok(r))
		r = parse_u64_field(b, "tree_size", &got_size);
	if (tc_is_ok(r))
		r = parse_proof(b, proof);
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, step, "inclusion reply", r);
		goto out;
	}
	if (seq != a->f.seq || got_size != size) {
		rc = step_fail(a, CLI_EXIT_REJECTED, step,
			       "asked for seq %" PRIu64 " in %" PRIu64 ", got %" PRIu64 " in %" PRIu64, a->f.seq, size,
			       seq, got_size);
		goto out;
	}
	/* Our leaf hash, the signed (or anchored) root: the verifier's own leaf_hash and root are not used. */
	r = chain_merkle_verify_inclusion(a->f.seq, size, a->leaf, (const uint8_t(*)[CHAIN_HASH_LEN])proof->hash,
					  proof->len, root);
	if (!tc_is_ok(r)) {
		rc = step_fail(a, CLI_EXIT_REJECTED, step,
			       "entry %" PRIu64 " is not in the tree of %" PRIu64 " entries with the %s: %s", a->f.seq,
			       size, root_name, tc_error_detail());
		goto out;
	}
	rc = step_ok(a, step,
		     "entry %" PRIu64 " is in the tree of %" PRIu64 " entries (%zu-hash proof verified against the %s)",
		     a->f.seq, size, proof->len, root_name);
out:
	free(proof);
	json_decref(b);
	return rc;
}

/* What the walk over the Anchored events keeps: the checkpoint's size and the smallest covering size. */
struct anchor_scan {
	struct audit *a;
	uint64_t n_events;
	uint64_t last_size; /* to check the chain of prevTreeSize links */
	uint64_t max_size;
	bool broken; /* events not a chain: sizes not increasing or prev links wrong */
	struct audit_anchor exact, cover;
	char why[256];
};

static void anchor_keep(struct audit_anchor *dst, const struct chain_log *lg, const struct chain_anchored_event *ev)
{
	dst->have = true;
	dst->ev = *ev;
	dst->block = lg->block_number;
	memcpy(dst->block_hash, lg->block_hash, CHAIN_HASH_LEN);
	memcpy(dst->tx_hash, lg->tx_hash, CHAIN_HASH_LEN);
	dst->log_index = lg->log_index;
}

static struct tc_result anchor_visit(void *ctx, const struct chain_log *lg)
{
	struct anchor_scan *s = ctx;
	struct chain_anchored_event ev;
	uint64_t seq = s->a->f.seq, cp_size = s->a->cp.tree_size;

	if (lg->removed)
		return tc_ok();
	TC_ENSURE(memcmp(lg->address, s->a->contract, CHAIN_ADDRESS_LEN) == 0, TC_ERR_INVALID_ARGUMENT,
		  "the node returned a log of another contract");
	TC_GUARD(chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])lg->topics, lg->n_topics, lg->data,
				       lg->data_len, &ev));
	if (ev.prev_tree_size != s->last_size || ev.tree_size <= s->last_size) {
		if (!s->broken)
			snprintf(s->why, sizeof(s->why),
				 "Anchored(%" PRIu64 ", prev %" PRIu64 ") in block %" PRIu64
				 " does not follow tree size %" PRIu64,
				 ev.tree_size, ev.prev_tree_size, lg->block_number, s->last_size);
		s->broken = true;
	}
	s->last_size = ev.tree_size;
	s->n_events++;
	if (ev.tree_size > s->max_size)
		s->max_size = ev.tree_size;
	if (ev.tree_size == cp_size && !s->exact.have)
		anchor_keep(&s->exact, lg, &ev);
	if (ev.tree_size > seq && ev.tree_size < cp_size && (!s->cover.have || ev.tree_size < s->cover.ev.tree_size))
		anchor_keep(&s->cover, lg, &ev);
	return tc_ok();
}

/* Whether the contract address has code (for a clearer message when no event was found). */
static bool contract_has_code(struct audit *a, bool *has)
{
	char addr[CHAIN_ADDRESS_STR_SIZE];
	json_t *res = NULL;
	struct tc_buf code;
	bool ok;

	chain_address_to_eip55(a->contract, addr);
	tc_buf_init(&code, CHAIN_TX_MAX_LEN);
	ok = tc_is_ok(chain_rpc_call(a->rpc, "eth_getCode", json_pack("[s, s]", addr, "latest"), &res)) &&
	     tc_is_ok(chain_rpc_parse_data(res, &code));
	if (ok)
		*has = code.len > 0;
	json_decref(res);
	tc_buf_cleanup(&code);
	return ok;
}

static void anchor_summary(struct audit *a, const char *path)
{
	char root[AUDIT_HEX32_SIZE], tx[AUDIT_HEX32_SIZE], block_hash[AUDIT_HEX32_SIZE];
	char buf[2 + AUDIT_HEX32_SIZE], bbuf[2 + AUDIT_HEX32_SIZE];

	hex32(a->anchor.ev.root, root);
	hex32(a->anchor.tx_hash, tx);
	hex32(a->anchor.block_hash, block_hash);
	snprintf(buf, sizeof(buf), "0x%s", tx);
	snprintf(bbuf, sizeof(bbuf), "0x%s", block_hash);
	json_object_set_new(a->summary, "anchor",
			    json_pack("{s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:I}", "tree_size",
				      (json_int_t)a->anchor.ev.tree_size, "root", root, "prev_tree_size",
				      (json_int_t)a->anchor.ev.prev_tree_size, "path", path, "block",
				      (json_int_t)a->anchor.block, "block_hash", bbuf, "tx", buf, "log_index",
				      (json_int_t)a->anchor.log_index));
}

/* (4) The Anchored events of the contract, read from the node; then roots, consistency, inclusion. */
static int step_chain(struct audit *a)
{
	struct anchor_scan *s = calloc(1, sizeof(*s));
	char addr[CHAIN_ADDRESS_STR_SIZE], root[AUDIT_HEX32_SIZE], tx[AUDIT_HEX32_SIZE];
	uint8_t topic[CHAIN_HASH_LEN];
	uint64_t head = 0;
	struct tc_result r;
	bool has_code = false;
	int rc;

	if (s == NULL)
		return step_fail(a, CLI_EXIT_INTERNAL, "chain", "out of memory");
	s->a = a;
	chain_address_to_eip55(a->contract, addr);
	r = chain_rpc_block_number(a->rpc, &head);
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, "chain", "eth_blockNumber", r);
		goto out;
	}
	if (a->f.from_block > head) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "chain",
			       "--from-block %" PRIu64 " is beyond the chain head %" PRIu64, a->f.from_block, head);
		goto out;
	}
	chain_abi_event_topic(CHAIN_ANCHORED_EVENT_SIG, topic);
	r = chain_rpc_get_logs(a->rpc, a->contract, topic, a->f.from_block, head, a->f.range, anchor_visit, s);
	if (!tc_is_ok(r)) {
		rc = r.code == TC_ERR_INVALID_ARGUMENT || r.code == TC_ERR_TRUNCATED ?
			     step_fail(a, CLI_EXIT_REJECTED, "chain", "malformed Anchored event of %s: %s", addr,
				       tc_error_detail()) :
			     step_fail_result(a, "chain", "eth_getLogs", r);
		goto out;
	}
	if (s->n_events == 0) {
		const char *why = !contract_has_code(a, &has_code) ? "" :
				  has_code                         ? "" :
								     " (there is no contract at that address)";

		rc = step_fail(a, CLI_EXIT_REJECTED, "chain",
			       "no Anchored event of %s in blocks %" PRIu64 "..%" PRIu64 "%s", addr, a->f.from_block,
			       head, why);
		goto out;
	}
	/* A walk from block 0 sees every anchor: they must form one chain of prevTreeSize links. */
	if (s->broken && a->f.from_block == 0) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "chain", "the Anchored events of %s are not one chain: %s", addr,
			       s->why);
		goto out;
	}
	if (s->exact.have) {
		a->anchor = s->exact;
		hex32(a->anchor.ev.root, root);
		hex32(a->anchor.tx_hash, tx);
		if (memcmp(a->anchor.ev.root, a->cp.root, CHAIN_HASH_LEN) != 0) {
			rc = step_fail(a, CLI_EXIT_REJECTED, "chain",
				       "Anchored(treeSize %" PRIu64 ") in block %" PRIu64
				       " carries root %s, not the checkpoint's root",
				       a->anchor.ev.tree_size, a->anchor.block, root);
			goto out;
		}
		anchor_summary(a, "checkpoint");
		rc = step_ok(a, "chain",
			     "%s anchored tree size %" PRIu64 " with the checkpoint's root in block %" PRIu64
			     " (tx 0x%s)",
			     addr, a->anchor.ev.tree_size, a->anchor.block, tx);
		goto out;
	}
	if (!s->cover.have) {
		if (s->max_size > a->cp.tree_size)
			rc = step_fail(a, CLI_EXIT_REJECTED, "chain",
				       "%s anchored tree size %" PRIu64
				       ", beyond the verifier's latest checkpoint (%" PRIu64
				       "): the verifier serves an old view of the log",
				       addr, s->max_size, a->cp.tree_size);
		else
			rc = step_fail(a, CLI_EXIT_REJECTED, "chain",
				       "entry %" PRIu64
				       " is not anchored yet: the largest anchored tree size is %" PRIu64
				       " (checkpoint %" PRIu64 ", %" PRIu64 " events)",
				       a->f.seq, s->max_size, a->cp.tree_size, s->n_events);
		goto out;
	}
	a->anchor = s->cover;
	hex32(a->anchor.ev.root, root);
	hex32(a->anchor.tx_hash, tx);
	anchor_summary(a, "consistency");
	rc = step_ok(a, "chain",
		     "%s anchored tree size %" PRIu64 " (root %s) in block %" PRIu64 " (tx 0x%s); checkpoint %" PRIu64
		     " is not anchored yet",
		     addr, a->anchor.ev.tree_size, root, a->anchor.block, tx, a->cp.tree_size);
out:
	free(s);
	return rc;
}

/* (4b) The anchored tree is a prefix of the checkpoint's tree. */
static int step_consistency(struct audit *a)
{
	char path[128];
	json_t *b = NULL;
	struct chain_merkle_proof *proof = calloc(1, sizeof(*proof));
	uint64_t from = 0, to = 0, m = a->anchor.ev.tree_size, n = a->cp.tree_size;
	struct tc_result r;
	int rc;

	if (proof == NULL)
		return step_fail(a, CLI_EXIT_INTERNAL, "consistency", "out of memory");
	snprintf(path, sizeof(path), "/v1/log/proof/consistency?from=%" PRIu64 "&to=%" PRIu64, m, n);
	rc = api_get(a, "consistency", path, &b);
	if (rc != CLI_EXIT_OK)
		goto out;
	r = parse_u64_field(b, "from", &from);
	if (tc_is_ok(r))
		r = parse_u64_field(b, "to", &to);
	if (tc_is_ok(r))
		r = parse_proof(b, proof);
	if (!tc_is_ok(r)) {
		rc = step_fail_result(a, "consistency", "consistency reply", r);
		goto out;
	}
	if (from != m || to != n) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "consistency",
			       "asked for %" PRIu64 "..%" PRIu64 ", got %" PRIu64 "..%" PRIu64, m, n, from, to);
		goto out;
	}
	r = chain_merkle_verify_consistency(m, n, a->anchor.ev.root, a->cp.root,
					    (const uint8_t(*)[CHAIN_HASH_LEN])proof->hash, proof->len);
	if (!tc_is_ok(r)) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "consistency",
			       "the anchored tree of %" PRIu64
			       " entries is not a prefix of the checkpoint's tree of %" PRIu64 ": %s",
			       m, n, tc_error_detail());
		goto out;
	}
	rc = step_ok(a, "consistency",
		     "the anchored tree of %" PRIu64 " entries is a prefix of the checkpoint's tree of %" PRIu64
		     " (%zu-hash proof verified)",
		     m, n, proof->len);
out:
	free(proof);
	json_decref(b);
	return rc;
}

/* (5) The anchoring transaction: receipt status and confirmation depth. */
static int step_receipt(struct audit *a)
{
	struct chain_receipt rcpt;
	char tx[AUDIT_HEX32_SIZE];
	uint64_t head = 0, depth;
	bool found = false;
	struct tc_result r;
	json_t *anchor = json_object_get(a->summary, "anchor");

	hex32(a->anchor.tx_hash, tx);
	r = chain_rpc_receipt(a->rpc, a->anchor.tx_hash, &rcpt, &found);
	if (tc_is_ok(r))
		r = chain_rpc_block_number(a->rpc, &head);
	if (!tc_is_ok(r))
		return step_fail_result(a, "receipt", "eth_getTransactionReceipt", r);
	if (!found)
		return step_fail(a, CLI_EXIT_REJECTED, "receipt", "the node has no receipt of tx 0x%s", tx);
	depth = head >= rcpt.block_number ? head - rcpt.block_number + 1 : 0;
	json_object_set_new(anchor, "status", json_integer(rcpt.status ? 1 : 0));
	json_object_set_new(anchor, "confirmations", json_integer((json_int_t)depth));
	json_object_set_new(anchor, "head", json_integer((json_int_t)head));
	if (!rcpt.status)
		return step_fail(a, CLI_EXIT_REJECTED, "receipt", "tx 0x%s has status 0 (reverted) in block %" PRIu64,
				 tx, rcpt.block_number);
	if (rcpt.block_number != a->anchor.block || memcmp(rcpt.block_hash, a->anchor.block_hash, CHAIN_HASH_LEN) != 0)
		return step_fail(a, CLI_EXIT_REJECTED, "receipt",
				 "tx 0x%s is now in block %" PRIu64 ", not in the event's block %" PRIu64 " (reorg)",
				 tx, rcpt.block_number, a->anchor.block);
	if (depth < a->f.min_confirmations)
		return step_fail(a, CLI_EXIT_REJECTED, "receipt",
				 "tx 0x%s: status 1 (success), block %" PRIu64 ", depth %" PRIu64
				 " confirmation(s) (head %" PRIu64 "), fewer than --min-confirmations %" PRIu64,
				 tx, rcpt.block_number, depth, head, a->f.min_confirmations);
	return step_ok(a, "receipt",
		       "tx 0x%s: status 1 (success), block %" PRIu64 ", depth %" PRIu64
		       " confirmation(s) (head %" PRIu64 ")",
		       tx, rcpt.block_number, depth, head);
}

/* --cert: the certificate's serial (lowercase hex of the INTEGER's magnitude) and the SHA-256 of its DER. */
static int cert_identity(struct audit *a)
{
	struct tc_buf file;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	int der_len, rc = CLI_EXIT_USAGE;
	uint8_t h[CHAIN_HASH_LEN];
	unsigned int hl = 0;
	const ASN1_INTEGER *sn;
	struct tc_result r;

	tc_buf_init(&file, AUDIT_CERT_MAX);
	r = tc_file_read(a->f.cert, AUDIT_CERT_MAX, &file);
	if (!tc_is_ok(r)) {
		cli_usage_error(PROG, "--cert %s: %s", a->f.cert, tc_error_detail());
		goto out;
	}
	bio = BIO_new_mem_buf(file.data, (int)file.len);
	if (bio)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!x) {
		const unsigned char *p = file.data;

		x = d2i_X509(NULL, &p, (long)file.len);
	}
	tc_openssl_clear();
	if (!x || (der_len = i2d_X509(x, &der)) <= 0 || (sn = X509_get0_serialNumber(x)) == NULL ||
	    ASN1_STRING_length(sn) <= 0 || (size_t)ASN1_STRING_length(sn) * 2 >= sizeof(a->serial_hex) ||
	    EVP_Digest(der, (size_t)der_len, h, &hl, EVP_sha256(), NULL) != 1) {
		cli_usage_error(PROG, "--cert %s: not a PEM or DER certificate", a->f.cert);
		goto out;
	}
	if (!tc_is_ok(tc_hex_encode(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), a->serial_hex,
				    sizeof(a->serial_hex))))
		goto out;
	hex32(h, a->cert_sha256);
	rc = CLI_EXIT_OK;
out:
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	tc_buf_cleanup(&file);
	return rc;
}

/* --serial/--cert: the certificate's log entry from GET /v1/certificates/{serial} (checked in step leaf). */
static int step_certificate(struct audit *a)
{
	char url[AUDIT_URL_MAX];
	struct tc_buf body;
	json_t *j = NULL;
	json_int_t seq;
	long status = 0;
	int rc;
	struct tc_result r;

	if (snprintf(url, sizeof(url), "%s/v1/certificates/%s", a->f.verifier, a->serial_hex) >= (int)sizeof(url))
		return step_fail(a, CLI_EXIT_USAGE, "certificate", "URL too long");
	tc_buf_init(&body, AUDIT_BODY_MAX);
	r = cli_http_get(url, AUDIT_HTTP_TIMEOUT_MS, &status, &body);
	if (!tc_is_ok(r)) {
		rc = step_fail(a, CLI_EXIT_INTERNAL, "certificate", "%s unreachable: %s", url, tc_error_detail());
		goto out;
	}
	if (status != 200) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "certificate", "the verifier answers %ld for serial %s", status,
			       a->serial_hex);
		goto out;
	}
	r = tc_json_parse((const char *)body.data, body.len, AUDIT_BODY_MAX, &j);
	seq = json_integer_value(json_object_get(json_object_get(j, "log"), "seq"));
	if (!tc_is_ok(r) || !json_is_integer(json_object_get(json_object_get(j, "log"), "seq")) || seq < 0) {
		rc = step_fail(a, CLI_EXIT_REJECTED, "certificate", "the certificate reply has no log.seq");
		goto out;
	}
	a->f.seq = (uint64_t)seq;
	a->f.has_seq = true;
	json_object_set_new(a->summary, "seq", json_integer(seq));
	json_object_set_new(a->summary, "serial", json_string(a->serial_hex));
	rc = step_ok(a, "certificate", "serial %s is log entry %" PRIu64 "%s", a->serial_hex, a->f.seq,
		     a->cert_sha256[0] ? " (the entry must record this file's SHA-256)" : "");
out:
	json_decref(j);
	tc_buf_cleanup(&body);
	return rc;
}

static int audit_run(struct audit *a)
{
	int rc;

	if ((a->f.serial || a->f.cert) && (rc = step_certificate(a)) != CLI_EXIT_OK)
		return rc;
	if ((rc = step_checkpoint(a)) != CLI_EXIT_OK || (rc = step_leaf(a)) != CLI_EXIT_OK ||
	    (rc = check_inclusion(a, "inclusion", a->cp.tree_size, a->cp.root, "checkpoint's signed root")) !=
		    CLI_EXIT_OK ||
	    (rc = step_chain(a)) != CLI_EXIT_OK)
		return rc;
	if (a->anchor.ev.tree_size != a->cp.tree_size &&
	    ((rc = step_consistency(a)) != CLI_EXIT_OK ||
	     (rc = check_inclusion(a, "anchored-inclusion", a->anchor.ev.tree_size, a->anchor.ev.root,
				   "anchored root")) != CLI_EXIT_OK))
		return rc;
	return step_receipt(a);
}

/* ------------------------------------------------------------------------------------------- flags */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: teecert audit (--seq N | --serial HEX | --cert FILE) --verifier URL --rpc URL[,URL...] --contract ADDR --log-key FILE\n"
		"                     [--origin NAME] [--from-block N] [--range N] [--min-confirmations N] [--json]\n\n"
		"Check entry N of the transparency log end to end, trusting only the pinned log key and the chain:\n"
		"  checkpoint   the latest checkpoint's signed note verifies with the log key (and names --origin)\n"
		"  leaf         entry N is canonical JSON of entry N; its leaf hash is recomputed\n"
		"  inclusion    entry N is in the checkpoint's tree (proof verified against the signed root)\n"
		"  chain        the contract's Anchored events (eth_getLogs from --from-block): the checkpoint's size,\n"
		"               roots compared, or else the smallest anchored size above N, then\n"
		"  consistency  the anchored tree is a prefix of the checkpoint's tree, and\n"
		"  anchored-inclusion  entry N is in the anchored tree\n"
		"  receipt      the anchoring transaction's status and confirmation depth\n\n"
		"  --seq N                 the log entry (leaf index) to audit\n"
		"  --verifier URL          base URL of a teecert-verifier (its /v1/log API)\n"
		"  --rpc URL[,URL...]      JSON-RPC endpoints of the chain (opBNB), tried in order\n"
		"  --contract ADDR         the TeecertAnchor contract (0x + 40 hex digits)\n"
		"  --log-key FILE          the log's verifier key: <name>+<hex key id>+<base64(0x01 || Ed25519 key)>\n"
		"  --origin NAME           require this checkpoint origin (default: the key's name)\n"
		"  --from-block N          first block searched for Anchored events (default 0: the whole chain)\n"
		"  --range N               blocks per eth_getLogs request (default 5000; halved when refused)\n"
		"  --min-confirmations N   required depth of the anchoring transaction (default %d)\n"
		"  --json                  print a JSON summary after the step lines\n"
		"  --cert FILE, --serial S audit a certificate instead of a seq: its log entry is found with\n"
		"                          GET /v1/certificates/{serial}; with --cert the entry must record the\n"
		"                          SHA-256 of exactly this certificate\n\n"
		"Output: one line per step, 'OK step: ...' or 'FAIL step: ...'; stops at the first failure.\n"
		"Exit: 0 all steps passed, 1 usage, 2 a check failed, 3 the verifier or the chain is unreachable.\n",
		AUDIT_DEFAULT_MIN_CONFIRMATIONS);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

enum {
	OPT_SEQ = 1000,
	OPT_VERIFIER,
	OPT_RPC,
	OPT_CONTRACT,
	OPT_LOG_KEY,
	OPT_ORIGIN,
	OPT_FROM_BLOCK,
	OPT_RANGE,
	OPT_MIN_CONF,
	OPT_JSON,
	OPT_CERT,
	OPT_SERIAL,
};

static const struct option audit_opts[] = {
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "verifier", required_argument, NULL, OPT_VERIFIER },
	{ "rpc", required_argument, NULL, OPT_RPC },
	{ "contract", required_argument, NULL, OPT_CONTRACT },
	{ "log-key", required_argument, NULL, OPT_LOG_KEY },
	{ "origin", required_argument, NULL, OPT_ORIGIN },
	{ "from-block", required_argument, NULL, OPT_FROM_BLOCK },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "min-confirmations", required_argument, NULL, OPT_MIN_CONF },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, or the exit code. */
static int parse_flags(int argc, char **argv, struct audit_flags *f)
{
	int c;

	memset(f, 0, sizeof(*f));
	f->min_confirmations = AUDIT_DEFAULT_MIN_CONFIRMATIONS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", audit_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case OPT_SEQ:
			if (!parse_u64(optarg, AUDIT_U63_MAX, &f->seq))
				return cli_usage_error(PROG, "--seq: expected a decimal number, got '%s'", optarg);
			f->has_seq = true;
			break;
		case OPT_VERIFIER:
			f->verifier = optarg;
			break;
		case OPT_RPC:
			if ((size_t)snprintf(f->rpc, sizeof(f->rpc), "%s", optarg) >= sizeof(f->rpc))
				return cli_usage_error(PROG, "--rpc: URL list too long");
			break;
		case OPT_CONTRACT:
			f->contract = optarg;
			break;
		case OPT_LOG_KEY:
			f->log_key = optarg;
			break;
		case OPT_ORIGIN:
			f->origin = optarg;
			break;
		case OPT_FROM_BLOCK:
			if (!parse_u64(optarg, AUDIT_U63_MAX, &f->from_block))
				return cli_usage_error(PROG, "--from-block: expected a block number, got '%s'", optarg);
			break;
		case OPT_RANGE:
			if (!parse_u64(optarg, AUDIT_U63_MAX, &f->range) || f->range == 0)
				return cli_usage_error(PROG, "--range: expected a positive number, got '%s'", optarg);
			break;
		case OPT_MIN_CONF:
			if (!parse_u64(optarg, AUDIT_U63_MAX, &f->min_confirmations))
				return cli_usage_error(PROG, "--min-confirmations: expected a number, got '%s'",
						       optarg);
			break;
		case OPT_JSON:
			f->json = true;
			break;
		case OPT_CERT:
			f->cert = optarg;
			break;
		case OPT_SERIAL:
			f->serial = optarg;
			break;
		default:
			return cli_usage_error(PROG, "unknown or incomplete option '%s' (run 'teecert audit --help')",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
	if ((f->has_seq ? 1 : 0) + (f->serial ? 1 : 0) + (f->cert ? 1 : 0) != 1)
		return cli_usage_error(PROG, "give exactly one of --seq N, --serial HEX, --cert FILE (run 'teecert audit --help')");
	if (f->verifier == NULL || f->rpc[0] == '\0' || f->contract == NULL || f->log_key == NULL)
		return cli_usage_error(PROG, "--verifier, --rpc, --contract and --log-key are required");
	if (strncmp(f->verifier, "http://", 7) != 0 && strncmp(f->verifier, "https://", 8) != 0)
		return cli_usage_error(PROG, "--verifier: expected an http:// or https:// URL");
	return -1;
}

/* Read the verifier key file: one line "<name>+<hex id>+<base64 key>", surrounding whitespace ignored. */
static TC_RESULT load_log_key(const char *path, struct chain_note_verifier *out)
{
	struct tc_buf b;
	struct tc_result r;
	size_t start = 0, end;

	tc_buf_init(&b, CHAIN_NOTE_KEY_FILE_MAX);
	r = tc_file_read(path, CHAIN_NOTE_KEY_FILE_MAX, &b);
	if (tc_is_ok(r)) {
		end = b.len;
		while (start < end && (b.data[start] == ' ' || b.data[start] == '\n' || b.data[start] == '\r' ||
				       b.data[start] == '\t'))
			start++;
		while (end > start && (b.data[end - 1] == ' ' || b.data[end - 1] == '\n' || b.data[end - 1] == '\r' ||
				       b.data[end - 1] == '\t'))
			end--;
		r = chain_note_verifier_parse((const char *)b.data + start, end - start, out);
	}
	tc_buf_cleanup(&b);
	return r;
}

int cli_cmd_audit(int argc, char **argv)
{
	struct audit a;
	struct chain_rpc_options ro;
	struct tc_result r;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_flags(argc, argv, &a.f);
	if (rc >= 0)
		return rc;
	r = load_log_key(a.f.log_key, &a.vkey);
	if (!tc_is_ok(r))
		return cli_usage_error(PROG, "--log-key %s: %s: %s", a.f.log_key, tc_error_info(r.code)->code,
				       tc_error_detail());
	r = chain_address_parse(a.f.contract, strlen(a.f.contract), a.contract);
	if (!tc_is_ok(r))
		return cli_usage_error(PROG, "--contract: %s", tc_error_detail());
	memset(&ro, 0, sizeof(ro));
	r = chain_rpc_options_parse_urls(a.f.rpc, &ro);
	if (!tc_is_ok(r))
		return cli_usage_error(PROG, "--rpc: %s", tc_error_detail());
	ro.max_attempts = AUDIT_RPC_ATTEMPTS;
	ro.backoff_base_ms = 100;
	ro.backoff_max_ms = 1000;
	r = chain_rpc_new(&ro, &a.rpc);
	if (!tc_is_ok(r)) {
		fprintf(stderr, PROG ": %s: %s\n", tc_error_info(r.code)->code, tc_error_detail());
		return CLI_EXIT_INTERNAL;
	}
	if (a.f.cert && (rc = cert_identity(&a)) != CLI_EXIT_OK) {
		chain_rpc_free(&a.rpc);
		return rc;
	}
	if (a.f.serial) {
		size_t n = strlen(a.f.serial), k = 0;

		for (size_t i = 0; i < n && k + 1 < sizeof(a.serial_hex); i++)
			a.serial_hex[k++] = (char)tolower((unsigned char)a.f.serial[i]);
		a.serial_hex[k] = 0;
		if (n == 0 || n >= sizeof(a.serial_hex) || strspn(a.serial_hex, "0123456789abcdef") != n) {
			chain_rpc_free(&a.rpc);
			return cli_usage_error(PROG, "--serial: expected a hexadecimal serial, got '%s'", a.f.serial);
		}
	}
	a.steps = json_array();
	a.summary = json_pack("{s:I}", "seq", (json_int_t)a.f.seq);
	if (a.steps == NULL || a.summary == NULL) {
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	rc = audit_run(&a);
	if (rc == CLI_EXIT_OK)
		printf("audit passed: entry %" PRIu64 " is in the log under checkpoint %" PRIu64
		       " and anchored at tree size %" PRIu64 "\n",
		       a.f.seq, a.cp.tree_size, a.anchor.ev.tree_size);
	if (a.f.json) {
		struct tc_buf out;

		json_object_set_new(a.summary, "ok", json_boolean(rc == CLI_EXIT_OK));
		json_object_set_new(a.summary, "exit", json_integer(rc));
		json_object_set(a.summary, "steps", a.steps);
		tc_buf_init(&out, AUDIT_BODY_MAX);
		if (tc_is_ok(tc_json_dump(a.summary, &out)))
			printf("%s\n", (const char *)out.data);
		tc_buf_cleanup(&out);
	}
out:
	json_decref(a.steps);
	json_decref(a.summary);
	chain_rpc_free(&a.rpc);
	return rc;
}
