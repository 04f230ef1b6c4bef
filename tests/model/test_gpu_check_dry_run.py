from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.patience import patience

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_script_dry_run_on_cpu() -> None:
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run"],
        capture_output=True, text=True, env=env, timeout=patience(900), check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("gpu_check on CPU")
    for variant in ("plain CLIP (per frame)", "STCA fast", "STCA official semantics", "STCA fast + grad ckpt"):
        assert any(line.startswith(variant) for line in lines), variant
    assert any(line.startswith("step   1  loss") for line in lines)
    assert any(line.startswith("recipe:") and "ms/step" in line for line in lines)
    assert lines[-1].startswith("gpu_check done")


def test_gpu_check_towers_share_one_copy_of_the_weights() -> None:
    """Every tower reads the plain tower's parameters, so a tower's peak training memory counts one copy of the
    weights (a copy per tower would put all four copies in every peak)."""
    import open_clip

    from benchmarks.gpu_check import tower_variants
    from model.factory import register_model_configs
    from model.stca import stca_blocks

    register_model_configs()
    visual = open_clip.create_model("ViT-Tiny-Test", pretrained=None).visual
    towers = tower_variants(visual, frames=4)
    assert len(towers) == 4
    expected = [id(parameter) for parameter in visual.parameters()]
    for name, (tower, _) in towers.items():
        assert [id(parameter) for parameter in tower.parameters()] == expected, name
        assert name.startswith("plain") or stca_blocks(tower), name  # the STCA towers are copies with STCA blocks
    assert not stca_blocks(visual)
