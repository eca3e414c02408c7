/*
 * api_collateral_dir.c — offline / air-gapped collateral (docs/collateral.md): import a folder of role-named
 * files (the role names of ../shared/evidence/cases/README.md), export the cache as such a folder.
 *
 * Layout written by export and read by import (import also takes any folder tree with the role files):
 *   DIR/<vendor>/<kind>/<key with '/' as '_'>/<role file> [+ <role>_issuer_chain.pem] [+ key]
 * `key` holds the item key when it cannot be derived from the content (NVIDIA RIM ids). Every imported
 * item is verified exactly as a fetched one (api_collateral_put); a folder with a bad item is reported and
 * skipped, never stored.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api_collateral_http.h"

#define API_COLL_PATH_MAX 4096
#define API_COLL_DIR_DEPTH 8

struct api_coll_role {
	enum vf_coll_kind kind;
	const char *file;  /* role file name */
	const char *chain; /* issuer chain file, or NULL */
	const char *alt;   /* another accepted file name, or NULL */
};

/* Import order: the AMD chains first (VCEKs are verified with them). */
static const struct api_coll_role api_coll_roles[] = {
	{ VF_COLL_ARK_ASK_CHAIN, "ark_ask_chain.pem", NULL, NULL },
	{ VF_COLL_ASVK_CHAIN, "asvk_chain.pem", NULL, NULL },
	{ VF_COLL_ROOT_CA_CRL, "root_ca_crl.der", NULL, NULL },
	{ VF_COLL_PCK_CRL, "pck_crl.der", "pck_crl_issuer_chain.pem", NULL },
	{ VF_COLL_TCB_INFO, "tcb_info.json", "tcb_info_issuer_chain.pem", NULL },
	{ VF_COLL_QE_IDENTITY, "qe_identity.json", "qe_identity_issuer_chain.pem", NULL },
	{ VF_COLL_AMD_CRL, "amd_crl.der", NULL, NULL },
	{ VF_COLL_VCEK, "vcek.der", "ark_ask_chain.pem", "vcek.pem" },
	{ VF_COLL_RIM, "driver_rim.xml", NULL, "rim.xml" },
	{ VF_COLL_RIM, "vbios_rim.xml", NULL, NULL },
	{ VF_COLL_OCSP, "ocsp.der", "ocsp_chain.pem", NULL },
};
#define API_COLL_N_ROLES (sizeof(api_coll_roles) / sizeof(api_coll_roles[0]))

/* DIR/NAME into OUT (API_COLL_PATH_MAX bytes). */
static TC_RESULT api_coll_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, API_COLL_PATH_MAX, "%s/%s", dir, name);
	TC_ENSURE(n > 0 && n < API_COLL_PATH_MAX, TC_ERR_INVALID_ARGUMENT, "path too long: %s/%s", dir, name);
	return tc_ok();
}

static bool api_coll_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static TC_RESULT api_coll_read(const char *dir, const char *name, struct tc_buf *out)
{
	char path[API_COLL_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	TC_ENSURE(n > 0 && (size_t)n < sizeof(path), TC_ERR_INVALID_ARGUMENT, "path too long");
	return tc_file_read(path, DB_COLL_RAW_MAX, out);
}

/*
 * The id of a VBIOS RIM imported without a `key` file. The RIM names its version but not the board's
 * project/SKU that nvtrust's id NV_GPU_VBIOS_<project>_<sku>_<chip sku>_<VERSION> holds, so it is stored
 * under the version-only id NV_GPU_VBIOS_<VERSION> (no dots, upper case), which api_collateral_resolve
 * falls back to. The RIM is verified here to learn its version (and again by the put).
 */
static TC_RESULT api_coll_vbios_key(struct api_collateral *c, const struct tc_buf *raw, char *out, size_t size)
{
	struct tc_buf xml;
	struct vf_coll_check chk;
	struct tc_result r;

	tc_buf_init(&xml, DB_COLL_RAW_MAX);
	TC_GUARD_GOTO(r, vf_collateral_normalize(VF_COLL_RIM, raw->data, raw->len, &xml), out);
	TC_GUARD_GOTO(r, api_coll_verify(c, VF_COLL_RIM, xml.data, xml.len, NULL, 0, NULL, api_collateral_now(c), &chk),
		      out);
	const char *v = strrchr(chk.key, '_');
	TC_ENSURE_GOTO(r, v != NULL && v[1] != 0, out, TC_ERR_RIM_SIGNATURE_INVALID, "VBIOS RIM without a version");
	size_t k = (size_t)snprintf(out, size, "NV_GPU_VBIOS_");
	for (v++; *v && k + 1 < size; v++)
		if (*v != '.')
			out[k++] = (char)toupper((unsigned char)*v);
	out[k] = 0;
out:
	tc_buf_cleanup(&xml);
	return r;
}

/* Import one role file of DIR; true in *DONE when the file was there. */
static TC_RESULT api_coll_import_role(struct api_collateral *c, const char *dir, const struct api_coll_role *role,
				      bool pass_chains, size_t *imported, size_t *rejected)
{
	bool is_chain_kind = role->kind == VF_COLL_ARK_ASK_CHAIN || role->kind == VF_COLL_ASVK_CHAIN;
	if (is_chain_kind != pass_chains)
		return tc_ok();
	char path[API_COLL_PATH_MAX];
	const char *file = role->file;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!api_coll_exists(path) && role->alt != NULL) {
		file = role->alt;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
	}
	if (!api_coll_exists(path))
		return tc_ok();

	struct tc_buf raw, chain, keyb;
	tc_buf_init(&raw, DB_COLL_RAW_MAX);
	tc_buf_init(&chain, DB_COLL_CHAIN_MAX);
	tc_buf_init(&keyb, DB_COLL_KEY_MAX);
	char source[DB_COLL_URL_MAX], key[VF_COLL_KEY_MAX] = "";
	const char *want = NULL;
	struct tc_result r;
	TC_ENSURE_GOTO(r, snprintf(source, sizeof(source), "import:%s", path) < (int)sizeof(source), out,
		       TC_ERR_INVALID_ARGUMENT, "path too long: %s", path);
	TC_GUARD_GOTO(r, api_coll_read(dir, file, &raw), out);
	if (role->chain != NULL && api_coll_exists((snprintf(path, sizeof(path), "%s/%s", dir, role->chain), path)))
		TC_GUARD_GOTO(r, api_coll_read(dir, role->chain, &chain), out);
	if (api_coll_exists((snprintf(path, sizeof(path), "%s/key", dir), path))) {
		TC_GUARD_GOTO(r, api_coll_read(dir, "key", &keyb), out);
		while (keyb.len > 0 && (keyb.data[keyb.len - 1] == '\n' || keyb.data[keyb.len - 1] == '\r' ||
					keyb.data[keyb.len - 1] == ' '))
			keyb.data[--keyb.len] = 0;
		if (keyb.len > 0)
			want = (const char *)keyb.data;
	}
	char alias[VF_COLL_KEY_MAX];
	if (want == NULL && strcmp(file, "vbios_rim.xml") == 0) {
		TC_GUARD_GOTO(r, api_coll_vbios_key(c, &raw, alias, sizeof(alias)), out);
		want = alias;
	}
	/* A VCEK without its ark_ask_chain beside it is checked against the cached chains (first pass). */
	r = api_collateral_put(c, role->kind, raw.data, raw.len, chain.len ? chain.data : NULL, chain.len, source, want,
			       key);
out:
	if (tc_is_ok(r)) {
		(*imported)++;
		tc_log(TC_LOG_INFO, "collateral_imported", "%s/%s: %s", vf_coll_kind_name(role->kind), key, source);
	} else {
		(*rejected)++;
		tc_log(TC_LOG_WARN, "collateral_import_rejected", "%s: %s: %s", source, tc_error_info(r.code)->code,
		       tc_error_detail());
	}
	tc_buf_cleanup(&keyb);
	tc_buf_cleanup(&chain);
	tc_buf_cleanup(&raw);
	return tc_ok();
}

static TC_RESULT api_coll_import_tree(struct api_collateral *c, const char *dir, int depth, bool pass_chains,
				      size_t *imported, size_t *rejected)
{
	TC_ENSURE(depth < API_COLL_DIR_DEPTH, TC_ERR_INVALID_ARGUMENT, "%s: folders nested too deep", dir);
	for (size_t i = 0; i < API_COLL_N_ROLES; i++)
		TC_GUARD(api_coll_import_role(c, dir, &api_coll_roles[i], pass_chains, imported, rejected));
	DIR *d = opendir(dir);
	TC_ENSURE(d != NULL, TC_ERR_IO, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	char **subs = NULL;
	size_t n = 0;
	struct tc_result r = tc_ok();
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[API_COLL_PATH_MAX];
		int w = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (w <= 0 || (size_t)w >= sizeof(path) || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		char **grown = realloc(subs, (n + 1) * sizeof(*subs));
		char *copy = strdup(path);
		if (grown == NULL || copy == NULL) {
			free(copy);
			subs = grown != NULL ? grown : subs;
			r = tc_fail(TC_ERR_NO_MEMORY, "out of memory");
			break;
		}
		subs = grown;
		subs[n++] = copy;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (tc_is_ok(r))
			r = api_coll_import_tree(c, subs[i], depth + 1, pass_chains, imported, rejected);
		free(subs[i]);
	}
	free(subs);
	return r;
}

TC_RESULT api_collateral_import_dir(struct api_collateral *c, const char *dir, size_t *imported, size_t *rejected)
{
	TC_ENSURE(c != NULL && dir != NULL && imported != NULL && rejected != NULL, TC_ERR_INVALID_ARGUMENT,
		  "api_collateral_import_dir: missing argument");
	*imported = *rejected = 0;
	TC_GUARD(api_coll_import_tree(c, dir, 0, true, imported, rejected));
	return api_coll_import_tree(c, dir, 0, false, imported, rejected);
}

/* ------------------------------------------------------------------------------------------- export */

static TC_RESULT api_coll_mkdirs(const char *path)
{
	char buf[API_COLL_PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s", path);
	TC_ENSURE(n > 0 && (size_t)n < sizeof(buf), TC_ERR_INVALID_ARGUMENT, "path too long");
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		TC_ENSURE(mkdir(buf, 0755) == 0 || errno == EEXIST, TC_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	TC_ENSURE(mkdir(buf, 0755) == 0 || errno == EEXIST, TC_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
	return tc_ok();
}

static const struct api_coll_role *api_coll_role_of(const struct db_collateral_item *it, enum vf_coll_kind kind)
{
	for (size_t i = 0; i < API_COLL_N_ROLES; i++) {
		if (api_coll_roles[i].kind != kind)
			continue;
		if (kind == VF_COLL_RIM && (strstr(it->key, "VBIOS") != NULL) != (strstr(api_coll_roles[i].file, "vbios") != NULL))
			continue;
		return &api_coll_roles[i];
	}
	return NULL;
}

static TC_RESULT api_coll_export_one(struct db_conn *conn, const char *dir, const struct db_collateral_item *meta)
{
	enum vf_coll_kind kind;
	TC_GUARD(vf_coll_kind_parse(meta->kind, &kind));
	const struct api_coll_role *role = api_coll_role_of(meta, kind);
	TC_ENSURE(role != NULL, TC_ERR_INTERNAL, "no role file for %s", meta->kind);
	char safe[DB_COLL_KEY_MAX + 1], folder[API_COLL_PATH_MAX], path[API_COLL_PATH_MAX];
	snprintf(safe, sizeof(safe), "%s", meta->key);
	for (char *p = safe; *p; p++)
		if (*p == '/')
			*p = '_';
	int n = snprintf(folder, sizeof(folder), "%s/%s/%s/%s", dir, meta->vendor, meta->kind, safe);
	TC_ENSURE(n > 0 && (size_t)n < sizeof(folder), TC_ERR_INVALID_ARGUMENT, "path too long");
	TC_GUARD(api_coll_mkdirs(folder));

	struct db_collateral_item it;
	db_collateral_item_init(&it);
	bool found = false;
	struct tc_result r;
	TC_GUARD_GOTO(r, db_collateral_get(conn, meta->vendor, meta->kind, meta->key, true, &it, &found), out);
	TC_ENSURE_GOTO(r, found, out, TC_ERR_NOT_FOUND, "%s/%s vanished during export", meta->kind, meta->key);
	TC_GUARD_GOTO(r, api_coll_join(path, folder, role->file), out);
	TC_GUARD_GOTO(r, tc_file_write(path, it.raw.data, it.raw.len, 0644), out);
	if (role->chain != NULL && it.issuer_chain.len > 0) {
		TC_GUARD_GOTO(r, api_coll_join(path, folder, role->chain), out);
		TC_GUARD_GOTO(r, tc_file_write(path, it.issuer_chain.data, it.issuer_chain.len, 0644), out);
	}
	TC_GUARD_GOTO(r, api_coll_join(path, folder, "key"), out);
	r = tc_file_write(path, it.key, strlen(it.key), 0644);
out:
	db_collateral_item_cleanup(&it);
	return r;
}

TC_RESULT api_collateral_export_dir(struct api_collateral *c, const char *dir, size_t *exported)
{
	TC_ENSURE(c != NULL && dir != NULL && exported != NULL, TC_ERR_INVALID_ARGUMENT,
		  "api_collateral_export_dir: missing argument");
	*exported = 0;
	struct db_conn *conn = NULL;
	struct db_collateral_item *items = NULL;
	size_t n = 0;
	struct tc_result r;
	TC_GUARD(api_coll_mkdirs(dir));
	TC_GUARD(api_collateral_db_conn(c, &conn));
	TC_GUARD_GOTO(r, db_collateral_list(conn, &items, &n), out);
	for (size_t i = 0; i < n; i++) {
		TC_GUARD_GOTO(r, api_coll_export_one(conn, dir, &items[i]), out);
		(*exported)++;
	}
out:
	for (size_t i = 0; i < n; i++)
		db_collateral_item_cleanup(&items[i]);
	free(items);
	api_collateral_db_release(c, conn);
	return r;
}
