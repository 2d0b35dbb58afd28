#!/bin/sh
# Zig's archiver (llvm-ar), for the same C builds: the host's ar writes no symbol index for
# aarch64 objects. Used by tests/check-stack.sh.
exec cargo-lambda zig ar -- "$@"
