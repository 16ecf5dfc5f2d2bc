/*
 * The probe kinds measured with libcurl (http, throughput, upload_task):
 * their parameters, which the spec parts (KIND_spec.c: agent, check and
 * worker) fill from the configuration and the exec parts (KIND.c, run in
 * pantau-probe-worker) measure with. The agent itself does not link
 * libcurl (docs/architecture.md, "The probe worker").
 */
#ifndef PANTAU_PROBES_CURLKINDS_H
#define PANTAU_PROBES_CURLKINDS_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP_DEFAULT_TIMEOUT_MS 10000
enum http_method { HTTP_GET = 0, HTTP_HEAD = 1 };

struct http_params {
	int method;          /* enum http_method */
	int64_t max_bytes;
	int expect_status;   /* 0: any 2xx or 3xx */
	bool insecure;
};

#define TPUT_DEFAULT_TIMEOUT_MS 5000
#define TPUT_MAX_CONNS 16
enum tput_dir_sel { SEL_BOTH = 0, SEL_DOWNLOAD, SEL_UPLOAD };

struct tput_params {
	int direction;       /* enum tput_dir_sel */
	int connections;
	int duration_s;
	int64_t max_bytes;
};

#define UP_DEFAULT_TIMEOUT_MS 50000
enum up_method { UP_POST = 0, UP_PUT = 1 };

struct up_params {
	int64_t size;
	int method;          /* enum up_method */
	bool insecure;
	char content_type[64];
};

#endif
