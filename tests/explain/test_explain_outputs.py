"""`stdd explain` files: deterministic, the JSON numbers, one-line errors for bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.stdd_app import app, main


def _explain(video: Path, checkpoint: Path, prompts: Path, out: Path, *extra: str) -> list[str]:
    return ["explain", str(video), "--checkpoint", str(checkpoint), "--prompts", str(prompts),
            "--out", str(out), *extra]


def test_outputs_are_deterministic_and_json_holds_the_numbers(stdd_checkpoint: Path, synth_dir: Path,
                                                              a_video: Path, tmp_path: Path) -> None:
    prompts = synth_dir / "prompts.json"
    outputs = []
    for run in ("a", "b"):
        args = _explain(a_video, stdd_checkpoint, prompts, tmp_path / run, "--reverse", "--classes", "2", "--json")
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    names = ["explain.png", "explain-reversed.png", "explain.html", "explain.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "explain.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    payload = json.loads(outputs[0])
    assert payload == json.loads((tmp_path / "a" / "explain.json").read_text())
    assert [v["variant"] for v in payload["videos"]] == ["original", "reversed"]
    first = payload["videos"][0]["classes"][0]
    assert first["name"] == payload["videos"][0]["predictions"][0]["name"]
    assert len(first["similarity"]) == len(first["prompts"]) and len(first["similarity"][0]) == 8


def test_png_format_writes_no_page(stdd_checkpoint: Path, synth_dir: Path, a_video: Path, tmp_path: Path) -> None:
    args = _explain(a_video, stdd_checkpoint, synth_dir / "prompts.json", tmp_path / "o", "--format", "png")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["explain.json", "explain.png"]


@pytest.mark.parametrize("case", ["missing video", "broken video", "missing prompts", "missing checkpoint",
                                  "bad format", "out is a file"])
def test_bad_inputs_are_one_line_errors(case: str, stdd_checkpoint: Path, synth_dir: Path, a_video: Path,
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    video, checkpoint, prompts, out, extra = a_video, stdd_checkpoint, synth_dir / "prompts.json", tmp_path / "o", []
    if case == "missing video":
        video = tmp_path / "nope.mp4"
    elif case == "broken video":
        video = tmp_path / "broken.mp4"
        video.write_bytes(b"not a video")
    elif case == "missing prompts":
        prompts = tmp_path / "nope.json"
    elif case == "missing checkpoint":
        checkpoint = tmp_path / "nope.pt"
    elif case == "bad format":
        extra = ["--format", "pdf"]
    else:
        out.write_text("keep me")
    monkeypatch.setattr("sys.argv", ["stdd", *_explain(video, checkpoint, prompts, out, *extra)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code not in (0, None)
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and "Traceback" not in error
    wrong = {"missing video": video, "broken video": video, "missing prompts": prompts,
             "missing checkpoint": checkpoint, "bad format": "pdf", "out is a file": out}[case]
    assert str(wrong) in error
    if case == "out is a file":
        assert out.read_text() == "keep me"
    else:
        assert not out.exists()


def test_row_labels_keep_the_part_that_tells_prompts_apart() -> None:
    from model.explain.figure import row_label

    name = "red square moving right"
    label = row_label(f"{name}: first showing the red square at the left edge of the frame, then sliding the red "
                      "square across the middle to the right, and more words that do not fit", name, True)
    lines = label.split("\n")
    assert lines[0].startswith("…first showing the red square at the left edge") and len(lines) == 2
    assert all(len(line) <= 58 for line in lines) and lines[1].endswith("…")
    assert row_label(name, name, True) == name  # a prompt that is only the class name stays whole
    assert row_label(f"a video of {name}", name, False) == f"a video of {name}"
