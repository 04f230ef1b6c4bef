"""`stdd report` writes the explain sheet of one synthetic video and its reversal, and records it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.stdd_app import app


def test_report_writes_and_records_the_explain_sheet(frame_averaging_checkpoint: Path, synth_dir: Path,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["report", str(frame_averaging_checkpoint), "--data", str(synth_dir), "--prompts",
            str(synth_dir / "prompts.json"), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    sheet = json.loads(out.read_text())["explain"]
    first_unseen = (synth_dir / "splits" / "zeroshot.csv").read_text().splitlines()[0].split(",")[0]
    assert sheet["video"] == str(synth_dir / first_unseen)
    unseen = json.loads((synth_dir / "splits" / "zeroshot-index2cls.json").read_text())
    assert sheet["candidates"] == [unseen[str(k)] for k in range(len(unseen))]  # ranked as the zero-shot eval ranks
    page = json.loads((tmp_path / "report-explain" / "explain.json").read_text())
    assert {item["name"] for video in page["videos"] for item in video["predictions"]} <= set(sheet["candidates"])
    names = sorted(Path(path).name for path in sheet["files"])
    assert names == ["explain-reversed.png", "explain.html", "explain.json", "explain.png"]
    assert all(Path(path).parent == tmp_path / "report-explain" and Path(path).is_file() for path in sheet["files"])
    temporal = sheet["temporal_prompts"]
    assert len(temporal["prompts"]) == 3
    # Without temporal modelling a reversal mirrors every frame position exactly.
    assert temporal["best_frame"]["reversed"] == [7 - t for t in temporal["best_frame"]["original"]]
    assert temporal["mirrored"] == 1.0
    assert temporal["best_prompt"]["reversed"] == temporal["best_prompt"]["original"][::-1]
    per_frame = temporal["best_prompt"]["original"]
    assert len(per_frame) == 8 and all(0 <= n < 3 for n in per_frame)
    # These test prompts quote no phase text of the seeds: their place in the action is unknown.
    assert temporal["phase"] is None and temporal["order_correlation"] is None
    assert temporal["frame_order_correlation"] is None
    across = sheet["temporal_prompts_over_split"]
    unseen_videos = (synth_dir / "splits" / "zeroshot.csv").read_text().splitlines()
    assert across["split"] == "zeroshot" and across["videos"] == len(unseen_videos)
    assert across["mean_mirrored"] == 1.0
    assert page["notes"][0] == f"measured: {temporal['summary']}" and "3/3" in temporal["summary"]
    assert "explain sheet of" in result.output and "3/3" in result.output

    quiet = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "plain.json"), "--no-explain"])
    assert quiet.exit_code == 0, quiet.output
    assert "explain" not in json.loads((tmp_path / "plain.json").read_text())
    assert not (tmp_path / "plain-explain").exists()
