/*
 * db_collateral_put.c — insert or replace one verified collateral item (collateral_items, migration 0004)
 * and keep its bytes and issuer chain in the append-only collateral_history (migration 0006) by SHA-256, so
 * an appraisal that used this version can be replayed after the item was refreshed. A successful write is a
 * successful fetch: the failure counter and last error are cleared.
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "collateral_put",
	/* The history rows (migration 0006) are written by the same statement: one atomic unit. */
	.sql = "WITH h_raw AS (INSERT INTO collateral_history (sha256, vendor, kind, item_key, data, first_stored)"
	       " VALUES ($7, $1, $2, $3, $4, to_timestamp($8::bigint)) ON CONFLICT (sha256) DO NOTHING),"
	       " h_chain AS (INSERT INTO collateral_history (sha256, vendor, kind, item_key, data, first_stored)"
	       " SELECT sha256($5::bytea), $1, $2 || '_issuer_chain', $3, $5::bytea, to_timestamp($8::bigint)"
	       " WHERE $5::bytea IS NOT NULL ON CONFLICT (sha256) DO NOTHING)"
	       " INSERT INTO collateral_items (vendor, kind, item_key, raw, issuer_chain, source_url, sha256,"
	       " fetched_at, verified_at, not_before, next_update, last_error, last_error_at, failures)"
	       " VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::bigint), to_timestamp($9::bigint),"
	       " to_timestamp($10::bigint), to_timestamp($11::bigint), NULL, NULL, 0)"
	       " ON CONFLICT (vendor, kind, item_key) DO UPDATE SET raw = EXCLUDED.raw,"
	       " issuer_chain = EXCLUDED.issuer_chain, source_url = EXCLUDED.source_url, sha256 = EXCLUDED.sha256,"
	       " fetched_at = EXCLUDED.fetched_at, verified_at = EXCLUDED.verified_at,"
	       " not_before = EXCLUDED.not_before, next_update = EXCLUDED.next_update,"
	       " last_error = NULL, last_error_at = NULL, failures = 0",
	.nparams = 11,
};

TC_RESULT db_collateral_put(struct db_conn *conn, const struct db_collateral_item *it)
{
	TC_ENSURE(conn != NULL && it != NULL && it->raw.len > 0, TC_ERR_INVALID_ARGUMENT,
		  "db_collateral_put: missing argument");
	char fetched[24], verified[24], nb[24], nu[24];
	snprintf(fetched, sizeof(fetched), "%" PRId64, it->fetched_at);
	snprintf(verified, sizeof(verified), "%" PRId64, it->verified_at);
	snprintf(nb, sizeof(nb), "%" PRId64, it->not_before);
	snprintf(nu, sizeof(nu), "%" PRId64, it->next_update);
	struct db_param params[] = {
		DB_PARAM_TEXT(it->vendor),
		DB_PARAM_TEXT(it->kind),
		DB_PARAM_TEXT(it->key),
		DB_PARAM_BYTES(it->raw.data, it->raw.len),
		it->issuer_chain.len > 0 ? DB_PARAM_BYTES(it->issuer_chain.data, it->issuer_chain.len)
					 : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(it->source_url),
		DB_PARAM_BYTES(it->sha256, DB_COLL_HASH_LEN),
		DB_PARAM_TEXT(fetched),
		DB_PARAM_TEXT(verified),
		it->has_window ? DB_PARAM_TEXT(nb) : DB_PARAM_TEXT(NULL),
		it->has_window ? DB_PARAM_TEXT(nu) : DB_PARAM_TEXT(NULL),
	};
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
