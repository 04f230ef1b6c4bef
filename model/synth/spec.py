"""What ``stdd synth`` generates: classes = appearance x motion, some combinations held out for zero-shot."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from model.synth.render import MOTIONS, Appearance, reversed_twin


class SynthSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(32, ge=16, description="frame side in pixels (even)")
    frames: int = Field(16, ge=4, description="frames per video")
    fps: int = 8
    appearances: tuple[tuple[str, str], ...] = (
        ("red", "square"),
        ("red", "triangle"),
        ("blue", "square"),
        ("blue", "triangle"),
    )
    motions: tuple[str, ...] = tuple(MOTIONS)
    # Whole reversal pairs are held out, so the zero-shot split also has time-reversed twins.
    held_out: tuple[tuple[str, str], ...] = (
        ("red triangle", "moving right"),
        ("red triangle", "moving left"),
        ("blue square", "moving down"),
        ("blue square", "moving up"),
        ("blue triangle", "growing"),
        ("blue triangle", "shrinking"),
    )
    train_per_class: int = Field(32, ge=1)
    test_per_class: int = Field(8, ge=1)
    zeroshot_per_class: int = Field(8, ge=1)

    def appearance_list(self) -> list[Appearance]:
        return [Appearance(colour, shape) for colour, shape in self.appearances]

    def classes(self) -> list[tuple[Appearance, str]]:
        return [(appearance, motion) for appearance in self.appearance_list() for motion in self.motions]

    def is_held_out(self, appearance: Appearance, motion: str) -> bool:
        return (appearance.name, motion) in set(self.held_out)

    def check(self) -> None:
        names = {appearance.name for appearance in self.appearance_list()}
        for appearance, motion in self.held_out:
            if appearance not in names or motion not in self.motions:
                raise ValueError(f"held-out combination ({appearance}, {motion}) is not a class")
        for motion in self.motions:
            if reversed_twin(motion) not in self.motions:
                raise ValueError(f"motion {motion!r} comes without its reversed twin")


def class_name(appearance: Appearance, motion: str) -> str:
    return f"{appearance.name} {motion}"
