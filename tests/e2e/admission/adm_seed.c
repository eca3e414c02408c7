/*
 * adm_seed.c — test-only bulk seeding for the history e2e test (test_e2e_history.sh): a sub-CA NAME under
 * the existing CA PARENT and N certificates issued by it, written through sql/db_*.c exactly as the CA
 * writes them (log entry, certificate row, appraisal; revocation entry and row), in transactions of
 * ADM_SEED_BATCH rows. The DER is synthetic (unique per serial): history queries never parse it.
 *
 * Row i (0-based), so that every filter has a known, non-trivial answer:
 *   tee        snp when i % 3 == 0, else tdx          hardware_id  "hw-<i % 7>"
 *   revoked    when i % 10 == 5                       expired      when i % 13 == 0 (notAfter an hour ago)
 *   kind       workload for the last ADM_SEED_WORKLOADS rows (parent: row 1, a cvm), workload info hash
 *              32 bytes of 0xaa (odd i) or 0xbb (even i); cvm otherwise
 *   serial     0x11 00.. i (16 bytes, big-endian i in the last 4)
 *
 *   adm_seed --db DSN --parent NAME --name NAME --n N
 * Prints "seeded N" on success; exit 1 on any failure (detail on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "db.h"
#include "tc.h"

#define ADM_SEED_BATCH 500
#define ADM_SEED_WORKLOADS 100
#define ADM_SEED_HWIDS 7
#define ADM_SEED_MAX 1000000
#define ADM_SEED_SERIAL_LEN 16
#define ADM_SEED_DER_LEN 100
#define ADM_SEED_ISSUER "CN=teecert bulk sub-CA"

struct seed {
	int64_t ca;
	int first, n, total;
	const struct db_ca *parent;
	const char *name;
	const uint8_t *ca_der;
	size_t ca_der_len;
};

static void serial_of(int i, uint8_t s[ADM_SEED_SERIAL_LEN])
{
	memset(s, 0, ADM_SEED_SERIAL_LEN);
	s[0] = 0x11;
	s[12] = (uint8_t)(i >> 24);
	s[13] = (uint8_t)(i >> 16);
	s[14] = (uint8_t)(i >> 8);
	s[15] = (uint8_t)i;
}

/* A self-signed P-256 certificate for the seeded sub-CA (GET /v1/cas shows it); DER into OUT. */
static TC_RESULT make_ca_cert(struct tc_buf *out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int len = -1;
	struct tc_result r;

	TC_ENSURE_GOTO(r, key && x && name, out, TC_ERR_NO_MEMORY, "CA certificate");
	if (X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 0x5eed) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) && X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"teecert bulk sub-CA", -1, -1,
				       0) &&
	    X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	    X509_sign(x, key, EVP_sha256()) > 0)
		len = i2d_X509(x, &der);
	TC_ENSURE_GOTO(r, len > 0, out, TC_ERR_CRYPTO, "making the CA certificate failed");
	TC_GUARD_GOTO(r, tc_buf_append(out, der, (size_t)len), out);
out:
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

static TC_RESULT seed_ca(struct db_conn *conn, struct seed *s)
{
	struct db_ca ca = { .parent = s->parent->id };

	snprintf(ca.name, sizeof(ca.name), "%s", s->name);
	snprintf(ca.role, sizeof(ca.role), "subroot");
	snprintf(ca.network, sizeof(ca.network), "%s", s->parent->network);
	return db_ca_insert(conn, &ca, s->ca_der, s->ca_der_len, &s->ca);
}

static TC_RESULT log_append(struct db_conn *conn, const uint8_t serial[ADM_SEED_SERIAL_LEN], const uint8_t *der,
			    size_t der_len, const char *kind, enum db_log_type type, uint64_t *seq)
{
	struct db_log_entry e = { .type = type, .time = time(NULL) };

	TC_GUARD(tc_hex_encode(serial, ADM_SEED_SERIAL_LEN, e.serial, sizeof(e.serial)));
	TC_ENSURE(EVP_Digest(der, der_len, e.cert_sha256, NULL, EVP_sha256(), NULL) == 1, TC_ERR_CRYPTO, "SHA-256");
	snprintf(e.issuer, sizeof(e.issuer), ADM_SEED_ISSUER);
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	return db_log_append(conn, &e, seq, NULL);
}

static TC_RESULT seed_rows(struct db_conn *conn, void *arg)
{
	static const uint8_t digest[32] = { 1 };
	struct seed *s = arg;
	uint8_t der[ADM_SEED_DER_LEN], parent[ADM_SEED_SERIAL_LEN];
	char hw[16], appraisal[128];
	int64_t now = time(NULL);

	if (s->first < 0)
		return seed_ca(conn, s);
	serial_of(1, parent);
	for (int i = s->first; i < s->first + s->n; i++) {
		struct db_cert c = { .serial_len = ADM_SEED_SERIAL_LEN,
				     .ca = s->ca,
				     .subject = "CN=bulk",
				     .der = der,
				     .der_len = sizeof(der),
				     .hardware_id = hw };
		bool workload = i >= s->total - ADM_SEED_WORKLOADS;

		serial_of(i, c.serial);
		memset(der, 0x30, sizeof(der));
		memcpy(der + 10, c.serial, ADM_SEED_SERIAL_LEN);
		memcpy(c.spki_sha256, digest, sizeof(c.spki_sha256));
		snprintf(c.kind, sizeof(c.kind), "%s", workload ? "workload" : "cvm");
		snprintf(hw, sizeof(hw), "hw-%d", i % ADM_SEED_HWIDS);
		c.not_before = now - 86400;
		c.not_after = i % 13 == 0 ? now - 3600 : now + 86400;
		if (workload) {
			c.parent_cvm_serial = parent;
			c.parent_cvm_serial_len = sizeof(parent);
			c.has_workload_info_hash = true;
			memset(c.workload_info_hash, i % 2 ? 0xaa : 0xbb, sizeof(c.workload_info_hash));
		}
		snprintf(
			appraisal, sizeof(appraisal),
			"{\"verdict\":\"accepted\",\"devices\":[{\"id\":\"cpu0\",\"tee\":\"%s\",\"tcb_status\":\"UpToDate\"}]}",
			i % 3 == 0 ? "snp" : "tdx");
		TC_GUARD(log_append(conn, c.serial, der, sizeof(der), c.kind, DB_LOG_ISSUANCE, &c.log_seq));
		TC_GUARD(db_cert_insert(conn, &c));
		TC_GUARD(db_cert_appraisal_insert(conn, c.serial, c.serial_len, appraisal, digest, digest, "tdx_quote",
						  digest, sizeof(digest)));
		if (i % 10 == 5) {
			uint64_t rseq;

			TC_GUARD(log_append(conn, c.serial, der, sizeof(der), c.kind, DB_LOG_REVOCATION, &rseq));
			TC_GUARD(db_cert_revoke(conn, c.serial, c.serial_len, 1, now - 60, rseq));
		}
	}
	return tc_ok();
}

int main(int argc, char **argv)
{
	const char *dsn = NULL, *parent_name = NULL, *name = NULL;
	long n = -1;
	struct db_conn *conn = NULL;
	struct db_ca parent = { 0 };
	struct tc_buf ca_der;
	struct seed s = { .first = -1 };
	bool found = false;
	struct tc_result r;
	char *end;

	bool usage = argc % 2 == 0;

	for (int i = 1; !usage && i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0) {
			dsn = argv[i + 1];
		} else if (strcmp(argv[i], "--parent") == 0) {
			parent_name = argv[i + 1];
		} else if (strcmp(argv[i], "--name") == 0) {
			name = argv[i + 1];
		} else if (strcmp(argv[i], "--n") == 0) {
			n = strtol(argv[i + 1], &end, 10);
			usage = *end != '\0';
		} else {
			usage = true;
		}
	}
	if (usage || !dsn || !parent_name || !name || n <= ADM_SEED_WORKLOADS || n > ADM_SEED_MAX) {
		fprintf(stderr, "usage: adm_seed --db DSN --parent NAME --name NAME --n N (%d < N <= %d)\n",
			ADM_SEED_WORKLOADS, ADM_SEED_MAX);
		return 1;
	}
	tc_buf_init(&ca_der, 4096);
	r = db_conn_open(dsn, &conn);
	if (tc_is_ok(r))
		r = db_ca_get(conn, parent_name, &parent, NULL, &found);
	if (tc_is_ok(r) && !found)
		r = tc_fail(TC_ERR_NOT_FOUND, "no CA named %s", parent_name);
	if (tc_is_ok(r))
		r = make_ca_cert(&ca_der);
	s.parent = &parent;
	s.name = name;
	s.ca_der = ca_der.data;
	s.ca_der_len = ca_der.len;
	s.total = (int)n;
	if (tc_is_ok(r))
		r = db_txn_run(conn, seed_rows, &s);
	for (int first = 0; tc_is_ok(r) && first < s.total; first += ADM_SEED_BATCH) {
		s.first = first;
		s.n = s.total - first < ADM_SEED_BATCH ? s.total - first : ADM_SEED_BATCH;
		r = db_txn_run(conn, seed_rows, &s);
	}
	db_conn_free(&conn);
	tc_buf_cleanup(&ca_der);
	if (!tc_is_ok(r)) {
		fprintf(stderr, "adm_seed: %s: %s\n", tc_error_info(r.code)->code, tc_error_detail());
		return 1;
	}
	printf("seeded %d\n", s.total);
	return 0;
}
