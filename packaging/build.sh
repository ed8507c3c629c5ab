#!/usr/bin/env bash
# Build the one-folder bundle into packaging/dist/zoom-onboard/ (Linux) or
# "packaging/dist/Zoom onboarding.app" (macOS, this machine's architecture) and smoke-test it.
#
#   packaging/build.sh            (PYTHON=/path/to/python to choose the interpreter)
#
# Exits non-zero if the build or any check fails. The checks: the bundled app's --self-test
# (a whole onboarding against its in-process sandbox), --version, the wizard window starting
# offscreen (and on xcb under Xvfb when Xvfb is installed) without a Qt warning, and the data that
# must be in the bundle; on macOS also the Info.plist and the signature. (Windows:
# packaging/smoke.ps1.)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DIST=packaging/dist
WORK=packaging/build
BUNDLE=$DIST/zoom-onboard
APP=$BUNDLE/zoom-onboard
INTERNAL=$BUNDLE/_internal # sys._MEIPASS: the bundle's data and libraries
QT_PLUGIN_DIR=$INTERNAL/PySide6/Qt/plugins
PLUGINS="platforms/libqxcb.so platforms/libqoffscreen.so iconengines/libqsvgicon.so"
MACOS=no
if [ "$(uname)" = Darwin ]; then
    MACOS=yes
    BUNDLE="$DIST/Zoom onboarding.app"
    APP=$BUNDLE/Contents/MacOS/zoom-onboard
    INTERNAL=$BUNDLE/Contents/Frameworks # data reached through its links into Resources
    QT_PLUGIN_DIR=$INTERNAL/PySide6/Qt/plugins
    PLUGINS="platforms/libqcocoa.dylib platforms/libqoffscreen.dylib iconengines/libqsvgicon.dylib"
fi

fail() {
    echo "build.sh: FAILED: $*" >&2
    exit 1
}

"$PYTHON" -c "import PyInstaller" 2>/dev/null \
    || fail "PyInstaller is not installed (pip install --require-hashes -r packaging/requirements.lock)"

# A Qt that leaks references of None aborts the bundled app within a day's work.
"$PYTHON" packaging/check_qt.py || fail "unsafe PySide6 for this Python (install from packaging/requirements.lock)"

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/zoom-onboard.spec
build_seconds=$(($(date +%s) - start))
[ -x "$APP" ] || fail "$APP was not built"

# The smoke tests never touch the real profile, history or keyring entries of this user.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ZOOM_ONBOARD_HOME=$scratch/home

echo "== $APP --self-test"
if ! out=$("$APP" --self-test 2>"$scratch/self-test.err"); then
    cat "$scratch/self-test.err" >&2
    fail "--self-test exited non-zero: $out"
fi
echo "$out"
case $out in
    "self-test OK"*) ;;
    *) fail "--self-test did not print 'self-test OK': $out" ;;
esac

echo "== $APP --version"
version=$(QT_QPA_PLATFORM=offscreen "$APP" --version) || fail "--version exited non-zero"
echo "$version"
case $version in
    "zoom-onboard "[0-9]*) ;;
    *) fail "--version printed: $version" ;;
esac

echo "== $APP --diagnostics (UTF-8 mode)"
diagnostics=$("$APP" --diagnostics) || fail "--diagnostics exited non-zero"
grep -q "^UTF-8 mode: on" <<<"$diagnostics" || fail "the bundle does not run in UTF-8 mode"
echo "UTF-8 mode: on"

# --self-test and --version load no Qt: start the wizard itself to prove the Qt part works.
# Qt's own warnings go to stderr ("qt.qpa.xcb: ...", "QWidget::...: ..."); the app's log lines
# start with their level.
QT_TROUBLE='^(WARNING|ERROR|CRITICAL) |^qt\.|^Q[A-Za-z]+(::[A-Za-z0-9_]+)*: |Could not (load|find) the Qt platform plugin|failed to start'
gui_starts() { # gui_starts LABEL [VAR=value...]
    local label=$1
    shift
    local log=$scratch/gui-$label.log
    echo "== wizard window ($label)"
    env "$@" "$APP" --sandbox -v >"$log" 2>&1 &
    local pid=$! started=no
    for _ in $(seq 1 100); do
        if grep -q "in-process sandbox at" "$log"; then
            started=yes
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    sleep 1 # a warning emitted while the first page is shown still counts
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$started" != yes ]; then
        cat "$log" >&2
        fail "the wizard did not start ($label)"
    fi
    if grep -E "$QT_TROUBLE" "$log" >&2; then
        fail "the wizard logged a warning at startup ($label)"
    fi
    grep -q "window icon loaded" "$log" || fail "the window icon did not load ($label)"
    echo "started with its icon, no warnings"
}
gui_starts offscreen QT_QPA_PLATFORM=offscreen
if [ "$MACOS" = yes ]; then
    echo "(macOS: the cocoa platform plugin is checked present, not started: CI has no login session)"
elif command -v Xvfb >/dev/null; then
    # A display of our own (its number chosen by Xvfb) for the xcb platform plugin.
    Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$scratch/display" 2>/dev/null &
    xvfb=$!
    trap 'kill "$xvfb" 2>/dev/null || true; rm -rf "$scratch"' EXIT
    for _ in $(seq 1 50); do
        [ -s "$scratch/display" ] && break
        sleep 0.1
    done
    [ -s "$scratch/display" ] || fail "Xvfb did not start"
    gui_starts xcb QT_QPA_PLATFORM=xcb DISPLAY=":$(cat "$scratch/display")" WAYLAND_DISPLAY=
    kill "$xvfb" 2>/dev/null || true
else
    echo "(Xvfb not installed: the xcb platform plugin was not started)"
fi

echo "== bundled data"
[ -f "$INTERNAL/resources/zoom-onboard.svg" ] || fail "resources/zoom-onboard.svg is missing"
[ -f "$INTERNAL/resources/zoom-onboard.desktop" ] || fail "resources/zoom-onboard.desktop is missing"
[ -f "$INTERNAL/resources/landing/zoom-onboard-answer.html" ] \
    || fail "resources/landing/zoom-onboard-answer.html is missing"
# keyring finds its backends through its entry points: its metadata must be in the bundle.
grep -qs "SecretService" "$INTERNAL"/keyring-*.dist-info/entry_points.txt \
    || fail "keyring's entry points (backends) are not in the bundle"
for plugin in $PLUGINS; do
    [ -f "$QT_PLUGIN_DIR/$plugin" ] || fail "Qt plugin $plugin is missing"
done
echo "icon, desktop entry, landing page, keyring entry points, Qt plugins: present"

if [ "$MACOS" = yes ]; then
    echo "== Info.plist and signature"
    plist=$BUNDLE/Contents/Info.plist
    plist_value() { plutil -extract "$1" raw "$plist"; }
    expected_id=$("$PYTHON" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_meta; print(bundle_meta.BUNDLE_ID)')
    [ "$(plist_value CFBundleIdentifier)" = "$expected_id" ] || fail "CFBundleIdentifier is not $expected_id"
    # Never below what the bundled Qt wheel says (macosx_13_0 -> 13.0).
    qt_needs=$("$PYTHON" -c '
import importlib.metadata, platform, sys
sys.path.insert(0, "packaging")
import bundle_meta
tags = [l.split(":", 1)[1] for l in importlib.metadata.distribution("PySide6_Essentials").read_text("WHEEL").splitlines() if l.startswith("Tag:")]
print("%d.%d" % bundle_meta.macos_minimum_of_tags(tags, platform.machine()))')
    minimum=$(plist_value LSMinimumSystemVersion)
    "$PYTHON" -c 'import sys; a, b = (tuple(map(int, v.split("."))) for v in sys.argv[1:]); sys.exit(a < b)' \
        "$minimum" "$qt_needs" || fail "LSMinimumSystemVersion $minimum is below Qt's $qt_needs"
    [ "$(plist_value CFBundleIconFile)" = zoom-onboard.icns ] || fail "the .app has not our icon"
    [ "$(lipo -archs "$APP")" = "$(uname -m)" ] || fail "not a $(uname -m)-only executable"
    codesign --verify --deep --strict "$BUNDLE" || fail "the bundle's signature does not verify"
    echo "$expected_id, LSMinimumSystemVersion $minimum (Qt needs $qt_needs), $(uname -m), signature verifies"
fi

echo "== built in ${build_seconds}s; size: $(du -sh "$BUNDLE" | cut -f1) ($BUNDLE)"
