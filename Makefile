# sealmail: the front door.  CMake + CTest do the work; these targets are the
# README's words.
#   make        build build/sealmail (and libsealmail)
#   make test   ASan + UBSan build, every test; ends with CTest's summary
#   make demo   two people exchange mail on a throwaway store
#   make fmt    clang-format the sources;  make lint: format check + tidy

BUILD ?= build
TESTBUILD ?= build-test
CMAKE ?= cmake
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build deps test demo fmt lint clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

test: deps
	@$(CMAKE) -S . -B $(TESTBUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
		-DSEALMAIL_SANITIZE=ON >/dev/null
	@$(CMAKE) --build $(TESTBUILD) -j $(JOBS)
	@cd $(TESTBUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)/sealmail

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

fmt:
	clang-format -i $(SOURCES)

lint: build
	clang-format --dry-run -Werror $(SOURCES)
	sh scripts/check-source.sh .
	clang-tidy -p $(BUILD) --quiet $(filter %.c,$(SOURCES))

clean:
	rm -rf $(BUILD) $(TESTBUILD)
