/*
 * db_collateral_item.c — lifetime of struct db_collateral_item (no query; the queries are db_collateral_*.c).
 */
#include "db_internal.h"

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
