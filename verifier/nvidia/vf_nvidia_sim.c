/*
 * vf_nvidia_sim.c — `teecert sim init` for NVIDIA H100: a simulated NVIDIA vendor PKI with matching RIMs
 * (DESIGN.md "Real components": simulated TEEs; layout in docs/sim.md "## NVIDIA").
 *
 * DIR/
 *   nvidia_device_root.pem, nvidia_rim_root.pem   the two roots (P-384, simulated-root marker)
 *   gpu<i>_certchain.pem                          per GPU: FMC leaf, GSP BROM, provisioner ICA, GH100 identity,
 *                                                 root (leaf first, like the chains H100 drivers return)
 *   rim_signer_chain.pem                          RIM signer, RIM CA, RIM root
 *   collateral/driver_rim.xml, vbios_rim.xml      signed RIMs (`teecert verify --collateral DIR/collateral`)
 *   keys/ (0700)                                  <entity>.key (PKCS#8, 0600) and <entity>.pem per entity
 *   pki.json                                      versions, golden measurements, file names
 * The device chain mirrors NVIDIA's (the real subjects with "(teecert sim)" appended). Validity: device
 * chain notAfter 9999-12-31T23:59:59Z as NVIDIA issues it; RIM root/CA/signer 30/20/10 years.
 */
#include <stdlib.h>
#include <string.h>

#include "vf_nvidia_sim.h"

#define VF_NV_SIM_DAY 86400
#define VF_NV_SIM_YEAR (365 * VF_NV_SIM_DAY)
#define VF_NV_SIM_FOREVER ((int64_t)253402300799) /* 9999-12-31T23:59:59Z, RFC 5280 §4.1.2.5 */
#define VF_NV_SIM_DIR_MODE 0755
#define VF_NV_SIM_KEYS_MODE 0700
#define VF_NV_SIM_PUBLIC_MODE 0644
#define VF_NV_SIM_UEID_LEN 8
#define VF_NV_SIM_BROM_SN_LEN 9
#define VF_NV_SIM_FMC_SN_LEN 20
#define VF_NV_SIM_NAME_MAX 64
#define VF_NV_SIM_JSON_MAX (256u * 1024u)
#define VF_NV_SIM_ORG "NVIDIA Corporation (teecert sim)"
#define VF_NV_SIM_PKI_JSON "pki.json"

/* RIM index -> which RIM holds it active (NVIDIA's split: VBIOS 0-6 and 8-12, driver 7 and 21-40). */
bool vf_nv_sim_rim_active(enum vf_nv_sim_rim_kind kind, size_t index)
{
	bool vbios = index <= 12 && index != 7;
	bool driver = index == 7 || (index >= 21 && index <= 40);

	return kind == VF_NV_SIM_RIM_DRIVER ? driver : vbios;
}

static TC_RESULT vf_nv_sim_hex_name(size_t n, char *out, size_t size)
{
	uint8_t bytes[VF_NV_SIM_FMC_SN_LEN];

	TC_ENSURE(n <= sizeof(bytes), TC_ERR_INTERNAL, "serial too long");
	TC_GUARD(tc_random_bytes(bytes, n));
	TC_GUARD(tc_hex_encode(bytes, n, out, size));
	for (char *p = out; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
	return tc_ok();
}

/* Everything vf_nvidia_sim_init creates, freed at the end. */
struct vf_nv_sim_gen {
	int64_t now;
	const char *dir;
	char keys[VF_NV_SIM_PATH_MAX];
	EVP_PKEY *root_key, *gh100_key, *ica_key, *rim_root_key, *rim_ca_key, *rim_signer_key;
	X509 *root, *gh100, *ica, *rim_root, *rim_ca, *rim_signer;
	uint8_t meas[VF_NV_SIM_BLOCKS][VF_NV_SIM_MEAS_LEN];
};

static void vf_nv_sim_gen_cleanup(struct vf_nv_sim_gen *g)
{
	EVP_PKEY *keys[] = { g->root_key, g->gh100_key, g->ica_key, g->rim_root_key, g->rim_ca_key, g->rim_signer_key };
	X509 *certs[] = { g->root, g->gh100, g->ica, g->rim_root, g->rim_ca, g->rim_signer };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
}

/* New key + certificate for one entity, both written to keys/<name>.key|.pem. */
static TC_RESULT vf_nv_sim_entity(struct vf_nv_sim_gen *g, const char *name, const struct vf_nv_sim_cert_spec *spec,
				  X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY **key_out, X509 **cert_out)
{
	char file[VF_NV_SIM_NAME_MAX];

	TC_GUARD(vf_sim_key_new(VF_NV_SIM_CURVE, key_out));
	TC_GUARD(vf_nv_sim_cert_issue(spec, *key_out, issuer, issuer_key != NULL ? issuer_key : *key_out, cert_out));
	snprintf(file, sizeof(file), "%s.key", name);
	TC_GUARD(vf_nv_sim_key_write(g->keys, file, *key_out));
	snprintf(file, sizeof(file), "%s.pem", name);
	return vf_nv_sim_cert_write(g->keys, file, *cert_out);
}

static TC_RESULT vf_nv_sim_device_cas(struct vf_nv_sim_gen *g)
{
	struct vf_nv_sim_cert_spec root = {
		.subject = { .cn = "NVIDIA Device Identity CA (teecert sim)", .o = VF_NV_SIM_ORG },
		.ca = true,
		.pathlen = -1,
		.not_before = g->now - VF_NV_SIM_DAY,
		.not_after = VF_NV_SIM_FOREVER,
		.simulated_root = true,
	};
	struct vf_nv_sim_cert_spec gh100 = root, ica = root;

	gh100.subject.cn = "NVIDIA GH100 Identity (teecert sim)";
	gh100.simulated_root = false;
	ica.subject.cn = "NVIDIA GH100 Provisioner ICA 1 (teecert sim)";
	ica.simulated_root = false;
	TC_GUARD(vf_nv_sim_entity(g, "device_root", &root, NULL, NULL, &g->root_key, &g->root));
	TC_GUARD(vf_nv_sim_entity(g, "gh100_identity", &gh100, g->root, g->root_key, &g->gh100_key, &g->gh100));
	TC_GUARD(vf_nv_sim_entity(g, "provisioner_ica", &ica, g->gh100, g->gh100_key, &g->ica_key, &g->ica));
	return vf_nv_sim_cert_write(g->dir, "nvidia_device_root.pem", g->root);
}

/* GPU I: its GSP BROM CA and FMC leaf (with FWID and UEID), and the chain file. */
static TC_RESULT vf_nv_sim_gpu(struct vf_nv_sim_gen *g, size_t i)
{
	char name[VF_NV_SIM_NAME_MAX], brom_sn[2 * VF_NV_SIM_BROM_SN_LEN + 1], fmc_sn[2 * VF_NV_SIM_FMC_SN_LEN + 1];
	char ueid[2 * VF_NV_SIM_UEID_LEN + 1], san[VF_NV_SIM_NAME_MAX], path[VF_NV_SIM_PATH_MAX];
	uint8_t fwid[VF_NV_FWID_LEN];
	EVP_PKEY *brom_key = NULL, *fmc_key = NULL;
	X509 *brom = NULL, *fmc = NULL;
	STACK_OF(X509) *chain = NULL;
	struct tc_buf pem;
	struct tc_result r = tc_ok();
	struct vf_nv_sim_cert_spec spec = {
		.subject = { .cn = "GH100 A01 GSP BROM (teecert sim)", .o = VF_NV_SIM_ORG, .serial = brom_sn },
		.ca = true,
		.pathlen = -1,
		.not_before = g->now - VF_NV_SIM_DAY,
		.not_after = VF_NV_SIM_FOREVER,
	};

	tc_buf_init(&pem, VF_NV_SIM_JSON_MAX);
	TC_GUARD_GOTO(r, vf_nv_sim_hex_name(VF_NV_SIM_BROM_SN_LEN, brom_sn, sizeof(brom_sn)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_hex_name(VF_NV_SIM_FMC_SN_LEN, fmc_sn, sizeof(fmc_sn)), out);
	TC_GUARD_GOTO(r, vf_nv_sim_hex_name(VF_NV_SIM_UEID_LEN, ueid, sizeof(ueid)), out);
	TC_GUARD_GOTO(r, tc_random_bytes(fwid, sizeof(fwid)), out);
	snprintf(name, sizeof(name), "gpu%zu_brom", i);
	TC_GUARD_GOTO(r, vf_nv_sim_entity(g, name, &spec, g->ica, g->ica_key, &brom_key, &brom), out);
	spec.subject = (struct vf_nv_sim_name){ .cn = "GH100 A01 GSP FMC LF (teecert sim)",
						.o = VF_NV_SIM_ORG,
						.serial = fmc_sn };
	spec.ca = false;
	spec.fwid = fwid;
	snprintf(san, sizeof(san), "NVIDIA:GH100:%s", ueid);
	spec.ueid_san = san;
	snprintf(name, sizeof(name), "gpu%zu_fmc", i);
	TC_GUARD_GOTO(r, vf_nv_sim_entity(g, name, &spec, brom, brom_key, &fmc_key, &fmc), out);
	chain = sk_X509_new_null();
	TC_ENSURE_GOTO(r, chain != NULL, out, TC_ERR_NO_MEMORY, "chain");
	TC_ENSURE_GOTO(r,
		       sk_X509_push(chain, fmc) > 0 && sk_X509_push(chain, brom) > 0 &&
			       sk_X509_push(chain, g->ica) > 0 && sk_X509_push(chain, g->gh100) > 0 &&
			       sk_X509_push(chain, g->root) > 0,
		       out, TC_ERR_NO_MEMORY, "chain");
	TC_GUARD_GOTO(r, vf_nv_sim_chain_pem(chain, &pem), out);
	snprintf(name, sizeof(name), "gpu%zu_certchain.pem", i);
	TC_GUARD_GOTO(r, vf_nv_sim_path(g->dir, name, path), out);
	r = tc_file_write(path, pem.data, pem.len, VF_NV_SIM_PUBLIC_MODE);
out:
	sk_X509_free(chain); /* borrowed certificates */
	X509_free(brom);
	X509_free(fmc);
	EVP_PKEY_free(brom_key);
	EVP_PKEY_free(fmc_key);
	tc_buf_cleanup(&pem);
	return r;
}

static TC_RESULT vf_nv_sim_rim_pki(struct vf_nv_sim_gen *g)
{
	struct vf_nv_sim_cert_spec root = {
		.subject = { .cn = "NVIDIA CoRIM signing Root CA (teecert sim)", .o = VF_NV_SIM_ORG },
		.ca = true,
		.pathlen = -1,
		.not_before = g->now - VF_NV_SIM_DAY,
		.not_after = g->now + 30 * VF_NV_SIM_YEAR,
		.simulated_root = true,
	};
	struct vf_nv_sim_cert_spec ca = root, signer = root;
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct tc_buf pem;
	char path[VF_NV_SIM_PATH_MAX];
	struct tc_result r = tc_ok();

	tc_buf_init(&pem, VF_NV_SIM_JSON_MAX);
	ca.subject.cn = "NVIDIA Reference Value GH100 CA (teecert sim)";
	ca.simulated_root = false;
	ca.pathlen = 0;
	ca.not_after = g->now + 20 * VF_NV_SIM_YEAR;
	signer.subject.cn = "NVIDIA Reference Value Signer (teecert sim)";
	signer.simulated_root = false;
	signer.ca = false;
	signer.not_after = g->now + 10 * VF_NV_SIM_YEAR;
	TC_ENSURE_GOTO(r, chain != NULL, out, TC_ERR_NO_MEMORY, "chain");
	TC_GUARD_GOTO(r, vf_nv_sim_entity(g, "rim_root", &root, NULL, NULL, &g->rim_root_key, &g->rim_root), out);
	TC_GUARD_GOTO(r, vf_nv_sim_entity(g, "rim_ca", &ca, g->rim_root, g->rim_root_key, &g->rim_ca_key, &g->rim_ca),
		      out);
	TC_GUARD_GOTO(r,
		      vf_nv_sim_entity(g, "rim_signer", &signer, g->rim_ca, g->rim_ca_key, &g->rim_signer_key,
				       &g->rim_signer),
		      out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_write(g->dir, "nvidia_rim_root.pem", g->rim_root), out);
	TC_ENSURE_GOTO(r,
		       sk_X509_push(chain, g->rim_signer) > 0 && sk_X509_push(chain, g->rim_ca) > 0 &&
			       sk_X509_push(chain, g->rim_root) > 0,
		       out, TC_ERR_NO_MEMORY, "chain");
	TC_GUARD_GOTO(r, vf_nv_sim_chain_pem(chain, &pem), out);
	TC_GUARD_GOTO(r, vf_nv_sim_path(g->dir, "rim_signer_chain.pem", path), out);
	TC_GUARD_GOTO(r, tc_file_write(path, pem.data, pem.len, VF_NV_SIM_PUBLIC_MODE), out);
	/* The collateral folder, read by `teecert verify --collateral`: role = file name up to the dot. */
	for (int kind = VF_NV_SIM_RIM_DRIVER; kind <= VF_NV_SIM_RIM_VBIOS; kind++) {
		bool drv = kind == VF_NV_SIM_RIM_DRIVER;

		tc_buf_reset(&pem);
		TC_GUARD_GOTO(r,
			      vf_nv_sim_rim_sign((const uint8_t(*)[VF_NV_SIM_MEAS_LEN])g->meas,
						 (enum vf_nv_sim_rim_kind)kind,
						 drv ? VF_NV_SIM_DRIVER_VERSION : VF_NV_SIM_VBIOS_VERSION,
						 g->rim_signer_key, chain, VF_NV_SIM_RIM_OK, &pem),
			      out);
		TC_GUARD_GOTO(
			r, vf_nv_sim_path(g->dir, drv ? "collateral/driver_rim.xml" : "collateral/vbios_rim.xml", path),
			out);
		TC_GUARD_GOTO(r, tc_file_write(path, pem.data, pem.len, VF_NV_SIM_PUBLIC_MODE), out);
	}
out:
	sk_X509_free(chain);
	tc_buf_cleanup(&pem);
	return r;
}

static TC_RESULT vf_nv_sim_json_write(const struct vf_nv_sim_gen *g)
{
	char when[TC_TIME_RFC3339_LEN], path[VF_NV_SIM_PATH_MAX];
	json_t *j = NULL, *meas = json_array(), *chains = json_array(), *drv = json_array(), *vb = json_array();
	char *dump = NULL;
	struct tc_buf text;
	struct tc_result r = tc_ok();

	tc_buf_init(&text, VF_NV_SIM_JSON_MAX);
	TC_ENSURE_GOTO(r, meas && chains && drv && vb, out, TC_ERR_NO_MEMORY, "pki.json");
	TC_GUARD_GOTO(r, tc_time_format(g->now, when), out);
	for (size_t i = 0; i < VF_NV_SIM_BLOCKS; i++) {
		TC_ENSURE_GOTO(r, json_array_append_new(meas, tc_json_hex(g->meas[i], VF_NV_SIM_MEAS_LEN)) == 0, out,
			       TC_ERR_NO_MEMORY, "pki.json");
		if (vf_nv_sim_rim_active(VF_NV_SIM_RIM_DRIVER, i))
			TC_ENSURE_GOTO(r, json_array_append_new(drv, json_integer((json_int_t)i)) == 0, out,
				       TC_ERR_NO_MEMORY, "pki.json");
		if (vf_nv_sim_rim_active(VF_NV_SIM_RIM_VBIOS, i))
			TC_ENSURE_GOTO(r, json_array_append_new(vb, json_integer((json_int_t)i)) == 0, out,
				       TC_ERR_NO_MEMORY, "pki.json");
	}
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		char name[VF_NV_SIM_NAME_MAX];

		snprintf(name, sizeof(name), "gpu%zu_certchain.pem", i);
		TC_ENSURE_GOTO(r, json_array_append_new(chains, json_string(name)) == 0, out, TC_ERR_NO_MEMORY,
			       "pki.json");
	}
	j = json_pack("{s:s,s:b,s:s,s:s,s:s,s:s,s:i,s:{s:s,s:s},s:s,s:O,s:s,s:s,s:O,s:{s:O,s:O},s:s}", "tee", "nvidia",
		      "simulated", 1, "created_at", when, "product", VF_NV_SIM_PRODUCT, "driver_version",
		      VF_NV_SIM_DRIVER_VERSION, "vbios_version", VF_NV_SIM_VBIOS_VERSION, "gpus", VF_NV_SIM_MAX_GPUS,
		      "trust_anchors", "nvidia_device_root", "nvidia_device_root.pem", "nvidia_rim_root",
		      "nvidia_rim_root.pem", "collateral", "collateral", "device_chains", chains, "rim_signer_chain",
		      "rim_signer_chain.pem", "keys", "keys", "measurements", meas, "rim_active_indices", "driver", drv,
		      "vbios", vb, "note", "teecert sim: test PKI; trusted only with policy allow_simulated");
	TC_ENSURE_GOTO(r, j != NULL, out, TC_ERR_NO_MEMORY, "pki.json");
	dump = json_dumps(j, JSON_INDENT(2));
	TC_ENSURE_GOTO(r, dump != NULL, out, TC_ERR_NO_MEMORY, "pki.json");
	TC_GUARD_GOTO(r, tc_buf_append_str(&text, dump), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&text, '\n'), out);
	TC_GUARD_GOTO(r, vf_nv_sim_path(g->dir, VF_NV_SIM_PKI_JSON, path), out);
	r = tc_file_write(path, text.data, text.len, VF_NV_SIM_PUBLIC_MODE);
out:
	free(dump);
	json_decref(j);
	json_decref(meas);
	json_decref(chains);
	json_decref(drv);
	json_decref(vb);
	tc_buf_cleanup(&text);
	return r;
}

TC_RESULT vf_nv_sim_init_at(const char *dir, int64_t now)
{
	struct vf_nv_sim_gen g = { .now = now, .dir = dir };
	char path[VF_NV_SIM_PATH_MAX];
	struct tc_result r = tc_ok();

	TC_ENSURE(dir != NULL && dir[0], TC_ERR_INVALID_ARGUMENT, "no folder given");
	TC_GUARD(vf_sim_mkdir(dir, VF_NV_SIM_DIR_MODE));
	TC_GUARD(vf_nv_sim_path(dir, "keys", g.keys));
	TC_GUARD(vf_sim_mkdir(g.keys, VF_NV_SIM_KEYS_MODE));
	TC_GUARD(vf_nv_sim_path(dir, "collateral", path));
	TC_GUARD(vf_sim_mkdir(path, VF_NV_SIM_DIR_MODE));
	TC_GUARD(tc_random_bytes(g.meas, sizeof(g.meas)));
	TC_GUARD_GOTO(r, vf_nv_sim_device_cas(&g), out);
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++)
		TC_GUARD_GOTO(r, vf_nv_sim_gpu(&g, i), out);
	TC_GUARD_GOTO(r, vf_nv_sim_rim_pki(&g), out);
	r = vf_nv_sim_json_write(&g);
out:
	vf_nv_sim_gen_cleanup(&g);
	return r;
}

TC_RESULT vf_nvidia_sim_init(const char *dir)
{
	return vf_nv_sim_init_at(dir, tc_time_now());
}

/* ------------------------------------------------------------------------------------------ load */

void vf_nv_sim_pki_free(struct vf_nv_sim_pki **pki)
{
	struct vf_nv_sim_pki *p = *pki;

	if (p == NULL)
		return;
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		sk_X509_pop_free(p->gpus[i].chain, X509_free);
		EVP_PKEY_free(p->gpus[i].fmc_key);
		EVP_PKEY_free(p->gpus[i].brom_key);
	}
	X509_free(p->device_root);
	X509_free(p->rim_root);
	X509_free(p->rim_ca);
	X509_free(p->rim_signer);
	for (size_t i = 0; i < VF_NV_SIM_DEVICE_CAS; i++)
		EVP_PKEY_free(p->device_ca_keys[i]);
	EVP_PKEY_free(p->rim_root_key);
	EVP_PKEY_free(p->rim_ca_key);
	EVP_PKEY_free(p->rim_signer_key);
	free(p);
	*pki = NULL;
}

static TC_RESULT vf_nv_sim_json_read(struct vf_nv_sim_pki *p)
{
	struct tc_buf text;
	json_t *j = NULL, *meas = NULL, *item;
	const char *created = NULL, *drv = NULL, *vb = NULL;
	int64_t gpus = 0;
	size_t i;
	struct tc_result r;
	const struct tc_json_field spec[] = {
		{ .name = "created_at", .kind = TC_JSON_STRING, .required = true, .out = &created, .max_len = 64 },
		{ .name = "driver_version",
		  .kind = TC_JSON_STRING,
		  .required = true,
		  .out = &drv,
		  .max_len = VF_RIM_VERSION_MAX - 1 },
		{ .name = "vbios_version",
		  .kind = TC_JSON_STRING,
		  .required = true,
		  .out = &vb,
		  .max_len = VF_RIM_VERSION_MAX - 1 },
		{ .name = "gpus",
		  .kind = TC_JSON_INT,
		  .required = true,
		  .out = &gpus,
		  .min = 1,
		  .max = VF_NV_SIM_MAX_GPUS },
		{ .name = "measurements",
		  .kind = TC_JSON_ARRAY,
		  .required = true,
		  .out = &meas,
		  .max_len = VF_NV_SIM_BLOCKS },
	};
	char path[VF_NV_SIM_PATH_MAX];

	tc_buf_init(&text, VF_NV_SIM_JSON_MAX);
	TC_GUARD_GOTO(r, vf_nv_sim_path(p->dir, VF_NV_SIM_PKI_JSON, path), out);
	TC_GUARD_GOTO(r, tc_file_read(path, VF_NV_SIM_JSON_MAX, &text), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)text.data, text.len, VF_NV_SIM_JSON_MAX, &j), out);
	TC_GUARD_GOTO(r, tc_json_fields(j, spec, sizeof(spec) / sizeof(spec[0]), true), out);
	TC_GUARD_GOTO(r, tc_time_parse(created, &p->created_at), out);
	snprintf(p->driver_version, sizeof(p->driver_version), "%s", drv);
	snprintf(p->vbios_version, sizeof(p->vbios_version), "%s", vb);
	p->n_gpus = (size_t)gpus;
	TC_ENSURE_GOTO(r, json_array_size(meas) == VF_NV_SIM_BLOCKS, out, TC_ERR_JSON_FIELD_INVALID,
		       "pki.json: measurements must list %d values", VF_NV_SIM_BLOCKS);
	json_array_foreach(meas, i, item) {
		const char *hex = json_string_value(item);

		TC_ENSURE_GOTO(r, hex != NULL, out, TC_ERR_JSON_FIELD_INVALID, "pki.json: measurements[%zu]", i);
		TC_GUARD_GOTO(r, tc_hex_decode_fixed(hex, strlen(hex), p->meas[i], VF_NV_SIM_MEAS_LEN), out);
	}
out:
	json_decref(j);
	tc_buf_cleanup(&text);
	return r;
}

TC_RESULT vf_nv_sim_pki_load(const char *dir, struct vf_nv_sim_pki **out)
{
	struct vf_nv_sim_pki *p = calloc(1, sizeof(*p));
	char keys[VF_NV_SIM_PATH_MAX];
	struct tc_result r = tc_ok();

	TC_ENSURE(p != NULL, TC_ERR_NO_MEMORY, "sim PKI");
	TC_ENSURE_GOTO(r, snprintf(p->dir, sizeof(p->dir), "%s", dir) < (int)sizeof(p->dir), out,
		       TC_ERR_INVALID_ARGUMENT, "path too long");
	TC_GUARD_GOTO(r, vf_nv_sim_path(dir, "keys", keys), out);
	TC_GUARD_GOTO(r, vf_nv_sim_json_read(p), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_read(dir, "nvidia_device_root.pem", &p->device_root), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_read(dir, "nvidia_rim_root.pem", &p->rim_root), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_read(keys, "rim_ca.pem", &p->rim_ca), out);
	TC_GUARD_GOTO(r, vf_nv_sim_cert_read(keys, "rim_signer.pem", &p->rim_signer), out);
	TC_GUARD_GOTO(r, vf_nv_sim_key_read(keys, "rim_ca.key", &p->rim_ca_key), out);
	TC_GUARD_GOTO(r, vf_nv_sim_key_read(keys, "rim_root.key", &p->rim_root_key), out);
	for (size_t i = 0; i < VF_NV_SIM_DEVICE_CAS; i++) {
		static const char *const names[VF_NV_SIM_DEVICE_CAS] = { "provisioner_ica.key", "gh100_identity.key",
									 "device_root.key" };

		TC_GUARD_GOTO(r, vf_nv_sim_key_read(keys, names[i], &p->device_ca_keys[i]), out);
	}
	TC_GUARD_GOTO(r, vf_nv_sim_key_read(keys, "rim_signer.key", &p->rim_signer_key), out);
	for (size_t i = 0; i < p->n_gpus; i++) {
		char name[VF_NV_SIM_NAME_MAX];

		snprintf(name, sizeof(name), "gpu%zu_certchain.pem", i);
		TC_GUARD_GOTO(r, vf_nv_sim_chain_read(dir, name, &p->gpus[i].chain), out);
		TC_ENSURE_GOTO(r, sk_X509_num(p->gpus[i].chain) == 5, out, TC_ERR_INVALID_ARGUMENT,
			       "%s/%s: expected 5 certificates (leaf, BROM, ICA, GH100 identity, root)", dir, name);
		snprintf(name, sizeof(name), "gpu%zu_fmc.key", i);
		TC_GUARD_GOTO(r, vf_nv_sim_key_read(keys, name, &p->gpus[i].fmc_key), out);
		snprintf(name, sizeof(name), "gpu%zu_brom.key", i);
		TC_GUARD_GOTO(r, vf_nv_sim_key_read(keys, name, &p->gpus[i].brom_key), out);
	}
	*out = p;
	p = NULL;
out:
	vf_nv_sim_pki_free(&p);
	return r;
}
