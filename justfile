# tlsharness front door. `just --list` shows every recipe.
set shell := ["bash", "-euo", "pipefail", "-c"]

jobs := env_var_or_default("TLSH_JOBS", "2")
# Sanitizer runtime options for the ASan+UBSan build: any finding fails.
export ASAN_OPTIONS := "detect_leaks=0:abort_on_error=0:halt_on_error=1:exitcode=86"
export UBSAN_OPTIONS := "print_stacktrace=1:halt_on_error=1:exitcode=87"

# Run the whole test suite (the README's test command).
default: test

# Configure and build the normal tree (build/).
build:
    [ -f build/build.ninja ] || meson setup build
    ninja -C build

# Configure and build the ASan+UBSan tree (build-asan/, clang).
build-asan:
    [ -f build-asan/build.ninja ] || CC=clang CXX=clang++ meson setup build-asan -Dmutants=false -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined -Dcpp_args=-fno-sanitize-recover=undefined
    ninja -C build-asan

# The suite with NAME as client and as server against itself.
test-impl NAME *ARGS: build
    ./build/harness/tlsharness run --impl {{NAME}} -j {{jobs}} -o reports/out/{{NAME}} {{ARGS}}

# The same under ASan+UBSan.
test-impl-asan NAME *ARGS: build-asan
    ./build-asan/harness/tlsharness run --impl {{NAME}} -j {{jobs}} -t 60 -o reports/out/asan/{{NAME}} {{ARGS}}

# Every built backend as client x every built backend as server.
matrix *ARGS: build
    ./build/harness/tlsharness run --matrix "$(./build/harness/tlsharness backends | paste -sd, -)" -j {{jobs}} -o reports/out/matrix {{ARGS}}

# The matrix under ASan+UBSan.
matrix-asan *ARGS: build-asan
    ./build-asan/harness/tlsharness run --matrix "$(./build-asan/harness/tlsharness backends | paste -sd, -)" -j {{jobs}} -t 60 -o reports/out/asan/matrix {{ARGS}}

# Unit tests of the harness itself.
unit: build
    meson test -C build --suite unit --print-errorlogs

# Every mutant must be caught by the scenarios of the rule it breaks.
mutation *ARGS: build
    ./build/harness/tlsharness mutation -j {{jobs}} {{ARGS}}

# List scenarios (optionally filtered by id glob).
list *GLOBS: build
    ./build/harness/tlsharness list {{GLOBS}}

# One self-contained HTML page from JSON reports (default: reports/out/*/report.json -> reports/out/index.html).
report *REPORTS: build
    #!/usr/bin/env bash
    set -euo pipefail
    reports=({{REPORTS}})
    if [ "${#reports[@]}" -eq 0 ]; then
        shopt -s nullglob
        reports=(reports/out/*/report.json)
    fi
    if [ "${#reports[@]}" -eq 0 ]; then
        echo "just report: no reports/out/*/report.json yet (run 'just test-impl NAME' or 'just matrix')" >&2
        exit 2
    fi
    ./build/harness/tlsharness report -o reports/out/index.html "${reports[@]}"

# Where backends A and B behave differently, side by side (first runs the suites whose reports are missing).
compare A B: build
    #!/usr/bin/env bash
    set -euo pipefail
    t=./build/harness/tlsharness
    run() { # DIR RUN-ARGS...: only when DIR has no report; FAIL verdicts (exit 1) are fine here
        local dir="$1"
        shift
        [ -f "$dir/report.json" ] && return 0
        echo "just compare: tlsharness run $* -o $dir" >&2
        "$t" run "$@" -j {{jobs}} -q -o "$dir" >/dev/null || [ $? -eq 1 ]
    }
    run "reports/out/{{A}}" --impl "{{A}}"
    run "reports/out/{{B}}" --impl "{{B}}"
    run "reports/out/{{A}}--{{B}}" --client "{{A}}" --server "{{B}}"
    run "reports/out/{{B}}--{{A}}" --client "{{B}}" --server "{{A}}"
    "$t" compare --backends "{{A}}" "{{B}}" "reports/out/{{A}}/report.json" "reports/out/{{B}}/report.json" \
        "reports/out/{{A}}--{{B}}/report.json" "reports/out/{{B}}--{{A}}/report.json"

# Format all C code with the project's .clang-format.
fmt:
    git ls-files '*.c' '*.h' '*.cpp' | xargs clang-format -i

# Fail if any C file is not formatted.
fmt-check:
    git ls-files '*.c' '*.h' '*.cpp' | xargs clang-format --dry-run --Werror

# Regenerate the test PKI (commit the whole set).
pki:
    harness/pki/gen.sh

# Everything: builds, unit tests (normal and sanitized), every backend's
# suite, the matrix (normal and sanitized), mutants, CLI checks.
test: build build-asan
    harness/tests/suite.sh

# Benchmarks: handshakes/s through the descriptor vs direct loops, and the
# matrix's cost as backends are added (figures, not pass/fail).
bench: build
    ./build/bench/bench-handshake
    bench/matrix.sh ./build/harness/tlsharness

# Per-connection cost of `tlsharness serve --impl openssl` vs `openssl s_server`
# (same chain, full handshakes, the same client loops; figures, not pass/fail).
bench-serve CONNECTIONS="400" VERSIONS="1.3 1.2" ROUNDS="3": build
    bench/serve.sh ./build/harness/tlsharness {{CONNECTIONS}} "{{VERSIONS}}" {{ROUNDS}}

# 8x8 matrix of the original four families: wall, CPU, CPU/instance vs one direct OpenSSL handshake (medians).
bench-matrix RUNS="3" BIN="./build/harness/tlsharness": build
    bench/matrix-cpu.sh -n {{RUNS}} {{BIN}}

# The same 8x8 matrix under ASan+UBSan (wall time is the figure).
bench-matrix-asan RUNS="3" BIN="./build-asan/harness/tlsharness": build build-asan
    bench/matrix-cpu.sh -n {{RUNS}} {{BIN}} -t 60

# Handshakes/s (wall and CPU): direct loop, through the descriptor, server out of process.
bench-handshake SECONDS="1": build
    ./build/bench/bench-handshake {{SECONDS}}

# The suite of one backend and the unit tests under valgrind (slow: minutes).
valgrind NAME="openssl": build
    meson test -C build --suite unit --wrap='valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite'
    valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=no ./build/harness/tlsharness run --impl {{NAME}} -j {{jobs}} -t 300 -o reports/out/valgrind/{{NAME}}

# Fuzz the harness's own parsers (wire oracle, expectations, report reader).
fuzz-harness SECONDS="60":
    fuzz/harness/smoke.sh {{SECONDS}}

# Fuzz TARGET (fuzz/targets.txt, e.g. openssl-server-s0) with libFuzzer for SECONDS; findings go to fuzz/crashes/.
fuzz TARGET SECONDS="300":
    fuzz/run.sh {{TARGET}} {{SECONDS}}

# Fuzz TARGET with AFL++ (persistent mode, -M with CMPLOG, one -S per remaining core) for SECONDS.
fuzz-afl TARGET SECONDS="300":
    fuzz/afl.sh {{TARGET}} {{SECONDS}}

# Run a saved input through TARGET 10 times in fresh processes (exit 0: crashed every time).
fuzz-repro TARGET FILE:
    fuzz/repro.sh {{TARGET}} {{FILE}}

# Build Debian's source of library NAME (any of the eight backends) instrumented into .deps/ (VARIANTS: libfuzzer afl cmplog all).
fuzz-deps NAME *VARIANTS:
    fuzz/deps.sh {{NAME}} {{VARIANTS}}

# Fuzz targets: corpora and crash reproducers replayed, determinism, a short smoke run each (in `just test`).
fuzz-regress *TARGETS:
    fuzz/regress.sh {{TARGETS}}

# Regenerate corpora/ from recorded scenario runs, minimized with -merge=1.
fuzz-corpus *TARGETS: build
    fuzz/corpus.sh {{TARGETS}}

# Our OpenSSL server targets vs OpenSSL's fuzz/server.c: s0 for SECONDS, then all ten server targets in STAGES s.
fuzz-bench SECONDS="120" STAGES="300":
    bench/fuzz/compare.sh {{SECONDS}} {{STAGES}}

# Exec/s of every fuzz target (or the TARGETS named), SECONDS each from its corpus.
fuzz-speed SECONDS="20" *TARGETS:
    bench/fuzz/speed.sh {{SECONDS}} {{TARGETS}}

# The nightly job on the host: fuzz every target within SECONDS in total,
# merge corpora, triage, run the matrix, write reports/nightly/DATE/.
nightly SECONDS="3600": build
    docker/nightly.sh {{SECONDS}}

# The nightly job in the Docker image with podman (docker/podman-nightly.sh): results in reports/nightly/DATE/, corpora/, fuzz/crashes/.
docker-nightly SECONDS="3600":
    docker/podman-nightly.sh {{SECONDS}}
