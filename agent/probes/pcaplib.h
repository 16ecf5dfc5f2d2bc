/*
 * libpcap as the passive probe uses it, loaded with dlopen() for each run
 * (docs/probes.md, "passive"). The agent does not link libpcap: with it come
 * libdbus, libsystemd and libgcrypt, about 1 MiB resident in every agent,
 * also those with no passive probe (docs/bench.md). A run opens the library,
 * calls through this table and closes it when it ends.
 */
#ifndef PANTAU_PROBES_PCAPLIB_H
#define PANTAU_PROBES_PCAPLIB_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>

struct pcaplib {
	void *so;
	pcap_t *(*create)(const char *, char *);
	int (*set_snaplen)(pcap_t *, int);
	int (*set_promisc)(pcap_t *, int);
	int (*set_timeout)(pcap_t *, int);
	int (*set_buffer_size)(pcap_t *, int);
	int (*activate)(pcap_t *);
	char *(*geterr)(pcap_t *);
	int (*datalink)(pcap_t *);
	const char *(*datalink_val_to_name)(int);
	int (*setnonblock)(pcap_t *, int, char *);
	int (*compile)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
	int (*setfilter)(pcap_t *, struct bpf_program *);
	void (*freecode)(struct bpf_program *);
	int (*get_selectable_fd)(pcap_t *);
	int (*dispatch)(pcap_t *, int, pcap_handler, u_char *);
	int (*stats)(pcap_t *, struct pcap_stat *);
	void (*close)(pcap_t *);
	int (*findalldevs)(pcap_if_t **, char *);
	void (*freealldevs)(pcap_if_t *);
};

/* Load libpcap into l; false with why (the library is not installed). */
bool pcaplib_open(struct pcaplib *l, char *why, size_t len);
/* Unload it (nothing when it was not loaded). */
void pcaplib_close(struct pcaplib *l);

#endif
