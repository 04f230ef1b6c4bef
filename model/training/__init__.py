"""Training: YAML configs, AdamW + warm-up/cosine, DDP, atomic resumable checkpoints, JSONL + PNG metrics."""

from model.training.config import ConfigError, EvalSection, TrainConfig, load_config
from model.training.trainer import TrainResult, train

__all__ = ["ConfigError", "EvalSection", "TrainConfig", "TrainResult", "load_config", "train"]
