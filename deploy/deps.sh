#!/bin/sh
# Install every Debian and npm package pantau needs to build, test and run
# its demo. Idempotent: when everything is present it only checks and exits.
#
# Usage: deploy/deps.sh            (from the top of the source tree; `make deps`)
set -eu

# Debian packages. Keep in step with docs/dependencies.md.
DEB_PACKAGES="
build-essential pkg-config ca-certificates
libmosquitto-dev mosquitto mosquitto-clients mosquitto-dev
libcurl4-openssl-dev libjansson-dev libsqlite3-dev sqlite3
libmicrohttpd-dev libssl-dev libinih-dev libuv1-dev libpcap-dev zlib1g-dev libqrencode-dev
libc-ares-dev libpq-dev postgresql-15
libcmocka-dev python3 iproute2 procps openssl
clang libclang-rt-14-dev llvm
nodejs npm
debhelper dpkg-dev fakeroot lintian help2man systemd
prometheus-alertmanager
prometheus
iputils-ping fping irtt iperf3 ethtool
faketime
tshark bind9-dnsutils dnsmasq-base traceroute
chromium
"

missing=""
for p in $DEB_PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*)
		# nodejs from another Debian-format source may provide npm itself.
		if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
		missing="$missing $p"
		;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps: installing Debian packages:$missing"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO=sudo
		else
			echo "deps: these packages are missing and I am not root:$missing" >&2
			echo "deps: run 'make deps' as root, or install them with apt-get." >&2
			exit 1
		fi
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing
	# Debian starts the broker (and Prometheus) it installs where an init
	# system runs; the demo and the tests start their own on free ports.
fi

# npm packages, from the committed package-lock.json. The stamp records the
# lock file's checksum so a second run costs nothing.
stamp=node_modules/.pantau-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [ "$want" != "$have" ] || [ ! -d node_modules/idn-area-data ]; then
	echo "deps: installing npm packages from package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
	echo "$want" >"$stamp"
fi
echo "deps: all Debian and npm packages present"
