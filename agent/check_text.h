/* The sentences `pantau-agent check` prints, in English and Bahasa Indonesia. */
#ifndef PANTAU_CHECK_TEXT_H
#define PANTAU_CHECK_TEXT_H

enum check_msg {
	M_CONFIG,
	M_REGION_OK,
	M_REGION_BAD,
	M_REGION_SKIP,
	M_STATE_OK,
	M_CLOCK_OK,
	M_CLOCK_UNSYNC,
	M_BROKER_OK,
	M_BROKER_RESOLVE,
	M_BROKER_CONNECT,
	M_BROKER_TLS,
	M_BROKER_AUTH,
	M_BROKER_REFUSED,
	M_BROKER_TIMEOUT,
	M_PUBLISH_OK,
	M_PUBLISH_FAIL,
	M_ICMP_OK,
	M_ICMP_NONE,
	M_TCP_OK,
	M_TCP_FAIL,
	M_HTTP_OK,
	M_HTTP_FAIL,
	M_PROBE_ERROR,
	M_WORKER_MISSING,
	M_TRAIN_OK,
	M_TPUT_DIR,
	M_UPLOAD_OK,
	M_DNS_OK,
	M_PATH_OK,
	M_DNS_NXDOMAIN,
	M_DNS_REFUSED,
	M_DNS_NOREPLY,
	M_PASSIVE_OK,
	M_PASSIVE_QUIET,
	M_PASSIVE_NOIF,
	M_PASSIVE_PERM,
	M_CERT_OK,
	M_CERT_SOON,
	M_CERT_EARLY,
	M_CERT_EXPIRED,
	M_CERT_OTHER,
	M_CERT_BAD,
	M_SUMMARY_OK,
	M_SUMMARY_FAIL,
	M_COUNT
};

enum check_lang { CHECK_EN = 0, CHECK_ID = 1 };

/* printf format of message m in language lang. */
const char *check_text(enum check_msg m, enum check_lang lang);

#endif
