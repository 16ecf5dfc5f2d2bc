#include "cmdopts.h"

#include <getopt.h>

/* getopt's tables for opts: the long ones and "c:" style short ones. */
static void
tables(const struct cmd_opt *opts, size_t n, struct option *lo, char *shorts)
{
	size_t k = 0;
	shorts[k++] = ':';
	for (size_t i = 0; i < n; i++) {
		lo[i] = (struct option){ opts[i].name,
			opts[i].value != NULL ? required_argument : no_argument, NULL, opts[i].c };
		shorts[k++] = opts[i].c;
		if (opts[i].value != NULL)
			shorts[k++] = ':';
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[k] = '\0';
}

static const struct cmd_opt *
find(const struct cmd_opt *opts, size_t n, int c)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].c == c)
			return &opts[i];
	return NULL;
}

int
cmd_opts_parse(int argc, char **argv, const struct cmd_opt *opts, size_t n,
    struct cmd_opts_error *err)
{
	struct option lo[CMD_OPTS_MAX + 1];
	char shorts[2 * CMD_OPTS_MAX + 2];
	int ch;
	if (n > CMD_OPTS_MAX)
		n = CMD_OPTS_MAX;
	tables(opts, n, lo, shorts);
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct cmd_opt *o = find(opts, n, ch);
		if (ch == ':' || o == NULL) {
			*err = (struct cmd_opts_error){ argv[optind - 1], ch == ':' };
			return -1;
		}
		if (o->value != NULL)
			*o->value = optarg;
		else
			*o->flag = true;
	}
	return optind;
}
