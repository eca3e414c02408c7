/*
 * chain_internal.h — private helpers shared by the files of chain/ (not part of the public door chain.h).
 */
#ifndef CHAIN_INTERNAL_H
#define CHAIN_INTERNAL_H

#include <secp256k1.h>

#include "chain.h"

/*
 * Error codes used for malformed chain data and failed proofs. common/tc_errors.def has no chain-specific
 * rows yet; these aliases are the one place to switch when it gets them.
 */
#define CHAIN_ERR_MALFORMED TC_ERR_INVALID_ARGUMENT
#define CHAIN_ERR_PROOF TC_ERR_INVALID_ARGUMENT
#define CHAIN_ERR_KEY TC_ERR_INVALID_ARGUMENT

/* The process-wide libsecp256k1 context (created and randomized once, thread-safe afterwards). */
TC_RESULT chain_secp_context(const secp256k1_context **out);

/* Number of bytes of the minimal big-endian form of V (0 for zero) and a pointer to its first byte. */
size_t chain_u256_minimal(const struct chain_u256 *v, const uint8_t **start);

#endif /* CHAIN_INTERNAL_H */
