/*
 * vf_tdx_sim.c — vf_tdx_sim_init: a simulated Intel SGX/TDX vendor PKI with matching PCS collateral
 * (DESIGN.md "Real components": simulated TEEs; layout in docs/sim.md "## TDX").
 *
 *   DIR/intel_root.pem                  the simulated Intel SGX Root CA (P-256, marked VF_SIM_ROOT_OID)
 *   DIR/collateral/                     role-named files as `teecert verify --collateral` reads them:
 *     tcb_info.json, tcb_info_issuer_chain.pem, qe_identity.json, qe_identity_issuer_chain.pem,
 *     pck_crl.der, pck_crl_issuer_chain.pem, root_ca_crl.der
 *   DIR/keys/ (0700)                    private keys (PEM PKCS#8, 0600) and the certificates that sign evidence
 *   DIR/pki.json                        what was generated: times, serials, FMSPC, the TCB presets
 *
 * The structure (names, levels, FMSPC, windows relative to the creation time) is deterministic; the keys and
 * serial numbers are fresh. The PCS bodies are signed over the exact bytes of their inner object, emitted once.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "vf_internal.h"
#include "vf_tdx_sim.h"

/* What init builds before writing it out. */
struct sim_build {
	const char *dir;
	struct vf_tdx_sim_pki pki; /* created_at, certificates and keys */
	X509 *pck;
	ASN1_INTEGER *other_pck_serial, *root_crl_serial;
	struct tc_buf tcb_info, qe_identity, pck_crl, root_crl;
};

static void build_cleanup(struct sim_build *b)
{
	X509_free(b->pki.root);
	X509_free(b->pki.platform_ca);
	X509_free(b->pki.tcb_signer);
	EVP_PKEY_free(b->pki.root_key);
	EVP_PKEY_free(b->pki.platform_ca_key);
	EVP_PKEY_free(b->pki.tcb_key);
	EVP_PKEY_free(b->pki.pck_key);
	EVP_PKEY_free(b->pki.ak_key);
	ASN1_INTEGER_free(b->pki.revoked_pck_serial);
	X509_free(b->pck);
	ASN1_INTEGER_free(b->other_pck_serial);
	ASN1_INTEGER_free(b->root_crl_serial);
	tc_buf_cleanup(&b->tcb_info);
	tc_buf_cleanup(&b->qe_identity);
	tc_buf_cleanup(&b->pck_crl);
	tc_buf_cleanup(&b->root_crl);
}

/* ---------------------------------------------------------------------------------------------- build */

static TC_RESULT build_pki(struct sim_build *b)
{
	struct vf_tdx_sim_pki *p = &b->pki;
	int64_t nb = p->created_at - VF_TDX_SIM_CERT_LEAD;

	TC_GUARD(vf_sim_key_new("P-256", &p->root_key));
	TC_GUARD(vf_sim_key_new("P-256", &p->platform_ca_key));
	TC_GUARD(vf_sim_key_new("P-256", &p->tcb_key));
	TC_GUARD(vf_sim_key_new("P-256", &p->pck_key));
	TC_GUARD(vf_sim_key_new("P-256", &p->ak_key));

	struct vf_tdx_sim_cert_spec root = { VF_TDX_SIM_CERT_ROOT,
					     "Intel SGX Root CA (simulated)",
					     p->root_key,
					     NULL,
					     p->root_key,
					     nb,
					     p->created_at + VF_TDX_SIM_ROOT_YEARS * VF_TDX_SIM_YEAR,
					     NULL,
					     NULL };
	TC_GUARD(vf_tdx_sim_cert_issue(&root, &p->root));
	struct vf_tdx_sim_cert_spec ca = { VF_TDX_SIM_CERT_CA,
					   "Intel SGX PCK Platform CA (simulated)",
					   p->platform_ca_key,
					   p->root,
					   p->root_key,
					   nb,
					   p->created_at + VF_TDX_SIM_CA_YEARS * VF_TDX_SIM_YEAR,
					   NULL,
					   NULL };
	TC_GUARD(vf_tdx_sim_cert_issue(&ca, &p->platform_ca));
	struct vf_tdx_sim_cert_spec tcb = { VF_TDX_SIM_CERT_TCB_SIGNER,
					    "Intel SGX TCB Signing (simulated)",
					    p->tcb_key,
					    p->root,
					    p->root_key,
					    nb,
					    p->created_at + VF_TDX_SIM_LEAF_YEARS * VF_TDX_SIM_YEAR,
					    NULL,
					    NULL };
	TC_GUARD(vf_tdx_sim_cert_issue(&tcb, &p->tcb_signer));

	/* The default PCK certificate (uptodate preset), for tools that sign evidence outside teecert. */
	struct vf_tdx_sim_quote_opts o;
	TC_GUARD(vf_tdx_sim_quote_opts_init(&o));
	TC_GUARD(vf_sim_serial(VF_TDX_SIM_SERIAL_LEN, &p->revoked_pck_serial));
	return vf_tdx_sim_pck_issue(p, &o, &b->pck);
}

static TC_RESULT build_collateral(struct sim_build *b)
{
	struct vf_tdx_sim_pki *p = &b->pki;
	int64_t issue = p->created_at - VF_TDX_SIM_COLLATERAL_LEAD,
		next = p->created_at + VF_TDX_SIM_COLLATERAL_DAYS * VF_TDX_SIM_DAY;
	struct tc_result r = tc_ok();
	struct tc_buf inner;

	tc_buf_init(&inner, TC_BUF_DEFAULT_MAX);
	TC_GUARD_GOTO(r, vf_tdx_sim_tcb_info_text(issue, next, &inner), out);
	TC_GUARD_GOTO(r, vf_tdx_sim_pcs_body("tcbInfo", inner.data, inner.len, p->tcb_key, &b->tcb_info), out);
	tc_buf_reset(&inner);
	TC_GUARD_GOTO(r, vf_tdx_sim_qe_identity_text(issue, next, &inner), out);
	TC_GUARD_GOTO(r, vf_tdx_sim_pcs_body("enclaveIdentity", inner.data, inner.len, p->tcb_key, &b->qe_identity),
		      out);

	/* PCK CRL: the revoked PCK serial (--pck-revoked) and one more; root CA CRL: an unrelated serial. */
	TC_GUARD_GOTO(r, vf_sim_serial(VF_TDX_SIM_SERIAL_LEN, &b->other_pck_serial), out);
	TC_GUARD_GOTO(r, vf_sim_serial(VF_TDX_SIM_SERIAL_LEN, &b->root_crl_serial), out);
	const ASN1_INTEGER *pck_serials[] = { p->revoked_pck_serial, b->other_pck_serial };
	const ASN1_INTEGER *root_serials[] = { b->root_crl_serial };
	TC_GUARD_GOTO(r, vf_tdx_sim_crl(p->platform_ca, p->platform_ca_key, issue, next, pck_serials, 2, &b->pck_crl),
		      out);
	TC_GUARD_GOTO(r, vf_tdx_sim_crl(p->root, p->root_key, issue, next, root_serials, 1, &b->root_crl), out);
out:
	tc_buf_cleanup(&inner);
	return r;
}

/* ---------------------------------------------------------------------------------------------- write */

static TC_RESULT path_of(const char *dir, const char *rel, char *out, size_t size)
{
	TC_ENSURE(snprintf(out, size, "%s/%s", dir, rel) < (int)size, TC_ERR_TOO_LARGE, "path too long: %s/%s", dir,
		  rel);
	return tc_ok();
}

static TC_RESULT write_bytes(const char *dir, const char *rel, const struct tc_buf *data)
{
	char path[VF_TDX_SIM_PATH_MAX];
	TC_GUARD(path_of(dir, rel, path, sizeof path));
	return tc_file_write(path, data->data, data->len, 0644);
}

/* CERTS (NULL-terminated) as one PEM file. */
static TC_RESULT write_pem(const char *dir, const char *rel, X509 *const *certs)
{
	char path[VF_TDX_SIM_PATH_MAX];
	size_t n = 0;
	TC_GUARD(path_of(dir, rel, path, sizeof path));
	while (certs[n] != NULL)
		n++;
	return vf_sim_certs_write(path, certs, n);
}

static TC_RESULT write_key(const char *dir, const char *rel, EVP_PKEY *key)
{
	char path[VF_TDX_SIM_PATH_MAX];
	TC_GUARD(path_of(dir, rel, path, sizeof path));
	return vf_sim_key_write(path, key);
}

static json_t *serial_hex(const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	json_t *s = hex != NULL ? json_string(hex) : NULL;
	OPENSSL_free(hex);
	BN_free(bn);
	return s;
}

static json_t *time_json(int64_t t)
{
	char text[TC_TIME_RFC3339_LEN];
	return tc_is_ok(tc_time_format(t, text)) ? json_string(text) : NULL;
}

/* {file, key, subject, serial, not_before, not_after} of a certificate. */
static json_t *cert_json(X509 *x, const char *file, const char *key)
{
	char subject[256];
	int64_t nb = 0, na = 0;
	if (X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject) == NULL ||
	    !tc_is_ok(vf_asn1_time_to_unix(X509_get0_notBefore(x), &nb)) ||
	    !tc_is_ok(vf_asn1_time_to_unix(X509_get0_notAfter(x), &na)))
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "file", file, "key", key, "subject", subject, "serial",
			 serial_hex(X509_get0_serialNumber(x)), "not_before", time_json(nb), "not_after",
			 time_json(na));
}

static json_t *presets_json(void)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < vf_tdx_sim_n_presets; i++) {
		const struct vf_tdx_sim_preset *p = &vf_tdx_sim_presets[i];
		json_t *e = json_pack("{s:s,s:s,s:s}", "name", p->name, "summary", p->summary, "expect",
				      p->level_found ? vf_tcb_status_name(p->expect) : "tcb_level_not_found");
		if (json_array_append_new(a, e) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static TC_RESULT write_info(struct sim_build *b)
{
	const struct vf_tdx_sim_pki *p = &b->pki;
	char fmspc[2 * VF_TDX_FMSPC_LEN + 1], pceid[2 * VF_TDX_PCEID_LEN + 1];
	struct tc_result r = tc_ok();
	struct tc_buf text;
	char *dumped = NULL;

	tc_buf_init(&text, TC_BUF_DEFAULT_MAX);
	TC_GUARD(tc_hex_encode(vf_tdx_sim_fmspc, VF_TDX_FMSPC_LEN, fmspc, sizeof fmspc));
	TC_GUARD(tc_hex_encode(vf_tdx_sim_pceid, VF_TDX_PCEID_LEN, pceid, sizeof pceid));
	int64_t issue = p->created_at - VF_TDX_SIM_COLLATERAL_LEAD,
		next = p->created_at + VF_TDX_SIM_COLLATERAL_DAYS * VF_TDX_SIM_DAY;
	json_t *info = json_pack(
		"{s:s,s:b,s:o,s:s,s:s,s:s,"
		"s:{s:o,s:o,s:o,s:o},"
		"s:{s:s},"
		"s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o},"
		"s:{s:o,s:o},"
		"s:o}",
		"tee", "tdx", "simulated", 1, "created_at", time_json(p->created_at), "trust_anchor", "intel_root.pem",
		"fmspc", fmspc, "pce_id", pceid, "certificates", "root",
		cert_json(p->root, "intel_root.pem", "keys/root_key.pem"), "pck_platform_ca",
		cert_json(p->platform_ca, "keys/pck_platform_ca_cert.pem", "keys/pck_platform_ca_key.pem"),
		"tcb_signing", cert_json(p->tcb_signer, "keys/tcb_signing_cert.pem", "keys/tcb_signing_key.pem"), "pck",
		cert_json(b->pck, "keys/pck_cert.pem", "keys/pck_key.pem"), "attestation_key", "key",
		"keys/attestation_key.pem", "collateral", "tcb_info", "collateral/tcb_info.json",
		"tcb_info_issuer_chain", "collateral/tcb_info_issuer_chain.pem", "qe_identity",
		"collateral/qe_identity.json", "qe_identity_issuer_chain", "collateral/qe_identity_issuer_chain.pem",
		"pck_crl", "collateral/pck_crl.der", "pck_crl_issuer_chain", "collateral/pck_crl_issuer_chain.pem",
		"root_ca_crl", "collateral/root_ca_crl.der", "issue_date", time_json(issue), "next_update",
		time_json(next), "pck_crl", "revoked_pck_serial", serial_hex(p->revoked_pck_serial),
		"other_revoked_serial", serial_hex(b->other_pck_serial), "tcb_presets", presets_json());
	TC_ENSURE_GOTO(r, info != NULL, out, TC_ERR_NO_MEMORY, "pki.json: out of memory");
	dumped = json_dumps(info, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	TC_ENSURE_GOTO(r, dumped != NULL, out, TC_ERR_NO_MEMORY, "pki.json: out of memory");
	TC_GUARD_GOTO(r, tc_buf_append_str(&text, dumped), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&text, '\n'), out);
	r = write_bytes(b->dir, "pki.json", &text);
out:
	free(dumped);
	json_decref(info);
	tc_buf_cleanup(&text);
	return r;
}

static TC_RESULT write_all(struct sim_build *b)
{
	const struct vf_tdx_sim_pki *p = &b->pki;
	char path[VF_TDX_SIM_PATH_MAX];
	X509 *root_only[] = { p->root, NULL };
	X509 *tcb_chain[] = { p->tcb_signer, p->root, NULL };
	X509 *ca_chain[] = { p->platform_ca, p->root, NULL };
	X509 *ca_only[] = { p->platform_ca, NULL };
	X509 *tcb_only[] = { p->tcb_signer, NULL };
	X509 *pck_only[] = { b->pck, NULL };

	TC_GUARD(vf_sim_mkdir(b->dir, 0755));
	TC_GUARD(path_of(b->dir, "keys", path, sizeof path));
	TC_GUARD(vf_sim_mkdir(path, 0700));
	TC_GUARD(path_of(b->dir, "collateral", path, sizeof path));
	TC_GUARD(vf_sim_mkdir(path, 0755));

	TC_GUARD(write_pem(b->dir, "intel_root.pem", root_only));
	TC_GUARD(write_bytes(b->dir, "collateral/tcb_info.json", &b->tcb_info));
	TC_GUARD(write_pem(b->dir, "collateral/tcb_info_issuer_chain.pem", tcb_chain));
	TC_GUARD(write_bytes(b->dir, "collateral/qe_identity.json", &b->qe_identity));
	TC_GUARD(write_pem(b->dir, "collateral/qe_identity_issuer_chain.pem", tcb_chain));
	TC_GUARD(write_bytes(b->dir, "collateral/pck_crl.der", &b->pck_crl));
	TC_GUARD(write_pem(b->dir, "collateral/pck_crl_issuer_chain.pem", ca_chain));
	TC_GUARD(write_bytes(b->dir, "collateral/root_ca_crl.der", &b->root_crl));

	TC_GUARD(write_key(b->dir, "keys/root_key.pem", p->root_key));
	TC_GUARD(write_pem(b->dir, "keys/root_cert.pem", root_only));
	TC_GUARD(write_key(b->dir, "keys/pck_platform_ca_key.pem", p->platform_ca_key));
	TC_GUARD(write_pem(b->dir, "keys/pck_platform_ca_cert.pem", ca_only));
	TC_GUARD(write_key(b->dir, "keys/tcb_signing_key.pem", p->tcb_key));
	TC_GUARD(write_pem(b->dir, "keys/tcb_signing_cert.pem", tcb_only));
	TC_GUARD(write_key(b->dir, "keys/pck_key.pem", p->pck_key));
	TC_GUARD(write_pem(b->dir, "keys/pck_cert.pem", pck_only));
	TC_GUARD(write_key(b->dir, "keys/attestation_key.pem", p->ak_key));
	return write_info(b);
}

TC_RESULT vf_tdx_sim_init(const char *dir)
{
	struct sim_build b;
	memset(&b, 0, sizeof b);
	TC_ENSURE(dir != NULL && dir[0] != '\0', TC_ERR_INVALID_ARGUMENT, "tdx sim: no folder given");
	b.dir = dir;
	tc_buf_init(&b.tcb_info, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&b.qe_identity, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&b.pck_crl, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&b.root_crl, TC_BUF_DEFAULT_MAX);
	b.pki.created_at = tc_time_now();

	struct tc_result r = build_pki(&b);
	if (tc_is_ok(r))
		r = build_collateral(&b);
	if (tc_is_ok(r))
		r = write_all(&b);
	build_cleanup(&b);
	return r;
}

/* A quote for REPORT_DATA from this machine's TEE, or from the simulated PKI in SIM_PKI (vf.h). */
TC_RESULT vf_tdx_quote_for(const char *sim_pki, const uint8_t report_data[VF_REPORT_DATA_LEN], struct tc_buf *out)
{
	struct vf_cpu_evidence ev;
	struct tc_result r;

	if (sim_pki) {
		struct vf_tdx_sim_pki *pki = NULL;
		struct vf_tdx_sim_quote_opts o;

		TC_GUARD(vf_tdx_sim_quote_opts_init(&o));
		memcpy(o.report.report_data, report_data, VF_REPORT_DATA_LEN);
		r = vf_tdx_sim_pki_load(sim_pki, &pki);
		if (tc_is_ok(r))
			r = vf_tdx_sim_quote(pki, &o, out);
		vf_tdx_sim_pki_free(pki);
		return r;
	}
	TC_GUARD(vf_collect_cpu(NULL, report_data, &ev));
	if (ev.tee != VF_TEE_TDX || ev.td_report_only)
		r = tc_fail(TC_ERR_UNSUPPORTED, "a TDX quote is needed (this machine gave %s evidence via %s)",
			    vf_tee_name(ev.tee), ev.interface);
	else
		r = tc_buf_append(out, ev.evidence.data, ev.evidence.len);
	vf_cpu_evidence_cleanup(&ev);
	return r;
}
