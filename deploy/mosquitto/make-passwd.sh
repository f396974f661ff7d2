#!/usr/bin/env bash
# Makes Mosquitto's password file (hashed) from a credentials file of `user:password` lines.
#
#   deploy/mosquitto/make-passwd.sh CREDENTIALS OUTPUT     (CREDENTIALS may be - for stdin)
#
# User "hakken" is the service; every other user name is a device id (letters, digits, _ . -,
# at most 64, as the protocol's device ids), which the ACL uses to confine the device to its own
# topics. The credentials file holds secrets: keep it outside the repository (see
# credentials.example). Passwords are hashed by mosquitto_passwd; no password appears on a
# command line.
set -euo pipefail

usage() { echo "usage: $0 CREDENTIALS|- OUTPUT" >&2; exit 2; }
[ $# -eq 2 ] || usage
src=$1
out=$2
command -v mosquitto_passwd >/dev/null || { echo "$0: mosquitto_passwd not found (Debian: apt-get install mosquitto)" >&2; exit 1; }

umask 077
tmp=$(mktemp "$(dirname "$out")/.passwd.XXXXXX")
trap 'rm -f "$tmp"' EXIT

n=0
seen=" "
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  case "$line" in '' | '#'*) continue ;; esac
  user=${line%%:*}
  password=${line#*:}
  n=$((n + 1))
  if [ "$user" = "$line" ] || [ -z "$password" ]; then
    echo "$0: entry $n: expected user:password" >&2; exit 1
  fi
  if ! [[ "$user" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; then
    echo "$0: entry $n: user name \"$user\" is not a valid device id (letters, digits, _ . -, at most 64)" >&2; exit 1
  fi
  if [[ "$password" == change-me* ]] || [ ${#password} -lt 12 ]; then
    echo "$0: entry $n ($user): set a real password of at least 12 characters" >&2; exit 1
  fi
  case "$seen" in *" $user "*) echo "$0: entry $n: user \"$user\" appears twice" >&2; exit 1 ;; esac
  seen="$seen$user "
  printf '%s:%s\n' "$user" "$password" >>"$tmp"
done < <(if [ "$src" = - ]; then cat; else cat -- "$src"; fi)

[ "$n" -gt 0 ] || { echo "$0: no credentials in $src" >&2; exit 1; }
case "$seen" in *" hakken "*) ;; *) echo "$0: warning: no \"hakken\" (service) user" >&2 ;; esac
mosquitto_passwd -U "$tmp"
# Readable by the broker's group, not by others.
chmod 640 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "$0: wrote $n users to $out" >&2
