/*
 * db_collateral_item.c — lifetime of struct db_collateral_item (no query; the queries are db_collateral_*.c).
 */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

void db_collateral_item_init(struct db_collateral_item *it)
{
	memset(it, 0, sizeof(*it));
	tc_buf_init(&it->raw, DB_COLL_RAW_MAX);
	tc_buf_init(&it->issuer_chain, DB_COLL_CHAIN_MAX);
}

void db_collateral_item_cleanup(struct db_collateral_item *it)
{
	if (it == NULL)
		return;
	tc_buf_cleanup(&it->raw);
	tc_buf_cleanup(&it->issuer_chain);
}

TC_RESULT db_collateral_item_read(const struct pg_result *res, int row, struct db_collateral_item *out)
{
	const PGresult *r = res;
	snprintf(out->vendor, sizeof(out->vendor), "%s", PQgetvalue(r, row, 0));
	snprintf(out->kind, sizeof(out->kind), "%s", PQgetvalue(r, row, 1));
	snprintf(out->key, sizeof(out->key), "%s", PQgetvalue(r, row, 2));
	snprintf(out->source_url, sizeof(out->source_url), "%s", PQgetvalue(r, row, 3));
	const char *h = PQgetvalue(r, row, 4);
	if (!tc_is_ok(tc_hex_decode_fixed(h, strlen(h), out->sha256, sizeof(out->sha256))))
		return tc_fail(TC_ERR_DB_QUERY, "collateral_items.sha256 malformed");
	TC_GUARD(db_value_int64(r, row, 5, &out->fetched_at));
	TC_GUARD(db_value_int64(r, row, 6, &out->verified_at));
	out->has_window = !PQgetisnull(r, row, 7) && !PQgetisnull(r, row, 8);
	out->not_before = out->next_update = 0;
	if (out->has_window) {
		TC_GUARD(db_value_int64(r, row, 7, &out->not_before));
		TC_GUARD(db_value_int64(r, row, 8, &out->next_update));
	}
	snprintf(out->last_error, sizeof(out->last_error), "%s", PQgetvalue(r, row, 9));
	TC_GUARD(db_value_int64(r, row, 10, &out->last_error_at));
	int64_t failures;
	TC_GUARD(db_value_int64(r, row, 11, &failures));
	out->failures = (int)failures;
	return tc_ok();
}
