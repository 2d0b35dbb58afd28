#!/bin/sh
# Zig's C (and, called as zig-aarch64-c++.sh, C++) compiler for aarch64-linux-gnu, as
# cargo-lambda's own wrapper calls it; for the C builds that read plain CC/CXX instead of
# CC_aarch64_unknown_linux_gnu (librdkafka's ./configure, through rdkafka-sys). Used by
# tests/check-stack.sh.
#
# librdkafka's make also links shared libraries (unused: rdkafka-sys links librdkafka.a), with a
# version script naming symbols its build leaves out (rd_ut_coverage_check); GNU ld lets that
# pass, Zig's lld refuses it unless told --undefined-version.
case "$0" in
  *c++*) tool=c++ ;;
  *) tool=cc ;;
esac
for arg in "$@"; do
  if [ "$arg" = -shared ]; then
    exec cargo-lambda zig "$tool" -- -g -fno-sanitize=all -target aarch64-linux-gnu -Wl,--undefined-version "$@"
  fi
done
exec cargo-lambda zig "$tool" -- -g -fno-sanitize=all -target aarch64-linux-gnu "$@"
