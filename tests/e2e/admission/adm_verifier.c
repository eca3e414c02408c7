/*
 * adm_verifier.c — a test-only teecert-verifier with admission inputs: the verifier route table served by
 * api_server_start with an api_admission, configured from the command line the way `teecert-verifier serve
 * --trust-root --policy --signing-key` will be, plus --at (a fixed verification time, Unix seconds) for the
 * expiry case. Prints `listening on URL` and serves until SIGTERM.
 *
 *   adm_verifier --db DSN --trust-root PEM --signing-key PEM [--policy FILE] [--at SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int main(int argc, char **argv)
{
	struct api_admission_options o = { 0 };
	struct api_admission *adm = NULL;
	struct api_server *s = NULL;
	struct api_config cfg;
	const char *dsn = NULL;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			dsn = argv[i + 1];
		else if (strcmp(argv[i], "--trust-root") == 0)
			o.trust_root_file = argv[i + 1];
		else if (strcmp(argv[i], "--signing-key") == 0)
			o.signing_key_file = argv[i + 1];
		else if (strcmp(argv[i], "--policy") == 0)
			o.policy_file = argv[i + 1];
		else if (strcmp(argv[i], "--at") == 0)
			o.fixed_now = strtoll(argv[i + 1], NULL, 10);
		else
			return 1;
	}
	if (dsn == NULL || !tc_is_ok(api_admission_load(&o, &adm))) {
		fprintf(stderr, "adm_verifier: %s\n", tc_error_detail());
		return 1;
	}
	api_config_init(&cfg);
	cfg.service = "verifier";
	cfg.listen_host = "127.0.0.1";
	cfg.dsn = dsn;
	cfg.pool_size = 2;
	cfg.threads = 2;
	cfg.handle_signals = true;
	cfg.admission = adm;
	if (!tc_is_ok(api_server_start(&cfg, &s))) {
		fprintf(stderr, "adm_verifier: %s\n", tc_error_detail());
		api_admission_free(&adm);
		return 1;
	}
	printf("listening on http://127.0.0.1:%u\n", (unsigned)api_server_port(s));
	fflush(stdout);
	api_server_wait(s);
	api_server_free(&s);
	api_admission_free(&adm);
	return 0;
}
