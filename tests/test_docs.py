"""The README's examples run, and the benchmark prints its table."""
import pathlib
import re

from isacsim.bench.paper import CASES, run_benchmark

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has a Python example"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["design"].status == "optimal"
    assert 0.0 <= namespace["check"].p_d.min() <= 1.0


def test_readme_opens_with_two_commands():
    first = re.search(r"```sh\n(.*?)```", README.read_text(), flags=re.S).group(1).strip().splitlines()
    assert len(first) == 2
    assert "reproduce" in first[0] and "pytest" in first[1]


def test_bench_prints_every_case():
    lines = []
    run_benchmark(n_instances=1, print_line=lines.append)
    table = "\n".join(lines)
    for n_users, n_tx, _ in CASES:
        assert f"K={n_users}, Nt={n_tx}" in table
    assert "peak memory" in table and "4 optimal | 4 optimal" in table


ROOT = README.parent
#: Tour commands too long for a test: their arguments are checked, not run.
PARSED_ONLY = ("reproduce fig8", "bench")


def _shell_commands():
    """Every command of the README's shell blocks after the set-up block, comments removed."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)[1:]
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_commands_run_as_printed_after_the_set_up(tmp_path):
    import subprocess

    from isacsim.cli import build_parser

    commands = _shell_commands()
    assert len(commands) >= 5
    for command in commands:
        program, *args = command.split()
        assert program.startswith(".venv/bin/"), f"{command!r} needs an activated environment"
        assert (ROOT / program).exists(), f"{program} does not exist after the set-up commands"
        if " ".join(args).startswith(PARSED_ONLY):
            build_parser().parse_args(args)
            continue
        done = subprocess.run([str(ROOT / program), *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command!r} exited with {done.returncode}: {done.stderr}"


def test_inline_commands_use_the_environment_of_the_set_up():
    inline = re.findall(r"`((?:pip|python|python3|dask|pytest) [^`]*)`", README.read_text())
    assert not inline, f"inline commands without .venv/bin/: {inline}"
