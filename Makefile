# dkimctl - DKIM, SPF and DMARC set-up for Postfix + OpenDKIM.
#
#   make            build build/dkimctl
#   make run        install missing build packages, build, start on the demo sandbox
#   make check      install missing test packages, build, lint, run every test
#                   (unit, unit under ASan+UBSan, integration with real daemons)
#   make asan       unit tests under AddressSanitizer + UBSan only
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make bench      speed against the peers (../shared/bench or BENCH_DIR)
#   make install    PREFIX=/usr/local

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/dkimctl
LOCALEDIR ?= $(PREFIX)/share/locale
BUILD     ?= build
CC        ?= cc
SAN       ?=
V         ?=
Q         := $(if $(V),,@)

PKGS_LIB  := openssl ldns yaml-0.1 libidn2 libpsl
PKGS_TUI  := ncursesw

WARN := -Wall -Wextra -Werror -Wvla -Wwrite-strings -Wshadow -Wformat=2 \
        -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
        -Wpointer-arith -Wundef -Wimplicit-fallthrough -Wcast-align \
        -Wmissing-declarations -Wredundant-decls
OPT  := -O2 -g
ifeq ($(SAN),1)
OPT  := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

CPPFLAGS_ALL := -Iinclude -D_GNU_SOURCE -DDK_VERSION='"$(VERSION)"' \
        -DDK_DATADIR='"$(DATADIR)"' -DDK_LOCALEDIR='"$(LOCALEDIR)"' \
        $(shell pkg-config --cflags $(PKGS_LIB) $(PKGS_TUI) 2>/dev/null)
CFLAGS_ALL   := -std=c17 $(WARN) $(OPT) -fstack-protector-strong -fPIE $(CFLAGS)
LDFLAGS_ALL  := $(OPT) -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS_CORE    := $(shell pkg-config --libs $(PKGS_LIB) 2>/dev/null) -lcrypto
LIBS_TUI     := $(shell pkg-config --libs $(PKGS_TUI) 2>/dev/null)

CORE_DIRS := util model dns dkim policy render plan check apply rotate
CORE_SRC  := $(sort $(foreach d,$(CORE_DIRS),$(wildcard src/$(d)/*.c)))
PROG_SRC  := $(sort $(wildcard src/cli/*.c src/tui/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELP := $(sort $(wildcard tests/unit/helpers/*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
PROG_OBJ  := $(PROG_SRC:%.c=$(BUILD)/%.o)
HELP_OBJ  := $(UNIT_HELP:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBCORE   := $(BUILD)/libdkimctl.a
PROG      := $(BUILD)/dkimctl

.PHONY: pot all run check asan unit integration lint format fuzz bench install clean \
        deps-build deps-check tests

PO_FILES  := $(sort $(wildcard po/*.po))
MO_FILES  := $(PO_FILES:po/%.po=$(BUILD)/locale/%/LC_MESSAGES/dkimctl.mo)

all: $(PROG) $(MO_FILES)

$(BUILD)/locale/%/LC_MESSAGES/dkimctl.mo: po/%.po
	@mkdir -p $(@D)
	$(Q)msgfmt --check -o $@ $<

# Refresh the message catalogue template and merge it into each translation.
pot:
	xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 --package-name=dkimctl \
	    --package-version=$(VERSION) --add-comments=TRANSLATORS: -o po/dkimctl.pot \
	    $(sort $(wildcard src/tui/*.c src/cli/*.c))
	for p in $(PO_FILES); do msgmerge --quiet --update --backup=none $$p po/dkimctl.pot; done

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(V),,@echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(if $(V),,@echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(PROG): $(PROG_OBJ) $(LIBCORE)
	$(if $(V),,@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(PROG_OBJ) $(LIBCORE) $(LIBS_TUI) $(LIBS_CORE)

$(BUILD)/tests/%: tests/unit/%.c $(HELP_OBJ) $(LIBCORE)
	@mkdir -p $(@D)
	$(if $(V),,@echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CPPFLAGS) $(CFLAGS_ALL) -MMD -MP $(LDFLAGS_ALL) \
	    -o $@ $< $(HELP_OBJ) $(LIBCORE) $(LIBS_CORE) -lcmocka

tests: $(UNIT_BIN) $(PROG) $(MO_FILES)

# ---- set-up: install only what is missing (Debian 12) ---------------------
deps-build:
	@sh tests/deps.sh build

deps-check:
	@sh tests/deps.sh check

# ---- the demo sandbox --------------------------------------------------------
DEMO_ROOT := $(BUILD)/demo-root
run: deps-build
	@$(MAKE) --no-print-directory all
	@if [ ! -d $(DEMO_ROOT) ]; then mkdir -p $(DEMO_ROOT) && cp -R tests/sandbox/. $(DEMO_ROOT)/; fi
	@echo "dkimctl on the demo sandbox $(DEMO_ROOT) (nothing outside it is touched)"
	DKIMCTL_TEMPLATES=templates DKIMCTL_LOCALEDIR=$(BUILD)/locale $(PROG) --root $(DEMO_ROOT) $(ARGS) \
	    || [ $$? -eq 1 ] # 1: the user left the wizard without saving

# ---- tests -------------------------------------------------------------------
check: deps-check
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 tests
	@$(MAKE) --no-print-directory lint
	@sh tests/run.sh $(BUILD) build/asan

unit: tests
	@sh tests/run.sh --unit-only $(BUILD)

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 tests
	@sh tests/run.sh --unit-only build/asan

integration: tests
	@sh tests/run.sh --integration-only $(BUILD)

LINT_SRC = $(shell find src include tests/unit tests/fuzz -name '*.[ch]' 2>/dev/null)
lint:
	@echo "lint: layers"
	@sh tests/layers.sh
	@echo "lint: clang-format"
	@clang-format --dry-run --Werror $(LINT_SRC)
	@echo "lint: cppcheck"
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	    --inline-suppr --suppress=missingIncludeSystem -Iinclude -D_GNU_SOURCE src

format:
	clang-format -i $(LINT_SRC)

# ---- fuzzing (clang + libFuzzer) -----------------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	    OPT='-O1 -g -fsanitize=fuzzer-no-link,address,undefined' $(FUZZ_BUILD)/libdkimctl.a
	@set -e; for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); \
	    clang $(CPPFLAGS_ALL) -std=c17 -g -O1 -fsanitize=fuzzer,address,undefined \
	        -o $(FUZZ_BUILD)/$$n $$f $(FUZZ_BUILD)/libdkimctl.a $(LIBS_CORE); \
	    mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	    seeds=; [ -d tests/fuzz/seeds/$$n ] && seeds=tests/fuzz/seeds/$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    $(FUZZ_BUILD)/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        $(FUZZ_BUILD)/corpus-$$n $$seeds; \
	done

# ---- benchmarks -------------------------------------------------------------------
BENCH_DIR ?= ../shared/bench
bench: all
	@sh tests/bench/run.sh $(BENCH_DIR) $(PROG)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates
	install -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/dkimctl
	cp -R templates/. $(DESTDIR)$(DATADIR)/templates/
	for m in $(MO_FILES); do l=$$(basename $$(dirname $$(dirname $$m))); \
	    install -D -m 0644 $$m $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/dkimctl.mo; done

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
