/*
 * anchor.h — the teecert-anchor worker (cli/anchor_*.c, library tc_anchor): deploys TeecertAnchor and
 * anchors log checkpoints on opBNB with every step stored in PostgreSQL first (docs/anchor.md). The main
 * (teecert_anchor.c) only parses flags; the chain tests drive these functions in-process.
 */
#ifndef ANCHOR_H
#define ANCHOR_H

#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "db.h"

/* Chain presets (docs/anchor.md "Networks"). */
#define ANCHOR_CHAIN_OPBNB_MAINNET 204
#define ANCHOR_CHAIN_OPBNB_TESTNET 5611

/* Defaults of struct anchor_options (teecert-anchor run flags). */
#define ANCHOR_DEFAULT_CONFIRMATIONS 15
#define ANCHOR_DEFAULT_STUCK_MS 60000
#define ANCHOR_DEFAULT_FINALIZED_STALE_S 3600
#define ANCHOR_DEFAULT_MAX_FEE_GWEI 100
#define ANCHOR_FEE_HISTORY_BLOCKS 10
#define ANCHOR_FEE_PERCENTILE 50
/* Replacement fees are raised by 1/8 (12.5%) plus one wei: above the 10% nodes require (geth priceBump). */
#define ANCHOR_BUMP_DIVISOR 8
/* Gas limit = estimate * 6 / 5: a margin, the same for every anchor (the contract's gas is constant). */
#define ANCHOR_GAS_MARGIN_NUM 6
#define ANCHOR_GAS_MARGIN_DEN 5

struct anchor_options {
	uint64_t chain_id;                  /* expected chain id (the node must report it) */
	unsigned confirmations;             /* depth (blocks including the anchor's) when !use_finalized */
	bool use_finalized;                 /* confirmed when the `finalized` head reaches the block */
	unsigned stuck_ms;                  /* unmined this long after broadcast: bump both fees */
	unsigned finalized_stale_s;         /* alert when the finalized head is older than this (0: never) */
	struct chain_u256 max_fee_cap;      /* maxFeePerGas never exceeds this (wei) */
	struct chain_u256 min_priority_fee; /* floor of maxPriorityFeePerGas (wei) */
};

void anchor_options_defaults(struct anchor_options *opt);

/*
 * Counters of one worker since it started (logged by `anchor_stop`, exported by anchor_metrics_format),
 * plus what it last saw of the node's `finalized` head.
 */
struct anchor_metrics {
	unsigned long long planned, broadcasts, rebroadcasts, fee_bumps, mined, confirmed, reorgs, dropped, reverted,
		finalized_stale_alerts, fee_cap_alerts, tick_errors, ticks;
	bool have_finalized;      /* the node answered the `finalized` tag with a block */
	uint64_t finalized_block; /* that block's number */
	int64_t finalized_age_s;  /* wall clock minus its timestamp when last fetched */
	bool finalized_stale;     /* older than finalized_stale_s at the last fetch */
};

struct anchor_worker {
	struct chain_rpc *rpc;       /* borrowed */
	struct db_conn *db;          /* borrowed */
	const struct chain_key *key; /* borrowed */
	struct anchor_options opt;
	struct db_anchor_config cfg;
	struct anchor_metrics metrics;
	uint64_t stale_alert_ms; /* monotonic time of the last anchor_finalized_stale alert (0: none this episode) */
	bool finalized_unsupported_logged;
};

/*
 * Check the node's chain id against OPT and the database's anchor_config (which must exist and name KEY's
 * address as owner): TC_ERR_CHAIN_ID_MISMATCH / TC_ERR_INVALID_ARGUMENT otherwise.
 */
TC_RESULT anchor_worker_init(struct anchor_worker *w, struct chain_rpc *rpc, struct db_conn *db,
			     const struct chain_key *key, const struct anchor_options *opt);

/*
 * One pass of the state machine: sign planned rows, broadcast signed ones, poll receipts, detect reorgs,
 * bump stuck fees, confirm, and plan the next checkpoint when nothing is in flight. *BUSY (may be NULL) is
 * set when a transaction is still in flight or a checkpoint is waiting.
 */
TC_RESULT anchor_tick(struct anchor_worker *w, bool *busy);

/*
 * Deploy TeecertAnchor (creation BYTECODE) from KEY, wait up to WAIT_MS for its receipt, and record it in
 * anchor_config. The node's chain id must equal CHAIN_ID.
 */
TC_RESULT anchor_deploy(struct chain_rpc *rpc, struct db_conn *db, const struct chain_key *key, uint64_t chain_id,
			const uint8_t *bytecode, size_t len, const struct anchor_options *opt, unsigned wait_ms,
			struct db_anchor_config *out);

/*
 * Prometheus text exposition format 0.0.4 (docs/anchor.md "Metrics"), appended to OUT: the worker's
 * counters and finalized-head gauges from M (NULL: left out, e.g. `status --metrics`), the database's view
 * (live rows per state, last anchored / confirmed tree size) from TIP (NULL: left out), and NOW_S as
 * teecert_anchor_metrics_timestamp_seconds so a stale file is noticed.
 */
TC_RESULT anchor_metrics_format(const struct anchor_metrics *m, const struct db_anchor_tip *tip, int64_t now_s,
				struct tc_buf *out);

/* The creation bytecode of chain/contracts/TeecertAnchor.json embedded at build time ("0x..."). */
extern const char anchor_contract_bytecode_hex[];

#endif /* ANCHOR_H */
