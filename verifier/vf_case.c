/*
 * vf_case.c — conformance case manifests (../shared/evidence/cases/SCHEMA.md, schema 1): load one into a
 * struct vf_input + policy + verify_at, and compare an appraisal with its "expect" block.
 *
 * Role mapping: evidence/collateral/trust_anchors keys become item roles unchanged; list-valued entries
 * become "<role>.<i>" (collateral.ocsp -> "ocsp.0", ...); NVIDIA evidence.gpus[i] becomes "gpu<i>.spdm"
 * and "gpu<i>.cert_chain".
 */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf.h"

#define VF_CASE_MAX_BYTES ((size_t)256 * 1024)
#define VF_CASE_FILE_MAX ((size_t)16 * 1024 * 1024)
#define VF_ROLE_MAX 48

/* Role strings live in the case (the items borrow them). */
struct vf_case_roles {
	char names[3 * VF_MAX_ITEMS][VF_ROLE_MAX];
	size_t n;
};

/* PREFIX, or PREFIX INDEX SUFFIX when INDEX >= 0 ("gpu" 1 ".spdm" -> "gpu1.spdm"). */
static const char *role_dup(struct vf_case_roles *s, const char *prefix, int index, const char *suffix)
{
	if (!s || s->n >= 3 * VF_MAX_ITEMS)
		return NULL;
	if (index < 0)
		snprintf(s->names[s->n], VF_ROLE_MAX, "%s", prefix);
	else
		snprintf(s->names[s->n], VF_ROLE_MAX, "%s%d%s", prefix, index, suffix);
	return s->names[s->n++];
}

static TC_RESULT read_item(struct vf_case *c, const char *base, const char *role, const json_t *path,
			   struct vf_item *items, size_t *n)
{
	char full[PATH_MAX];
	const char *rel = json_string_value(path);
	struct tc_buf *b;

	TC_ENSURE(rel, TC_ERR_JSON_FIELD_INVALID, "case %s: %s must be a file path", c->name, role);
	TC_ENSURE(role, TC_ERR_TOO_LARGE, "case %s: too many roles", c->name);
	TC_ENSURE(*n < VF_MAX_ITEMS && c->n_files < sizeof(c->files) / sizeof(c->files[0]), TC_ERR_TOO_LARGE,
		  "case %s: too many files", c->name);
	TC_ENSURE(rel[0] != '/' && !strstr(rel, ".."), TC_ERR_INVALID_ARGUMENT,
		  "case %s: %s path '%s' must be relative and stay inside the data folder", c->name, role, rel);
	TC_ENSURE(snprintf(full, sizeof(full), "%s/%s", base, rel) < (int)sizeof(full), TC_ERR_TOO_LARGE,
		  "path too long");
	b = &c->files[c->n_files];
	tc_buf_init(b, VF_CASE_FILE_MAX);
	c->n_files++;
	TC_GUARD(tc_file_read(full, VF_CASE_FILE_MAX, b));
	items[*n] = (struct vf_item){ .role = role, .data = b->data, .len = b->len };
	(*n)++;
	return tc_ok();
}

static TC_RESULT read_roles(struct vf_case *c, const char *base, const json_t *obj, const char *what,
			    struct vf_item *items, size_t *n)
{
	const char *k;
	json_t *v;

	if (!obj)
		return tc_ok();
	TC_ENSURE(json_is_object(obj), TC_ERR_JSON_FIELD_INVALID, "case %s: %s must be an object", c->name, what);
	json_object_foreach((json_t *)obj, k, v) {
		if (strcmp(k, "gpus") == 0 && json_is_array(v)) {
			size_t i;
			json_t *gpu;

			json_array_foreach(v, i, gpu) {
				TC_ENSURE(json_is_object(gpu), TC_ERR_JSON_FIELD_INVALID, "case %s: gpus[%zu]", c->name, i);
				TC_GUARD(read_item(c, base, role_dup(c->roles, "gpu", (int)i, ".spdm"), json_object_get(gpu, "spdm"),
						   items, n));
				TC_GUARD(read_item(c, base, role_dup(c->roles, "gpu", (int)i, ".cert_chain"),
						   json_object_get(gpu, "cert_chain"), items, n));
			}
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;

			char prefix[VF_ROLE_MAX];

			snprintf(prefix, sizeof(prefix), "%.40s.", k);
			json_array_foreach(v, i, e)
				TC_GUARD(read_item(c, base, role_dup(c->roles, prefix, (int)i, ""), e, items, n));
		} else {
			TC_GUARD(read_item(c, base, role_dup(c->roles, k, -1, ""), v, items, n));
		}
	}
	return tc_ok();
}

TC_RESULT vf_case_load(const char *path, struct vf_case *out)
{
	struct tc_buf text;
	struct vf_case *c = out;
	char dir[PATH_MAX], base[PATH_MAX];
	const char *name, *tee, *at;
	json_t *schema;
	struct tc_result r;

	memset(c, 0, sizeof(*c));
	vf_policy_init(&c->policy);
	c->roles = calloc(1, sizeof(*c->roles));
	TC_ENSURE(c->roles, TC_ERR_NO_MEMORY, "case roles");
	tc_buf_init(&text, VF_CASE_MAX_BYTES);
	TC_GUARD_GOTO(r, tc_file_read(path, VF_CASE_MAX_BYTES, &text), fail);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)text.data, text.len, VF_CASE_MAX_BYTES, &c->manifest), fail);
	schema = json_object_get(c->manifest, "schema");
	TC_ENSURE_GOTO(r, json_is_integer(schema) && json_integer_value(schema) == 1, fail,
		       TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "%s: only case schema 1 is supported", path);
	name = json_string_value(json_object_get(c->manifest, "name"));
	tee = json_string_value(json_object_get(c->manifest, "tee"));
	at = json_string_value(json_object_get(c->manifest, "verify_at"));
	c->expect = json_object_get(c->manifest, "expect");
	TC_ENSURE_GOTO(r, name && tee && at && json_is_object(c->expect), fail, TC_ERR_JSON_FIELD_MISSING,
		       "%s: name, tee, verify_at and expect are required", path);
	snprintf(c->name, sizeof(c->name), "%s", name);
	TC_GUARD_GOTO(r, vf_tee_parse(tee, &c->input.tee), fail);
	TC_GUARD_GOTO(r, tc_time_parse(at, &c->verify_at), fail);
	TC_GUARD_GOTO(r, vf_policy_from_json(&c->policy, json_object_get(c->manifest, "policy")), fail);

	/* Paths are relative to the folder above the manifest's folder (resolved, so "x.json" works too). */
	TC_ENSURE_GOTO(r, realpath(path, dir) != NULL, fail, TC_ERR_IO, "%s: cannot resolve the path", path);
	snprintf(base, sizeof(base), "%s", dirname(dir));
	snprintf(dir, sizeof(dir), "%s", base);
	snprintf(base, sizeof(base), "%s", dirname(dir));
	TC_GUARD_GOTO(r, read_roles(c, base, json_object_get(c->manifest, "evidence"), "evidence", c->input.evidence,
				    &c->input.n_evidence), fail);
	TC_GUARD_GOTO(r, read_roles(c, base, json_object_get(c->manifest, "collateral"), "collateral",
				    c->input.collateral, &c->input.n_collateral), fail);
	TC_GUARD_GOTO(r, read_roles(c, base, json_object_get(c->manifest, "trust_anchors"), "trust_anchors",
				    c->input.anchors, &c->input.n_anchors), fail);
	tc_buf_cleanup(&text);
	return tc_ok();
fail:
	tc_buf_cleanup(&text);
	vf_case_cleanup(c);
	return r;
}

void vf_case_cleanup(struct vf_case *c)
{
	for (size_t i = 0; i < c->n_files; i++)
		tc_buf_cleanup(&c->files[i]);
	vf_policy_cleanup(&c->policy);
	json_decref(c->manifest);
	free(c->roles);
	memset(c, 0, sizeof(*c));
}

/* Append one difference to DIFF ("; "-separated). */
static void diff_add(char *diff, size_t size, const char *fmt, ...) TC_PRINTF(3, 4);
static void diff_add(char *diff, size_t size, const char *fmt, ...)
{
	size_t used = strlen(diff);
	va_list ap;

	if (used + 3 >= size)
		return;
	if (used)
		used += (size_t)snprintf(diff + used, size - used, "; ");
	va_start(ap, fmt);
	if (used < size)
		vsnprintf(diff + used, size - used, fmt, ap);
	va_end(ap);
}

static const struct vf_device *first_device(const struct vf_appraisal *a)
{
	return a->n_devices ? &a->devices[0] : NULL;
}

bool vf_case_check(const struct vf_case *c, const struct vf_appraisal *a, char *diff, size_t diff_size)
{
	const char *verdict = json_string_value(json_object_get(c->expect, "verdict"));
	const char *failure = json_string_value(json_object_get(c->expect, "failure"));
	const char *status = json_string_value(json_object_get(c->expect, "tcb_status"));
	const json_t *adv = json_object_get(c->expect, "advisory_ids");
	const json_t *claims = json_object_get(c->expect, "claims");
	const struct vf_device *d = first_device(a);
	const char *got_verdict = a->accepted ? "accepted" : "rejected";
	const char *got_failure = a->accepted ? "-" : tc_error_info(a->failure)->code;

	diff[0] = 0;
	if (!verdict || strcmp(verdict, got_verdict) != 0)
		diff_add(diff, diff_size, "verdict: expected %s, got %s (%s)", verdict ? verdict : "?", got_verdict,
			 a->detail);
	if (failure && strcmp(failure, got_failure) != 0)
		diff_add(diff, diff_size, "failure: expected %s, got %s (%s)", failure, got_failure, a->detail);
	if (status) {
		const char *got = d && d->has_tcb_status ? vf_tcb_status_name(d->tcb_status) : "null";

		if (strcmp(status, got) != 0)
			diff_add(diff, diff_size, "tcb_status: expected %s, got %s", status, got);
	}
	if (adv) {
		bool same = d && json_array_size(adv) == json_array_size(d->advisory_ids);
		size_t i;
		json_t *e;

		/* Order does not matter: every expected id must be reported, and no other. */
		json_array_foreach(adv, i, e) {
			bool found = false;
			size_t k;
			json_t *g;

			if (!same)
				break;
			json_array_foreach(d->advisory_ids, k, g)
				found = found || json_equal(e, g);
			same = found;
		}
		if (!same) {
			char *want = json_dumps(adv, JSON_COMPACT);
			char *got = d ? json_dumps(d->advisory_ids, JSON_COMPACT) : NULL;

			diff_add(diff, diff_size, "advisory_ids: expected %s, got %s", want ? want : "?",
				 got ? got : "none");
			free(want);
			free(got);
		}
	}
	if (json_is_object(claims)) {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)claims, k, v) {
			const char *want = json_string_value(v);
			const char *got = d ? json_string_value(json_object_get(d->claims, k)) : NULL;

			if (!want || !got || strcmp(want, got) != 0)
				diff_add(diff, diff_size, "claim %s: expected %s, got %s", k, want ? want : "?",
					 got ? got : "(missing)");
		}
	}
	return diff[0] == 0;
}
