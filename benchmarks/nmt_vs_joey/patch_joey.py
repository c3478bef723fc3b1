"""Mend Joey NMT 2.3.0's ``warmupexponentialdecay`` scheduler in the venv of setup.sh so that it
runs as Joey documents it (idempotent; exits non-zero when the source is not the expected one).

1. ``builders.build_scheduler`` constructs ``WarmupExponentialDecayScheduler`` without the
   ``optimizer`` argument its ``__init__`` requires: pass it, as to every other scheduler there.
2. ``build_scheduler`` reads ``learning_rate_peak``, ``learning_rate_decay`` and
   ``learning_rate_decay_length`` from ``TrainConfig._asdict()``, but ``config.TrainConfig`` has no
   such fields, so the builder's defaults (1e-3, 0.1, 10,000) always win: add the three fields,
   parsed with the builder's own defaults (the peak defaults to ``learning_rate``, as
   ``warmupinversesquareroot`` already reads it).
"""

import sys
from pathlib import Path

import joeynmt

ROOT = Path(joeynmt.__file__).parent
PATCHES = {
    "builders.py": [(
        "scheduler = WarmupExponentialDecayScheduler(\n",
        "scheduler = WarmupExponentialDecayScheduler(\n            optimizer=optimizer,\n",
    )],
    "config.py": [(
        '        ("learning_rate_warmup", int),\n',
        '        ("learning_rate_warmup", int),\n        ("learning_rate_peak", float),\n'
        '        ("learning_rate_decay", float),\n        ("learning_rate_decay_length", int),\n',
    ), (
        '        learning_rate_warmup=cfg.get("learning_rate_warmup", 4000),\n',
        '        learning_rate_warmup=cfg.get("learning_rate_warmup", 4000),\n'
        '        learning_rate_peak=cfg.get("learning_rate_peak", '
        'cfg.get("learning_rate", 0.005)),\n'
        '        learning_rate_decay=cfg.get("learning_rate_decay", 0.1),\n'
        '        learning_rate_decay_length=cfg.get("learning_rate_decay_length", 10000),\n',
    )],
}

for name, replacements in PATCHES.items():
    path = ROOT / name
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        if new in text:
            continue  # patched already
        if text.count(old) != 1:
            sys.exit(f"patch_joey.py: {path}: expected one {old.strip()!r}; not Joey 2.3.0?")
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
print(f"patch_joey.py: {ROOT} patched (warmupexponentialdecay)")
