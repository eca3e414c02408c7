/*
 * tc_internal.h — helpers shared between files of common/ only (not part of the public door tc.h).
 */
#ifndef TC_INTERNAL_H
#define TC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (1..4) of the well-formed UTF-8 sequence at P, which has AVAIL bytes, storing its code point in
 * *CP; 0 when the bytes there are not well-formed UTF-8 (RFC 3629 §4: no overlongs, no surrogates, at most
 * U+10FFFF).
 */
size_t tc_utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp);

#endif /* TC_INTERNAL_H */
