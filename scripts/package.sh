#!/usr/bin/env bash
# Build the installable package: a .deb with the desktop app (alicred-desktop),
# the `alicred` CLI, a desktop entry and icons, plus shell completions and the
# man page. Output: $CARGO_TARGET_DIR/release/bundle/deb/*.deb
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" app
log "building the release binaries"
(cd ui && npm run --silent build)
cargo build --release --locked -p alicred-cli
# Shell completions and the man page, generated from the CLI definition.
gen="$CACHE/package-extra"
rm -rf "$gen" && mkdir -p "$gen"
"$CARGO_TARGET_DIR/release/alicred" completions bash > "$gen/alicred.bash"
"$CARGO_TARGET_DIR/release/alicred" completions zsh > "$gen/_alicred"
"$CARGO_TARGET_DIR/release/alicred" completions fish > "$gen/alicred.fish"
"$CARGO_TARGET_DIR/release/alicred" man | gzip -9n > "$gen/alicred.1.gz"
# Tauri's CLI (a prebuilt binary from npm) bundles the app; the extra files
# are merged into its configuration here rather than hard-coding our cache path.
overlay="$gen/tauri.package.json"
cat > "$overlay" <<JSON
{ "bundle": { "targets": ["deb"], "linux": { "deb": {
  "depends": ["libwebkit2gtk-4.1-0", "libayatana-appindicator3-1", "gnome-keyring | kwalletmanager | keepassxc"],
  "files": {
    "/usr/bin/alicred": "$CARGO_TARGET_DIR/release/alicred",
    "/usr/share/bash-completion/completions/alicred": "$gen/alicred.bash",
    "/usr/share/zsh/vendor-completions/_alicred": "$gen/_alicred",
    "/usr/share/fish/vendor_completions.d/alicred.fish": "$gen/alicred.fish",
    "/usr/share/man/man1/alicred.1.gz": "$gen/alicred.1.gz"
  } } } } }
JSON
log "bundling (.deb)"
(cd src-tauri && "$ROOT/ui/node_modules/.bin/tauri" build --config "$overlay" --bundles deb)
ls -1 "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb
