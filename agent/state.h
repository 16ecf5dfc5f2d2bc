/*
 * The agent's persistent state in state_dir: the boot counter. Each start
 * increments it, written durably (common/durable.h), so a crash never
 * leaves a half-written or repeated value. Batch identity is
 * (agent, boot, seq) and seq restarts at 1 each boot.
 */
#ifndef PANTAU_STATE_H
#define PANTAU_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Create state_dir if missing (0750); why says what failed. */
pantau_err state_prepare(const char *dir, char *why, size_t len);

/* Read the last boot number (0 when none), store and return the next. */
pantau_err state_next_boot(const char *dir, int64_t *boot, char *why, size_t len);

#endif
