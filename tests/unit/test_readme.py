"""README.md opens with the two commands, and .ci/run runs exactly the README's test command."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return handle.read()


def _commands(text):
    return [line.strip() for line in text.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_opens_with_the_serve_and_test_commands():
    first, second = _commands(_read("README.md"))[:2]
    assert "requirements.txt" in first and "lrs serve" in first
    assert "requirements-dev.txt" in second and "pytest" in second


def test_ci_runs_the_readme_test_command():
    test_command = _commands(_read("README.md"))[1]
    ci_lines = [line.strip() for line in _read(".ci/run").splitlines()]
    assert test_command in ci_lines
