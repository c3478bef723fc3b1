#!/usr/bin/env bash
# Joey NMT 2.3.0 in a virtual environment of its own, benchmarks/nmt_vs_joey/.venv (gitignored).
# torch first and pinned to seqkit's 2.13.0: any other version pulls gigabytes of CUDA packages.
# Joey 2.3.0 also needs importlib_metadata, and sentencepiece 0.1.99: 0.2 removed the
# SetVocabulary method Joey calls.
# Joey 2.3.0's build_scheduler constructs WarmupExponentialDecayScheduler without the optimizer
# its __init__ requires (TypeError before the first update); the one-line patch below passes it,
# as every other scheduler there is given it. It changes nothing else.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q joeynmt==2.3.0 importlib_metadata sentencepiece==0.1.99
builders=$(.venv/bin/python -c "import joeynmt.builders as b; print(b.__file__)")
if ! grep -q "WarmupExponentialDecayScheduler(optimizer=optimizer," "$builders"; then
    sed -i 's/scheduler = WarmupExponentialDecayScheduler($/scheduler = WarmupExponentialDecayScheduler(optimizer=optimizer,/' "$builders"
fi
grep -q "WarmupExponentialDecayScheduler(optimizer=optimizer," "$builders" \
    || { echo "setup.sh: could not patch $builders" >&2; exit 1; }
.venv/bin/python -c "import joeynmt, torch; print('joeynmt', joeynmt.__version__, 'torch', torch.__version__)"
