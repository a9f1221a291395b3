"""The README's two commands exist and do what the README says; CI calls the test command."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _dry_run(target: str) -> str:
    result = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_names_exactly_the_two_setup_commands():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_demo_installs_then_runs_quantis_up():
    steps = _dry_run("demo")
    assert "scripts/bootstrap.sh" in steps
    assert ".venv/bin/quantis up" in steps


def test_test_command_installs_then_runs_pytest_and_ci_calls_it():
    assert "scripts/test.sh" in _dry_run("test")
    script = (REPO / "scripts" / "test.sh").read_text()
    assert "scripts/bootstrap.sh" in script and "pytest" in script
    assert "make test" in (REPO / ".ci" / "run").read_text()
