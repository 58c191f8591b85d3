"""The README's examples run, and the benchmark prints its table."""
import pathlib
import re

from isacsim.bench import CASES, run_benchmark

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
