"""The documentation site builds with warnings as errors; its tutorials run; CITATION.cff is valid."""
import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _tutorial(name):
    spec = importlib.util.spec_from_file_location(f"tutorial_{name}", DOCS / "tutorials" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_site_builds_with_warnings_as_errors():
    """The README's command, as printed: every page, the generated CLI reference and gallery."""
    pytest.importorskip("sphinx")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "docs", "docs/_build/html"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    html = DOCS / "_build" / "html"
    cli = (html / "_generated" / "cli.html").read_text()
    from isacsim.cli import build_parser

    commands = next(a.choices for a in build_parser()._actions if hasattr(a, "choices") and a.choices and "solve" in a.choices)
    for command in commands:  # every subcommand, as the code defines them, is in the reference
        assert f"isacsim {command}" in cli
    gallery = (html / "_generated" / "gallery.html").read_text()
    from isacsim.reproduce import available

    for name in available():  # every study has its figure, computed at build time
        assert f"gallery/{name}.png" in gallery.replace("_images/", "gallery/")
        assert (DOCS / "_generated" / "gallery" / f"{name}.png").stat().st_size > 10_000
    model = (html / "model.html").read_text()
    for equation in ("(3)", "(4)", "(20)", "(26)", "(28)", "(36)", "(44)", "(45)"):
        assert equation in model


def test_every_function_the_model_page_maps_an_equation_to_exists():
    text = (DOCS / "model.md").read_text()
    targets = re.findall(r"\{(?:func|meth|class|mod|attr)\}`(?:[^`<]*<)?~?([\w.]+)>?`", text)
    assert len(targets) > 30
    for target in set(targets):
        module_name, _, rest = target, "", ""
        parts = target.split(".")
        for split in range(len(parts), 0, -1):  # the longest importable module prefix, then attributes
            try:
                obj = __import__(".".join(parts[:split]), fromlist=["_"])
            except ImportError:
                continue
            for attribute in parts[split:]:
                obj = getattr(obj, attribute)
            break
        else:
            raise AssertionError(f"{target} does not exist")


def test_first_design_tutorial_meets_every_target_and_simulation_agrees(tmp_path, capsys):
    import numpy as np

    design, evaluation, sinr_db, check = _tutorial("first_design").main(tmp_path)
    assert design.status == "optimal" and np.all(sinr_db >= 20.0 - 1e-5)
    # The Monte Carlo p_D at the worst point within 4 standard errors of the closed form (2000 trials).
    worst = int(np.argmin(evaluation.detection_probability))
    p = evaluation.detection_probability[worst]
    assert abs(check.p_d[worst] - p) < 4 * np.sqrt(p * (1 - p) / 2000)
    assert (tmp_path / "design.npz").exists()
    assert "optimal" in capsys.readouterr().out


def test_own_scenario_tutorial_draws_its_figure(tmp_path):
    report, figure = _tutorial("own_scenario").main(tmp_path / "antennas")
    assert not report.failures and figure.stat().st_size > 10_000
    assert {float(row["x"]) for row in report.summary} == {16.0, 24.0, 32.0}


def test_own_waveform_tutorial_runs_with_a_class_not_registered_by_name():
    result, gaussian, worst = _tutorial("own_waveform").main(n_symbols=64, n_trials=500)
    assert result.p_d().shape == gaussian.p_d().shape and 0 <= worst < result.p_d().size


def test_citation_file_is_valid_cff_and_cites_the_paper():
    if shutil.which("cffconvert") is None and not (pathlib.Path(sys.executable).parent / "cffconvert").exists():
        pytest.skip("cffconvert is not installed (the test extra installs it)")
    executable = shutil.which("cffconvert") or str(pathlib.Path(sys.executable).parent / "cffconvert")
    done = subprocess.run([executable, "--validate", "-i", str(ROOT / "CITATION.cff")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    import yaml

    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    from isacsim import __version__

    assert citation["version"] == __version__
    paper = citation["references"][0]
    assert [a["family-names"] for a in paper["authors"]] == ["Cheng", "Fang", "Xu", "Ng"]
    assert paper["title"] == "Optimal Coordinated Transmit Beamforming for Networked Integrated Sensing and Communications"
    assert paper["journal"] == "IEEE Transactions on Wireless Communications" and paper["year"] == 2024


def test_nothing_refers_to_documents_outside_the_repository():
    pattern = re.compile(r"MODEL-NOTES|model notes|issue \d+|/work/shared", re.IGNORECASE)
    files = [ROOT / "README.md", ROOT / "scenarios" / "REPRODUCTION.md", ROOT / "CHANGELOG.md", *DOCS.glob("**/*.md"),
             *ROOT.glob("isacsim/**/*.py"), *ROOT.glob("scenarios/*.py"), *ROOT.glob("plugins/*/*/*.py")]
    offenders = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in files if "_build" not in path.parts
                 and "_generated" not in path.parts for match in pattern.finditer(path.read_text())]
    assert not offenders, offenders
