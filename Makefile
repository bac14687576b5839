# sealmail: the front door.  CMake + CTest do the work; these targets are the
# README's words.
#   make        build build/sealmail (and libsealmail)
#   make test   ASan + UBSan build, every test; ends with CTest's summary
#   make demo   two people exchange mail on a throwaway store
#   make bench  speed and memory against the other engines (docs/performance.md)
#   make fmt    clang-format the sources;  make lint: format check + tidy
#   make fuzz   run every libFuzzer target for FUZZ_SECONDS (600) each

BUILD ?= build
TESTBUILD ?= build-test
CMAKE ?= cmake
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_TEST_SECONDS ?= 30
FUZZ_SECONDS ?= 600

.PHONY: all build deps test demo fmt lint fuzz clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

# The test build uses clang: ASan, UBSan and libFuzzer in one build, so the
# bounded fuzz runs are CTest tests like the others.
test: deps
	@CC=clang $(CMAKE) -S . -B $(TESTBUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
		-DSEALMAIL_SANITIZE=ON -DSEALMAIL_FUZZ=ON \
		-DSEALMAIL_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) >/dev/null
	@$(CMAKE) --build $(TESTBUILD) -j $(JOBS)
	@cd $(TESTBUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)/sealmail

# Speed and memory against openssl cms, gpgsm and NSS cmsutil; results in
# $(BUILD)/bench/ (docs/performance.md).  Never part of `make test`.
bench: deps
	@$(CMAKE) -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS) --target sealmail_cli bench_speed
	@sh bench/run.sh $(BUILD)

# Long fuzz runs: every target for FUZZ_SECONDS (default 10 minutes) each.
fuzz: deps
	@CC=clang $(CMAKE) -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DSEALMAIL_SANITIZE=ON -DSEALMAIL_FUZZ=ON \
		-DSEALMAIL_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	@cd build-fuzz && ctest -L '^fuzz$$' --output-on-failure

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

fmt:
	clang-format -i $(SOURCES)

lint: build
	clang-format --dry-run -Werror $(SOURCES)
	sh scripts/check-source.sh .
	clang-tidy -p $(BUILD) --quiet $(filter %.c,$(SOURCES))

clean:
	rm -rf $(BUILD) $(TESTBUILD) build-fuzz
