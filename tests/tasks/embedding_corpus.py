"""A tiny corpus and evaluation files shared by the word2vec and GloVe task tests."""

from pathlib import Path

import torch
import yaml

PAIRS = [("man", "woman"), ("king", "queen"), ("he", "she"), ("boy", "girl"),
         ("father", "mother")]
FILLER = ["the", "a", "of", "and", "walks", "sees", "city", "house", "river", "old"]


def write_corpus(folder: Path, lines: int = 400, seed: int = 0) -> Path:
    """Random sentences over the planted pairs and filler words; analogy and pair files."""
    folder.mkdir(parents=True, exist_ok=True)
    words = [w for pair in PAIRS for w in pair] + FILLER
    g = torch.Generator().manual_seed(seed)
    text = []
    for _ in range(lines):
        ids = torch.randint(0, len(words), (int(torch.randint(3, 9, (1,), generator=g)),),
                            generator=g)
        text.append(" ".join(words[i] for i in ids.tolist()))
    (folder / "train.txt").write_text("\n".join(text) + "\nunique rareword\n")
    questions = [f"{a} {b} {c} {d}" for a, b in PAIRS for c, d in PAIRS if a != c]
    (folder / "questions.txt").write_text(": gender\n" + "\n".join(questions) + "\n")
    (folder / "pairs.tsv").write_text(
        "# word1\tword2\tscore\nking\tqueen\t8\nman\twoman\t8.5\ncity\triver\t2\n"
        "house\tking\t1\nzebra\tking\t3\n")
    return folder


def recipe_file(folder: Path, task: str, **sections: dict) -> Path:
    """A recipe YAML of ``task`` on the tiny corpus in ``folder``."""
    data = {"dir": str(folder), "min_count": 2, "window": 2, "batch_words": 200,
            "analogies": str(folder / "questions.txt"), "ws353": str(folder / "pairs.tsv"),
            "simlex": str(folder / "pairs.tsv"), "restrict_vocab": 100, "valid_restrict": 100,
            **sections.pop("data", {})}
    recipe = {"task": task, "seed": 3, "data": data,
              "train": {"epochs": 2, "threads": 1, "clip_norm": None, "log_every": 1,
                        **sections.pop("train", {})}, **sections}
    path = folder / f"{task}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path
