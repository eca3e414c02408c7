/*
 * bench_issuance.c — end-to-end issuance rate of teecert-ca over HTTP (docs/bench.md "Issuance"): a real CA
 * (sim TDX PKI from vf_tdx_sim_init, `teecert-ca init` with simulated evidence, `teecert-ca serve`) on PostgreSQL with durable
 * commits (the cluster of deploy/pg.sh keeps fsync and synchronous_commit on).
 *
 *   bench_issuance [--platforms N] [--ca-key p384|p256] TEECERT_CA [REQUESTS [LEVELS]]
 *                                                     e.g. bench_issuance build/cli/teecert-ca 50 1,8
 *
 * The quotes come from a fleet of N simulated platforms (default BENCH_DEFAULT_PLATFORMS): one PCK certificate
 * and one QE attestation key per platform, made once, and request I is quoted by platform I mod N, as a real
 * fleet re-attests and re-issues from a finite set of machines. --platforms 0 issues a new PCK certificate and
 * attestation key for every quote (every request from a machine never seen before: the verifier's PCK chain
 * memo never hits). Every quote still has its own report data and signatures, which the CA verifies on every
 * request (QE report signature, attestation key binding, quote signature).
 *
 * For each concurrency level C (default 1,2,4,8,16,32; REQUESTS per level, default 1000) the CA is started with
 * --threads C --pool C; then every request is prepared before any is sent: POST /v1/challenges, a P-256 key
 * and CSR (OpenSSL), report_data = vf_binding_report_data(SPKI, nonce) (docs/ca-service.md), a simulated TDX
 * quote from the simulator's library (vf_tdx_sim_quote), the JSON body. Then C threads, each with one
 * keep-alive libcurl handle, send them and time each request. Printed per level: certificates/s (wall clock
 * of the firing phase), p50 and p99 latency, and how many 409 db_conflict replies were resent (the CA's
 * SERIALIZABLE transaction gave up after DB_TXN_MAX_ATTEMPTS serialization failures on log_state; the
 * rollback leaves the nonce usable, so the client resends the same body, at most BENCH_CLIENT_RETRIES times),
 * the CPU time per certificate (/proc) of the teecert-ca process, of the PostgreSQL cluster (every process in
 * pg_stat_activity) and of this client (its sending threads), how idle the whole machine was (/proc/stat:
 * near 0 means the cores were saturated, by us or by anything else running), and how long the preparation
 * took (not part of the rate). Checked: every reply is 201 with a serial, and the certificates table grew by
 * exactly REQUESTS. The CA is stopped after each level, also on failure (the child dies with
 * this process: PR_SET_PDEATHSIG in tc_test_spawn). Exit status 0 unless a check failed; no assertion on speed.
 */
#include <limits.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tc_testsupport.h"
#include "vf.h"
#include "vf_tdx_sim.h"

#define BENCH_PROG "bench_issuance"
#define BENCH_DEFAULT_REQUESTS 1000
#define BENCH_MAX_REQUESTS 100000
#define BENCH_MAX_LEVELS 16
#define BENCH_MAX_CONCURRENCY 64 /* teecert-ca caps --threads/--pool (api_cli.c) well above this */
#define BENCH_PATH_MAX 4096
#define BENCH_BASE_MAX 128 /* http://127.0.0.1:PORT */
#define BENCH_URL_MAX 256
#define BENCH_REPLY_MAX ((size_t)64 * 1024)
#define BENCH_CMD_OUT_MAX 8192
#define BENCH_CMD_MS 120000u
#define BENCH_STOP_MS 15000u
#define BENCH_HTTP_TIMEOUT_S 60L
#define BENCH_CHALLENGE_LIFETIME_S "3600"
#define BENCH_PRINT_FAILURES 5
#define BENCH_DEFAULT_PLATFORMS 64
#define BENCH_MAX_PLATFORMS 4096
#define BENCH_CLIENT_RETRIES 8 /* resends of a request answered 409 db_conflict */
#define BENCH_PASSPHRASE "bench issuance passphrase\n"
#define BENCH_PG_PIDS_MAX 256 /* processes of the cluster sampled for its CPU time */

static const unsigned default_levels[] = { 1, 2, 4, 8, 16, 32 };

/* One prepared request and what came back. */
struct bench_req {
	char *body; /* JSON, owned */
	size_t body_len;
	long status;
	bool has_serial;
	unsigned conflicts; /* 409 db_conflict replies resent */
	double latency_s;
};

struct bench_fire {
	const char *url; /* .../v1/certificates */
	struct bench_req *reqs;
	size_t n;
	atomic_size_t next;
	atomic_int curl_errors;
	atomic_int printed; /* failures printed so far */
};

static char g_tmp[BENCH_PATH_MAX] = "";
static char g_dsn[TC_TEST_DSN_MAX] = "";
static pid_t g_ca = -1;
static const char *g_ca_bin; /* teecert-ca */
static X509 *g_pcks[BENCH_MAX_PLATFORMS];    /* the fleet: one PCK certificate */
static EVP_PKEY *g_aks[BENCH_MAX_PLATFORMS]; /* and one QE attestation key per platform */
static size_t g_platforms = BENCH_DEFAULT_PLATFORMS; /* 0: a new PCK per quote */
static const char *g_ca_key = "p384";                /* --ca-key: the CA key (teecert-ca init --key-type) */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Stop the CA, drop the database, remove the scratch folder: on success and on every failure path. */
static void cleanup(void)
{
	if (g_ca > 0)
		tc_test_stop(g_ca, SIGTERM, BENCH_STOP_MS);
	g_ca = -1;
	if (g_dsn[0] != '\0' && !tc_is_ok(tc_test_db_drop(g_dsn)))
		fprintf(stderr, "%s: could not drop the database: %s\n", BENCH_PROG, tc_error_detail());
	g_dsn[0] = '\0';
	if (g_tmp[0] != '\0') {
		const char *argv[] = { "/bin/rm", "-rf", g_tmp, NULL };
		char out[256];

		(void)tc_test_run(argv, out, sizeof(out), BENCH_CMD_MS);
		g_tmp[0] = '\0';
	}
}

static void die(const char *fmt, ...) TC_PRINTF(1, 2);
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: FAIL: ", BENCH_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1); /* atexit(cleanup) */
}

static void check(struct tc_result r, const char *what)
{
	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s: FAIL: %s: %s: %s\n", BENCH_PROG, what, tc_error_info(r.code)->code,
			tc_error_detail());
		exit(1);
	}
}

static void path_in_tmp(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, "%s/%s", g_tmp, name);

	if (n < 0 || (size_t)n >= size)
		die("path too long: %s", name);
}

/* Run ARGV to completion; it must exit 0. */
static void run(const char *const *argv)
{
	char out[BENCH_CMD_OUT_MAX];
	int st = tc_test_run(argv, out, sizeof(out), BENCH_CMD_MS);

	if (st != 0) {
		fprintf(stderr, "%s: FAIL: %s %s exited %d:\n%s\n", BENCH_PROG, argv[0], argv[1], st, out);
		exit(1);
	}
}

/* --------------------------------------------------------------------------------------- the database */

static long long count_certificates(void)
{
	PGconn *pg = PQconnectdb(g_dsn);
	long long n = -1;

	if (PQstatus(pg) == CONNECTION_OK) {
		PGresult *res = PQexec(pg, "SELECT count(*) FROM certificates");

		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	PQfinish(pg);
	if (n < 0)
		die("cannot count certificates in %s", g_dsn);
	return n;
}

/* ------------------------------------------------------------------------------------------ HTTP */

struct reply {
	char data[BENCH_REPLY_MAX];
	size_t len;
	bool truncated;
};

static size_t reply_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	size_t room = sizeof(r->data) - 1 - r->len;
	size_t take = n < room ? n : room;

	memcpy(r->data + r->len, ptr, take);
	r->len += take;
	r->data[r->len] = '\0';
	if (take < n)
		r->truncated = true;
	return n;
}

/* POST BODY (JSON, may be empty) to URL on CURL; the status, the reply in R. */
static long post(CURL *curl, const char *url, const char *body, size_t len, struct reply *r)
{
	long status = 0;

	r->len = 0;
	r->data[0] = '\0';
	r->truncated = false;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	if (curl_easy_perform(curl) != CURLE_OK)
		return -1;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static CURL *curl_new(struct curl_slist *headers)
{
	CURL *curl = curl_easy_init();

	if (curl == NULL)
		die("%s", "curl_easy_init failed");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, BENCH_HTTP_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
	return curl;
}

/* CPU seconds (user + system, all threads) PID has used so far, from /proc/PID/stat (proc(5) fields 14, 15). */
static double cpu_seconds(pid_t pid)
{
	char path[64], line[1024];
	unsigned long long ut = 0, st = 0;
	const char *p;
	FILE *f;
	size_t got;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	got = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[got] = '\0';
	p = strrchr(line, ')'); /* the command name may hold spaces */
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Idle and total jiffies of the whole machine (the first line of /proc/stat), to tell a saturated run. */
static void machine_jiffies(unsigned long long *idle, unsigned long long *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	*idle = *total = 0;
	if (f == NULL)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		   &v[7]) == 8) {
		*idle = v[3] + v[4]; /* idle + iowait */
		for (size_t i = 0; i < 8; i++)
			*total += v[i];
	}
	fclose(f);
}

/*
 * CPU seconds of the PostgreSQL cluster's processes (every row of pg_stat_activity: backends, walwriter,
 * checkpointer, ...; our own probe connection left out) into PIDS/CPU (at most BENCH_PG_PIDS_MAX); the count.
 */
static size_t pg_cpu_snapshot(pid_t *pids, double *cpu)
{
	PGconn *pg = PQconnectdb(g_dsn);
	size_t n = 0;

	if (PQstatus(pg) == CONNECTION_OK) {
		PGresult *res = PQexec(pg, "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()");

		for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res) && n < BENCH_PG_PIDS_MAX;
		     i++) {
			pids[n] = (pid_t)strtol(PQgetvalue(res, i, 0), NULL, 10);
			cpu[n] = cpu_seconds(pids[n]);
			n++;
		}
		PQclear(res);
	}
	PQfinish(pg);
	return n;
}

/* CPU the cluster spent between two snapshots (a process absent from the first one counts from zero). */
static double pg_cpu_delta(const pid_t *p0, const double *c0, size_t n0, const pid_t *p1, const double *c1, size_t n1)
{
	double sum = 0;

	for (size_t i = 0; i < n1; i++) {
		double base = 0;

		for (size_t k = 0; k < n0; k++)
			if (p0[k] == p1[i])
				base = c0[k];
		sum += c1[i] - base;
	}
	return sum;
}

/* ------------------------------------------------------------------------------------ preparation */

/* A fresh nonce from POST BASE/v1/challenges. */
static void challenge(CURL *curl, const char *base, uint8_t nonce[VF_BINDING_NONCE_LEN])
{
	static struct reply r;
	char url[BENCH_URL_MAX];

	if (strlen(base) >= BENCH_BASE_MAX)
		die("base URL too long: %s", base);
	json_t *j = NULL;
	const char *hex = NULL;

	snprintf(url, sizeof(url), "%.*s/v1/challenges", BENCH_BASE_MAX, base);
	if (post(curl, url, "", 0, &r) != 201)
		die("POST /v1/challenges: %s", r.data);
	check(tc_json_parse(r.data, r.len, sizeof(r.data), &j), "challenge reply");
	hex = json_string_value(json_object_get(j, "nonce"));
	if (hex == NULL)
		die("challenge reply without nonce: %s", r.data);
	check(tc_hex_decode_fixed(hex, strlen(hex), nonce, VF_BINDING_NONCE_LEN), "challenge nonce");
	json_decref(j);
}

/* A P-256 key, its CSR (PEM, appended to CSR) and its SubjectPublicKeyInfo DER (appended to SPKI). */
static void key_and_csr(size_t i, struct tc_buf *csr, struct tc_buf *spki)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char cn[64];
	char *pem = NULL;
	long pem_len;
	int der_len;

	snprintf(cn, sizeof(cn), "bench-cvm-%zu", i);
	if (key == NULL || req == NULL || name == NULL || bio == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key) ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 || !PEM_write_bio_X509_REQ(bio, req))
		check(tc_fail_openssl(TC_ERR_INTERNAL, "CSR"), "key and CSR");
	pem_len = BIO_get_mem_data(bio, &pem);
	check(tc_buf_append(csr, pem, (size_t)pem_len), "CSR");
	der_len = i2d_PUBKEY(key, &der);
	if (der_len <= 0)
		check(tc_fail_openssl(TC_ERR_INTERNAL, "SPKI"), "SPKI");
	check(tc_buf_append(spki, der, (size_t)der_len), "SPKI");
	OPENSSL_free(der);
	BIO_free(bio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* Request I: challenge, key + CSR, binding, sim quote, body {kind: cvm, csr, nonce, evidence: {tdx quote}}. */
static void prepare(CURL *curl, const char *base, const struct vf_tdx_sim_pki *pki, size_t i, struct bench_req *req)
{
	uint8_t nonce[VF_BINDING_NONCE_LEN];
	char nonce_hex[2 * VF_BINDING_NONCE_LEN + 1];
	struct vf_tdx_sim_quote_opts o;
	struct tc_buf csr, spki, quote, b64;
	json_t *body;

	tc_buf_init(&csr, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&spki, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&quote, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&b64, TC_BUF_DEFAULT_MAX);
	challenge(curl, base, nonce);
	key_and_csr(i, &csr, &spki);
	check(vf_tdx_sim_quote_opts_init(&o), "quote options");
	check(vf_binding_report_data(spki.data, spki.len, nonce, NULL, o.report.report_data), "report_data");
	o.pck = g_platforms > 0 ? g_pcks[i % g_platforms] : NULL;
	o.ak = g_platforms > 0 ? g_aks[i % g_platforms] : NULL;
	check(vf_tdx_sim_quote(pki, &o, &quote), "sim quote");
	check(tc_base64_encode(quote.data, quote.len, &b64), "base64");
	check(tc_buf_append_u8(&b64, 0), "base64");
	check(tc_hex_encode(nonce, sizeof(nonce), nonce_hex, sizeof(nonce_hex)), "nonce hex");
	check(tc_buf_append_u8(&csr, 0), "CSR");
	body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "kind", "cvm", "csr", (const char *)csr.data, "nonce",
			 nonce_hex, "evidence", "tee", "tdx", "quote", (const char *)b64.data);
	if (body == NULL)
		die("%s", "json_pack failed");
	req->body = json_dumps(body, JSON_COMPACT);
	if (req->body == NULL)
		die("%s", "json_dumps failed");
	req->body_len = strlen(req->body);
	json_decref(body);
	tc_buf_cleanup(&csr);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&quote);
	tc_buf_cleanup(&b64);
}

/* --------------------------------------------------------------------------------------------- firing */

static void *fire_thread(void *arg)
{
	struct bench_fire *f = arg;
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *curl = curl_new(headers);
	struct reply *r = malloc(sizeof(*r));

	if (r == NULL)
		die("%s", "out of memory");
	for (size_t i = atomic_fetch_add(&f->next, 1); i < f->n; i = atomic_fetch_add(&f->next, 1)) {
		struct bench_req *q = &f->reqs[i];
		double t0 = now_s();

		/* A 409 db_conflict (the transaction runner gave up on serialization failures) rolled everything
		 * back and left the nonce usable: resend, as its hint says; the latency covers the retries. */
		q->status = post(curl, f->url, q->body, q->body_len, r);
		for (int a = 0; a < BENCH_CLIENT_RETRIES && q->status == 409 && strstr(r->data, "\"db_conflict\"");
		     a++) {
			q->conflicts++;
			q->status = post(curl, f->url, q->body, q->body_len, r);
		}
		q->latency_s = now_s() - t0;
		q->has_serial = q->status == 201 && !r->truncated && strstr(r->data, "\"serial\"") != NULL;
		if (q->status < 0)
			atomic_fetch_add(&f->curl_errors, 1);
		else if (q->status != 201 && atomic_fetch_add(&f->printed, 1) < BENCH_PRINT_FAILURES)
			fprintf(stderr, "%s: request %zu: HTTP %ld: %.300s\n", BENCH_PROG, i, q->status, r->data);
	}
	free(r);
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile P (0..100) of SORTED (N > 0). */
static double percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* ----------------------------------------------------------------------------------------- one level */

static void start_ca(unsigned conc, char *url, size_t url_size)
{
	char key[BENCH_PATH_MAX], cert[BENCH_PATH_MAX], pass[BENCH_PATH_MAX], coll[BENCH_PATH_MAX];
	char anchor[BENCH_PATH_MAX + 16], anchor_file[BENCH_PATH_MAX], policy[BENCH_PATH_MAX], n[16];

	path_in_tmp(key, sizeof(key), "root.key");
	path_in_tmp(cert, sizeof(cert), "root.pem");
	path_in_tmp(pass, sizeof(pass), "pass");
	path_in_tmp(coll, sizeof(coll), "pki/collateral");
	path_in_tmp(anchor_file, sizeof(anchor_file), "pki/intel_root.pem");
	path_in_tmp(policy, sizeof(policy), "policy.json");
	snprintf(anchor, sizeof(anchor), "intel_root=%s", anchor_file);
	snprintf(n, sizeof(n), "%u", conc);
	const char *argv[] = { g_ca_bin,
			       "serve",
			       "--listen",
			       "127.0.0.1:0",
			       "--db",
			       g_dsn,
			       "--ca-key",
			       key,
			       "--passphrase-file",
			       pass,
			       "--ca-cert",
			       cert,
			       "--collateral",
			       coll,
			       "--trust-anchor",
			       anchor,
			       "--policy",
			       policy,
			       "--threads",
			       n,
			       "--pool",
			       n,
			       "--challenge-lifetime",
			       BENCH_CHALLENGE_LIFETIME_S,
			       "--log-level",
			       "error",
			       NULL };

	g_ca = tc_test_serve(argv, url, url_size);
	if (g_ca < 0)
		die("teecert-ca serve did not start: %s", url);
}

static void level(const struct vf_tdx_sim_pki *pki, unsigned conc, size_t n)
{
	char base[BENCH_BASE_MAX], url[BENCH_URL_MAX];
	struct bench_req *reqs = calloc(n, sizeof(*reqs));
	double *lat = calloc(n, sizeof(*lat));
	pthread_t th[BENCH_MAX_CONCURRENCY];
	struct bench_fire f;
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *curl;
	long long before, after;
	double t0, elapsed, prep, cpu0, cpu, self0, self;
	pid_t pg_pids0[BENCH_PG_PIDS_MAX], pg_pids1[BENCH_PG_PIDS_MAX];
	double pg_cpu0[BENCH_PG_PIDS_MAX], pg_cpu1[BENCH_PG_PIDS_MAX];
	size_t pg_n0, pg_n1;
	unsigned long long idle0, total0, idle1, total1;
	size_t ok = 0, conflicts = 0;

	if (reqs == NULL || lat == NULL)
		die("%s", "out of memory");
	start_ca(conc, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/v1/certificates", base);

	curl = curl_new(headers);
	t0 = now_s();
	for (size_t i = 0; i < n; i++)
		prepare(curl, base, pki, i, &reqs[i]);
	prep = now_s() - t0;
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);

	before = count_certificates();
	f = (struct bench_fire){ .url = url, .reqs = reqs, .n = n };
	atomic_init(&f.next, 0);
	atomic_init(&f.curl_errors, 0);
	atomic_init(&f.printed, 0);
	pg_n0 = pg_cpu_snapshot(pg_pids0, pg_cpu0);
	self0 = cpu_seconds(getpid());
	cpu0 = cpu_seconds(g_ca);
	machine_jiffies(&idle0, &total0);
	t0 = now_s();
	for (unsigned t = 0; t < conc; t++)
		if (pthread_create(&th[t], NULL, fire_thread, &f) != 0)
			die("%s", "pthread_create failed");
	for (unsigned t = 0; t < conc; t++)
		pthread_join(th[t], NULL);
	elapsed = now_s() - t0;
	machine_jiffies(&idle1, &total1);
	cpu = cpu_seconds(g_ca) - cpu0;
	self = cpu_seconds(getpid()) - self0;
	pg_n1 = pg_cpu_snapshot(pg_pids1, pg_cpu1);
	after = count_certificates();

	tc_test_stop(g_ca, SIGTERM, BENCH_STOP_MS);
	g_ca = -1;

	for (size_t i = 0; i < n; i++) {
		lat[i] = reqs[i].latency_s;
		ok += reqs[i].has_serial;
		conflicts += reqs[i].conflicts;
		free(reqs[i].body);
	}
	free(reqs);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("%11u | %8zu | %14.1f | %8.1f | %8.1f | %10zu | %14.2f | %14.2f | %18.2f | %11.0f | %11.1f\n", conc, n,
	       (double)n / elapsed, percentile(lat, n, 50) * 1e3, percentile(lat, n, 99) * 1e3, conflicts,
	       cpu * 1e3 / (double)n,
	       pg_cpu_delta(pg_pids0, pg_cpu0, pg_n0, pg_pids1, pg_cpu1, pg_n1) * 1e3 / (double)n,
	       self * 1e3 / (double)n,
	       total1 > total0 ? 100.0 * (double)(idle1 - idle0) / (double)(total1 - total0) : 0.0, prep);
	fflush(stdout);
	free(lat);
	if (ok != n) {
		fprintf(stderr,
			"%s: FAIL: concurrency %u: %zu of %zu replies were 201 with a serial (%d transport errors)\n",
			BENCH_PROG, conc, ok, n, atomic_load(&f.curl_errors));
		exit(1);
	}
	if (after - before != (long long)n) {
		fprintf(stderr, "%s: FAIL: concurrency %u: certificates grew by %lld, expected %zu\n", BENCH_PROG, conc,
			after - before, n);
		exit(1);
	}
}

/* ------------------------------------------------------------------------------------------- setup */

static size_t parse_count(const char *s, size_t max, const char *what)
{
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || *end != '\0' || s[0] == '-' || v < 1 || v > max)
		die("bad %s", what);
	return (size_t)v;
}

static size_t parse_levels(const char *s, unsigned *out)
{
	size_t n = 0;

	while (*s != '\0') {
		char *end = NULL;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || s[0] == '-' || v < 1 || v > BENCH_MAX_CONCURRENCY || n == BENCH_MAX_LEVELS ||
		    (*end != ',' && *end != '\0'))
			die("bad LEVELS '%s' (comma-separated, 1..64)", s);
		out[n++] = (unsigned)v;
		s = *end == ',' ? end + 1 : end;
	}
	if (n == 0)
		die("%s", "empty LEVELS");
	return n;
}

/* Scratch folder, database, sim TDX PKI, migrations, the root CA (init with simulated evidence). */
static void setup(void)
{
	char pki[BENCH_PATH_MAX], key[BENCH_PATH_MAX], cert[BENCH_PATH_MAX], pass[BENCH_PATH_MAX];
	char policy[BENCH_PATH_MAX];
	const char *tmpdir = getenv("TMPDIR");

	snprintf(g_tmp, sizeof(g_tmp), "%s/bench_issuance.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(g_tmp) == NULL) {
		g_tmp[0] = '\0';
		die("%s", "mkdtemp failed");
	}
	check(tc_test_db_create("bench_issuance", g_dsn, sizeof(g_dsn)), "create database");
	path_in_tmp(pki, sizeof(pki), "pki");
	path_in_tmp(key, sizeof(key), "root.key");
	path_in_tmp(cert, sizeof(cert), "root.pem");
	path_in_tmp(pass, sizeof(pass), "pass");
	path_in_tmp(policy, sizeof(policy), "policy.json");
	check(tc_file_write(pass, BENCH_PASSPHRASE, strlen(BENCH_PASSPHRASE), 0600), "passphrase file");
	check(tc_file_write(policy, "{\"allow_simulated\": true}\n", 26, 0644), "policy file");

	const char *migrate[] = { g_ca_bin, "migrate", "--db", g_dsn, NULL };
	const char *init[] = { g_ca_bin,     "init",       "--name",
			       "bench-root", "--network",  "untrusted",
			       "--key-out",  key,          "--passphrase-file",
			       pass,         "--cert-out", cert,
			       "--db",       g_dsn,        "--sim-pki",
			       pki,          "--key-type", g_ca_key,
			       NULL };
	check(vf_tdx_sim_init(pki), "sim TDX PKI");
	run(migrate);
	run(init);
}

int main(int argc, char **argv)
{
	unsigned levels[BENCH_MAX_LEVELS];
	size_t n_levels = sizeof(default_levels) / sizeof(default_levels[0]);
	size_t n = BENCH_DEFAULT_REQUESTS;
	struct vf_tdx_sim_pki *pki = NULL;
	char pki_dir[BENCH_PATH_MAX];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	while (argc >= 3 && (strcmp(argv[1], "--platforms") == 0 || strcmp(argv[1], "--ca-key") == 0)) {
		if (strcmp(argv[1], "--platforms") == 0)
			g_platforms = strcmp(argv[2], "0") == 0 ?
					      0 :
					      parse_count(argv[2], BENCH_MAX_PLATFORMS, "--platforms");
		else if (strcmp(argv[2], "p384") == 0 || strcmp(argv[2], "p256") == 0)
			g_ca_key = argv[2];
		else
			die("--ca-key %s: p384 or p256", argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc > 4) {
		fprintf(stderr,
			"usage: %s [--platforms N] [--ca-key p384|p256] TEECERT_CA [REQUESTS [LEVELS]]   (N: 0..%d, default "
			"%d, 0 = a new PCK per quote; the CA key P-384 by default; LEVELS like 1,2,4,8,16,32)\n",
			BENCH_PROG, BENCH_MAX_PLATFORMS, BENCH_DEFAULT_PLATFORMS);
		return 2;
	}
	memcpy(levels, default_levels, sizeof(default_levels));
	if (argc >= 3)
		n = parse_count(argv[2], BENCH_MAX_REQUESTS, "REQUESTS");
	if (argc >= 4)
		n_levels = parse_levels(argv[3], levels);
	g_ca_bin = argv[1];
	if (atexit(cleanup) != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die("%s", "init failed");

	setup();
	path_in_tmp(pki_dir, sizeof(pki_dir), "pki");
	check(vf_tdx_sim_pki_load(pki_dir, &pki), "load sim PKI");
	for (size_t i = 0; i < g_platforms; i++) {
		struct vf_tdx_sim_quote_opts o;

		check(vf_tdx_sim_quote_opts_init(&o), "quote options");
		check(vf_tdx_sim_pck_issue(pki, &o, &g_pcks[i]), "platform PCK");
		g_aks[i] = EVP_EC_gen("P-256");
		if (g_aks[i] == NULL)
			die("%s", "attestation key");
	}

	printf("issuance over HTTP: sim TDX evidence, %s root CA, durable commits; %zu requests per level, %ld cores; ",
	       strcmp(g_ca_key, "p256") == 0 ? "P-256" : "P-384", n, cores);
	if (g_platforms > 0)
		printf("a fleet of %zu platforms (one PCK certificate each)\n", g_platforms);
	else
		printf("a new PCK certificate per quote\n");
	printf("concurrency | requests | certificates/s | p50 (ms) | p99 (ms) | 409 resent | CA CPU ms/cert | PG CPU ms/cert |"
	       " client CPU ms/cert | machine idle %% | prepare (s)\n");
	for (size_t i = 0; i < n_levels; i++)
		level(pki, levels[i], n);

	for (size_t i = 0; i < g_platforms; i++) {
		X509_free(g_pcks[i]);
		EVP_PKEY_free(g_aks[i]);
	}
	vf_tdx_sim_pki_free(pki);
	curl_global_cleanup();
	printf("all %zu levels: every reply 201, certificates grew by exactly the count\n", n_levels);
	return 0;
}
