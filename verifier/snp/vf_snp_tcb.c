/*
 * vf_snp_tcb.c — the derived SEV-SNP TCB status (docs/snp.md "TCB status").
 *
 * AMD publishes no signed TCB-status collateral for SNP (unlike Intel's TCB info), so teecert derives one
 * from verifier/snp/snp_tcb_table.json, embedded into the library at build time (vf_snp_embed.cmake). Each
 * product line has dated rows from AMD security bulletins; at time NOW the newest row published on or
 * before NOW applies, so replaying a past appraisal gives the same status after the table grows.
 *   REPORTED_TCB >= latest  -> UpToDate
 *   >= minimum only         -> OutOfDate
 *   below minimum           -> rejected (tcb_status_rejected, status OutOfDate)
 * Components compare one by one ([ABI] TCB_VERSION: a TCB is only "at least" another when every SPL is).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vf_snp.h"

#define VF_SNP_TABLE_MAX_PRODUCTS 8
#define VF_SNP_TABLE_MAX_ROWS 16
#define VF_SNP_TABLE_MAX_MODELS 8
#define VF_SNP_TABLE_MAX_BYTES ((size_t)256 * 1024)
#define VF_SNP_UCODE_NOT_JUDGED (-1)

struct model_ucode {
	int model;
	int latest, minimum; /* VF_SNP_UCODE_NOT_JUDGED: microcode not compared */
};

struct row {
	char bulletin[64];
	int64_t published;
	struct vf_snp_tcb latest, minimum;
	struct model_ucode models[VF_SNP_TABLE_MAX_MODELS];
	size_t n_models;
};

struct product {
	char name[16];
	struct row rows[VF_SNP_TABLE_MAX_ROWS];
	size_t n_rows;
};

struct table {
	struct product products[VF_SNP_TABLE_MAX_PRODUCTS];
	size_t n_products;
};

const char *vf_snp_tcb_table_json(void)
{
	return vf_snp_tcb_table_data;
}

static TC_RESULT parse_tcb(const json_t *o, const char *where, struct vf_snp_tcb *out)
{
	static const char *const names[] = { "bootloader", "tee", "snp", "microcode", "fmc" };
	uint8_t *fields[] = { &out->bootloader, &out->tee, &out->snp, &out->microcode, &out->fmc };

	memset(out, 0, sizeof(*out));
	TC_ENSURE(json_is_object(o), TC_ERR_INTERNAL, "TCB table: %s must be an object", where);
	for (size_t i = 0; i < 5; i++) {
		json_t *v = json_object_get(o, names[i]);

		if (!v && i == 4)
			continue; /* fmc is Turin-only */
		TC_ENSURE(json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255,
			  TC_ERR_INTERNAL, "TCB table: %s.%s must be an integer 0..255", where, names[i]);
		*fields[i] = (uint8_t)json_integer_value(v);
	}
	return tc_ok();
}

static TC_RESULT parse_models(const json_t *o, const struct row *base, struct row *out)
{
	const char *k;
	json_t *v;

	if (!o)
		return tc_ok();
	TC_ENSURE(json_is_object(o), TC_ERR_INTERNAL, "TCB table: microcode_by_cpuid_model must be an object");
	json_object_foreach((json_t *)o, k, v) {
		struct model_ucode *m;
		unsigned long model;
		char *end = NULL;

		TC_ENSURE(out->n_models < VF_SNP_TABLE_MAX_MODELS, TC_ERR_INTERNAL, "TCB table: too many models");
		model = strtoul(k, &end, 16);
		TC_ENSURE(end && *end == 0 && model <= 0xff, TC_ERR_INTERNAL, "TCB table: bad CPUID model '%s'", k);
		m = &out->models[out->n_models++];
		m->model = (int)model;
		if (json_is_null(v)) {
			m->latest = m->minimum = VF_SNP_UCODE_NOT_JUDGED;
			continue;
		}
		TC_ENSURE(json_is_object(v), TC_ERR_INTERNAL, "TCB table: model %s must be null or an object", k);
		m->latest = (int)json_integer_value(json_object_get(v, "latest"));
		m->minimum = json_object_get(v, "minimum") ? (int)json_integer_value(json_object_get(v, "minimum")) :
							     base->minimum.microcode;
	}
	return tc_ok();
}

static TC_RESULT parse_row(const json_t *o, const char *product, struct row *out)
{
	const char *bulletin = json_string_value(json_object_get(o, "bulletin"));
	const char *published = json_string_value(json_object_get(o, "published"));

	memset(out, 0, sizeof(*out));
	TC_ENSURE(bulletin && published, TC_ERR_INTERNAL, "TCB table: a %s row lacks bulletin/published", product);
	snprintf(out->bulletin, sizeof(out->bulletin), "%s", bulletin);
	TC_GUARD(tc_time_parse(published, &out->published));
	TC_GUARD(parse_tcb(json_object_get(o, "latest"), "latest", &out->latest));
	TC_GUARD(parse_tcb(json_object_get(o, "minimum"), "minimum", &out->minimum));
	TC_ENSURE(vf_snp_tcb_ge(&out->latest, &out->minimum, VF_SNP_TCB_TURIN), TC_ERR_INTERNAL,
		  "TCB table: %s %s has minimum above latest", product, bulletin);
	return parse_models(json_object_get(o, "microcode_by_cpuid_model"), out, out);
}

static TC_RESULT table_parse(const char *text, struct table *out)
{
	json_t *doc = NULL, *products, *rows;
	const char *name;
	struct tc_result r = tc_ok();

	memset(out, 0, sizeof(*out));
	TC_GUARD(tc_json_parse(text, strlen(text), VF_SNP_TABLE_MAX_BYTES, &doc));
	products = json_object_get(doc, "products");
	TC_ENSURE_GOTO(r, json_integer_value(json_object_get(doc, "schema")) == 1 && json_is_object(products), out,
		       TC_ERR_INTERNAL, "TCB table: expected schema 1 with a products object");
	json_object_foreach(products, name, rows) {
		struct product *p;
		size_t i;
		json_t *row;

		TC_ENSURE_GOTO(r,
			       out->n_products < VF_SNP_TABLE_MAX_PRODUCTS && json_is_array(rows) &&
				       json_array_size(rows) > 0 && json_array_size(rows) <= VF_SNP_TABLE_MAX_ROWS,
			       out, TC_ERR_INTERNAL, "TCB table: product %s needs 1..%d rows", name,
			       VF_SNP_TABLE_MAX_ROWS);
		p = &out->products[out->n_products++];
		snprintf(p->name, sizeof(p->name), "%s", name);
		json_array_foreach(rows, i, row) {
			TC_GUARD_GOTO(r, parse_row(row, name, &p->rows[i]), out);
			TC_ENSURE_GOTO(r, i == 0 || p->rows[i].published > p->rows[i - 1].published, out,
				       TC_ERR_INTERNAL, "TCB table: %s rows must be in publication order", name);
		}
		p->n_rows = json_array_size(rows);
	}
out:
	json_decref(doc);
	return r;
}

/* The built-in table, parsed once. */
static struct table builtin;
static struct tc_result builtin_result;
static char builtin_detail[TC_DETAIL_MAX];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static const char *table_override;

void vf_snp_tcb_table_override(const char *table_json)
{
	table_override = table_json;
}

static void builtin_load(void)
{
	builtin_result = table_parse(vf_snp_tcb_table_data, &builtin);
	snprintf(builtin_detail, sizeof(builtin_detail), "%s", tc_is_ok(builtin_result) ? "" : tc_error_detail());
}

static TC_RESULT evaluate(const struct table *t, const char *product, int cpuid_model, const struct vf_snp_tcb *tcb,
			  enum vf_snp_tcb_layout layout, int64_t now, struct vf_snp_tcb_verdict *out)
{
	const struct product *p = NULL;
	const struct row *row;
	struct vf_snp_tcb latest, minimum, mine = *tcb;

	for (size_t i = 0; i < t->n_products && !p; i++)
		if (strcmp(t->products[i].name, product) == 0)
			p = &t->products[i];
	TC_ENSURE(p, TC_ERR_TCB_LEVEL_NOT_FOUND, "the SNP TCB table has no product line '%s'", product);
	row = &p->rows[0];
	for (size_t i = 1; i < p->n_rows; i++)
		if (p->rows[i].published <= now)
			row = &p->rows[i];
	latest = row->latest;
	minimum = row->minimum;
	for (size_t i = 0; cpuid_model >= 0 && i < row->n_models; i++) {
		if (row->models[i].model != cpuid_model)
			continue;
		if (row->models[i].latest == VF_SNP_UCODE_NOT_JUDGED) {
			latest.microcode = minimum.microcode = 0;
			mine.microcode = 0;
		} else {
			latest.microcode = (uint8_t)row->models[i].latest;
			minimum.microcode = (uint8_t)row->models[i].minimum;
		}
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->bulletin, sizeof(out->bulletin), "%s", row->bulletin);
	out->latest = latest;
	out->minimum = minimum;
	out->below_minimum = !vf_snp_tcb_ge(&mine, &minimum, layout);
	out->status = vf_snp_tcb_ge(&mine, &latest, layout) ? VF_TCB_UP_TO_DATE : VF_TCB_OUT_OF_DATE;
	return tc_ok();
}

TC_RESULT vf_snp_tcb_evaluate(const char *table_json, const char *product, int cpuid_model,
			      const struct vf_snp_tcb *tcb, enum vf_snp_tcb_layout layout, int64_t now,
			      struct vf_snp_tcb_verdict *out)
{
	struct table *t;
	struct tc_result r;

	if (!table_json)
		table_json = table_override;
	if (!table_json) {
		pthread_once(&builtin_once, builtin_load);
		TC_ENSURE(tc_is_ok(builtin_result), TC_ERR_INTERNAL, "built-in SNP TCB table: %s", builtin_detail);
		return evaluate(&builtin, product, cpuid_model, tcb, layout, now, out);
	}
	t = calloc(1, sizeof(*t));
	TC_ENSURE(t, TC_ERR_NO_MEMORY, "TCB table");
	r = table_parse(table_json, t);
	if (tc_is_ok(r))
		r = evaluate(t, product, cpuid_model, tcb, layout, now, out);
	free(t);
	return r;
}
