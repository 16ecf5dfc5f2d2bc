#include "env.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/probes/budget.h"
#include "agent/probes/icmpsock.h"
#include "log.h"

pantau_err
agent_env_open(uv_loop_t *loop, struct agent_env *env, const char *worker, char *why,
    size_t len)
{
	char why6[256];
	memset(env, 0, sizeof(*env));
	rng_seed(&env->rng);
	env->probe.loop = loop;
	env->probe.rng = &env->rng;
	if (worker != NULL && worker[0] != '\0') {
		if ((size_t)snprintf(env->worker, sizeof(env->worker), "%s", worker) >=
		    sizeof(env->worker)) {
			snprintf(why, len, "the probe worker's path is too long: %s", worker);
			return PANTAU_ERR_TOO_BIG;
		}
		env->probe.worker = env->worker;
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
	env->probe.icmp4 = env->probe.icmp6 = NULL;
}
