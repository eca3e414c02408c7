/*
 * coll_test_server.c — see coll_test_server.h. Only ever binds 127.0.0.1.
 */
#include "coll_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <microhttpd.h>

#define COLL_SRV_ROUTES 64
#define COLL_SRV_PATH_MAX 512

struct coll_route {
	char path[COLL_SRV_PATH_MAX];
	uint8_t *body;
	size_t len;
	char header_name[64];
	char *header_value; /* URL-encoded */
	struct coll_srv_fault fault;
	bool has_fault;
	coll_srv_post_fn post;
	void *post_arg;
	int hits;
	int64_t hit_ms[COLL_SRV_MAX_HITS];
};

struct coll_srv {
	struct MHD_Daemon *d;
	char base[64];
	pthread_mutex_t lock;
	struct coll_route routes[COLL_SRV_ROUTES];
	int n;
	int64_t (*clock_ms)(void *);
	void *clock_arg;
};

uint8_t *coll_test_read(const char *rel, size_t *len)
{
	const char *shared = getenv("TEECERT_SHARED");
	char path[1024];
	snprintf(path, sizeof(path), "%s/evidence/%s", shared ? shared : "../shared", rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

static struct coll_route *find(struct coll_srv *s, const char *path)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->routes[i].path, path) == 0)
			return &s->routes[i];
	return NULL;
}

/* The route of PATH, a new empty one when there is none yet (NULL when all are taken); S->lock held. */
static struct coll_route *find_or_add(struct coll_srv *s, const char *path)
{
	struct coll_route *r = find(s, path);
	if (r == NULL && s->n < COLL_SRV_ROUTES) {
		r = &s->routes[s->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->path, sizeof(r->path), "%s", path);
	}
	return r;
}

/* A request's body (POST), collected over the upload calls; freed when the request completes. */
#define COLL_SRV_BODY_MAX ((size_t)64 * 1024)
struct coll_upload {
	uint8_t data[COLL_SRV_BODY_MAX];
	size_t len;
};

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)conn;
	(void)t;
	free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct coll_srv *s = cls;
	(void)version;
	(void)method;
	if (*con_cls == NULL) { /* first call: headers only */
		*con_cls = calloc(1, sizeof(struct coll_upload));
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	}
	struct coll_upload *up = *con_cls;
	if (*upload_size > 0) { /* POST bodies (OCSP requests): kept for a POST handler, the rest dropped */
		size_t n = *upload_size < COLL_SRV_BODY_MAX - up->len ? *upload_size : COLL_SRV_BODY_MAX - up->len;
		memcpy(up->data + up->len, upload_data, n);
		up->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find(s, url);
	unsigned status = MHD_HTTP_NOT_FOUND;
	uint8_t *body = NULL;
	size_t len = 0;
	int retry_after = -1, delay = 0;
	char hname[64] = "";
	char *hvalue = NULL;
	coll_srv_post_fn post = r != NULL ? r->post : NULL;
	void *post_arg = r != NULL ? r->post_arg : NULL;
	if (r != NULL) {
		if (r->hits < COLL_SRV_MAX_HITS)
			r->hit_ms[r->hits] = s->clock_ms ? s->clock_ms(s->clock_arg) : 0;
		r->hits++;
		status = MHD_HTTP_OK;
		len = r->body ? r->len : 0;
		if (post != NULL) {
			/* The handler runs without the server lock (it may take its own). */
			pthread_mutex_unlock(&s->lock);
			uint8_t *out = NULL;
			size_t out_len = 0;
			bool ok = post(post_arg, up->data, up->len, &out, &out_len);
			pthread_mutex_lock(&s->lock);
			r = find(s, url);
			status = ok ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND;
			len = ok ? out_len : 0;
			body = realloc(out, len + 1);
			if (body == NULL)
				free(out);
		} else {
			body = malloc(len + 1);
			if (body != NULL && len > 0)
				memcpy(body, r->body, len);
		}
		snprintf(hname, sizeof(hname), "%s", r->header_name);
		hvalue = r->header_value ? strdup(r->header_value) : NULL;
		if (r->has_fault) {
			struct coll_srv_fault *f = &r->fault;
			delay = f->delay_ms;
			if (f->status != 0 && f->fail_times != 0) {
				status = (unsigned)f->status;
				retry_after = f->retry_after;
				if (f->fail_times > 0)
					f->fail_times--;
				len = 0;
			}
			if (f->truncate)
				len /= 2;
			if (f->tamper && len > 0 && body != NULL)
				body[len / 2] ^= 0x01;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (delay > 0) {
		struct timespec ts = { .tv_sec = delay / 1000, .tv_nsec = (delay % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (status == MHD_HTTP_OK && hname[0] && hvalue)
		MHD_add_response_header(resp, hname, hvalue);
	if (retry_after >= 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	free(hvalue);
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct coll_srv *coll_srv_start(int64_t (*clock_ms)(void *), void *clock_arg)
{
	struct coll_srv *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->clock_ms = clock_ms;
	s->clock_arg = clock_arg;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
				NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				NULL, MHD_OPTION_END);
	if (s->d == NULL) {
		free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%u", (unsigned)info->port);
	return s;
}

void coll_srv_stop(struct coll_srv *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);
	for (int i = 0; i < s->n; i++) {
		free(s->routes[i].body);
		free(s->routes[i].header_value);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *coll_srv_base(const struct coll_srv *s)
{
	return s->base;
}

void coll_srv_route(struct coll_srv *s, const char *path, const char *body_file, const char *header_name,
		    const char *header_file)
{
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find_or_add(s, path);
	if (r != NULL) {
		free(r->body);
		free(r->header_value);
		r->body = NULL;
		r->header_value = NULL;
		r->header_name[0] = 0;
		if (body_file != NULL)
			r->body = coll_test_read(body_file, &r->len);
		if (header_name != NULL && header_file != NULL) {
			size_t hl = 0;
			uint8_t *h = coll_test_read(header_file, &hl);
			if (h != NULL) {
				char *enc = curl_easy_escape(NULL, (const char *)h, (int)hl); /* as PCS sends it */
				r->header_value = enc ? strdup(enc) : NULL;
				curl_free(enc);
				snprintf(r->header_name, sizeof(r->header_name), "%s", header_name);
			}
			free(h);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void coll_srv_post_handler(struct coll_srv *s, const char *path, coll_srv_post_fn fn, void *arg)
{
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find_or_add(s, path);
	if (r != NULL) {
		r->post = fn;
		r->post_arg = arg;
	}
	pthread_mutex_unlock(&s->lock);
}

void coll_srv_fault(struct coll_srv *s, const char *path, const struct coll_srv_fault *f)
{
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find(s, path);
	if (r != NULL) {
		r->fault = *f;
		r->has_fault = true;
	}
	pthread_mutex_unlock(&s->lock);
}

void coll_srv_clear_fault(struct coll_srv *s, const char *path)
{
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find(s, path);
	if (r != NULL)
		r->has_fault = false;
	pthread_mutex_unlock(&s->lock);
}

int coll_srv_hits(struct coll_srv *s, const char *path)
{
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find(s, path);
	int n = r ? r->hits : 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int64_t coll_srv_hit_time(struct coll_srv *s, const char *path, int i)
{
	pthread_mutex_lock(&s->lock);
	struct coll_route *r = find(s, path);
	int64_t t = r && i >= 0 && i < r->hits && i < COLL_SRV_MAX_HITS ? r->hit_ms[i] : -1;
	pthread_mutex_unlock(&s->lock);
	return t;
}

void coll_srv_reset_hits(struct coll_srv *s)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n; i++)
		s->routes[i].hits = 0;
	pthread_mutex_unlock(&s->lock);
}
