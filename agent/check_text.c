#include "check_text.h"

/* Data, not code: each message in English and Bahasa Indonesia, with the
 * fix after "->". Entries look alike by design (duplicates lists them). */
static const char *const text[M_COUNT][2] = {
	[M_CONFIG] = { "configuration %s is valid: agent %s, %zu probe(s) every %d s",
	    "konfigurasi %s benar: agen %s, %zu probe tiap %d detik" },
	[M_REGION_OK] = { "region %s is %s, %s", "wilayah %s adalah %s, %s" },
	[M_REGION_BAD] = { "region %s is not a known regency or city\n"
	                   "  -> check [agent] region with your coordinator (e.g. 32.73)",
	    "wilayah %s tidak dikenal\n"
	    "  -> periksa [agent] region dengan koordinator Anda (mis. 32.73)" },
	[M_REGION_SKIP] = { "region %s not looked up: no region catalog in %s",
	    "wilayah %s tidak diperiksa: katalog wilayah tidak ada di %s" },
	[M_STATE_OK] = { "state folder %s is writable", "folder state %s dapat ditulis" },
	[M_CLOCK_OK] = { "this site's clock is synchronised (estimated error %.0f ms)",
	    "jam lokasi ini tersinkron (perkiraan galat %.0f ms)" },
	[M_CLOCK_UNSYNC] = { "this site's clock is not synchronised (the kernel's time status): "
	                     "the times of its results and one-way delays may be off\n"
	                     "  -> turn on time sync: install chrony or systemd-timesyncd "
	                     "(timedatectl set-ntp true) and let UDP port 123 out",
	    "jam lokasi ini tidak tersinkron (status waktu kernel): waktu hasil dan delay satu "
	    "arah bisa meleset\n"
	    "  -> nyalakan sinkronisasi waktu: pasang chrony atau systemd-timesyncd "
	    "(timedatectl set-ntp true) dan izinkan UDP port 123 keluar" },
	[M_BROKER_OK] = { "broker %s:%d accepted user %s", "broker %s:%d menerima pengguna %s" },
	[M_BROKER_RESOLVE] = { "cannot find the broker: %s\n"
	                       "  -> check [broker] host and this site's DNS settings",
	    "broker tidak ditemukan: %s\n"
	    "  -> periksa [broker] host dan pengaturan DNS di lokasi ini" },
	[M_BROKER_CONNECT] = { "cannot reach the broker: %s\n"
	                       "  -> check the link (modem, cable), [broker] host and port, "
	                       "and that no firewall blocks the port",
	    "broker tidak dapat dihubungi: %s\n"
	    "  -> periksa koneksi (modem, kabel), [broker] host dan port, dan firewall" },
	[M_BROKER_TLS] = { "secure connection to the broker failed: %s\n"
	                   "  -> check [broker] cafile, and that this device's date and time "
	                   "are right",
	    "koneksi aman ke broker gagal: %s\n"
	    "  -> periksa [broker] cafile, dan tanggal serta jam perangkat ini" },
	[M_BROKER_AUTH] = { "the broker refused the login: %s\n"
	                    "  -> check [broker] username and password with your coordinator",
	    "broker menolak login: %s\n"
	    "  -> periksa [broker] username dan password dengan koordinator Anda" },
	[M_BROKER_REFUSED] = { "the broker refused the connection: %s\n"
	                       "  -> tell your coordinator; the id may already be in use",
	    "broker menolak koneksi: %s\n"
	    "  -> hubungi koordinator Anda; id mungkin sudah dipakai" },
	[M_BROKER_TIMEOUT] = { "the broker did not answer: %s\n"
	                       "  -> the link may be down or very slow; try again, then check "
	                       "the modem",
	    "broker tidak menjawab: %s\n"
	    "  -> koneksi mungkin putus atau sangat lambat; coba lagi, lalu periksa modem" },
	[M_PUBLISH_OK] = { "test message delivered to the broker",
	    "pesan uji diterima broker" },
	[M_PUBLISH_FAIL] = { "test message was not acknowledged by the broker\n"
	                     "  -> the link may be unstable; run the check again",
	    "pesan uji tidak dikonfirmasi broker\n"
	    "  -> koneksi mungkin tidak stabil; jalankan pemeriksaan lagi" },
	/* the probes: each a success, then a failure with its fix (alike by design) */
	[M_ICMP_OK] = { "probe %s (ping %s): %lld/%lld replies, loss %.0f %%, median %.1f ms",
	    "probe %s (ping %s): %lld/%lld balasan, hilang %.0f %%, median %.1f ms" },
	[M_ICMP_NONE] = { "probe %s (ping %s): no replies\n"
	                  "  -> check the site's link; some hosts do not answer ping: ask "
	                  "your coordinator for a target that does",
	    "probe %s (ping %s): tidak ada balasan\n"
	    "  -> periksa koneksi lokasi; sebagian host tidak menjawab ping: minta target "
	    "lain ke koordinator" },
	[M_TCP_OK] = { "probe %s (tcp %s): connected in %.1f ms",
	    "probe %s (tcp %s): tersambung dalam %.1f ms" },
	[M_TCP_FAIL] = { "probe %s (tcp %s): %s\n"
	                 "  -> check the link, the target's host and port, and firewalls",
	    "probe %s (tcp %s): %s\n"
	    "  -> periksa koneksi, host dan port target, dan firewall" },
	[M_HTTP_OK] = { "probe %s (%s): HTTP %lld in %.0f ms",
	    "probe %s (%s): HTTP %lld dalam %.0f ms" },
	[M_HTTP_FAIL] = { "probe %s (%s): %s\n"
	                  "  -> check the URL, this site's DNS and any proxy; the service may "
	                  "be down",
	    "probe %s (%s): %s\n"
	    "  -> periksa URL, DNS lokasi ini dan proxy; layanan mungkin sedang mati" },
	[M_PROBE_ERROR] = { "probe %s (%s %s): %s", "probe %s (%s %s): %s" },
	[M_WORKER_MISSING] = { "%s",
	    "program pengukur http (pantau-probe-worker) tidak ada: %s\n"
	    "  -> pasang ulang pantau (make install) atau isi [agent] probe_worker" },
	[M_TRAIN_OK] = { "probe %s (%s %s): %lld/%lld replies, loss %.0f %%, median %.1f ms, "
	                 "MOS %.1f",
	    "probe %s (%s %s): %lld/%lld balasan, hilang %.0f %%, median %.1f ms, MOS %.1f" },
	[M_TPUT_DIR] = { "%s %.1f Mbit/s", "%s %.1f Mbit/s" },
	[M_UPLOAD_OK] = { "probe %s (upload_task %s): %lld bytes uploaded in %.0f ms (HTTP %lld)",
	    "probe %s (upload_task %s): %lld byte terkirim dalam %.0f ms (HTTP %lld)" },
	[M_DNS_OK] = { "probe %s (dns %s %s): %lld/%lld answers from %s, median %.1f ms, %lld "
	               "record(s)%s",
	    "probe %s (dns %s %s): %lld/%lld jawaban dari %s, median %.1f ms, %lld record%s" },
	[M_PATH_OK] = { "probe %s (path %s): %d hop(s), %s; %s",
	    "probe %s (path %s): %d hop, %s; %s" },
	[M_DNS_NXDOMAIN] = { "probe %s (dns %s): %s says the name does not exist (NXDOMAIN)\n"
	                     "  -> check the spelling of target with your coordinator; the name "
	                     "may not be published yet",
	    "probe %s (dns %s): %s menyatakan nama ini tidak ada (NXDOMAIN)\n"
	    "  -> periksa ejaan target dengan koordinator Anda; nama itu mungkin belum terdaftar" },
	[M_DNS_REFUSED] = { "probe %s (dns %s): %s answered %s\n"
	                    "  -> this resolver will not look the name up: set resolvers to the "
	                    "one your provider gives (or fix the modem's DNS)",
	    "probe %s (dns %s): %s menjawab %s\n"
	    "  -> resolver ini tidak mau mencari nama itu: isi resolvers dengan DNS dari penyedia "
	    "Anda (atau perbaiki DNS modem)" },
	[M_DNS_NOREPLY] = { "probe %s (dns %s): %s\n"
	                    "  -> check the link and that UDP port 53 to the resolver is not "
	                    "blocked; check resolvers (or nameserver in /etc/resolv.conf)",
	    "probe %s (dns %s): %s\n"
	    "  -> periksa koneksi dan pastikan UDP port 53 ke resolver tidak diblokir; periksa "
	    "resolvers (atau nameserver di /etc/resolv.conf)" },
	[M_PASSIVE_OK] = { "probe %s (passive %s): %lld packets in %.0f s while the agent was "
	                   "quiet, %lld flow(s), %lld handshake(s)",
	    "probe %s (passive %s): %lld paket dalam %.0f detik saat agen diam, %lld aliran, "
	    "%lld handshake" },
	[M_PASSIVE_QUIET] = { "probe %s (passive %s): no TCP or DNS packets in %.0f s but the "
	                      "agent's own: this interface sees no traffic of the site\n"
	                      "  -> set target to the site's uplink (ip link lists them); on a "
	                      "mirror port set promisc = true and check the switch's mirroring",
	    "probe %s (passive %s): tidak ada paket TCP atau DNS selama %.0f detik selain milik "
	    "agen sendiri: antarmuka ini tidak melihat lalu lintas lokasi\n"
	    "  -> isi target dengan antarmuka uplink lokasi (lihat ip link); pada port mirror isi "
	    "promisc = true dan periksa pengaturan mirror di switch" },
	[M_PASSIVE_NOIF] = { "probe %s (passive %s): %s\n"
	                     "  -> set target to an interface of this box: ip link lists them "
	                     "(e.g. eth0, enp1s0)",
	    "probe %s (passive %s): %s\n"
	    "  -> isi target dengan antarmuka perangkat ini: lihat dengan ip link (mis. eth0, "
	    "enp1s0)" },
	[M_PASSIVE_PERM] = { "probe %s (passive %s): %s\n"
	                     "  -> run the agent with its systemd unit (it gives CAP_NET_RAW), or "
	                     "run this check as root",
	    "probe %s (passive %s): %s\n"
	    "  -> jalankan agen dengan unit systemd-nya (yang memberi CAP_NET_RAW), atau jalankan "
	    "pemeriksaan ini sebagai root" },
	[M_CERT_OK] = { "certificate of agent %s is valid until %s",
	    "sertifikat agen %s berlaku sampai %s" },
	[M_CERT_SOON] = { "certificate of agent %s expires on %s\n"
	                  "  -> the agent renews it by itself; if this stays, run "
	                  "pantau-agent renew and tell your coordinator what it says",
	    "sertifikat agen %s kedaluwarsa pada %s\n"
	    "  -> agen memperbaruinya sendiri; bila pesan ini tetap, jalankan pantau-agent renew "
	    "dan sampaikan hasilnya ke koordinator" },
	[M_CERT_EARLY] = { "this box's clock says %s, but its certificate is valid only from %s\n"
	                   "  -> set the date and time (timedatectl set-ntp true)",
	    "jam perangkat ini menunjukkan %s, padahal sertifikatnya baru berlaku mulai %s\n"
	    "  -> atur tanggal dan jam (timedatectl set-ntp true)" },
	[M_CERT_EXPIRED] = { "the certificate expired on %s\n"
	                     "  -> ask your coordinator for a new enrolment token and run "
	                     "pantau-agent enrol again",
	    "sertifikat kedaluwarsa pada %s\n"
	    "  -> minta token pendaftaran baru ke koordinator lalu jalankan pantau-agent enrol "
	    "lagi" },
	[M_CERT_OTHER] = { "the certificate %s is for %s, not for agent %s\n"
	                   "  -> run pantau-agent enrol again with a token for this site",
	    "sertifikat %s untuk %s, bukan untuk agen %s\n"
	    "  -> jalankan pantau-agent enrol lagi dengan token untuk lokasi ini" },
	[M_CERT_BAD] = { "the certificate %s cannot be read\n"
	                 "  -> run pantau-agent enrol again",
	    "sertifikat %s tidak dapat dibaca\n"
	    "  -> jalankan pantau-agent enrol lagi" },
	[M_SUMMARY_OK] = { "all %d checks passed; this agent is ready",
	    "semua %d pemeriksaan berhasil; agen ini siap" },
	[M_SUMMARY_FAIL] = { "%d of %d checks failed; fix the lines marked FAIL and run "
	                     "'pantau-agent check' again",
	    "%d dari %d pemeriksaan gagal; perbaiki baris FAIL lalu jalankan "
	    "'pantau-agent check' lagi" },
};

const char *
check_text(enum check_msg m, enum check_lang lang)
{
	return text[m][lang];
}
