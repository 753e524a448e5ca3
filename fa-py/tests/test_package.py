"""The package as users get it: the examples run, the stubs match the native module
(``mypy.stubtest``), and the package and examples type-check under ``mypy --strict``."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "python"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list, cwd: Path, env: Dict[str, str] = {}) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env={**os.environ, **env}, capture_output=True,
        text=True, timeout=300,
    )


def test_the_ten_line_example_sets_a_reminder_offline(tmp_path: Path) -> None:
    source = (EXAMPLES / "hello.py").read_text()
    assert len([line for line in source.splitlines() if line.strip()]) <= 10
    done = run([str(EXAMPLES / "hello.py")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"Reminder set for \w{3} \d{1,2} \w{3} 09:00 \(Europe/Berlin\): call grandma\n", done.stdout)
    assert (tmp_path / "hello.db").exists()


def test_the_custom_tool_example_confirms_then_adds(tmp_path: Path) -> None:
    done = run([str(EXAMPLES / "custom_tool.py")], tmp_path, {"OLLAMA_HOST": f"127.0.0.1:{closed_port()}"})
    assert done.returncode == 0, done.stderr
    assert "confirm?  Add 2 × oat milk to the list" in done.stdout
    assert "oat milk: 2 on the list" in done.stdout
    assert done.stdout.rstrip().endswith("assistant: The list has 2 × oat milk.")


def test_the_daily_digest_example_sends_the_mornings_digest(tmp_path: Path) -> None:
    done = run([str(EXAMPLES / "daily_digest.py"), "--demo"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Good morning, Ana! Today:\n• 10:00 dentist at 10:30\n• habit: Stretch\n"


def test_the_shop_example_routes_amazons_examples_to_the_right_members(tmp_path: Path) -> None:
    done = run([str(EXAMPLES / "shop_notifications.py"), "--demo"], tmp_path)
    assert done.returncode == 0, done.stderr
    first, *messages = done.stdout.splitlines()
    assert first == "routed 2 events into 3 messages"
    assert sorted(messages) == [
        "to Ana: 🏷️ Listing NLS-SHOES-03: BUYABLE, DISCOVERABLE",
        "to Ana: 📦 Amazon shipment DrLqQwqvb for order 113-2646096-4474645: Created",
        "to Ben: 📦 Amazon shipment DrLqQwqvb for order 113-2646096-4474645: Created",
    ]


def test_the_stubs_match_the_native_module() -> None:
    done = run(["-m", "mypy.stubtest", "family_assistant._native"], ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout


def test_the_package_and_the_examples_type_check_strictly(tmp_path: Path) -> None:
    # The package by name, as it is installed (a site-packages path as a file argument would
    # make mypy treat all of site-packages as sources); then the examples, which import it.
    for target in (["-p", "family_assistant"], [str(EXAMPLES)]):
        done = run(["-m", "mypy", "--strict", "--cache-dir", str(tmp_path), *target], tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("Success: no issues found")
