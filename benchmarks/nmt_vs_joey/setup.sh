#!/usr/bin/env bash
# Joey NMT 2.3.0 in a virtual environment of its own, benchmarks/nmt_vs_joey/.venv (gitignored).
# torch first and pinned to seqkit's 2.13.0: any other version pulls gigabytes of CUDA packages.
# Joey 2.3.0 also needs importlib_metadata, and sentencepiece 0.1.99: 0.2 removed the
# SetVocabulary method Joey calls.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q joeynmt==2.3.0 importlib_metadata sentencepiece==0.1.99
.venv/bin/python -c "import joeynmt, torch; print('joeynmt', joeynmt.__version__, 'torch', torch.__version__)"
