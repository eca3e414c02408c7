/*
 * api_anchor_deploy.c — deploy TeecertAnchor (chain/contracts/TeecertAnchor.sol) from the chain key and record
 * its address in anchor_config. The deployer becomes the contract's immutable owner, the only account
 * whose anchor() calls succeed. A deployment interrupted before its receipt is simply run again (the lost
 * contract costs gas but holds nothing); anchor_config is only written once the receipt is in.
 */
#include "api.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#define DEPLOY_POLL_MS 200

static void pause_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

TC_RESULT api_anchor_deploy(struct chain_rpc *rpc, struct db_conn *db, const struct chain_key *key, uint64_t chain_id,
			    const uint8_t *bytecode, size_t len, const struct api_anchor_options *opt, unsigned wait_ms,
			    struct db_anchor_config *out)
{
	TC_ENSURE(rpc != NULL && db != NULL && key != NULL && bytecode != NULL && len > 0 && opt != NULL && out != NULL,
		  TC_ERR_INVALID_ARGUMENT, "anchor_deploy: missing argument");
	bool exists;
	struct db_anchor_config cfg;
	TC_GUARD(db_anchor_config_get(db, &cfg, &exists));
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(cfg.contract, addr);
	TC_ENSURE(!exists, TC_ERR_DB_CONFLICT, "an anchor contract is configured already (%s on chain %" PRIu64 ")",
		  addr, cfg.chain_id);
	uint64_t node_chain;
	TC_GUARD(chain_rpc_chain_id(rpc, &node_chain));
	TC_ENSURE(node_chain == chain_id, TC_ERR_CHAIN_ID_MISMATCH,
		  "the node reports chain id %" PRIu64 ", expected %" PRIu64, node_chain, chain_id);

	struct chain_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CHAIN_TX_EIP1559;
	tx.chain_id = chain_id;
	TC_GUARD(chain_rpc_nonce(rpc, key->address, true, &tx.nonce));
	struct chain_fee_suggestion s;
	TC_GUARD(chain_rpc_fee_suggestion(rpc, API_ANCHOR_FEE_HISTORY_BLOCKS, API_ANCHOR_FEE_PERCENTILE, &s));
	tx.max_priority_fee_per_gas = s.priority_fee;
	if (chain_u256_cmp(&tx.max_priority_fee_per_gas, &opt->min_priority_fee) < 0)
		tx.max_priority_fee_per_gas = opt->min_priority_fee;
	struct chain_u256 two_base;
	TC_GUARD(chain_u256_mul_u64(&s.base_fee, 2, &two_base));
	TC_GUARD(chain_u256_add(&two_base, &tx.max_priority_fee_per_gas, &tx.max_fee_per_gas));
	if (chain_u256_cmp(&tx.max_fee_per_gas, &opt->max_fee_cap) > 0)
		tx.max_fee_per_gas = opt->max_fee_cap;
	if (chain_u256_cmp(&tx.max_priority_fee_per_gas, &tx.max_fee_per_gas) > 0)
		tx.max_priority_fee_per_gas = tx.max_fee_per_gas;
	uint64_t est;
	TC_GUARD(chain_rpc_estimate_gas(rpc, key->address, NULL, bytecode, len, &est));
	tx.gas_limit = est * API_ANCHOR_GAS_MARGIN_NUM / API_ANCHOR_GAS_MARGIN_DEN;
	tx.has_to = false;
	tx.data = bytecode;
	tx.data_len = len;

	struct tc_result r = tc_ok();
	struct tc_buf raw;
	tc_buf_init(&raw, CHAIN_TX_MAX_LEN);
	uint8_t hash[CHAIN_HASH_LEN];
	TC_GUARD_GOTO(r, chain_tx_sign(&tx, key, &raw, hash, NULL), out);
	TC_GUARD_GOTO(r, chain_rpc_send_raw(rpc, raw.data, raw.len, NULL), out);
	char hex[2 * CHAIN_HASH_LEN + 1];
	TC_GUARD_GOTO(r, tc_hex_encode(hash, sizeof(hash), hex, sizeof(hex)), out);
	tc_log(TC_LOG_INFO, "anchor_deploy_sent", "tx=0x%s nonce=%" PRIu64 " gas_limit=%" PRIu64, hex, tx.nonce,
	       tx.gas_limit);

	struct chain_receipt rc;
	bool found = false;
	uint64_t start = tc_time_mono_ms();
	for (;;) {
		TC_GUARD_GOTO(r, chain_rpc_receipt(rpc, hash, &rc, &found), out);
		if (found || tc_time_mono_ms() - start > wait_ms)
			break;
		pause_ms(DEPLOY_POLL_MS);
	}
	TC_ENSURE_GOTO(r, found, out, TC_ERR_CHAIN_UNAVAILABLE,
		       "deployment 0x%s not mined within %u ms; check it and run deploy again if it was dropped", hex,
		       wait_ms);
	TC_ENSURE_GOTO(r, rc.status && rc.has_contract_address, out, TC_ERR_CHAIN_TX_FAILED,
		       "deployment 0x%s reverted in block %" PRIu64, hex, rc.block_number);

	memset(&cfg, 0, sizeof(cfg));
	cfg.chain_id = chain_id;
	memcpy(cfg.contract, rc.contract_address, CHAIN_ADDRESS_LEN);
	memcpy(cfg.from, key->address, CHAIN_ADDRESS_LEN);
	cfg.has_deploy_tx = true;
	memcpy(cfg.deploy_tx_hash, hash, CHAIN_HASH_LEN);
	cfg.deploy_block = (int64_t)rc.block_number;
	TC_GUARD_GOTO(r, db_anchor_config_insert(db, &cfg), out);
	chain_address_to_eip55(cfg.contract, addr);
	tc_log(TC_LOG_INFO, "anchor_deployed", "contract=%s block=%" PRIu64 " gas_used=%" PRIu64, addr, rc.block_number,
	       rc.gas_used);
	*out = cfg;
out:
	tc_buf_cleanup(&raw);
	return r;
}
