#!/bin/bash -eu
# ClusterFuzzLite build: docker/oss-fuzz/build.sh, which honours the engine's
# $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT, builds OpenSSL and
# Botan from $SRC with them, and writes each target with its seed corpus,
# dictionary and options (and the shared libraries it needs in $OUT/lib).
# TLSH_FUZZ_TARGETS, when set, selects targets (default: fuzz/targets.txt).
exec "$SRC/tlsharness/docker/oss-fuzz/build.sh"
