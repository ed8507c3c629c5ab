#!/usr/bin/env bash
# Build the one-folder bundle into packaging/dist/zoom-onboard/ and smoke-test it.
#
#   packaging/build.sh            (PYTHON=/path/to/python to choose the interpreter)
#
# Exits non-zero if the build or any check fails. The checks: the bundled app's --self-test
# (a whole onboarding against its in-process sandbox), --version, the wizard window starting
# offscreen (and on xcb under Xvfb when Xvfb is installed) without a Qt warning, and the data that
# must be in the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DIST=packaging/dist
WORK=packaging/build
BUNDLE=$DIST/zoom-onboard
APP=$BUNDLE/zoom-onboard

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
if command -v Xvfb >/dev/null; then
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
internal=$BUNDLE/_internal
[ -f "$internal/resources/zoom-onboard.svg" ] || fail "resources/zoom-onboard.svg is missing"
[ -f "$internal/resources/zoom-onboard.desktop" ] || fail "resources/zoom-onboard.desktop is missing"
[ -f "$internal/resources/landing/zoom-onboard-answer.html" ] \
    || fail "resources/landing/zoom-onboard-answer.html is missing"
# keyring finds its backends through its entry points: its metadata must be in the bundle.
grep -qs "SecretService" "$internal"/keyring-*.dist-info/entry_points.txt \
    || fail "keyring's entry points (backends) are not in the bundle"
for plugin in platforms/libqxcb.so platforms/libqoffscreen.so iconengines/libqsvgicon.so; do
    [ -f "$internal/PySide6/Qt/plugins/$plugin" ] || fail "Qt plugin $plugin is missing"
done
echo "icon, desktop entry, landing page, keyring entry points, Qt plugins: present"

echo "== built in ${build_seconds}s; size: $(du -sh "$BUNDLE" | cut -f1) ($BUNDLE)"
