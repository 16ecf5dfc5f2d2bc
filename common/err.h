/* One error enum for the whole project. 0 is success. */
#ifndef PANTAU_ERR_H
#define PANTAU_ERR_H

typedef enum pantau_err {
	PANTAU_OK = 0,
	PANTAU_ERR_NOMEM,       /* out of memory */
	PANTAU_ERR_INVAL,       /* invalid argument or input */
	PANTAU_ERR_CONFIG,      /* configuration is invalid */
	PANTAU_ERR_IO,          /* file or device I/O failed (see errno in the log) */
	PANTAU_ERR_NOT_FOUND,   /* no such item */
	PANTAU_ERR_DUPLICATE,   /* item already present */
	PANTAU_ERR_TOO_BIG,     /* input exceeds its documented bound */
	PANTAU_ERR_TIMEOUT,     /* deadline passed */
	PANTAU_ERR_NET,         /* network operation failed */
	PANTAU_ERR_MQTT,        /* MQTT client or broker refused */
	PANTAU_ERR_DB,          /* database operation failed */
	PANTAU_ERR_PARSE,       /* malformed input */
	PANTAU_ERR_STATE,       /* operation not allowed in the current state */
	PANTAU_ERR_UNSUPPORTED, /* not supported on this system */
	PANTAU_ERR_COUNT
} pantau_err;

/* Static English text for an error code; never NULL. */
const char *pantau_strerror(pantau_err err);

#endif
