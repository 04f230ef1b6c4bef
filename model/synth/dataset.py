"""``stdd synth``: write the synthetic dataset, its split files, class lists and ASKG seeds."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from graph_seeds import seeds_dir as shipped_seeds_dir
from model.data.splits import write_class_map, write_split_file
from model.synth.captions import frame_caption
from model.synth.render import render_clip_with_placements
from model.synth.seeds import seed_entry
from model.synth.spec import SynthSpec, class_name
from model.synth.video_writer import write_mp4

SPLITS = ("train", "test", "zeroshot")
FRAME_CAPTIONS_FILE = "frame_captions.json"  # {split: {video path: [caption per frame]}}


@dataclass(frozen=True)
class SynthSummary:
    out: Path
    classes: list[str]
    seen: list[str]
    unseen: list[str]
    videos: dict[str, int]


def class_folder(name: str) -> str:
    """The folder (and file-name stem) of a class's videos: "red square moving right" -> "red_square_moving_right"."""
    return name.replace(" ", "_")


def class_of_folder(folder: str) -> str:
    """The class whose videos ``class_folder`` put in ``folder``."""
    return folder.replace("_", " ")


def _write_class_list(path: Path, names: list[str]) -> None:
    path.write_text("".join(f"{name}\n" for name in names))


def write_seeds(out: Path, spec: SynthSpec, body_parts_file: Path | None = None) -> Path:
    """``out/graph_seeds/askg/synthetic.yaml`` + ``body_parts.yaml``: point ``ASKG_SEEDS_DIR`` at it."""
    seeds_dir = out / "graph_seeds"
    (seeds_dir / "askg").mkdir(parents=True, exist_ok=True)
    actions = {class_name(a, m): seed_entry(a, m) for a, m in spec.classes()}
    document = {"version": "synthetic-2", "actions": actions}
    (seeds_dir / "askg" / "synthetic.yaml").write_text(yaml.safe_dump(document, sort_keys=False, width=120))
    shutil.copyfile(body_parts_file or shipped_seeds_dir() / "body_parts.yaml", seeds_dir / "body_parts.yaml")
    return seeds_dir


def write_synthetic_dataset(out: str | Path, spec: SynthSpec | None = None, seed: int = 0) -> SynthSummary:
    spec = spec or SynthSpec()
    spec.check()
    out = Path(out)
    rng = np.random.default_rng(seed)
    classes = spec.classes()
    names = [class_name(a, m) for a, m in classes]
    seen = [class_name(a, m) for a, m in classes if not spec.is_held_out(a, m)]
    unseen = [class_name(a, m) for a, m in classes if spec.is_held_out(a, m)]
    plan = {"train": (seen, spec.train_per_class), "test": (seen, spec.test_per_class),
            "zeroshot": (unseen, spec.zeroshot_per_class)}
    by_name = dict(zip(names, classes, strict=True))
    counts: dict[str, int] = {}
    captions: dict[str, dict[str, list[str]]] = {}
    for split, (split_classes, per_class) in plan.items():
        rows: list[tuple[str, int]] = []
        captions[split] = {}
        for label, name in enumerate(split_classes):
            appearance, motion = by_name[name]
            for number in range(per_class):
                relative = f"videos/{split}/{class_folder(name)}/{class_folder(name)}_{number:03d}.mp4"
                video, placements = render_clip_with_placements(appearance, motion, spec.frames, spec.size, rng)
                write_mp4(out / relative, video, fps=spec.fps)
                captions[split][relative] = [frame_caption(appearance, motion, p, spec.size) for p in placements]
                rows.append((relative, label))
        write_split_file(out / "splits" / f"{split}.csv", rows)
        write_class_map(out / "splits" / f"{split}-index2cls.json", split_classes)
        _write_class_list(out / "splits" / f"{split}.txt", split_classes)
        counts[split] = len(rows)
    write_class_map(out / "classes-index2cls.json", names)
    _write_class_list(out / "classes.txt", names)
    write_seeds(out, spec)
    (out / FRAME_CAPTIONS_FILE).write_text(json.dumps(captions, indent=1) + "\n")
    (out / "synth.json").write_text(
        json.dumps({"seed": seed, "spec": spec.model_dump(mode="json"), "videos": counts}, indent=2) + "\n"
    )
    return SynthSummary(out, names, seen, unseen, counts)
