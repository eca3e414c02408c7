/*
 * cmd_cert.c — `teecert cert show FILE [--json]`: a certificate's standard X.509 fields (RFC 5280 4.1) and
 * the teecert extensions decoded by ca_cert_info_parse (docs/ca.md). FILE is PEM or DER.
 *
 * Exit codes (cli.h): 0 shown, 1 usage error or unreadable/malformed certificate, 3 internal error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cli.h"

#define PROG "teecert cert"
#define CERT_FILE_MAX ((size_t)1024 * 1024)
#define CERT_NAME_MAX 1024

static void usage(FILE *f)
{
	fprintf(f, "usage: teecert cert show FILE [--json]\n"
		   "  Print a certificate's standard fields and its teecert extensions (PEM or DER).\n");
}

static int print_error(struct tc_result r)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, tc_error_info(r.code)->code, tc_error_detail());
	return tc_error_info(r.code)->http_status < 500 || r.code == TC_ERR_IO ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
}

/* PEM ("-----BEGIN CERTIFICATE-----") or DER bytes to DER (into OUT, which must be empty). */
static TC_RESULT cert_to_der(const struct tc_buf *in, struct tc_buf *out)
{
	X509 *x = NULL;
	uint8_t *der = NULL;
	int len;
	struct tc_result r;

	if (in->len > 0 && in->data[0] == 0x30)
		return tc_buf_append(out, in->data, in->len);
	BIO *bio = BIO_new_mem_buf(in->data, (int)in->len);

	if (bio == NULL)
		return tc_fail_openssl(TC_ERR_NO_MEMORY, "BIO");
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		return tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "not a PEM or DER certificate");
	len = i2d_X509(x, &der);
	X509_free(x);
	if (len <= 0)
		return tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "certificate DER");
	r = tc_buf_append(out, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}

static json_t *name_json(const X509_NAME *n)
{
	char s[CERT_NAME_MAX];
	BIO *b = BIO_new(BIO_s_mem());
	int len;

	if (b == NULL)
		return NULL;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
	len = BIO_read(b, s, (int)sizeof(s) - 1);
	BIO_free(b);
	s[len > 0 ? len : 0] = '\0';
	return json_string(s);
}

static json_t *time_json(const ASN1_TIME *t)
{
	struct tm tm;
	char s[TC_TIME_RFC3339_LEN];

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

static json_t *sans_json(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	json_t *arr = json_array();

	for (int i = 0; gens != NULL && arr != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;
		const char *prefix = "other";

		if (g->type == GEN_DNS) {
			s = g->d.dNSName;
			prefix = "DNS";
		} else if (g->type == GEN_URI) {
			s = g->d.uniformResourceIdentifier;
			prefix = "URI";
		} else if (g->type == GEN_IPADD) {
			s = g->d.iPAddress;
			prefix = "IP";
		}
		if (s == NULL) {
			json_array_append_new(arr, json_string(prefix));
			continue;
		}
		if (g->type == GEN_IPADD) {
			char ip[INET6_ADDRSTRLEN] = "?";
			int alen = ASN1_STRING_length(s);

			if (alen == 4 || alen == 16)
				inet_ntop(alen == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), ip, sizeof(ip));
			json_array_append_new(arr, json_sprintf("IP:%s", ip));
		} else {
			json_array_append_new(arr, json_sprintf("%s:%.*s", prefix, ASN1_STRING_length(s),
								(const char *)ASN1_STRING_get0_data(s)));
		}
	}
	GENERAL_NAMES_free(gens);
	return arr;
}

static json_t *key_json(X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char group[64] = "";
	size_t gl = 0;

	if (k == NULL)
		return json_null();
	if (EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &gl) != 1)
		group[0] = '\0';
	tc_openssl_clear();
	return json_pack("{s:s, s:i, s:s}", "type", EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "?",
			 "bits", EVP_PKEY_get_bits(k), "group", group);
}

/* The standard fields of X (RFC 5280 4.1) as JSON. */
static TC_RESULT standard_json(X509 *x, const struct tc_buf *der, json_t **out)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	uint8_t fp[32];
	unsigned int fpl = 0;
	uint32_t kus = X509_get_key_usage(x);
	json_t *ku = json_array(), *o;
	static const struct {
		uint32_t bit;
		const char *name;
	} kus_names[] = { { KU_DIGITAL_SIGNATURE, "digitalSignature" },
			  { KU_NON_REPUDIATION, "nonRepudiation" },
			  { KU_KEY_ENCIPHERMENT, "keyEncipherment" },
			  { KU_DATA_ENCIPHERMENT, "dataEncipherment" },
			  { KU_KEY_AGREEMENT, "keyAgreement" },
			  { KU_KEY_CERT_SIGN, "keyCertSign" },
			  { KU_CRL_SIGN, "cRLSign" } };

	BN_free(bn);
	for (char *c = hex; c != NULL && *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c); /* the API's serial form */
	if (!EVP_Digest(der->data, der->len, fp, &fpl, EVP_sha256(), NULL)) {
		OPENSSL_free(hex);
		json_decref(ku);
		return tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256");
	}
	for (size_t i = 0; ku != NULL && kus != UINT32_MAX && i < sizeof(kus_names) / sizeof(kus_names[0]); i++)
		if (kus & kus_names[i].bit)
			json_array_append_new(ku, json_string(kus_names[i].name));
	o = json_pack("{s:i, s:s?, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:b, s:o, s:o, s:o}", "version",
		      (int)X509_get_version(x) + 1, "serial", hex, "subject", name_json(X509_get_subject_name(x)),
		      "issuer", name_json(X509_get_issuer_name(x)), "not_before", time_json(X509_get0_notBefore(x)),
		      "not_after", time_json(X509_get0_notAfter(x)), "signature_algorithm",
		      OBJ_nid2ln(X509_get_signature_nid(x)), "public_key", key_json(x), "subject_alt_names",
		      sans_json(x), "ca", (X509_get_extension_flags(x) & EXFLAG_CA) != 0, "path_length",
		      X509_get_pathlen(x) >= 0 ? json_integer((json_int_t)X509_get_pathlen(x)) : json_null(),
		      "key_usage", ku != NULL ? ku : json_null(), "sha256", tc_json_hex(fp, sizeof(fp)));
	OPENSSL_free(hex);
	tc_openssl_clear();
	if (o == NULL)
		return tc_fail(TC_ERR_NO_MEMORY, "certificate JSON");
	*out = o;
	return tc_ok();
}

static void print_text(const json_t *std, const json_t *ext)
{
	const char *key;
	json_t *v;

	printf("Certificate:\n");
	json_object_foreach((json_t *)std, key, v) {
		char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		printf("  %-20s %s\n", key, s != NULL ? s : json_string_value(v));
		free(s);
	}
	printf("teecert extensions:\n");
	if (json_object_size(ext) == 0)
		printf("  (none)\n");
	json_object_foreach((json_t *)ext, key, v) {
		char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

		printf("  %-20s %s\n", key, s != NULL ? s : json_string_value(v));
		free(s);
	}
}

static int cert_show(const char *path, bool as_json)
{
	struct tc_buf raw, der;
	struct ca_cert_info info;
	json_t *std = NULL, *ext = NULL;
	X509 *x = NULL;
	const uint8_t *p;
	struct tc_result r;
	int rc = CLI_EXIT_OK;

	tc_buf_init(&raw, CERT_FILE_MAX);
	tc_buf_init(&der, CERT_FILE_MAX);
	TC_GUARD_GOTO(r, tc_file_read(path, CERT_FILE_MAX, &raw), fail);
	TC_GUARD_GOTO(r, cert_to_der(&raw, &der), fail);
	p = der.data;
	x = d2i_X509(NULL, &p, (long)der.len);
	if (x == NULL || p != der.data + der.len) {
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "certificate DER");
		goto fail;
	}
	TC_GUARD_GOTO(r, ca_cert_info_parse(der.data, der.len, &info), fail);
	TC_GUARD_GOTO(r, ca_cert_info_to_json(&info, &ext), fail);
	TC_GUARD_GOTO(r, standard_json(x, &der, &std), fail);
	if (as_json) {
		json_object_set_new(std, "teecert", json_incref(ext));
		json_dumpf(std, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		print_text(std, ext);
	}
	goto out;
fail:
	rc = print_error(r);
out:
	json_decref(std);
	json_decref(ext);
	X509_free(x);
	tc_buf_cleanup(&raw);
	tc_buf_cleanup(&der);
	return rc;
}

static const struct option cert_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cli_cmd_cert(int argc, char **argv)
{
	bool as_json = false;
	int c;

	if (argc < 2 || cli_is_help(argv[1])) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "show") != 0)
		return cli_usage_error(PROG, "unknown subcommand '%s' (expected: show)", argv[1]);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "hj", cert_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'j':
			as_json = true;
			break;
		default:
			return cli_usage_error(PROG, "unknown option (see --help)");
		}
	}
	if (optind != argc - 2)
		return cli_usage_error(PROG, "show: expected one FILE");
	return cert_show(argv[1 + optind], as_json);
}
