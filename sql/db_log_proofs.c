/*
 * db_log_proofs.c — tree heads and RFC 9162 proofs of the stored log, computed by chain.h's generators
 * (chain_merkle_root / _inclusion_proof / _consistency_proof) over a struct chain_merkle_source backed by
 * log_nodes.
 *
 * Which subtrees a generator asks for depends only on the sizes and indices, never on hash values, so each
 * proof runs in two passes: a planning pass with a source that records the (start, level) requests and
 * answers zeros, one batched query for all of them (db_log_subtrees.c), and the real pass answering from
 * that batch in the same order. One round trip per proof instead of one per subtree.
 */
#include <string.h>

#include "chain.h"
#include "db_internal.h"

enum plan_op { PLAN_ROOT, PLAN_INCLUSION, PLAN_CONSISTENCY };

struct plan {
	struct db_conn *conn;
	bool replay; /* false: recording requests; true: answering them from hashes[] */
	size_t n, next;
	uint64_t starts[DB_LOG_SUBTREES_MAX];
	unsigned levels[DB_LOG_SUBTREES_MAX];
	uint8_t hashes[DB_LOG_SUBTREES_MAX][DB_LOG_HASH_LEN];
};

static struct tc_result plan_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[CHAIN_HASH_LEN])
{
	struct plan *p = ctx;

	if (!p->replay) {
		TC_ENSURE(p->n < DB_LOG_SUBTREES_MAX, TC_ERR_INTERNAL, "log proof needs too many subtrees");
		p->starts[p->n] = start;
		p->levels[p->n] = level;
		p->n++;
		memset(out, 0, CHAIN_HASH_LEN);
		return tc_ok();
	}
	TC_ENSURE(p->next < p->n && p->starts[p->next] == start && p->levels[p->next] == level, TC_ERR_INTERNAL,
		  "log proof asked for a subtree it did not plan");
	memcpy(out, p->hashes[p->next++], CHAIN_HASH_LEN);
	return tc_ok();
}

static TC_RESULT plan_run(struct plan *p, enum plan_op op, uint64_t a, uint64_t b, uint8_t root[DB_LOG_HASH_LEN],
			  struct chain_merkle_proof *proof)
{
	struct chain_merkle_source src = { .subtree = plan_subtree, .ctx = p };

	switch (op) {
	case PLAN_ROOT:
		return chain_merkle_root(&src, a, root);
	case PLAN_INCLUSION:
		return chain_merkle_inclusion_proof(&src, a, b, proof);
	case PLAN_CONSISTENCY:
		return chain_merkle_consistency_proof(&src, a, b, proof);
	}
	return tc_fail(TC_ERR_INTERNAL, "log proof: unknown operation");
}

/* Plan, fetch, replay. The plan is large (about 170 KiB), so it lives on the heap. */
static TC_RESULT log_proof(struct db_conn *conn, enum plan_op op, uint64_t a, uint64_t b,
			   uint8_t root[DB_LOG_HASH_LEN], struct chain_merkle_proof *proof)
{
	struct plan *p;
	struct chain_merkle_proof pf = { 0 };
	uint8_t rt[DB_LOG_HASH_LEN];
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL, TC_ERR_INVALID_ARGUMENT, "log proof: no connection");
	p = calloc(1, sizeof(*p));
	TC_ENSURE(p != NULL, TC_ERR_NO_MEMORY, "log proof plan");
	p->conn = conn;
	TC_GUARD_GOTO(r, plan_run(p, op, a, b, rt, &pf), out);
	TC_GUARD_GOTO(r, db_log_subtrees(conn, p->n, p->starts, p->levels, p->hashes), out);
	p->replay = true;
	TC_GUARD_GOTO(r, plan_run(p, op, a, b, rt, &pf), out);
	TC_ENSURE_GOTO(r, p->next == p->n, out, TC_ERR_INTERNAL, "log proof used fewer subtrees than planned");
	/* Out-parameters only on success (STYLE.md point 5). */
	if (root)
		memcpy(root, rt, DB_LOG_HASH_LEN);
	if (proof)
		*proof = pf;
out:
	free(p);
	return r;
}

TC_RESULT db_log_root(struct db_conn *conn, uint64_t size, uint8_t out[DB_LOG_HASH_LEN])
{
	TC_ENSURE(out != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_root: missing argument");
	return log_proof(conn, PLAN_ROOT, size, 0, out, NULL);
}

TC_RESULT db_log_inclusion_proof(struct db_conn *conn, uint64_t seq, uint64_t size, struct chain_merkle_proof *out)
{
	TC_ENSURE(out != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_inclusion_proof: missing argument");
	return log_proof(conn, PLAN_INCLUSION, seq, size, NULL, out);
}

TC_RESULT db_log_consistency_proof(struct db_conn *conn, uint64_t size1, uint64_t size2,
				   struct chain_merkle_proof *out)
{
	TC_ENSURE(out != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_consistency_proof: missing argument");
	return log_proof(conn, PLAN_CONSISTENCY, size1, size2, NULL, out);
}
