/*
 * fuzz_chain_rlp_tx.c — fuzzes the decoders of outside chain bytes (raw transactions come back from
 * JSON-RPC nodes): chain_rlp_decode and chain_tx_decode. Beyond "no crash", the strict decoders must be
 * exact inverses of the encoders: anything accepted re-encodes to the identical bytes (RLP item rebuilt
 * from its decoded structure; a transaction rebuilt from its decoded fields and signature).
 */
#include <stdlib.h>
#include <string.h>

#include "chain.h"

/* Re-encode the next item of C into OUT (recursively for lists). */
static void fuzz_reencode(struct tc_cursor *c, struct tc_buf *out)
{
	struct chain_rlp_item item;
	struct tc_cursor sub;
	size_t mark;

	if (!tc_is_ok(chain_rlp_next(c, &item)))
		abort(); /* the parent list was validated as a whole */
	if (!item.is_list) {
		if (!tc_is_ok(chain_rlp_put_bytes(out, item.payload, item.len)))
			abort();
		return;
	}
	if (!tc_is_ok(chain_rlp_enter(&item, &sub)) || !tc_is_ok(chain_rlp_list_begin(out, &mark)))
		abort();
	while (tc_cursor_remaining(&sub) > 0)
		fuzz_reencode(&sub, out);
	if (!tc_is_ok(chain_rlp_list_end(out, mark)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chain_rlp_item item;
	struct chain_tx tx;
	struct chain_signature sig;
	struct tc_cursor c;
	struct tc_buf out;
	uint8_t from[CHAIN_ADDRESS_LEN], hash[CHAIN_HASH_LEN];

	tc_buf_init(&out, 0);
	if (tc_is_ok(chain_rlp_decode(data, size, &item))) {
		tc_cursor_init(&c, data, size);
		fuzz_reencode(&c, &out);
		if (out.len != size || memcmp(out.data, data, size) != 0)
			abort();
	}
	tc_buf_reset(&out);
	if (size > 0 && tc_is_ok(chain_tx_decode(data, size, &tx, &sig, from, hash))) {
		if (!tc_is_ok(chain_tx_encode_signed(&tx, &sig, &out)) || out.len != size ||
		    memcmp(out.data, data, size) != 0)
			abort();
	}
	tc_buf_cleanup(&out);
	return 0;
}
