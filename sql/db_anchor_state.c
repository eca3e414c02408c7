/*
 * db_anchor_state.c — names of the anchor_txs states (migration 0003, docs/anchor.md "State machine").
 * No query: the text form is what the state column holds.
 */
#include "db_internal.h"

#include <string.h>

static const char *const names[DB_ANCHOR_STATE_COUNT] = {
	[DB_ANCHOR_PLANNED] = "planned", [DB_ANCHOR_SIGNED] = "signed",       [DB_ANCHOR_BROADCAST] = "broadcast",
	[DB_ANCHOR_MINED] = "mined",     [DB_ANCHOR_CONFIRMED] = "confirmed", [DB_ANCHOR_REPLACED] = "replaced",
	[DB_ANCHOR_DROPPED] = "dropped", [DB_ANCHOR_REVERTED] = "reverted",
};

const char *db_anchor_state_name(enum db_anchor_state s)
{
	return (unsigned)s < DB_ANCHOR_STATE_COUNT ? names[s] : "unknown";
}

TC_RESULT db_anchor_state_parse(const char *s, enum db_anchor_state *out)
{
	for (int i = 0; i < DB_ANCHOR_STATE_COUNT; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum db_anchor_state)i;
			return tc_ok();
		}
	}
	return tc_fail(TC_ERR_DB_QUERY, "unknown anchor state '%s'", s);
}
