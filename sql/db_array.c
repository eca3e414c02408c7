/*
 * db_array.c — PostgreSQL array literals ("{1,2}", "{\"a b\",NULL}") built element by element: the batch
 * statements pass one text parameter per column and unnest() them (db_cert_insert_appraised_batch.c,
 * db_log_append_batch.c, db_log_subtrees.c).
 */
#include <stdio.h>

#include "db_internal.h"

#define DB_ARRAY_NUM_TEXT 24 /* a decimal long long */

/* '{' before the first element, ',' before the others. */
static TC_RESULT db_array_sep(struct tc_buf *b)
{
	return tc_buf_append_u8(b, b->len == 0 ? '{' : ',');
}

TC_RESULT db_array_num(struct tc_buf *b, long long v)
{
	char num[DB_ARRAY_NUM_TEXT];
	int len = snprintf(num, sizeof(num), "%lld", v);

	TC_GUARD(db_array_sep(b));
	return tc_buf_append(b, num, (size_t)len);
}

TC_RESULT db_array_text(struct tc_buf *b, const char *s)
{
	TC_GUARD(db_array_sep(b));
	if (s == NULL)
		return tc_buf_append_str(b, "NULL");
	TC_GUARD(tc_buf_append_u8(b, '"'));
	for (const char *run = s;; s++) {
		if (*s != '"' && *s != '\\' && *s != '\0')
			continue;
		TC_GUARD(tc_buf_append(b, run, (size_t)(s - run)));
		if (*s == '\0')
			break;
		TC_GUARD(tc_buf_append_u8(b, '\\'));
		TC_GUARD(tc_buf_append_u8(b, (uint8_t)*s));
		run = s + 1;
	}
	return tc_buf_append_u8(b, '"');
}

TC_RESULT db_array_close(struct tc_buf *b)
{
	if (b->len == 0)
		TC_GUARD(tc_buf_append_u8(b, '{'));
	TC_GUARD(tc_buf_append_u8(b, '}'));
	return tc_buf_append_u8(b, 0);
}
