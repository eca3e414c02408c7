/*
 * fuzz_replay_main.c — stands in for libFuzzer where it is not available (gcc builds, CI without clang):
 * reads every file named on the command line, or found (recursively) in the directories named there, and
 * passes each to LLVMFuzzerTestOneInput once. Prints how many inputs ran; exits non-zero when none did,
 * so an empty or mistyped corpus path fails the test instead of passing silently.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT ((size_t)16 * 1024 * 1024)
#define REPLAY_PATH_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Returns 0 on success, -1 when the file cannot be read. */
static int replay_file(const char *path, unsigned long *ran)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	data = malloc(REPLAY_MAX_INPUT + 1);
	if (data == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(data, 1, REPLAY_MAX_INPUT + 1, f);
	fclose(f);
	if (n > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s is larger than %zu bytes\n", path, REPLAY_MAX_INPUT);
		free(data);
		return -1;
	}
	/* Copy into an exact-size block so ASan catches reads one past the input. */
	{
		uint8_t *exact = malloc(n > 0 ? n : 1);

		if (exact == NULL) {
			free(data);
			return -1;
		}
		memcpy(exact, data, n);
		free(data);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	(*ran)++;
	return 0;
}

static int replay_path(const char *path, unsigned long *ran)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s does not exist\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, ran);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "replay: cannot open directory %s\n", path);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char child[REPLAY_PATH_MAX];
		int n;

		if (e->d_name[0] == '.')
			continue; /* ".", ".." and hidden files */
		n = snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(child)) {
			rc = -1;
			continue;
		}
		if (replay_path(child, ran) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long ran = 0;
	int rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue; /* libFuzzer flags such as -runs=0 are meaningless here */
		if (replay_path(argv[i], &ran) != 0)
			rc = 1;
	}
	printf("replayed %lu inputs\n", ran);
	if (ran == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	return rc;
}
