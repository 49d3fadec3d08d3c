#!/usr/bin/env bash
# demo.sh - what `make demo` runs: build the example module examples/hello
# on this machine and prove its repository with dnf.
#
#  1. modkit validate and modkit fmt: the module definition is checked as a
#     source file and written in libmodulemd's style.
#  2. Creates git repositories for the module definition and its three
#     components from examples/hello (in the state directory, default
#     .state/demo; MODKIT_DEMO_STATE overrides it).
#  3. modkit build: the module build service in-process (SQLite state,
#     rpmbuild per component, createrepo_c between batches, modules.yaml at
#     the end).
#  4. modkit query reads the repository's compressed modules.yaml; modkit
#     verify-repo has real dnf list the module and install its default
#     profile into a throwaway installroot.
# Needs: go, git, rpmbuild, createrepo_c, modifyrepo_c, dnf (make deps-demo
# installs them). Nothing from ../shared is used.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=${MODKIT_DEMO_STATE:-$root/.state/demo}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

t0=$(now)
rm -rf "$state"
mkdir -p "$state/git/rpms" "$state/git/modules"

# git with a fixed identity and no user or system configuration
g() {
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
  GIT_AUTHOR_NAME="modkit demo" GIT_AUTHOR_EMAIL=demo@modkit.invalid \
  GIT_COMMITTER_NAME="modkit demo" GIT_COMMITTER_EMAIL=demo@modkit.invalid \
  git "$@"
}
mkrepo() { # mkrepo DIR BRANCH: commit everything in DIR on BRANCH
  g -C "$1" init --quiet --initial-branch="$2"
  g -C "$1" add -A
  g -C "$1" commit --quiet -m "import from examples/hello"
}

# The first run compiles modkit and every dependency (minutes on a small,
# busy machine); later runs reuse Go's build cache and take seconds.
stale=$(go list -deps -f '{{if .Stale}}x{{end}}' ./cmd/modkit 2>/dev/null | grep -c x || true)
if [ "${stale:-0}" -gt 20 ]; then
  echo "== compiling modkit: $stale packages are not in Go's build cache yet; the first run takes a few minutes, later runs seconds"
else
  echo "== compiling modkit"
fi
tc=$(now)
go build -o "$state/modkit" ./cmd/modkit
echo "ok: compiled in $(secs "$tc" "$(now)") s"

def=examples/hello/hello.yaml
echo "== modkit validate --source $def"
"$state/modkit" validate --source "$def"
echo "ok: a valid module definition"
echo "== modkit fmt $def > $state/hello.fmt.yaml"
"$state/modkit" fmt "$def" >"$state/hello.fmt.yaml"
"$state/modkit" fmt --check "$state/hello.fmt.yaml"
"$state/modkit" validate --source "$state/hello.fmt.yaml"
echo "ok: $(wc -l <"$state/hello.fmt.yaml") lines in libmodulemd's style (comments dropped), still valid, and fmt --check finds nothing to change"

echo "== creating git repositories in $state/git"
for c in hello-libs hello-docs hello; do
  cp -R "examples/hello/rpms/$c" "$state/git/rpms/$c"
  mkrepo "$state/git/rpms/$c" main
done
mkdir -p "$state/git/modules/hello"
cp examples/hello/hello.yaml "$state/git/modules/hello/hello.yaml"
mkrepo "$state/git/modules/hello" 1   # the branch is the stream

t1=$(now)

echo "== modkit build file://$state/git/modules/hello#1"
# progress (stderr) is shown and kept for the timing line; stdout is the result
"$state/modkit" build --state-dir "$state" --rpms-base "file://$state/git/rpms/" \
  "file://$state/git/modules/hello#1" 2>&1 >"$state/build.out" | tee "$state/build.err" >&2
t2=$(now)
cat "$state/build.out"
repo=$(cut -f2 "$state/build.out" | head -n1)

echo "== modkit query --nsvca 'hello:*' $repo/repodata/*modules.yaml*"
"$state/modkit" query --nsvca 'hello:*' "$repo"/repodata/*modules.yaml*

echo "== modkit verify-repo $repo"
"$state/modkit" verify-repo "$repo"
t3=$(now)

echo
echo "== demo timing"
echo "setup (go build, validate, fmt, git): $(secs "$t0" "$t1") s"
echo "modkit build:                        $(secs "$t1" "$t2") s wall; inside the process:"
# total = rpmbuild + overhead; overhead = other programs while no rpmbuild
# ran (git, rpmspec, createrepo_c, modifyrepo_c) + modkit's own time
sed -n 's/^timing: /    /p; s/^timing by program /    by program /p' "$state/build.err"
echo "modkit query, verify-repo (dnf):     $(secs "$t2" "$t3") s"
echo "total:                               $(secs "$t0" "$t3") s"
echo
echo "The repository is $repo"
echo "To use it with dnf (here into a throwaway installroot, so the host is untouched; as root):"
echo "  dnf --installroot=\"$state/root\" --releasever=1 --setopt=reposdir=/dev/null \\"
echo "      --setopt=module_platform_id=platform:local --repofrompath=hello,\"$repo\" --nogpgcheck -y \\"
echo "      module install hello:1/default"
echo "  rpm --root=\"$state/root\" -q hello hello-libs"

# Compose what was built: a Pungi-style release tree with productmd metadata
# (examples/compose/compose.yaml names this state directory as the source).
echo
echo "== modkit compose --config examples/compose/compose.yaml --state-dir $state --target-dir $state/compose"
"$state/modkit" compose --config examples/compose/compose.yaml --state-dir "$state" \
  --target-dir "$state/compose" --arch "$(uname -m)"
