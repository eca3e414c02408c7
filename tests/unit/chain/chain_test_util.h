/*
 * chain_test_util.h — helpers shared by the chain/ unit tests: load a vector file of ../shared/vectors
 * (TEECERT_SHARED, never copied into the repo) and turn hex strings into bytes.
 */
#ifndef CHAIN_TEST_UTIL_H
#define CHAIN_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chain.h"

/* Load $TEECERT_SHARED/vectors/NAME; fails the test when missing. New reference. */
json_t *ct_load_vectors(const char *name);
/* Load $TEECERT_SOURCE_DIR/PATH as JSON (NULL when missing). */
json_t *ct_load_source_json(const char *path);
/* Decode hex (optional 0x) into a malloc'ed buffer; *LEN set. Fails the test on bad hex. */
uint8_t *ct_hex(const char *hex, size_t *len);
/* Decode hex that must be exactly N bytes into OUT. */
void ct_hex_fixed(const char *hex, void *out, size_t n);
/* String member of OBJ (fails the test when absent). */
const char *ct_str(const json_t *obj, const char *key);
/* Assert that BUF holds exactly the bytes of HEX. */
void ct_assert_hex(const uint8_t *buf, size_t len, const char *hex);
/* A u256 from a decimal string member. */
void ct_u256(const json_t *obj, const char *key, struct chain_u256 *out);
uint64_t ct_u64(const json_t *obj, const char *key);

#endif
