/*
 * tc_file.c — whole-file reads with a size limit and atomic writes (temp file, fsync, rename), so a crash
 * never leaves a half-written key, certificate or configuration behind.
 */
#include "tc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TC_FILE_CHUNK ((size_t)16 * 1024)
#define TC_FILE_TMP_SUFFIX ".tmp.XXXXXX"

TC_RESULT tc_file_read(const char *path, size_t max, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	size_t start = out->len;
	size_t total = 0;
	uint8_t chunk[TC_FILE_CHUNK];
	int fd;

	TC_ENSURE(path != NULL, TC_ERR_INVALID_ARGUMENT, "file_read: NULL path");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	TC_ENSURE(fd >= 0, TC_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	TC_GUARD_GOTO(r, tc_buf_reserve(out, 0), out); /* an empty file still yields a C string */
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		TC_ENSURE_GOTO(r, n >= 0, out, TC_ERR_IO, "cannot read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		TC_ENSURE_GOTO(r, (size_t)n <= max - total, out, TC_ERR_TOO_LARGE, "%s is larger than %zu bytes", path,
			       max);
		total += (size_t)n;
		TC_GUARD_GOTO(r, tc_buf_append(out, chunk, (size_t)n), out);
	}
out:
	close(fd);
	tc_secure_zero(chunk, sizeof(chunk));
	if (!tc_is_ok(r) && out->data != NULL) {
		tc_secure_zero(out->data + start, out->len - start);
		out->len = start;
		out->data[start] = '\0';
	}
	return r;
}

TC_RESULT tc_file_write(const char *path, const void *data, size_t len, unsigned mode)
{
	struct tc_result r = tc_ok();
	const uint8_t *p = data;
	struct tc_buf tmp = { 0 };
	int fd = -1;
	bool created = false;

	TC_ENSURE(path != NULL && (data != NULL || len == 0), TC_ERR_INVALID_ARGUMENT, "file_write: NULL argument");
	TC_GUARD(tc_buf_appendf(&tmp, "%s%s", path, TC_FILE_TMP_SUFFIX));
	fd = mkstemp((char *)tmp.data);
	TC_ENSURE_GOTO(r, fd >= 0, out, TC_ERR_IO, "cannot create a temporary file next to %s: %s", path,
		       strerror(errno));
	created = true;
	TC_ENSURE_GOTO(r, fchmod(fd, (mode_t)mode) == 0, out, TC_ERR_IO, "cannot chmod %s: %s", (char *)tmp.data,
		       strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		TC_ENSURE_GOTO(r, n > 0, out, TC_ERR_IO, "cannot write %s: %s", (char *)tmp.data, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	TC_ENSURE_GOTO(r, fsync(fd) == 0, out, TC_ERR_IO, "cannot fsync %s: %s", (char *)tmp.data, strerror(errno));
	TC_ENSURE_GOTO(r, close(fd) == 0, out, TC_ERR_IO, "cannot close %s: %s", (char *)tmp.data, strerror(errno));
	fd = -1;
	TC_ENSURE_GOTO(r, rename((char *)tmp.data, path) == 0, out, TC_ERR_IO, "cannot rename to %s: %s", path,
		       strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (!tc_is_ok(r) && created)
		unlink((char *)tmp.data);
	tc_buf_cleanup(&tmp);
	return r;
}
