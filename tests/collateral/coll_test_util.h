/*
 * coll_test_util.h — helpers shared by the collateral tests. The injected clock (milliseconds in the test's
 * own atomic, passed as the clock argument). A shared conformance case by name. Two simulated GPUs' evidence
 * (test_api_collateral_resolve.c, test_vf_collateral_needs.c). And, in coll_test_env.c, the database and the
 * local vendor server of the service tests (test_api_collateral.c, test_api_collateral_resolve.c).
 * Include it after <cmocka.h>: the helpers fail the running test.
 */
#ifndef COLL_TEST_UTIL_H
#define COLL_TEST_UTIL_H

#include <stdatomic.h>
#include <stdint.h>

#include "tc.h"
#include "vf.h"

struct coll_srv;
struct vf_nv_sim_pki;

/* The clock of the collateral service and of the test server: ARG is the test's _Atomic int64_t (ms). */
int64_t coll_test_clock(void *arg);
/* A sleep that advances that clock (ARG as for coll_test_clock) instead of waiting. */
void coll_test_sleep(void *arg, int64_t ms);

/* $TEECERT_SHARED, the shared evidence and cases (default ../shared, from the build's tests folder). */
const char *coll_test_shared(void);
/* Load the shared case NAME (evidence/cases/NAME.json) into C; fails the test when it does not load. */
void coll_test_case_load(const char *name, struct vf_case *c);

/* Two simulated GPUs' evidence: the SPDM response and the certificate chain of each. */
#define COLL_TEST_GPUS 2
struct coll_test_gpus {
	struct tc_buf spdm[COLL_TEST_GPUS], chains[COLL_TEST_GPUS];
};
/* G gets the evidence of COLL_TEST_GPUS GPUs of PKI at AT; IN (may be NULL) gets its items appended,
 * borrowing G's buffers: gpu0.spdm, gpu0.cert_chain, gpu1.spdm, gpu1.cert_chain. */
void coll_test_gpus_init(struct coll_test_gpus *g, const struct vf_nv_sim_pki *pki, int64_t at, struct vf_input *in);
void coll_test_gpus_cleanup(struct coll_test_gpus *g);

/* Remove the test's temporary folder DIR and everything in it; fails the test when that fails. */
void coll_test_rmdir(const char *dir);

/* -------------------------------------------------------------------- service tests (coll_test_env.c) */

/* cmocka group setup: a fresh migrated database named PREFIX_... whose DSN goes to DSN (TC_TEST_DSN_MAX
 * bytes), and the local vendor server stamping hits with the clock NOW_MS. 0, or -1 when either fails. */
int coll_test_env_setup(const char *prefix, char *dsn, _Atomic int64_t *now_ms, struct coll_srv **srv);
/* cmocka group teardown: stop SRV, drop the database DSN. 0, or -1 when the drop fails. */
int coll_test_env_teardown(const char *dsn, struct coll_srv *srv);
/* The tests' service configuration (CFG already api_collateral_config_init'ed): database DSN, NVIDIA RIM
 * ({SRV}/v1/rim) and OCSP ({SRV}/ocsp) on the local server, no Intel/NVIDIA rate limit, the fake clock NOW_MS
 * (sleeps advance it). The Intel and AMD bases are the caller's. Strings in static storage (one SRV per test). */
struct api_collateral_config;
void coll_test_env_config(struct api_collateral_config *cfg, const char *dsn, struct coll_srv *srv,
			  _Atomic int64_t *now_ms);
/* Run Q (statements, no rows wanted) on the database DSN; fails the test on error. */
void coll_test_sql(const char *dsn, const char *q);

#endif /* COLL_TEST_UTIL_H */
