# vionic — top-level build. `make demo` and `make test` are the only commands
# a fresh machine needs: both create .venv and build the C parts on demand.

VENV    := .venv
PY      := $(VENV)/bin/python
BUILD   := build
CC      ?= gcc
CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -D_GNU_SOURCE \
           -Iinclude -Isw/pmd/include -Isw/pmd -Isw/common -Isim/server -Isim/model -MMD -MP
LDLIBS  := -lpthread -lm
# x86: no branch across a 32-byte boundary (Intel's JCC erratum). Without it
# the speed of a hot loop hung on where the linker happened to put it: an
# unrelated change to the RX path cost TX 15 % at 64 B here.
ifeq ($(shell uname -m),x86_64)
CFLAGS  += -Wa,-mbranches-within-32B-boundaries
endif

# Sources: every .c directly in these folders is library code (no main());
# programs live in sim/server/bin/ and sw/pmd/examples/.
# sw/common: Linux helpers that both the server runtime and libvionic use
COMMON_SRCS  := $(wildcard sw/common/*.c)
RUNTIME_SRCS := $(wildcard sim/server/*.c sim/wire/*.c) $(COMMON_SRCS)
MODEL_SRCS   := $(wildcard sim/model/*.c)
SERVER_SRCS  := $(RUNTIME_SRCS) $(MODEL_SRCS)
PMD_SRCS     := $(wildcard sw/pmd/*.c sw/pmd/transport/*.c) $(COMMON_SRCS)
RUNTIME_OBJS := $(RUNTIME_SRCS:%.c=$(BUILD)/obj/%.o)
MODEL_OBJS   := $(MODEL_SRCS:%.c=$(BUILD)/obj/%.o)
SERVER_OBJS  := $(RUNTIME_OBJS) $(MODEL_OBJS)
PMD_OBJS     := $(PMD_SRCS:%.c=$(BUILD)/obj/%.o)
PROGRAMS    := $(BUILD)/bin/vionic-server $(BUILD)/bin/vionic-bench $(BUILD)/bin/l2fwd \
               $(BUILD)/bin/vionic-selftest

.PHONY: all venv c ext sysdeps demo test test-sw lint lint-c lint-py bench synth clean
all: c ext

# ---- Python environment -------------------------------------------------
$(VENV)/.stamp: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	VIONIC_SKIP_EXT=1 $(PY) -m pip install -q -e '.[dev]'
	touch $@
venv: $(VENV)/.stamp

# ---- C ------------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lib/libvionic-server.a: $(RUNTIME_OBJS)
	@mkdir -p $(dir $@) && rm -f $@   # ar only adds: start empty, no stale member
	$(AR) rcs $@ $^
$(BUILD)/lib/libvionic-model.a: $(MODEL_OBJS)
	@mkdir -p $(dir $@) && rm -f $@   # ar only adds: start empty, no stale member
	$(AR) rcs $@ $^
$(BUILD)/lib/libvionic.a: $(PMD_OBJS)
	@mkdir -p $(dir $@) && rm -f $@   # ar only adds: start empty, no stale member
	$(AR) rcs $@ $^

$(BUILD)/bin/vionic-server: sim/server/bin/vionic-server.c $(BUILD)/lib/libvionic-model.a $(BUILD)/lib/libvionic-server.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/bin/%: sw/pmd/examples/%.c $(BUILD)/lib/libvionic.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

c: $(PROGRAMS)

# The Python extension: the same sources, compiled by cffi into one module.
EXT_STAMP := $(BUILD)/ext.stamp
$(EXT_STAMP): $(SERVER_SRCS) $(PMD_SRCS) $(wildcard include/vionic/*.h sim/*/*.h sw/*/*.h sw/pmd/*/*.h) sw/driver/build_ffi.py $(VENV)/.stamp
	$(PY) sw/driver/build_ffi.py --inplace
	@mkdir -p $(dir $@) && touch $@
ext: $(EXT_STAMP)

-include $(SERVER_OBJS:.o=.d) $(PMD_OBJS:.o=.d)
-include hw/hw.mk

# Debian's ping, iperf3, tcpdump for the Linux network tests, demo and bench
# (installed where root and apt-get allow; the tests that need them skip otherwise)
sysdeps: venv
	$(PY) -m vionic.sysdeps

# ---- The two commands of the README --------------------------------------
demo: venv c ext sysdeps
	$(PY) -m vionic.demo

# fast host tests, the Linux network tests, the RTL tests, the slow topologies last
test: venv c ext lint sysdeps
	$(PY) -m pytest -q tests/sw tests/e2e -m "not slow"
	$(MAKE) hw-test
	$(PY) -m pytest -q tests/e2e -m slow

# ---- Lint, bench, synth --------------------------------------------------
lint: venv lint-py lint-c hw-lint
lint-py:
	$(VENV)/bin/ruff check sw/driver tests bench
lint-c: c

bench: venv c ext sysdeps
	$(PY) -m vionic bench all --seconds 3 --out bench/results
	$(MAKE) hw-bench
	$(PY) -m vionic bench report --out bench/results

synth: venv hw-synth

clean:
	rm -rf $(BUILD) sw/driver/vionic/_vionic*.so
