# libFuzzer harnesses (docs/testing.md, "Fuzzing"); included from the Makefile.
#
#   make fuzz-build          build/fuzz/fuzz_NAME for every tests/fuzz/fuzz_NAME.c
#   make fuzz                build, then fuzz each harness in turn for FUZZ_SECONDS
#                            (600) with FUZZ_JOBS (2) processes; stops at the first
#                            crash, leak, timeout or out-of-memory
#   make fuzz FUZZ="wire_batch profiles" FUZZ_SECONDS=60    some harnesses only
#
# The harnesses and the code under test are built with clang,
# -fsanitize=fuzzer,address,undefined, into build/fuzz/ (never mixed with
# build/). What fuzzing finds goes to build/fuzz/corpus/NAME/ (a working
# corpus, not committed) and crashes to build/fuzz/artifacts/; the seed
# corpus tests/fuzz/corpus/NAME/ is only read.

FUZZ_DIR := build/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 2
FUZZ_SAN := -fsanitize=address,undefined -fsanitize=fuzzer-no-link \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ ?= $(FUZZ_NAMES)
FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES)) $(FUZZ_DIR)/canary
FUZZ_LIBS := libpantau-agent.a libpantau-probes.a libpantau-collector.a libpantau-reflector.a libpantau-common.a

.PHONY: fuzz fuzz-build fuzz-bins

fuzz-build: check-pkgs $(CATALOG)
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR) CC=$(FUZZ_CC) OPT=-O1 \
		SAN_FLAGS="$(FUZZ_SAN)" fuzz-bins

fuzz: fuzz-build
	@PANTAU_CATALOG_DIR=$(abspath $(BUILD)/share/pantau) \
		$(PYTHON) tests/fuzz/fuzzrun.py --build $(FUZZ_DIR) --seconds $(FUZZ_SECONDS) \
		--jobs $(FUZZ_JOBS) $(FUZZ)

# Only inside the sub-make above, where BUILD is build/fuzz and CC clang.
fuzz-bins: $(FUZZ_BINS)

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/obj/tests/fuzz/fuzz.o \
		$(addprefix $(FUZZ_DIR)/,$(FUZZ_LIBS))
	$(call link,-fsanitize=fuzzer $(LIBS_ALL))

# A harness with planted bugs: proves that the test sees a crash and a leak.
$(FUZZ_DIR)/canary: $(FUZZ_DIR)/obj/tests/fuzz/canary.o
	$(call link,-fsanitize=fuzzer)

# Keep the harnesses' objects (make would delete them as intermediate).
.SECONDARY: $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/obj/tests/fuzz/%.o,$(wildcard tests/fuzz/*.c))
