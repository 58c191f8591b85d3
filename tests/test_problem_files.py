"""Malformed .npz problem files through the real command line: every one exits
2 with one line on stderr; none exits 1, hangs, or uses more than 1 GiB.

Files that lie about their sizes run in a subprocess limited to 1 GiB of
address space, so that a regression fails the test instead of the machine.
"""
import io
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npy_format

from isacsim import DesignProblem
from isacsim.cli import main
from isacsim.npzfile import DEFAULT_MAX_BYTES, MAX_BYTES_ENV
from isacsim.problem import ARRAY_KEYS
from isacsim.testing import small_problem

REFERENCE = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
VALID = REFERENCE.to_arrays()
COMPLEX_KEYS = ("H", "A")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Hang(BaseException):
    """Raised by the alarm: the command did not finish in time."""


def solve(path, capsys, seconds=20):
    """``isacsim solve path`` in this process: (exit code, stderr)."""

    def hang(signum, frame):
        raise Hang(f"isacsim solve {path} still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        code = main(["solve", str(path)])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, capsys.readouterr().err


def assert_one_line_exit_2(code, err):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("isacsim: error: ") and "Traceback" not in err, err


# ----------------------------------------------------------------- content
def npy(array, declared_shape=None):
    """The .npy bytes of ``array`` (pickled if it holds objects), optionally with a header declaring another shape."""
    array = np.asarray(array)
    buffer = io.BytesIO()
    if declared_shape is None:
        np.save(buffer, array, allow_pickle=array.dtype == object)
        return buffer.getvalue()
    header = {"shape": tuple(declared_shape), "fortran_order": False, "descr": npy_format.dtype_to_descr(array.dtype)}
    npy_format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + array.tobytes()


def npz(members, compression=zipfile.ZIP_STORED):
    """Zip ``{name: bytes}`` like np.savez does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def valid_members():
    return {f"{key}.npy": npy(value) for key, value in VALID.items()}


@st.composite
def wrong_shapes(draw):
    key = draw(st.sampled_from(ARRAY_KEYS))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=5)))
    assume(shape != np.shape(VALID[key]))
    return {key: np.ones(shape, dtype=np.asarray(VALID[key]).dtype)}


@st.composite
def wrong_dtypes(draw):
    key = draw(st.sampled_from(ARRAY_KEYS))
    shape = np.shape(VALID[key])
    makers = {
        "bool": lambda: np.ones(shape, dtype=bool),
        "object": lambda: np.full(shape, None, dtype=object),
        "text": lambda: np.full(shape, "1.0"),
        "datetime": lambda: np.full(shape, np.datetime64("2024-01-01")),
    }
    if key not in COMPLEX_KEYS:
        makers["complex"] = lambda: np.asarray(VALID[key]) * (1 + 1j)  # a real field with imaginary parts
    return {key: makers[draw(st.sampled_from(sorted(makers)))]()}


@st.composite
def non_finite(draw):
    key = draw(st.sampled_from(ARRAY_KEYS))
    value = np.array(VALID[key], dtype=complex if key in COMPLEX_KEYS else float)
    flat = value.reshape(-1)
    flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return {key: value}


@st.composite
def missing_keys(draw):
    return {draw(st.sampled_from(ARRAY_KEYS)): None}


@st.composite
def broken_archives(draw):
    """The bytes of an .npz with one bad array (shape, dtype, non-finite value or missing key)."""
    change = draw(st.one_of(wrong_shapes(), wrong_dtypes(), non_finite(), missing_keys()))
    members = valid_members()
    for key, value in change.items():
        members.pop(f"{key}.npy")
        if value is not None:
            members[f"{key}.npy"] = npy(value)
    return npz(members, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))


@st.composite
def broken_bytes(draw):
    """Truncated archives, random bytes, text: not an archive at all."""
    whole = npz(valid_members(), draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))
    return draw(st.one_of(
        st.integers(0, len(whole) - 1).map(lambda n: whole[:n]),
        st.binary(max_size=2000),
        st.text(max_size=200).map(str.encode),
        st.binary(min_size=1, max_size=200).map(lambda tail: b"PK\x03\x04" + tail),
    ))


@FUZZ
@given(content=st.one_of(broken_archives(), broken_bytes()))
def test_malformed_problem_files_exit_2_with_one_line(tmp_path_factory, capsys, content):
    path = tmp_path_factory.mktemp("fuzz") / "problem.npz"
    path.write_bytes(content)
    assert_one_line_exit_2(*solve(path, capsys))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 10**6), mask=st.integers(1, 255))
def test_a_flipped_byte_is_refused_or_changes_nothing(tmp_path_factory, capsys, position, mask):
    whole = bytearray(npz(valid_members()))
    whole[position % len(whole)] ^= mask
    path = tmp_path_factory.mktemp("flip") / "problem.npz"
    path.write_bytes(bytes(whole))
    code, err = solve(path, capsys)
    if code == 2:
        assert_one_line_exit_2(code, err)
    else:  # a byte the zip format does not check (a date, say): the data are protected by their CRC
        assert code == 0 and err == "" and DesignProblem.load(path) == REFERENCE


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_special_files_are_refused_without_opening_them(tmp_path, capsys, kind):
    path = {"fifo": tmp_path / "problem.npz", "directory": tmp_path, "device": "/dev/zero"}[kind]
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block until a writer came
    code, err = solve(path, capsys, seconds=10)
    assert_one_line_exit_2(code, err)
    assert "not a regular file" in err


def test_a_valid_file_still_loads_and_solves(tmp_path, capsys):
    path = tmp_path / "problem.npz"
    assert main(["problem", "--out", str(path), "--nt", "6", "--users", "1"]) == 0
    with np.load(path) as archive:  # numpy's own reader sees what DesignProblem.load sees
        expected = {key: archive[key] for key in archive.files}
    loaded = DesignProblem.load(path)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(np.asarray(getattr(loaded, key)), expected[key])
    capsys.readouterr()
    code, err = solve(path, capsys)
    assert code == 0 and err == ""
    fortran = tmp_path / "fortran.npz"  # Fortran order and big-endian data are legitimate
    np.savez_compressed(fortran, **{**VALID, "H": np.asfortranarray(VALID["H"]), "G": np.asarray(VALID["G"], dtype=">f8")})
    assert DesignProblem.load(fortran) == REFERENCE


def test_the_default_limit_fits_the_largest_studied_network():
    L, K, Nt, Q = 19, 8, 128, 4000
    complex_bytes, float_bytes = 16, 8
    needed = complex_bytes * (L * L * K * Nt + Q * L * Nt) + float_bytes * (Q * L * L + L * K + L + 3)
    assert needed < DEFAULT_MAX_BYTES <= 2**30


def test_the_limit_is_configurable(tmp_path, capsys, monkeypatch):
    path = tmp_path / "problem.npz"
    REFERENCE.save(path)
    monkeypatch.setenv(MAX_BYTES_ENV, "1000")
    code, err = solve(path, capsys)
    assert_one_line_exit_2(code, err)
    assert MAX_BYTES_ENV in err and str(path) in err
    monkeypatch.setenv(MAX_BYTES_ENV, "lots")
    code, err = solve(path, capsys)
    assert_one_line_exit_2(code, err)
    assert err.startswith(f"isacsim: error: {MAX_BYTES_ENV}: ")


# ------------------------------------------------------ files that lie
LIMITED_RUN = textwrap.dedent(
    """
    import contextlib, io, json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
    from isacsim.cli import main
    results = []
    for path in ["/nonexistent-warm-up"] + sys.argv[1:]:
        err = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["solve", path])
        results.append({"path": path, "code": code, "err": err.getvalue(), "seconds": time.monotonic() - started})
    print(json.dumps({"results": results[1:], "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)


def run_limited(paths):
    """Solve every file in one fresh process capped at 1 GiB of address space."""
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    environment.pop(MAX_BYTES_ENV, None)
    result = subprocess.run([sys.executable, "-c", LIMITED_RUN, *map(str, paths)], capture_output=True, text=True, timeout=120, env=environment)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["max_rss_kib"] < 2**20
    return report["results"]


def assert_refused_fast(results):
    for result in results:
        assert_one_line_exit_2(result["code"], result["err"])
        assert result["seconds"] < 1.0, result


@st.composite
def header_lies(draw):
    """A member whose .npy header declares a shape its data do not have (up to 2^62 elements)."""
    key = draw(st.sampled_from(ARRAY_KEYS))
    data = np.asarray(VALID[key])
    declared = tuple(draw(st.lists(st.one_of(st.integers(0, 8), st.integers(0, 2**62)), min_size=1, max_size=4)))
    assume(declared != data.shape)
    members = valid_members()
    members[f"{key}.npy"] = npy(data, declared_shape=declared)
    return npz(members, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(header_lies(), min_size=12, max_size=12))
def test_header_lies_are_refused_fast_within_1_gib(tmp_path_factory, batch):
    directory = tmp_path_factory.mktemp("lies")
    paths = []
    for i, content in enumerate(batch):
        paths.append(directory / f"lie{i}.npz")
        paths[-1].write_bytes(content)
    assert_refused_fast(run_limited(paths))


def zip_entry_claiming(content, name, size):
    """``content`` with the zip's sizes of member ``name`` changed to ``size`` (both headers)."""
    data = bytearray(content)
    encoded = name.encode()
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(encoded)] != encoded:
        central = data.index(b"PK\x01\x02", central + 4)
    local = struct.unpack("<I", data[central + 42 : central + 46])[0]
    data[central + 24 : central + 28] = struct.pack("<I", size)
    data[local + 22 : local + 26] = struct.pack("<I", size)
    return bytes(data)


def deflated_zeros_member(shape):
    """An honest deflate bomb: H of ``shape`` (complex128) full of zeros, compressed about 1000:1."""
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"shape": shape, "fortran_order": False, "descr": "<c16"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in valid_members().items():
            if name != "H.npy":
                archive.writestr(name, payload)
        with archive.open("H.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            remaining, zeros = 16 * int(np.prod(shape)), bytes(2**24)
            while remaining > 0:
                member.write(zeros[: min(remaining, len(zeros))])
                remaining -= len(zeros)
    return buffer.getvalue()


def test_size_lies_in_the_zip_and_a_deflate_bomb_are_refused_fast_within_1_gib(tmp_path):
    H = np.asarray(VALID["H"])
    claimed = (3, 3, 1, 4_000_000)  # 576 MB in about 0.6 MB, like the 5.6 MB file declaring (3, 3, 1, 4e7)
    small_claim = (3, 3, 1, 1_000_000)  # 144 MB, under the limit
    files = {
        # the .npy header and the zip entry agree on 144 MB, the data are 864 bytes
        "zip_and_header_lie.npz": zip_entry_claiming(npz({**valid_members(), "H.npy": npy(H, declared_shape=small_claim)}), "H.npy", 128 + 16 * 9_000_000),
        "deflated_zip_lie.npz": zip_entry_claiming(
            npz({**valid_members(), "H.npy": npy(H, declared_shape=small_claim)}, zipfile.ZIP_DEFLATED), "H.npy", 128 + 16 * 9_000_000
        ),
        "bomb.npz": deflated_zeros_member(claimed),
        "header_2_to_36.npz": npz({**valid_members(), "H.npy": npy(H, declared_shape=(2**36,))}, zipfile.ZIP_DEFLATED),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    assert (tmp_path / "bomb.npz").stat().st_size < 1024**2
    results = run_limited([tmp_path / name for name in files])
    assert_refused_fast(results)
    assert "over the limit" in results[2]["err"] and "over the limit" in results[3]["err"]


def test_a_corrupt_crc_is_refused(tmp_path, capsys):
    content = bytearray(npz(valid_members()))
    data_start = content.index(b"\x93NUMPY", content.index(b"H.npy")) + 128  # inside H's data
    content[data_start] ^= 0x01
    path = tmp_path / "problem.npz"
    path.write_bytes(bytes(content))
    code, err = solve(path, capsys)
    assert_one_line_exit_2(code, err)
    assert "'H.npy'" in err  # the member is named
