/*
 * vf_snp_sim.c — the simulated AMD vendor PKI (vf_snp_sim_init, docs/sim.md "SNP").
 *
 * Per product line (Milan, Genoa, Turin), like AMD's ([KDS] "Certificate Chain"): ARK (self-signed, RSA,
 * RSASSA-PSS/SHA-384, salt 48; here with the simulated-root marker VF_SIM_ROOT_OID), ASK and ASVK issued by
 * the ARK, and a CRL signed by the ARK. Layout of DIR:
 *   pki.json                           what is where, the chip's CHIP_ID, key sizes
 *   amd_ark_<p>.pem                    the ARK (pin it as trust_anchors.amd_ark)
 *   ask_<p>.pem, asvk_<p>.pem          the intermediates
 *   collateral-<p>/ark_ask_chain.pem   ASK + ARK, amd_crl.der   (teecert verify --collateral, VCEK)
 *   collateral-<p>-vlek/...            ASVK + ARK, amd_crl.der  (VLEK)
 *   keys/ (0700) ark_<p>.pem ask_<p>.pem asvk_<p>.pem (PKCS#8 PEM, 0600)
 * VCEKs/VLEKs are not stored: vf_snp_sim_emit issues one per report (vf_snp_sim_report.c).
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "vf_snp_sim.h"

#define SIM_DAY ((int64_t)24 * 3600)
#define SIM_CA_YEARS 25
#define SIM_YEAR ((int64_t)365 * SIM_DAY)
#define SIM_PSS_SALT_LEN 48
#define SIM_SERIAL_BYTES 8
#define SIM_FILE_MAX ((size_t)1024 * 1024)
#define SIM_PUBLIC_MODE 0644
#define SIM_DIR_MODE 0755
#define SIM_KEYS_MODE 0700
#define SIM_CRL_BACKDATE 3600

/* [KDS] product lines; CPUID and firmware versions are plausible values for the simulated parts. */
static const struct vf_snp_sim_product products[VF_SNP_SIM_N_PRODUCTS] = {
	{ "Milan",
	  "milan",
	  "Milan-B0",
	  0x19,
	  0x01,
	  0x01,
	  1,
	  55,
	  29,
	  VF_SNP_TCB_MILAN_GENOA,
	  { .bootloader = 4, .tee = 0, .snp = 24, .microcode = 219 } },
	{ "Genoa",
	  "genoa",
	  "Genoa",
	  0x19,
	  0x11,
	  0x01,
	  1,
	  55,
	  39,
	  VF_SNP_TCB_MILAN_GENOA,
	  { .bootloader = 10, .tee = 0, .snp = 23, .microcode = 84 } },
	{ "Turin",
	  "turin",
	  "Turin",
	  VF_SNP_CPUID_FAMILY_TURIN,
	  0x02,
	  0x01,
	  1,
	  55,
	  43,
	  VF_SNP_TCB_TURIN,
	  { .bootloader = 1, .tee = 1, .snp = 3, .microcode = 72, .fmc = 1 } },
};

const struct vf_snp_sim_product *vf_snp_sim_product(const char *name)
{
	for (size_t i = 0; name && i < VF_SNP_SIM_N_PRODUCTS; i++)
		if (strcmp(name, products[i].name) == 0 || strcmp(name, products[i].id) == 0)
			return &products[i];
	return NULL;
}

const struct vf_snp_sim_product *vf_snp_sim_product_at(size_t i)
{
	return i < VF_SNP_SIM_N_PRODUCTS ? &products[i] : NULL;
}

/* ------------------------------------------------------------------------------------------ helpers */

TC_RESULT vf_snp_sim_name(const char *cn, X509_NAME **out)
{
	const struct vf_sim_rdn rdns[] = {
		{ "OU", "Engineering (teecert simulated)" }, { "C", "US" }, { "L", "Santa Clara" }, { "ST", "CA" },
		{ "O", "Advanced Micro Devices" },           { "CN", cn }
	};

	return vf_sim_name(rdns, sizeof(rdns) / sizeof(rdns[0]), out);
}

/* RSASSA-PSS/SHA-384/MGF1-SHA-384/salt 48 signing context for KEY (AMD's certificate signature). */
static TC_RESULT pss_ctx(EVP_PKEY *key, EVP_MD_CTX **out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (!ctx || EVP_DigestSignInit(ctx, &pctx, EVP_sha384(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, SIM_PSS_SALT_LEN) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1) {
		EVP_MD_CTX_free(ctx);
		return tc_fail_openssl(TC_ERR_CRYPTO, "RSASSA-PSS signing context");
	}
	*out = ctx;
	return tc_ok();
}

/* Sign X (when not NULL) or CRL with KEY (RSASSA-PSS, pss_ctx). */
static TC_RESULT pss_sign(X509 *x, X509_CRL *crl, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = NULL;
	int n;

	TC_GUARD(pss_ctx(key, &ctx));
	n = x != NULL ? X509_sign_ctx(x, ctx) : X509_CRL_sign_ctx(crl, ctx);
	EVP_MD_CTX_free(ctx);
	if (n <= 0)
		return tc_fail_openssl(TC_ERR_CRYPTO, x != NULL ? "signing a sim certificate" : "signing a sim CRL");
	return tc_ok();
}

TC_RESULT vf_snp_sim_sign_cert(X509 *x, EVP_PKEY *key)
{
	return pss_sign(x, NULL, key);
}

TC_RESULT vf_snp_sim_sign_crl(X509_CRL *crl, EVP_PKEY *key)
{
	return pss_sign(NULL, crl, key);
}

/* An ARK (ISSUER NULL: self-signed, marked simulated) or ASK/ASVK certificate for CN. */
static TC_RESULT ca_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t now, X509 **out)
{
	const struct vf_sim_ext exts[] = {
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, issuer ? "keyid:always" : NULL },
	};
	struct vf_sim_cert_spec spec = { .issuer = issuer,
					 .serial_len = SIM_SERIAL_BYTES,
					 .not_before = now - SIM_DAY,
					 .not_after = now + SIM_CA_YEARS * SIM_YEAR,
					 .key = key,
					 .exts = exts,
					 .n_exts = sizeof(exts) / sizeof(exts[0]),
					 .simulated_root = issuer == NULL };
	X509 *x = NULL;
	struct tc_result r = tc_ok();

	TC_GUARD(vf_snp_sim_name(cn, &spec.subject));
	TC_GUARD_GOTO(r, vf_sim_cert_new(&spec, &x), out);
	TC_GUARD_GOTO(r, vf_snp_sim_sign_cert(x, issuer_key ? issuer_key : key), out);
	*out = x;
	x = NULL;
out:
	X509_NAME_free(spec.subject);
	X509_free(x);
	return r;
}

TC_RESULT vf_snp_sim_crl(const struct vf_snp_sim_pki *pki, X509 *revoked, int64_t now, struct tc_buf *der)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t0 = ASN1_TIME_set(NULL, (time_t)(now - SIM_CRL_BACKDATE));
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)(now + VF_SNP_SIM_CRL_DAYS * SIM_DAY));
	unsigned char *bytes = NULL;
	int n;
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r,
		       crl && t0 && t1 && X509_CRL_set_version(crl, 1) == 1 &&
			       X509_CRL_set_issuer_name(crl, X509_get_subject_name(pki->ark)) == 1 &&
			       X509_CRL_set1_lastUpdate(crl, t0) == 1 && X509_CRL_set1_nextUpdate(crl, t1) == 1,
		       out, TC_ERR_CRYPTO, "building the sim CRL");
	if (revoked) {
		rev = X509_REVOKED_new();
		TC_ENSURE_GOTO(r,
			       rev && X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(revoked)) == 1 &&
				       X509_REVOKED_set_revocationDate(rev, t0) == 1 &&
				       X509_CRL_add0_revoked(crl, rev) == 1,
			       out, TC_ERR_CRYPTO, "revoked entry of the sim CRL");
		rev = NULL; /* owned by the CRL */
		TC_ENSURE_GOTO(r, X509_CRL_sort(crl) == 1, out, TC_ERR_CRYPTO, "sorting the sim CRL");
	}
	TC_GUARD_GOTO(r, vf_snp_sim_sign_crl(crl, pki->ark_key), out);
	n = i2d_X509_CRL(crl, &bytes);
	TC_ENSURE_GOTO(r, n > 0, out, TC_ERR_CRYPTO, "DER of the sim CRL");
	r = tc_buf_append(der, bytes, (size_t)n);
out:
	if (!tc_is_ok(r))
		tc_openssl_clear();
	OPENSSL_free(bytes);
	X509_REVOKED_free(rev);
	X509_CRL_free(crl);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	return r;
}

/* ------------------------------------------------------------------------------------------- files */

TC_RESULT vf_snp_sim_mkdir(const char *path, unsigned mode)
{
	return vf_sim_mkdir(path, mode);
}

/* DIR/A B C into BUF (VF_SNP_SIM_PATH_MAX bytes). */
static TC_RESULT join(char *buf, const char *dir, const char *a, const char *b, const char *c)
{
	TC_ENSURE(snprintf(buf, VF_SNP_SIM_PATH_MAX, "%s/%s%s%s", dir, a, b, c) < VF_SNP_SIM_PATH_MAX, TC_ERR_TOO_LARGE,
		  "path under %s is too long", dir);
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ init */

void vf_snp_sim_pki_cleanup(struct vf_snp_sim_pki *pki)
{
	X509_free(pki->ark);
	X509_free(pki->ask);
	X509_free(pki->asvk);
	EVP_PKEY_free(pki->ark_key);
	EVP_PKEY_free(pki->ask_key);
	EVP_PKEY_free(pki->asvk_key);
	memset(pki, 0, sizeof(*pki));
}

static TC_RESULT rsa_key(int bits, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);

	if (!k)
		return tc_fail_openssl(TC_ERR_CRYPTO, "RSA key generation");
	*out = k;
	return tc_ok();
}

/* Generate one product line's keys and certificates (in memory). */
static TC_RESULT generate(const struct vf_snp_sim_product *p, int bits, int64_t now, struct vf_snp_sim_pki *out)
{
	char cn[64];
	struct tc_result r = tc_ok();

	memset(out, 0, sizeof(*out));
	out->product = p;
	TC_GUARD_GOTO(r, rsa_key(bits, &out->ark_key), fail);
	TC_GUARD_GOTO(r, rsa_key(bits, &out->ask_key), fail);
	TC_GUARD_GOTO(r, rsa_key(bits, &out->asvk_key), fail);
	snprintf(cn, sizeof(cn), VF_SNP_CN_ARK_PREFIX "%s", p->name);
	TC_GUARD_GOTO(r, ca_cert(cn, out->ark_key, NULL, NULL, now, &out->ark), fail);
	snprintf(cn, sizeof(cn), VF_SNP_CN_ASK_PREFIX "%s", p->name);
	TC_GUARD_GOTO(r, ca_cert(cn, out->ask_key, out->ark, out->ark_key, now, &out->ask), fail);
	snprintf(cn, sizeof(cn), VF_SNP_CN_ASVK_PREFIX "%s", p->name);
	TC_GUARD_GOTO(r, ca_cert(cn, out->asvk_key, out->ark, out->ark_key, now, &out->asvk), fail);
	return tc_ok();
fail:
	vf_snp_sim_pki_cleanup(out);
	return r;
}

/* The files of one product line (layout in the header comment). */
static TC_RESULT write_product(const char *dir, const struct vf_snp_sim_pki *pki, int64_t now, json_t *desc)
{
	const char *id = pki->product->id;
	char path[VF_SNP_SIM_PATH_MAX], keys[VF_SNP_SIM_PATH_MAX], sub[VF_SNP_SIM_PATH_MAX];
	X509 *pair[2];
	struct tc_buf crl;
	struct tc_result r = tc_ok();
	json_t *o;

	tc_buf_init(&crl, SIM_FILE_MAX);
	TC_GUARD_GOTO(r, join(keys, dir, VF_SNP_SIM_KEYS_DIR, "", ""), out);
	TC_GUARD_GOTO(r, join(path, dir, "amd_ark_", id, ".pem"), out);
	TC_GUARD_GOTO(r, vf_sim_certs_write(path, &pki->ark, 1), out);
	TC_GUARD_GOTO(r, join(path, dir, "ask_", id, ".pem"), out);
	TC_GUARD_GOTO(r, vf_sim_certs_write(path, &pki->ask, 1), out);
	TC_GUARD_GOTO(r, join(path, dir, "asvk_", id, ".pem"), out);
	TC_GUARD_GOTO(r, vf_sim_certs_write(path, &pki->asvk, 1), out);
	TC_GUARD_GOTO(r, join(path, keys, "ark_", id, ".pem"), out);
	TC_GUARD_GOTO(r, vf_sim_key_write(path, pki->ark_key), out);
	TC_GUARD_GOTO(r, join(path, keys, "ask_", id, ".pem"), out);
	TC_GUARD_GOTO(r, vf_sim_key_write(path, pki->ask_key), out);
	TC_GUARD_GOTO(r, join(path, keys, "asvk_", id, ".pem"), out);
	TC_GUARD_GOTO(r, vf_sim_key_write(path, pki->asvk_key), out);
	TC_GUARD_GOTO(r, vf_snp_sim_crl(pki, NULL, now, &crl), out);
	for (int vlek = 0; vlek < 2; vlek++) {
		const char *suffix = vlek ? "-vlek" : "";

		TC_GUARD_GOTO(r, join(path, dir, "collateral-", id, suffix), out);
		TC_GUARD_GOTO(r, vf_snp_sim_mkdir(path, SIM_DIR_MODE), out);
		pair[0] = vlek ? pki->asvk : pki->ask;
		pair[1] = pki->ark;
		TC_GUARD_GOTO(r, join(sub, path, "ark_ask_chain.pem", "", ""), out);
		TC_GUARD_GOTO(r, vf_sim_certs_write(sub, pair, 2), out);
		TC_GUARD_GOTO(r, join(sub, path, "amd_crl.der", "", ""), out);
		TC_GUARD_GOTO(r, tc_file_write(sub, crl.data, crl.len, SIM_PUBLIC_MODE), out);
	}
	o = json_pack("{s:s,s:s,s:s++,s:s++,s:s++,s:{s:s++,s:s++,s:s++},s:s+,s:s++,s:{s:i,s:i,s:i},s:s}", "name",
		      pki->product->name, "product_name", pki->product->product_name, "ark", "amd_ark_", id, ".pem",
		      "ask", "ask_", id, ".pem", "asvk", "asvk_", id, ".pem", "keys", "ark", "keys/ark_", id, ".pem",
		      "ask", "keys/ask_", id, ".pem", "asvk", "keys/asvk_", id, ".pem", "collateral", "collateral-", id,
		      "collateral_vlek", "collateral-", id, "-vlek", "cpuid", "family", pki->product->family, "model",
		      pki->product->model, "stepping", pki->product->stepping, "tcb_layout",
		      pki->product->layout == VF_SNP_TCB_TURIN ? "turin" : "milan_genoa");
	TC_ENSURE_GOTO(r, o && json_object_set_new(desc, id, o) == 0, out, TC_ERR_NO_MEMORY, "pki.json");
out:
	tc_buf_cleanup(&crl);
	return r;
}

TC_RESULT vf_snp_sim_init_bits(const char *dir, int rsa_bits)
{
	char path[VF_SNP_SIM_PATH_MAX], now_text[TC_TIME_RFC3339_LEN];
	uint8_t chip[VF_SNP_CHIP_ID_LEN];
	int64_t now = tc_time_now();
	json_t *doc = NULL, *prods;
	struct tc_buf text;
	struct tc_result r = tc_ok();

	TC_ENSURE(rsa_bits == VF_SNP_SIM_RSA_BITS || rsa_bits == VF_SNP_SIM_RSA_BITS_FAST, TC_ERR_INVALID_ARGUMENT,
		  "RSA size %d: use %d (AMD's) or %d", rsa_bits, VF_SNP_SIM_RSA_BITS, VF_SNP_SIM_RSA_BITS_FAST);
	tc_buf_init(&text, SIM_FILE_MAX);
	TC_GUARD(vf_snp_sim_mkdir(dir, SIM_DIR_MODE));
	TC_GUARD(join(path, dir, VF_SNP_SIM_KEYS_DIR, "", ""));
	TC_GUARD(vf_snp_sim_mkdir(path, SIM_KEYS_MODE));
	TC_GUARD(tc_random_bytes(chip, sizeof(chip)));
	TC_GUARD(tc_time_format(now, now_text));
	prods = json_object();
	doc = json_pack("{s:i,s:s,s:b,s:s,s:i,s:s,s:o,s:o}", "schema", 1, "tee", "snp", "simulated", 1, "created_at",
			now_text, "rsa_bits", rsa_bits, "signature", "RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48",
			"chip_id", tc_json_hex(chip, sizeof(chip)), "products", prods);
	TC_ENSURE_GOTO(r, doc, out, TC_ERR_NO_MEMORY, "pki.json");
	for (size_t i = 0; i < VF_SNP_SIM_N_PRODUCTS; i++) {
		struct vf_snp_sim_pki pki;

		TC_GUARD_GOTO(r, generate(&products[i], rsa_bits, now, &pki), out);
		r = write_product(dir, &pki, now, prods);
		vf_snp_sim_pki_cleanup(&pki);
		if (!tc_is_ok(r))
			goto out;
	}
	TC_GUARD_GOTO(r, join(path, dir, VF_SNP_SIM_PKI_JSON, "", ""), out);
	TC_GUARD_GOTO(r, tc_json_dump(doc, &text), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&text, '\n'), out);
	r = tc_file_write(path, text.data, text.len, SIM_PUBLIC_MODE);
out:
	json_decref(doc);
	tc_buf_cleanup(&text);
	return r;
}

TC_RESULT vf_snp_sim_init(const char *dir)
{
	return vf_snp_sim_init_bits(dir, VF_SNP_SIM_RSA_BITS);
}

/* ------------------------------------------------------------------------------------------ load */

TC_RESULT vf_snp_sim_pki_load(const char *dir, const struct vf_snp_sim_product *p, struct vf_snp_sim_pki *out)
{
	char path[VF_SNP_SIM_PATH_MAX];
	struct vf_snp_sim_pki pki;
	struct tc_result r;

	memset(&pki, 0, sizeof(pki));
	pki.product = p;
	TC_GUARD_GOTO(r, join(path, dir, "amd_ark_", p->id, ".pem"), fail);
	TC_GUARD_GOTO(r, vf_sim_cert_read(path, &pki.ark), fail);
	TC_GUARD_GOTO(r, join(path, dir, "ask_", p->id, ".pem"), fail);
	TC_GUARD_GOTO(r, vf_sim_cert_read(path, &pki.ask), fail);
	TC_GUARD_GOTO(r, join(path, dir, "asvk_", p->id, ".pem"), fail);
	TC_GUARD_GOTO(r, vf_sim_cert_read(path, &pki.asvk), fail);
	TC_GUARD_GOTO(r, join(path, dir, VF_SNP_SIM_KEYS_DIR "/ark_", p->id, ".pem"), fail);
	TC_GUARD_GOTO(r, vf_sim_key_read(path, EVP_PKEY_NONE, &pki.ark_key), fail);
	TC_GUARD_GOTO(r, join(path, dir, VF_SNP_SIM_KEYS_DIR "/ask_", p->id, ".pem"), fail);
	TC_GUARD_GOTO(r, vf_sim_key_read(path, EVP_PKEY_NONE, &pki.ask_key), fail);
	TC_GUARD_GOTO(r, join(path, dir, VF_SNP_SIM_KEYS_DIR "/asvk_", p->id, ".pem"), fail);
	TC_GUARD_GOTO(r, vf_sim_key_read(path, EVP_PKEY_NONE, &pki.asvk_key), fail);
	TC_ENSURE_GOTO(r, vf_x509_is_simulated(pki.ark), fail, TC_ERR_INVALID_ARGUMENT,
		       "%s/amd_ark_%s.pem is not a simulated root", dir, p->id);
	*out = pki;
	return tc_ok();
fail:
	vf_snp_sim_pki_cleanup(&pki);
	return r;
}

TC_RESULT vf_snp_sim_chip_id(const char *dir, uint8_t out[VF_SNP_CHIP_ID_LEN])
{
	char path[VF_SNP_SIM_PATH_MAX];
	struct tc_buf text;
	json_t *doc = NULL;
	const char *hex;
	struct tc_result r;

	tc_buf_init(&text, SIM_FILE_MAX);
	TC_GUARD_GOTO(r, join(path, dir, VF_SNP_SIM_PKI_JSON, "", ""), out);
	TC_GUARD_GOTO(r, tc_file_read(path, SIM_FILE_MAX, &text), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)text.data, text.len, SIM_FILE_MAX, &doc), out);
	hex = json_string_value(json_object_get(doc, "chip_id"));
	TC_ENSURE_GOTO(r, hex, out, TC_ERR_INVALID_ARGUMENT, "%s has no chip_id", path);
	r = tc_hex_decode_fixed(hex, strlen(hex), out, VF_SNP_CHIP_ID_LEN);
out:
	json_decref(doc);
	tc_buf_cleanup(&text);
	return r;
}
