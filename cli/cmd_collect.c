/*
 * cmd_collect.c — `teecert collect`: ask this machine's TEE for evidence and write it in the files
 * `teecert verify` reads (docs/collect.md), plus manifest.json describing what was collected.
 *
 * The report data is either given (--report-data) or computed from a CSR and a challenge nonce as DESIGN.md
 * "Evidence binding" says (--bind/--nonce, optional --workload-info). Exit codes (cli.h): 0 collected,
 * 1 usage error, 3 no TEE / collection failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vf.h"

#define COLLECT_FILE_MAX ((size_t)1024 * 1024)
#define COLLECT_PATH_MAX 4096
#define COLLECT_NAME_MAX 64

struct collect_args {
	const char *report_data_hex, *csr, *nonce_hex, *workload_info, *gpu_nonce_hex;
	const char *tsm_root, *tdx_device, *sev_device, *nvml, *out_dir;
	int privlevel;
	bool gpus, no_fallback;
};

/* What the run computed and wrote; the manifest is built from it. */
struct collect_state {
	uint8_t report_data[VF_REPORT_DATA_LEN];
	uint8_t nonce[VF_BINDING_NONCE_LEN];
	uint8_t workload_hash[VF_BINDING_HASH_LEN];
	uint8_t gpu_nonce[VF_GPU_NONCE_LEN];
	bool bound, has_workload, has_gpu_nonce;
	json_t *files;    /* role -> file name */
	json_t *warnings; /* strings */
};

static void collect_usage(FILE *f)
{
	fprintf(f,
		"usage: teecert collect (--report-data HEX | --bind CSR.pem --nonce HEX [--workload-info FILE.json])\n"
		"                       [--gpus [--gpu-nonce HEX]] [--tsm-root DIR] [--nvml PATH] --out DIR\n"
		"  --report-data HEX      the 64 bytes the TEE signs (TDX REPORTDATA, SNP REPORT_DATA), 128 hex digits\n"
		"  --bind CSR.pem         compute report data from the CSR's public key and the challenge --nonce\n"
		"                         (SHA-512(\"teecert/v1\" || SHA-256(SPKI) || nonce || workload_info_hash?))\n"
		"  --nonce HEX            the 32-byte challenge nonce of POST /v1/challenges\n"
		"  --workload-info FILE   workload info JSON; its RFC 8785 SHA-256 is bound into the report data\n"
		"  --gpus                 also collect every GPU's evidence through NVML (SPDM nonce: the GPU binding,\n"
		"                         or --gpu-nonce HEX with --report-data)\n"
		"  --tsm-root DIR         configfs-tsm report folder (default " VF_TSM_DEFAULT_ROOT ")\n"
		"  --tdx-device PATH      fallback device (default " VF_TDX_GUEST_DEVICE ")\n"
		"  --sev-device PATH      fallback device (default " VF_SEV_GUEST_DEVICE ")\n"
		"  --no-fallback          configfs-tsm only\n"
		"  --privlevel N          SNP: the VMPL to report at (configfs-tsm privlevel), 0..3\n"
		"  --nvml PATH            NVML library (default " VF_NVML_DEFAULT_LIB ")\n"
		"  --out DIR              where to write the evidence files and manifest.json (created)\n"
		"exit: 0 collected, 1 usage error, 3 no TEE present or collection failed\n");
}

static int fail(const char *prog, struct tc_result r)
{
	fprintf(stderr, "%s: %s: %s\n", prog, tc_error_info(r.code)->code, tc_error_detail());
	return CLI_EXIT_INTERNAL;
}

static TC_RESULT read_text(const char *path, struct tc_buf *out)
{
	tc_buf_init(out, COLLECT_FILE_MAX);
	return tc_file_read(path, COLLECT_FILE_MAX, out);
}

/* Report data (and the GPU nonce) from the arguments. */
static TC_RESULT compute_binding(const struct collect_args *a, struct collect_state *s)
{
	struct tc_buf csr, spki, wl;
	json_t *info = NULL;
	struct tc_result r;

	if (a->report_data_hex) {
		TC_GUARD(tc_hex_decode_fixed(a->report_data_hex, strlen(a->report_data_hex), s->report_data,
					     VF_REPORT_DATA_LEN));
		if (a->gpu_nonce_hex) {
			TC_GUARD(tc_hex_decode_fixed(a->gpu_nonce_hex, strlen(a->gpu_nonce_hex), s->gpu_nonce,
						     VF_GPU_NONCE_LEN));
			s->has_gpu_nonce = true;
		}
		return tc_ok();
	}
	tc_buf_init(&spki, COLLECT_FILE_MAX);
	tc_buf_init(&wl, 0);
	TC_GUARD_GOTO(r, tc_hex_decode_fixed(a->nonce_hex, strlen(a->nonce_hex), s->nonce, VF_BINDING_NONCE_LEN), out);
	TC_GUARD_GOTO(r, read_text(a->csr, &csr), out_csr);
	TC_GUARD_GOTO(r, vf_binding_csr_spki((const char *)csr.data, csr.len, &spki), out_csr);
	if (a->workload_info) {
		TC_GUARD_GOTO(r, read_text(a->workload_info, &wl), out_csr);
		TC_GUARD_GOTO(r, tc_json_parse((const char *)wl.data, wl.len, TC_JSON_MAX_DEFAULT, &info), out_csr);
		TC_GUARD_GOTO(r, vf_binding_workload_info_hash(info, s->workload_hash), out_csr);
		s->has_workload = true;
	}
	TC_GUARD_GOTO(r,
		      vf_binding_report_data(spki.data, spki.len, s->nonce, s->has_workload ? s->workload_hash : NULL,
					     s->report_data),
		      out_csr);
	TC_GUARD_GOTO(r, vf_binding_gpu_nonce(spki.data, spki.len, s->nonce, s->gpu_nonce), out_csr);
	s->has_gpu_nonce = true;
	s->bound = true;
out_csr:
	tc_buf_cleanup(&csr);
out:
	json_decref(info);
	tc_buf_cleanup(&wl);
	tc_buf_cleanup(&spki);
	return r;
}

static TC_RESULT write_item(const char *dir, const char *name, const char *role, const struct tc_buf *b,
			    struct collect_state *s)
{
	char path[COLLECT_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	TC_GUARD(tc_file_write(path, b->data, b->len, 0644));
	TC_ENSURE(json_object_set_new(s->files, role, json_string(name)) == 0, TC_ERR_NO_MEMORY, "out of memory");
	return tc_ok();
}

static void warn(const char *prog, struct collect_state *s, const char *text)
{
	fprintf(stderr, "%s: warning: %s\n", prog, text);
	json_array_append_new(s->warnings, json_string(text));
}

static TC_RESULT write_cpu(const char *prog, const char *dir, const struct vf_cpu_evidence *ev, struct collect_state *s)
{
	if (ev->tee == VF_TEE_TDX && ev->td_report_only) {
		TC_GUARD(write_item(dir, "tdx_tdreport.bin", "tdx_tdreport", &ev->evidence, s));
		warn(prog, s,
		     "only a TDX TDREPORT was collected (/dev/tdx_guest): it is MAC'd for this CPU, not a signed quote, "
		     "and no verifier can appraise it; a quote needs the host's quote generation service (QGS) through "
		     "configfs-tsm (" VF_TSM_DEFAULT_ROOT ")");
		return tc_ok();
	}
	if (ev->tee == VF_TEE_TDX)
		return write_item(dir, "tdx_quote.bin", "tdx_quote", &ev->evidence, s);
	TC_GUARD(write_item(dir, "snp_report.bin", "snp_report", &ev->evidence, s));
	if (ev->cert_table.len)
		TC_GUARD(write_item(dir, "snp_cert_table.bin", "snp_cert_table", &ev->cert_table, s));
	if (ev->endorsement.len)
		TC_GUARD(write_item(dir, ev->is_vlek ? "vlek.der" : "vcek.der", ev->is_vlek ? "vlek" : "vcek",
				    &ev->endorsement, s));
	else
		warn(prog, s,
		     "the host supplied no VCEK/VLEK in the certificate table: fetch the VCEK from AMD KDS "
		     "(https://kdsintf.amd.com/vcek/v1/<product>/<CHIP_ID>?blSPL=..) before verifying");
	if (ev->ark_ask_chain.len)
		TC_GUARD(write_item(dir, "ark_ask_chain.pem", "ark_ask_chain", &ev->ark_ask_chain, s));
	return tc_ok();
}

static TC_RESULT write_gpus(const char *dir, const struct vf_nvidia_evidence *gpu, struct collect_state *s)
{
	for (size_t i = 0; i < gpu->n_gpus; i++) {
		char name[COLLECT_NAME_MAX], role[COLLECT_NAME_MAX];

		snprintf(name, sizeof(name), "gpu%zu_spdm.bin", i);
		snprintf(role, sizeof(role), "gpu%zu.spdm", i);
		TC_GUARD(write_item(dir, name, role, &gpu->gpus[i].spdm, s));
		snprintf(name, sizeof(name), "gpu%zu_certchain.pem", i);
		snprintf(role, sizeof(role), "gpu%zu.cert_chain", i);
		TC_GUARD(write_item(dir, name, role, &gpu->gpus[i].cert_chain, s));
	}
	return tc_ok();
}

static TC_RESULT write_manifest(const char *dir, const struct vf_cpu_evidence *ev, const struct collect_state *s,
				size_t n_gpus)
{
	char now[TC_TIME_RFC3339_LEN], path[COLLECT_PATH_MAX];
	json_t *m = json_object();
	char *dump = NULL;
	struct tc_buf text;
	struct tc_result r;

	tc_buf_init(&text, COLLECT_FILE_MAX);
	TC_GUARD_GOTO(r, tc_time_format(tc_time_now(), now), out);
	TC_ENSURE_GOTO(r, m, out, TC_ERR_NO_MEMORY, "out of memory");
	json_object_set_new(m, "tee", json_string(vf_tee_name(ev->tee)));
	json_object_set_new(m, "provider", json_string(ev->provider));
	json_object_set_new(m, "interface", json_string(ev->interface));
	json_object_set_new(m, "evidence_kind",
			    json_string(ev->tee == VF_TEE_SNP ? "attestation_report" :
					ev->td_report_only    ? "td_report" :
								"quote"));
	json_object_set_new(m, "verifiable", json_boolean(!ev->td_report_only));
	json_object_set(m, "files", s->files);
	json_object_set_new(m, "report_data", tc_json_hex(s->report_data, VF_REPORT_DATA_LEN));
	if (n_gpus > 0) {
		json_object_set_new(m, "gpus", json_integer((json_int_t)n_gpus));
		json_object_set_new(m, "gpu_nonce", tc_json_hex(s->gpu_nonce, VF_GPU_NONCE_LEN));
	}
	if (s->bound) {
		json_t *b = json_object();

		json_object_set_new(b, "nonce", tc_json_hex(s->nonce, VF_BINDING_NONCE_LEN));
		if (s->has_workload)
			json_object_set_new(b, "workload_info_hash",
					    tc_json_hex(s->workload_hash, VF_BINDING_HASH_LEN));
		json_object_set_new(m, "binding", b);
	}
	json_object_set(m, "warnings", s->warnings);
	json_object_set_new(m, "time", json_string(now));
	dump = json_dumps(m, JSON_INDENT(2));
	TC_ENSURE_GOTO(r, dump, out, TC_ERR_NO_MEMORY, "out of memory encoding the manifest");
	TC_GUARD_GOTO(r, tc_buf_append_str(&text, dump), out);
	TC_GUARD_GOTO(r, tc_buf_append_u8(&text, '\n'), out);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	r = tc_file_write(path, text.data, text.len, 0644);
out:
	free(dump);
	json_decref(m);
	tc_buf_cleanup(&text);
	return r;
}

static int parse_args(const char *prog, int argc, char **argv, struct collect_args *a)
{
	static const struct option opts[] = {
		{ "report-data", required_argument, NULL, 'r' },
		{ "bind", required_argument, NULL, 'b' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "workload-info", required_argument, NULL, 'w' },
		{ "gpus", no_argument, NULL, 'g' },
		{ "gpu-nonce", required_argument, NULL, 'G' },
		{ "tsm-root", required_argument, NULL, 't' },
		{ "tdx-device", required_argument, NULL, 'T' },
		{ "sev-device", required_argument, NULL, 'S' },
		{ "no-fallback", no_argument, NULL, 'F' },
		{ "privlevel", required_argument, NULL, 'p' },
		{ "nvml", required_argument, NULL, 'N' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end = NULL;
	long v;
	int c;

	memset(a, 0, sizeof(*a));
	a->privlevel = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->report_data_hex = optarg;
			break;
		case 'b':
			a->csr = optarg;
			break;
		case 'n':
			a->nonce_hex = optarg;
			break;
		case 'w':
			a->workload_info = optarg;
			break;
		case 'g':
			a->gpus = true;
			break;
		case 'G':
			a->gpu_nonce_hex = optarg;
			break;
		case 't':
			a->tsm_root = optarg;
			break;
		case 'T':
			a->tdx_device = optarg;
			break;
		case 'S':
			a->sev_device = optarg;
			break;
		case 'F':
			a->no_fallback = true;
			break;
		case 'N':
			a->nvml = optarg;
			break;
		case 'o':
			a->out_dir = optarg;
			break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 3)
				return cli_usage_error(prog, "--privlevel wants 0..3, got '%s'", optarg);
			a->privlevel = (int)v;
			break;
		case 'h':
			collect_usage(stdout);
			return -1;
		default:
			collect_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (!a->out_dir)
		return cli_usage_error(prog, "--out DIR is required");
	if (!a->report_data_hex == !a->csr)
		return cli_usage_error(prog, "give exactly one of --report-data HEX or --bind CSR.pem --nonce HEX");
	if (a->csr && !a->nonce_hex)
		return cli_usage_error(prog, "--bind needs --nonce HEX (the challenge nonce)");
	if (a->report_data_hex && (a->nonce_hex || a->workload_info))
		return cli_usage_error(prog, "--nonce and --workload-info go with --bind, not --report-data");
	if (a->csr && a->gpu_nonce_hex)
		return cli_usage_error(prog,
				       "--gpu-nonce goes with --report-data; with --bind the GPU nonce is computed");
	if (a->gpus && a->report_data_hex && !a->gpu_nonce_hex)
		return cli_usage_error(prog, "--gpus with --report-data needs --gpu-nonce HEX (32 bytes)");
	return 0;
}

int cli_cmd_collect(int argc, char **argv)
{
	const char *prog = "teecert collect";
	struct collect_args a;
	struct collect_state s;
	struct vf_collect_options opt;
	struct vf_cpu_evidence cpu;
	struct vf_nvidia_evidence *gpu = NULL;
	bool have_cpu = false;
	int rc = parse_args(prog, argc, argv, &a);
	struct tc_result r;

	if (rc != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	memset(&s, 0, sizeof(s));
	memset(&cpu, 0, sizeof(cpu));
	s.files = json_object();
	s.warnings = json_array();
	rc = CLI_EXIT_INTERNAL;
	if (!s.files || !s.warnings) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	r = compute_binding(&a, &s);
	if (!tc_is_ok(r)) {
		rc = cli_usage_error(prog, "%s: %s", tc_error_info(r.code)->code, tc_error_detail());
		goto out;
	}
	opt = (struct vf_collect_options){ .tsm_root = a.tsm_root,
					   .tdx_device = a.tdx_device,
					   .sev_device = a.sev_device,
					   .privlevel = a.privlevel,
					   .no_fallback = a.no_fallback };
	r = vf_collect_cpu(&opt, s.report_data, &cpu);
	if (!tc_is_ok(r)) {
		rc = fail(prog, r);
		goto out;
	}
	have_cpu = true;
	if (mkdir(a.out_dir, 0700) != 0 && errno != EEXIST) {
		rc = cli_usage_error(prog, "cannot create %s: %s", a.out_dir, strerror(errno));
		goto out;
	}
	TC_GUARD_GOTO(r, write_cpu(prog, a.out_dir, &cpu, &s), failed);
	if (a.gpus) {
		gpu = calloc(1, sizeof(*gpu));
		TC_ENSURE_GOTO(r, gpu, failed, TC_ERR_NO_MEMORY, "out of memory");
		TC_GUARD_GOTO(r, vf_nvidia_collect(a.nvml, s.gpu_nonce, gpu), failed);
		TC_GUARD_GOTO(r, write_gpus(a.out_dir, gpu, &s), failed);
	}
	TC_GUARD_GOTO(r, write_manifest(a.out_dir, &cpu, &s, gpu ? gpu->n_gpus : 0), failed);
	printf("collected %s evidence through %s (provider %s)%s into %s\n", vf_tee_name(cpu.tee), cpu.interface,
	       cpu.provider, gpu ? " and GPU evidence through NVML" : "", a.out_dir);
	rc = CLI_EXIT_OK;
	goto out;
failed:
	rc = fail(prog, r);
out:
	if (gpu)
		vf_nvidia_evidence_cleanup(gpu);
	free(gpu);
	if (have_cpu)
		vf_cpu_evidence_cleanup(&cpu);
	json_decref(s.files);
	json_decref(s.warnings);
	return rc;
}
