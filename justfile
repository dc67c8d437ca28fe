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
    [ -f build-asan/build.ninja ] || CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined
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

# Format all C code with the project's .clang-format.
fmt:
    git ls-files '*.c' '*.h' | xargs clang-format -i

# Fail if any C file is not formatted.
fmt-check:
    git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

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

# The suite of one backend and the unit tests under valgrind (slow: minutes).
valgrind NAME="openssl": build
    meson test -C build --suite unit --wrap='valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite'
    valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=no ./build/harness/tlsharness run --impl {{NAME}} -j {{jobs}} -t 300 -o reports/out/valgrind/{{NAME}}

# Fuzz the harness's own parsers (wire oracle, expectations, report reader).
fuzz-harness SECONDS="60":
    fuzz/harness/smoke.sh {{SECONDS}}
