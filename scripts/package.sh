#!/usr/bin/env bash
# The Python packages: the wheel that carries the binary (manylinux, linked through zig) and the
# sdist, built with pinned tools in a virtual environment under the target folder, never in the
# system's Python. `scripts/package.sh test` then does what a user without Rust does: installs
# the wheel into a fresh virtual environment from a local folder, and runs real pre-commit
# against pre-commit-mirror/ and against the `repo: local` form, with no cargo or rustc on PATH.
# It is a full release build (minutes), so `cargo test` does not run it; docs/install.md
# records its last result.
#
#   scripts/package.sh          build target/wheels/dist/ (the wheel and the sdist)
#   scripts/package.sh test     build, then the end-to-end test
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Pins. maturin --zig links through this zig (maturin's bundled cargo-zigbuild); the pair is the
# one this script was last run with. ziglang releases change the linker's command line, so a
# new pair is tried here before it is pinned.
MATURIN=1.16.0
ZIGLANG=0.15.2
PRE_COMMIT=4.7.0
AUDITWHEEL=6.8.2
# The mirror package's build backend: pip builds it (and pre-commit's placeholder for
# `repo: local`) with setuptools, so the offline wheel folder must hold it, as an index would.
SETUPTOOLS=84.2.1
# The oldest glibc the binary may need. manylinux_2_17 installs on RHEL 7, 8 and 9 and every
# current distribution; the wheel must never need more than manylinux_2_28 (RHEL 8).
COMPATIBILITY=manylinux_2_17
NEWEST_GLIBC_MINOR=28

mode=${1:-build}
case $mode in
    build | test) ;;
    *)
        echo "usage: scripts/package.sh [test]" >&2
        exit 2
        ;;
esac

target=${CARGO_TARGET_DIR:-target}
[[ $target = /* ]] || target=$root/$target
work=$target/wheels
tools=$work/tools
dist=$work/dist
python=$(command -v "${PYTHON:-python3}") || {
    echo "package.sh: no ${PYTHON:-python3} (Python 3.8 or newer)" >&2
    exit 2
}

fail() {
    echo "package.sh: $*" >&2
    exit 1
}

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[[ -n $version ]] || fail "no version in Cargo.toml"

# The mirror and the docs pin the wheel by version: each `nhsmail-lint==X` and `rev: vX` they
# show must be Cargo.toml's (tests/integration/packaging.rs checks the same on every cargo test).
check_versions() {
    grep -q "^version = \"$version\"$" pre-commit-mirror/pyproject.toml ||
        fail "pre-commit-mirror/pyproject.toml's version is not $version (Cargo.toml)"
    local stale
    stale=$(grep -rnoE 'nhsmail-lint==[0-9][0-9A-Za-z.+-]*|rev: v[0-9][0-9A-Za-z.+-]*' \
        pre-commit-mirror README.md docs | grep -vE ":(nhsmail-lint==|rev: v)$version\$" || true)
    [[ -z $stale ]] || fail "pins that are not Cargo.toml's $version:"$'\n'"$stale"
}

tools_venv() {
    local stamp="maturin==$MATURIN ziglang==$ZIGLANG pre-commit==$PRE_COMMIT auditwheel==$AUDITWHEEL"
    if [[ ! -x $tools/bin/maturin || $(cat "$tools/pinned" 2>/dev/null) != "$stamp" ]]; then
        rm -rf "$tools"
        "$python" -m venv "$tools"
        # shellcheck disable=SC2086 # the stamp is the list of requirements
        "$tools/bin/pip" install --quiet --disable-pip-version-check $stamp
        echo "$stamp" >"$tools/pinned"
    fi
}

build() {
    mkdir -p "$dist"
    rm -f "$dist"/nhsmail_lint-*
    # maturin finds zig through the ziglang package of the Python on PATH.
    PATH=$tools/bin:$PATH "$tools/bin/maturin" build --release --locked --zig \
        --compatibility "$COMPATIBILITY" --out "$dist"
    PATH=$tools/bin:$PATH "$tools/bin/maturin" sdist --out "$dist"
}

# The one wheel of this version, whose tags and symbols say it installs on glibc 2.28 (RHEL 8).
check_wheel() {
    local wheels=("$dist"/nhsmail_lint-"$version"-*.whl)
    [[ ${#wheels[@]} -eq 1 && -f ${wheels[0]} ]] || fail "expected one wheel in $dist, found: ${wheels[*]}"
    wheel=${wheels[0]}
    local platforms=${wheel##*-}
    platforms=${platforms%.whl}
    local tag minor
    for tag in ${platforms//./ }; do
        # PEP 600's names, and the older aliases (manylinux2014 is glibc 2.17, PEP 599).
        case $tag in
            manylinux2014_x86_64) minor=17 ;;
            manylinux2010_x86_64) minor=12 ;;
            manylinux1_x86_64) minor=5 ;;
            *)
                [[ $tag =~ ^manylinux_2_([0-9]+)_x86_64$ ]] || fail "platform tag $tag is not manylinux x86_64"
                minor=${BASH_REMATCH[1]}
                ;;
        esac
        ((minor <= NEWEST_GLIBC_MINOR)) || fail "platform tag $tag needs glibc newer than 2.$NEWEST_GLIBC_MINOR"
    done
    # auditwheel reads the binary's symbol versions itself, so a tag that claims too much fails.
    local shown
    shown=$("$tools/bin/auditwheel" show "$wheel")
    echo "$shown"
    [[ $shown =~ \"manylinux_2_([0-9]+)_x86_64\" ]] || fail "auditwheel gave no manylinux tag"
    ((BASH_REMATCH[1] <= NEWEST_GLIBC_MINOR)) ||
        fail "auditwheel: the binary needs glibc 2.${BASH_REMATCH[1]}, newer than 2.$NEWEST_GLIBC_MINOR"
    local sdist="$dist/nhsmail_lint-$version.tar.gz"
    [[ -f $sdist ]] || fail "no sdist $sdist"
    local member members
    members=$(tar -tzf "$sdist")
    for member in pyproject.toml Cargo.toml Cargo.lock build.rs askama.toml rules/nhsmail.yaml src/main.rs; do
        grep -qx "nhsmail_lint-$version/$member" <<<"$members" || fail "the sdist lacks $member"
    done
    echo "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes"
    echo "sdist: $(basename "$sdist"), $(stat -c %s "$sdist") bytes"
}

# What a shell shows: the command, then what it prints.
show() {
    printf '$ %s\n' "$*"
    "$@"
}

expect_exit() {
    local want=$1
    shift
    local code=0
    show "$@" || code=$?
    [[ $code -eq $want ]] || fail "\`$*\` exited $code, expected $want"
    echo "(exit $code)"
}

# A commit of a bad template, blocked by the hook; then a good one, which commits. Each
# project has a pre-commit cache of its own, so each installs its hook environment afresh.
commit_templates() {
    local project=$1
    (
        cd "$project"
        export PRE_COMMIT_HOME=$project.pre-commit-cache
        show git add .pre-commit-config.yaml
        show git commit -q -m "pre-commit config"
        show pre-commit install
        cp "$root/corpus/templates/patient-data-in-subject.eml" bad.eml
        show git add bad.eml
        local TIMEFORMAT='(the commit, with the hook environment installed first, took %R s)'
        time expect_exit 1 git commit -m "a template with a patient's details in its Subject"
        show git rm -q --cached bad.eml
        rm bad.eml
        cp "$root/corpus/templates/appointment-reminder.eml" good.eml
        show git add good.eml
        expect_exit 0 git commit -m "a compliant template"
        show git log --oneline
        # What the hook's environment holds: the wheel, installed, not built.
        show "$PRE_COMMIT_HOME"/repo*/py_env-*/bin/python -m pip list
    )
}

end_to_end() {
    # Global: the EXIT trap runs after this function has returned.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT

    # What pip may read: this wheel and the setuptools that builds the mirror's package, in a
    # local folder; no index.
    local wheelhouse=$scratch/wheelhouse
    mkdir -p "$wheelhouse"
    cp "$wheel" "$wheelhouse/"
    "$tools/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
        --dest "$wheelhouse" "setuptools==$SETUPTOOLS"

    # A PATH without Rust: every folder holding cargo or rustc is left out; pre-commit and
    # git come from folders of their own.
    mkdir -p "$scratch/bin"
    ln -s "$tools/bin/pre-commit" "$scratch/bin/pre-commit"
    local no_rust=$scratch/bin dir
    local IFS=:
    for dir in $PATH; do
        [[ -n $dir && ! -e $dir/cargo && ! -e $dir/rustc ]] && no_rust+=":$dir"
    done
    unset IFS
    export PATH=$no_rust PIP_NO_INDEX=1 PIP_FIND_LINKS=$wheelhouse PIP_DISABLE_PIP_VERSION_CHECK=1
    export GIT_AUTHOR_NAME=packaging GIT_AUTHOR_EMAIL=packaging@example.invalid
    export GIT_COMMITTER_NAME=packaging GIT_COMMITTER_EMAIL=packaging@example.invalid
    unset CARGO CARGO_HOME RUSTUP_HOME RUSTC

    echo
    echo "== no Rust on PATH"
    expect_exit 1 command -v cargo
    expect_exit 1 command -v rustc

    echo
    echo "== the wheel, into a fresh virtual environment"
    "$python" -m venv "$scratch/venv"
    local TIMEFORMAT='pip install took %R s'
    time show "$scratch/venv/bin/pip" install --quiet "nhsmail-lint==$version" 2>&1
    local lint=$scratch/venv/bin/nhsmail-lint
    local said
    said=$(show "$lint" --version)
    echo "$said"
    [[ $said == *"nhsmail-lint $version" ]] || fail "--version said: $said"
    expect_exit 1 "$lint" check --statistics corpus/
    expect_exit 0 "$lint" check corpus/clean/

    echo
    echo "== pre-commit, from pre-commit-mirror/ published as its own repository"
    cp -r pre-commit-mirror "$scratch/mirror"
    (
        cd "$scratch/mirror"
        git init -q
        git add -A
        git commit -q -m "nhsmail-lint $version"
        git tag "v$version"
    )
    mkdir "$scratch/project"
    git -C "$scratch/project" init -q
    cat >"$scratch/project/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $scratch/mirror
    rev: v$version
    hooks:
      - id: nhsmail-lint
EOF
    show cat "$scratch/project/.pre-commit-config.yaml"
    commit_templates "$scratch/project"

    echo
    echo "== pre-commit, the repo: local form"
    mkdir "$scratch/local"
    git -C "$scratch/local" init -q
    cat >"$scratch/local/.pre-commit-config.yaml" <<EOF
repos:
  - repo: local
    hooks:
      - id: nhsmail-lint
        name: nhsmail-lint
        entry: nhsmail-lint check --template
        language: python
        additional_dependencies: [nhsmail-lint==$version]
        files: \.eml$
EOF
    show cat "$scratch/local/.pre-commit-config.yaml"
    commit_templates "$scratch/local"

    echo
    echo "== still no Rust on PATH"
    expect_exit 1 command -v cargo
    echo
    echo "package.sh test: passed"
}

check_versions
tools_venv
build
check_wheel
if [[ $mode == test ]]; then
    end_to_end
fi
