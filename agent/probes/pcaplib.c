#include "agent/probes/pcaplib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The soname of Debian's libpcap0.8, then the development link. */
static const char *const names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" };

/* A symbol into a function pointer (POSIX allows the conversion). */
#define LOAD(field, sym)                                                                   \
	do {                                                                               \
		void *p_ = dlsym(l->so, sym);                                              \
		if (p_ == NULL)                                                            \
			missing = sym;                                                     \
		memcpy(&l->field, &p_, sizeof(p_));                                        \
	} while (0)

bool
pcaplib_open(struct pcaplib *l, char *why, size_t len)
{
	const char *missing = NULL;
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && l->so == NULL; i++)
		l->so = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (l->so == NULL) {
		snprintf(why, len, "libpcap is not installed (apt install libpcap0.8)");
		return false;
	}
	LOAD(create, "pcap_create");
	LOAD(set_snaplen, "pcap_set_snaplen");
	LOAD(set_promisc, "pcap_set_promisc");
	LOAD(set_timeout, "pcap_set_timeout");
	LOAD(set_buffer_size, "pcap_set_buffer_size");
	LOAD(activate, "pcap_activate");
	LOAD(geterr, "pcap_geterr");
	LOAD(datalink, "pcap_datalink");
	LOAD(datalink_val_to_name, "pcap_datalink_val_to_name");
	LOAD(setnonblock, "pcap_setnonblock");
	LOAD(compile, "pcap_compile");
	LOAD(setfilter, "pcap_setfilter");
	LOAD(freecode, "pcap_freecode");
	LOAD(get_selectable_fd, "pcap_get_selectable_fd");
	LOAD(dispatch, "pcap_dispatch");
	LOAD(stats, "pcap_stats");
	LOAD(close, "pcap_close");
	LOAD(findalldevs, "pcap_findalldevs");
	LOAD(freealldevs, "pcap_freealldevs");
	if (missing == NULL)
		return true;
	snprintf(why, len, "the installed libpcap has no %s", missing);
	pcaplib_close(l);
	return false;
}

void
pcaplib_close(struct pcaplib *l)
{
	if (l->so != NULL)
		dlclose(l->so);
	memset(l, 0, sizeof(*l));
}
