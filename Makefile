# dmastack: a thin wrapper around meson/ninja (as libnvme does).
BUILD   ?= build
SANBUILD ?= build-san
TSANBUILD ?= build-tsan
PREFIX  ?= /usr/local
MESON   ?= meson

.PHONY: all setup build run test test-fast test-san test-tsan install bench fuzz fuzz-smoke clean

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
# under TSan, a short libFuzzer run of every fuzz target, then an install
# into a scratch prefix used by an out-of-tree program.
test: setup test-fast test-san test-tsan fuzz-smoke
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

# Coverage-guided fuzzing (clang's libFuzzer) of the platform parser, the
# VFIO feature ioctl and the VFIO device fd's read/write: the library's own
# meson build (-Dfuzz=true, ASan+UBSan), each target FUZZ_SECONDS long from
# its seed corpus (examples/*.platform, tests/fuzz-corpus/*).
FUZZBUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= platform vfio_feature vfio_rw

$(FUZZBUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZBUILD) --buildtype=debugoptimized -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dtests=disabled -Dcli=disabled -Dman=disabled

fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD) $(FUZZ_TARGETS:%=fuzz_%_libfuzzer)
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf $(FUZZBUILD)/corpus/$$t; mkdir -p $(FUZZBUILD)/corpus/$$t; \
		if [ $$t = platform ]; then cp examples/*.platform $(FUZZBUILD)/corpus/$$t/; \
		else cp tests/fuzz-corpus/$$t/* $(FUZZBUILD)/corpus/$$t/; fi; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		./$(FUZZBUILD)/fuzz_$${t}_libfuzzer -max_total_time=$(FUZZ_SECONDS) \
			-max_len=4096 -print_final_stats=1 $(FUZZBUILD)/corpus/$$t; \
	done

# make test's short run of every fuzz target, when clang has libFuzzer (the
# suite replays the seed corpora either way).
FUZZ_SMOKE_SECONDS ?= 5
fuzz-smoke:
	@if printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' | \
	    clang -fsanitize=fuzzer -x c - -o $(FUZZBUILD)-probe >/dev/null 2>&1; then \
		rm -f $(FUZZBUILD)-probe; \
		$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS); \
	else \
		echo "fuzz-smoke: no clang with libFuzzer here, skipped (the suite replays the corpora)"; \
	fi

clean:
	rm -rf $(BUILD) $(SANBUILD) $(TSANBUILD) build-install $(FUZZBUILD)
