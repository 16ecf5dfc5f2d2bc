# pantau — build, test, demo, bench, install.
#
#   make              build build/pantau-agent, build/pantau-probe-worker,
#                     build/pantau-collector, build/pantau, build/pantau-reflector,
#                     build/pantau_limit.so (the broker plugin)
#   make deps         install every Debian and npm package needed (idempotent)
#   make test         deps + build + the whole suite; ends with "N passed, N failed"
#   make demo         deps + build + broker, collector and agents on loopback
#   make demo-cluster deps + build + the same sites in tiers: regional brokers bridged
#                     to a central pair, 3 partitioned collectors, PostgreSQL + replica
#   make bench        deps + build + benchmarks (measured figures, reference side by side)
#   make docs         regenerate docs/configuration.md tables from the programs
#   make install PREFIX=/usr/local
#   make deb          the Debian packages in build/deb/ (deploy/debian/), checked by lintian
#   make SANITIZE=1 test    the same suite under ASan and UBSan (build/sanitize/)
#   make fuzz         libFuzzer harnesses, FUZZ_SECONDS (600) each (tests/fuzz/fuzz.mk)

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PYTHON ?= python3
# end-to-end test files make test runs at once (docs/testing.md)
JOBS ?= 2

ifeq ($(SANITIZE),1)
BUILD ?= build/sanitize
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1
else
BUILD ?= build
SAN_FLAGS :=
OPT := -O2
endif

PKGS := libmosquitto libcurl jansson sqlite3 libpq libmicrohttpd inih libuv zlib libcrypto libssl \
	libcares libpcap
# The agent links no libcurl (its pages would cost ~7 MiB resident): the
# libcurl probes run in pantau-probe-worker (docs/architecture.md).
# libssl and libcrypto are libmosquitto's own; enrolment calls them (agent/enrol/).
AGENT_PKGS := libmosquitto jansson inih libuv libssl libcrypto libcares
WORKER_PKGS := libcurl jansson inih libuv
WARN := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wconversion -Wno-sign-conversion -Wformat=2 \
	-Wno-format-nonliteral -Wundef -Wvla
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -DPANTAU_VERSION='"$(VERSION)"' \
	-DPANTAU_DATADIR='"$(PREFIX)/share/pantau"' \
	$(OPT) -g $(WARN) $(SAN_FLAGS) -I. -Icommon $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lm
AGENT_LIBS = $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null) -lm
# The CLI's enrolment QR code (collector/cli/qr.c); the unit tests link it too.
QR_LIBS = $(shell pkg-config --libs libqrencode 2>/dev/null)
WORKER_LIBS = $(shell pkg-config --libs $(WORKER_PKGS) 2>/dev/null) -lm

COMMON_SRC := $(wildcard common/*.c)
AGENT_SRC := $(filter-out agent/main.c,$(wildcard agent/*.c agent/enrol/*.c))
# The probe kinds (spec and exec parts) and what they share: a static
# archive, so the agent and the worker each link only the members they
# reference (their tables of kinds: agent/probes/kinds.c, agent/worker/runner.c).
PROBES_SRC := $(wildcard agent/probes/*.c)
WORKER_SRC := $(filter-out agent/worker/main.c,$(wildcard agent/worker/*.c))
COLLECTOR_SRC := $(filter-out collector/main.c,$(wildcard collector/*.c collector/ingest/*.c collector/store/*.c collector/status/*.c collector/incidents/*.c collector/alerts/*.c collector/cluster/*.c collector/api/*.c collector/enrol/*.c))
CLI_SRC := $(filter-out collector/cli/main.c,$(wildcard collector/cli/*.c))
REFLECTOR_SRC := $(filter-out reflector/main.c,$(wildcard reflector/*.c))
# pantau's mosquitto plugin (broker/, docs/deployment.md "Publish limit"): its
# pure part in an archive for the unit tests, and a shared object for mosquitto.
BROKER_SRC := $(filter-out broker/plugin.c,$(wildcard broker/*.c))
LOADGEN_SRC := $(wildcard tests/loadgen/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
AGENT_OBJ := $(call obj,$(AGENT_SRC))
PROBES_OBJ := $(call obj,$(PROBES_SRC))
WORKER_OBJ := $(call obj,$(WORKER_SRC))
COLLECTOR_OBJ := $(call obj,$(COLLECTOR_SRC))
CLI_OBJ := $(call obj,$(CLI_SRC))
REFLECTOR_OBJ := $(call obj,$(REFLECTOR_SRC))
BROKER_OBJ := $(call obj,$(BROKER_SRC))
LOADGEN_OBJ := $(call obj,$(LOADGEN_SRC))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# The network lab's user-space delay line (tests/lab/, docs/testing.md).
LAB_BIN := $(BUILD)/tests/delayline
# The passive probe's decoder and flows over a pcap file (tests/passive/).
PASSIVE_READ_BIN := $(BUILD)/tests/pantau-passive-read
# The agent with the test-only probe kinds in its table (agent/probes/echo.c).
TESTKINDS_BIN := $(BUILD)/tests/pantau-agent-testkinds

# mosquitto loads it (deploy/mosquitto/pantau.conf); never with the sanitizers,
# whose runtime must come first in the process (a mosquitto without them):
# SANITIZE=1 runs its pure part under them in the unit tests.
PLUGIN := $(BUILD)/pantau_limit.so
PLUGIN_SRC := broker/plugin.c $(BROKER_SRC) common/clock.c common/ratelimit.c common/strnum.c
PLUGIN_OBJ := $(patsubst %.c,$(BUILD)/obj/pic/%.o,$(PLUGIN_SRC))

PROGRAMS := $(PLUGIN) $(BUILD)/pantau-agent $(BUILD)/pantau-probe-worker $(BUILD)/pantau-collector $(BUILD)/pantau \
	$(BUILD)/pantau-loadgen $(BUILD)/pantau-reflector $(BUILD)/tests/status_bench \
	$(BUILD)/tests/retention_bench
CATALOG := $(BUILD)/share/pantau/provinces.csv $(BUILD)/share/pantau/regencies.csv \
	$(BUILD)/share/pantau/regency_flags.csv
# The web dashboard (dashboards/web/, docs/dashboard.md): its files copied,
# and Indonesia's outline made from world-atlas at build time.
WEB_SRC := $(wildcard dashboards/web/*.html dashboards/web/*.js dashboards/web/*.css)
WEB := $(patsubst dashboards/web/%,$(BUILD)/share/pantau/web/%,$(WEB_SRC)) \
	$(BUILD)/share/pantau/web/indonesia.json \
	$(BUILD)/share/pantau/web/kinds.json

.PHONY: all deps test unit demo demo-cluster bench install clean check-pkgs docs deb
.DEFAULT_GOAL := all

all: check-pkgs $(PROGRAMS) $(CATALOG) $(WEB)

check-pkgs:
	@pkg-config --exists $(PKGS) || { echo "missing libraries: run 'make deps' first" >&2; exit 1; }

# V=1 shows the full commands.
Q = $(if $(V),,@)
# A program from its prerequisites: $(call link,LIBRARIES).
define link
@mkdir -p $(dir $@)
$(if $(V),,@echo "  LD      $@")
$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(1)
endef
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# One archive a part: libpantau-NAME.a from its objects.
$(BUILD)/libpantau-common.a: $(COMMON_OBJ)
$(BUILD)/libpantau-agent.a: $(AGENT_OBJ)
$(BUILD)/libpantau-probes.a: $(PROBES_OBJ)
$(BUILD)/libpantau-worker.a: $(WORKER_OBJ)
$(BUILD)/libpantau-collector.a: $(COLLECTOR_OBJ)
$(BUILD)/libpantau-cli.a: $(CLI_OBJ)
$(BUILD)/libpantau-reflector.a: $(REFLECTOR_OBJ)
$(BUILD)/libpantau-broker.a: $(BROKER_OBJ)
$(BUILD)/libpantau-%.a:
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/obj/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $< (-fPIC)")
	$(Q)$(CC) $(filter-out $(SAN_FLAGS),$(CFLAGS_ALL)) -fPIC -MMD -MP -c $< -o $@
# Its mosquitto_* calls are the broker's own symbols, resolved when it loads.
$(PLUGIN): $(PLUGIN_OBJ)
	$(if $(V),,@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -shared -o $@ $^

$(BUILD)/pantau-agent: $(call obj,agent/main.c) $(BUILD)/libpantau-agent.a $(BUILD)/libpantau-probes.a \
		$(BUILD)/libpantau-common.a
	$(call link,$(AGENT_LIBS))
$(BUILD)/pantau-probe-worker: $(call obj,agent/worker/main.c) $(BUILD)/libpantau-worker.a \
		$(BUILD)/libpantau-probes.a $(BUILD)/libpantau-common.a
	$(call link,$(WORKER_LIBS))
$(BUILD)/pantau-collector: $(call obj,collector/main.c) $(BUILD)/libpantau-collector.a $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))
$(BUILD)/pantau: $(call obj,collector/cli/main.c) $(BUILD)/libpantau-cli.a $(BUILD)/libpantau-collector.a \
		$(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL) $(QR_LIBS))
$(BUILD)/pantau-reflector: $(call obj,reflector/main.c) $(BUILD)/libpantau-reflector.a $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))
$(BUILD)/pantau-loadgen: $(LOADGEN_OBJ) $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))

# The status engine's benchmark (make bench).
$(BUILD)/tests/status_bench: $(call obj,tests/bench/status_bench.c) $(BUILD)/libpantau-collector.a $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))

# Retention's delete rate (make bench, docs/bench.md).
$(BUILD)/tests/retention_bench: $(call obj,tests/bench/retention_bench.c) $(BUILD)/libpantau-collector.a $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))

# The outbox's write cost (make bench, tests/bench/outbox.py).
$(BUILD)/pantau-bench-outbox: $(call obj,tests/bench/outbox_write.c) $(BUILD)/libpantau-agent.a \
		$(BUILD)/libpantau-probes.a $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))

# Unit test cases: each "test_NAME(void **state)" a file defines, listed
# in order for its main() (tests/unit/unit_main.h).
$(BUILD)/tests/cases/%.h: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(Q)sed -n 's/^\(test_[a-z0-9_]*\)(void \*\*state)$$/UNIT_CASE(\1)/p' $< > $@
$(call obj,$(UNIT_SRC)): $(BUILD)/obj/tests/unit/%.o: tests/unit/%.c $(BUILD)/tests/cases/%.h
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -DUNIT_CASES='"$(BUILD)/tests/cases/$*.h"' -MMD -MP -c $< -o $@

# Unit tests link every library; cmocka only here.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(BUILD)/libpantau-worker.a $(BUILD)/libpantau-agent.a \
		$(BUILD)/libpantau-probes.a $(BUILD)/libpantau-collector.a $(BUILD)/libpantau-cli.a $(BUILD)/libpantau-reflector.a \
		$(BUILD)/libpantau-broker.a $(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL) $(QR_LIBS) -lcmocka)

# kinds.c once more with PANTAU_TEST_KINDS; linked first, it stands in for
# the archive's kinds.o (docs/architecture.md, "Adding a probe kind").
$(BUILD)/obj/testkinds/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $< (test kinds)")
	$(Q)$(CC) $(CFLAGS_ALL) -DPANTAU_TEST_KINDS -MMD -MP -c $< -o $@
$(TESTKINDS_BIN): $(call obj,agent/main.c) $(BUILD)/obj/testkinds/agent/probes/kinds.o \
		$(BUILD)/libpantau-agent.a $(BUILD)/libpantau-probes.a $(BUILD)/libpantau-common.a
	$(call link,$(AGENT_LIBS))

# Its monotonic clock is common/clock.c's.
$(LAB_BIN): $(call obj,tests/lab/delayline.c) $(BUILD)/libpantau-common.a
	$(call link,-lm)

# The region catalog comes from the npm package idn-area-data (ODbL).
$(BUILD)/share/pantau/%.csv: node_modules/idn-area-data/data/%.csv
	@mkdir -p $(dir $@)
	cp $< $@

# The 3T flags are pantau's own data (docs/regions.md).
$(BUILD)/share/pantau/regency_flags.csv: deploy/catalog/regency_flags.csv
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/share/pantau/web/%: dashboards/web/%
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/share/pantau/web/indonesia.json: deploy/web-outline.mjs node_modules/world-atlas/countries-50m.json
	@mkdir -p $(dir $@)
	node deploy/web-outline.mjs $@
# The result kinds' table for the dashboard (common/resultkind.h), from the CLI.
$(BUILD)/share/pantau/web/kinds.json: $(BUILD)/pantau
	@mkdir -p $(dir $@)
	$(Q)$(BUILD)/pantau kinds --json > $@.tmp && mv $@.tmp $@
node_modules/world-atlas/countries-50m.json:
	@echo "the map outline comes from npm: run 'make deps' first" >&2; exit 1

node_modules/idn-area-data/data/%.csv:
	@echo "the region catalog comes from npm: run 'make deps' first" >&2; exit 1

deps:
	@sh deploy/deps.sh

unit: all $(UNIT_BIN) $(LAB_BIN) $(TESTKINDS_BIN) $(PASSIVE_READ_BIN)

$(PASSIVE_READ_BIN): $(call obj,tests/passive/passive_read.c) $(BUILD)/libpantau-probes.a \
		$(BUILD)/libpantau-common.a
	$(call link,$(LIBS_ALL))

test: deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-build
	@$(PYTHON) tests/run.py --build $(BUILD) --jobs $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) deploy/demo/demo.py --build $(BUILD)

demo-cluster: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) deploy/demo/cluster.py --build $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all $(LAB_BIN) $(BUILD)/pantau-bench-outbox
	@$(PYTHON) tests/bench/run.py --build $(BUILD)

# Regenerate the configuration reference in docs/configuration.md.
docs: all
	@$(PYTHON) deploy/gen-docs.py --build $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/pantau \
		$(DESTDIR)$(PREFIX)/libexec/pantau $(DESTDIR)$(PREFIX)/lib/pantau
	install -m 0644 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/pantau/
	install -m 0755 $(BUILD)/pantau-agent $(BUILD)/pantau-collector $(BUILD)/pantau \
		$(BUILD)/pantau-reflector \
		$(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/pantau-probe-worker $(DESTDIR)$(PREFIX)/libexec/pantau/
	install -m 0644 $(CATALOG) deploy/agent.ini.example deploy/collector.ini.example \
		deploy/reflector.ini.example \
		$(DESTDIR)$(PREFIX)/share/pantau/
	install -m 0644 node_modules/idn-area-data/data/LICENSE.md \
		$(DESTDIR)$(PREFIX)/share/pantau/idn-area-data-LICENSE.md
	install -d $(DESTDIR)$(PREFIX)/share/pantau/web
	install -m 0644 $(WEB) $(DESTDIR)$(PREFIX)/share/pantau/web/
	install -m 0644 node_modules/world-atlas/LICENSE \
		$(DESTDIR)$(PREFIX)/share/pantau/web/world-atlas-LICENSE.txt

# Debian packages (docs/deployment.md, "Packaging"): deploy/debian/ copied to
# build/deb/src/debian/ with a changelog for VERSION (and the docs the packages
# ship beside it), dpkg-buildpackage there
# (its rules build the programs in build/deb/build with PREFIX=/usr), the .debs
# in build/deb/, and lintian fails the target on any error.
DEB_DIR := build/deb
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH)
DEB_MAINTAINER = $(shell sed -n 's/^Maintainer: //p' deploy/debian/control)
DEB_DATE = $(shell date -R -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))
deb: check-pkgs
	rm -rf $(DEB_DIR)/src $(DEB_DIR)/build
	rm -f $(DEB_DIR)/pantau*.deb $(DEB_DIR)/pantau*.ddeb $(DEB_DIR)/pantau_*.changes \
		$(DEB_DIR)/pantau_*.buildinfo
	mkdir -p $(DEB_DIR)/src
	cp -r deploy/debian $(DEB_DIR)/src/debian
	cp -r README.md docs $(DEB_DIR)/src/
	printf 'pantau (%s) unstable; urgency=medium\n\n  * pantau %s (git %s).\n\n -- %s  %s\n' \
		'$(VERSION)' '$(VERSION)' "$$(git rev-parse --short HEAD 2>/dev/null || echo none)" \
		'$(DEB_MAINTAINER)' '$(DEB_DATE)' > $(DEB_DIR)/src/debian/changelog
	cd $(DEB_DIR)/src && PANTAU_TOP=$(CURDIR) dpkg-buildpackage -b -us -uc
	lintian --fail-on error --info $(DEB_DIR)/pantau_$(VERSION)_$(DEB_ARCH).changes

clean:
	rm -rf build

include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
