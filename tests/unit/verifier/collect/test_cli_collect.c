/*
 * test_cli_collect.c — `teecert collect` end to end against the fake configfs-tsm kernel (fake_tsm.c) and the
 * fake NVML (fake_nvml.c), then `teecert verify` on the files it wrote: the written evidence must be exactly
 * what verify reads. Also: no TEE at all (exit 3, every interface named), a racing writer, usage errors, and
 * the --bind mode (report data = the DESIGN.md binding of a CSR and a nonce, echoed by the fake kernel).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fake_tsm.h"
#include "vf.h"

#define TDX_QUOTE "tdx/phala_v4_quote_b0c06f000000_uptodate.dat"
#define SNP_REPORT "snp/trustee_milan_v2_report.bin"
#define GPU_NONCE "e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576"
#define MAX_ARGS 64

static char work[256];
static struct tc_buf out_text, err_text;

static int setup(void **state)
{
	snprintf(work, sizeof(work), "/tmp/teecert-cli-collect-%ld", (long)getpid());
	assert_int_equal(mkdir(work, 0700), 0);
	tc_buf_init(&out_text, 1u << 20);
	tc_buf_init(&err_text, 1u << 20);
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	assert_int_equal(system(cmd), 0);
	tc_buf_cleanup(&out_text);
	tc_buf_cleanup(&err_text);
	return 0;
}

/* Run teecert with ARGS (NULL-terminated); stdout/stderr captured; returns the exit code. */
static int run(const char *const *args)
{
	const char *bin = getenv("TEECERT_BIN");
	char out_path[300], err_path[300];
	char *argv[MAX_ARGS];
	size_t n = 0;
	pid_t pid;
	int status = 0;

	assert_non_null(bin);
	argv[n++] = (char *)bin;
	for (size_t i = 0; args[i] && n < MAX_ARGS - 1; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	snprintf(out_path, sizeof(out_path), "%s/stdout", work);
	snprintf(err_path, sizeof(err_path), "%s/stderr", work);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
			_exit(127);
		execv(bin, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	tc_buf_reset(&out_text);
	tc_buf_reset(&err_text);
	fake_read_file(out_path, &out_text);
	fake_read_file(err_path, &err_text);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static json_t *manifest(const char *dir)
{
	char path[512];
	struct tc_buf b;
	json_t *j = NULL;

	tc_buf_init(&b, 1u << 20);
	path_in(path, sizeof(path), dir, "manifest.json");
	fake_read_file(path, &b);
	assert_true(tc_is_ok(tc_json_parse((const char *)b.data, b.len, TC_JSON_MAX_DEFAULT, &j)));
	tc_buf_cleanup(&b);
	return j;
}

static void assert_same_file(const char *a, const char *b_rel)
{
	char path[1024];
	struct tc_buf x, y;

	tc_buf_init(&x, 1u << 20);
	tc_buf_init(&y, 1u << 20);
	fake_read_file(a, &x);
	fake_shared_path(path, sizeof(path), b_rel);
	fake_read_file(path, &y);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	tc_buf_cleanup(&x);
	tc_buf_cleanup(&y);
}

/* A folder of role-named collateral files (symlinks into ../shared), for `teecert verify --collateral`. */
static void collateral_dir(const char *dir, const char *const *pairs)
{
	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; pairs[i]; i += 2) {
		char target[1024], link[512];

		fake_shared_path(target, sizeof(target), pairs[i + 1]);
		path_in(link, sizeof(link), dir, pairs[i]);
		assert_int_equal(symlink(target, link), 0);
	}
}

static void write_text(const char *path, const char *text)
{
	assert_true(tc_is_ok(tc_file_write(path, text, strlen(text), 0644)));
}

static void test_no_tee(void **state)
{
	char out[300];
	const char *args[] = { "collect",
			       "--report-data",
			       "00",
			       "--out",
			       out,
			       "--tsm-root",
			       "/nonexistent/tsm",
			       "--tdx-device",
			       "/nonexistent/tdx",
			       "--sev-device",
			       "/nonexistent/sev",
			       NULL };
	char rd[129];

	path_in(out, sizeof(out), work, "none");
	memset(rd, 'a', 128);
	rd[128] = 0;
	args[2] = rd;
	assert_int_equal(run(args), 3);
	assert_non_null(strstr((const char *)err_text.data, "no TEE interface found"));
	assert_non_null(strstr((const char *)err_text.data, "/nonexistent/tsm"));
	assert_non_null(strstr((const char *)err_text.data, "/nonexistent/tdx"));
	assert_non_null(strstr((const char *)err_text.data, "/nonexistent/sev"));
}

static void test_usage_errors(void **state)
{
	const char *none[] = { "collect", "--out", "/tmp/x", NULL };
	const char *both[] = {
		"collect", "--report-data", "00", "--bind", "a.pem", "--nonce", "00", "--out", "x", NULL
	};
	const char *gpus[] = { "collect", "--report-data", "00", "--gpus", "--out", "x", NULL };
	const char *bad_rd[] = { "collect", "--report-data", "abcd", "--out", "x", NULL };

	assert_int_equal(run(none), 1);
	assert_int_equal(run(both), 1);
	assert_int_equal(run(gpus), 1);
	assert_non_null(strstr((const char *)err_text.data, "--gpu-nonce"));
	assert_int_equal(run(bad_rd), 1);
}

static void test_tdx_collect_then_verify(void **state)
{
	struct fake_tsm f;
	uint8_t rd[64];
	char rd_hex[129], out[300], coll[300], quote[512];
	json_t *m;
	static const char *const pairs[] = {
		"tcb_info.json",
		"tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json",
		"tcb_info_issuer_chain.pem",
		"tdx/intel_tcb_signing_chain_2025-2032.pem",
		"qe_identity.json",
		"tdx/phala_collateral_b0c06f000000_2025-06-19_qe_identity.json",
		"qe_identity_issuer_chain.pem",
		"tdx/intel_tcb_signing_chain_2025-2032.pem",
		"pck_crl.der",
		"tdx/phala_collateral_b0c06f000000_2025-06-19_pck_crl.der",
		"pck_crl_issuer_chain.pem",
		"tdx/gotdx_pck_crl_issuer_chain.pem",
		"root_ca_crl.der",
		"tdx/phala_collateral_root_ca_crl_2025-03-20.der",
		NULL,
	};
	char anchor[1024];

	fake_tsm_init(&f, "tdx_guest");
	{
		char p[1024];

		fake_shared_path(p, sizeof(p), TDX_QUOTE);
		fake_read_file(p, &f.outblob);
	}
	fake_report_data(TDX_QUOTE, 568, rd);
	assert_true(tc_is_ok(tc_hex_encode(rd, 64, rd_hex, sizeof(rd_hex))));
	assert_int_equal(fake_tsm_start(&f), 0);
	path_in(out, sizeof(out), work, "tdx");
	{
		const char *args[] = { "collect", "--report-data", rd_hex, "--tsm-root", f.root, "--out", out, NULL };

		assert_int_equal(run(args), 0);
	}
	fake_tsm_stop(&f);
	path_in(quote, sizeof(quote), out, "tdx_quote.bin");
	assert_same_file(quote, TDX_QUOTE);
	m = manifest(out);
	assert_string_equal(json_string_value(json_object_get(m, "tee")), "tdx");
	assert_string_equal(json_string_value(json_object_get(m, "provider")), "tdx_guest");
	assert_string_equal(json_string_value(json_object_get(m, "interface")), "configfs-tsm");
	assert_string_equal(json_string_value(json_object_get(m, "evidence_kind")), "quote");
	assert_string_equal(json_string_value(json_object_get(m, "report_data")), rd_hex);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "files"), "tdx_quote")),
			    "tdx_quote.bin");
	assert_non_null(json_object_get(m, "time"));
	json_decref(m);

	path_in(coll, sizeof(coll), work, "tdx-collateral");
	collateral_dir(coll, pairs);
	fake_shared_path(anchor, sizeof(anchor), "tdx/intel_sgx_root_ca.pem");
	{
		char ta[1100];
		const char *args[] = {
			"verify",         "--tee", "tdx",  "--evidence",           quote, "--collateral", coll,
			"--trust-anchor", ta,      "--at", "2025-07-19T10:00:34Z", NULL
		};

		snprintf(ta, sizeof(ta), "intel_root=%s", anchor);
		assert_int_equal(run(args), 0);
		assert_non_null(strstr((const char *)out_text.data, "\"accepted\""));
	}
}

static void test_snp_and_gpus_collect_then_verify(void **state)
{
	struct fake_tsm f;
	uint8_t rd[64];
	char rd_hex[129], out[300], coll[300], policy[300], gpolicy[300], p[1024], ta[1100];
	json_t *m, *files;
	static const char *const pairs[] = { NULL };

	fake_tsm_init(&f, "sev_guest");
	fake_shared_path(p, sizeof(p), SNP_REPORT);
	fake_read_file(p, &f.outblob);
	fake_snp_cert_table(&f.auxblob, false, false);
	f.has_auxblob = true;
	fake_report_data(SNP_REPORT, 0x50, rd);
	assert_true(tc_is_ok(tc_hex_encode(rd, 64, rd_hex, sizeof(rd_hex))));
	assert_int_equal(fake_tsm_start(&f), 0);
	path_in(out, sizeof(out), work, "snp");
	{
		const char *args[] = { "collect",     "--report-data", rd_hex,   "--gpus",
				       "--gpu-nonce", GPU_NONCE,       "--nvml", getenv("FAKE_NVML_LIB"),
				       "--tsm-root",  f.root,          "--out",  out,
				       NULL };

		assert_int_equal(run(args), 0);
		assert_non_null(strstr((const char *)out_text.data, "GPU evidence"));
	}
	fake_tsm_stop(&f);
	m = manifest(out);
	files = json_object_get(m, "files");
	assert_string_equal(json_string_value(json_object_get(m, "tee")), "snp");
	assert_string_equal(json_string_value(json_object_get(files, "vcek")), "vcek.der");
	assert_string_equal(json_string_value(json_object_get(files, "ark_ask_chain")), "ark_ask_chain.pem");
	assert_string_equal(json_string_value(json_object_get(files, "gpu3.cert_chain")), "gpu3_certchain.pem");
	assert_string_equal(json_string_value(json_object_get(m, "gpu_nonce")), GPU_NONCE);
	assert_int_equal(json_integer_value(json_object_get(m, "gpus")), 4);
	json_decref(m);
	path_in(p, sizeof(p), out, "vcek.der");
	assert_same_file(p, "snp/trustee_milan_vcek.der");
	path_in(p, sizeof(p), out, "gpu1_spdm.bin");
	assert_same_file(p, "nvidia/nvat_h100x4_590.12_gpu1_spdm.bin");

	/* SNP: the collateral folder holds just the collected ASK/ARK chain. */
	path_in(coll, sizeof(coll), work, "snp-collateral");
	collateral_dir(coll, pairs);
	{
		char src[512], dst[512];

		path_in(src, sizeof(src), out, "ark_ask_chain.pem");
		path_in(dst, sizeof(dst), coll, "ark_ask_chain.pem");
		assert_int_equal(symlink(src, dst), 0);
	}
	path_in(policy, sizeof(policy), work, "snp-policy.json");
	write_text(policy, "{\"check_revocation\": false}");
	fake_shared_path(p, sizeof(p), "snp/amd_ark_milan.pem");
	snprintf(ta, sizeof(ta), "amd_ark=%s", p);
	{
		char report[512], vcek[512];
		const char *args[] = { "verify", "--tee",    "snp",          "--evidence", report,
				       "--vcek", vcek,       "--collateral", coll,         "--trust-anchor",
				       ta,       "--policy", policy,         "--at",       "2024-01-01T00:00:00Z",
				       NULL };

		path_in(report, sizeof(report), out, "snp_report.bin");
		path_in(vcek, sizeof(vcek), out, "vcek.der");
		assert_int_equal(run(args), 0);
	}
	/* GPUs: the four collected SPDM captures and chains. */
	path_in(gpolicy, sizeof(gpolicy), work, "gpu-policy.json");
	write_text(gpolicy,
		   "{\"expected_nonce\": \"" GPU_NONCE "\", \"gpu_rims\": \"off\", \"check_revocation\": false}");
	fake_shared_path(p, sizeof(p), "nvidia/nvidia_device_identity_root_ca.pem");
	snprintf(ta, sizeof(ta), "nvidia_device_root=%s", p);
	{
		char e[4][512], c[4][512];
		const char *args[MAX_ARGS];
		size_t n = 0;

		args[n++] = "verify";
		args[n++] = "--tee";
		args[n++] = "nvidia";
		for (int i = 0; i < 4; i++) {
			char name[64];

			snprintf(name, sizeof(name), "gpu%d_spdm.bin", i);
			path_in(e[i], sizeof(e[i]), out, name);
			snprintf(name, sizeof(name), "gpu%d_certchain.pem", i);
			path_in(c[i], sizeof(c[i]), out, name);
			args[n++] = "--evidence";
			args[n++] = e[i];
			args[n++] = "--cert-chain";
			args[n++] = c[i];
		}
		args[n++] = "--policy";
		args[n++] = gpolicy;
		args[n++] = "--trust-anchor";
		args[n++] = ta;
		args[n++] = "--at";
		args[n++] = "2025-06-01T00:00:00Z";
		args[n] = NULL;
		assert_int_equal(run(args), 0);
	}
}

/* A CSR for a fresh P-256 key; SPKI_OUT gets its SubjectPublicKeyInfo DER. */
static void write_csr(const char *path, struct tc_buf *spki_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	FILE *f = fopen(path, "w");
	unsigned char *der = NULL;
	int n;

	assert_non_null(key);
	assert_non_null(f);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_X509_REQ(f, req), 1);
	fclose(f);
	n = i2d_PUBKEY(key, &der);
	assert_true(n > 0);
	assert_true(tc_is_ok(tc_buf_append(spki_out, der, (size_t)n)));
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static void test_bind_mode(void **state)
{
	struct fake_tsm f;
	char out[300], csr[300], wl[300], p[1024], rd_hex[129];
	struct tc_buf spki, report;
	uint8_t nonce[32], wl_hash[32], rd[64];
	const char *nonce_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	const char *wl_text = "{\"runtime_info\":[],\"created_at\":\"2025-01-01T00:00:00Z\",\"order_id\":\"o-1\"}";
	json_t *m, *wl_json = NULL;

	tc_buf_init(&spki, 4096);
	tc_buf_init(&report, 1u << 20);
	path_in(csr, sizeof(csr), work, "node.csr");
	write_csr(csr, &spki);
	path_in(wl, sizeof(wl), work, "workload.json");
	write_text(wl, wl_text);
	assert_true(tc_is_ok(tc_hex_decode_fixed(nonce_hex, 64, nonce, 32)));
	assert_true(tc_is_ok(tc_json_parse(wl_text, strlen(wl_text), TC_JSON_MAX_DEFAULT, &wl_json)));
	assert_true(tc_is_ok(vf_binding_workload_info_hash(wl_json, wl_hash)));
	assert_true(tc_is_ok(vf_binding_report_data(spki.data, spki.len, nonce, wl_hash, rd)));
	assert_true(tc_is_ok(tc_hex_encode(rd, 64, rd_hex, sizeof(rd_hex))));
	json_decref(wl_json);

	fake_tsm_init(&f, "sev_guest");
	fake_shared_path(p, sizeof(p), SNP_REPORT);
	fake_read_file(p, &f.outblob);
	f.echo_offset = 0x50; /* the fake firmware puts the inblob into REPORT_DATA */
	assert_int_equal(fake_tsm_start(&f), 0);
	path_in(out, sizeof(out), work, "bind");
	{
		const char *args[] = { "collect", "--bind",     csr,    "--nonce", nonce_hex, "--workload-info",
				       wl,        "--tsm-root", f.root, "--out",   out,       NULL };

		assert_int_equal(run(args), 0);
		/* No certificate table from this host: said plainly, still collected. */
		assert_non_null(strstr((const char *)err_text.data, "no VCEK/VLEK"));
	}
	fake_tsm_stop(&f);
	m = manifest(out);
	assert_string_equal(json_string_value(json_object_get(m, "report_data")), rd_hex);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "binding"), "nonce")), nonce_hex);
	assert_int_equal(json_array_size(json_object_get(m, "warnings")), 1);
	json_decref(m);
	path_in(p, sizeof(p), out, "snp_report.bin");
	fake_read_file(p, &report);
	assert_memory_equal(report.data + 0x50, rd, 64);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&report);
}

static void test_racing_writer(void **state)
{
	struct fake_tsm f;
	char out[300], p[1024];
	uint8_t rd[64];
	char rd_hex[129];

	fake_tsm_init(&f, "tdx_guest");
	fake_shared_path(p, sizeof(p), TDX_QUOTE);
	fake_read_file(p, &f.outblob);
	f.extra_bumps = 3;
	fake_report_data(TDX_QUOTE, 568, rd);
	assert_true(tc_is_ok(tc_hex_encode(rd, 64, rd_hex, sizeof(rd_hex))));
	assert_int_equal(fake_tsm_start(&f), 0);
	path_in(out, sizeof(out), work, "race");
	{
		const char *args[] = { "collect", "--report-data", rd_hex, "--tsm-root", f.root, "--out", out, NULL };

		assert_int_equal(run(args), 3);
	}
	fake_tsm_stop(&f);
	assert_non_null(strstr((const char *)err_text.data, "racing writer"));
	path_in(p, sizeof(p), out, "tdx_quote.bin");
	assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_tee),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_tdx_collect_then_verify),
		cmocka_unit_test(test_snp_and_gpus_collect_then_verify),
		cmocka_unit_test(test_bind_mode),
		cmocka_unit_test(test_racing_writer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
