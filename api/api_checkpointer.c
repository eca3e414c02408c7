/*
 * api_checkpointer.c — the CA's signed checkpoints (DESIGN.md "Transparency log and anchoring": checkpoints
 * every N entries or T seconds). A thread of `teecert-ca serve --log-key FILE` asks the database once a
 * second whether a checkpoint is due (db_log_maybe_checkpoint, in one transaction) and signs it with the
 * log's Ed25519 key; teecert-anchor anchors what this writes. Several CA replicas may run it: the policy
 * runs under SERIALIZABLE, so two replicas never write the same checkpoint.
 *
 * `teecert-ca log-key --out FILE [--name NAME]` creates the key (0600) and prints the verifier key line that
 * auditors pin (teecert audit --log-key).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"
#include "chain.h"

#define API_CHECKPOINT_TICK_MS 1000

struct api_checkpointer {
	char *dsn;
	struct chain_note_signer *key;
	unsigned every_n, every_s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	unsigned long long written;
};

struct tick {
	const struct api_checkpointer *c;
	bool written;
};

static struct tc_result tick_fn(struct db_conn *conn, void *arg)
{
	struct tick *t = arg;

	return db_log_maybe_checkpoint(conn, t->c->key, tc_time_now(), t->c->every_n, t->c->every_s, &t->written);
}

/* Wait up to one tick; true when asked to stop. */
static bool wait_tick(struct api_checkpointer *c)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += API_CHECKPOINT_TICK_MS / 1000;
	pthread_mutex_lock(&c->lock);
	while (!c->stop && pthread_cond_timedwait(&c->wake, &c->lock, &until) == 0)
		;
	stop = c->stop;
	pthread_mutex_unlock(&c->lock);
	return stop;
}

static void *checkpointer_main(void *arg)
{
	struct api_checkpointer *c = arg;
	struct db_conn *conn = NULL;

	while (!wait_tick(c)) {
		struct tick t = { .c = c };
		struct tc_result r = conn ? tc_ok() : db_conn_open(c->dsn, &conn);

		if (tc_is_ok(r))
			r = db_txn_run(conn, tick_fn, &t);
		if (!tc_is_ok(r)) {
			/* The database may be down: say so and try again next tick (the connection reconnects). */
			tc_log(TC_LOG_WARN, "log_checkpoint_failed", "%s: %s", tc_error_info(r.code)->code,
			       tc_error_detail());
			continue;
		}
		if (t.written) {
			pthread_mutex_lock(&c->lock);
			c->written++;
			pthread_mutex_unlock(&c->lock);
			tc_log(TC_LOG_INFO, "log_checkpoint_written", "a signed checkpoint of the whole log was stored");
		}
	}
	db_conn_free(&conn);
	return NULL;
}

TC_RESULT api_checkpointer_start(const char *dsn, const char *key_file, const char *name, unsigned every_n,
				 unsigned every_s, struct api_checkpointer **out)
{
	struct api_checkpointer *c = calloc(1, sizeof(*c));
	struct tc_result r = tc_ok();

	TC_ENSURE(c, TC_ERR_NO_MEMORY, "checkpointer");
	c->every_n = every_n;
	c->every_s = every_s;
	c->dsn = strdup(dsn);
	TC_ENSURE_GOTO(r, c->dsn, fail, TC_ERR_NO_MEMORY, "checkpointer");
	TC_GUARD_GOTO(r, chain_note_signer_load(key_file, name, &c->key), fail);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		r = tc_fail(TC_ERR_INTERNAL, "cannot start the checkpoint thread");
		goto fail;
	}
	*out = c;
	return tc_ok();
fail:
	chain_note_signer_free(&c->key);
	free(c->dsn);
	free(c);
	return r;
}

void api_checkpointer_stop(struct api_checkpointer **cp)
{
	struct api_checkpointer *c = *cp;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	chain_note_signer_free(&c->key);
	free(c->dsn);
	free(c);
	*cp = NULL;
}

int api_cli_log_key(const char *prog, int argc, char **argv)
{
	const char *out = NULL, *name = API_CA_LOG_ORIGIN_DEFAULT;
	struct chain_note_signer *s = NULL;
	struct tc_buf line;
	struct tc_result r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: %s log-key --out FILE [--name NAME]\n\n"
			       "Create the transparency log's Ed25519 signing key (PKCS#8 PEM, mode 0600; an existing file\n"
			       "is not overwritten) and print the verifier key auditors pin (teecert audit --log-key).\n"
			       "NAME is the log's origin (default " API_CA_LOG_ORIGIN_DEFAULT "); serve it with\n"
			       "%s serve --log-key FILE --log-origin NAME.\n",
			       prog, prog);
			return API_CLI_EXIT_OK;
		}
		if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
			out = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--name") == 0)
			name = argv[++i];
		else {
			fprintf(stderr, "%s log-key: unknown or incomplete option '%s'\n", prog, argv[i]);
			return API_CLI_EXIT_USAGE;
		}
	}
	if (!out) {
		fprintf(stderr, "%s log-key: --out FILE is required\n", prog);
		return API_CLI_EXIT_USAGE;
	}
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "%s log-key: %s exists; refusing to overwrite a log key\n", prog, out);
		return API_CLI_EXIT_USAGE;
	}
	tc_buf_init(&line, 1024);
	r = chain_note_signer_generate(name, &s);
	if (tc_is_ok(r))
		r = chain_note_signer_save(s, out);
	if (tc_is_ok(r))
		r = chain_note_verifier_format(chain_note_signer_verifier(s), &line);
	chain_note_signer_free(&s);
	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s log-key: %s: %s\n", prog, tc_error_info(r.code)->code, tc_error_detail());
		tc_buf_cleanup(&line);
		return tc_error_info(r.code)->http_status < 500 ? API_CLI_EXIT_USAGE : API_CLI_EXIT_INTERNAL;
	}
	printf("%s\n", (const char *)line.data);
	tc_buf_cleanup(&line);
	return API_CLI_EXIT_OK;
}
