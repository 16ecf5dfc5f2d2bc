/*
 * pantau-probe-worker: measures one http, throughput or upload_task probe
 * for pantau-agent and exits (docs/architecture.md, "The probe worker").
 * The agent spawns it for each run, writes the request to its stdin
 * (agent/probes/workerproto.h) and reads the reply from its stdout. Not meant to
 * be run by hand, but it can be:
 *
 *   echo '{"kind":"http","name":"t","target":"http://127.0.0.1:8080/",
 *          "timeout_ms":5000,"params":{},"budget":{"limit_bytes":0,
 *          "used_bytes":0}}' | pantau-probe-worker
 *
 * Exit status 0 with a reply (also for a failed measurement); 2 when the
 * request is bad (the reason on stderr).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/probes/workerproto.h"
#include "log.h"
#include "worker.h"

#define EXIT_REQUEST 2

/* No capabilities: the agent may hold CAP_NET_RAW (systemd's ambient set);
 * the worker needs none. Dropping is always allowed. */
static void
drop_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	(void)syscall(SYS_capset, &h, d);
}

/* The request: stdin to its end, WORKERPROTO_MAX bytes at most. */
static char *
read_request(size_t *len, char *why, size_t wlen)
{
	char *buf = malloc(WORKERPROTO_MAX + 1);
	size_t n = 0;
	if (buf == NULL) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf + n, WORKERPROTO_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || n + (size_t)r > WORKERPROTO_MAX) {
			snprintf(why, wlen, "%s", r < 0 ? strerror(errno) :
			    "the request is longer than 64 KiB");
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

static int
write_all(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDOUT_FILENO, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char why[512];
	size_t len = 0;
	char *reply = NULL;
	if (argc > 1) {
		fprintf(argc == 2 && strcmp(argv[1], "--version") == 0 ? stdout : stderr,
		    "pantau-probe-worker %s: run by pantau-agent, reads one request on stdin\n",
		    PANTAU_VERSION);
		return argc == 2 && strcmp(argv[1], "--version") == 0 ? 0 : EXIT_REQUEST;
	}
	log_init("pantau-probe-worker", LOG_LEVEL_WARN, false);
	/* Nothing of the agent's but stdio; gone with the agent. */
	close_range(3, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	drop_capabilities();
	char *req = read_request(&len, why, sizeof(why));
	if (req == NULL || worker_measure(req, len, &reply, why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau-probe-worker: bad request: %s\n", why);
		free(req);
		return EXIT_REQUEST;
	}
	int rc = write_all(reply, strlen(reply)) == 0 && write_all("\n", 1) == 0 ? 0 : 1;
	free(req);
	free(reply);
	return rc;
}
