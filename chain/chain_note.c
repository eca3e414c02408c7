/*
 * chain_note.c — signed tree heads of the certificate log: C2SP signed notes (c2sp.org/signed-note) with an
 * Ed25519 key (OpenSSL EVP), whose text is a C2SP checkpoint (c2sp.org/tlog-checkpoint). Pure: the key is
 * read from a PEM file, nothing else touches the outside. The auditor CLI verifies with the same code.
 *
 *   note      = text "\n" 1*sigline          text ends with "\n"; the blank line separates the signatures
 *   sigline   = U+2014 " " name " " base64(key id [4] || signature) "\n"
 *   key id    = SHA-256(name || 0x0A || 0x01 || Ed25519 public key)[:4]
 *   text      = origin "\n" size "\n" base64(root) "\n" "time " unix-seconds "\n"   (our checkpoints)
 *
 * Parsing is strict and bounded (CHAIN_NOTE_MAX bytes, CHAIN_NOTE_MAX_SIGS lines); the note is split at
 * its last blank line, as Go's golang.org/x/mod/sumdb/note does.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "chain_internal.h"

#define NOTE_DASH "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */
#define NOTE_DASH_LEN 4
#define NOTE_SIG_BLOB_LEN (CHAIN_NOTE_KEY_ID_LEN + CHAIN_ED25519_SIG_LEN)
#define NOTE_KEY_BLOB_LEN (1 + CHAIN_ED25519_PUBKEY_LEN)
#define NOTE_U64_DIGITS_MAX 20
#define NOTE_TIME_PREFIX "time "

struct chain_note_signer {
	EVP_PKEY *pkey;
	struct chain_note_verifier verifier;
};

/* ------------------------------------------------------------------------------------------ key names */

static bool name_char_ok(char c)
{
	return c > ' ' && c < 0x7f && c != '+';
}

static TC_RESULT name_check(const char *name, size_t len)
{
	TC_ENSURE(name != NULL && len >= 1 && len <= CHAIN_NOTE_NAME_MAX, CHAIN_ERR_MALFORMED,
		  "note key name must be 1..%d characters", CHAIN_NOTE_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		TC_ENSURE(name_char_ok(name[i]), CHAIN_ERR_MALFORMED,
			  "note key name has a space, '+' or a non-printable character at %zu", i);
	return tc_ok();
}

TC_RESULT chain_note_key_id(const char *name, const uint8_t pubkey[CHAIN_ED25519_PUBKEY_LEN],
			    uint8_t out[CHAIN_NOTE_KEY_ID_LEN])
{
	uint8_t digest[CHAIN_HASH_LEN];
	unsigned int n = 0;
	EVP_MD_CTX *ctx;
	static const uint8_t sep[2] = { '\n', CHAIN_NOTE_SIG_TYPE_ED25519 };
	struct tc_result r = tc_ok();

	TC_GUARD(name_check(name, name ? strlen(name) : 0));
	ctx = EVP_MD_CTX_new();
	TC_ENSURE(ctx != NULL, TC_ERR_NO_MEMORY, "EVP_MD_CTX_new");
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, name, strlen(name)) ||
	    !EVP_DigestUpdate(ctx, sep, sizeof(sep)) || !EVP_DigestUpdate(ctx, pubkey, CHAIN_ED25519_PUBKEY_LEN) ||
	    !EVP_DigestFinal_ex(ctx, digest, &n) || n != CHAIN_HASH_LEN) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 of the note key");
		goto out;
	}
	memcpy(out, digest, CHAIN_NOTE_KEY_ID_LEN);
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

TC_RESULT chain_note_verifier_init(struct chain_note_verifier *v, const char *name,
				   const uint8_t pubkey[CHAIN_ED25519_PUBKEY_LEN])
{
	struct chain_note_verifier t = { 0 };

	TC_ENSURE(v != NULL && pubkey != NULL, TC_ERR_INVALID_ARGUMENT, "note verifier: missing argument");
	TC_GUARD(chain_note_key_id(name, pubkey, t.key_id));
	memcpy(t.name, name, strlen(name) + 1);
	memcpy(t.pubkey, pubkey, CHAIN_ED25519_PUBKEY_LEN);
	*v = t;
	return tc_ok();
}

TC_RESULT chain_note_verifier_format(const struct chain_note_verifier *v, struct tc_buf *out)
{
	uint8_t blob[NOTE_KEY_BLOB_LEN];
	char id[2 * CHAIN_NOTE_KEY_ID_LEN + 1];

	blob[0] = CHAIN_NOTE_SIG_TYPE_ED25519;
	memcpy(blob + 1, v->pubkey, CHAIN_ED25519_PUBKEY_LEN);
	TC_GUARD(tc_hex_encode(v->key_id, CHAIN_NOTE_KEY_ID_LEN, id, sizeof(id)));
	TC_GUARD(tc_buf_appendf(out, "%s+%s+", v->name, id));
	return tc_base64_encode(blob, sizeof(blob), out);
}

TC_RESULT chain_note_verifier_parse(const char *vkey, size_t len, struct chain_note_verifier *out)
{
	const char *plus1, *plus2;
	uint8_t id[CHAIN_NOTE_KEY_ID_LEN];
	char name[CHAIN_NOTE_NAME_MAX + 1];
	struct tc_buf blob;
	struct chain_note_verifier v;
	struct tc_result r = tc_ok();

	TC_ENSURE(vkey != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "note verifier: missing argument");
	plus1 = memchr(vkey, '+', len);
	TC_ENSURE(plus1 != NULL, CHAIN_ERR_MALFORMED, "verifier key: expected name+id+key");
	plus2 = memchr(plus1 + 1, '+', len - (size_t)(plus1 + 1 - vkey));
	TC_ENSURE(plus2 != NULL, CHAIN_ERR_MALFORMED, "verifier key: expected name+id+key");
	TC_GUARD(name_check(vkey, (size_t)(plus1 - vkey)));
	memcpy(name, vkey, (size_t)(plus1 - vkey));
	name[plus1 - vkey] = '\0';
	TC_GUARD(tc_hex_decode_fixed(plus1 + 1, (size_t)(plus2 - plus1 - 1), id, sizeof(id)));
	tc_buf_init(&blob, NOTE_KEY_BLOB_LEN + 8);
	TC_GUARD_GOTO(r, tc_base64_decode(plus2 + 1, len - (size_t)(plus2 + 1 - vkey), &blob), out);
	TC_ENSURE_GOTO(r, blob.len == NOTE_KEY_BLOB_LEN && blob.data[0] == CHAIN_NOTE_SIG_TYPE_ED25519, out,
		       CHAIN_ERR_MALFORMED, "verifier key: not an Ed25519 key (type 0x01 + 32 bytes)");
	TC_GUARD_GOTO(r, chain_note_verifier_init(&v, name, blob.data + 1), out);
	TC_ENSURE_GOTO(r, memcmp(v.key_id, id, sizeof(id)) == 0, out, CHAIN_ERR_KEY,
		       "verifier key: key id does not match the name and key");
	*out = v;
out:
	tc_buf_cleanup(&blob);
	return r;
}

/* -------------------------------------------------------------------------------------------- signers */

/* Take ownership of PKEY (freed on failure too). */
static TC_RESULT signer_from_pkey(EVP_PKEY *pkey, const char *name, struct chain_note_signer **out)
{
	uint8_t pub[CHAIN_ED25519_PUBKEY_LEN];
	size_t pub_len = sizeof(pub);
	struct chain_note_signer *s = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519, out, CHAIN_ERR_KEY,
		       "the log key is not an Ed25519 key");
	if (!EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) || pub_len != sizeof(pub)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "Ed25519 public key");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	TC_ENSURE_GOTO(r, s != NULL, out, TC_ERR_NO_MEMORY, "note signer");
	TC_GUARD_GOTO(r, chain_note_verifier_init(&s->verifier, name, pub), out);
	s->pkey = pkey;
	pkey = NULL;
	*out = s;
	s = NULL;
out:
	EVP_PKEY_free(pkey);
	free(s);
	return r;
}

TC_RESULT chain_note_signer_generate(const char *name, struct chain_note_signer **out)
{
	EVP_PKEY *pkey;

	TC_ENSURE(out != NULL, TC_ERR_INVALID_ARGUMENT, "note signer: missing argument");
	TC_GUARD(name_check(name, name ? strlen(name) : 0));
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		return tc_fail_openssl(TC_ERR_CRYPTO, "Ed25519 key generation");
	return signer_from_pkey(pkey, name, out);
}

/* Read a key file that only its owner may access (fstat of the open descriptor, no symlinks). */
static TC_RESULT key_file_read(const char *path, struct tc_buf *out)
{
	struct stat st;
	uint8_t chunk[512];
	struct tc_result r = tc_ok();
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	TC_ENSURE(fd >= 0, TC_ERR_IO, "cannot open log key file %s: %s", path, strerror(errno));
	TC_ENSURE_GOTO(r, fstat(fd, &st) == 0, out, TC_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
	TC_ENSURE_GOTO(r, S_ISREG(st.st_mode), out, CHAIN_ERR_KEY, "log key file %s is not a regular file", path);
	TC_ENSURE_GOTO(r, (st.st_mode & (S_IRWXG | S_IRWXO)) == 0, out, CHAIN_ERR_KEY,
		       "log key file %s has mode %03o; it must not be accessible by group or others (chmod 600)",
		       path, (unsigned)(st.st_mode & 0777));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		TC_ENSURE_GOTO(r, n >= 0, out, TC_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		TC_GUARD_GOTO(r, tc_buf_append(out, chunk, (size_t)n), out);
	}
out:
	tc_secure_zero(chunk, sizeof(chunk));
	close(fd);
	return r;
}

TC_RESULT chain_note_signer_load(const char *path, const char *name, struct chain_note_signer **out)
{
	struct tc_buf pem;
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(path != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "note signer: missing argument");
	TC_GUARD(name_check(name, name ? strlen(name) : 0));
	tc_buf_init(&pem, CHAIN_NOTE_KEY_FILE_MAX);
	TC_GUARD_GOTO(r, key_file_read(path, &pem), out);
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	TC_ENSURE_GOTO(r, bio != NULL, out, TC_ERR_NO_MEMORY, "BIO_new_mem_buf");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (pkey == NULL) {
		r = tc_fail_openssl(CHAIN_ERR_KEY, "reading the PEM log key");
		goto out;
	}
	r = signer_from_pkey(pkey, name, out);
out:
	BIO_free(bio);
	tc_buf_cleanup(&pem);
	return r;
}

TC_RESULT chain_note_signer_save(const struct chain_note_signer *s, const char *path)
{
	BIO *bio;
	char *data = NULL;
	long len;
	struct tc_result r = tc_ok();

	TC_ENSURE(s != NULL && path != NULL, TC_ERR_INVALID_ARGUMENT, "note signer: missing argument");
	bio = BIO_new(BIO_s_mem());
	TC_ENSURE(bio != NULL, TC_ERR_NO_MEMORY, "BIO_new");
	if (!PEM_write_bio_PrivateKey(bio, s->pkey, NULL, NULL, 0, NULL, NULL)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "writing the PEM log key");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	TC_ENSURE_GOTO(r, len > 0 && data != NULL, out, TC_ERR_CRYPTO, "empty PEM log key");
	r = tc_file_write(path, data, (size_t)len, 0600);
	tc_secure_zero(data, (size_t)len);
out:
	BIO_free(bio);
	return r;
}

void chain_note_signer_free(struct chain_note_signer **s)
{
	if (s == NULL || *s == NULL)
		return;
	EVP_PKEY_free((*s)->pkey);
	free(*s);
	*s = NULL;
}

const struct chain_note_verifier *chain_note_signer_verifier(const struct chain_note_signer *s)
{
	return &s->verifier;
}

/* ---------------------------------------------------------------------------------------------- notes */

/* Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) and no control
 * characters other than newline (c2sp.org/signed-note "Format"). */
static TC_RESULT note_chars_check(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			TC_ENSURE(c >= 0x20 || c == '\n', CHAIN_ERR_MALFORMED, "note has a control character at %zu", i);
			TC_ENSURE(c != 0x7f, CHAIN_ERR_MALFORMED, "note has DEL at %zu", i);
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return tc_fail(CHAIN_ERR_MALFORMED, "note is not UTF-8 at %zu", i);
		}
		TC_ENSURE(len - i >= n, CHAIN_ERR_MALFORMED, "note ends inside a UTF-8 sequence");
		for (size_t k = 1; k < n; k++) {
			TC_ENSURE((p[i + k] & 0xc0) == 0x80, CHAIN_ERR_MALFORMED, "note is not UTF-8 at %zu", i + k);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		TC_ENSURE(cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff), CHAIN_ERR_MALFORMED,
			  "note has an invalid UTF-8 sequence at %zu", i);
		i += n;
	}
	return tc_ok();
}

/* Text that may be signed: non-empty, ends with a newline, no blank line, allowed characters only. */
static TC_RESULT note_text_check(const char *text, size_t len)
{
	TC_ENSURE(text != NULL && len > 0 && text[len - 1] == '\n', CHAIN_ERR_MALFORMED,
		  "note text must be non-empty and end with a newline");
	TC_ENSURE(text[0] != '\n' && memmem(text, len, "\n\n", 2) == NULL, CHAIN_ERR_MALFORMED,
		  "note text must not contain a blank line");
	return note_chars_check((const uint8_t *)text, len);
}

static TC_RESULT ed25519_sign(EVP_PKEY *pkey, const void *msg, size_t len, uint8_t sig[CHAIN_ED25519_SIG_LEN])
{
	size_t sig_len = CHAIN_ED25519_SIG_LEN;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct tc_result r = tc_ok();

	TC_ENSURE(ctx != NULL, TC_ERR_NO_MEMORY, "EVP_MD_CTX_new");
	if (!EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) || !EVP_DigestSign(ctx, sig, &sig_len, msg, len) ||
	    sig_len != CHAIN_ED25519_SIG_LEN)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "Ed25519 signature");
	EVP_MD_CTX_free(ctx);
	return r;
}

static TC_RESULT ed25519_verify(const uint8_t pub[CHAIN_ED25519_PUBKEY_LEN], const void *msg, size_t len,
				const uint8_t sig[CHAIN_ED25519_SIG_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CHAIN_ED25519_PUBKEY_LEN);
	EVP_MD_CTX *ctx = NULL;
	struct tc_result r = tc_ok();
	int ok;

	if (pkey == NULL)
		return tc_fail_openssl(CHAIN_ERR_KEY, "Ed25519 public key");
	ctx = EVP_MD_CTX_new();
	TC_ENSURE_GOTO(r, ctx != NULL, out, TC_ERR_NO_MEMORY, "EVP_MD_CTX_new");
	if (!EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "Ed25519 verify init");
		goto out;
	}
	ok = EVP_DigestVerify(ctx, sig, CHAIN_ED25519_SIG_LEN, msg, len);
	tc_openssl_clear(); /* a failed verification leaves an entry; it is not an internal error */
	TC_ENSURE_GOTO(r, ok == 1, out, CHAIN_ERR_PROOF, "note signature invalid: Ed25519 verification failed");
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

TC_RESULT chain_note_sign(const struct chain_note_signer *s, const char *text, size_t len, struct tc_buf *note,
			  uint8_t sig[CHAIN_ED25519_SIG_LEN])
{
	uint8_t blob[NOTE_SIG_BLOB_LEN];
	size_t start;

	TC_ENSURE(s != NULL && note != NULL, TC_ERR_INVALID_ARGUMENT, "note sign: missing argument");
	TC_GUARD(note_text_check(text, len));
	memcpy(blob, s->verifier.key_id, CHAIN_NOTE_KEY_ID_LEN);
	TC_GUARD(ed25519_sign(s->pkey, text, len, blob + CHAIN_NOTE_KEY_ID_LEN));
	start = note->len;
	TC_GUARD(tc_buf_append(note, text, len));
	TC_GUARD(tc_buf_appendf(note, "\n" NOTE_DASH "%s ", s->verifier.name));
	TC_GUARD(tc_base64_encode(blob, sizeof(blob), note));
	TC_GUARD(tc_buf_append_u8(note, '\n'));
	TC_ENSURE(note->len - start <= CHAIN_NOTE_MAX, TC_ERR_TOO_LARGE, "signed note longer than %d bytes",
		  CHAIN_NOTE_MAX);
	if (sig)
		memcpy(sig, blob + CHAIN_NOTE_KEY_ID_LEN, CHAIN_ED25519_SIG_LEN);
	return tc_ok();
}

/* One signature line (without its newline): name and decoded blob. MATCH tells whether it is V's key. */
static TC_RESULT sig_line_parse(const char *line, size_t len, const struct chain_note_verifier *v, bool *match,
				uint8_t sig[CHAIN_ED25519_SIG_LEN])
{
	const char *name, *space;
	size_t name_len;
	struct tc_buf blob;
	struct tc_result r = tc_ok();

	TC_ENSURE(len > NOTE_DASH_LEN && memcmp(line, NOTE_DASH, NOTE_DASH_LEN) == 0, CHAIN_ERR_MALFORMED,
		  "note signature line must start with an em dash and a space");
	name = line + NOTE_DASH_LEN;
	space = memchr(name, ' ', len - NOTE_DASH_LEN);
	TC_ENSURE(space != NULL && space > name, CHAIN_ERR_MALFORMED, "note signature line without a key name");
	name_len = (size_t)(space - name);
	TC_ENSURE(memchr(name, '+', name_len) == NULL, CHAIN_ERR_MALFORMED, "note key name contains '+'");
	tc_buf_init(&blob, CHAIN_NOTE_MAX);
	TC_GUARD_GOTO(r, tc_base64_decode(space + 1, len - (size_t)(space + 1 - line), &blob), out);
	TC_ENSURE_GOTO(r, blob.len > CHAIN_NOTE_KEY_ID_LEN, out, CHAIN_ERR_MALFORMED,
		       "note signature shorter than a key id");
	*match = name_len == strlen(v->name) && memcmp(name, v->name, name_len) == 0 &&
		 memcmp(blob.data, v->key_id, CHAIN_NOTE_KEY_ID_LEN) == 0;
	if (*match) {
		TC_ENSURE_GOTO(r, blob.len == NOTE_SIG_BLOB_LEN, out, CHAIN_ERR_PROOF,
			       "note signature invalid: %zu bytes, expected an Ed25519 signature",
			       blob.len - CHAIN_NOTE_KEY_ID_LEN);
		memcpy(sig, blob.data + CHAIN_NOTE_KEY_ID_LEN, CHAIN_ED25519_SIG_LEN);
	}
out:
	tc_buf_cleanup(&blob);
	return r;
}

TC_RESULT chain_note_open(const char *note, size_t len, const struct chain_note_verifier *v, size_t *text_len)
{
	const char *sep = NULL, *p, *end;
	size_t text_n, lines = 0;
	bool found = false;
	uint8_t sig[CHAIN_ED25519_SIG_LEN];

	TC_ENSURE(note != NULL && v != NULL && text_len != NULL, TC_ERR_INVALID_ARGUMENT,
		  "note open: missing argument");
	TC_ENSURE(len <= CHAIN_NOTE_MAX, TC_ERR_TOO_LARGE, "note longer than %d bytes", CHAIN_NOTE_MAX);
	TC_ENSURE(len > 0 && note[len - 1] == '\n', CHAIN_ERR_MALFORMED, "note must end with a newline");
	TC_GUARD(note_chars_check((const uint8_t *)note, len));
	/* The last blank line separates text and signatures. */
	for (const char *q = note; (q = memmem(q, len - (size_t)(q - note), "\n\n", 2)) != NULL; q++)
		sep = q;
	TC_ENSURE(sep != NULL, CHAIN_ERR_MALFORMED, "note has no blank line before its signatures");
	text_n = (size_t)(sep - note) + 1;
	TC_GUARD(note_text_check(note, text_n));
	end = note + len;
	for (p = sep + 2; p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		bool match = false;
		uint8_t line_sig[CHAIN_ED25519_SIG_LEN];

		TC_ENSURE(lines < CHAIN_NOTE_MAX_SIGS, CHAIN_ERR_MALFORMED, "note has more than %d signatures",
			  CHAIN_NOTE_MAX_SIGS);
		TC_GUARD(sig_line_parse(p, (size_t)(nl - p), v, &match, line_sig));
		/* The first line of V's key decides (a later duplicate is ignored, as in Go's note.Open). */
		if (match && !found) {
			memcpy(sig, line_sig, sizeof(sig));
			found = true;
		}
		p = nl + 1;
	}
	TC_ENSURE(lines > 0, CHAIN_ERR_MALFORMED, "note has no signature lines");
	TC_ENSURE(found, CHAIN_ERR_PROOF, "note is not signed by key %s", v->name);
	TC_GUARD(ed25519_verify(v->pubkey, note, text_n, sig));
	*text_len = text_n;
	return tc_ok();
}

/* ---------------------------------------------------------------------------------------- checkpoints */

TC_RESULT chain_checkpoint_format(const struct chain_checkpoint *cp, struct tc_buf *text)
{
	TC_ENSURE(cp != NULL && text != NULL, TC_ERR_INVALID_ARGUMENT, "checkpoint format: missing argument");
	TC_GUARD(name_check(cp->origin, strnlen(cp->origin, sizeof(cp->origin))));
	TC_ENSURE(cp->time >= 0, TC_ERR_INVALID_ARGUMENT, "checkpoint time before 1970");
	TC_GUARD(tc_buf_appendf(text, "%s\n%llu\n", cp->origin, (unsigned long long)cp->tree_size));
	TC_GUARD(tc_base64_encode(cp->root, CHAIN_HASH_LEN, text));
	return tc_buf_appendf(text, "\n" NOTE_TIME_PREFIX "%lld\n", (long long)cp->time);
}

/* A decimal uint64 without sign or leading zeros. */
static TC_RESULT parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	TC_ENSURE(len >= 1 && len <= NOTE_U64_DIGITS_MAX, CHAIN_ERR_MALFORMED, "checkpoint number of %zu digits", len);
	TC_ENSURE(len == 1 || s[0] != '0', CHAIN_ERR_MALFORMED, "checkpoint number with a leading zero");
	for (size_t i = 0; i < len; i++) {
		TC_ENSURE(s[i] >= '0' && s[i] <= '9', CHAIN_ERR_MALFORMED, "checkpoint number is not decimal");
		TC_ENSURE(v <= (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10, CHAIN_ERR_MALFORMED,
			  "checkpoint number overflows 64 bits");
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return tc_ok();
}

/* The next line of [*P, END) without its newline; fails when there is no newline. */
static TC_RESULT next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	TC_ENSURE(nl != NULL, CHAIN_ERR_MALFORMED, "checkpoint line without a newline");
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return tc_ok();
}

TC_RESULT chain_checkpoint_parse(const char *text, size_t len, struct chain_checkpoint *out)
{
	struct chain_checkpoint cp = { 0 };
	const char *p = text, *end = text + len, *line = NULL;
	size_t n = 0;
	bool have_time = false;
	uint64_t t;
	struct tc_buf root;
	struct tc_result r = tc_ok();

	TC_ENSURE(text != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "checkpoint parse: missing argument");
	TC_GUARD(note_text_check(text, len));
	/* Origin: a key-name-like string (teecert origins are their key's name). */
	TC_GUARD(next_line(&p, end, &line, &n));
	TC_GUARD(name_check(line, n));
	memcpy(cp.origin, line, n);
	TC_GUARD(next_line(&p, end, &line, &n));
	TC_GUARD(parse_u64(line, n, &cp.tree_size));
	TC_GUARD(next_line(&p, end, &line, &n));
	tc_buf_init(&root, CHAIN_HASH_LEN + 8);
	r = tc_base64_decode(line, n, &root);
	if (tc_is_ok(r) && root.len != CHAIN_HASH_LEN)
		r = tc_fail(CHAIN_ERR_MALFORMED, "checkpoint root is %zu bytes, expected %d", root.len, CHAIN_HASH_LEN);
	if (tc_is_ok(r))
		memcpy(cp.root, root.data, CHAIN_HASH_LEN);
	tc_buf_cleanup(&root);
	TC_GUARD(r);
	/* Extension lines (non-empty by note_text_check); ours is "time N", exactly once. */
	while (p < end) {
		TC_GUARD(next_line(&p, end, &line, &n));
		if (n < sizeof(NOTE_TIME_PREFIX) - 1 || memcmp(line, NOTE_TIME_PREFIX, sizeof(NOTE_TIME_PREFIX) - 1) != 0)
			continue;
		TC_ENSURE(!have_time, CHAIN_ERR_MALFORMED, "checkpoint has two time lines");
		TC_GUARD(parse_u64(line + sizeof(NOTE_TIME_PREFIX) - 1, n - (sizeof(NOTE_TIME_PREFIX) - 1), &t));
		TC_ENSURE(t <= (uint64_t)INT64_MAX, CHAIN_ERR_MALFORMED, "checkpoint time out of range");
		cp.time = (int64_t)t;
		have_time = true;
	}
	TC_ENSURE(have_time, CHAIN_ERR_MALFORMED, "checkpoint has no time line");
	*out = cp;
	return tc_ok();
}

TC_RESULT chain_checkpoint_sign(const struct chain_note_signer *s, const struct chain_checkpoint *cp,
				struct tc_buf *note, uint8_t sig[CHAIN_ED25519_SIG_LEN])
{
	struct tc_buf text;
	struct tc_result r = tc_ok();

	TC_ENSURE(s != NULL && cp != NULL && note != NULL, TC_ERR_INVALID_ARGUMENT,
		  "checkpoint sign: missing argument");
	TC_ENSURE(strcmp(cp->origin, s->verifier.name) == 0, TC_ERR_INVALID_ARGUMENT,
		  "checkpoint origin %.64s is not the log key's name %.64s", cp->origin, s->verifier.name);
	tc_buf_init(&text, CHAIN_NOTE_MAX);
	TC_GUARD_GOTO(r, chain_checkpoint_format(cp, &text), out);
	TC_GUARD_GOTO(r, chain_note_sign(s, (const char *)text.data, text.len, note, sig), out);
out:
	tc_buf_cleanup(&text);
	return r;
}

TC_RESULT chain_checkpoint_open(const char *note, size_t len, const struct chain_note_verifier *v,
				struct chain_checkpoint *out)
{
	size_t text_len;
	struct chain_checkpoint cp;

	TC_GUARD(chain_note_open(note, len, v, &text_len));
	TC_GUARD(chain_checkpoint_parse(note, text_len, &cp));
	TC_ENSURE(strcmp(cp.origin, v->name) == 0, CHAIN_ERR_PROOF,
		  "checkpoint origin %.64s is not the log key's name %.64s", cp.origin, v->name);
	*out = cp;
	return tc_ok();
}
