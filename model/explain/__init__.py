"""`stdd explain`: which prompts match which frames, and where the model looks, for one video."""

from model.explain.compute import Explanation, VideoExplanation, explain_video
from model.explain.output import ExplainError, OutputFormat, write_explanation

__all__ = ["ExplainError", "Explanation", "OutputFormat", "VideoExplanation", "explain_video", "write_explanation"]
