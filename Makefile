# kser: build, test and run.
#
#   make            build build/kser
#   make check      unit (cmocka) and end-to-end (sharness) tests, built
#                   with AddressSanitizer and UBSan, every fuzz target for
#                   FUZZ_SECONDS (20) each, and the newest version of the
#                   series verified in its default configuration
#   make run        the main job: import the series' base, apply the
#                   newest version of the series and verify it in every
#                   configuration the version names
#   make install    install kser and its man pages (PREFIX=/usr/local)
#   make fuzz       the fuzz targets alone (FUZZ_SECONDS, FUZZ_TARGETS)
#
# The library is every .c under tools/lib/, at any depth: tools/lib/ is
# laid out in folders by layer (docs/layers.md), each folder with one
# private header tools/lib/<layer>/kser_lib_<layer>.h. Objects mirror the
# sources under build/obj/lib/ (build/check/obj/lib/ for the test build).
# make check first checks the layering rule (tools/check-layers.sh): an
# include that points up the layers fails it, naming the file.
#
# Every target that needs packages calls ci/deps.sh first, which installs
# what is missing from Debian and is quick when nothing is.

.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD := build
PREFIX ?= /usr/local
DESTDIR ?=
CC := gcc

-include $(BUILD)/config.mk

# Package flags are found once, after ci/deps.sh has installed the
# packages; make restarts with them once this file exists.
$(BUILD)/config.mk: ci/deps.sh
	@ci/deps.sh
	@mkdir -p $(BUILD)
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS)) -ldeflate -lpthread"; \
	 } > $@.tmp && mv $@.tmp $@

PKGS := libgit2 gmime-3.0 libarchive liblzma zlib libcrypto jansson libcurl

WARN := -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CPPFLAGS := -Itools/include -Itools/lib -D_GNU_SOURCE \
	-DKSER_VERSION='"0.1"'
CFLAGS_COMMON := -std=c11 $(WARN) -g $(PKG_CFLAGS)
CFLAGS_RELEASE := $(CFLAGS_COMMON) -O2
CFLAGS_CHECK := $(CFLAGS_COMMON) -O1 -DKSER_TEST_HOOKS -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_CHECK := -fsanitize=address,undefined

LIB_SRCS := $(sort $(shell find tools/lib -name '*.c'))
CLI_SRCS := $(sort $(wildcard tools/cli/*.c))
UNIT_SRCS := $(sort $(wildcard tools/tests/unit/*_test.c))
HEADERS := $(wildcard tools/include/kser/*.h tools/cli/*.h \
	tools/tests/unit/*.h) $(shell find tools/lib -name '*.h' -o -name '*.inc')

REL := $(BUILD)/obj
CHK := $(BUILD)/check
LIB_OBJS := $(LIB_SRCS:tools/%.c=$(REL)/%.o)
CLI_OBJS := $(CLI_SRCS:tools/%.c=$(REL)/%.o)
CHK_LIB_OBJS := $(LIB_SRCS:tools/%.c=$(CHK)/obj/%.o)
CHK_CLI_OBJS := $(CLI_SRCS:tools/%.c=$(CHK)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tools/tests/unit/%.c=$(CHK)/unit/%)

.PHONY: all deps kernel-deps layers check unit e2e run install clean
.DELETE_ON_ERROR:

all: deps $(BUILD)/kser

deps:
	@ci/deps.sh

kernel-deps:
	@ci/deps.sh --kernel

$(REL)/%.o: tools/%.c $(HEADERS) $(BUILD)/config.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS_RELEASE) -c -o $@ $<

$(BUILD)/libkser.a: $(LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/kser: $(CLI_OBJS) $(BUILD)/libkser.a
	@echo "  LD      $@"
	@$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libkser.a $(PKG_LIBS)

# The test build: everything with sanitizers.
$(CHK)/obj/%.o: tools/%.c $(HEADERS) $(BUILD)/config.mk
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS_CHECK) -c -o $@ $<

$(CHK)/libkser.a: $(CHK_LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(CHK)/kser: $(CHK_CLI_OBJS) $(CHK)/libkser.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_CHECK) -o $@ $(CHK_CLI_OBJS) $(CHK)/libkser.a \
		$(PKG_LIBS)

$(CHK)/unit/%: tools/tests/unit/%.c $(CHK)/libkser.a $(HEADERS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS_CHECK) $(LDFLAGS_CHECK) -o $@ $< \
		$(CHK)/libkser.a $(PKG_LIBS) -lcmocka

layers:
	@tools/check-layers.sh

check: deps kernel-deps layers $(CHK)/kser $(UNIT_BINS) $(BUILD)/kser \
		fuzz-bins
	@KSER_FUZZ=$(FUZZ) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" KSER_FUZZ_SKIP="$(if \
		$(HAVE_FUZZ),,no clang that links libFuzzer programs; \
		ci/deps.sh installs clang and libclang-rt-14-dev)" \
		tools/tests/run.sh $(CHK) $(UNIT_BINS)

run: deps kernel-deps $(BUILD)/kser
	@ci/run-series.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/kser $(DESTDIR)$(PREFIX)/bin/kser
	install -m 644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(BUILD)

# Fuzzing (clang and libFuzzer): one target per reader of hostile input,
# tools/tests/fuzz/NAME_fuzz.c, over the library built once more by clang
# with ASan and UBSan (build/fuzz/). Each target's corpus is kept in
# tools/tests/fuzz/corpus/NAME/ (tools/tests/fuzz/README.md). make check
# runs every target for FUZZ_SECONDS (default 20; 0: the corpus once),
# each one a test, when clang can build libFuzzer programs; make fuzz
# runs them alone (make fuzz FUZZ_SECONDS=900 FUZZ_TARGETS=mail);
# FUZZ_TARGETS=none leaves them out of make check.
FUZZ := $(BUILD)/fuzz
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= $(patsubst tools/tests/fuzz/%_fuzz.c,%,\
	$(sort $(wildcard tools/tests/fuzz/*_fuzz.c)))
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer $(PKG_CFLAGS)
FUZZ_LIB_OBJS := $(LIB_SRCS:tools/%.c=$(FUZZ)/obj/%.o)
FUZZ_BINS := $(filter-out $(FUZZ)/none_fuzz,$(FUZZ_TARGETS:%=$(FUZZ)/%_fuzz))

# Whether clang links a libFuzzer program here (libclang-rt-*-dev), asked
# only when a goal needs it.
ifneq ($(filter check fuzz fuzz-bins,$(MAKECMDGOALS)),)
HAVE_FUZZ := $(shell mkdir -p $(BUILD) && \
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)' \
	     '{ return 0; }' | $(FUZZ_CC) -x c -fsanitize=fuzzer,address \
	     -o $(BUILD)/.fuzz-probe - >/dev/null 2>&1 && echo yes; \
	rm -f $(BUILD)/.fuzz-probe)
endif

$(FUZZ)/obj/%.o: tools/%.c $(HEADERS) $(BUILD)/config.mk
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-c -o $@ $<

$(FUZZ)/libkser.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(FUZZ)/%_fuzz: tools/tests/fuzz/%_fuzz.c $(FUZZ)/libkser.a $(HEADERS)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ)/libkser.a $(PKG_LIBS)

.PHONY: fuzz fuzz-bins
fuzz-bins: $(if $(HAVE_FUZZ),$(FUZZ_BINS))

fuzz: deps fuzz-bins
	@if [ -z "$(HAVE_FUZZ)" ]; then \
		echo "fuzz: clang cannot build libFuzzer programs" \
		     "(ci/deps.sh installs clang and libclang-rt-14-dev)" >&2; \
		exit 1; \
	fi
	@status=0; for t in $(filter-out none,$(FUZZ_TARGETS)); do \
		tools/tests/fuzz/run.sh $(FUZZ) $$t $(FUZZ_SECONDS) || status=1; \
	done; exit $$status

# Benchmarks built from C (tools/bench/NAME.c), over the release library.
$(BUILD)/bench/%: tools/bench/%.c $(BUILD)/libkser.a $(HEADERS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS_RELEASE) -o $@ $< $(BUILD)/libkser.a \
		$(PKG_LIBS)
