/*
 * tc_testproc.c — child processes for the end-to-end tests (see tc_testsupport.h): spawn a binary that dies
 * with the test, wait for it with a deadline, run one to completion with its output captured, start a
 * server and read the port from its "listening on" line. No cmocka here: the helpers return what happened
 * and the test decides how to fail.
 */
#include "tc_testsupport.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROC_POLL_US 20000
#define PROC_POLL_MS 20
#define PROC_LINE_MAX 256

pid_t tc_test_spawn(const char *const *argv, int out_fd, int err_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* Die with the test, even when it is killed by a ctest timeout. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if ((out_fd >= 0 && dup2(out_fd, 1) < 0) || (err_fd >= 0 && dup2(err_fd, 2) < 0))
		_exit(127);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

bool tc_test_wait(pid_t pid, unsigned max_ms, int *status)
{
	int st = 0;

	for (unsigned waited = 0; waitpid(pid, &st, WNOHANG) != pid; waited += PROC_POLL_MS) {
		if (waited >= max_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			if (status != NULL)
				*status = st;
			return false;
		}
		usleep(PROC_POLL_US);
	}
	if (status != NULL)
		*status = st;
	return true;
}

int tc_test_stop(pid_t pid, int sig, unsigned max_ms)
{
	int st = 0;

	kill(pid, sig);
	tc_test_wait(pid, max_ms, &st);
	return st;
}

int tc_test_run(const char *const *argv, char *out, size_t size, unsigned max_ms)
{
	FILE *f = tmpfile(); /* already unlinked */
	int st = 0;

	if (f == NULL)
		return TC_TEST_RUN_ERROR;
	pid_t pid = tc_test_spawn(argv, fileno(f), fileno(f));
	if (pid < 0) {
		fclose(f);
		return TC_TEST_RUN_ERROR;
	}
	bool exited = tc_test_wait(pid, max_ms, &st);
	ssize_t n = size > 0 ? pread(fileno(f), out, size - 1, 0) : 0;
	if (size > 0)
		out[n > 0 ? n : 0] = '\0';
	fclose(f);
	if (!exited)
		return TC_TEST_RUN_TIMEOUT;
	return WIFEXITED(st) ? WEXITSTATUS(st) : TC_TEST_RUN_KILLED;
}

pid_t tc_test_serve(const char *const *argv, char *url, size_t size)
{
	char line[PROC_LINE_MAX];
	size_t used = 0;
	int fds[2], port = 0;

	if (size > 0)
		url[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = tc_test_spawn(argv, fds[1], -1);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -1;
	}
	while (used < sizeof(line) - 1 && memchr(line, '\n', used) == NULL) {
		ssize_t got = read(fds[0], line + used, sizeof(line) - 1 - used);

		if (got <= 0)
			break;
		used += (size_t)got;
	}
	close(fds[0]); /* servers log to stderr; stdout had only this line */
	line[used] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (sscanf(line, "listening on http://127.0.0.1:%d", &port) != 1 || port <= 0) {
		snprintf(url, size, "%s", line);
		tc_test_stop(pid, SIGKILL, 0);
		return -1;
	}
	snprintf(url, size, "http://127.0.0.1:%d", port);
	return pid;
}

TC_RESULT tc_test_sql(PGconn *pg, const char *q)
{
	PGresult *res = PQexec(pg, q);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		struct tc_result r = tc_fail(TC_ERR_DB_QUERY, "SQL failed: %s: %s", q, PQresultErrorMessage(res));
		PQclear(res);
		return r;
	}
	PQclear(res);
	return tc_ok();
}
