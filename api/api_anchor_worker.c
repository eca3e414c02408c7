/*
 * api_anchor_worker.c — the anchoring state machine of teecert-anchor (docs/anchor.md "State machine").
 *
 *   planned → signed → broadcast → mined → confirmed        (replaced, dropped, reverted: not live)
 *
 * Every transition is written to anchor_txs (migration 0003) with a compare-and-set on the old state, and
 * the signed transaction is stored before it is ever sent, so killing the process at any instant and
 * starting it again resumes from the database: a stored transaction is re-sent verbatim (same nonce, same
 * hash), never re-planned, so there is no duplicate anchor and no nonce gap.
 *
 * One anchor is in flight at a time (the contract requires prevTreeSize == last anchored size, so they
 * must land in order anyway). Fees follow EIP-1559: maxFeePerGas = 2 * next base fee + priority fee,
 * capped; a transaction unmined for stuck_ms is replaced with the same nonce and both fees raised by 1/8
 * (geth and anvil require at least 10%). A mined anchor whose receipt disappears, or whose block is no
 * longer the canonical block at its height, was dropped by a reorg: it goes back to broadcast and the
 * stored raw transaction is sent again.
 */
#include "api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_anchor_options_defaults(struct api_anchor_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->chain_id = API_ANCHOR_CHAIN_OPBNB_MAINNET;
	opt->confirmations = API_ANCHOR_DEFAULT_CONFIRMATIONS;
	opt->stuck_ms = API_ANCHOR_DEFAULT_STUCK_MS;
	opt->finalized_stale_s = API_ANCHOR_DEFAULT_FINALIZED_STALE_S;
	chain_u256_from_u64(&opt->max_fee_cap, (uint64_t)API_ANCHOR_DEFAULT_MAX_FEE_GWEI * 1000000000u);
	chain_u256_from_u64(&opt->min_priority_fee, 1);
}

/* ------------------------------------------------------------------------------------------- helpers */

static TC_RESULT u256_dec(const char *s, struct chain_u256 *out)
{
	return chain_u256_from_dec(s, strlen(s), out);
}

/* a + a / API_ANCHOR_BUMP_DIVISOR + 1 */
static TC_RESULT bump(const struct chain_u256 *a, struct chain_u256 *out)
{
	struct chain_u256 part, one, sum;
	TC_GUARD(chain_u256_div_u64(a, API_ANCHOR_BUMP_DIVISOR, &part, NULL));
	chain_u256_from_u64(&one, 1);
	TC_GUARD(chain_u256_add(a, &part, &sum));
	return chain_u256_add(&sum, &one, out);
}

/* new >= old * 11 / 10 (the replacement rule of geth's txpool: price bump of at least 10%). */
static TC_RESULT bumped_enough(const struct chain_u256 *old, const struct chain_u256 *new_, bool *ok)
{
	struct chain_u256 a, b;
	TC_GUARD(chain_u256_mul_u64(old, 11, &a));
	TC_GUARD(chain_u256_mul_u64(new_, 10, &b));
	*ok = chain_u256_cmp(&b, &a) >= 0;
	return tc_ok();
}

static void hex_short(const uint8_t *h, size_t n, char *out, size_t size)
{
	if (!tc_is_ok(tc_hex_encode(h, n, out, size)))
		snprintf(out, size, "?");
}

static void set_error(struct db_anchor_tx *t, const char *what, const char *detail)
{
	snprintf(t->last_error, sizeof(t->last_error), "%s: %s", what, detail);
}

/* Build and sign T's transaction from its stored fields; writes raw_tx, tx_hash. */
static TC_RESULT sign_row(struct api_anchor_worker *w, struct db_anchor_tx *t)
{
	struct tc_result r = tc_ok();
	struct tc_buf data, raw;
	tc_buf_init(&data, CHAIN_TX_MAX_LEN);
	tc_buf_init(&raw, DB_ANCHOR_RAW_MAX);
	struct chain_tx tx;
	memset(&tx, 0, sizeof(tx));
	TC_GUARD_GOTO(r, chain_anchor_calldata(t->tree_size, t->root, t->prev_tree_size, &data), out);
	tx.type = CHAIN_TX_EIP1559;
	tx.chain_id = t->chain_id;
	tx.nonce = t->nonce;
	TC_GUARD_GOTO(r, u256_dec(t->max_priority_fee, &tx.max_priority_fee_per_gas), out);
	TC_GUARD_GOTO(r, u256_dec(t->max_fee, &tx.max_fee_per_gas), out);
	tx.gas_limit = t->gas_limit;
	tx.has_to = true;
	memcpy(tx.to, w->cfg.contract, CHAIN_ADDRESS_LEN);
	tx.data = data.data;
	tx.data_len = data.len;
	TC_GUARD_GOTO(r, chain_tx_sign(&tx, w->key, &raw, t->tx_hash, NULL), out);
	memcpy(t->raw_tx, raw.data, raw.len);
	t->raw_len = raw.len;
	t->has_tx_hash = true;
out:
	tc_buf_cleanup(&data);
	tc_buf_cleanup(&raw);
	return r;
}

/* What eth_sendRawTransaction's error says. */
enum send_outcome { SENT, SENT_ALREADY_KNOWN, SEND_NONCE_USED, SEND_UNDERPRICED, SEND_REJECTED };

static enum send_outcome classify_send_error(const char *msg)
{
	if (strcasestr(msg, "already known") || strcasestr(msg, "known transaction") ||
	    strcasestr(msg, "already imported") || strcasestr(msg, "already exists"))
		return SENT_ALREADY_KNOWN;
	if (strcasestr(msg, "nonce too low") || strcasestr(msg, "nonce has already been used") ||
	    strcasestr(msg, "nonce is too low") || strcasestr(msg, "old nonce"))
		return SEND_NONCE_USED;
	if (strcasestr(msg, "underpriced") || strcasestr(msg, "fee too low") || strcasestr(msg, "gas price too low"))
		return SEND_UNDERPRICED;
	return SEND_REJECTED;
}

/* Send T's raw transaction. Transport failures are returned (the tick stops); node answers are classified. */
static TC_RESULT send_row(struct api_anchor_worker *w, const struct db_anchor_tx *t, enum send_outcome *out)
{
	struct tc_result r = chain_rpc_send_raw(w->rpc, t->raw_tx, t->raw_len, NULL);
	if (tc_is_ok(r)) {
		*out = SENT;
		return tc_ok();
	}
	if (r.code != TC_ERR_CHAIN_RPC_ERROR)
		return r;
	const char *msg;
	if (chain_rpc_last_error(w->rpc, &msg) == 0)
		return r; /* a malformed answer, not a node error */
	*out = classify_send_error(msg);
	return tc_ok();
}

/* Send T (state signed or broadcast) and record the attempt; T->state becomes broadcast. */
static TC_RESULT broadcast_row(struct api_anchor_worker *w, struct db_anchor_tx *t)
{
	enum db_anchor_state before = t->state;
	enum send_outcome so;
	TC_GUARD(send_row(w, t, &so));
	t->attempts++;
	char hash[2 * CHAIN_HASH_LEN + 1];
	hex_short(t->tx_hash, CHAIN_HASH_LEN, hash, sizeof(hash));
	const char *msg = "";
	(void)chain_rpc_last_error(w->rpc, &msg);
	switch (so) {
	case SENT:
	case SENT_ALREADY_KNOWN:
		t->last_error[0] = '\0';
		break;
	case SEND_NONCE_USED: {
		/* Our nonce is spent: by this very transaction (receipt on its way) or by another one. */
		struct chain_receipt rc;
		bool found = false;
		TC_GUARD(chain_rpc_receipt(w->rpc, t->tx_hash, &rc, &found));
		if (!found) {
			t->state = DB_ANCHOR_DROPPED;
			set_error(t, "nonce used by another transaction", msg);
			w->metrics.dropped++;
			tc_log(TC_LOG_ERROR, "anchor_dropped", "tree_size=%" PRIu64 " nonce=%" PRIu64 " tx=0x%s: %s",
			       t->tree_size, t->nonce, hash, msg);
			return db_anchor_tx_update(w->db, t, before, false);
		}
		t->last_error[0] = '\0';
		break;
	}
	case SEND_UNDERPRICED:
	case SEND_REJECTED:
		set_error(t, "node refused the transaction", msg);
		tc_log(TC_LOG_WARN, "anchor_send_refused", "tree_size=%" PRIu64 " nonce=%" PRIu64 " tx=0x%s: %s",
		       t->tree_size, t->nonce, hash, msg);
		break;
	}
	t->state = DB_ANCHOR_BROADCAST;
	if (before == DB_ANCHOR_SIGNED)
		w->metrics.broadcasts++;
	else
		w->metrics.rebroadcasts++;
	tc_log(TC_LOG_INFO, before == DB_ANCHOR_SIGNED ? "anchor_broadcast" : "anchor_rebroadcast",
	       "tree_size=%" PRIu64 " nonce=%" PRIu64 " tx=0x%s attempt=%" PRIu32, t->tree_size, t->nonce, hash,
	       t->attempts);
	return db_anchor_tx_update(w->db, t, before, true);
}

/* ------------------------------------------------------------------------------------- chain heads */

/* Heads fetched at most once per tick. */
struct heads {
	bool have_latest, have_finalized;
	uint64_t latest;
	bool finalized_found;
	struct chain_block finalized;
};

static TC_RESULT head_latest(struct api_anchor_worker *w, struct heads *h, uint64_t *out)
{
	if (!h->have_latest) {
		TC_GUARD(chain_rpc_block_number(w->rpc, &h->latest));
		h->have_latest = true;
	}
	*out = h->latest;
	return tc_ok();
}

/*
 * The `finalized` head, and the stale-finality alert: on opBNB a block is finalized once the L1 batch that
 * carries it is finalized on BNB Chain, normally within minutes; a finalized head older than
 * finalized_stale_s means the L2 is not settling (or the node is not following L1). The alert is logged
 * when the head becomes stale and then every finalized_stale_s while it stays stale (not every pass), and
 * counted in finalized_stale_alerts; metrics.finalized_stale holds the current state.
 */
static TC_RESULT head_finalized(struct api_anchor_worker *w, struct heads *h)
{
	if (h->have_finalized)
		return tc_ok();
	struct chain_block_ref ref = { .tag = CHAIN_BLOCK_FINALIZED };
	TC_GUARD(chain_rpc_block(w->rpc, ref, &h->finalized, &h->finalized_found));
	h->have_finalized = true;
	struct api_anchor_metrics *m = &w->metrics;
	m->have_finalized = h->finalized_found;
	if (!h->finalized_found)
		return tc_ok();
	int64_t age = tc_time_now() - (int64_t)h->finalized.timestamp;
	m->finalized_block = h->finalized.number;
	m->finalized_age_s = age;
	bool stale = w->opt.finalized_stale_s > 0 && age > (int64_t)w->opt.finalized_stale_s;
	if (!stale) {
		if (m->finalized_stale)
			tc_log(TC_LOG_INFO, "anchor_finalized_recovered",
			       "the finalized head (block %" PRIu64 ") is %" PRId64 " s old again", h->finalized.number,
			       age);
		m->finalized_stale = false;
		w->stale_alert_ms = 0;
		return tc_ok();
	}
	m->finalized_stale = true;
	uint64_t now_ms = tc_time_mono_ms();
	if (w->stale_alert_ms != 0 && now_ms - w->stale_alert_ms < (uint64_t)w->opt.finalized_stale_s * 1000u)
		return tc_ok();
	w->stale_alert_ms = now_ms != 0 ? now_ms : 1;
	m->finalized_stale_alerts++;
	tc_log(TC_LOG_ERROR, "anchor_finalized_stale",
	       "ALERT: the finalized head (block %" PRIu64 ") is %" PRId64
	       " s old, more than %u s; the L2 may not be settling on L1 (alerts=%llu)",
	       h->finalized.number, age, w->opt.finalized_stale_s, m->finalized_stale_alerts);
	return tc_ok();
}

/*
 * The stale-finality check of a pass. In --finalized mode the head is needed anyway and any failure stops
 * the pass. In depth mode it is only a health check: a node that answers `finalized` with an error (no
 * such tag before the merge / on some L2 nodes) must not stop anchoring, so that is logged once.
 */
static TC_RESULT check_finalized(struct api_anchor_worker *w, struct heads *h)
{
	if (!w->opt.use_finalized && w->opt.finalized_stale_s == 0)
		return tc_ok();
	struct tc_result r = head_finalized(w, h);
	if (tc_is_ok(r) || w->opt.use_finalized || r.code != TC_ERR_CHAIN_RPC_ERROR)
		return r;
	h->have_finalized = true;
	if (!w->finalized_unsupported_logged)
		tc_log(TC_LOG_WARN, "anchor_finalized_unavailable",
		       "the node does not answer the `finalized` block (%s); the stale-finality check is off",
		       tc_error_detail());
	w->finalized_unsupported_logged = true;
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ receipts */

static void receipt_to_row(const struct chain_receipt *rc, struct db_anchor_tx *t)
{
	t->has_block = true;
	t->block_number = rc->block_number;
	memcpy(t->block_hash, rc->block_hash, CHAIN_HASH_LEN);
	t->gas_used = rc->gas_used;
	t->state = rc->status ? DB_ANCHOR_MINED : DB_ANCHOR_REVERTED;
}

static void log_mined(struct api_anchor_worker *w, const struct db_anchor_tx *t)
{
	char hash[2 * CHAIN_HASH_LEN + 1];
	hex_short(t->tx_hash, CHAIN_HASH_LEN, hash, sizeof(hash));
	if (t->state == DB_ANCHOR_REVERTED) {
		w->metrics.reverted++;
		tc_log(TC_LOG_ERROR, "anchor_reverted",
		       "ALERT: anchor tree_size=%" PRIu64 " tx=0x%s reverted in block %" PRIu64
		       " (contract state differs from the database?)",
		       t->tree_size, hash, t->block_number);
	} else {
		w->metrics.mined++;
		tc_log(TC_LOG_INFO, "anchor_mined",
		       "tree_size=%" PRIu64 " nonce=%" PRIu64 " tx=0x%s block=%" PRIu64 " gas_used=%" PRIu64,
		       t->tree_size, t->nonce, hash, t->block_number, t->gas_used);
	}
}

/* A replaced sibling got mined instead of the live row: swap them in one database transaction. */
struct swap_arg {
	struct db_anchor_tx *live, *sibling;
	enum db_anchor_state live_before;
};

static struct tc_result swap_txn(struct db_conn *conn, void *arg)
{
	struct swap_arg *a = arg;
	struct db_anchor_tx live = *a->live;
	live.state = DB_ANCHOR_REPLACED;
	TC_GUARD(db_anchor_tx_update(conn, &live, a->live_before, false));
	return db_anchor_tx_update(conn, a->sibling, DB_ANCHOR_REPLACED, false);
}

/* Replace T (stuck in broadcast) by the same anchor with the same nonce and both fees bumped. */
struct bump_arg {
	struct db_anchor_tx *old, *repl;
};

static struct tc_result bump_txn(struct db_conn *conn, void *arg)
{
	struct bump_arg *a = arg;
	struct db_anchor_tx old = *a->old;
	old.state = DB_ANCHOR_REPLACED;
	TC_GUARD(db_anchor_tx_update(conn, &old, DB_ANCHOR_BROADCAST, false));
	return db_anchor_tx_insert(conn, a->repl, &a->repl->id);
}

static TC_RESULT fee_bump(struct api_anchor_worker *w, struct db_anchor_tx *t)
{
	struct chain_u256 old_prio, old_max, prio, max, two_base;
	TC_GUARD(u256_dec(t->max_priority_fee, &old_prio));
	TC_GUARD(u256_dec(t->max_fee, &old_max));
	struct chain_fee_suggestion s;
	TC_GUARD(chain_rpc_fee_suggestion(w->rpc, API_ANCHOR_FEE_HISTORY_BLOCKS, API_ANCHOR_FEE_PERCENTILE, &s));
	TC_GUARD(bump(&old_prio, &prio));
	if (chain_u256_cmp(&s.priority_fee, &prio) > 0)
		prio = s.priority_fee;
	TC_GUARD(bump(&old_max, &max));
	struct chain_u256 want;
	TC_GUARD(chain_u256_mul_u64(&s.base_fee, 2, &two_base));
	TC_GUARD(chain_u256_add(&two_base, &prio, &want));
	if (chain_u256_cmp(&want, &max) > 0)
		max = want;
	if (chain_u256_cmp(&max, &w->opt.max_fee_cap) > 0)
		max = w->opt.max_fee_cap;
	if (chain_u256_cmp(&prio, &max) > 0)
		prio = max;
	bool ok_prio, ok_max;
	TC_GUARD(bumped_enough(&old_prio, &prio, &ok_prio));
	TC_GUARD(bumped_enough(&old_max, &max, &ok_max));
	if (!ok_prio || !ok_max) {
		w->metrics.fee_cap_alerts++;
		tc_log(TC_LOG_ERROR, "anchor_fee_cap",
		       "ALERT: anchor tree_size=%" PRIu64 " nonce=%" PRIu64 " is stuck and its fees cannot be raised "
		       "by 10%% under the cap of %s wei; raise --max-fee-gwei",
		       t->tree_size, t->nonce, t->max_fee);
		return tc_ok();
	}
	struct db_anchor_tx repl = *t;
	repl.id = 0;
	repl.state = DB_ANCHOR_SIGNED;
	repl.replaces = t->id;
	repl.attempts = 0;
	repl.has_block = false;
	repl.last_error[0] = '\0';
	char dec[CHAIN_U256_DEC_SIZE];
	chain_u256_to_dec(&prio, dec);
	snprintf(repl.max_priority_fee, sizeof(repl.max_priority_fee), "%s", dec);
	chain_u256_to_dec(&max, dec);
	snprintf(repl.max_fee, sizeof(repl.max_fee), "%s", dec);
	TC_GUARD(sign_row(w, &repl));
	struct bump_arg arg = { .old = t, .repl = &repl };
	TC_GUARD(db_txn_run(w->db, bump_txn, &arg));
	w->metrics.fee_bumps++;
	char oh[2 * CHAIN_HASH_LEN + 1], nh[2 * CHAIN_HASH_LEN + 1];
	hex_short(t->tx_hash, CHAIN_HASH_LEN, oh, sizeof(oh));
	hex_short(repl.tx_hash, CHAIN_HASH_LEN, nh, sizeof(nh));
	tc_log(TC_LOG_WARN, "anchor_fee_bump",
	       "tree_size=%" PRIu64 " nonce=%" PRIu64 " unmined for %" PRId64 " ms: 0x%s (max %s, tip %s) replaced by "
	       "0x%s (max %s, tip %s)",
	       t->tree_size, t->nonce, t->broadcast_age_ms, oh, t->max_fee, t->max_priority_fee, nh, repl.max_fee,
	       repl.max_priority_fee);
	return broadcast_row(w, &repl);
}

/* A broadcast row: mined (by itself or a replaced sibling), lost by the node, or stuck. */
static TC_RESULT poll_broadcast(struct api_anchor_worker *w, struct db_anchor_tx *t, struct db_anchor_tx *open,
				size_t n)
{
	struct chain_receipt rc;
	bool found;
	TC_GUARD(chain_rpc_receipt(w->rpc, t->tx_hash, &rc, &found));
	if (found) {
		receipt_to_row(&rc, t);
		t->last_error[0] = '\0';
		TC_GUARD(db_anchor_tx_update(w->db, t, DB_ANCHOR_BROADCAST, false));
		log_mined(w, t);
		return tc_ok();
	}
	for (size_t i = 0; i < n; i++) {
		struct db_anchor_tx *s = &open[i];
		if (s->state != DB_ANCHOR_REPLACED || s->nonce != t->nonce || !s->has_tx_hash)
			continue;
		TC_GUARD(chain_rpc_receipt(w->rpc, s->tx_hash, &rc, &found));
		if (!found)
			continue;
		receipt_to_row(&rc, s);
		struct swap_arg arg = { .live = t, .sibling = s, .live_before = DB_ANCHOR_BROADCAST };
		TC_GUARD(db_txn_run(w->db, swap_txn, &arg));
		t->state = DB_ANCHOR_REPLACED;
		log_mined(w, s);
		return tc_ok();
	}
	bool known;
	TC_GUARD(chain_rpc_tx_known(w->rpc, t->tx_hash, &known));
	if (!known) {
		/* The node forgot it (restart, pool eviction, reorg): send the stored bytes again. */
		return broadcast_row(w, t);
	}
	if (t->broadcast_age_ms >= 0 && (uint64_t)t->broadcast_age_ms >= w->opt.stuck_ms)
		return fee_bump(w, t);
	return tc_ok();
}

/* A mined row: still canonical? deep enough? */
static TC_RESULT poll_mined(struct api_anchor_worker *w, struct db_anchor_tx *t, struct heads *h)
{
	struct chain_receipt rc;
	bool found;
	TC_GUARD(chain_rpc_receipt(w->rpc, t->tx_hash, &rc, &found));
	bool canonical = found && rc.block_number == t->block_number &&
			 memcmp(rc.block_hash, t->block_hash, CHAIN_HASH_LEN) == 0;
	if (canonical) {
		struct chain_block b;
		bool bfound;
		struct chain_block_ref ref = { .tag = CHAIN_BLOCK_NUMBER, .number = t->block_number };
		TC_GUARD(chain_rpc_block(w->rpc, ref, &b, &bfound));
		canonical = bfound && memcmp(b.hash, t->block_hash, CHAIN_HASH_LEN) == 0;
	}
	char hash[2 * CHAIN_HASH_LEN + 1];
	hex_short(t->tx_hash, CHAIN_HASH_LEN, hash, sizeof(hash));
	if (!canonical) {
		w->metrics.reorgs++;
		char msg[DB_ANCHOR_ERROR_MAX];
		snprintf(msg, sizeof(msg), "reorg: block %" PRIu64 " of the receipt is no longer canonical",
			 t->block_number);
		tc_log(TC_LOG_WARN, "anchor_reorg", "tree_size=%" PRIu64 " tx=0x%s: %s%s", t->tree_size, hash, msg,
		       found ? " (mined again elsewhere)" : "; sending it again");
		if (found) {
			/* Re-included in another block: follow it. */
			receipt_to_row(&rc, t);
			snprintf(t->last_error, sizeof(t->last_error), "%s", msg);
			TC_GUARD(db_anchor_tx_update(w->db, t, DB_ANCHOR_MINED, false));
			log_mined(w, t);
			return tc_ok();
		}
		t->has_block = false;
		t->gas_used = 0;
		t->state = DB_ANCHOR_BROADCAST;
		snprintf(t->last_error, sizeof(t->last_error), "%s", msg);
		TC_GUARD(db_anchor_tx_update(w->db, t, DB_ANCHOR_MINED, false));
		return broadcast_row(w, t);
	}
	bool deep;
	if (w->opt.use_finalized) {
		TC_GUARD(head_finalized(w, h));
		deep = h->finalized_found && h->finalized.number >= t->block_number;
	} else {
		uint64_t latest;
		TC_GUARD(head_latest(w, h, &latest));
		deep = latest >= t->block_number && latest - t->block_number + 1 >= w->opt.confirmations;
	}
	if (!deep)
		return tc_ok();
	t->state = DB_ANCHOR_CONFIRMED;
	TC_GUARD(db_anchor_tx_update(w->db, t, DB_ANCHOR_MINED, false));
	w->metrics.confirmed++;
	tc_log(TC_LOG_INFO, "anchor_confirmed", "tree_size=%" PRIu64 " tx=0x%s block=%" PRIu64 " (%s)", t->tree_size,
	       hash, t->block_number, w->opt.use_finalized ? "finalized" : "depth");
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ planning */

static TC_RESULT plan_next(struct api_anchor_worker *w, bool *planned)
{
	*planned = false;
	struct db_anchor_tip tip;
	TC_GUARD(db_anchor_tip(w->db, w->opt.chain_id, &tip));
	bool found;
	struct db_anchor_tx t;
	memset(&t, 0, sizeof(t));
	TC_GUARD(db_anchor_next_checkpoint(w->db, tip.last_tree_size, &found, &t.tree_size, t.root));
	if (!found)
		return tc_ok();

	/* Nonce: the node's pending count reconciled with the database (docs/anchor.md "Nonces"). */
	uint64_t node_pending;
	TC_GUARD(chain_rpc_nonce(w->rpc, w->key->address, true, &node_pending));
	uint64_t db_next = tip.has_nonce ? tip.next_nonce : 0;
	if (node_pending < db_next) {
		tc_log(TC_LOG_WARN, "anchor_nonce_behind",
		       "node pending nonce %" PRIu64 " < database next nonce %" PRIu64
		       "; waiting for the node to catch up",
		       node_pending, db_next);
		return tc_ok();
	}
	if (node_pending > db_next && tip.has_nonce)
		tc_log(TC_LOG_WARN, "anchor_nonce_ahead",
		       "node pending nonce %" PRIu64 " > database next nonce %" PRIu64 ": the key sent transactions "
		       "this database does not know of",
		       node_pending, db_next);
	t.nonce = node_pending;
	t.prev_tree_size = tip.last_tree_size;
	t.chain_id = w->opt.chain_id;
	t.state = DB_ANCHOR_PLANNED;

	/* Fees: EIP-1559 maxFee = 2 * next base fee + tip, both under the cap. */
	struct chain_fee_suggestion s;
	TC_GUARD(chain_rpc_fee_suggestion(w->rpc, API_ANCHOR_FEE_HISTORY_BLOCKS, API_ANCHOR_FEE_PERCENTILE, &s));
	struct chain_u256 prio = s.priority_fee, max, two_base;
	if (chain_u256_cmp(&prio, &w->opt.min_priority_fee) < 0)
		prio = w->opt.min_priority_fee;
	TC_GUARD(chain_u256_mul_u64(&s.base_fee, 2, &two_base));
	TC_GUARD(chain_u256_add(&two_base, &prio, &max));
	if (chain_u256_cmp(&max, &w->opt.max_fee_cap) > 0)
		max = w->opt.max_fee_cap;
	if (chain_u256_cmp(&prio, &max) > 0)
		prio = max;
	if (chain_u256_cmp(&max, &s.base_fee) < 0) {
		char base[CHAIN_U256_DEC_SIZE];
		chain_u256_to_dec(&s.base_fee, base);
		w->metrics.fee_cap_alerts++;
		tc_log(TC_LOG_ERROR, "anchor_fee_cap",
		       "ALERT: base fee %s wei is above the fee cap; not anchoring tree_size=%" PRIu64, base,
		       t.tree_size);
		return tc_ok();
	}
	char dec[CHAIN_U256_DEC_SIZE];
	chain_u256_to_dec(&prio, dec);
	snprintf(t.max_priority_fee, sizeof(t.max_priority_fee), "%s", dec);
	chain_u256_to_dec(&max, dec);
	snprintf(t.max_fee, sizeof(t.max_fee), "%s", dec);

	/* Gas: estimated (which also simulates the call: a would-be revert is caught before paying). */
	struct tc_buf data;
	tc_buf_init(&data, CHAIN_TX_MAX_LEN);
	struct tc_result r = chain_anchor_calldata(t.tree_size, t.root, t.prev_tree_size, &data);
	uint64_t est = 0;
	if (tc_is_ok(r))
		r = chain_rpc_estimate_gas(w->rpc, w->key->address, w->cfg.contract, data.data, data.len, &est);
	tc_buf_cleanup(&data);
	TC_GUARD(r);
	t.gas_limit = est * API_ANCHOR_GAS_MARGIN_NUM / API_ANCHOR_GAS_MARGIN_DEN;

	TC_GUARD(db_anchor_tx_insert(w->db, &t, &t.id));
	w->metrics.planned++;
	tc_log(TC_LOG_INFO, "anchor_planned",
	       "tree_size=%" PRIu64 " prev=%" PRIu64 " nonce=%" PRIu64 " gas_limit=%" PRIu64 " max_fee=%s tip=%s",
	       t.tree_size, t.prev_tree_size, t.nonce, t.gas_limit, t.max_fee, t.max_priority_fee);
	*planned = true;
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ metrics */

/* Prometheus text exposition format 0.0.4: "# HELP", "# TYPE", then "name{labels} value" lines. */
static TC_RESULT metric_head(struct tc_buf *out, const char *name, const char *type, const char *help)
{
	return tc_buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static TC_RESULT metric_u64(struct tc_buf *out, const char *name, const char *type, const char *help, uint64_t v)
{
	TC_GUARD(metric_head(out, name, type, help));
	return tc_buf_appendf(out, "%s %" PRIu64 "\n", name, v);
}

static TC_RESULT metric_i64(struct tc_buf *out, const char *name, const char *type, const char *help, int64_t v)
{
	TC_GUARD(metric_head(out, name, type, help));
	return tc_buf_appendf(out, "%s %" PRId64 "\n", name, v);
}

TC_RESULT api_anchor_metrics_format(const struct api_anchor_metrics *m, const struct db_anchor_tip *tip, int64_t now_s,
				    struct tc_buf *out)
{
	TC_ENSURE(out != NULL, TC_ERR_INVALID_ARGUMENT, "anchor_metrics_format: missing argument");
	if (tip != NULL) {
		TC_GUARD(metric_head(out, "teecert_anchor_txs", "gauge",
				     "Anchor transactions in the database by state."));
		for (int s = 0; s < DB_ANCHOR_STATE_COUNT; s++)
			TC_GUARD(tc_buf_appendf(out, "teecert_anchor_txs{state=\"%s\"} %" PRIu64 "\n",
						db_anchor_state_name((enum db_anchor_state)s), tip->count[s]));
		TC_GUARD(metric_u64(out, "teecert_anchor_last_tree_size", "gauge",
				    "Highest checkpoint tree size with a live anchor transaction (planned or later).",
				    tip->last_tree_size));
		TC_GUARD(metric_u64(out, "teecert_anchor_confirmed_tree_size", "gauge",
				    "Highest checkpoint tree size whose anchor is confirmed.",
				    tip->confirmed_tree_size));
		TC_GUARD(metric_i64(out, "teecert_anchor_confirmed_block", "gauge",
				    "Block of the highest confirmed anchor (-1: none).", tip->confirmed_block));
	}
	if (m != NULL) {
		const struct {
			const char *name, *help;
			unsigned long long v;
		} counters[] = {
			{ "teecert_anchor_planned_total", "Anchor transactions planned.", m->planned },
			{ "teecert_anchor_broadcasts_total", "First broadcasts of signed anchor transactions.",
			  m->broadcasts },
			{ "teecert_anchor_rebroadcasts_total",
			  "Stored transactions sent again (restart, lost by the node, reorg).", m->rebroadcasts },
			{ "teecert_anchor_fee_bumps_total", "Stuck transactions replaced with both fees raised.",
			  m->fee_bumps },
			{ "teecert_anchor_mined_total", "Receipts with status 1 seen.", m->mined },
			{ "teecert_anchor_confirmed_total", "Anchors confirmed (depth or finalized).", m->confirmed },
			{ "teecert_anchor_reorgs_total", "Mined anchors whose block left the canonical chain.",
			  m->reorgs },
			{ "teecert_anchor_dropped_total",
			  "Anchors whose nonce was used by another transaction (alert).", m->dropped },
			{ "teecert_anchor_reverted_total", "Anchors mined with status 0 (alert).", m->reverted },
			{ "teecert_anchor_finalized_stale_total", "anchor_finalized_stale alerts raised.",
			  m->finalized_stale_alerts },
			{ "teecert_anchor_fee_cap_alerts_total", "anchor_fee_cap alerts raised.", m->fee_cap_alerts },
			{ "teecert_anchor_tick_errors_total", "Passes that failed (node or database unreachable, ...).",
			  m->tick_errors },
			{ "teecert_anchor_ticks_total", "Passes of the state machine.", m->ticks },
		};
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			TC_GUARD(metric_u64(out, counters[i].name, "counter", counters[i].help, counters[i].v));
		TC_GUARD(metric_u64(
			out, "teecert_anchor_finalized_stale", "gauge",
			"1 when the node's finalized head was older than --finalized-stale-s at the last pass.",
			m->finalized_stale ? 1 : 0));
		if (m->have_finalized) {
			TC_GUARD(metric_u64(out, "teecert_anchor_finalized_block", "gauge",
					    "Number of the node's finalized block at the last pass.",
					    m->finalized_block));
			TC_GUARD(metric_i64(out, "teecert_anchor_finalized_age_seconds", "gauge",
					    "Age of the node's finalized block at the last pass.", m->finalized_age_s));
		}
	}
	return metric_i64(out, "teecert_anchor_metrics_timestamp_seconds", "gauge",
			  "When these metrics were written (Unix seconds).", now_s);
}

/* --------------------------------------------------------------------------------------------- tick */

TC_RESULT api_anchor_worker_init(struct api_anchor_worker *w, struct chain_rpc *rpc, struct db_conn *db,
				 const struct chain_key *key, const struct api_anchor_options *opt)
{
	memset(w, 0, sizeof(*w));
	w->rpc = rpc;
	w->db = db;
	w->key = key;
	w->opt = *opt;
	uint64_t node_chain;
	TC_GUARD(chain_rpc_chain_id(rpc, &node_chain));
	TC_ENSURE(node_chain == opt->chain_id, TC_ERR_CHAIN_ID_MISMATCH,
		  "the node reports chain id %" PRIu64 ", configured %" PRIu64, node_chain, opt->chain_id);
	bool found;
	TC_GUARD(db_anchor_config_get(db, &w->cfg, &found));
	TC_ENSURE(found, TC_ERR_INVALID_ARGUMENT, "no anchor contract configured; run `teecert-anchor deploy` first");
	TC_ENSURE(w->cfg.chain_id == opt->chain_id, TC_ERR_CHAIN_ID_MISMATCH,
		  "the database's anchor contract is on chain %" PRIu64 ", configured %" PRIu64, w->cfg.chain_id,
		  opt->chain_id);
	char want[CHAIN_ADDRESS_STR_SIZE], have[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(w->cfg.from, want);
	chain_address_to_eip55(key->address, have);
	TC_ENSURE(memcmp(w->cfg.from, key->address, CHAIN_ADDRESS_LEN) == 0, TC_ERR_INVALID_ARGUMENT,
		  "the key's address %s is not the contract owner %s", have, want);
	return tc_ok();
}

/* api_anchor_tick with OPEN, room for DB_ANCHOR_OPEN_MAX rows (about 80 KB: on the heap, one per pass). */
static TC_RESULT anchor_tick_rows(struct api_anchor_worker *w, struct db_anchor_tx *open, bool *busy)
{
	size_t n;
	w->metrics.ticks++;
	TC_GUARD(db_anchor_tx_open(w->db, w->opt.chain_id, open, DB_ANCHOR_OPEN_MAX, &n));
	struct heads h;
	memset(&h, 0, sizeof(h));
	bool in_flight = false, waiting = false;
	for (size_t i = 0; i < n; i++) {
		struct db_anchor_tx *t = &open[i];
		switch (t->state) {
		case DB_ANCHOR_PLANNED:
			TC_GUARD(sign_row(w, t));
			t->state = DB_ANCHOR_SIGNED;
			TC_GUARD(db_anchor_tx_update(w->db, t, DB_ANCHOR_PLANNED, false));
			/* Broadcast at once. */
			__attribute__((fallthrough));
		case DB_ANCHOR_SIGNED:
			TC_GUARD(broadcast_row(w, t));
			break;
		case DB_ANCHOR_BROADCAST:
			TC_GUARD(poll_broadcast(w, t, open, n));
			break;
		case DB_ANCHOR_MINED:
			TC_GUARD(poll_mined(w, t, &h));
			break;
		default:
			break;
		}
		if (t->state == DB_ANCHOR_SIGNED || t->state == DB_ANCHOR_BROADCAST || t->state == DB_ANCHOR_PLANNED)
			in_flight = true;
		if (t->state == DB_ANCHOR_MINED)
			waiting = true;
	}
	TC_GUARD(check_finalized(w, &h));
	if (!in_flight) {
		bool planned;
		TC_GUARD(plan_next(w, &planned));
		if (planned) {
			/* Sign, store and send it in this same pass (the row exists before anything is sent). */
			TC_GUARD(db_anchor_tx_open(w->db, w->opt.chain_id, open, DB_ANCHOR_OPEN_MAX, &n));
			for (size_t i = 0; i < n; i++) {
				if (open[i].state != DB_ANCHOR_PLANNED)
					continue;
				TC_GUARD(sign_row(w, &open[i]));
				open[i].state = DB_ANCHOR_SIGNED;
				TC_GUARD(db_anchor_tx_update(w->db, &open[i], DB_ANCHOR_PLANNED, false));
				TC_GUARD(broadcast_row(w, &open[i]));
			}
			in_flight = true;
		}
	}
	if (busy != NULL)
		*busy = in_flight || waiting;
	return tc_ok();
}

TC_RESULT api_anchor_tick(struct api_anchor_worker *w, bool *busy)
{
	struct db_anchor_tx *open = calloc(DB_ANCHOR_OPEN_MAX, sizeof(*open));
	TC_ENSURE(open != NULL, TC_ERR_NO_MEMORY, "anchor pass: out of memory");
	struct tc_result r = anchor_tick_rows(w, open, busy);
	free(open);
	return r;
}
