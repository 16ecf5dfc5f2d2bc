#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"

/* The state folder and what is in it go to the user, one level of
 * subfolders deep (state_dir/outbox and its segments). */
static int
give_state_dir(const char *dir, uid_t uid, gid_t gid, int depth)
{
	char path[1024];
	struct stat st;
	if (chown(dir, uid, gid) != 0)
		return -1;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (depth > 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			(void)give_state_dir(path, uid, gid, depth - 1);
		else if (lchown(path, uid, gid) != 0)
			continue; /* as before this one: the next files still go over */
	}
	closedir(d);
	return 0;
}

/* After the uid change only CAP_NET_RAW stays, permitted and effective:
 * the ICMP probe's raw sockets and the passive probe's capture need it,
 * nothing else does. Raw capset(2): no libcap. Nothing inheritable, so
 * the probe worker and other children get no capability. */
static int
keep_net_raw(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(CAP_NET_RAW)].permitted = CAP_TO_MASK(CAP_NET_RAW);
	d[CAP_TO_INDEX(CAP_NET_RAW)].effective = CAP_TO_MASK(CAP_NET_RAW);
	return (int)syscall(SYS_capset, &h, d);
}

/* Capabilities survive setuid() only with PR_SET_KEEPCAPS; the flag is
 * cleared again after, so a later exec starts without them. */
static int
switch_user(uid_t uid, gid_t gid, bool *kept)
{
	*kept = prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == 0;
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		return -1;
	if (*kept)
		*kept = keep_net_raw() == 0;
	(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	if (!*kept) {
		/* Whatever is left of the permitted set goes too. */
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];
		memset(d, 0, sizeof(d));
		(void)syscall(SYS_capset, &h, d);
	}
	return setuid(0) == 0 ? -1 : 0;
}

static const struct passwd *
find_user(const char *user)
{
	if (strcmp(user, "auto") != 0)
		return getpwnam(user);
	const struct passwd *pw = getpwnam("pantau");
	return pw != NULL ? pw : getpwnam("nobody");
}

pantau_err
privdrop_apply(const char *user, const char *state_dir, char *why, size_t len)
{
	if (geteuid() != 0)
		return PANTAU_OK;
	if (strcmp(user, "root") == 0) {
		log_warnx("agent: [agent] user = root: every probe runs as root");
		return PANTAU_OK;
	}
	const struct passwd *pw = find_user(user);
	if (pw == NULL || pw->pw_uid == 0) {
		snprintf(why, len, "[agent] user: no unprivileged user \"%s\" on this system; create "
		    "it (adduser --system pantau) or name another one", user);
		return PANTAU_ERR_CONFIG;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	char name[64];
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	if (give_state_dir(state_dir, uid, gid, 1) != 0) {
		snprintf(why, len, "cannot give state folder %s to user %s: %s", state_dir, name,
		    strerror(errno));
		return PANTAU_ERR_IO;
	}
	bool kept = false;
	if (switch_user(uid, gid, &kept) != 0) {
		snprintf(why, len, "cannot switch to user %s: %s", name, strerror(errno));
		return PANTAU_ERR_IO;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the process's threads with ptrace at exit, which a
	 * process made undumpable by the uid change refuses: test builds only. */
	prctl(PR_SET_DUMPABLE, 1);
#endif
	if (!kept)
		log_warnx("agent: could not keep CAP_NET_RAW as user %s: raw ICMP sockets opened "
		    "later and packet capture will be refused", name);
	log_info("agent: running as user %s (uid %u) from now on%s", name, (unsigned)uid,
	    kept ? ", with CAP_NET_RAW only" : "");
	return PANTAU_OK;
}
