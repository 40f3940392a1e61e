# Sourced by the scripts: one place that says where the project's Wine prefix, the mingw dependencies and
# the build trees are, so every script (and CTest's emulator) runs Windows programs the same way.
# Expects $root to be the checkout.
export WCTR_ROOT="$root"
export WCTR_DEPS="$root/.deps/mingw"
export WINEPREFIX="$root/.wine"
export WINEARCH=win64
export WINEDEBUG="${WCTR_WINEDEBUG:--all}"
# No Mono/Gecko installers, and no winedbg on a crash: a crashing test must fail, not hang.
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
export WCTR_WINE=/usr/lib/wine/wine64
export WINELOADER="$WCTR_WINE"
export WCTR_WINESERVER=/usr/lib/wine/wineserver64
export WCTR_BUILD_MINGW="$root/build/mingw"
export WCTR_BUILD_NATIVE="$root/build/native"

# Unix path -> the Windows path Wine shows for it (drive Z: maps /).
winepath_w() { local p; p=$(realpath -m "$1"); printf 'Z:%s' "${p//\//\\}"; }

# Starts a persistent wineserver and Wine's helper processes (services.exe, ...) with their standard
# streams detached, so that no later caller (CTest, CI) waits on a pipe they inherited.
wine_up() {
  "$WCTR_WINESERVER" -p </dev/null >/dev/null 2>&1 || true
  "$WCTR_WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
}
wine_down() { "$WCTR_WINESERVER" -k </dev/null >/dev/null 2>&1 || true; }
