#include "agent/probes/kinds.h"

#include "agent/probes/probeworker.h"

extern const struct probe_spec probe_icmp_spec, probe_tcp_spec, probe_http_spec,
    probe_stamp_spec, probe_throughput_spec, probe_upload_task_spec, probe_dns_spec,
    probe_path_spec, probe_passive_spec;
extern const struct probe_exec probe_icmp_exec, probe_tcp_exec, probe_stamp_exec,
    probe_dns_exec, probe_path_exec, probe_passive_exec;
#ifdef PANTAU_TEST_KINDS
extern const struct probe_spec probe_echo_spec;
extern const struct probe_exec probe_echo_exec;
#endif

/* One line a kind; its docs row is in docs/probes.md, "Kinds". */
const struct probe_kind probe_kinds[] = {
	{ &probe_icmp_spec, &probe_icmp_exec },
	{ &probe_tcp_spec, &probe_tcp_exec },
	{ &probe_http_spec, &probeworker_exec },
	{ &probe_stamp_spec, &probe_stamp_exec },
	{ &probe_throughput_spec, &probeworker_exec },
	{ &probe_upload_task_spec, &probeworker_exec },
	{ &probe_dns_spec, &probe_dns_exec },
	{ &probe_path_spec, &probe_path_exec },
	{ &probe_passive_spec, &probe_passive_exec },
#ifdef PANTAU_TEST_KINDS
	{ &probe_echo_spec, &probe_echo_exec },  /* tests only (echo.c) */
#endif
	{ NULL, NULL },
};

const struct probe_kind *
probe_kind_find(const char *name)
{
	return probe_kind_in(probe_kinds, name);
}

void
probe_kind_list(char *buf, size_t len)
{
	probe_kind_names(probe_kinds, buf, len);
}
