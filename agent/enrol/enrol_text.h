/* What `pantau-agent enrol` and `renew` tell the technician, in English
 * and Bahasa Indonesia; every failure says what to do. */
#ifndef PANTAU_ENROL_TEXT_H
#define PANTAU_ENROL_TEXT_H

#include "agent/check_text.h"

enum enrol_msg {
	E_ENROLLED,
	E_RENEWED,
	E_TOKEN_MALFORMED,
	E_TOKEN_UNKNOWN,
	E_TOKEN_USED,
	E_TOKEN_EXPIRED,
	E_RESOLVE,
	E_CONNECT,
	E_TLS,
	E_OFF,
	E_REFUSED,
	E_CERT_REVOKED,
	E_CERT_EXPIRED,
	E_CLOCK,
	E_DISK_FULL,
	E_NOWRITE,
	E_NOT_DUE,
	E_NOT_ENROLLED,
	E_WRITE,
	E_READ,
	E_KEY,
	E_NEXT,
	E_COUNT
};

/* printf format of message m in lang. */
const char *enrol_text(enum enrol_msg m, enum check_lang lang);

#endif
