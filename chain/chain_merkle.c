/*
 * chain_merkle.c — the certificate log's Merkle tree, RFC 9162 §2.1 (same hashing as RFC 6962):
 *   leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right),
 *   MTH({}) = SHA-256(""), MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two < n.
 *
 * Every hash the generators need is the hash of a complete subtree [start, start + 2^level), asked from a
 * struct chain_merkle_source: the left part D[0:k] of every split is complete, and a right part D[k:n] is a
 * chain of complete subtrees along the binary digits of n - k. A proof therefore costs O(log^2 n) lookups
 * at worst and no leaf loading, which a PostgreSQL table of subtree hashes can serve.
 *
 * Verification follows the RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) loops literally.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "chain_internal.h"

#define MERKLE_LEAF_PREFIX 0x00
#define MERKLE_NODE_PREFIX 0x01
#define MERKLE_NODE_INPUT_LEN (1 + 2 * CHAIN_HASH_LEN)
#define MERKLE_MAX_PATH 64 /* one hash per level of a tree of up to 2^64 leaves */

/* ------------------------------------------------------------------------------------------- hashing */

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

/* Fetch the SHA-256 implementation once instead of on every hash (OpenSSL 3 implicit fetch is slow). */
static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static TC_RESULT sha256_md_get(const EVP_MD **out)
{
	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md == NULL)
		return tc_fail_openssl(TC_ERR_CRYPTO, "EVP_MD_fetch(SHA256)");
	*out = sha256_md;
	return tc_ok();
}

static TC_RESULT sha256(const void *data, size_t len, uint8_t out[CHAIN_HASH_LEN])
{
	const EVP_MD *md = NULL;
	unsigned int n = 0;

	TC_GUARD(sha256_md_get(&md));
	if (!EVP_Digest(data, len, out, &n, md, NULL) || n != CHAIN_HASH_LEN)
		return tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256");
	return tc_ok();
}

TC_RESULT chain_merkle_leaf_hash(const void *entry, size_t len, uint8_t out[CHAIN_HASH_LEN])
{
	static const uint8_t prefix = MERKLE_LEAF_PREFIX;
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	struct tc_result r = tc_ok();

	TC_ENSURE(entry != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "merkle: NULL entry");
	TC_GUARD(sha256_md_get(&md));
	ctx = EVP_MD_CTX_new();
	TC_ENSURE(ctx != NULL, TC_ERR_NO_MEMORY, "EVP_MD_CTX_new");
	if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, &prefix, 1) ||
	    !EVP_DigestUpdate(ctx, entry, len) || !EVP_DigestFinal_ex(ctx, out, &n) || n != CHAIN_HASH_LEN) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 leaf hash");
		goto out;
	}
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

TC_RESULT chain_merkle_node_hash(const uint8_t left[CHAIN_HASH_LEN], const uint8_t right[CHAIN_HASH_LEN],
				 uint8_t out[CHAIN_HASH_LEN])
{
	uint8_t in[MERKLE_NODE_INPUT_LEN];

	in[0] = MERKLE_NODE_PREFIX;
	memcpy(in + 1, left, CHAIN_HASH_LEN);
	memcpy(in + 1 + CHAIN_HASH_LEN, right, CHAIN_HASH_LEN);
	return sha256(in, sizeof(in), out);
}

/* ------------------------------------------------------------------------------------------ structure */

static bool is_pow2(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static unsigned log2_floor(uint64_t n)
{
	return 63u - (unsigned)__builtin_clzll(n);
}

/* k = the largest power of two smaller than n (n > 1), RFC 9162 §2.1.1. */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << log2_floor(n - 1);
}

static TC_RESULT subtree(const struct chain_merkle_source *src, uint64_t start, unsigned level,
			 uint8_t out[CHAIN_HASH_LEN])
{
	TC_ENSURE(src != NULL && src->subtree != NULL, TC_ERR_INVALID_ARGUMENT, "merkle: no hash source");
	return src->subtree(src->ctx, start, level, out);
}

/* MTH(D[start : start + n]) for n >= 1: complete subtrees along the binary digits of n, folded from the
 * right (the recursion of RFC 9162 §2.1.1 unrolled). */
static TC_RESULT range_hash(const struct chain_merkle_source *src, uint64_t start, uint64_t n,
			    uint8_t out[CHAIN_HASH_LEN])
{
	uint8_t part[CHAIN_MERKLE_MAX_LEVEL + 1][CHAIN_HASH_LEN];
	uint8_t acc[CHAIN_HASH_LEN];
	unsigned parts = 0;

	TC_ENSURE(n > 0, TC_ERR_INTERNAL, "merkle: empty range");
	while (n > 0) {
		unsigned level = is_pow2(n) ? log2_floor(n) : log2_floor(split_point(n));
		uint64_t size = UINT64_C(1) << level;

		TC_GUARD(subtree(src, start, level, part[parts++]));
		start += size;
		n -= size;
	}
	memcpy(acc, part[parts - 1], CHAIN_HASH_LEN);
	for (unsigned i = parts - 1; i-- > 0;)
		TC_GUARD(chain_merkle_node_hash(part[i], acc, acc));
	memcpy(out, acc, CHAIN_HASH_LEN);
	return tc_ok();
}

TC_RESULT chain_merkle_root(const struct chain_merkle_source *src, uint64_t size, uint8_t out[CHAIN_HASH_LEN])
{
	if (size == 0)
		return sha256("", 0, out);
	return range_hash(src, 0, size, out);
}

/* Reverse the first LEN hashes (generators collect top-down; proofs are ordered leaf level first). */
static void proof_reverse(struct chain_merkle_proof *p)
{
	uint8_t t[CHAIN_HASH_LEN];

	for (size_t i = 0, j = p->len; i + 1 < j; i++, j--) {
		memcpy(t, p->hash[i], CHAIN_HASH_LEN);
		memcpy(p->hash[i], p->hash[j - 1], CHAIN_HASH_LEN);
		memcpy(p->hash[j - 1], t, CHAIN_HASH_LEN);
	}
}

static TC_RESULT proof_push_range(struct chain_merkle_proof *p, const struct chain_merkle_source *src, uint64_t start,
				  uint64_t n)
{
	TC_ENSURE(p->len < CHAIN_MERKLE_PROOF_MAX, TC_ERR_INTERNAL, "merkle: proof too long");
	TC_GUARD(range_hash(src, start, n, p->hash[p->len]));
	p->len++;
	return tc_ok();
}

/* PATH(m, D[n]) (RFC 9162 §2.1.3.1), walking from the root down: the sibling of each split goes in. */
TC_RESULT chain_merkle_inclusion_proof(const struct chain_merkle_source *src, uint64_t index, uint64_t size,
				       struct chain_merkle_proof *out)
{
	struct chain_merkle_proof p = { 0 };
	uint64_t start = 0, m = index, n = size;

	TC_ENSURE(index < size, TC_ERR_INVALID_ARGUMENT, "merkle: leaf index %llu not below tree size %llu",
		  (unsigned long long)index, (unsigned long long)size);
	while (n > 1) {
		uint64_t k = split_point(n);

		if (m < k) {
			TC_GUARD(proof_push_range(&p, src, start + k, n - k)); /* PATH(m, D[0:k]) : MTH(D[k:n]) */
			n = k;
		} else {
			TC_GUARD(proof_push_range(&p, src, start, k)); /* PATH(m - k, D[k:n]) : MTH(D[0:k]) */
			start += k;
			m -= k;
			n -= k;
		}
	}
	proof_reverse(&p);
	*out = p;
	return tc_ok();
}

/* PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 §2.1.4.1), unrolled from the root down. */
TC_RESULT chain_merkle_consistency_proof(const struct chain_merkle_source *src, uint64_t size1, uint64_t size2,
					 struct chain_merkle_proof *out)
{
	struct chain_merkle_proof p = { 0 };
	uint64_t start = 0, m = size1, n = size2;
	bool b = true; /* whether D[start:start+n] is the old tree's own subtree of the same shape */

	TC_ENSURE(size1 > 0 && size1 <= size2, TC_ERR_INVALID_ARGUMENT,
		  "merkle: consistency needs 0 < size1 <= size2 (got %llu, %llu)", (unsigned long long)size1,
		  (unsigned long long)size2);
	while (m != n) {
		uint64_t k = split_point(n);

		if (m <= k) {
			TC_GUARD(
				proof_push_range(&p, src, start + k, n - k)); /* SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) */
			n = k;
		} else {
			TC_GUARD(proof_push_range(&p, src, start, k)); /* SUBPROOF(m-k, D[k:n], false) : MTH(D[0:k]) */
			start += k;
			m -= k;
			n -= k;
			b = false;
		}
	}
	/* m == n: SUBPROOF(m, D[m], true) = {}, SUBPROOF(m, D[m], false) = {MTH(D[m])}. */
	if (!b)
		TC_GUARD(proof_push_range(&p, src, start, n));
	proof_reverse(&p);
	*out = p;
	return tc_ok();
}

/* --------------------------------------------------------------------------------------- verification */

TC_RESULT chain_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[CHAIN_HASH_LEN],
					const uint8_t (*path)[CHAIN_HASH_LEN], size_t path_len,
					const uint8_t root[CHAIN_HASH_LEN])
{
	uint8_t r[CHAIN_HASH_LEN];
	uint64_t fn, sn;

	/* RFC 9162 §2.1.3.2 step 1. */
	TC_ENSURE(index < size, CHAIN_ERR_PROOF, "inclusion proof invalid: leaf index %llu not below tree size %llu",
		  (unsigned long long)index, (unsigned long long)size);
	TC_ENSURE(path_len <= MERKLE_MAX_PATH, CHAIN_ERR_PROOF, "inclusion proof invalid: %zu hashes", path_len);
	/* Step 2. */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, CHAIN_HASH_LEN);
	/* Step 3. */
	for (size_t i = 0; i < path_len; i++) {
		TC_ENSURE(sn != 0, CHAIN_ERR_PROOF, "inclusion proof invalid: %zu hashes too many", path_len - i);
		if ((fn & 1) || fn == sn) {
			TC_GUARD(chain_merkle_node_hash(path[i], r, r));
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			TC_GUARD(chain_merkle_node_hash(r, path[i], r));
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 4. */
	TC_ENSURE(sn == 0, CHAIN_ERR_PROOF, "inclusion proof invalid: path too short for the tree size");
	TC_ENSURE(memcmp(r, root, CHAIN_HASH_LEN) == 0, CHAIN_ERR_PROOF,
		  "inclusion proof invalid: computed root differs");
	return tc_ok();
}

TC_RESULT chain_merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[CHAIN_HASH_LEN],
					  const uint8_t root2[CHAIN_HASH_LEN], const uint8_t (*path)[CHAIN_HASH_LEN],
					  size_t path_len)
{
	uint8_t fr[CHAIN_HASH_LEN], sr[CHAIN_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;

	TC_ENSURE(size1 > 0, CHAIN_ERR_PROOF, "consistency proof invalid: a proof from the empty tree proves nothing");
	TC_ENSURE(size1 <= size2, CHAIN_ERR_PROOF, "consistency proof invalid: size1 %llu > size2 %llu",
		  (unsigned long long)size1, (unsigned long long)size2);
	TC_ENSURE(path_len <= CHAIN_MERKLE_PROOF_MAX, CHAIN_ERR_PROOF, "consistency proof invalid: %zu hashes",
		  path_len);
	if (size1 == size2) {
		TC_ENSURE(path_len == 0, CHAIN_ERR_PROOF, "consistency proof invalid: equal sizes need an empty proof");
		TC_ENSURE(memcmp(root1, root2, CHAIN_HASH_LEN) == 0, CHAIN_ERR_PROOF,
			  "consistency proof invalid: equal sizes with different roots");
		return tc_ok();
	}
	/* RFC 9162 §2.1.4.2 step 1. */
	TC_ENSURE(path_len > 0, CHAIN_ERR_PROOF, "consistency proof invalid: empty proof");
	/* Step 2: a power-of-two first tree is itself a node of the second; its root starts the path. */
	if (is_pow2(size1)) {
		memcpy(fr, root1, CHAIN_HASH_LEN);
	} else {
		memcpy(fr, path[0], CHAIN_HASH_LEN);
		i = 1;
	}
	/* Steps 3-5. */
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(sr, fr, CHAIN_HASH_LEN);
	/* Step 6. */
	for (; i < path_len; i++) {
		TC_ENSURE(sn != 0, CHAIN_ERR_PROOF, "consistency proof invalid: %zu hashes too many", path_len - i);
		if ((fn & 1) || fn == sn) {
			TC_GUARD(chain_merkle_node_hash(path[i], fr, fr));
			TC_GUARD(chain_merkle_node_hash(path[i], sr, sr));
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			TC_GUARD(chain_merkle_node_hash(sr, path[i], sr));
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7. */
	TC_ENSURE(sn == 0, CHAIN_ERR_PROOF, "consistency proof invalid: path too short for the tree sizes");
	TC_ENSURE(memcmp(fr, root1, CHAIN_HASH_LEN) == 0, CHAIN_ERR_PROOF,
		  "consistency proof invalid: old root differs");
	TC_ENSURE(memcmp(sr, root2, CHAIN_HASH_LEN) == 0, CHAIN_ERR_PROOF,
		  "consistency proof invalid: new root differs");
	return tc_ok();
}

/* ------------------------------------------------------------------------------------ in-memory tree */

void chain_merkle_mem_init(struct chain_merkle_mem *t, uint64_t max_leaves)
{
	t->size = 0;
	for (unsigned k = 0; k <= CHAIN_MERKLE_MAX_LEVEL; k++) {
		uint64_t n = max_leaves >> k;

		/* The hard maximum of each level: floor(max / 2^k) hashes (at least one, so no default). */
		tc_buf_init(&t->level[k], (size_t)((n > 0 ? n : 1) * CHAIN_HASH_LEN));
	}
}

void chain_merkle_mem_cleanup(struct chain_merkle_mem *t)
{
	for (unsigned k = 0; k <= CHAIN_MERKLE_MAX_LEVEL; k++)
		tc_buf_cleanup(&t->level[k]);
	t->size = 0;
}

TC_RESULT chain_merkle_mem_append_hash(struct chain_merkle_mem *t, const uint8_t leaf_hash[CHAIN_HASH_LEN])
{
	uint8_t h[CHAIN_HASH_LEN];
	uint64_t n = t->size + 1;

	TC_ENSURE(t->size < UINT64_MAX, TC_ERR_TOO_LARGE, "merkle: tree is full");
	TC_GUARD(tc_buf_append(&t->level[0], leaf_hash, CHAIN_HASH_LEN));
	/* Each level whose count became even completes one subtree on the level above. */
	memcpy(h, leaf_hash, CHAIN_HASH_LEN);
	for (unsigned k = 0; k < CHAIN_MERKLE_MAX_LEVEL && ((n >> k) & 1) == 0; k++) {
		const uint8_t *left = t->level[k].data + t->level[k].len - 2 * CHAIN_HASH_LEN;

		TC_GUARD(chain_merkle_node_hash(left, h, h));
		TC_GUARD(tc_buf_append(&t->level[k + 1], h, CHAIN_HASH_LEN));
	}
	t->size = n;
	return tc_ok();
}

TC_RESULT chain_merkle_mem_append(struct chain_merkle_mem *t, const void *entry, size_t len)
{
	uint8_t h[CHAIN_HASH_LEN];

	TC_GUARD(chain_merkle_leaf_hash(entry, len, h));
	return chain_merkle_mem_append_hash(t, h);
}

static struct tc_result mem_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[CHAIN_HASH_LEN])
{
	const struct chain_merkle_mem *t = ctx;
	uint64_t span, index;

	TC_ENSURE(level <= CHAIN_MERKLE_MAX_LEVEL, TC_ERR_INVALID_ARGUMENT, "merkle: level %u", level);
	span = UINT64_C(1) << level;
	TC_ENSURE(start % span == 0 && start <= t->size && span <= t->size - start, TC_ERR_INVALID_ARGUMENT,
		  "merkle: no complete subtree [%llu, +2^%u) in a tree of %llu", (unsigned long long)start, level,
		  (unsigned long long)t->size);
	index = start >> level;
	TC_ENSURE((index + 1) * CHAIN_HASH_LEN <= t->level[level].len, TC_ERR_INTERNAL, "merkle: level %u short",
		  level);
	memcpy(out, t->level[level].data + index * CHAIN_HASH_LEN, CHAIN_HASH_LEN);
	return tc_ok();
}

struct chain_merkle_source chain_merkle_mem_source(struct chain_merkle_mem *t)
{
	return (struct chain_merkle_source){ .subtree = mem_subtree, .ctx = t };
}
