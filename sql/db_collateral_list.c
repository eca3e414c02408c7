/*
 * db_collateral_list.c — metadata of every cached collateral item (teecert collateral status / export).
 */
#include "db_internal.h"

#include <stdlib.h>

static const struct db_stmt stmt = {
	.name = "collateral_list",
	.sql = "SELECT " DB_COLL_ITEM_COLUMNS " FROM collateral_items ORDER BY vendor, kind, item_key",
	.nparams = 0,
};

TC_RESULT db_collateral_list(struct db_conn *conn, struct db_collateral_item **out, size_t *n)
{
	TC_ENSURE(conn != NULL && out != NULL && n != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_collateral_list: missing argument");
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	struct tc_result r = tc_ok();
	size_t rows = (size_t)PQntuples(res);
	struct db_collateral_item *items = calloc(rows > 0 ? rows : 1, sizeof(*items));
	TC_ENSURE_GOTO(r, items != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < rows; i++) {
		db_collateral_item_init(&items[i]);
		TC_GUARD_GOTO(r, db_collateral_item_read(res, (int)i, &items[i]), out);
	}
	*out = items;
	*n = rows;
	items = NULL;
out:
	if (items != NULL) {
		for (size_t i = 0; i < rows; i++)
			db_collateral_item_cleanup(&items[i]);
		free(items);
	}
	PQclear(res);
	return r;
}
