"""Datasets: every sample verified from its stored arrays, kill-and-resume with
bit-identical samples, a changed configuration refused, loading with NumPy alone."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from isacsim import cli
from isacsim.dataset import DatasetConfig, generate, load
from isacsim.designers import SDRDesigner
from isacsim.detection import Detector
from isacsim.receivers import TypeI
from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.simulation import ConfigMismatch

SMALL = ScenarioConfig(n_users_per_cell=2, n_tx=6, n_rx=6, points_per_side=2)


def small(**changes):
    fields = dict(n=10, scenario=SMALL, designer="sdr", receiver="type-i", synchronized=True, sinr_db=10.0, seed=3, shard_size=4)
    fields.update(changes)
    return DatasetConfig(**fields)


def independent_check(data, synchronized=True, leakage=1.0):
    """SINR, power, PSD and reflected power of every sample, from the loaded arrays and the paper's equations alone."""
    H, A, G, w, R = data["H"], data["A"], data["G"], data["w"], data["R"]
    amplitude = np.einsum("slmkn,slin->slimk", H.conj(), w)  # beam (l, i) at user (m, k)
    received = np.abs(amplitude) ** 2
    n_bs, n_users = w.shape[1], w.shape[2]
    cells, users = np.arange(n_bs)[:, None], np.arange(n_users)[None, :]
    signal_power = received[:, cells, users, cells, users]
    leak = np.einsum("slmkn,slnp,slmkp->smk", H.conj(), R, H).real
    sinr = signal_power / (received.sum(axis=(1, 2)) - signal_power + leakage * leak + data["sigma_c2"][:, None, None])
    power = (np.abs(w) ** 2).sum(axis=(2, 3)) + np.einsum("slnn->sl", R).real
    link = G.sum(axis=2) if synchronized else np.diagonal(G, axis1=2, axis2=3)  # c[q, l] = sum_m G[q, m, l]
    gains = (np.abs(np.einsum("sqln,slin->sqli", A, w)) ** 2).sum(axis=3) + np.einsum("sqln,slnp,sqlp->sql", A, R, A.conj()).real
    reflected = data["n_rx"][:, None] * (link * gains).sum(axis=2)
    min_eig = np.linalg.eigvalsh(R).min(axis=(1, 2))
    return sinr, power, reflected, min_eig


def test_every_sample_is_verified_from_its_stored_arrays(tmp_path):
    config = small()
    report = generate(config, tmp_path / "ds", workers=1, progress=False)
    assert report.complete and report.n_computed == 10 and report.statuses == {"optimal": 10}
    data = load(tmp_path / "ds")
    assert list(data["index"]) == list(range(10)) and data["H"].shape == (10, 3, 3, 2, 6) and data["w"].shape == (10, 3, 2, 6)
    sinr, power, reflected, min_eig = independent_check(data)
    assert np.all(data["status"] == "optimal")
    assert np.all(sinr >= data["gamma"] * (1 - 1e-6)) and np.allclose(data["gamma"], 10.0)
    assert np.all(power <= data["p_max"] * (1 + 1e-6)) and np.all(min_eig >= -1e-9 * data["p_max"].max())
    np.testing.assert_allclose(reflected, data["reflected_power_w"], rtol=1e-9)
    np.testing.assert_allclose(reflected.min(axis=1), data["objective_w"], rtol=1e-9)
    assert np.all(data["objective_w"] <= data["bound_w"] * (1 + 1e-6))  # the certified bound caps every design
    np.testing.assert_allclose(data["max_sinr_violation"], np.maximum(0, ((data["gamma"] - sinr) / data["gamma"]).max(axis=(1, 2))), atol=1e-9)


def test_a_sample_is_the_scenarios_realization_and_its_design_alone(tmp_path):
    generate(small(n=3), tmp_path / "ds", workers=1, progress=False)
    data = load(tmp_path / "ds")
    problem = SMALL.evolve(sinr_target_db=10.0).build(realization_rng(3, 2))
    assert np.array_equal(data["H"][2], problem.H) and np.array_equal(data["A"][2], problem.A) and np.array_equal(data["G"][2], problem.G)
    design = SDRDesigner().design(problem, TypeI(), Detector(synchronized=True))
    assert np.array_equal(data["w"][2], design.w) and np.array_equal(data["R"][2], design.R)
    assert data["bound_w"][2] == design.certificate.bound and data["iterations"][2] == design.certificate.iterations


def test_sinr_targets_drawn_from_a_range_are_per_user_seeded_and_inside_it(tmp_path):
    generate(small(sinr_db="5:20"), tmp_path / "a", workers=1, progress=False)
    generate(small(sinr_db=(5, 20), shard_size=3), tmp_path / "b", workers=2, progress=False)
    a, b = load(tmp_path / "a"), load(tmp_path / "b")
    targets_db = 10 * np.log10(a["gamma"])
    assert np.all((targets_db >= 5) & (targets_db <= 20)) and np.unique(targets_db).size == targets_db.size
    assert np.array_equal(a["gamma"], b["gamma"]) and np.array_equal(a["w"], b["w"])  # neither shards nor workers change a sample
    sinr = independent_check(a)[0]
    ok = a["status"] == "optimal"
    assert ok.sum() >= 5 and np.all(sinr[ok] >= a["gamma"][ok] * (1 - 1e-6))


_KILLABLE = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from isacsim.dataset import generate, job
    from test_dataset import small

    original = job.DatasetConfig.run_task
    def slow(self, task):
        time.sleep(0.4)  # leave time to be killed between shards
        return original(self, task)
    job.DatasetConfig.run_task = slow
    generate(small(n=16, shard_size=2), {out!r}, workers=1, progress=False)
    """
)


def _shards_done(directory):
    try:
        return len(json.loads((directory / "dataset.json").read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0


def test_a_killed_run_resumes_with_bit_identical_samples(tmp_path):
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-c", _KILLABLE.format(tests=os.path.dirname(__file__), out=str(out))])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _shards_done(out) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = _shards_done(out)
    assert 2 <= done < 8, "the run must be stopped midway"
    with pytest.raises(ValueError, match="unfinished"):
        load(out)
    assert load(out, partial=True)["index"].size == 2 * done
    (out / "shard-00000.npz").write_bytes(b"damaged")  # a damaged shard is recomputed, not trusted
    resumed = generate(small(n=16, shard_size=2), out, workers=2, progress=False)
    assert resumed.complete and resumed.n_resumed == 2 * (done - 1) and resumed.n_computed == 16 - 2 * (done - 1)
    generate(small(n=16, shard_size=2), tmp_path / "clean", workers=1, progress=False)
    killed, clean = load(out), load(tmp_path / "clean")
    assert killed.keys() == clean.keys()
    for name in clean:
        assert killed[name].dtype == clean[name].dtype and killed[name].tobytes() == clean[name].tobytes(), name


def test_a_changed_configuration_is_refused(tmp_path, capsys):
    generate(small(n=2), tmp_path / "ds", workers=1, progress=False)
    with pytest.raises(ConfigMismatch, match="seed: 3 -> 4"):
        generate(small(n=2, seed=4), tmp_path / "ds", workers=1, progress=False)
    with pytest.raises(ConfigMismatch, match="designer: 'sdr' -> 'zf'"):
        generate(small(n=2, designer="ZF"), tmp_path / "ds", workers=1, progress=False)
    again = generate(small(n=2), tmp_path / "ds", workers=1, progress=False)
    assert (again.n_computed, again.n_resumed) == (0, 2)


def test_the_command_writes_resumes_and_refuses(tmp_path, capsys):
    out = str(tmp_path / "ds")
    argv = ["dataset", "--n", "6", "--out", out, "--antennas", "4", "--shard-size", "4", "--workers", "2", "--receiver", "Type-I", "--no-sync"]
    assert cli.main(argv) == cli.EXIT_OK
    assert "6 samples (6 computed, 0 resumed; 6 optimal)" in capsys.readouterr().out
    assert cli.main(argv) == cli.EXIT_OK
    assert "(0 computed, 6 resumed" in capsys.readouterr().out
    data = load(out)
    sinr, power, reflected, _ = independent_check(data, synchronized=False)
    assert np.all(sinr >= data["gamma"] * (1 - 1e-6)) and np.allclose(reflected.min(axis=1), data["objective_w"], rtol=1e-9)
    assert cli.main([*argv[:-1], "--sync"]) == cli.EXIT_USAGE
    assert "holds a dataset of a different configuration (synchronized: False -> True)" in capsys.readouterr().err
    for bad in (["--n", "0"], ["--cells", "4"], ["--sinr-db", "20:5"], ["--designer", "nope"]):
        assert cli.main(["dataset", "--n", "3", "--out", str(tmp_path / "bad"), *bad]) == cli.EXIT_USAGE
        assert capsys.readouterr().err.count("\n") == 1


def test_loading_needs_numpy_alone(tmp_path):
    generate(small(n=3), tmp_path / "ds", workers=1, progress=False)
    script = f"import sys, isacsim.dataset as d; data = d.load({str(tmp_path / 'ds')!r}); " \
             "print(data['w'].shape, sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('scipy', 'picos', 'cvxopt')))"
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "(3, 3, 2, 6) []"
    # the format itself: the manifest names each shard, numpy.load reads it
    manifest = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    with np.load(tmp_path / "ds" / manifest["shards"]["0"]["file"]) as shard:
        assert set(shard.files) == set(manifest["fields"]) and shard["w"].shape == (3, 3, 2, 6)


def test_a_failing_sample_fails_its_shard_only_and_a_rerun_retries_it(tmp_path, monkeypatch):
    original_design = SDRDesigner.design
    broken = small().problem(5).H  # the designer trips over sample 5 while BREAK_SAMPLE is set

    def design(self, problem, receiver, detector):
        if os.environ.get("BREAK_SAMPLE") and np.array_equal(problem.H, broken):
            raise RuntimeError("simulated designer bug")
        return original_design(self, problem, receiver, detector)

    monkeypatch.setattr(SDRDesigner, "design", design)
    monkeypatch.setenv("BREAK_SAMPLE", "1")
    report = generate(small(), tmp_path / "ds", workers=1, progress=False)
    assert not report.complete and report.n_computed == 6  # shard 1 (samples 4-7) is not written
    assert [(group.cause, group.count) for group in report.failures] == [("RuntimeError", 1)]
    assert "simulated designer bug" in report.failures[0].first
    assert not (tmp_path / "ds" / "shard-00001.npz").exists() and load(tmp_path / "ds", partial=True)["index"].size == 6
    monkeypatch.delenv("BREAK_SAMPLE")
    again = generate(small(), tmp_path / "ds", workers=1, progress=False)
    assert again.complete and again.n_computed == 4 and again.statuses == {"optimal": 10}


DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "datasets.md")


def test_the_documented_format_is_the_written_one(tmp_path):
    import re

    from isacsim.dataset import FIELDS

    text = open(DOCS).read()
    documented = re.findall(r"^\| `(\w+)` \| (\w+) \| \(([^)]*)\) \|", text, flags=re.M)
    assert [name for name, _, _ in documented] == list(FIELDS)
    for name, dtype, shape in documented:
        assert (dtype, f"({shape})") == FIELDS[name][:2]
    generate(small(n=5), tmp_path / "ds", workers=1, progress=False)
    snippet = re.findall(r"```python\n(.*?)```", text, flags=re.S)[-1]  # the NumPy-only loader
    namespace = {}
    exec(snippet.replace('"data/paper-k3"', repr(str(tmp_path / "ds"))), namespace)  # noqa: S102 - our own documentation
    expected = load(tmp_path / "ds")
    assert namespace["data"].keys() == expected.keys()
    assert all(np.array_equal(namespace["data"][k], expected[k]) for k in expected if expected[k].dtype.kind != "f")
