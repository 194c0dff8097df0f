# dmastack: a thin wrapper around meson/ninja (as libnvme does).
BUILD   ?= build
SANBUILD ?= build-san
TSANBUILD ?= build-tsan
PREFIX  ?= /usr/local
MESON   ?= meson

.PHONY: all setup build run test test-fast test-san test-tsan install bench fuzz clean

all: build

setup:
	@./scripts/setup.sh

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

$(SANBUILD)/build.ninja:
	$(MESON) setup $(SANBUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

$(TSANBUILD)/build.ninja:
	$(MESON) setup $(TSANBUILD) --buildtype=debug -Db_sanitize=thread -Db_lundef=false

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	./$(BUILD)/dmastack

# The whole suite: a normal build, then the same suite under ASan+UBSan and
# under TSan, then an install into a scratch prefix used by an out-of-tree
# program.
test: setup test-fast test-san test-tsan
	./tests/install_test.sh

test-fast: build
	$(MESON) test -C $(BUILD) --print-errorlogs

test-san: setup $(SANBUILD)/build.ninja
	ninja -C $(SANBUILD)
	$(MESON) test -C $(SANBUILD) --print-errorlogs

test-tsan: setup $(TSANBUILD)/build.ninja
	ninja -C $(TSANBUILD)
	$(MESON) test -C $(TSANBUILD) --print-errorlogs

install: setup
	@prefix=$$(realpath -m "$(PREFIX)"); \
	$(MESON) setup build-install --buildtype=release --prefix="$$prefix" --libdir=lib -Dtests=disabled --wipe >/dev/null 2>&1 || \
	$(MESON) setup build-install --buildtype=release --prefix="$$prefix" --libdir=lib -Dtests=disabled; \
	ninja -C build-install && $(MESON) install -C build-install --quiet

bench: build
	./$(BUILD)/bench/bench_direct

# Coverage-guided fuzzing of the platform parser (needs clang's libFuzzer).
FUZZ_SECONDS ?= 60
fuzz:
	mkdir -p build-fuzz/corpus
	cp examples/*.platform build-fuzz/corpus/
	clang -g -O1 -fsanitize=fuzzer,address,undefined -DDMASTACK_LIBFUZZER \
		-D_GNU_SOURCE -Iinclude -Isrc tests/fuzz_platform.c \
		$$(find src -name '*.c' ! -path 'src/cli/*') -lpthread \
		-o build-fuzz/fuzz_platform
	./build-fuzz/fuzz_platform -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus

clean:
	rm -rf $(BUILD) $(SANBUILD) $(TSANBUILD) build-install build-fuzz
