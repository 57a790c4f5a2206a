#!/usr/bin/env bash
# System packages the test suite uses: Debian's Chromium (the end-to-end browser test) and PostgreSQL
# (the submission store on a real server). Installed only when missing; without root or apt, say so and
# go on: the tests that need them then report why they cannot run.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: cannot install ${need[*]} (needs root and apt-get); the tests that need them will say so" >&2
  exit 0
fi
echo "install-system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "install-system-deps: apt-get failed for ${need[*]}; the tests that need them will say so" >&2
exit 0
