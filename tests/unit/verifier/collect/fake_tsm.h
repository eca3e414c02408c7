/*
 * fake_tsm.h — a fake configfs-tsm "kernel" for the collection tests: a helper thread watches a plain folder
 * (inotify); for every entry folder made in it, it creates `generation` (0) and `inblob` (and `privlevel`
 * when enabled); when inblob is written (and closed) it writes outblob, auxblob and provider and then bumps
 * generation, each file atomically (rename), as Documentation/ABI/testing/configfs-tsm describes the kernel.
 */
#ifndef FAKE_TSM_H
#define FAKE_TSM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tc.h"

#define FAKE_TSM_PATH_MAX 512

struct fake_tsm {
	char root[FAKE_TSM_PATH_MAX]; /* the folder to watch (created by fake_tsm_start) */
	const char *provider;         /* NULL: never write `provider` */
	struct tc_buf outblob;        /* served as outblob */
	struct tc_buf auxblob;        /* served as auxblob when has_auxblob */
	bool has_auxblob;
	bool privlevel;       /* create a `privlevel` attribute */
	unsigned extra_bumps; /* racing writer: bump generation this much more per inblob write */
	long echo_offset;     /* >= 0: copy the 64-byte inblob into the outblob at this offset */
	unsigned attr_mode;   /* mode of the created attribute files (0: 0644) */
	/* private */
	pthread_t thread;
	int inotify_fd, stop_pipe[2];
	bool running;
	unsigned served;
};

/* Initialise F with defaults (provider NULL, echo_offset -1) and a unique root under /tmp. */
void fake_tsm_init(struct fake_tsm *f, const char *provider);
/* Read a file into a buffer (test helper; aborts the test on failure). */
void fake_read_file(const char *path, struct tc_buf *out);
/* "$TEECERT_SHARED/evidence/<rel>" */
void fake_shared_path(char *out, size_t size, const char *rel);
/* Start the thread (ROOT made here, mode 0755). 0 on success. */
int fake_tsm_start(struct fake_tsm *f);
/* Stop the thread, remove the tree, free the blobs. */
void fake_tsm_stop(struct fake_tsm *f);

/* The SNP certificate table a host would attach for the trustee Milan report: VCEK (trustee_milan_vcek.der),
 * ASK and ARK (amd_ark_ask_milan_vcek.pem as DER), GUIDs in RFC 4122 byte order (MIXED: EFI mixed-endian).
 * VLEK_INSTEAD labels the leaf with the VLEK GUID. Appended to OUT. */
void fake_snp_cert_table(struct tc_buf *out, bool mixed, bool vlek_instead);
/* The report data at the report's offset of a shared evidence file (TDX quote v4: 568; SNP: 0x50). */
void fake_report_data(const char *rel, size_t offset, uint8_t out[64]);
#endif /* FAKE_TSM_H */
