#!/usr/bin/env bash
# ensure-packages.sh GROUP...
# Installs the system packages a make target needs when they are missing.
# Groups: test (everything the test suite drives for real), demo (what
# `make demo` needs). Uses apt-get or dnf; sudo when not root. Set
# MODKIT_SKIP_INSTALL=1 to only report what is missing.
#
# The package manager's output goes to a log file; on success one line
# summarises what was installed, on failure the end of the log is shown.
set -euo pipefail

want_cmds=()
add() { want_cmds+=("$1"); }
for group in "$@"; do
  case "$group" in
    demo) add rpmbuild; add createrepo_c; add modifyrepo_c; add git; add dnf ;;
    test) add rpmbuild; add createrepo_c; add modifyrepo_c; add git; add dnf; add libmodulemd; add modulemd-validator; add bwrap; add setpriv; add postgres; add rabbitmq ;;
    *) echo "ensure-packages: unknown group $group" >&2; exit 2 ;;
  esac
done

have() {
  case "$1" in
    libmodulemd) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import gi; gi.require_version("Modulemd", "2.0"); from gi.repository import Modulemd' >/dev/null 2>&1 ;;
    postgres) command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
    rabbitmq) command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ;;
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
    modulemd-validator) echo libmodulemd-tools ;;
    postgres) echo postgresql ;;
    rabbitmq) echo rabbitmq-server ;;
    bwrap) echo bubblewrap ;;
    setpriv) echo util-linux ;;
  esac
}
dnf_pkgs() {
  case "$1" in
    rpmbuild) echo rpm-build ;;
    createrepo_c|modifyrepo_c) echo createrepo_c ;;
    git) echo git ;;
    dnf) echo dnf ;;
    libmodulemd) echo python3-libmodulemd python3-gobject-base ;;
    modulemd-validator) echo libmodulemd ;;
    postgres) echo postgresql-server ;;
    rabbitmq) echo rabbitmq-server ;;
    bwrap) echo bubblewrap ;;
    setpriv) echo util-linux ;;
  esac
}

missing=()
for c in "${want_cmds[@]}"; do
  case " ${missing[*]-} " in *" $c "*) continue ;; esac
  have "$c" || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# packages LISTFN: the packages for the missing commands, each named once.
packages() {
  local c p out=()
  for c in "${missing[@]}"; do
    for p in $("$1" "$c"); do
      case " ${out[*]-} " in *" $p "*) ;; *) out+=("$p") ;; esac
    done
  done
  echo "${out[*]}"
}

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

log=$(mktemp "${TMPDIR:-/tmp}/modkit-packages.XXXXXX.log")
# run DESCRIPTION CMD...: runs CMD with its output in the log; on failure
# shows the log's last lines.
run() {
  local what=$1; shift
  if ! "$@" >>"$log" 2>&1; then
    echo "ensure-packages: $what failed; the last lines of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
  fi
}

start=$(date +%s)
if command -v apt-get >/dev/null 2>&1; then
  read -r -a pkgs <<<"$(packages apt_pkgs)"
  echo "ensure-packages: installing ${pkgs[*]} with apt-get (missing: ${missing[*]}; log: $log)" >&2
  run "apt-get update" $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update
  run "apt-get install" $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
    install -y --no-install-recommends "${pkgs[@]}"
  n=$(grep -c '^Setting up ' "$log" || true)
elif command -v dnf >/dev/null 2>&1; then
  read -r -a pkgs <<<"$(packages dnf_pkgs)"
  echo "ensure-packages: installing ${pkgs[*]} with dnf (missing: ${missing[*]}; log: $log)" >&2
  run "dnf install" $sudo dnf install -y "${pkgs[@]}"
  n=$(grep -cE '^ +Installing +:' "$log" || true)
else
  echo "ensure-packages: no apt-get or dnf; please install: ${missing[*]}" >&2
  exit 1
fi

still=()
for c in "${missing[@]}"; do have "$c" || still+=("$c"); done
if [ ${#still[@]} -gt 0 ]; then
  echo "ensure-packages: installed, but still missing: ${still[*]} (log: $log)" >&2
  exit 1
fi
echo "ensure-packages: done: $n packages (with dependencies) set up in $(( $(date +%s) - start )) s" >&2
rm -f "$log"
