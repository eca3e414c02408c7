/*
 * fake_tsm.c — the fake configfs-tsm kernel thread (see fake_tsm.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_tsm.h"

#define FAKE_EVENT_BUF 8192
#define FAKE_MAX_ENTRIES 32
#define FAKE_INBLOB_LEN 64

struct fake_entry {
	int wd;
	char path[FAKE_TSM_PATH_MAX + 512];
	unsigned long long generation;
};

static struct fake_entry entries[FAKE_MAX_ENTRIES];
static size_t n_entries;
static unsigned tmp_counter;

void fake_tsm_init(struct fake_tsm *f, const char *provider)
{
	static unsigned counter;

	memset(f, 0, sizeof(*f));
	f->provider = provider;
	f->echo_offset = -1;
	f->inotify_fd = -1;
	f->stop_pipe[0] = f->stop_pipe[1] = -1;
	tc_buf_init(&f->outblob, 1u << 20);
	tc_buf_init(&f->auxblob, 1u << 20);
	snprintf(f->root, sizeof(f->root), "/tmp/teecert-fake-tsm-%ld-%u", (long)getpid(), counter++);
}

void fake_read_file(const char *path, struct tc_buf *out)
{
	if (!tc_is_ok(tc_file_read(path, 16u << 20, out))) {
		fprintf(stderr, "cannot read %s: %s\n", path, tc_error_detail());
		abort();
	}
}

void fake_shared_path(char *out, size_t size, const char *rel)
{
	const char *shared = getenv("TEECERT_SHARED");

	snprintf(out, size, "%s/evidence/%s", shared ? shared : "../shared", rel);
}

/* Write a file atomically: a temporary in the root folder (not watched for files), then rename. */
static void put(const struct fake_tsm *f, const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[FAKE_TSM_PATH_MAX + 32], dst[FAKE_TSM_PATH_MAX + 600];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%u", f->root, tmp_counter++);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, f->attr_mode ? f->attr_mode : 0644);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || close(fd) != 0 || rename(tmp, dst) != 0) {
		fprintf(stderr, "fake_tsm: cannot write %s: %s\n", dst, strerror(errno));
		abort();
	}
	if (f->attr_mode)
		chmod(dst, f->attr_mode);
}

static void put_generation(const struct fake_tsm *f, struct fake_entry *e)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu\n", e->generation);
	put(f, e->path, "generation", text, strlen(text));
}

static void on_new_entry(struct fake_tsm *f, const char *name)
{
	struct fake_entry *e;

	if (n_entries >= FAKE_MAX_ENTRIES)
		return;
	e = &entries[n_entries++];
	snprintf(e->path, sizeof(e->path), "%s/%s", f->root, name);
	e->generation = 0;
	e->wd = inotify_add_watch(f->inotify_fd, e->path, IN_CLOSE_WRITE);
	put(f, e->path, "inblob", "", 0);
	if (f->privlevel)
		put(f, e->path, "privlevel", "", 0);
	put_generation(f, e);
}

static void on_written(struct fake_tsm *f, struct fake_entry *e, const char *name)
{
	char path[FAKE_TSM_PATH_MAX + 600];
	struct tc_buf in, out;

	if (strcmp(name, "privlevel") == 0) {
		e->generation++;
		put_generation(f, e);
		return;
	}
	if (strcmp(name, "inblob") != 0)
		return;
	tc_buf_init(&in, 4096);
	tc_buf_init(&out, 1u << 20);
	snprintf(path, sizeof(path), "%s/inblob", e->path);
	fake_read_file(path, &in);
	if (tc_is_ok(tc_buf_append(&out, f->outblob.data, f->outblob.len)) && f->echo_offset >= 0 &&
	    in.len == FAKE_INBLOB_LEN && (size_t)f->echo_offset + FAKE_INBLOB_LEN <= out.len)
		memcpy(out.data + f->echo_offset, in.data, FAKE_INBLOB_LEN);
	put(f, e->path, "outblob", out.data, out.len);
	if (f->has_auxblob)
		put(f, e->path, "auxblob", f->auxblob.data, f->auxblob.len);
	if (f->provider)
		put(f, e->path, "provider", f->provider, strlen(f->provider));
	e->generation += 1 + f->extra_bumps;
	put_generation(f, e);
	f->served++;
	tc_buf_cleanup(&in);
	tc_buf_cleanup(&out);
}

static void *fake_main(void *arg)
{
	struct fake_tsm *f = arg;
	char buf[FAKE_EVENT_BUF] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd p[2] = { { .fd = f->inotify_fd, .events = POLLIN },
				       { .fd = f->stop_pipe[0], .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		n = read(f->inotify_fd, buf, sizeof(buf));
		for (ssize_t off = 0; n > 0 && off < n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);

			off += (ssize_t)(sizeof(*ev) + ev->len);
			if ((ev->mask & IN_CREATE) && (ev->mask & IN_ISDIR) && ev->len)
				on_new_entry(f, ev->name);
			if ((ev->mask & IN_CLOSE_WRITE) && ev->len)
				for (size_t i = 0; i < n_entries; i++)
					if (entries[i].wd == ev->wd)
						on_written(f, &entries[i], ev->name);
		}
	}
	return NULL;
}

int fake_tsm_start(struct fake_tsm *f)
{
	n_entries = 0;
	if (mkdir(f->root, 0755) != 0 && errno != EEXIST)
		return -1;
	f->inotify_fd = inotify_init1(IN_CLOEXEC);
	if (f->inotify_fd < 0 || pipe(f->stop_pipe) != 0)
		return -1;
	if (inotify_add_watch(f->inotify_fd, f->root, IN_CREATE) < 0)
		return -1;
	if (pthread_create(&f->thread, NULL, fake_main, f) != 0)
		return -1;
	f->running = true;
	return 0;
}

/* rm -r of the fake tree (two levels: root/entry/attribute). */
static void remove_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[FAKE_TSM_PATH_MAX + 300];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth < 2)
			remove_tree(path, depth + 1);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void fake_tsm_stop(struct fake_tsm *f)
{
	if (f->running) {
		if (write(f->stop_pipe[1], "x", 1) != 1)
			abort();
		pthread_join(f->thread, NULL);
		f->running = false;
	}
	if (f->inotify_fd >= 0)
		close(f->inotify_fd);
	for (int i = 0; i < 2; i++)
		if (f->stop_pipe[i] >= 0)
			close(f->stop_pipe[i]);
	f->inotify_fd = f->stop_pipe[0] = f->stop_pipe[1] = -1;
	remove_tree(f->root, 0);
	tc_buf_cleanup(&f->outblob);
	tc_buf_cleanup(&f->auxblob);
}

#include <openssl/pem.h>
#include <openssl/x509.h>

/* GHCB certificate table GUIDs, spelled out here (not taken from the code under test). */
static const uint8_t guid_vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
				       0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
static const uint8_t guid_vlek[16] = { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
				       0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 };
static const uint8_t guid_ask[16] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
				      0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 };
static const uint8_t guid_ark[16] = { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
				      0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae };

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void guid_put(uint8_t *p, const uint8_t g[16], bool mixed)
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

	for (int i = 0; i < 16; i++)
		p[i] = mixed ? g[order[i]] : g[i];
}

void fake_snp_cert_table(struct tc_buf *out, bool mixed, bool vlek_instead)
{
	char path[1024];
	struct tc_buf vcek, pem;
	unsigned char *der[2] = { NULL, NULL };
	int der_len[2] = { 0, 0 };
	BIO *bio;
	const size_t header = 4 * 24; /* three entries + terminator */
	uint8_t table[4 * 24];
	size_t off;

	tc_buf_init(&vcek, 1u << 20);
	tc_buf_init(&pem, 1u << 20);
	fake_shared_path(path, sizeof(path), "snp/trustee_milan_vcek.der");
	fake_read_file(path, &vcek);
	fake_shared_path(path, sizeof(path), "snp/amd_ark_ask_milan_vcek.pem");
	fake_read_file(path, &pem);
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	for (int i = 0; i < 2; i++) { /* ASK then ARK, as in the KDS cert_chain file */
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		if (!x)
			abort();
		der_len[i] = i2d_X509(x, &der[i]);
		X509_free(x);
	}
	BIO_free(bio);
	memset(table, 0, sizeof(table));
	off = header;
	guid_put(table, vlek_instead ? guid_vlek : guid_vcek, mixed);
	le32(table + 16, (uint32_t)off);
	le32(table + 20, (uint32_t)vcek.len);
	off += vcek.len;
	guid_put(table + 24, guid_ask, mixed);
	le32(table + 40, (uint32_t)off);
	le32(table + 44, (uint32_t)der_len[0]);
	off += (size_t)der_len[0];
	guid_put(table + 48, guid_ark, mixed);
	le32(table + 64, (uint32_t)off);
	le32(table + 68, (uint32_t)der_len[1]);
	if (!tc_is_ok(tc_buf_append(out, table, sizeof(table))) || !tc_is_ok(tc_buf_append(out, vcek.data, vcek.len)) ||
	    !tc_is_ok(tc_buf_append(out, der[0], (size_t)der_len[0])) ||
	    !tc_is_ok(tc_buf_append(out, der[1], (size_t)der_len[1])))
		abort();
	OPENSSL_free(der[0]);
	OPENSSL_free(der[1]);
	tc_buf_cleanup(&vcek);
	tc_buf_cleanup(&pem);
}

void fake_report_data(const char *rel, size_t offset, uint8_t out[64])
{
	char path[1024];
	struct tc_buf b;

	tc_buf_init(&b, 1u << 20);
	fake_shared_path(path, sizeof(path), rel);
	fake_read_file(path, &b);
	if (b.len < offset + 64)
		abort();
	memcpy(out, b.data + offset, 64);
	tc_buf_cleanup(&b);
}
