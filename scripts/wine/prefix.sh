# Sourced by the scripts that run Windows builds under Wine
# (scripts/test-packages.sh, scripts/wine-go-test.sh).
#
# wine_prefix DIR: a fresh Wine prefix at DIR, exported as WINEPREFIX, quiet,
# without the .NET and HTML engines it would offer to download, and with a
# stand-in for bcryptprimitives.dll: Go's runtime needs its ProcessPrng
# (Windows 10 and later), which Wine 8.0 lacks. The stand-in lives in the
# prefix only and is never shipped. Returns non-zero (with wineboot's log)
# when the prefix cannot be made.
wine_prefix() {
  local root sys32
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  export WINEPREFIX="$1" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  timeout 300 wineboot -i >"$1.wineboot.log" 2>&1 || { cat "$1.wineboot.log"; return 1; }
  sys32="$WINEPREFIX/drive_c/windows/system32"
  [ -f "$sys32/bcryptprimitives.dll" ] ||
    x86_64-w64-mingw32-gcc-posix -shared -O2 -o "$sys32/bcryptprimitives.dll" "$root/scripts/wine/bcryptprimitives.c" -ladvapi32
}
