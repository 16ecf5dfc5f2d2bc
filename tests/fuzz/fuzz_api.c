/*
 * The collector's HTTP API (collector/api/) as a client reaches it: the
 * input is sent as it is over TCP to the real API (libmicrohttpd on a
 * libuv loop, a real SQLite store holding a few sites, the region catalog,
 * a dashboard folder), then the client stops sending. libmicrohttpd splits
 * method, path, query parameters and headers; the API routes them and
 * reads the parameters (province, range, since, limit, scope,
 * Accept-Encoding, dashboard file names). The server must answer or close
 * the connection within FUZZ_API_DEADLINE_MS, never with a 5xx, and stay
 * up for the next input.
 *
 * The catalog comes from PANTAU_CATALOG_DIR, else build/share/pantau (run
 * from the top of the tree, as make fuzz and make test do). With
 * FUZZ_API_SHOW set, each reply's status line is printed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "catalog.h"
#include "clock.h"
#include "collector/api/api.h"
#include "collector/store/store.h"
#include "fuzz.h"
#include "wire.h"

#define FUZZ_API_MAX_INPUT (16 * 1024)
#define FUZZ_API_DEADLINE_MS 5000

struct server {
	char dir[64];
	struct catalog *cat;
	struct store *store;
	struct ingest_stats stats;
	uv_loop_t loop;
	struct api *api;
	int port;
};

static struct server srv;

static void
put(const char *regency, const char *agent, const char *payload, bool batch)
{
	char topic[WIRE_TOPIC_MAX];
	struct wire_topic t;
	struct wire_error err;
	if ((batch ? wire_topic_result : wire_topic_status)(topic, sizeof(topic), regency, agent) !=
	        PANTAU_OK || !wire_topic_parse(topic, &t, &err))
		fuzz_fail("topic", topic);
	int64_t now = clock_real_ms();
	if (batch) {
		struct wire_batch b;
		if (wire_batch_decode(&t, payload, strlen(payload), &b, &err) != WIRE_ACCEPT ||
		    store_batch(srv.store, regency, &b, now) != PANTAU_OK)
			fuzz_fail("batch", err.detail);
		wire_batch_clear(&b);
	} else {
		struct wire_status s;
		if (wire_status_decode(&t, payload, strlen(payload), &s, &err) != WIRE_ACCEPT ||
		    store_status(srv.store, regency, agent, &s, now) != PANTAU_OK)
			fuzz_fail("status", err.detail);
		wire_status_clear(&s);
	}
}

/* ag-a in 32.73 with a birth and two batches, ag-c offline, ag-e born only. */
static void
load_sites(void)
{
	char b1[1024], b2[1024], b3[1024], ts[CLOCK_ISO_LEN];
	clock_format_iso(clock_real_ms() - 60000, ts);
	snprintf(b1, sizeof(b1), "{\"v\":1,\"agent\":\"ag-a\",\"boot\":1,\"seq\":1,\"ts\":\"%s\","
	    "\"results\":[{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"sent\":10,\"recv\":9,"
	    "\"loss_pct\":10,\"rtt_ms\":{\"min\":40,\"p50\":41,\"avg\":42,\"p95\":50,\"max\":51}},"
	    "{\"probe\":\"http\",\"target\":\"https://tally.example/\",\"ok\":true,\"status\":200,"
	    "\"total_ms\":141},{\"probe\":\"stamp\",\"target\":\"r:862\",\"ok\":false,"
	    "\"sent\":0,\"recv\":0,\"loss_pct\":100,\"error\":\"no route\"}]}", ts);
	clock_format_iso(clock_real_ms() - 1000, ts);
	const char *tcp = "\"results\":[{\"probe\":\"tcp\",\"target\":\"h:443\",\"ok\":false,"
	    "\"error\":\"refused\"}],\"outbox\":{\"pending\":2,\"dropped\":1}}";
	snprintf(b2, sizeof(b2), "{\"v\":1,\"agent\":\"ag-a\",\"boot\":1,\"seq\":3,\"ts\":\"%s\",%s",
	    ts, tcp);
	snprintf(b3, sizeof(b3), "{\"v\":1,\"agent\":\"ag-c\",\"boot\":2,\"seq\":1,\"ts\":\"%s\",%s",
	    ts, tcp);
	put("32.73", "ag-a", "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-a\",\"boot\":1,\"site\":"
	    "\"SMPN 2\",\"link\":\"fiber\",\"interval\":60,\"lat\":-6.9,\"lon\":107.6}", false);
	put("32.73", "ag-a", b1, true);
	put("32.73", "ag-a", b2, true);
	put("32.73", "ag-c", b3, true);
	put("32.73", "ag-c", "{\"state\":\"offline\",\"reason\":\"lost\"}", false);
	put("95.01", "ag-e", "{\"state\":\"online\",\"link\":\"vsat-geo\",\"simulated\":true}", false);
	if (store_commit(srv.store) != PANTAU_OK)
		fuzz_fail("store", "commit");
}

static void
write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/web/%s", srv.dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		fuzz_fail("dashboard file", path);
}

static void
cleanup(void)
{
	char path[128];
	api_free(srv.api);
	uv_run(&srv.loop, UV_RUN_DEFAULT);
	store_close(srv.store);
	catalog_free(srv.cat);
	static const char *const files[] = { "web/index.html", "web/app.js", "web", "t.db",
		"t.db-wal", "t.db-shm", "" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", srv.dir, files[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256], db[128], web[128];
	const char *cat = getenv("PANTAU_CATALOG_DIR");
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_mkdtemp(srv.dir, sizeof(srv.dir), "api");
	snprintf(db, sizeof(db), "%s/t.db", srv.dir);
	snprintf(web, sizeof(web), "%s/web", srv.dir);
	if (mkdir(web, 0700) != 0)
		fuzz_fail(web, strerror(errno));
	write_file("index.html", "<!doctype html><title>pantau</title>\n");
	write_file("app.js", "export {};\n");
	if (catalog_load(cat != NULL ? cat : "build/share/pantau", &srv.cat, why, sizeof(why)) !=
	    PANTAU_OK)
		fuzz_fail("catalog (set PANTAU_CATALOG_DIR or run from the top of the tree)", why);
	struct store_opts so = { .path = db, .commit_ms = 100, .commit_rows = 1000 };
	if (store_open(&so, &srv.store) != PANTAU_OK)
		fuzz_fail("store", db);
	load_sites();
	if (uv_loop_init(&srv.loop) != 0)
		fuzz_fail("loop", "uv_loop_init");
	struct api_opts ao = { .listen = "127.0.0.1", .port = 0, .web_dir = web, .cache_ms = 500,
		.window_s = 300, .rules = { .offline_intervals = 3, .default_interval_s = 60 } };
	srv.stats.started_ms = clock_real_ms();
	if (api_new(&srv.loop, &ao, srv.store, &srv.stats, srv.cat, &srv.api, why, sizeof(why)) !=
	    PANTAU_OK)
		fuzz_fail("api_new", why);
	srv.port = api_port(srv.api);
	atexit(cleanup);
	return 0;
}

/* The status code of a reply that starts with "HTTP/1.x NNN", else 0. */
static int
status_of(const char *reply, size_t n)
{
	if (n < 12 || strncmp(reply, "HTTP/1.", 7) != 0 || reply[8] != ' ')
		return 0;
	return (reply[9] - '0') * 100 + (reply[10] - '0') * 10 + (reply[11] - '0');
}

/* A connect a signal interrupted (libFuzzer's timers) goes on in the
 * kernel: wait until it has ended, and fail only if it failed. */
static void
wait_connected(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);
	while (poll(&p, 1, FUZZ_API_DEADLINE_MS) < 0 && errno == EINTR)
		continue;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
		fuzz_fail("connect", strerror(err != 0 ? err : errno));
}

static int
connect_api(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port),
		.sin_addr = { htonl(INADDR_LOOPBACK) } };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fuzz_fail("socket", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINTR)
			fuzz_fail("connect", strerror(errno));
		wait_connected(fd);
	}
	return fd;
}

/* Whether the loop has work waiting (MHD's epoll fd is readable). */
static bool
loop_busy(void)
{
	struct pollfd p = { .fd = uv_backend_fd(&srv.loop), .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

/*
 * Send data, then half-close once the server has read it all (MHD in
 * edge-triggered epoll does not see an end of stream that came with the
 * last bytes of an unfinished request); run the loop until the server
 * closes.
 */
static void
exchange(const uint8_t *data, size_t size, char *reply, size_t cap, size_t *got)
{
	int fd = connect_api();
	size_t sent = 0;
	bool open = true, half_closed = false;
	int64_t deadline = clock_mono_ms() + FUZZ_API_DEADLINE_MS;
	*got = 0;
	while (open) {
		uv_run(&srv.loop, UV_RUN_NOWAIT);
		if (clock_mono_ms() > deadline)
			fuzz_fail("deadline", "the API neither answered nor closed the connection");
		if (sent == size && !half_closed && !loop_busy()) {
			shutdown(fd, SHUT_WR);
			half_closed = true;
		}
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN | (sent < size ? POLLOUT : 0) },
			{ .fd = uv_backend_fd(&srv.loop), .events = POLLIN } };
		int tmo = uv_backend_timeout(&srv.loop);
		if (poll(p, 2, tmo < 0 || tmo > 10 ? 10 : tmo) < 0 && errno != EINTR)
			fuzz_fail("poll", strerror(errno));
		if (p[0].revents & POLLOUT) {
			ssize_t n = send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			if (n < 0 && errno != EAGAIN)
				sent = size;    /* the server closed: read what it said */
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char sink[4096];
			char *to = *got < cap ? reply + *got : sink;
			size_t room = *got < cap ? cap - *got : sizeof(sink);
			ssize_t n = recv(fd, to, room, MSG_DONTWAIT);
			if (n > 0 && to != sink)
				*got += (size_t)n;
			open = n > 0 || (n < 0 && errno == EAGAIN);
		}
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char reply[256];
	size_t got;
	if (size > FUZZ_API_MAX_INPUT)
		return 0;
	exchange(data, size, reply, sizeof(reply) - 1, &got);
	reply[got] = '\0';
	int status = status_of(reply, got);
	if (getenv("FUZZ_API_SHOW") != NULL)   /* to see what the seeds get */
		fprintf(stderr, "fuzz_api: %.*s\n", (int)strcspn(reply, "\r\n"), reply);
	if (status == 500) {
		fprintf(stderr, "fuzz_api: the API answered %.*s\n", (int)strcspn(reply, "\r\n"), reply);
		abort();
	}
	return 0;
}
