"""Training and evaluation configuration: pydantic models read from YAML, with ``--set key=value`` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from model.compute_config import ComputeConfig
from model.data.datasets import ClipConfig
from model.dataset_protocols import get_protocol
from model.losses import LossConfig
from model.prompts_file import PromptKind
from model.stca_config import StcaConfig


class ConfigError(ValueError):
    """The configuration file or an override is invalid."""

    exit_code = 2


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ModelSection(_Section):
    name: str = "ViT-B-16"
    pretrained: str | None = Field(None, description="open_clip tag or a local weights file; None: random init")
    stca: StcaConfig = StcaConfig()
    compute: ComputeConfig = ComputeConfig()


class DataSection(_Section):
    root: Path = Field(description="data root the split file's relative paths start from")
    train_split: Path | None = Field(None, description="split CSV; None: a folder-per-class layout under root")
    classes: Path | None = Field(None, description="class map of the split; default: found next to the CSV")
    prompts: Path = Field(description="prompts file (askg export-prompts) covering the training classes")
    prompt_kinds: tuple[PromptKind, ...] = ("label", "spatial", "temporal")
    clip: ClipConfig = ClipConfig()
    batch_size: int = Field(8, ge=1, description="clips per process and step")
    workers: int = Field(2, ge=0)
    max_skipped_fraction: float = Field(
        0.5, ge=0, le=1, description="stop (exit != 0, nothing saved) when an epoch skips more of its videos"
    )


class OptimSection(_Section):
    lr: float = Field(3.33e-6, gt=0)
    min_lr_ratio: float = Field(0.0, ge=0, le=1)
    weight_decay: float = Field(0.01, ge=0)
    betas: tuple[float, float] = (0.9, 0.98)
    epochs: int = Field(22, ge=1)
    warmup_epochs: float = Field(2.0, ge=0)
    grad_clip: float | None = Field(1.0, gt=0)
    accumulation_steps: int = Field(1, ge=1)
    amp: bool = Field(True, description="mixed precision where available (CUDA); ignored on CPU")


class EvalSplit(_Section):
    file: Path
    classes: Path | None = Field(None, description="class map / list; default: from the protocol or next to file")
    name: str | None = None


class EvalSection(_Section):
    protocol: str = Field("custom", description="a registered dataset protocol (model/dataset_protocols.py)")
    root: Path
    prompts: Path
    prompt_kinds: tuple[PromptKind, ...] = ("label", "spatial", "temporal")
    splits: tuple[EvalSplit, ...] = Field(min_length=1)
    clip: ClipConfig = ClipConfig()
    batch_size: int = Field(8, ge=1)
    workers: int = Field(2, ge=0)

    @field_validator("protocol")
    @classmethod
    def _registered(cls, value: str) -> str:
        return get_protocol(value).name


class TrainConfig(_Section):
    seed: int = 0
    output_dir: Path = Path("runs/stdd")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(None, ge=1, description="torch CPU threads per process")
    model: ModelSection = ModelSection()
    data: DataSection
    optim: OptimSection = OptimSection()
    loss: LossConfig = LossConfig()
    weight_averaging: bool = True
    log_every: int = Field(10, ge=1)
    eval: EvalSection | None = None


def _yaml_value(assignment: str, value: str) -> Any:
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise ConfigError(f"--set {assignment!r}: the value is not valid YAML ({_yaml_problem(error)})") from None


def _yaml_problem(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    mark = getattr(error, "problem_mark", None)
    return f"{problem} at line {mark.line + 1} column {mark.column + 1}" if mark is not None else str(problem)


def apply_override(raw: dict[str, Any], assignment: str) -> None:
    """``a.b.c=value`` (value parsed as YAML) into the nested dict ``raw``; a number indexes a list."""
    key, separator, value = assignment.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"override must look like key=value, got {assignment!r}")
    parsed = _yaml_value(assignment, value)
    node: Any = raw
    parts = key.strip().split(".")
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"cannot set {key}: {part} is not an index of a {len(node)}-item list")
            if last:
                node[int(part)] = parsed
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = parsed
            else:
                node = node.setdefault(part, {})
        else:
            raise ConfigError(f"cannot set {key}: {parts[position - 1]} is not a section")


SHIPPED_CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "train"
DEFAULT_TRAIN_CONFIG = "k400_vitb16_8x16"


def shipped_configs() -> dict[str, Path]:
    """Training configs shipped with the toolkit, by name (k400_vitb16_8x16, synthetic_tiny_cpu)."""
    return {path.stem: path for path in sorted(SHIPPED_CONFIGS.glob("*.yaml"))}


def resolve_config(value: str | Path | None) -> tuple[Path, bool]:
    """`--config` as typed: an existing file always wins; a bare name (with or without .yaml) names a
    shipped config; None is the official recipe. Returns (path, shipped)."""
    if value is None:
        return shipped_configs()[DEFAULT_TRAIN_CONFIG], True
    path = Path(value)
    if path.is_file():
        return path, False
    shipped = shipped_configs()
    stem = path.name[: -len(path.suffix)] if path.suffix in (".yaml", ".yml") else path.name
    if path.parent == Path(".") and stem in shipped:
        return shipped[stem], True
    raise ConfigError(f"config file not found: {path} (shipped configs: {', '.join(shipped)})")


def check_training_data(cfg: TrainConfig) -> None:
    """Fail in one line, before any model is built, when the data settings do not point at data."""
    data = cfg.data
    wanted = [("data.root", data.root, Path.is_dir), ("data.train_split", data.train_split, Path.is_file),
              ("data.classes", data.classes, Path.is_file), ("data.prompts", data.prompts, Path.is_file)]
    missing = [f"{key}={value}" for key, value, exists in wanted if value is not None and not exists(value)]
    if missing:
        raise ConfigError(
            f"training data not found ({', '.join(missing)}); point the config at your data, e.g. "
            "stdd train --set data.root=/data/kinetics400 --set data.train_split=/data/kinetics400/train.csv "
            "--set data.classes=/data/kinetics400/classes.json --set data.prompts=k400-prompts.json "
            "(offline: stdd synth --out data/synth, then --config synthetic_tiny_cpu)"
        )


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"config {path} is a folder, not a file")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({_yaml_problem(error)})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read ({error})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    for assignment in overrides:
        apply_override(raw, assignment)
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(_printable(p) for p in item['loc']) or '(top)'}: {item['msg']}" for item in error.errors()[:4]
        )
        raise ConfigError(f"invalid config {path}: {problems}") from None


def _printable(key: object) -> str:
    """A config key as the error shows it: quoted and escaped when it holds a newline or other control character."""
    text = str(key)
    return text if text.isprintable() else repr(text)
