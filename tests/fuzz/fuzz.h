/*
 * What the libFuzzer harnesses share (docs/testing.md, "Fuzzing"). Each
 * tests/fuzz/fuzz_NAME.c is one harness: one parser of outside input fed
 * with libFuzzer's bytes, built with -fsanitize=fuzzer,address,undefined
 * (tests/fuzz/fuzz.mk), with its seed corpus in tests/fuzz/corpus/NAME/.
 */
#ifndef PANTAU_FUZZ_H
#define PANTAU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* data as a NUL-terminated string (malloc'd, free it); NULL when out of
 * memory. Bytes after an embedded NUL are kept but unseen by C strings. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A path whose file holds exactly data: one memfd per process, rewritten
 * for each input (no disk, no cleanup), opened anew through /proc. */
const char *fuzz_file(const uint8_t *data, size_t size);

/* A stream that swallows what the parsers print (error reports). */
FILE *fuzz_devnull(void);

/* A harness's set-up or check failed: "fuzz_NAME: what: why" on stderr,
 * then abort(), which libFuzzer reports as a crash. */
_Noreturn void fuzz_fail(const char *what, const char *why);

/* A new folder /tmp/pantau-fuzz-NAME-XXXXXX in dir (size bytes); the
 * harness removes it. fuzz_fail() when it cannot. */
void fuzz_mkdtemp(char *dir, size_t size, const char *name);

/* rc of a configuration load over fuzzed bytes: true when it loaded, false
 * when it refused the file (PANTAU_ERR_CONFIG); abort() on any other. */
bool fuzz_config_loaded(pantau_err rc);

/* The logger at error level, so that warnings do not slow fuzzing. */
void fuzz_quiet(void);

/* At file scope: the LLVMFuzzerInitialize of a harness that needs nothing
 * but fuzz_quiet(). */
#define FUZZ_INITIALIZE_QUIET                                                     \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                         \
	{                                                                          \
		(void)argc;                                                        \
		(void)argv;                                                        \
		fuzz_quiet();                                                      \
		return 0;                                                          \
	}

#endif
