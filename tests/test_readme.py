"""The README tells the truth: its permission table is the policy's, its commands are CI's."""

from __future__ import annotations

from pathlib import Path

from backend.cases.actions import CASE_ACTIONS
from backend.cases.workflow import WORKFLOW_END, WORKFLOW_START, actions_markdown
from backend.disputes.actions import DISPUTE_ACTIONS
from backend.identity.models import Role
from rbac.default_policy import default_rules
from rbac.enforcer import one_of
from rbac.matrix import END, START, matrix_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_permission_matrix_in_the_readme_is_generated_from_the_policy():
    shown = README[README.index(START): README.index(END) + len(END)]
    assert shown == matrix_markdown(), "run: gridlink policy matrix --write README.md"


def test_the_workflow_table_in_the_readme_is_generated_from_the_action_table():
    shown = README[README.index(WORKFLOW_START): README.index(WORKFLOW_END) + len(WORKFLOW_END)]
    assert shown == actions_markdown(), "run: gridlink policy matrix --write README.md"


def test_the_default_policy_grants_each_case_action_to_whom_the_action_table_says():
    rules = [(role, obj, act) for role, obj, act in default_rules() if role != Role.admin.value]
    for name, action in CASE_ACTIONS.items():
        granted = {role for role, obj, act in rules if one_of("cases", obj) and one_of(name, act)}
        assert granted == {role.value for role in action.who}, name


def test_the_default_policy_grants_each_dispute_action_to_whom_the_action_table_says():
    rules = [(role, obj, act) for role, obj, act in default_rules() if role != Role.admin.value]
    for name, action in DISPUTE_ACTIONS.items():
        granted = {role for role, obj, act in rules
                   if one_of("disputes", obj) and one_of(name, act)}
        assert granted == {role.value for role in action.who}, name


def test_ci_runs_the_readmes_test_command():
    test_command = next(line for line in README.splitlines() if "pytest" in line
                        and line.startswith("python3 -m venv"))
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
