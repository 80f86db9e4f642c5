# Sourced by scripts/run and scripts/test: make .venv exist and hold the project's packages.
# Usage: ensure_venv "<extras>"   (e.g. "" for the service, "dev" for the tests)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BRAINHOST_VENV:-$ROOT/.venv}"

_find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "brainhost: Python 3.11 or newer is required (apt-get install python3)" >&2
    return 1
}

_apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "brainhost: installing Debian packages: $*" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "brainhost: please install the Debian packages: $* (needs root)" >&2
        return 1
    fi
}

ensure_venv() {
    local extras="$1"
    local python
    python="$(_find_python)"
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
            _apt_install python3-venv
        fi
        "$python" -m venv "$VENV"
    fi
    local spec="$ROOT"
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    # Reinstall only when the dependency list or the requested extras change.
    local stamp="$VENV/.brainhost-installed-${extras:-base}"
    local digest
    digest="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
        echo "$digest" > "$stamp"
    fi
    # Bytecode for our packages (only what changed is recompiled): with
    # PYTHONDONTWRITEBYTECODE set, as on some machines, every start would otherwise compile
    # ~200 modules from source, a third of the service's cold start.
    "$VENV/bin/python" -m compileall -q -j 0 "$ROOT/app" "$ROOT/actors" "$ROOT/brains" \
        "$ROOT/tenancy" >/dev/null
}
