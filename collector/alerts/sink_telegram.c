/* A Telegram-bot-style endpoint: POST URL/botTOKEN/sendMessage with
 * {"chat_id","text"}, one message per regency, one line per alert
 * (docs/alerts.md). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sink.h"

struct tg_conf {
	char url[256];
	char token[128];
	char chat[128];
};

#define C(field) offsetof(struct tg_conf, field)
#define S(field) sizeof(((struct tg_conf *)0)->field)

static const struct cfg_key tg_keys[] = {
	CFG_KEY_STR("telegram_url", C(url), S(url), "",
	    "Telegram-bot-style API base; 'https://api.telegram.org'",
	    .check = sink_check_url, .flags = CFG_RELOAD),
	CFG_KEY_STR("telegram_token", C(token), S(token), "",
	    "the bot's token (the URL becomes BASE/botTOKEN/sendMessage)", .flags = CFG_RELOAD),
	CFG_KEY_STR("telegram_chat", C(chat), S(chat), "",
	    "chat_id the messages go to", .flags = CFG_RELOAD),
};

static bool
tg_check(const void *conf, char *why, size_t len)
{
	const struct tg_conf *c = conf;
	if (c->url[0] == '\0' || (c->token[0] != '\0' && c->chat[0] != '\0'))
		return true;
	snprintf(why, len, "telegram_url needs telegram_token and telegram_chat too");
	return false;
}

static void
tg_url(const void *conf, char *url, size_t len)
{
	const struct tg_conf *c = conf;
	url[0] = '\0';
	if (c->url[0] != '\0')
		snprintf(url, len, "%s/bot%s/sendMessage", c->url, c->token);
}

struct text {
	char buf[3800];
	size_t used;
};

/* "FIRING critical: site ag-9501-0001 CRITICAL: ..." */
static void
tg_line(void *ctx, const struct alert *al)
{
	struct text *t = ctx;
	char line[512];
	if (al->site[0] != '\0')
		snprintf(line, sizeof(line), "%s %s: site %s %s: %s\n",
		    al->firing ? "FIRING" : "RESOLVED", al->severity, al->site, al->status,
		    al->reason);
	else
		snprintf(line, sizeof(line), "%s %s: regency AT RISK: %s\n",
		    al->firing ? "FIRING" : "RESOLVED", al->severity, al->reason);
	size_t add = strlen(line);
	if (t->used + add < sizeof(t->buf)) {
		memcpy(t->buf + t->used, line, add + 1);
		t->used += add;
	}
}

static json_t *
tg_payload(struct sink_req *r)
{
	const struct tg_conf *c = r->conf;
	struct text t = { "", 0 };
	char msg[4096];
	const struct alert *first = sink_take_regency(r, tg_line, &t);
	if (first == NULL)
		return NULL;
	snprintf(msg, sizeof(msg), "pantau: %s (%s)\n%s", first->regency_name, first->regency,
	    t.buf);
	return json_pack("{s:s,s:s}", "chat_id", c->chat, "text", msg);
}

const struct sink_ops sink_telegram = {
	.name = "telegram",
	SINK_KEYS(tg_keys, struct tg_conf),
	.check = tg_check,
	.url = tg_url,
	.log_name = "the telegram endpoint",
	.payload = tg_payload,
};
