#!/bin/sh
# tests/compat/install-check.sh SRCDIR DEST: after `make install
# DESTDIR=DEST` (tests/install-check.sh runs it so), build urcu-program.c, a
# program written for liburcu and nothing else, against liburcu itself, then
# against liburcu-tlb through the installed compatibility directory alone
# (PKG_CONFIG_PATH=<compatdir>, docs/compatibility.md): shared, fully
# static, and as the signal flavor.  Run each build, the shared one under
# every mechanism, and check which library each one runs on.
set -eu
srcdir=$1
dest=$2
cc=${CC:-cc}
cflags="-Wall -Wextra -Werror -O2"
out=$dest/compat-check
mkdir -p "$out"
set -- "$srcdir/tests/compat/urcu-program.c" "$srcdir/tests/compat/urcu-program-names.c"

say() { echo "compat-check: $*"; }
fail() { echo "compat-check: FAIL: $*" >&2; exit 1; }

# liburcu's own files, as the caller's environment finds them: the program
# is a liburcu program (memb, and signal where this liburcu has it).
urcu_version=$(pkg-config --modversion liburcu)
$cc $cflags -o "$out/urcu-memb" "$@" $(pkg-config --cflags --libs liburcu-cds liburcu)
"$out/urcu-memb" >/dev/null || fail "the program fails on liburcu's memb flavor"
if pkg-config --exists liburcu-signal; then
	$cc $cflags -DRCU_SIGNAL -o "$out/urcu-signal" "$@" \
		$(pkg-config --cflags --libs liburcu-cds liburcu-signal)
	"$out/urcu-signal" >/dev/null || fail "the program fails on liburcu's signal flavor"
fi

# Where the installed liburcu-tlb.pc says the compatibility directory is
# (pkgconf prefixes the sysroot to variables, pkg-config does not).
pcdir=$(find "$dest" -name liburcu-tlb.pc -exec dirname {} \; | head -n1)
[ -n "$pcdir" ] || fail "liburcu-tlb.pc not installed"
unsysroot() { sed "s|^$dest||"; }
compatdir=$dest$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest \
	pkg-config --variable=compatdir liburcu-tlb | unsysroot)
libdir=$dest$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest \
	pkg-config --variable=libdir liburcu-tlb | unsysroot)
for pc in liburcu liburcu-memb liburcu-signal liburcu-mb liburcu-cds; do
	[ -f "$compatdir/$pc.pc" ] || fail "$compatdir/$pc.pc not installed"
done

# From here on, the compatibility directory and nothing else.  liburcu-cds
# is asked for first on purpose: its include directory is liburcu's, and
# the compatibility one must still come first.
export PKG_CONFIG_PATH="$compatdir" PKG_CONFIG_SYSROOT_DIR="$dest"
[ "$(pkg-config --modversion liburcu)" = "$urcu_version" ] ||
	fail "the compatibility liburcu.pc does not give liburcu's version ($urcu_version)"

$cc $cflags -o "$out/tlb-shared" "$@" $(pkg-config --cflags --libs liburcu-cds liburcu)
needed=$(readelf -d "$out/tlb-shared" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
case " $needed" in
*" liburcu-tlb.so"*) ;;
*) fail "tlb-shared does not link liburcu-tlb (needs: $needed)" ;;
esac
case " $needed" in
*" liburcu.so"* | *" liburcu-memb.so"* | *" liburcu-signal.so"* | *" liburcu-mb.so"*)
	fail "tlb-shared links a liburcu flavor (needs: $needed)" ;;
esac
for m in membarrier mprotect signal; do
	# An unusable mechanism says so on stderr and another is used.
	LD_LIBRARY_PATH=$libdir URCU_TLB_MECHANISM=$m "$out/tlb-shared" >/dev/null ||
		fail "tlb-shared fails (URCU_TLB_MECHANISM=$m)"
done
say "shared: $needed; passes under membarrier, mprotect and signal"

# Fully static, with _LGPL_SOURCE (the inlined read side): every library
# named by --static --libs.
$cc $cflags -static -D_LGPL_SOURCE -o "$out/tlb-static" "$@" \
	$(pkg-config --cflags liburcu-cds liburcu) $(pkg-config --static --libs liburcu-cds liburcu)
nm "$out/tlb-static" | grep -q ' T urcu_tlb_synchronize_rcu$' ||
	fail "tlb-static has no liburcu-tlb in it"
if nm "$out/tlb-static" | grep -q ' urcu_\(memb\|signal\|mb\)_'; then
	fail "tlb-static has a liburcu flavor in it"
fi
"$out/tlb-static" >/dev/null || fail "tlb-static fails"
say "static (-static, _LGPL_SOURCE): liburcu-tlb linked in, passes"

# The signal flavor's program (RCU_SIGNAL, liburcu-signal.pc).
$cc $cflags -DRCU_SIGNAL -o "$out/tlb-signal" "$@" \
	$(pkg-config --cflags --libs liburcu-cds liburcu-signal)
LD_LIBRARY_PATH=$libdir "$out/tlb-signal" >/dev/null || fail "tlb-signal fails"
say "signal flavor's program (RCU_SIGNAL, liburcu-signal.pc): passes"
say "an unmodified liburcu program builds and runs through the compatibility directory"
