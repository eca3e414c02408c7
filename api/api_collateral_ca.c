/*
 * api_collateral_ca.c — the CA's side of the collateral service (docs/collateral.md "In the services"):
 * `teecert-ca serve` imports its --collateral folders into the store at start-up (verified with the CA's
 * trust anchors) and keeps its anchors and policy for replay; every appraisal then gets its collateral
 * through api_ca_collateral_fill, from the service. `teecert-ca init` appraises the root's own evidence the
 * same way (api_ca_self_collateral: folder imported, cache-only service, policy and anchors kept), so that
 * `teecert replay` can replay a root certificate too; a sub-CA's enrollment is appraised by its serving parent.
 */
#include <stdio.h>
#include <string.h>

#include "api_collateral_http.h"
#include "api_internal.h"

void api_coll_hold_init(struct api_coll_hold *h)
{
	memset(h, 0, sizeof(*h));
}

void api_coll_hold_cleanup(struct api_coll_hold *h)
{
	for (size_t i = 0; i < h->n; i++)
		tc_buf_cleanup(&h->bufs[i]);
	h->n = 0;
}

TC_RESULT api_ca_collateral_fill(const struct api_ca *ca, struct vf_input *in, struct api_coll_hold *hold)
{
	TC_ENSURE(ca != NULL && in != NULL && hold != NULL, TC_ERR_INVALID_ARGUMENT,
		  "api_ca_collateral_fill: missing argument");
	TC_ENSURE(in->n_anchors + ca->inputs.n_anchors <= VF_MAX_ITEMS, TC_ERR_TOO_LARGE, "too many trust anchors");
	memcpy(in->anchors + in->n_anchors, ca->inputs.anchors, ca->inputs.n_anchors * sizeof(in->anchors[0]));
	in->n_anchors += ca->inputs.n_anchors;
	if (ca->collateral != NULL)
		return api_collateral_resolve(ca->collateral, in, hold);
	/* init / enroll: the folder items read at start (borrowed from the CA). */
	TC_ENSURE(in->n_collateral + ca->inputs.n_collateral <= VF_MAX_ITEMS, TC_ERR_TOO_LARGE,
		  "too many collateral items");
	memcpy(in->collateral + in->n_collateral, ca->inputs.collateral,
	       ca->inputs.n_collateral * sizeof(in->collateral[0]));
	in->n_collateral += ca->inputs.n_collateral;
	return tc_ok();
}

/* The CA's base policy by its digest (per request only the expected report data / nonce are added). */
static TC_RESULT api_ca_policy_store(const struct vf_policy *policy, struct db_conn *conn)
{
	json_t *j = NULL;
	struct tc_buf canon;
	uint8_t digest[32];
	struct tc_result r;

	tc_buf_init(&canon, DB_POLICY_MAX);
	TC_GUARD_GOTO(r, vf_policy_to_json(policy, &j), out);
	TC_GUARD_GOTO(r, tc_json_canonical(j, &canon), out);
	TC_GUARD_GOTO(r, vf_policy_digest(policy, digest), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&canon, 0), out);
	r = db_policy_put(conn, digest, (const char *)canon.data);
out:
	json_decref(j);
	tc_buf_cleanup(&canon);
	return r;
}

TC_RESULT api_ca_collateral_start(struct api_ca *ca, struct api_collateral *coll, const char *const *dirs,
				  size_t n_dirs, size_t *imported, size_t *rejected)
{
	TC_ENSURE(ca != NULL && coll != NULL && imported != NULL && rejected != NULL, TC_ERR_INVALID_ARGUMENT,
		  "api_ca_collateral_start: missing argument");
	struct db_conn *conn = NULL;
	struct tc_result r;

	*imported = *rejected = 0;
	for (size_t i = 0; i < n_dirs; i++) {
		size_t ok = 0, bad = 0;
		TC_GUARD(api_collateral_import_dir(coll, dirs[i], &ok, &bad));
		*imported += ok;
		*rejected += bad;
	}
	api_collateral_cache_clear(coll);
	TC_GUARD(api_collateral_db_conn(coll, &conn));
	r = api_ca_policy_store(&ca->inputs.policy, conn);
	api_collateral_db_release(coll, conn);
	TC_GUARD(r);
	ca->collateral = coll;
	return tc_ok();
}

TC_RESULT api_ca_self_collateral(const char *dsn, const struct api_ca_inputs *in, const struct vf_policy *base,
				 const char *const *dirs, size_t n_dirs, struct vf_input *input,
				 struct api_coll_hold *hold, size_t *imported, size_t *rejected)
{
	TC_ENSURE(dsn != NULL && in != NULL && base != NULL && input != NULL && hold != NULL && imported != NULL &&
			  rejected != NULL,
		  TC_ERR_INVALID_ARGUMENT, "api_ca_self_collateral: missing argument");
	struct api_collateral_config cfg;
	struct api_collateral *svc = NULL;
	struct db_conn *conn = NULL;
	struct tc_result r;

	*imported = *rejected = 0;
	api_collateral_config_init(&cfg);
	cfg.dsn = dsn;
	cfg.offline = true; /* the CA's bootstrap fetches nothing: the folder and what the store holds */
	cfg.anchors = in->anchors;
	cfg.n_anchors = in->n_anchors;
	TC_GUARD(api_collateral_new(&cfg, &svc));
	TC_GUARD_GOTO(r, api_collateral_store_anchors(svc), out);
	for (size_t i = 0; i < n_dirs; i++) {
		size_t ok = 0, bad = 0;
		TC_GUARD_GOTO(r, api_collateral_import_dir(svc, dirs[i], &ok, &bad), out);
		*imported += ok;
		*rejected += bad;
	}
	TC_GUARD_GOTO(r, api_collateral_db_conn(svc, &conn), out);
	r = api_ca_policy_store(base, conn);
	api_collateral_db_release(svc, conn);
	if (!tc_is_ok(r))
		goto out;
	TC_ENSURE_GOTO(r, input->n_anchors + in->n_anchors <= VF_MAX_ITEMS, out, TC_ERR_TOO_LARGE,
		       "too many trust anchors");
	memcpy(input->anchors + input->n_anchors, in->anchors, in->n_anchors * sizeof(input->anchors[0]));
	input->n_anchors += in->n_anchors;
	r = api_collateral_resolve(svc, input, hold);
out:
	api_collateral_free(&svc);
	return r;
}

TC_RESULT api_ca_appraisal_insert(struct db_conn *conn, const uint8_t *serial, size_t serial_len,
				  const char *appraisal_json, const struct vf_appraisal *a,
				  const struct vf_item *evidence, size_t n_evidence)
{
	TC_ENSURE(a != NULL && evidence != NULL && n_evidence > 0, TC_ERR_INVALID_ARGUMENT,
		  "api_ca_appraisal_insert: missing argument");
	if (n_evidence == 1)
		return db_cert_appraisal_insert(conn, serial, serial_len, appraisal_json, a->policy_digest,
						a->evidence_digest, evidence[0].role, evidence[0].data,
						evidence[0].len);
	struct tc_buf cmw;
	tc_buf_init(&cmw, (size_t)16 * 1024 * 1024);
	struct tc_result r = ca_ext_evidence_encode(evidence, n_evidence, &cmw);
	if (tc_is_ok(r))
		r = db_cert_appraisal_insert(conn, serial, serial_len, appraisal_json, a->policy_digest,
					     a->evidence_digest, "cmw", cmw.data, cmw.len);
	tc_buf_cleanup(&cmw);
	return r;
}
