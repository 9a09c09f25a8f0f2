# medsentry - build, test, demo, bench.
#
#   make            release build: build/medsentry (-O2)
#   make demo       install what is missing, build, analyse the bundled sample capture
#   make test       install what is missing, build release + ASan/UBSan, run every test under both
#   make tsan       ThreadSanitizer build: the ring/merge unit test, the thread-count and Redis integration tests under it
#   make bench      throughput and memory against a bare libpcap loop and tshark (not part of test)
#   make stress     flood captures (SYN, fragments, segments, parser length lies...) at 1x and 2x: time, RSS, limits
#   make fuzz       run the libFuzzer harnesses for a while (FUZZ_SECONDS per harness)
#   make CC=clang   any target with clang instead of gcc

CC      ?= gcc
CSTD    := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
INC     := -Isrc
LIBS    := -pthread -lpcap -lyaml -lcrypto -lxxhash -lyara -lhiredis -lseccomp -lm $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)
RELEASE_CFLAGS := -O2 -g -pthread $(CSTD) $(WARN) $(INC)
ASAN_CFLAGS    := -O1 -g -pthread -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all $(CSTD) $(WARN) $(INC)
TSAN_CFLAGS    := -O1 -g -pthread -fno-omit-frame-pointer -fsanitize=thread $(CSTD) $(WARN) $(INC)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# B: build directory; SRCS can be narrowed, e.g. SRCS="$$(git ls-files 'src/*.c')" to build only tracked files.
B         ?= build
SRCS      ?= $(shell find src -name '*.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS ?= $(wildcard tests/unit/test_*.c)
HDRS      := $(shell find src -name '*.h')

REL_OBJS  := $(SRCS:%.c=$(B)/release/%.o)
ASAN_OBJS := $(SRCS:%.c=$(B)/asan/%.o)
REL_LIB   := $(LIB_SRCS:%.c=$(B)/release/%.o)
ASAN_LIB  := $(LIB_SRCS:%.c=$(B)/asan/%.o)
TSAN_OBJS := $(SRCS:%.c=$(B)/tsan/%.o)
TSAN_LIB  := $(LIB_SRCS:%.c=$(B)/tsan/%.o)
UNIT_REL  := $(UNIT_SRCS:tests/unit/%.c=$(B)/release/tests/%)
UNIT_ASAN := $(UNIT_SRCS:tests/unit/%.c=$(B)/asan/tests/%)

# medsentry.yaml is always rewritten when asked for
.PHONY: medsentry.yaml print-libs all release asan tsan deps deps-test deps-bench deps-stress test unit integration demo bench stress fuzz clean format check-format clang-check
.DEFAULT_GOAL := release

all: release
release: $(B)/medsentry
asan: $(B)/asan/medsentry

$(B)/medsentry: $(REL_OBJS)
	$(CC) $(RELEASE_CFLAGS) -o $@ $^ $(LIBS)

$(B)/asan/medsentry: $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

$(B)/tsan/medsentry: $(TSAN_OBJS)
	$(CC) $(TSAN_CFLAGS) -o $@ $^ $(LIBS)

$(B)/tsan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -DMEDSENTRY_VERSION='"$(VERSION)"' -DMEDSENTRY_GIT_REV='"$(GIT_REV)"' -c -o $@ $<

$(B)/tsan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TSAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -Itests/unit -o $@ $< $(TSAN_LIB) $(LIBS) -lcmocka

# ThreadSanitizer: the ring, merge and clone unit test, then every corpus capture with 1, 2 and 4 worker threads,
# then the Redis output against a real redis-server (its sender thread: stalled, stopped and restarted server).
# A data race is a failure (halt_on_error); separate from `make test` (the CI runs it on its own line).  Without the
# seccomp filter: TSan's runtime makes calls it forbids (docs/HARDENING.md); make test runs the filter.
tsan: deps-test
	@$(MAKE) --no-print-directory $(B)/tsan/medsentry $(B)/tsan/tests/test_ring
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" $(B)/tsan/tests/test_ring
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" MEDSENTRY_THREADS_ARGS=--no-seccomp TESTS=threads \
	    tests/integration/run.sh $(B)/tsan/medsentry
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" MEDSENTRY_REDIS_ARGS=--no-seccomp TESTS=redis_collect \
	    tests/integration/run.sh $(B)/tsan/medsentry

$(B)/release/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) -DMEDSENTRY_VERSION='"$(VERSION)"' -DMEDSENTRY_GIT_REV='"$(GIT_REV)"' -c -o $@ $<

$(B)/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -DMEDSENTRY_VERSION='"$(VERSION)"' -DMEDSENTRY_GIT_REV='"$(GIT_REV)"' -c -o $@ $<

$(B)/release/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(REL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) -Itests/unit -o $@ $< $(REL_LIB) $(LIBS) -lcmocka

$(B)/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests/unit -o $@ $< $(ASAN_LIB) $(LIBS) -lcmocka

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test
deps-bench:
	@scripts/deps.sh bench
deps-stress:
	@scripts/deps.sh stress

# Unit tests (cmocka) under the release build and under ASan+UBSan, then the
# integration tests (the binary on real captures against tshark) under both.
unit: $(UNIT_REL) $(UNIT_ASAN)
	@scripts/run_unit.sh $(UNIT_REL) $(UNIT_ASAN)

integration: $(B)/medsentry $(B)/asan/medsentry
	@tests/integration/run.sh $(B)/medsentry $(B)/asan/medsentry

test: deps-test
	@$(MAKE) --no-print-directory release asan
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

demo: deps
	@$(MAKE) --no-print-directory release
	@scripts/demo.sh

bench: deps-bench
	@$(MAKE) --no-print-directory release
	@bench/run.sh

# Adversarial captures (bench/stress/floods.py) read with small memcaps; fails on a crash, a hang, a superlinear
# time or an RSS over the budgets (docs/HARDENING.md "Floods").  Not part of test.  STRESS_RUNS=1 for a quick look.
stress: deps-stress
	@$(MAKE) --no-print-directory release
	@bench/stress/run.py

fuzz:
	@scripts/fuzz.sh

# Compile everything with clang too (the CI checks both compilers stay warning-free).
clang-check:
	@for f in $(SRCS) $(UNIT_SRCS); do clang -O2 $(CSTD) $(WARN) $(INC) -Itests/unit -c -o /dev/null $$f || exit 1; done
	@echo "clang -Wall -Wextra -Werror: clean ($(words $(SRCS) $(UNIT_SRCS)) files)"

# medsentry.yaml is generated from the modules' key tables (test_config fails when the two differ).
medsentry.yaml: $(B)/medsentry
	$(B)/medsentry --dump-config > $@.tmp && mv $@.tmp $@

format:
	clang-format -i $(SRCS) $(HDRS) $(UNIT_SRCS) $(wildcard fuzz/*.c fuzz/*.h)

check-format:
	@clang-format --dry-run --Werror $(SRCS) $(HDRS) $(UNIT_SRCS) $(wildcard fuzz/*.c fuzz/*.h)

# The link libraries, for scripts that build outside make (scripts/fuzz.sh).
print-libs:
	@echo $(LIBS)

clean:
	rm -rf build
