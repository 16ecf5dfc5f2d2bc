#include "enrol_text.h"

/* Data, not code: each message in English and Bahasa Indonesia, with the
 * fix after "->". */
static const char *const text[E_COUNT][2] = {
	[E_ENROLLED] = { "enrolled: this box is agent %s, site \"%s\" (region %s); its "
	                 "certificate is valid until %s",
	    "terdaftar: perangkat ini adalah agen %s, lokasi \"%s\" (wilayah %s); sertifikatnya "
	    "berlaku sampai %s" },
	[E_RENEWED] = { "renewed: agent %s has a new certificate, valid until %s",
	    "diperbarui: agen %s mendapat sertifikat baru, berlaku sampai %s" },
	[E_TOKEN_MALFORMED] = { "this is not an enrolment token (they look like pe_12_3f0a...)\n"
	                        "  -> type it again exactly, or scan the QR code",
	    "ini bukan token pendaftaran (bentuknya seperti pe_12_3f0a...)\n"
	    "  -> ketik ulang dengan tepat, atau pindai kode QR-nya" },
	[E_TOKEN_UNKNOWN] = { "the collector does not know this token\n"
	                      "  -> check it for typing errors; if it is right, ask your "
	                      "coordinator for a new one",
	    "kolektor tidak mengenal token ini\n"
	    "  -> periksa salah ketik; bila sudah benar, minta token baru ke koordinator" },
	[E_TOKEN_USED] = { "this token was used already (a token enrols one box, once)\n"
	                   "  -> ask your coordinator for a new token for this site",
	    "token ini sudah dipakai (satu token untuk satu perangkat, sekali)\n"
	    "  -> minta token baru untuk lokasi ini ke koordinator" },
	[E_TOKEN_EXPIRED] = { "this token has expired\n"
	                      "  -> ask your coordinator for a new token for this site",
	    "token ini sudah kedaluwarsa\n"
	    "  -> minta token baru untuk lokasi ini ke koordinator" },
	[E_RESOLVE] = { "cannot find the collector %s: %s\n"
	                "  -> check the address given with --collector and this site's DNS",
	    "kolektor %s tidak ditemukan: %s\n"
	    "  -> periksa alamat --collector dan pengaturan DNS di lokasi ini" },
	[E_CONNECT] = { "cannot reach the collector %s: %s\n"
	                "  -> check the link (modem, cable), the address and port, and that no "
	                "firewall blocks it; then run enrol again (the token is still good)",
	    "kolektor %s tidak dapat dihubungi: %s\n"
	    "  -> periksa koneksi (modem, kabel), alamat dan port, dan firewall; lalu jalankan "
	    "enrol lagi (token masih berlaku)" },
	[E_TLS] = { "the secure connection to the collector %s failed: %s\n"
	            "  -> check --cacert (the collector's CA) and this box's date and time",
	    "koneksi aman ke kolektor %s gagal: %s\n"
	    "  -> periksa --cacert (CA kolektor) serta tanggal dan jam perangkat ini" },
	[E_OFF] = { "the collector does not enrol agents (%s)\n"
	            "  -> tell your coordinator: the operator sets [enrol] ca_dir",
	    "kolektor tidak menerima pendaftaran agen (%s)\n"
	    "  -> beri tahu koordinator: operator mengatur [enrol] ca_dir" },
	[E_REFUSED] = { "the collector refused: %s\n"
	                "  -> tell your coordinator this message",
	    "kolektor menolak: %s\n"
	    "  -> sampaikan pesan ini ke koordinator" },
	[E_CERT_REVOKED] = { "this agent's certificate was revoked\n"
	                     "  -> ask your coordinator for a new enrolment token",
	    "sertifikat agen ini sudah dicabut\n"
	    "  -> minta token pendaftaran baru ke koordinator" },
	[E_CERT_EXPIRED] = { "this agent's certificate has expired, so it cannot be renewed\n"
	                     "  -> ask your coordinator for a new enrolment token",
	    "sertifikat agen ini sudah kedaluwarsa, jadi tidak bisa diperbarui\n"
	    "  -> minta token pendaftaran baru ke koordinator" },
	[E_CLOCK] = { "this box's clock says %s, but the certificate is valid only from %s: "
	              "the clock is wrong\n"
	              "  -> set the date and time (timedatectl set-ntp true, or "
	              "date -s 'YYYY-MM-DD HH:MM'), then run pantau-agent check; the "
	              "enrolment is saved",
	    "jam perangkat ini menunjukkan %s, padahal sertifikat baru berlaku mulai %s: jamnya "
	    "salah\n"
	    "  -> atur tanggal dan jam (timedatectl set-ntp true, atau "
	    "date -s 'YYYY-MM-DD HH:MM'), lalu jalankan pantau-agent check; pendaftaran sudah "
	    "tersimpan" },
	[E_DISK_FULL] = { "the disk is full: %s could not be written; nothing was sent or changed\n"
	                  "  -> free some space (df -h shows where), then run enrol again (the "
	                  "token is still good)",
	    "disk penuh: %s tidak dapat ditulis; belum ada yang dikirim atau diubah\n"
	    "  -> kosongkan ruang (df -h menunjukkan di mana), lalu jalankan enrol lagi (token "
	    "masih berlaku)" },
	[E_NOWRITE] = { "%s cannot be written (%s); nothing was sent or changed\n"
	                "  -> run enrol as root (sudo), and check the folder of --config",
	    "%s tidak dapat ditulis (%s); belum ada yang dikirim atau diubah\n"
	    "  -> jalankan enrol sebagai root (sudo), dan periksa folder --config" },
	[E_NOT_DUE] = { "agent %s's certificate is valid until %s: no renewal due yet",
	    "sertifikat agen %s berlaku sampai %s: belum perlu diperbarui" },
	[E_NOT_ENROLLED] = { "%s has no enrolment ([enrol] collector, [broker] certfile and "
	                     "keyfile)\n"
	                     "  -> enrol first: pantau-agent enrol TOKEN --collector URL",
	    "%s belum terdaftar ([enrol] collector, [broker] certfile dan keyfile)\n"
	    "  -> daftar dulu: pantau-agent enrol TOKEN --collector URL" },
	[E_WRITE] = { "%s could not be written (%s); the configuration was not changed\n"
	              "  -> free space or run as root (sudo), then ask your coordinator for a new "
	              "token: this one is used",
	    "%s tidak dapat ditulis (%s); konfigurasi tidak diubah\n"
	    "  -> kosongkan ruang atau jalankan sebagai root (sudo), lalu minta token baru ke "
	    "koordinator: token ini sudah terpakai" },
	[E_READ] = { "%s could not be read (%s)\n"
	             "  -> run as root (sudo), and check --config",
	    "%s tidak dapat dibaca (%s)\n"
	    "  -> jalankan sebagai root (sudo), dan periksa --config" },
	[E_KEY] = { "the key pair could not be made (no randomness or memory)\n"
	            "  -> restart the box and try again",
	    "pasangan kunci tidak dapat dibuat (tidak ada keacakan atau memori)\n"
	    "  -> nyalakan ulang perangkat dan coba lagi" },
	[E_NEXT] = { "next: sudo systemctl restart pantau-agent; pantau-agent check --config %s",
	    "berikutnya: sudo systemctl restart pantau-agent; pantau-agent check --config %s" },
};

const char *
enrol_text(enum enrol_msg m, enum check_lang lang)
{
	return text[m][lang == CHECK_ID ? 1 : 0];
}
