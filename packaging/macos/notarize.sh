#!/usr/bin/env bash
# Notarize and staple a signed "Zoom onboarding.app", then check that Gatekeeper accepts it.
#
#   packaging/macos/notarize.sh ["packaging/dist/Zoom onboarding.app"]
#
# Needs: the app built with ZOOM_ONBOARD_CODESIGN_IDENTITY="Developer ID Application: ..." (the
# spec signs every binary with the hardened runtime and packaging/macos/entitlements.plist), and
# notarytool credentials saved once in the login Keychain, so no password is ever on a command
# line or in a log:
#
#   xcrun notarytool store-credentials zoom-onboard-notary --apple-id ... --team-id ...
#
# NOTARY_PROFILE names that profile (default zoom-onboard-notary). Writes the stapled app as
# packaging/dist/zoom-onboard-VERSION-macos-ARCH.zip. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

APP=${1:-"packaging/dist/Zoom onboarding.app"}
PROFILE=${NOTARY_PROFILE:-zoom-onboard-notary}
PLIST=$APP/Contents/Info.plist

fail() {
    echo "notarize.sh: FAILED: $*" >&2
    exit 1
}

[ "$(uname)" = Darwin ] || fail "runs on macOS only"
[ -d "$APP" ] || fail "$APP not found (build it with packaging/build.sh)"

echo "== the signature: Developer ID, hardened runtime, every nested binary"
codesign --verify --deep --strict --verbose=2 "$APP" || fail "the signature does not verify"
details=$(codesign --display --verbose=4 "$APP" 2>&1)
grep -q "^Authority=Developer ID Application:" <<<"$details" \
    || fail "not signed with a Developer ID (set ZOOM_ONBOARD_CODESIGN_IDENTITY and rebuild)"
grep -Eq "flags=.*runtime" <<<"$details" || fail "no hardened runtime in the signature"

version=$(plutil -extract CFBundleShortVersionString raw "$PLIST")
arch=$(lipo -archs "$APP/Contents/MacOS/zoom-onboard")
[ "$arch" = arm64 ] || [ "$arch" = x86_64 ] || fail "expected one architecture, found: $arch"
zip=packaging/dist/zoom-onboard-$version-macos-$arch.zip
upload=$(mktemp -d)/upload.zip
trap 'rm -rf "$(dirname "$upload")"' EXIT

echo "== submitting to Apple's notary service (waits for the verdict)"
ditto -c -k --keepParent "$APP" "$upload"
result=$(xcrun notarytool submit "$upload" --keychain-profile "$PROFILE" --wait \
    --output-format json) || true
echo "$result"
status=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1] or "{}").get("status", ""))' "$result")
if [ "$status" != Accepted ]; then
    id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1] or "{}").get("id", ""))' "$result")
    [ -n "$id" ] && xcrun notarytool log "$id" --keychain-profile "$PROFILE" >&2
    fail "notarization status: ${status:-none}"
fi

echo "== stapling the ticket (Gatekeeper then needs no network)"
xcrun stapler staple "$APP"
xcrun stapler validate "$APP"

echo "== Gatekeeper's verdict"
assessment=$(spctl --assess --type execute --verbose=4 "$APP" 2>&1) || fail "spctl rejects: $assessment"
echo "$assessment"
grep -q "source=Notarized Developer ID" <<<"$assessment" || fail "not assessed as notarized"

rm -f "$zip"
ditto -c -k --keepParent "$APP" "$zip"
echo "== notarized and stapled: $zip"
