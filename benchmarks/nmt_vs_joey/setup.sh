#!/usr/bin/env bash
# Joey NMT 2.3.0 in a virtual environment of its own, benchmarks/nmt_vs_joey/.venv (gitignored).
# torch first and pinned to seqkit's 2.13.0: any other version pulls gigabytes of CUDA packages.
# Joey 2.3.0 also needs importlib_metadata, and sentencepiece 0.1.99: 0.2 removed the
# SetVocabulary method Joey calls.
# Joey 2.3.0's warmupexponentialdecay cannot run as documented: build_scheduler constructs it
# without the optimizer its __init__ requires (TypeError before the first update), and reads
# learning_rate_peak, learning_rate_decay and learning_rate_decay_length from the parsed training
# config, whose TrainConfig drops them (so 1e-3, 0.1 and 10,000 always). patch_joey.py mends both;
# it changes nothing else (the defaults stay Joey's).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q joeynmt==2.3.0 importlib_metadata sentencepiece==0.1.99
.venv/bin/python patch_joey.py
.venv/bin/python -c "import joeynmt, torch; print('joeynmt', joeynmt.__version__, 'torch', torch.__version__)"
