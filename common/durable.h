/*
 * Small state files written durably: to a temporary file, fsynced, renamed
 * over the old one and the folder fsynced, so a crash or power cut leaves
 * either the old or the new text, never half of it (the agent's boot
 * counter and daily data budget).
 */
#ifndef PANTAU_DURABLE_H
#define PANTAU_DURABLE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Write dir/name with text. PANTAU_ERR_IO with errno set. */
pantau_err durable_write(const char *dir, const char *name, const char *text);

/* Write n bytes of data to dir/name with permissions mode (a private key:
 * 0600). A failure removes the temporary file and leaves dir/name as it
 * was; PANTAU_ERR_IO with errno set (ENOSPC: the disk is full). */
pantau_err durable_write_mode(const char *dir, const char *name, const char *data, size_t n,
    mode_t mode);

/* Read dir/name into buf (at most len - 1 bytes, terminated).
 * PANTAU_ERR_NOT_FOUND when there is no such file, PANTAU_ERR_IO. */
pantau_err durable_read(const char *dir, const char *name, char *buf, size_t len);

#endif
