/* One error enum for the whole project. 0 is success. */
#ifndef PANTAU_ERR_H
#define PANTAU_ERR_H

/* Each code with its text (pantau_strerror), in enum order: the enum and
 * the texts are made from this one list. */
#define PANTAU_ERRORS(X)                                                                    \
	X(PANTAU_OK, "success")                                                            \
	X(PANTAU_ERR_NOMEM, "out of memory")                                               \
	X(PANTAU_ERR_INVAL, "invalid argument")            /* or input */                  \
	X(PANTAU_ERR_CONFIG, "invalid configuration")                                      \
	X(PANTAU_ERR_IO, "input/output error")             /* file or device: errno logged */ \
	X(PANTAU_ERR_NOT_FOUND, "not found")                                               \
	X(PANTAU_ERR_DUPLICATE, "duplicate")               /* item already present */      \
	X(PANTAU_ERR_TOO_BIG, "too big")                   /* exceeds its documented bound */ \
	X(PANTAU_ERR_TIMEOUT, "timed out")                 /* deadline passed */           \
	X(PANTAU_ERR_NET, "network error")                                                 \
	X(PANTAU_ERR_MQTT, "MQTT error")                   /* client or broker refused */  \
	X(PANTAU_ERR_DB, "database error")                                                 \
	X(PANTAU_ERR_PARSE, "malformed input")                                             \
	X(PANTAU_ERR_STATE, "wrong state")                 /* not allowed in this state */ \
	X(PANTAU_ERR_UNSUPPORTED, "not supported")         /* on this system */

#define PANTAU_ERR_ENUM(name, text) name,
typedef enum pantau_err {
	PANTAU_ERRORS(PANTAU_ERR_ENUM)
	PANTAU_ERR_COUNT
} pantau_err;
#undef PANTAU_ERR_ENUM

/* Static English text for an error code; never NULL. */
const char *pantau_strerror(pantau_err err);

#endif
