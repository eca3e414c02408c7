/*
 * chain_tx.c — Ethereum transactions as the anchoring account sends them:
 *
 *   EIP-1559 (type 2) in the EIP-2718 envelope:
 *     signing payload = 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value,
 *                                    data, accessList])
 *     raw             = 0x02 || rlp([... the same 9 fields ..., yParity, r, s])
 *   legacy with EIP-155 replay protection:
 *     signing payload = rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0])
 *     raw             = rlp([nonce, gasPrice, gasLimit, to, value, data, v = recid + 35 + 2 * chainId, r, s])
 *   (chain id 0 means a pre-EIP-155 legacy transaction: 6-field payload, v = 27 + recid.)
 *
 * tx hash = keccak256(raw) for both (for type 2 including the 0x02 byte). Signatures are libsecp256k1
 * recoverable ECDSA with its default RFC 6979 nonce and low S (EIP-2); decoding rejects high S, non-empty
 * access lists and anything but canonical RLP, then recovers the sender.
 */
#include <string.h>

#include <secp256k1_recovery.h>

#include "chain_internal.h"

/* EIP-155: v = recid + 2 * chainId + 35; pre-EIP-155: v = recid + 27 (yellow paper Appendix F). */
#define EIP155_V_OFFSET 35
#define LEGACY_V_OFFSET 27
#define SIG_COMPACT_LEN (2 * CHAIN_SIG_SCALAR_LEN)
#define TX_FIELDS_EIP1559 12
#define TX_FIELDS_LEGACY 9

/* n / 2 of secp256k1: S above it is "high" and invalid since Homestead (EIP-2). */
static const uint8_t secp256k1_half_order[CHAIN_SIG_SCALAR_LEN] = {
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static TC_RESULT tx_check(const struct chain_tx *tx)
{
	TC_ENSURE(tx->type == CHAIN_TX_LEGACY || tx->type == CHAIN_TX_EIP1559, TC_ERR_UNSUPPORTED,
		  "transaction type %d is not supported", (int)tx->type);
	TC_ENSURE(tx->data != NULL || tx->data_len == 0, TC_ERR_INVALID_ARGUMENT, "transaction data is NULL");
	TC_ENSURE(tx->data_len <= CHAIN_TX_MAX_LEN, TC_ERR_TOO_LARGE, "transaction data of %zu bytes", tx->data_len);
	TC_ENSURE(tx->type != CHAIN_TX_EIP1559 || tx->chain_id > 0, TC_ERR_INVALID_ARGUMENT,
		  "an EIP-1559 transaction needs a chain id");
	TC_ENSURE(tx->chain_id <= (UINT64_MAX - EIP155_V_OFFSET - 1) / 2, TC_ERR_INVALID_ARGUMENT,
		  "chain id %llu too large for EIP-155", (unsigned long long)tx->chain_id);
	return tc_ok();
}

/* to is the 20-byte address, or the empty string for a contract creation. */
static TC_RESULT put_to(struct tc_buf *b, const struct chain_tx *tx)
{
	return chain_rlp_put_bytes(b, tx->to, tx->has_to ? CHAIN_ADDRESS_LEN : 0);
}

/* The fields every form shares, in each type's order (EIP-1559 §Specification, EIP-155). */
static TC_RESULT put_body(struct tc_buf *b, const struct chain_tx *tx)
{
	size_t access_list;

	if (tx->type == CHAIN_TX_EIP1559) {
		TC_GUARD(chain_rlp_put_u64(b, tx->chain_id));
		TC_GUARD(chain_rlp_put_u64(b, tx->nonce));
		TC_GUARD(chain_rlp_put_u256(b, &tx->max_priority_fee_per_gas));
		TC_GUARD(chain_rlp_put_u256(b, &tx->max_fee_per_gas));
	} else {
		TC_GUARD(chain_rlp_put_u64(b, tx->nonce));
		TC_GUARD(chain_rlp_put_u256(b, &tx->gas_price));
	}
	TC_GUARD(chain_rlp_put_u64(b, tx->gas_limit));
	TC_GUARD(put_to(b, tx));
	TC_GUARD(chain_rlp_put_u256(b, &tx->value));
	TC_GUARD(chain_rlp_put_bytes(b, tx->data, tx->data_len));
	if (tx->type == CHAIN_TX_EIP1559) {
		/* accessList: always empty (EIP-2930 list of [address, storageKeys]). */
		TC_GUARD(chain_rlp_list_begin(b, &access_list));
		TC_GUARD(chain_rlp_list_end(b, access_list));
	}
	return tc_ok();
}

static TC_RESULT put_scalar(struct tc_buf *b, const uint8_t v[CHAIN_SIG_SCALAR_LEN])
{
	struct chain_u256 u;

	/* r and s are integers in the RLP: minimal, so a leading zero byte is dropped. */
	memcpy(u.be, v, CHAIN_SIG_SCALAR_LEN);
	return chain_rlp_put_u256(b, &u);
}

/* Undo a partial append, so an output buffer is only extended on success. */
static struct tc_result buf_rollback(struct tc_buf *b, size_t len, struct tc_result r)
{
	if (!tc_is_ok(r) && b->data != NULL && b->len > len) {
		tc_secure_zero(b->data + len, b->len - len);
		b->len = len;
	}
	return r;
}

static TC_RESULT signing_payload(const struct chain_tx *tx, struct tc_buf *out)
{
	size_t list;

	TC_GUARD(tx_check(tx));
	if (tx->type == CHAIN_TX_EIP1559)
		TC_GUARD(tc_buf_append_u8(out, CHAIN_TX_TYPE_EIP1559));
	TC_GUARD(chain_rlp_list_begin(out, &list));
	TC_GUARD(put_body(out, tx));
	if (tx->type == CHAIN_TX_LEGACY && tx->chain_id > 0) {
		/* EIP-155: chainId, 0, 0 appended to the six legacy fields. */
		TC_GUARD(chain_rlp_put_u64(out, tx->chain_id));
		TC_GUARD(chain_rlp_put_u64(out, 0));
		TC_GUARD(chain_rlp_put_u64(out, 0));
	}
	return chain_rlp_list_end(out, list);
}

TC_RESULT chain_tx_signing_payload(const struct chain_tx *tx, struct tc_buf *out)
{
	size_t start = out->len;

	return buf_rollback(out, start, signing_payload(tx, out));
}

TC_RESULT chain_tx_signing_hash(const struct chain_tx *tx, uint8_t out[CHAIN_HASH_LEN])
{
	struct tc_buf b;
	struct tc_result r;

	tc_buf_init(&b, CHAIN_TX_MAX_LEN);
	TC_GUARD_GOTO(r, chain_tx_signing_payload(tx, &b), out);
	chain_keccak256(b.data, b.len, out);
out:
	tc_buf_cleanup(&b);
	return r;
}

static TC_RESULT encode_signed(const struct chain_tx *tx, const struct chain_signature *sig, struct tc_buf *raw)
{
	size_t list;

	TC_GUARD(tx_check(tx));
	TC_ENSURE(sig->recid == 0 || sig->recid == 1, TC_ERR_INVALID_ARGUMENT, "recovery id %d is not 0 or 1",
		  sig->recid);
	if (tx->type == CHAIN_TX_EIP1559)
		TC_GUARD(tc_buf_append_u8(raw, CHAIN_TX_TYPE_EIP1559));
	TC_GUARD(chain_rlp_list_begin(raw, &list));
	TC_GUARD(put_body(raw, tx));
	if (tx->type == CHAIN_TX_EIP1559)
		TC_GUARD(chain_rlp_put_u64(raw, (uint64_t)sig->recid)); /* yParity */
	else if (tx->chain_id > 0)
		TC_GUARD(chain_rlp_put_u64(raw, (uint64_t)sig->recid + EIP155_V_OFFSET + 2 * tx->chain_id));
	else
		TC_GUARD(chain_rlp_put_u64(raw, (uint64_t)sig->recid + LEGACY_V_OFFSET));
	TC_GUARD(put_scalar(raw, sig->r));
	TC_GUARD(put_scalar(raw, sig->s));
	return chain_rlp_list_end(raw, list);
}

TC_RESULT chain_tx_encode_signed(const struct chain_tx *tx, const struct chain_signature *sig, struct tc_buf *raw)
{
	size_t start = raw->len;

	return buf_rollback(raw, start, encode_signed(tx, sig, raw));
}

TC_RESULT chain_tx_sign(const struct chain_tx *tx, const struct chain_key *key, struct tc_buf *raw,
			uint8_t tx_hash[CHAIN_HASH_LEN], struct chain_signature *sig_out)
{
	const secp256k1_context *ctx = NULL;
	secp256k1_ecdsa_recoverable_signature rsig;
	uint8_t hash[CHAIN_HASH_LEN], compact[SIG_COMPACT_LEN];
	struct chain_signature sig;
	size_t start = raw->len;

	TC_GUARD(chain_secp_context(&ctx));
	TC_GUARD(chain_tx_signing_hash(tx, hash));
	/* NULL noncefp = secp256k1_nonce_function_rfc6979 (deterministic); the result is always low-S. */
	TC_ENSURE(secp256k1_ecdsa_sign_recoverable(ctx, &rsig, hash, key->secret, NULL, NULL), TC_ERR_CRYPTO,
		  "secp256k1 signing failed (invalid key?)");
	secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, &sig.recid, &rsig);
	memcpy(sig.r, compact, CHAIN_SIG_SCALAR_LEN);
	memcpy(sig.s, compact + CHAIN_SIG_SCALAR_LEN, CHAIN_SIG_SCALAR_LEN);
	TC_GUARD(chain_tx_encode_signed(tx, &sig, raw));
	if (tx_hash)
		chain_keccak256(raw->data + start, raw->len - start, tx_hash);
	if (sig_out)
		*sig_out = sig;
	return tc_ok();
}

TC_RESULT chain_recover_address(const uint8_t hash[CHAIN_HASH_LEN], const struct chain_signature *sig,
				uint8_t out[CHAIN_ADDRESS_LEN])
{
	const secp256k1_context *ctx = NULL;
	secp256k1_ecdsa_recoverable_signature rsig;
	secp256k1_pubkey pub;
	uint8_t compact[SIG_COMPACT_LEN], pubkey[CHAIN_PUBKEY_LEN];
	size_t publen = sizeof(pubkey);
	static const uint8_t zero[CHAIN_SIG_SCALAR_LEN];

	TC_GUARD(chain_secp_context(&ctx));
	TC_ENSURE(sig->recid == 0 || sig->recid == 1, CHAIN_ERR_MALFORMED, "recovery id %d is not 0 or 1", sig->recid);
	TC_ENSURE(memcmp(sig->r, zero, sizeof(zero)) != 0 && memcmp(sig->s, zero, sizeof(zero)) != 0,
		  CHAIN_ERR_MALFORMED, "signature with r or s zero");
	TC_ENSURE(memcmp(sig->s, secp256k1_half_order, CHAIN_SIG_SCALAR_LEN) <= 0, CHAIN_ERR_MALFORMED,
		  "signature with high s (EIP-2)");
	memcpy(compact, sig->r, CHAIN_SIG_SCALAR_LEN);
	memcpy(compact + CHAIN_SIG_SCALAR_LEN, sig->s, CHAIN_SIG_SCALAR_LEN);
	TC_ENSURE(secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, compact, sig->recid),
		  CHAIN_ERR_MALFORMED, "signature r or s not below the group order");
	TC_ENSURE(secp256k1_ecdsa_recover(ctx, &pub, &rsig, hash), CHAIN_ERR_MALFORMED,
		  "no public key recovers from this signature");
	TC_ENSURE(secp256k1_ec_pubkey_serialize(ctx, pubkey, &publen, &pub, SECP256K1_EC_UNCOMPRESSED), TC_ERR_CRYPTO,
		  "cannot serialize the recovered key");
	return chain_address_from_pubkey(pubkey, out);
}

static TC_RESULT get_to(struct tc_cursor *c, struct chain_tx *tx)
{
	const uint8_t *p;
	size_t len;

	TC_GUARD(chain_rlp_get_bytes(c, &p, &len));
	TC_ENSURE(len == 0 || len == CHAIN_ADDRESS_LEN, CHAIN_ERR_MALFORMED, "transaction 'to' of %zu bytes", len);
	tx->has_to = len == CHAIN_ADDRESS_LEN;
	if (tx->has_to)
		memcpy(tx->to, p, CHAIN_ADDRESS_LEN);
	return tc_ok();
}

static TC_RESULT get_scalar(struct tc_cursor *c, uint8_t out[CHAIN_SIG_SCALAR_LEN])
{
	struct chain_u256 u;

	TC_GUARD(chain_rlp_get_u256(c, &u));
	memcpy(out, u.be, CHAIN_SIG_SCALAR_LEN);
	return tc_ok();
}

/* Type 2 after the 0x02 byte: rlp([chainId, nonce, tip, maxFee, gas, to, value, data, [], yParity, r, s]). */
static TC_RESULT decode_eip1559(struct tc_cursor *fields, struct chain_tx *tx, struct chain_signature *sig)
{
	struct chain_rlp_item access;
	struct tc_cursor t;
	uint64_t y_parity;

	tx->type = CHAIN_TX_EIP1559;
	TC_GUARD(chain_rlp_get_u64(fields, &tx->chain_id));
	TC_GUARD(chain_rlp_get_u64(fields, &tx->nonce));
	TC_GUARD(chain_rlp_get_u256(fields, &tx->max_priority_fee_per_gas));
	TC_GUARD(chain_rlp_get_u256(fields, &tx->max_fee_per_gas));
	TC_GUARD(chain_rlp_get_u64(fields, &tx->gas_limit));
	TC_GUARD(get_to(fields, tx));
	TC_GUARD(chain_rlp_get_u256(fields, &tx->value));
	TC_GUARD(chain_rlp_get_bytes(fields, &tx->data, &tx->data_len));
	t = *fields;
	TC_GUARD(chain_rlp_next(&t, &access));
	TC_ENSURE(access.is_list, CHAIN_ERR_MALFORMED, "accessList is not a list");
	TC_ENSURE(access.len == 0, TC_ERR_UNSUPPORTED, "non-empty access lists are not supported");
	*fields = t;
	TC_GUARD(chain_rlp_get_u64(fields, &y_parity));
	TC_ENSURE(y_parity <= 1, CHAIN_ERR_MALFORMED, "yParity %llu is not 0 or 1", (unsigned long long)y_parity);
	sig->recid = (int)y_parity;
	TC_ENSURE(tx->chain_id > 0, CHAIN_ERR_MALFORMED, "EIP-1559 transaction with chain id 0");
	return tc_ok();
}

/* Legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s]) with EIP-155 or pre-EIP-155 v. */
static TC_RESULT decode_legacy(struct tc_cursor *fields, struct chain_tx *tx, struct chain_signature *sig)
{
	uint64_t v;

	tx->type = CHAIN_TX_LEGACY;
	TC_GUARD(chain_rlp_get_u64(fields, &tx->nonce));
	TC_GUARD(chain_rlp_get_u256(fields, &tx->gas_price));
	TC_GUARD(chain_rlp_get_u64(fields, &tx->gas_limit));
	TC_GUARD(get_to(fields, tx));
	TC_GUARD(chain_rlp_get_u256(fields, &tx->value));
	TC_GUARD(chain_rlp_get_bytes(fields, &tx->data, &tx->data_len));
	TC_GUARD(chain_rlp_get_u64(fields, &v));
	if (v == LEGACY_V_OFFSET || v == LEGACY_V_OFFSET + 1) {
		tx->chain_id = 0;
		sig->recid = (int)(v - LEGACY_V_OFFSET);
	} else {
		TC_ENSURE(v >= EIP155_V_OFFSET + 2, CHAIN_ERR_MALFORMED, "legacy transaction with v = %llu",
			  (unsigned long long)v);
		tx->chain_id = (v - EIP155_V_OFFSET) / 2;
		sig->recid = (int)((v - EIP155_V_OFFSET) % 2);
	}
	return tc_ok();
}

TC_RESULT chain_tx_decode(const uint8_t *raw, size_t len, struct chain_tx *tx_out, struct chain_signature *sig_out,
			  uint8_t from[CHAIN_ADDRESS_LEN], uint8_t tx_hash[CHAIN_HASH_LEN])
{
	struct chain_rlp_item list;
	struct tc_cursor fields;
	struct chain_tx tx;
	struct chain_signature sig;
	uint8_t hash[CHAIN_HASH_LEN], addr[CHAIN_ADDRESS_LEN];
	bool typed;

	TC_ENSURE(len > 0, TC_ERR_TRUNCATED, "empty transaction");
	TC_ENSURE(len <= CHAIN_TX_MAX_LEN, TC_ERR_TOO_LARGE, "transaction of %zu bytes", len);
	memset(&tx, 0, sizeof(tx));
	memset(&sig, 0, sizeof(sig));
	/* EIP-2718: a first byte in [0x00, 0x7f] is a type; a legacy transaction starts with a list prefix. */
	typed = raw[0] < 0x80;
	TC_ENSURE(!typed || raw[0] == CHAIN_TX_TYPE_EIP1559, TC_ERR_UNSUPPORTED, "transaction type 0x%02x", raw[0]);
	TC_GUARD(chain_rlp_decode(raw + (typed ? 1 : 0), len - (typed ? 1 : 0), &list));
	TC_GUARD(chain_rlp_enter(&list, &fields));
	if (typed)
		TC_GUARD(decode_eip1559(&fields, &tx, &sig));
	else
		TC_GUARD(decode_legacy(&fields, &tx, &sig));
	TC_GUARD(get_scalar(&fields, sig.r));
	TC_GUARD(get_scalar(&fields, sig.s));
	TC_ENSURE(tc_cursor_remaining(&fields) == 0, CHAIN_ERR_MALFORMED, "transaction has more than %d fields",
		  typed ? TX_FIELDS_EIP1559 : TX_FIELDS_LEGACY);
	TC_GUARD(chain_tx_signing_hash(&tx, hash));
	TC_GUARD(chain_recover_address(hash, &sig, addr));
	if (tx_out)
		*tx_out = tx;
	if (sig_out)
		*sig_out = sig;
	if (from)
		memcpy(from, addr, CHAIN_ADDRESS_LEN);
	if (tx_hash)
		chain_keccak256(raw, len, tx_hash);
	return tc_ok();
}
