/*
 * vf_snp_chain.c — the SEV-SNP endorsement chain: VCEK <- ASK <- ARK, or VLEK <- ASVK <- ARK.
 *
 * AMD signs the ARK (self-signed) and the ASK/ASVK with RSASSA-PSS/SHA-384 and the VCEK/VLEK with the ASK
 * or ASVK ([KDS] "Certificate Chain"). The ARK is pinned (trust_anchors.amd_ark, or the built-in ARK of the
 * VCEK's product line); the ARK copy inside ark_ask_chain is never trusted.
 *
 * Speed: verifying two RSA-4096 signatures and parsing three certificates costs more than the report's
 * ECDSA verify, so the time-independent part (parsing, path building, signatures, the AMD extensions) is
 * memoized process-wide, keyed by SHA-256 over the exact bytes of leaf, chain and anchor. Only successes are
 * memoized; validity windows are checked on every call, after the memo, so results are identical with and
 * without it.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "vf_snp.h"

#define VF_SNP_CACHE_SLOTS 64
#define VF_SNP_CN_MAX 64
#define VF_SNP_SUBJECT_MAX 256

struct cache_slot {
	bool used;
	uint64_t last_use;
	uint8_t key[32];
	struct vf_snp_endorsement e;
};

static struct {
	pthread_mutex_t lock;
	bool disabled;
	uint64_t tick, hits;
	struct cache_slot slots[VF_SNP_CACHE_SLOTS];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

void vf_snp_endorsement_cleanup(struct vf_snp_endorsement *e)
{
	X509_free(e->leaf);
	X509_free(e->ask);
	X509_free(e->ark);
	EVP_PKEY_free(e->leaf_key);
	memset(e, 0, sizeof(*e));
}

/* Copy with new references (the copy is owned by the caller). */
static void endorsement_ref(const struct vf_snp_endorsement *src, struct vf_snp_endorsement *dst)
{
	*dst = *src;
	X509_up_ref(dst->leaf);
	X509_up_ref(dst->ask);
	X509_up_ref(dst->ark);
	EVP_PKEY_up_ref(dst->leaf_key);
}

void vf_snp_chain_cache_enable(bool on)
{
	pthread_mutex_lock(&cache.lock);
	cache.disabled = !on;
	pthread_mutex_unlock(&cache.lock);
}

void vf_snp_chain_cache_clear(void)
{
	pthread_mutex_lock(&cache.lock);
	for (size_t i = 0; i < VF_SNP_CACHE_SLOTS; i++) {
		if (cache.slots[i].used)
			vf_snp_endorsement_cleanup(&cache.slots[i].e);
		cache.slots[i].used = false;
	}
	cache.hits = 0;
	pthread_mutex_unlock(&cache.lock);
}

uint64_t vf_snp_chain_cache_hits(void)
{
	uint64_t h;

	pthread_mutex_lock(&cache.lock);
	h = cache.hits;
	pthread_mutex_unlock(&cache.lock);
	return h;
}

static bool cache_get(const uint8_t key[32], struct vf_snp_endorsement *out)
{
	bool found = false;

	pthread_mutex_lock(&cache.lock);
	for (size_t i = 0; !cache.disabled && i < VF_SNP_CACHE_SLOTS; i++) {
		struct cache_slot *s = &cache.slots[i];

		if (s->used && memcmp(s->key, key, 32) == 0) {
			s->last_use = ++cache.tick;
			cache.hits++;
			endorsement_ref(&s->e, out);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&cache.lock);
	return found;
}

/* Insert a copy of E, evicting the least recently used slot when full. */
static void cache_put(const uint8_t key[32], const struct vf_snp_endorsement *e)
{
	struct cache_slot *victim = NULL;

	pthread_mutex_lock(&cache.lock);
	if (cache.disabled)
		goto out;
	for (size_t i = 0; i < VF_SNP_CACHE_SLOTS; i++) {
		struct cache_slot *s = &cache.slots[i];

		if (s->used && memcmp(s->key, key, 32) == 0)
			goto out; /* another thread was first */
		if (!victim || !s->used || (victim->used && s->last_use < victim->last_use))
			victim = s;
	}
	if (victim->used)
		vf_snp_endorsement_cleanup(&victim->e);
	memcpy(victim->key, key, 32);
	endorsement_ref(e, &victim->e);
	victim->used = true;
	victim->last_use = ++cache.tick;
out:
	pthread_mutex_unlock(&cache.lock);
}

/* SHA-256 over (len || bytes) of each input, plus the key kind: the memo key. */
static TC_RESULT cache_key(const uint8_t *const parts[3], const size_t lens[3], bool is_vlek, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	uint8_t kind = is_vlek ? 1 : 0;
	bool ok;

	TC_ENSURE(ctx, TC_ERR_NO_MEMORY, "digest context");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, &kind, 1) == 1;
	for (int i = 0; ok && i < 3; i++) {
		uint64_t l = lens[i];

		ok = EVP_DigestUpdate(ctx, &l, sizeof(l)) == 1 && EVP_DigestUpdate(ctx, parts[i], lens[i]) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, out, &n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 of the endorsement chain");
	return tc_ok();
}

/* ---------------------------------------------------------------------------------- product line names */

static void common_name(const X509_NAME *name, char *buf, size_t size)
{
	buf[0] = 0;
	if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, buf, (int)size) < 0)
		buf[0] = 0;
}

/* "ARK-Milan" -> "Milan"; "SEV-VLEK-Genoa" -> "Genoa"; "SEV-Milan" -> "Milan". */
static const char *product_of_cn(const char *cn)
{
	const char *dash = strrchr(cn, '-');

	return dash ? dash + 1 : "";
}

static bool cn_is_asvk(const char *cn)
{
	return strncmp(cn, VF_SNP_CN_ASVK_PREFIX, strlen(VF_SNP_CN_ASVK_PREFIX)) == 0;
}

/*
 * After a failed chain: say in plain words when the pieces belong to different product lines or to the
 * other key kind. Empty when nothing obvious is wrong.
 */
static void explain_mismatch(X509 *leaf, STACK_OF(X509) *chain, X509 *ark, bool is_vlek, char *buf, size_t size)
{
	char ark_cn[VF_SNP_CN_MAX], issuer_cn[VF_SNP_CN_MAX], ask_cn[VF_SNP_CN_MAX] = "";
	struct vf_snp_vcek_ext ext;
	const char *leaf_product, *kind = is_vlek ? "VLEK" : "VCEK";

	buf[0] = 0;
	common_name(X509_get_subject_name(ark), ark_cn, sizeof(ark_cn));
	common_name(X509_get_issuer_name(leaf), issuer_cn, sizeof(issuer_cn));
	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0) {
			common_name(X509_get_subject_name(x), ask_cn, sizeof(ask_cn));
			break;
		}
	}
	leaf_product = product_of_cn(issuer_cn);
	if (tc_is_ok(vf_snp_vcek_ext_parse(leaf, &ext)) && ext.product[0])
		leaf_product = ext.product;
	if (leaf_product[0] && strcmp(leaf_product, product_of_cn(ark_cn)) != 0) {
		snprintf(buf, size, "the %s is a %s %s but the pinned ARK is %s's (%s)", kind, leaf_product, kind,
			 product_of_cn(ark_cn), ark_cn);
	} else if (ask_cn[0] && strcmp(product_of_cn(ask_cn), product_of_cn(ark_cn)) != 0) {
		snprintf(buf, size, "ark_ask_chain holds %s, a %s certificate, but the pinned ARK is %s's (%s)", ask_cn,
			 product_of_cn(ask_cn), product_of_cn(ark_cn), ark_cn);
	} else if (ask_cn[0] && !is_vlek && cn_is_asvk(ask_cn)) {
		snprintf(buf, size,
			 "a VCEK is issued by the ASK (%s) but ark_ask_chain holds the ASVK %s (the VLEK chain); use "
			 "KDS /vcek/v1/%s/cert_chain",
			 issuer_cn, ask_cn, product_of_cn(ask_cn));
	} else if (ask_cn[0] && is_vlek && !cn_is_asvk(ask_cn)) {
		snprintf(buf, size,
			 "a VLEK is issued by the ASVK (%s) but ark_ask_chain holds the ASK %s (the VCEK chain); use "
			 "KDS /vlek/v1/%s/cert_chain",
			 issuer_cn, ask_cn, product_of_cn(ask_cn));
	}
	tc_openssl_clear();
}

/* ------------------------------------------------------------------------------------- verification */

/* The certificate in CHAIN that issued CHILD (signature checked by the chain verification already). */
static X509 *issuer_in(STACK_OF(X509) *chain, X509 *child)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (X509_check_issued(x, child) == X509_V_OK && X509_cmp(x, child) != 0)
			return x;
	}
	return NULL;
}

static bool key_is_p384(EVP_PKEY *key)
{
	char group[32] = "";
	size_t n = 0;

	return key && EVP_PKEY_is_a(key, "EC") &&
	       EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &n) == 1 &&
	       strcmp(group, "secp384r1") == 0;
}

/* The time-independent part: parse, build, verify signatures, read the AMD extensions. */
static TC_RESULT verify_structure(const uint8_t *leaf_der, size_t leaf_len, bool is_vlek, const uint8_t *ask_chain,
				  size_t ask_chain_len, const uint8_t *anchor, size_t anchor_len, int64_t now,
				  struct vf_snp_endorsement *out)
{
	struct vf_snp_endorsement e;
	STACK_OF(X509) *chain = NULL;
	char cn[VF_SNP_CN_MAX], why[VF_SNP_SUBJECT_MAX + 64];
	const char *kind = is_vlek ? "VLEK" : "VCEK";
	X509 *ask;
	struct tc_result r = tc_ok();

	memset(&e, 0, sizeof(e));
	e.is_vlek = is_vlek;
	TC_GUARD_GOTO(r, vf_x509_parse(leaf_der, leaf_len, TC_ERR_CERT_CHAIN_INVALID, &e.leaf), out);
	TC_GUARD_GOTO(r, vf_x509_parse(anchor, anchor_len, TC_ERR_CERT_CHAIN_INVALID, &e.ark), out);
	TC_GUARD_GOTO(r, vf_x509_parse_pem_chain(ask_chain, ask_chain_len, TC_ERR_CERT_CHAIN_INVALID, &chain), out);

	/* The role must match the certificate: KDS names VCEKs "SEV-VCEK" and VLEKs "SEV-VLEK". */
	common_name(X509_get_subject_name(e.leaf), cn, sizeof(cn));
	TC_ENSURE_GOTO(r, strcmp(cn, is_vlek ? VF_SNP_CN_VCEK : VF_SNP_CN_VLEK) != 0, out, TC_ERR_CERT_CHAIN_INVALID,
		       "evidence.%s holds a %s certificate (CN=%s)", is_vlek ? "vlek" : "vcek",
		       is_vlek ? "VCEK" : "VLEK", cn);

	/* AMD's certificates are not RFC 5280-strict (no AKI/SKI on the VCEK): OpenSSL's strict mode is off. */
	r = vf_x509_verify_chain(e.leaf, chain, e.ark, now, VF_CHAIN_LEAF_SIGNER | VF_CHAIN_NOT_STRICT,
				 TC_ERR_CERT_CHAIN_INVALID, NULL);
	if (r.code == TC_ERR_CERT_CHAIN_INVALID) {
		char detail[TC_DETAIL_MAX];

		snprintf(detail, sizeof(detail), "%s", tc_error_detail());
		explain_mismatch(e.leaf, chain, e.ark, is_vlek, why, sizeof(why));
		r = tc_fail(TC_ERR_CERT_CHAIN_INVALID, "%s chain: %s%s%s", kind, why, why[0] ? "; " : "", detail);
		goto out;
	}
	/* CERT_EXPIRED here means the structure held; the windows are checked by the caller on every call. */
	if (r.code != TC_OK && r.code != TC_ERR_CERT_EXPIRED)
		goto out;
	r = tc_ok();

	/* AMD's chain has exactly three levels: leaf <- ASK/ASVK <- ARK. */
	ask = issuer_in(chain, e.leaf);
	TC_ENSURE_GOTO(r, ask && X509_cmp(ask, e.ark) != 0 && X509_check_issued(e.ark, ask) == X509_V_OK, out,
		       TC_ERR_CERT_CHAIN_INVALID, "%s chain: the %s must be issued by an %s that the ARK issued", kind,
		       kind, is_vlek ? "ASVK" : "ASK");
	X509_up_ref(ask);
	e.ask = ask;

	TC_GUARD_GOTO(r, vf_snp_vcek_ext_parse(e.leaf, &e.ext), out);
	/* One product line throughout: productName, ASK "SEV-[VLEK-]<product>", ARK "ARK-<product>". */
	common_name(X509_get_subject_name(ask), cn, sizeof(cn));
	TC_ENSURE_GOTO(r, strcmp(product_of_cn(cn), e.ext.product) == 0, out, TC_ERR_CERT_CHAIN_INVALID,
		       "the %s says product %s but was issued by %s", kind, e.ext.product_name, cn);
	TC_ENSURE_GOTO(r, is_vlek == cn_is_asvk(cn), out, TC_ERR_CERT_CHAIN_INVALID,
		       "the %s was issued by %s, which is not an %s", kind, cn, is_vlek ? "ASVK" : "ASK");
	TC_ENSURE_GOTO(r, is_vlek || e.ext.hwid_len > 0, out, TC_ERR_CERT_CHAIN_INVALID,
		       "the VCEK lacks the hwID extension (1.3.6.1.4.1.3704.1.4)");
	TC_ENSURE_GOTO(r, !is_vlek || e.ext.hwid_len == 0, out, TC_ERR_CERT_CHAIN_INVALID,
		       "a VLEK must not carry a hwID extension");
	e.leaf_key = X509_get_pubkey(e.leaf);
	TC_ENSURE_GOTO(r, key_is_p384(e.leaf_key), out, TC_ERR_CERT_CHAIN_INVALID, "the %s key is not ECDSA P-384",
		       kind);
	*out = e;
	memset(&e, 0, sizeof(e));
out:
	tc_openssl_clear();
	sk_X509_pop_free(chain, X509_free);
	vf_snp_endorsement_cleanup(&e);
	return r;
}

/* Validity windows, leaf first (README check order: after structure and signatures). */
static TC_RESULT verify_times(const struct vf_snp_endorsement *e, int64_t now)
{
	X509 *certs[3] = { e->leaf, e->ask, e->ark };
	const char *names[3] = { e->is_vlek ? "VLEK" : "VCEK", e->is_vlek ? "ASVK" : "ASK", "ARK" };

	for (int i = 0; i < 3; i++) {
		int64_t nb, na;
		char t0[TC_TIME_RFC3339_LEN] = "?", t1[TC_TIME_RFC3339_LEN] = "?", tn[TC_TIME_RFC3339_LEN] = "?";
		char cn[VF_SNP_CN_MAX];

		TC_GUARD(vf_asn1_time_to_unix(X509_get0_notBefore(certs[i]), &nb));
		TC_GUARD(vf_asn1_time_to_unix(X509_get0_notAfter(certs[i]), &na));
		if (now >= nb && now <= na)
			continue;
		common_name(X509_get_subject_name(certs[i]), cn, sizeof(cn));
		if (!tc_is_ok(tc_time_format(nb, t0)) || !tc_is_ok(tc_time_format(na, t1)) ||
		    !tc_is_ok(tc_time_format(now, tn)))
			tc_openssl_clear(); /* out-of-range years keep "?" in the detail */
		return tc_fail(TC_ERR_CERT_EXPIRED, "the %s (CN=%s) is valid %s..%s, not at %s", names[i], cn, t0, t1,
			       tn);
	}
	return tc_ok();
}

TC_RESULT vf_snp_chain_verify(const uint8_t *leaf, size_t leaf_len, bool is_vlek, const uint8_t *ask_chain,
			      size_t ask_chain_len, const uint8_t *anchor, size_t anchor_len, int64_t now,
			      struct vf_snp_endorsement *out)
{
	const uint8_t *parts[3] = { leaf, ask_chain, anchor };
	const size_t lens[3] = { leaf_len, ask_chain_len, anchor_len };
	struct vf_snp_endorsement e;
	uint8_t key[32];
	struct tc_result r;

	memset(&e, 0, sizeof(e));
	TC_GUARD(cache_key(parts, lens, is_vlek, key));
	if (!cache_get(key, &e)) {
		TC_GUARD(verify_structure(leaf, leaf_len, is_vlek, ask_chain, ask_chain_len, anchor, anchor_len, now,
					  &e));
		cache_put(key, &e);
	}
	r = verify_times(&e, now);
	if (!tc_is_ok(r)) {
		vf_snp_endorsement_cleanup(&e);
		return r;
	}
	*out = e;
	return tc_ok();
}
