# Sourced by scripts/scaffold and scripts/test: creates .venv (Python >= 3.11) on first use and
# re-installs when pyproject.toml or the constraints change. Dependencies are pinned by
# requirements/constraints.txt (regenerate with scripts/lock).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"

require_python() {
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "error: scaffold needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
}

bootstrap_venv() {
  local extras="$1" stamp="$VENV/.scaffold-installed-$1"
  local want
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements/constraints.txt" | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$VENV/bin/python" ]; then
    require_python
    echo "  · creating virtual environment in .venv…" >&2
    "$PYTHON" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "  · installing scaffold and its pinned dependencies ($extras)…" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -c "$ROOT/requirements/constraints.txt" -e "$ROOT[$extras]"
    echo "$want" > "$stamp"
  fi
}
