#include "env.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "budget.h"
#include "curlglue.h"
#include "icmpsock.h"
#include "log.h"

pantau_err
agent_env_open(uv_loop_t *loop, struct agent_env *env, char *why, size_t len)
{
	char why6[256];
	memset(env, 0, sizeof(*env));
	rng_seed(&env->rng);
	env->probe.loop = loop;
	env->probe.rng = &env->rng;
	env->probe.curl = curlglue_new(loop);
	if (env->probe.curl == NULL) {
		snprintf(why, len, "cannot start libcurl");
		return PANTAU_ERR_NOMEM;
	}
	if (icmpsock_open(loop, AF_INET, &env->probe.icmp4, env->icmp_why,
	        sizeof(env->icmp_why)) != PANTAU_OK) {
		env->probe.icmp4 = NULL;
		log_warnx("agent: icmp probes cannot run: %s", env->icmp_why);
	}
	if (icmpsock_open(loop, AF_INET6, &env->probe.icmp6, why6, sizeof(why6)) != PANTAU_OK) {
		env->probe.icmp6 = NULL;
		log_debug("agent: no ICMPv6 socket: %s", why6);
	}
	return PANTAU_OK;
}

void
agent_env_close(struct agent_env *env)
{
	icmpsock_free(env->probe.icmp4);
	icmpsock_free(env->probe.icmp6);
	budget_free(env->probe.budget);
	env->probe.budget = NULL;
	curlglue_free(env->probe.curl);
	env->probe.icmp4 = env->probe.icmp6 = NULL;
	env->probe.curl = NULL;
}
