"""Designers from a script: closed-form designers, check_designer, registration that reaches
every worker, a figure of one's own sweep, scenario scripts of one's own, and provenance."""
import json
import pathlib
import re
import subprocess
import sys
import textwrap

import attrs
import numpy as np
import pytest

from fault_plugin import fault_plugin_in_this_process
from isacsim import Detector, TypeII, plugins, register
from isacsim.designers import ClosedFormDesigner, SDRDesigner
from isacsim.errors import InputError
from isacsim.evaluation import transmit_power
from isacsim.guard import run_designer
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import ConfigMismatch, Scheme, Simulation, run
from isacsim.testing import check_designer, small_problem

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture
def clean_registrations():
    """Leave no script registration behind."""
    yield
    plugins._REGISTERED.clear()
    plugins._GENERATION[0] += 1


class Isotropic(ClosedFormDesigner):
    """Matched-filter beams of a fixed power per user, plus the rest of the budget as isotropic sensing."""

    name, label = "isotropic", "Isotropic (test)"
    per_user_w = 1.0

    def beams(self, problem, receiver, detector):
        L, Nt = problem.n_bs, problem.n_tx
        own = problem.H[np.arange(L), np.arange(L)]
        w = np.sqrt(self.per_user_w) * own / np.linalg.norm(own, axis=-1, keepdims=True)
        rest = np.maximum(problem.p_max - self.per_user_w * problem.n_users_per_cell, 0.0)
        return w, rest[:, None, None] * np.eye(Nt) / Nt


# ------------------------------------------------------------- closed form
def test_a_closed_form_design_is_feasible_and_its_numbers_are_the_beams():
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6, sinr_target_db=-10.0)
    design = Isotropic().design(problem, TypeII(), Detector())
    assert design.status == "feasible" and design.ok and not design.reason
    sinr = TypeII().sinr(problem, design.w, design.R)
    assert np.all(sinr >= problem.gamma)
    np.testing.assert_allclose(transmit_power(design.w, design.R), problem.p_max, rtol=1e-12)  # the whole budget, as written
    assert design.certificate.objective == pytest.approx(Detector().reflected_power(problem, design.w, design.R).min(), rel=1e-12)
    assert np.isnan(design.certificate.bound)  # optimality is not claimed


def test_a_closed_form_design_over_budget_is_scaled_down_to_it_never_up():
    class Loud(Isotropic):
        name, per_user_w = "loud", 40.0  # 40 W a user, against 15 W a BS

    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6, sinr_target_db=-10.0)
    design = Loud().design(problem, TypeII(), Detector())
    assert design.status == "feasible" and design.certificate.repaired and "scaled down" in design.reason
    np.testing.assert_allclose(transmit_power(design.w, design.R), problem.p_max, rtol=1e-12)


def test_closed_form_beams_that_miss_targets_are_infeasible_naming_the_users():
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6, sinr_target_db=60.0)
    design = Isotropic().design(problem, TypeII(), Detector())
    assert design.status == "infeasible"
    assert "cell 0 user 0" in design.reason and "cell 2 user 0" in design.reason
    assert not np.any(design.w) and not np.any(design.R)


def test_closed_form_beams_of_the_wrong_shape_or_not_finite_are_the_designers_fault():
    class Short(Isotropic):
        name = "short"

        def beams(self, problem, receiver, detector):
            w, R = super().beams(problem, receiver, detector)
            return w[:, :, :-1], R

    class Broken(Isotropic):
        name = "broken"

        def beams(self, problem, receiver, detector):
            w, R = super().beams(problem, receiver, detector)
            return w * np.nan, R

    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
    with pytest.raises(ValueError, match=r"Short.beams: expected w of shape \(3, 1, 6\)"):
        Short().design(problem, TypeII(), Detector())
    design = Broken().design(problem, TypeII(), Detector())
    assert design.status == "error" and "finite" in design.reason


# ----------------------------------------------------------- check_designer
def test_check_designer_accepts_a_valid_heuristic_and_the_builtins_stay_optimal():
    check_designer(Isotropic)  # before: "expected status 'optimal' on a feasible problem, got 'infeasible'"


def test_check_designer_refuses_a_heuristic_that_claims_optimality():
    class Boastful(Isotropic):
        name = "boastful"

        def design(self, problem, receiver, detector):
            return attrs.evolve(super().design(problem, receiver, detector), status="optimal")

    with pytest.raises(AssertionError, match="claims status 'optimal', but isacsim's audit finds 'feasible'.*without a bound"):
        check_designer(Boastful)


def test_check_designer_compares_an_optimal_designer_with_picos():
    class Modest(SDRDesigner):
        """Transmits 10 % less than the optimum (the SINR targets still met), and certifies that as optimal."""

        name = "modest"

        def design(self, problem, receiver, detector):
            design = super().design(problem, receiver, detector)
            if self.solver.startswith("picos") or design.status != "optimal":
                return design
            lower = attrs.evolve(design, w=design.w * np.sqrt(0.9), R=design.R * 0.9)
            objective = lower.detector.reflected_power(problem, lower.w, lower.R).min()
            return attrs.evolve(lower, certificate=attrs.evolve(design.certificate, objective=objective, bound=objective))

    with pytest.raises(AssertionError, match="picos:cvxopt finds"):
        check_designer(Modest, seeds=(0,), sinr_target_db=-30.0)  # targets far from binding: 10 % less power still meets them


# ------------------------------------------------------------- registration
def test_register_validates_and_a_registered_designer_is_designed_isolated_and_audited(clean_registrations):
    with pytest.raises(InputError, match="needs a non-empty class attribute 'name'"):
        register(type("Nameless", (Isotropic,), {"name": ""}))
    with pytest.raises(InputError, match="none of design"):
        register(type("Nothing", (), {"name": "nothing"}))
    with pytest.raises(InputError, match="'sdr' is already registered by plugin 'isacsim'"):
        register(type("Impostor", (Isotropic,), {"name": "sdr"}))
    register(Isotropic)
    assert plugins.get_designer("isotropic") is Isotropic and plugins.designer_registry()["isotropic"][1] == __name__
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6, sinr_target_db=-10.0)
    design = run_designer(Isotropic(), problem, TypeII(), Detector())
    assert design.status == "feasible"
    louder = type("Isotropic", (Isotropic,), {"per_user_w": 2.0})
    register(louder)  # a notebook cell run again: the new class replaces the old
    assert plugins.get_designer("isotropic") is louder


SWEEP_SCRIPT = """
import sys

import numpy as np

import isacsim
from isacsim.designers import ClosedFormDesigner
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation, run


class Script(ClosedFormDesigner):
    name = "script-mrt"

    def beams(self, problem, receiver, detector):
        L, Nt = problem.n_bs, problem.n_tx
        own = problem.H[np.arange(L), np.arange(L)]
        gain = np.linalg.norm(own, axis=-1) ** 2
        power = 2 * problem.gamma * problem.sigma_c2 / gain
        leftover = np.maximum(problem.p_max - power.sum(axis=1), 0.0)
        return np.sqrt(power / gain)[..., None] * own, leftover[:, None, None] * np.eye(Nt) / Nt


isacsim.register(Script)

if __name__ == "__main__":
    out, scheduler = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    sweep = Simulation(config=ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2), x_values=(-10.0, 0.0),
                       schemes=(Scheme("script-mrt", "type-ii", True), Scheme("sdr", "type-ii", True)), n_realizations=2, seed=3)
    report = run(sweep, out, workers=2, scheduler=scheduler, progress=False)
    print(report.n_computed, report.n_failed)
"""


def _run_script(tmp_path, *args):
    (tmp_path / "sweep.py").write_text(textwrap.dedent(SWEEP_SCRIPT))
    done = subprocess.run([sys.executable, "sweep.py", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4", "0"], done.stdout + done.stderr
    return (tmp_path / args[0] / "summary.csv").read_text()


def test_a_script_registered_designer_runs_in_a_two_worker_sweep_and_on_dask(tmp_path):
    distributed = pytest.importorskip("distributed")
    forked = _run_script(tmp_path, "forked")
    assert ",script-mrt," in forked and ",2,0,2,0,0,0\n" in forked  # n_realizations, n_ok, n_feasible, ...: both feasible
    # The cluster's workers are started here, so only the tasks can bring them the script's designer.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = _run_script(tmp_path, "dask", cluster.scheduler_address)
    assert on_dask == forked


# ------------------------------------------------------------------ figures
def test_a_sweep_of_ones_own_gets_its_figure_from_one_call_with_the_designers_label(tmp_path, clean_registrations, monkeypatch):
    from isacsim import plotting
    from isacsim.figures import plot_report

    register(Isotropic)
    sweep = Simulation(config=ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2), x_name="n_tx",
                       x_values=(4, 6), schemes=(Scheme("isotropic", "type-ii", True), Scheme("sdr", "type-ii", False)),
                       n_realizations=1)
    report = run(sweep, tmp_path / "mine", workers=1, progress=False)
    drawn = []
    save = plotting.save_figure
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: (drawn.append(fig), save(fig, path)))
    path = plot_report(report, x_label="transmit antennas $N_t$")
    assert path == tmp_path / "mine" / "figure.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    legend = [text.get_text() for text in drawn[0].legends[0].get_texts()]
    assert legend == ["Proposed, Type-II", "Isotropic (test), Type-II"]
    assert [ax.get_xlabel() for ax in drawn[0].axes] == ["transmit antennas $N_t$"] * 2
    with pytest.raises(InputError, match="image_format"):
        plot_report(report, tmp_path / "figure.jpg")


OWN_FIGURE = """
from isacsim.cli import script
from isacsim.figures import CurveFigure
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import PAPER_SCHEMES, Simulation

FIGURE = CurveFigure(
    name="hex7-ntx",
    title="pD vs. Nt, seven hexagonal cells",
    simulation=Simulation(config=ScenarioConfig(n_cells=7, n_users_per_cell=1, points_per_side=2), x_name="n_tx",
                          x_values=(8, 12), schemes=PAPER_SCHEMES[:2], n_realizations=5),
    x_label="transmit antennas",
    quick={"n_realizations": 1},
)

if __name__ == "__main__":
    script(FIGURE)
"""


def test_a_scenario_script_of_ones_own_runs_through_the_shipped_entry_point(tmp_path):
    (tmp_path / "hex7_ntx.py").write_text(textwrap.dedent(OWN_FIGURE))
    command = [sys.executable, "hex7_ntx.py", "--quick", "--workers", "1", "--out", "out", "--quiet"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # before: "NAME: unknown name 'hex7-ntx'", exit 2
    assert (tmp_path / "out" / "hex7-ntx.png").stat().st_size > 0
    assert json.loads((tmp_path / "out" / "metadata.json").read_text())["figure"] == "hex7-ntx"


# --------------------------------------------------------------- provenance
@pytest.fixture
def versioned_plugin(tmp_path, monkeypatch):
    """The fault plugin (designing as the SDR) installed at a version the test sets."""
    yield from fault_plugin_in_this_process(tmp_path, monkeypatch)


def _tiny(*schemes):
    return Simulation(config=ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2), x_values=(5.0,),
                      schemes=schemes, n_realizations=1)


def test_a_changed_plugin_version_is_refused_on_resume(versioned_plugin, tmp_path):
    versioned_plugin(version="1.0")
    sweep = _tiny(Scheme("faulty", "type-ii", True))
    run(sweep, tmp_path / "run", workers=1, progress=False)
    metadata = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert metadata["plugins"]["faulty"] == {"distribution": "isacsim-fault-plugin", "version": "1.0"}
    parameters = metadata["description"]["schemes"][0]["designer_parameters"]
    assert parameters["solver"] == "structured" and parameters["options"] == {}
    assert run(_tiny(Scheme("faulty", "type-ii", True)), tmp_path / "run", workers=1, progress=False).n_resumed == 1

    versioned_plugin(version="2.0")
    with pytest.raises(ConfigMismatch, match=r"plugins\.faulty\.version: '1\.0' -> '2\.0'"):
        run(_tiny(Scheme("faulty", "type-ii", True)), tmp_path / "run", workers=1, progress=False)


def test_changed_designer_parameters_or_script_code_are_refused_on_resume(tmp_path, clean_registrations):
    @attrs.frozen
    class Tunable(Isotropic):
        name = "tunable"
        per_user_w: float = 1.0

    register(Tunable)
    run(_tiny(Scheme("tunable", "type-ii", True)), tmp_path / "run", workers=1, progress=False)

    @attrs.frozen
    class Tunable(Isotropic):  # noqa: F811 - the same designer, edited: another default
        name = "tunable"
        per_user_w: float = 2.0

    register(Tunable)
    with pytest.raises(ConfigMismatch, match=r"schemes\[0\]\.designer_parameters\.per_user_w: 1\.0 -> 2\.0"):
        run(_tiny(Scheme("tunable", "type-ii", True)), tmp_path / "run", workers=1, progress=False)


def test_an_edited_script_designer_is_refused_on_resume(tmp_path):
    (tmp_path / "sweep.py").write_text(textwrap.dedent(SWEEP_SCRIPT))
    first = subprocess.run([sys.executable, "sweep.py", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    edited = textwrap.dedent(SWEEP_SCRIPT).replace("power = 2 * problem.gamma", "power = 3 * problem.gamma")
    (tmp_path / "sweep.py").write_text(edited)
    second = subprocess.run([sys.executable, "sweep.py", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert second.returncode == 1 and "ConfigMismatch" in second.stderr
    assert "plugins.__main__.source_sha256" in second.stderr


# ------------------------------------------------------------------- README
def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _run_as_script(tmp_path, code):
    (tmp_path / "example.py").write_text(code)
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_readme_waveform_example_runs_as_printed(tmp_path):
    blocks = _python_blocks()
    waveform = next(block for block in blocks if "class Chirp" in block)
    check = "\nassert chirped.sensing == 'chirp' and chirped.method == 'streams'\nprint('ok')\n"
    assert _run_as_script(tmp_path, blocks[0] + waveform + check).stdout.strip().endswith("ok")


def test_readme_closed_form_designer_runs_as_printed_in_under_30_lines(tmp_path):
    example = next(block for block in _python_blocks() if "ClosedFormDesigner" in block)
    assert len(example.strip().splitlines()) < 30
    check = textwrap.dedent("""
        from isacsim.testing import small_problem
        from isacsim.guard import run_designer
        from isacsim import Detector, TypeI, TypeII
        problem = small_problem(seed=3, n_users_per_cell=1, n_tx=8, sinr_target_db=0.0)
        print(sorted({run_designer(MRT(), problem, r, Detector()).status for r in (TypeI(), TypeII())}))
    """)
    assert _run_as_script(tmp_path, example + check).stdout.strip() == "['feasible']"


def test_the_designer_guide_examples_run_and_pass_check_designer(tmp_path):
    guide = (ROOT / "docs" / "designers.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    closed_form = next(block for block in blocks if "class MRT" in block)
    optimal = next(block for block in blocks if "class RZF" in block)
    check = "\nfrom isacsim.testing import check_designer\ncheck_designer(RZF)\nprint('ok')\n"
    assert _run_as_script(tmp_path, closed_form + optimal + check).stdout.strip() == "ok"
