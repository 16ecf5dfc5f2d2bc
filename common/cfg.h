/*
 * Typed configuration over INI files (libinih).
 *
 * A file is read once into entries (section, key, value, line). Each owner
 * then applies a table of typed keys (name, type, bounds, default, help) to
 * a section, which fills a struct by offset. Every mistake is collected with
 * file, line and key, so a technician sees all of them in one run; entries
 * nobody consumed are reported as unknown keys or sections at the end.
 */
#ifndef PANTAU_CFG_H
#define PANTAU_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfgindex.h"
#include "err.h"
#include "log.h"

/* Longest line libinih reads, as Debian builds it (INI_MAX_LINE 200,
 * newline and NUL included): lines of more than 198 characters are refused
 * with an error rather than silently cut. */
#define CFG_MAX_LINE 200
/* Most errors kept for one file; later ones are counted only. */
#define CFG_MAX_ERRORS 64

enum cfg_type {
	CFG_STRING, /* char[size] */
	CFG_INT,    /* int, bounds min..max */
	CFG_I64,    /* int64_t, bounds min..max */
	CFG_DOUBLE, /* double, bounds min..max */
	CFG_BOOL,   /* bool: true/false, yes/no, on/off, 1/0 */
	CFG_ENUM,   /* int index into choices */
};

enum cfg_flags {
	CFG_REQUIRED = 1u << 0, /* no default: the file must set it */
	CFG_RELOAD = 1u << 1,   /* SIGHUP applies a change; other keys take a restart */
};

/* Extra check for a value that parsed; write the reason into why. */
typedef bool (*cfg_check_fn)(const char *value, char *why, size_t whylen);

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;               /* offsetof() in the target struct */
	size_t size;                 /* CFG_STRING: buffer size */
	double min, max;             /* numeric bounds (inclusive) */
	const char *def;             /* default as text; NULL leaves the field as is */
	const char *const *choices;  /* CFG_ENUM: NULL-terminated */
	cfg_check_fn check;          /* optional */
	unsigned flags;
	const char *help;            /* "what it is; example" */
};

/* A row of a key table, one macro per type. After the help, any of
 * .check = fn and .flags = CFG_REQUIRED | CFG_RELOAD:
 *   CFG_KEY_INT("port", C(port), 1, 65535, "8080", "HTTP port", .flags = CFG_RELOAD), */
#define CFG_KEY_NUM(t, n, off, lo, hi, d, ...)                                            \
	{ .name = (n), .type = (t), .offset = (off), .min = (lo), .max = (hi), .def = (d),   \
	  .help = __VA_ARGS__ }
#define CFG_KEY_INT(...) CFG_KEY_NUM(CFG_INT, __VA_ARGS__)
#define CFG_KEY_I64(...) CFG_KEY_NUM(CFG_I64, __VA_ARGS__)
#define CFG_KEY_DOUBLE(...) CFG_KEY_NUM(CFG_DOUBLE, __VA_ARGS__)
#define CFG_KEY_STR(n, off, sz, d, ...)                                                   \
	{ .name = (n), .type = CFG_STRING, .offset = (off), .size = (sz), .def = (d),       \
	  .help = __VA_ARGS__ }
#define CFG_KEY_BOOL(n, off, d, ...)                                                      \
	{ .name = (n), .type = CFG_BOOL, .offset = (off), .def = (d), .help = __VA_ARGS__ }
#define CFG_KEY_ENUM(n, off, d, names, ...)                                               \
	{ .name = (n), .type = CFG_ENUM, .offset = (off), .def = (d), .choices = (names),    \
	  .help = __VA_ARGS__ }

struct cfg_entry {
	char *section;
	char *key;
	char *value;
	int line;
	bool used;
};

struct cfg_section_line {
	char *name;
	int line;     /* line of its first [name] header */
};

struct cfg_file {
	char *path;
	struct cfg_entry *entries;
	size_t n, cap;
	struct cfg_section_line *headers;
	size_t nheaders, capheaders;
	struct cfgindex by_key;      /* (section, key) -> entry */
	struct cfgindex by_section;  /* section -> its first entry */
	struct cfgindex by_header;   /* section -> its header */
	/* Collected errors ("file:line: [section] key: what; what to do"). */
	char *errors[CFG_MAX_ERRORS];
	size_t nerrors;
	size_t nerrors_dropped;
};

/*
 * Read and tokenize a file. On PANTAU_OK *out is a new file (free with
 * cfg_file_free), which may still carry syntax errors in its error list.
 * PANTAU_ERR_IO when the file cannot be opened (errno is kept).
 */
pantau_err cfg_file_read(const char *path, struct cfg_file **out);
/* Same from a string, for tests; path is used in messages. */
pantau_err cfg_file_read_string(const char *path, const char *text, struct cfg_file **out);
void cfg_file_free(struct cfg_file *f);

/* Record an error for the file. */
void cfg_error(struct cfg_file *f, const char *fmt, ...) PANTAU_PRINTF(2, 3);

/* Line of the first [section] header, or 0 when the file has none. */
int cfg_section_line(const struct cfg_file *f, const char *section);

/* True when the file has a section with this exact name. */
bool cfg_has_section(const struct cfg_file *f, const char *section);

/* Value and line of a key in a section, or NULL. Does not mark it used. */
const struct cfg_entry *cfg_find(const struct cfg_file *f, const char *section, const char *key);

/*
 * Fill target from the keys of section: defaults first, then values from
 * the file. Errors are recorded in f. Matching entries are marked used.
 */
void cfg_apply(struct cfg_file *f, const char *section, const struct cfg_key *keys,
    size_t nkeys, void *target);

/* A section's name and its key table: a daemon's list of these is what it
 * reads, reloads and prints in a loop. */
struct cfg_section {
	const char *name;
	const struct cfg_key *keys;
	size_t nkeys;
};

/*
 * Write the value of key k in target back as text that cfg_apply reads to
 * the same value (e.g. to hand a parsed section to another process).
 * PANTAU_ERR_TOO_BIG when it does not fit len.
 */
pantau_err cfg_format(const struct cfg_key *k, const void *target, char *out, size_t len);

/* Apply only the defaults of a key table. */
void cfg_apply_defaults(const struct cfg_key *keys, size_t nkeys, void *target);

/*
 * Distinct section names starting with prefix, in file order. Returns the
 * count; names[i] point into f and stay valid until cfg_file_free.
 */
size_t cfg_sections(const struct cfg_file *f, const char *prefix, const char **names,
    size_t max);

/*
 * The start of a load: read path, or no file at all (every key at its
 * default) when path is NULL. A file that cannot be read is reported to
 * errs as "PATH: cannot read the WHAT: REASON" and gives PANTAU_ERR_IO.
 */
pantau_err cfg_file_open(const char *path, const char *what, struct cfg_file **out, FILE *errs);

/*
 * The end of a load: report each entry nobody consumed (outside
 * known_sections), print the errors to errs followed, when check_cmd is
 * given, by "N errors in PATH; fix them and run 'CHECK_CMD' again", and
 * free f. PANTAU_ERR_CONFIG when there were errors, else PANTAU_OK.
 */
pantau_err cfg_file_close(struct cfg_file *f, const char *const *known_sections,
    const char *check_cmd, FILE *errs);

/* An error when [section] small (value a) is above big (value b), named
 * by its line when the file sets it. */
void cfg_check_not_above(struct cfg_file *f, const char *section, const char *small, int a,
    const char *big, int b);

/* Report every entry nobody consumed as an unknown key or section. */
void cfg_report_unused(struct cfg_file *f, const char *const *known_sections);

/* Print the collected errors, one per line, then a hint. */
void cfg_print_errors(const struct cfg_file *f, FILE *to);

/* Print a key table as a Markdown table headed by title ("[agent] key"). */
void cfg_print_reference(const char *title, const struct cfg_key *keys, size_t nkeys,
    FILE *to);

#endif
