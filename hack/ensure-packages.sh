#!/usr/bin/env bash
# ensure-packages.sh GROUP...
# Installs the system packages a make target needs when they are missing.
# Groups: test (everything the test suite drives for real), demo (what
# `make demo` needs). Uses apt-get or dnf; sudo when not root. Set
# MODKIT_SKIP_INSTALL=1 to only report what is missing.
set -euo pipefail

want_cmds=()
add() { want_cmds+=("$1"); }
for group in "$@"; do
  case "$group" in
    demo) add rpmbuild; add createrepo_c; add modifyrepo_c; add git; add dnf ;;
    test) add rpmbuild; add createrepo_c; add modifyrepo_c; add git; add dnf; add libmodulemd; add postgresql; add rabbitmq-server ;;
    *) echo "ensure-packages: unknown group $group" >&2; exit 2 ;;
  esac
done

have() {
  case "$1" in
    libmodulemd) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import gi; gi.require_version("Modulemd", "2.0"); from gi.repository import Modulemd' >/dev/null 2>&1 ;;
    # hack/pg.sh and hack/rabbitmq.sh start private servers for the tests.
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -x /usr/bin/initdb ] ;;
    rabbitmq-server) [ -x /usr/sbin/rabbitmq-server ] || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# Package names per command, for Debian/Ubuntu (apt) and Fedora/RHEL (dnf).
apt_pkgs() {
  case "$1" in
    rpmbuild) echo rpm ;;
    createrepo_c|modifyrepo_c) echo createrepo-c ;;
    git) echo git ;;
    dnf) echo dnf ;;
    libmodulemd) echo libmodulemd2 gir1.2-modulemd-2.0 python3-gi ;;
    postgresql) echo postgresql ;;
    rabbitmq-server) echo rabbitmq-server ;;
  esac
}
dnf_pkgs() {
  case "$1" in
    rpmbuild) echo rpm-build ;;
    createrepo_c|modifyrepo_c) echo createrepo_c ;;
    git) echo git ;;
    dnf) echo dnf ;;
    libmodulemd) echo python3-libmodulemd python3-gobject-base ;;
    postgresql) echo postgresql-server postgresql-contrib ;;
    rabbitmq-server) echo rabbitmq-server ;;
  esac
}

missing=()
for c in "${want_cmds[@]}"; do have "$c" || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "${MODKIT_SKIP_INSTALL:-}" = 1 ]; then
  echo "ensure-packages: missing (not installing): ${missing[*]}" >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "ensure-packages: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi

if command -v apt-get >/dev/null 2>&1; then
  pkgs=(); for c in "${missing[@]}"; do pkgs+=($(apt_pkgs "$c")); done
  echo "ensure-packages: installing ${pkgs[*]} with apt-get" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
elif command -v dnf >/dev/null 2>&1; then
  pkgs=(); for c in "${missing[@]}"; do pkgs+=($(dnf_pkgs "$c")); done
  echo "ensure-packages: installing ${pkgs[*]} with dnf" >&2
  $sudo dnf install -y "${pkgs[@]}"
else
  echo "ensure-packages: no apt-get or dnf; please install: ${missing[*]}" >&2
  exit 1
fi
