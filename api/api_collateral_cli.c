/*
 * api_collateral_cli.c — the collateral service options of `teecert-ca serve` and `teecert-verifier serve`
 * (docs/collateral.md "In the services"): one table for both, so the two services cannot drift apart.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

static const struct {
	const char *name;
	size_t offset;
	const char *help;
} api_coll_cli_opts[] = {
	{ "--intel-sgx-base", offsetof(struct api_coll_cli, intel_sgx_base),
	  "Intel PCS v4 / PCCS .../sgx/certification/v4" },
	{ "--intel-tdx-base", offsetof(struct api_coll_cli, intel_tdx_base),
	  "Intel PCS v4 / PCCS .../tdx/certification/v4" },
	{ "--intel-root-crl", offsetof(struct api_coll_cli, intel_root_crl), "URL of the Intel SGX Root CA CRL" },
	{ "--intel-update", offsetof(struct api_coll_cli, intel_update), "standard (default) or early" },
	{ "--amd-kds", offsetof(struct api_coll_cli, amd_kds), "AMD KDS base URL" },
	{ "--nvidia-rim", offsetof(struct api_coll_cli, nvidia_rim), "NVIDIA RIM service base URL" },
	{ "--nvidia-ocsp", offsetof(struct api_coll_cli, nvidia_ocsp), "NVIDIA OCSP responder URL" },
};
#define API_COLL_CLI_N (sizeof(api_coll_cli_opts) / sizeof(api_coll_cli_opts[0]))
#define API_COLL_CLI_OFFLINE "--collateral-offline"
#define API_COLL_CLI_SNP_PRODUCT "--snp-product"

bool api_coll_cli_take(int argc, char **argv, int *i, struct api_coll_cli *o, bool *missing)
{
	const char *arg = argv[*i];

	if (strcmp(arg, API_COLL_CLI_OFFLINE) == 0) {
		o->offline = true;
		return true;
	}
	for (size_t k = 0; k <= API_COLL_CLI_N; k++) {
		const char *name = k < API_COLL_CLI_N ? api_coll_cli_opts[k].name : API_COLL_CLI_SNP_PRODUCT;
		size_t n = strlen(name);
		const char **slot =
			k < API_COLL_CLI_N ? (const char **)((char *)o + api_coll_cli_opts[k].offset) : &o->snp_product;

		if (strncmp(arg, name, n) != 0 || (arg[n] != 0 && arg[n] != '='))
			continue;
		if (arg[n] == '=') {
			*slot = arg + n + 1;
		} else if (*i + 1 < argc) {
			*slot = argv[++*i];
		} else {
			*missing = true;
		}
		return true;
	}
	return false;
}

void api_coll_cli_usage(FILE *f)
{
	fprintf(f, "vendor collateral (docs/collateral.md; both services, items cached in the database):\n");
	for (size_t k = 0; k < API_COLL_CLI_N; k++)
		fprintf(f, "  %-18s URL  %s\n", api_coll_cli_opts[k].name, api_coll_cli_opts[k].help);
	fprintf(f, "  %-18s P    Milan|Genoa|Turin: product line of SNP reports that name none (v2 without VCEK)\n",
		API_COLL_CLI_SNP_PRODUCT);
	fprintf(f, "  %-23s cache only: never fetch from the vendors (air-gapped; items come from import)\n",
		API_COLL_CLI_OFFLINE);
}

TC_RESULT api_coll_cli_open(const struct api_coll_cli *o, const char *dsn, const struct vf_item *anchors,
			    size_t n_anchors, struct api_collateral **out)
{
	struct api_collateral_config cfg;
	struct api_collateral *c = NULL;

	api_collateral_config_init(&cfg);
	cfg.dsn = dsn;
	cfg.offline = o->offline;
	cfg.anchors = anchors;
	cfg.n_anchors = n_anchors;
	if (o->intel_sgx_base)
		cfg.intel_sgx_base = o->intel_sgx_base;
	if (o->intel_tdx_base)
		cfg.intel_tdx_base = o->intel_tdx_base;
	if (o->intel_root_crl)
		cfg.intel_root_crl_url = o->intel_root_crl;
	if (o->intel_update)
		cfg.intel_update = o->intel_update;
	if (o->amd_kds)
		cfg.amd_kds_base = o->amd_kds;
	if (o->nvidia_rim)
		cfg.nvidia_rim_base = o->nvidia_rim;
	if (o->nvidia_ocsp)
		cfg.nvidia_ocsp_url = o->nvidia_ocsp;
	cfg.snp_product = o->snp_product;
	TC_GUARD(api_collateral_new(&cfg, &c));
	struct tc_result r = api_collateral_store_anchors(c);
	if (tc_is_ok(r) && !o->offline)
		r = api_collateral_refresher_start(c);
	if (!tc_is_ok(r)) {
		api_collateral_free(&c);
		return r;
	}
	*out = c;
	return tc_ok();
}

/* ------------------------------------------------------------------------------------- serve set-up */

struct api_coll_serve {
	struct api_collateral *svc;
	struct api_ca_inputs anchors; /* the verifier's --trust-anchor files (the CA's live in the CA) */
};

void api_coll_serve_free(struct api_coll_serve **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	api_collateral_free(&(*sp)->svc);
	api_ca_inputs_cleanup(&(*sp)->anchors);
	free(*sp);
	*sp = NULL;
}

struct api_collateral *api_coll_serve_service(struct api_coll_serve *s)
{
	return s != NULL ? s->svc : NULL;
}

int api_coll_serve_open(const char *prog, const struct api_coll_cli *o, const char *dsn, struct api_ca *ca,
			const char *const *dirs, size_t n_dirs, const char *const *anchor_args, size_t n_anchor_args,
			struct api_coll_serve **out)
{
	struct api_coll_serve *s = calloc(1, sizeof(*s));
	const struct vf_item *anchors = NULL;
	size_t n_anchors = 0, imported = 0, rejected = 0;
	struct tc_result r = tc_ok();

	if (s == NULL) {
		fprintf(stderr, "%s serve: out of memory\n", prog);
		return API_CLI_EXIT_INTERNAL;
	}
	api_ca_inputs_init(&s->anchors);
	if (ca != NULL) {
		anchors = ca->inputs.anchors;
		n_anchors = ca->inputs.n_anchors;
	} else {
		for (size_t i = 0; tc_is_ok(r) && i < n_anchor_args; i++)
			r = api_ca_inputs_anchor(&s->anchors, anchor_args[i]);
		anchors = s->anchors.anchors;
		n_anchors = s->anchors.n_anchors;
	}
	if (tc_is_ok(r))
		r = api_coll_cli_open(o, dsn, anchors, n_anchors, &s->svc);
	if (tc_is_ok(r) && ca != NULL) {
		r = api_ca_collateral_start(ca, s->svc, dirs, n_dirs, &imported, &rejected);
	} else if (tc_is_ok(r)) {
		for (size_t i = 0; tc_is_ok(r) && i < n_dirs; i++) {
			size_t ok = 0, bad = 0;
			r = api_collateral_import_dir(s->svc, dirs[i], &ok, &bad);
			imported += ok;
			rejected += bad;
		}
	}
	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s serve: collateral service (%s): %s\n", prog, tc_error_info(r.code)->code,
			tc_error_detail());
		api_coll_serve_free(&s);
		return API_CLI_EXIT_INTERNAL;
	}
	if (n_dirs > 0)
		fprintf(stderr,
			"%s serve: collateral: %zu item(s) imported into the store, %zu refused (see the log)\n", prog,
			imported, rejected);
	*out = s;
	return API_CLI_EXIT_OK;
}
