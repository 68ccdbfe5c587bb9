# Shared settings for scripts/*.sh. Source it; it changes nothing on disk.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ALICRED_CACHE:-$HOME/.cache/alicred}"
# The cargo target dir lives outside the clone so CI's fresh clones reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export ALICRED_BIN_DIR="$CARGO_TARGET_DIR/debug"
VENV="$CACHE/venv"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
