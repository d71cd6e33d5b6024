"""The README tells the truth: its permission table is the policy's, its commands are CI's."""

from __future__ import annotations

from pathlib import Path

from rbac.matrix import END, START, matrix_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_permission_matrix_in_the_readme_is_generated_from_the_policy():
    shown = README[README.index(START): README.index(END) + len(END)]
    assert shown == matrix_markdown(), "run: gridlink policy matrix --write README.md"


def test_ci_runs_the_readmes_test_command():
    test_command = next(line for line in README.splitlines() if "pytest" in line
                        and line.startswith("python3 -m venv"))
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
