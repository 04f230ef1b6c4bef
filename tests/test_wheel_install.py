"""The built wheel works without the repository: seeds, class lists and protocols come from package data.

The wheel is installed `--no-deps` into a fresh venv outside the checkout; the dependencies already
installed next to the running interpreter are made visible by a plain path line in a `.pth` file (which
does not run that site-packages' own `.pth` files, so the editable checkout stays invisible).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.patience import patience

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=patience())
    assert result.returncode == 0, f"{argv}: {result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ASKG_SEEDS_DIR", "STDD_GRAPH_SEEDS")}
    env["HOME"] = str(root / "home")
    run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(root / "dist")], root, env)
    wheel = next((root / "dist").glob("stdd_toolkit-*.whl"))
    venv.create(root / "venv", with_pip=False)
    python = root / "venv" / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(run([str(python), "-c", purelib], root, env).strip())
    (site / "zz_reused_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], root, env)
    work = root / "empty"
    work.mkdir()
    return python, work, env


def test_the_wheel_holds_every_seed_file(installed: tuple[Path, Path, dict[str, str]]) -> None:
    python, _, _ = installed
    wheel = next((python.parents[2] / "dist").glob("stdd_toolkit-*.whl"))
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("graph_seeds/")}
    in_repo = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "graph_seeds").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert in_repo and in_repo <= shipped, sorted(in_repo - shipped)


def test_the_wheel_ships_the_seeds_and_builds_k600_offline(installed: tuple[Path, Path, dict[str, str]]) -> None:
    python, work, env = installed
    located = run([str(python), "-c", "import askg, graph_seeds; print(askg.__file__); print(graph_seeds.seeds_dir())"],
                  work, env).split()
    assert all(str(REPO) not in path for path in located)  # really the installed copy
    askg = [str(python.parent / "askg"), "--store", str(work / "g.json")]
    summary = run([*askg, "build", "--classes", "k600", "--json"], work, env)
    assert "600" in summary
    run([*askg, "export-prompts", "--dataset", "k600", "--out", str(work / "prompts.json")], work, env)
    assert (work / "prompts.json").stat().st_size > 0


def test_the_installed_protocols_resolve_their_class_lists(installed: tuple[Path, Path, dict[str, str]]) -> None:
    python, work, env = installed
    code = (
        "from model.dataset_protocols import get_protocol\n"
        "for name in ('ucf101', 'hmdb51', 'k600'):\n"
        "    p = get_protocol(name)\n"
        "    for i in range(1, p.split_count + 1):\n"
        "        f = p.class_list_file(i)\n"
        "        print(name, i, len(f.read_text().split(chr(10))), f)\n"
    )
    lines = run([str(python), "-c", code], work, env).splitlines()
    assert len(lines) == 9
    assert all(str(REPO) not in line for line in lines)
    counts = {(line.split()[0], line.split()[1]): int(line.split()[2]) for line in lines}
    assert counts[("ucf101", "1")] >= 101 and counts[("hmdb51", "1")] >= 51 and counts[("k600", "1")] >= 160
