/* The API's tokens (collector/store/tokens.c): hashing, the constant-time
 * compare, the text's form, durations, and create, check, expire, revoke
 * and list on a real database made by the store's schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/store/schema.h"
#include "collector/store/tokens.h"

#define NOW 1707890400000LL

static void
test_hash(void **state)
{
	(void)state;
	/* FIPS 180-2's "abc" */
	static const unsigned char abc[TOKEN_HASH_LEN] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01,
		0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
		0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	unsigned char h[TOKEN_HASH_LEN], other[TOKEN_HASH_LEN];
	assert_int_equal(token_hash("abc", 3, h), PANTAU_OK);
	assert_memory_equal(h, abc, sizeof(abc));
	assert_true(token_hash_equal(h, abc));
	/* a difference in the first and in the last byte */
	memcpy(other, abc, sizeof(other));
	other[0] ^= 1;
	assert_false(token_hash_equal(other, abc));
	memcpy(other, abc, sizeof(other));
	other[TOKEN_HASH_LEN - 1] ^= 0x80;
	assert_false(token_hash_equal(other, abc));
}

static void
test_parse(void **state)
{
	(void)state;
	char good[TOKEN_TEXT_MAX + 1], s64[65];
	int64_t id = 0;
	memset(s64, 'a', 64);
	s64[64] = '\0';
	snprintf(good, sizeof(good), "pt_42_%s", s64);
	assert_true(token_parse(good, &id));
	assert_int_equal(id, 42);
	static const char *const bad_prefix[] = { "", "pt_", "pt__", "xx_1_", "pt_01_", "pt_-1_",
		"pt_1", "pt_1234567890123456789_", "Pt_1_" };
	char t[TOKEN_TEXT_MAX + 40];
	for (size_t i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++) {
		snprintf(t, sizeof(t), "%s%s", bad_prefix[i], s64);
		if (token_parse(t, &id))
			fail_msg("accepted \"%s\"", t);
	}
	snprintf(t, sizeof(t), "pt_1_%.63s", s64);          /* one digit short */
	assert_false(token_parse(t, &id));
	snprintf(t, sizeof(t), "pt_1_%sa", s64);            /* one too many */
	assert_false(token_parse(t, &id));
	snprintf(t, sizeof(t), "pt_1_%.63sA", s64);         /* upper case */
	assert_false(token_parse(t, &id));
}

static void
test_roles_and_durations(void **state)
{
	(void)state;
	enum token_role r;
	int64_t ms;
	assert_true(token_role_parse("read", &r));
	assert_int_equal(r, TOKEN_ROLE_READ);
	assert_true(token_role_parse("admin", &r));
	assert_int_equal(r, TOKEN_ROLE_ADMIN);
	assert_false(token_role_parse("Admin", &r));
	assert_false(token_role_parse("", &r));
	assert_string_equal(token_role_name(TOKEN_ROLE_ADMIN), "admin");
	assert_string_equal(token_role_name(TOKEN_ROLE_READ), "read");
	assert_true(token_duration_parse("30d", &ms));
	assert_int_equal(ms, 30LL * 86400 * 1000);
	assert_true(token_duration_parse("12h", &ms));
	assert_int_equal(ms, 12LL * 3600 * 1000);
	assert_true(token_duration_parse("90s", &ms));
	assert_int_equal(ms, 90000);
	static const char *const bad[] = { "", "d", "0d", "-1d", "+1d", "30", "30x", "30dd",
		"36501d", "1 d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (token_duration_parse(bad[i], &ms))
			fail_msg("accepted \"%s\"", bad[i]);
}

static int
setup(void **state)
{
	struct db *db;
	if (db_sqlite_open(":memory:", DB_SQLITE_CREATE, &db) != DB_OK ||
	    schema_apply(db, 0) != PANTAU_OK)
		return -1;
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

static void
test_create_check(void **state)
{
	struct db *db = *state;
	char text[TOKEN_TEXT_MAX + 1], copy[TOKEN_TEXT_MAX + 1];
	int64_t id = 0, got = 0;
	enum token_role role = 0;
	struct token_new t = { .role = TOKEN_ROLE_ADMIN, .name = "ops laptop", .now_ms = NOW };
	assert_int_equal(tokens_create(db, &t, text, &id), PANTAU_OK);
	assert_true(token_parse(text, &got));
	assert_int_equal(got, id);
	assert_int_equal(tokens_check(db, text, NOW, &role, &got), TOKEN_VALID);
	assert_int_equal(role, TOKEN_ROLE_ADMIN);
	/* the text is not in the database, only its hash */
	struct db_stmt *st;
	assert_int_equal(db_prepare(db, "SELECT hash FROM tokens WHERE id = ?", &st), DB_OK);
	db_bind_int64(st, 1, id);
	assert_int_equal(db_step(st), DB_ROW);
	unsigned char h[TOKEN_HASH_LEN];
	token_hash(text, strlen(text), h);
	assert_int_equal(db_column_bytes(st, 0), TOKEN_HASH_LEN);
	assert_memory_equal(db_column_blob(st, 0), h, TOKEN_HASH_LEN);
	db_finalize(st);
	/* one hex digit changed: unknown; another id: unknown; garbage: malformed */
	memcpy(copy, text, sizeof(copy));
	size_t n = strlen(copy);
	copy[n - 1] = copy[n - 1] == '0' ? '1' : '0';
	assert_int_equal(tokens_check(db, copy, NOW, &role, &got), TOKEN_UNKNOWN);
	snprintf(copy, sizeof(copy), "pt_%lld_%s", (long long)id + 1, strrchr(text, '_') + 1);
	assert_int_equal(tokens_check(db, copy, NOW, &role, &got), TOKEN_UNKNOWN);
	assert_int_equal(tokens_check(db, "hunter2", NOW, &role, &got), TOKEN_MALFORMED);
	/* two tokens never share a secret */
	char second[TOKEN_TEXT_MAX + 1];
	int64_t id2;
	t.role = TOKEN_ROLE_READ;
	assert_int_equal(tokens_create(db, &t, second, &id2), PANTAU_OK);
	assert_int_not_equal(id, id2);
	assert_string_not_equal(strrchr(text, '_'), strrchr(second, '_'));
	assert_int_equal(tokens_check(db, second, NOW, &role, &got), TOKEN_VALID);
	assert_int_equal(role, TOKEN_ROLE_READ);
}

static void
test_expire_revoke_list(void **state)
{
	struct db *db = *state;
	char text[TOKEN_TEXT_MAX + 1], bad[TOKEN_TEXT_MAX + 1];
	int64_t id, got;
	enum token_role role;
	struct token_new t = { .role = TOKEN_ROLE_READ, .name = "grafana", .now_ms = NOW,
		.expires_ms = NOW + 1000 };
	assert_int_equal(tokens_create(db, &t, text, &id), PANTAU_OK);
	assert_int_equal(tokens_check(db, text, NOW + 999, &role, &got), TOKEN_VALID);
	assert_int_equal(tokens_check(db, text, NOW + 1000, &role, &got), TOKEN_EXPIRED);
	assert_int_equal(tokens_revoke(db, id, NOW + 2000), PANTAU_OK);
	assert_int_equal(tokens_check(db, text, NOW, &role, &got), TOKEN_REVOKED);
	assert_int_equal(tokens_revoke(db, id, NOW + 3000), PANTAU_ERR_STATE);
	assert_int_equal(tokens_revoke(db, id + 100, NOW), PANTAU_ERR_NOT_FOUND);
	/* a name with a newline, or too long, is refused and leaves no row */
	t.name = "a\nb";
	assert_int_equal(tokens_create(db, &t, bad, &got), PANTAU_ERR_INVAL);
	char longname[TOKEN_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	t.name = longname;
	assert_int_equal(tokens_create(db, &t, bad, &got), PANTAU_ERR_INVAL);
	json_t *doc;
	assert_int_equal(tokens_list(db, &doc), PANTAU_OK);
	json_t *list = json_object_get(doc, "tokens");
	assert_int_equal(json_array_size(list), 1);
	json_t *one = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(one, "name")), "grafana");
	assert_string_equal(json_string_value(json_object_get(one, "role")), "read");
	assert_string_equal(json_string_value(json_object_get(one, "created")),
	    "2024-02-14T06:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(one, "expires")),
	    "2024-02-14T06:00:01.000Z");
	assert_string_equal(json_string_value(json_object_get(one, "revoked")),
	    "2024-02-14T06:00:02.000Z");
	assert_null(json_object_get(one, "hash"));
	json_decref(doc);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
