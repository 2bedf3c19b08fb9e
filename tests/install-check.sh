#!/bin/sh
# install-check.sh: `make install` into a scratch DESTDIR, then build the
# README's example against the installed headers through pkg-config, once
# against the shared library and once against the static one, and run both.
# tests/compat/install-check.sh checks the installed compatibility directory
# in the same DESTDIR.
set -eu
make=${MAKE:-make}
srcdir=$1
dest=$(mktemp -d "${TMPDIR:-/tmp}/urcu-tlb-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
$make -s install DESTDIR="$dest" >/dev/null
# The compatibility directory first, in the caller's pkg-config environment
# (its liburcu builds use the caller's liburcu).
CC=${CC:-cc} sh "$srcdir/tests/compat/install-check.sh" "$srcdir" "$dest"
libdir=$(find "$dest" -name liburcu-tlb.pc -exec dirname {} \; | head -n1)
[ -n "$libdir" ] || { echo "install-check: liburcu-tlb.pc not installed"; exit 1; }
export PKG_CONFIG_PATH="$libdir" PKG_CONFIG_SYSROOT_DIR="$dest"
pkg-config --exists liburcu-tlb
cc=${CC:-cc}
$cc -Wall -Wextra -O2 -o "$dest/qs-shared" "$srcdir/docs/examples/quickstart.c" \
	$(pkg-config --cflags --libs liburcu-tlb)
LD_LIBRARY_PATH="$dest$(pkg-config --variable=libdir liburcu-tlb | sed "s|^$dest||")" \
	"$dest/qs-shared"
$cc -Wall -Wextra -O2 -o "$dest/qs-static" "$srcdir/docs/examples/quickstart.c" \
	$(pkg-config --cflags liburcu-tlb) \
	-L"$dest$(pkg-config --variable=libdir liburcu-tlb | sed "s|^$dest||")" \
	-l:liburcu-tlb.a $(pkg-config --static --libs-only-l liburcu-tlb | sed 's/-lurcu-tlb//')
"$dest/qs-static"
[ -x "$(find "$dest" -name urcu-tlb-stress -type f | head -n1)" ]
echo "install-check: installed headers, pkg-config file, shared and static library work"
