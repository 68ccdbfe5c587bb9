#!/usr/bin/env bash
# Build the installable packages: a .deb and an .rpm with the same contents,
# the desktop app (the dashboard alicred-desktop and its tray agent
# alicred-tray), the `alicred` CLI, a desktop entry and icons, shell
# completions and the man page. Output:
# $CARGO_TARGET_DIR/release/bundle/deb/*.deb and .../bundle/rpm/*.rpm
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" app
log "building the release binaries"
(cd ui && npm run --silent build)
cargo build --release --locked -p alicred-cli
# The same build as `scripts/bench.sh desktop` measures; bundled as is below.
# It makes both binaries of the desktop package, alicred-desktop and
# alicred-tray; Tauri's bundler puts every [[bin]] of it in /usr/bin.
cargo build --release --locked -p alicred-desktop --features custom-protocol
# Shell completions and the man page, generated from the CLI definition.
gen="$CACHE/package-extra"
rm -rf "$gen" && mkdir -p "$gen"
"$CARGO_TARGET_DIR/release/alicred" completions bash > "$gen/alicred.bash"
"$CARGO_TARGET_DIR/release/alicred" completions zsh > "$gen/_alicred"
"$CARGO_TARGET_DIR/release/alicred" completions fish > "$gen/alicred.fish"
"$CARGO_TARGET_DIR/release/alicred" man | gzip -9n > "$gen/alicred.1.gz"
# Tauri's CLI (a prebuilt binary from npm) bundles the app; the extra files
# are merged into its configuration here rather than hard-coding our cache path.
# It adds WebKitGTK and GTK to the dependencies itself (from the features the
# app is built with; the tray is a StatusNotifierItem over D-Bus and needs no
# library): list only what it cannot know.
files=$(cat <<JSON
{
    "/usr/bin/alicred": "$CARGO_TARGET_DIR/release/alicred",
    "/usr/share/bash-completion/completions/alicred": "$gen/alicred.bash",
    "/usr/share/zsh/vendor-completions/_alicred": "$gen/_alicred",
    "/usr/share/fish/vendor_completions.d/alicred.fish": "$gen/alicred.fish",
    "/usr/share/man/man1/alicred.1.gz": "$gen/alicred.1.gz"
  }
JSON
)
overlay="$gen/tauri.package.json"
cat > "$overlay" <<JSON
{ "bundle": { "targets": ["deb", "rpm"],
  "longDescription": "alicred keeps Alibaba Cloud credentials of many kinds (AccessKeys, RAM roles, STS tokens, ECS instance roles, OIDC roles, CloudSSO and OAuth sign-ins, KMS secrets, credentials URIs and external commands) in the system keyring, refreshes temporary ones before they expire, and serves them to the official SDKs and the aliyun CLI through a credentials-URI endpoint on localhost, so no secret sits in a file or an environment variable. The package holds the desktop app (a tray icon, a dashboard and notifications) and the alicred command-line tool with its headless agent, shell completions and man page.",
  "linux": {
  "deb": {
    "depends": ["gnome-keyring | kwalletmanager | keepassxc"],
    "files": $files
  },
  "rpm": {
    "recommends": ["gnome-keyring"],
    "files": $files
  } } } }
JSON
log "bundling (.deb, .rpm)"
rm -f "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm
(cd src-tauri && "$ROOT/ui/node_modules/.bin/tauri" bundle --config "$overlay" --bundles deb,rpm)
# Without the tray agent the dashboard cannot start: refuse such a package.
# (Lists are read whole first: grep -q closing a pipe early trips pipefail.)
for deb in "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb; do
  list=$(dpkg-deb -c "$deb")
  grep -qE ' (\./)?usr/bin/alicred-tray$' <<<"$list" || die "$deb lacks /usr/bin/alicred-tray"
done
if command -v rpm >/dev/null; then
  for r in "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm; do
    list=$(rpm -qlp "$r" 2>/dev/null)
    grep -qx /usr/bin/alicred-tray <<<"$list" || die "$r lacks /usr/bin/alicred-tray"
  done
fi
ls -1 "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm
