/*
 * teecert — the CLI for nodes, developers and auditors (DESIGN.md "Processes"). Thin: each subcommand
 * parses its flags and calls the libraries.
 */
#include "cli.h"

static const struct cli_command commands[] = {
	{ "verify", cli_cmd_verify, "appraise evidence against collateral and policy, print the appraisal JSON" },
	{ "appraise", cli_cmd_appraise, "appraise one conformance case manifest, print the appraisal JSON" },
	{ "conformance", cli_cmd_conformance, "run conformance case files or folders, print PASS/FAIL per case" },
	{ "bench", cli_cmd_bench, "benchmarks: bench tdx|snp|nvidia" },
	{ "sim", cli_cmd_sim, "simulated TEEs: sim init DIR, sim tdx|snp|nvidia --pki DIR ..." },
	{ "collect", cli_cmd_collect, "collect evidence from this machine's TEE (configfs-tsm, /dev, NVML)" },
	{ "collateral", cli_cmd_collateral, "vendor collateral cache: import|export DIR, status, fetch KIND KEY (--db DSN)" },
	{ "audit", cli_cmd_audit, "check a log entry end to end: checkpoint signature, inclusion, on-chain Anchored event" },
	{ "cert", cli_cmd_cert, "cert show FILE [--json]: a certificate's fields and teecert extensions decoded" },
	{ "request", cli_cmd_request, "request cvm|workload --ca URL --out DIR: key, CSR, evidence, certificate from a CA" },
	{ "admit", cli_cmd_admit,
	  "admit peer|workload --verifier URL --chain FILE: may this peer connect, may this workload run?" },
	{ "certs", cli_cmd_certs, "certs get SERIAL | certs list [filters]: certificate history from a verifier" },
	{ "replay", cli_cmd_replay, "replay APPRAISAL_ID --db DSN: re-run a stored appraisal with the exact inputs, compare" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch("teecert", "teecert: attestation-backed certificates for confidential computing.",
			    commands, argc, argv);
}
