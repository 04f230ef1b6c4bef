"""Evaluation: protocols (ucf101, hmdb51, k600, custom), multi-view scoring, top-k and mean ± std."""

from model.evaluation.metrics import mean_std, pairwise_accuracy, topk_accuracy
from model.evaluation.protocols import ResolvedSplit, resolve_splits
from model.evaluation.runner import EvalReport, SplitResult, evaluate, score_videos
from model.loading import load_trained_model  # re-exported: `stdd eval` and older code import it from here

__all__ = [
    "EvalReport",
    "ResolvedSplit",
    "SplitResult",
    "evaluate",
    "load_trained_model",
    "mean_std",
    "pairwise_accuracy",
    "resolve_splits",
    "score_videos",
    "topk_accuracy",
]
