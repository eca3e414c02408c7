/*
 * vf_tsm.c — TEE reports through Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm; attribute list
 * in vf_tsm.h). One call = one entry folder: mkdir, write, read, check the generation counter, rmdir.
 *
 * The generation counter is the ABI's answer to several writers sharing an entry: the kernel bumps it for
 * every write to inblob or an option, so after our writes it must equal its first value plus the number of
 * our writes, both before and after we read the blobs. Anything else means someone else wrote in between and
 * the outblob may carry their inblob, not ours: we refuse it rather than hand out evidence for other data.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "vf_tsm.h"

#define VF_TSM_PATH_MAX 4096
#define VF_TSM_ENTRY_RANDOM_LEN 6

static const char *const vf_tsm_attrs[] = { "inblob",     "outblob",   "auxblob",        "provider",
					    "generation", "privlevel", "privlevel_floor" };

const char *vf_tsm_errno_hint(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return "not present: a kernel without CONFIG_TSM_REPORTS, or configfs not mounted at /sys/kernel/config";
	case ENXIO:
	case ENODEV:
		return "no TSM provider registered: load the tdx_guest or sev_guest driver";
	case EACCES:
	case EPERM:
		return "permission denied: run as root (or grant this user access to the interface)";
	case EBUSY:
		return "the TEE interface is busy (another request in progress or the host's quoting service is busy); "
		       "retry";
	case EIO:
		return "the TEE or the host failed to produce the report (TDX: is the host's quote generation service "
		       "running and reachable?)";
	case EINVAL:
		return "the kernel refused the request (bad inblob length or privlevel)";
	case EAGAIN:
	case ETIMEDOUT:
	case EINTR:
		return "the request timed out or was interrupted; retry";
	case ENOTTY:
		return "the device does not understand this request (wrong device or kernel too old)";
	default:
		return "";
	}
}

void vf_tsm_report_cleanup(struct vf_tsm_report *r)
{
	tc_buf_cleanup(&r->outblob);
	tc_buf_cleanup(&r->auxblob);
	r->has_auxblob = false;
	r->provider[0] = 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Read a whole attribute (at most MAX bytes) into OUT. Returns 0 or an errno (EFBIG when larger than MAX). */
static int attr_read(const char *path, size_t max, struct tc_buf *out)
{
	uint8_t chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			err = EFBIG;
			break;
		}
		if (!tc_is_ok(tc_buf_append(out, chunk, (size_t)n))) {
			err = ENOMEM;
			break;
		}
	}
	close(fd);
	return err;
}

/* Write DATA to an attribute in one write(2) (configfs commits binary attributes on close). 0 or an errno. */
static int attr_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return errno;
	do {
		n = write(fd, data, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;
	if (close(fd) != 0 && err == 0)
		err = errno;
	return err;
}

/* ENTRY/NAME into OUT; a path that does not fit becomes "" so that opening it fails cleanly. */
static void attr_path(char *out, size_t size, const char *entry, const char *name)
{
	int n = snprintf(out, size, "%s/%s", entry, name);

	if (n < 0 || (size_t)n >= size)
		out[0] = 0;
}

/* Parse the decimal `generation` attribute. 0 or an errno (EINVAL when it is not a number). */
static int generation_read(const char *entry, uint64_t *out)
{
	char path[VF_TSM_PATH_MAX];
	struct tc_buf b;
	char *end = NULL;
	unsigned long long v;
	int err;

	attr_path(path, sizeof(path), entry, "generation");
	tc_buf_init(&b, VF_TSM_SMALL_ATTR_MAX);
	err = attr_read(path, VF_TSM_SMALL_ATTR_MAX, &b);
	if (err == 0) {
		errno = 0;
		v = b.len ? strtoull((const char *)b.data, &end, 10) : 0;
		if (b.len == 0 || errno != 0 || end == (char *)b.data || (*end != '\n' && *end != 0))
			err = EINVAL;
		else
			*out = (uint64_t)v;
	}
	tc_buf_cleanup(&b);
	return err;
}

/*
 * Read `generation`; on a tree that is not configfs, wait (bounded) until it exists and reaches AT_LEAST
 * (a fake kernel answers asynchronously; configfs answers before write(2) returns).
 */
static TC_RESULT generation_wait(const char *entry, bool on_configfs, uint64_t at_least, uint64_t *out)
{
	unsigned waited = 0;
	int err;

	for (;;) {
		err = generation_read(entry, out);
		if (on_configfs || waited >= VF_TSM_SETTLE_MS || (err == 0 && *out >= at_least) ||
		    (err != 0 && err != ENOENT && err != EINVAL))
			break;
		sleep_ms(VF_TSM_POLL_MS);
		waited += VF_TSM_POLL_MS;
	}
	TC_ENSURE(err == 0, TC_ERR_IO, "configfs-tsm: reading %s/generation failed: %s%s%s", entry,
		  err == EINVAL ? "not a decimal number" : strerror(err), *vf_tsm_errno_hint(err) ? "; " : "",
		  vf_tsm_errno_hint(err));
	return tc_ok();
}

static TC_RESULT check_generation(uint64_t first, uint64_t now, unsigned writes, const char *when)
{
	TC_ENSURE(now == first + writes, TC_ERR_IO,
		  "configfs-tsm: racing writer: the entry's generation went from %" PRIu64 " to %" PRIu64 " %s while "
		  "this process wrote %u attribute(s); another process wrote to the same report entry, so the outblob "
		  "may not carry our inblob. Retry",
		  first, now, when, writes);
	return tc_ok();
}

static TC_RESULT write_privlevel(const char *entry, int privlevel)
{
	char path[VF_TSM_PATH_MAX], text[16];
	struct tc_buf floor;
	int err;

	TC_ENSURE(privlevel <= VF_TSM_PRIVLEVEL_MAX, TC_ERR_INVALID_ARGUMENT,
		  "configfs-tsm: privlevel %d out of range 0..%d", privlevel, VF_TSM_PRIVLEVEL_MAX);
	attr_path(path, sizeof(path), entry, "privlevel");
	snprintf(text, sizeof(text), "%d\n", privlevel);
	err = attr_write(path, text, strlen(text));
	if (err == ENOENT)
		return tc_fail(
			TC_ERR_UNSUPPORTED,
			"configfs-tsm: this TSM provider has no privlevel attribute (only SEV-SNP reports a VMPL)");
	if (err == EINVAL) {
		tc_buf_init(&floor, VF_TSM_SMALL_ATTR_MAX);
		attr_path(path, sizeof(path), entry, "privlevel_floor");
		if (attr_read(path, VF_TSM_SMALL_ATTR_MAX, &floor) == 0 && floor.len > 0) {
			while (floor.len && (floor.data[floor.len - 1] == '\n'))
				floor.data[--floor.len] = 0;
			tc_buf_cleanup(&floor);
			return tc_fail(TC_ERR_INVALID_ARGUMENT,
				       "configfs-tsm: the kernel refused privlevel %d (privlevel_floor is %s)",
				       privlevel, (const char *)floor.data);
		}
		tc_buf_cleanup(&floor);
	}
	TC_ENSURE(err == 0, TC_ERR_IO, "configfs-tsm: writing %s failed: %s%s%s", path, strerror(err),
		  *vf_tsm_errno_hint(err) ? "; " : "", vf_tsm_errno_hint(err));
	return tc_ok();
}

static TC_RESULT read_blob(const char *entry, const char *name, size_t max, bool optional, bool *found,
			   struct tc_buf *out)
{
	char path[VF_TSM_PATH_MAX];
	int err;

	attr_path(path, sizeof(path), entry, name);
	err = attr_read(path, max, out);
	if (found)
		*found = err == 0;
	if (optional && err == ENOENT)
		return tc_ok();
	TC_ENSURE(err != EFBIG, TC_ERR_TOO_LARGE, "configfs-tsm: %s is larger than %zu bytes", path, max);
	TC_ENSURE(err == 0, TC_ERR_IO, "configfs-tsm: reading %s failed: %s%s%s", path, strerror(err),
		  *vf_tsm_errno_hint(err) ? "; " : "", vf_tsm_errno_hint(err));
	return tc_ok();
}

static TC_RESULT read_provider(const char *entry, char out[VF_COLLECT_NAME_MAX])
{
	struct tc_buf b;
	struct tc_result r;

	tc_buf_init(&b, VF_TSM_SMALL_ATTR_MAX);
	r = read_blob(entry, "provider", VF_TSM_SMALL_ATTR_MAX, true, NULL, &b);
	if (tc_is_ok(r)) {
		while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == 0))
			b.data[--b.len] = 0;
		if (b.len == 0 || b.len >= VF_COLLECT_NAME_MAX || memchr(b.data, 0, b.len))
			r = tc_fail(
				TC_ERR_IO,
				"configfs-tsm: %s/provider is missing or empty: the kernel's TSM did not name itself, "
				"so the outblob's format is unknown",
				entry);
		else
			snprintf(out, VF_COLLECT_NAME_MAX, "%s", (const char *)b.data);
	}
	tc_buf_cleanup(&b);
	return r;
}

/* Remove the entry. configfs drops the attributes with the folder; a plain folder needs them unlinked. */
static void entry_remove(const char *entry, bool on_configfs)
{
	char path[VF_TSM_PATH_MAX];

	if (!on_configfs) {
		for (size_t i = 0; i < sizeof(vf_tsm_attrs) / sizeof(vf_tsm_attrs[0]); i++) {
			attr_path(path, sizeof(path), entry, vf_tsm_attrs[i]);
			unlink(path);
		}
	}
	if (rmdir(entry) != 0)
		tc_log(TC_LOG_WARN, "tsm_rmdir_failed", "cannot remove report entry %s: %s", entry, strerror(errno));
}

static TC_RESULT entry_create(const char *root, char *entry, size_t size)
{
	uint8_t rnd[VF_TSM_ENTRY_RANDOM_LEN];
	char hex[2 * VF_TSM_ENTRY_RANDOM_LEN + 1];
	int err;

	TC_GUARD(tc_random_bytes(rnd, sizeof(rnd)));
	TC_GUARD(tc_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex)));
	snprintf(entry, size, "%s/teecert-%ld-%s", root, (long)getpid(), hex);
	if (mkdir(entry, 0700) == 0)
		return tc_ok();
	err = errno;
	return tc_fail(TC_ERR_IO, "configfs-tsm: cannot create a report entry under %s: %s%s%s", root, strerror(err),
		       *vf_tsm_errno_hint(err) ? "; " : "", vf_tsm_errno_hint(err));
}

TC_RESULT vf_tsm_report_get(const char *root, const uint8_t inblob[VF_TSM_INBLOB_LEN], int privlevel, bool *present,
			    struct vf_tsm_report *out)
{
	struct vf_tsm_report rep;
	char entry[VF_TSM_PATH_MAX], path[VF_TSM_PATH_MAX];
	struct stat st;
	struct statfs sfs;
	uint64_t first = 0, now = 0;
	unsigned writes = 0;
	bool created = false, on_configfs = false;
	int err;
	struct tc_result r = tc_ok();

	memset(&rep, 0, sizeof(rep));
	tc_buf_init(&rep.outblob, VF_TSM_OUTBLOB_MAX);
	tc_buf_init(&rep.auxblob, VF_TSM_AUXBLOB_MAX);
	*present = false;
	if (!root)
		root = VF_TSM_DEFAULT_ROOT;
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		err = errno;
		r = tc_fail(TC_ERR_UNSUPPORTED, "configfs-tsm: %s: %s (%s)", root,
			    err == 0 || !(err == ENOENT || err == ENOTDIR) ? "not a folder" : strerror(err),
			    vf_tsm_errno_hint(ENOENT));
		goto out;
	}
	*present = true;
	on_configfs = statfs(root, &sfs) == 0 && (unsigned long)sfs.f_type == VF_TSM_CONFIGFS_MAGIC;
	rep.on_configfs = on_configfs;
	TC_GUARD_GOTO(r, entry_create(root, entry, sizeof(entry)), out);
	created = true;
	TC_GUARD_GOTO(r, generation_wait(entry, on_configfs, 0, &first), out);
	if (privlevel >= 0) {
		TC_GUARD_GOTO(r, write_privlevel(entry, privlevel), out);
		writes++;
	}
	attr_path(path, sizeof(path), entry, "inblob");
	err = attr_write(path, inblob, VF_TSM_INBLOB_LEN);
	TC_ENSURE_GOTO(r, err == 0, out, TC_ERR_IO, "configfs-tsm: writing %s failed: %s%s%s", path, strerror(err),
		       *vf_tsm_errno_hint(err) ? "; " : "", vf_tsm_errno_hint(err));
	writes++;
	TC_GUARD_GOTO(r, generation_wait(entry, on_configfs, first + writes, &now), out);
	TC_GUARD_GOTO(r, check_generation(first, now, writes, "before the outblob was read"), out);
	TC_GUARD_GOTO(r, read_blob(entry, "outblob", VF_TSM_OUTBLOB_MAX, false, NULL, &rep.outblob), out);
	TC_ENSURE_GOTO(r, rep.outblob.len > 0, out, TC_ERR_IO, "configfs-tsm: %s/outblob is empty", entry);
	TC_GUARD_GOTO(r, read_blob(entry, "auxblob", VF_TSM_AUXBLOB_MAX, true, &rep.has_auxblob, &rep.auxblob), out);
	TC_GUARD_GOTO(r, read_provider(entry, rep.provider), out);
	TC_GUARD_GOTO(r, generation_wait(entry, on_configfs, first + writes, &now), out);
	TC_GUARD_GOTO(r, check_generation(first, now, writes, "while the blobs were read"), out);
	rep.generation = now;
	*out = rep;
	memset(&rep, 0, sizeof(rep));
out:
	if (created)
		entry_remove(entry, on_configfs);
	if (!tc_is_ok(r))
		memset(out, 0, sizeof(*out));
	vf_tsm_report_cleanup(&rep);
	return r;
}
