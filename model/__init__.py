"""STDD model side: STCA video CLIP, prompt text features, scoring, losses and weight averaging."""

from model.compute_config import ComputeConfig
from model.factory import FrameTransforms, create_stdd, register_model_configs
from model.losses import FrameDistillation, LossConfig, LossTerms, StddObjective
from model.pretrained_loading import PretrainedWeightsError
from model.prompts_file import ClassPrompts, PromptKind, PromptsFile, PromptsFileError, load_prompts_file
from model.scoring import class_scores
from model.stca import StcaBlock, install_stca_blocks
from model.stca_config import StcaConfig
from model.stca_registry import UnknownFormulationError, register_stca_formulation, stca_formulation_names
from model.text_features import ClassTextFeatures, prompt_text_features
from model.video_clip import StddVideoClip
from model.weight_averaging import RunningWeightAverage, average_checkpoints, average_state_dicts

__all__ = [
    "ClassPrompts",
    "ClassTextFeatures",
    "ComputeConfig",
    "FrameDistillation",
    "FrameTransforms",
    "LossConfig",
    "LossTerms",
    "PretrainedWeightsError",
    "PromptKind",
    "PromptsFile",
    "PromptsFileError",
    "RunningWeightAverage",
    "StcaBlock",
    "StcaConfig",
    "StddObjective",
    "StddVideoClip",
    "UnknownFormulationError",
    "average_checkpoints",
    "average_state_dicts",
    "class_scores",
    "create_stdd",
    "install_stca_blocks",
    "load_prompts_file",
    "prompt_text_features",
    "register_model_configs",
    "register_stca_formulation",
    "stca_formulation_names",
]
