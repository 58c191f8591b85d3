"""Output files: written atomically (figures included), never through a
symbolic link, with the umask's permissions; an unwritable --out fails at once."""
import contextlib
import os
import subprocess
import sys
import textwrap

import pytest

from isacsim.atomic import atomic_write
from isacsim.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@contextlib.contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def run(*args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def planted_link(tmp_path):
    """``out/planted`` -> ``outside/precious``, a file that must survive."""
    (tmp_path / "out").mkdir()
    (tmp_path / "outside").mkdir()
    precious = tmp_path / "outside" / "precious"
    precious.write_bytes(b"keep me")
    return tmp_path / "out" / "planted", precious


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_new_files_get_the_umask_permissions(tmp_path, mask):
    with umask(mask):
        atomic_write(tmp_path / "text.csv", lambda handle: handle.write("x\n"))
        atomic_write(tmp_path / "data.npz", lambda handle: handle.write(b"x"), binary=True)
    for name in ("text.csv", "data.npz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_symlink_in_the_output_is_replaced_never_followed(planted_link):
    link, precious = planted_link
    for suffix in (".png", ".npz"):
        target = link.with_suffix(suffix)
        target.symlink_to(precious)
        atomic_write(target, lambda handle: handle.write(b"new"), binary=True)
        assert not target.is_symlink() and target.read_bytes() == b"new"
    assert precious.read_bytes() == b"keep me"


def test_a_figure_is_written_atomically_and_not_through_a_symlink(planted_link):
    pytest.importorskip("matplotlib")
    from isacsim.plotting import _pyplot, save_figure

    link, precious = planted_link
    figure_path = link.with_suffix(".png")
    figure_path.symlink_to(precious)
    fig = _pyplot().figure()
    save_figure(fig, figure_path)
    assert figure_path.read_bytes().startswith(PNG_MAGIC) and not figure_path.is_symlink()
    assert precious.read_bytes() == b"keep me"
    assert sorted(os.listdir(figure_path.parent)) == ["planted.png"]  # no temporary file left
    save_figure(fig, figure_path.with_suffix(".svg"))
    assert b"<svg" in figure_path.with_suffix(".svg").read_bytes()


def test_problem_out_through_a_symlink_leaves_the_outside_file_alone(planted_link, capsys):
    link, precious = planted_link
    target = link.with_suffix(".npz")
    target.symlink_to(precious)
    code, _, _ = run("problem", "--out", target, "--nt", 4, capsys=capsys)
    assert code == 0 and precious.read_bytes() == b"keep me"
    assert target.read_bytes().startswith(b"PK") and not target.is_symlink()


KILLED_WHILE_WRITING = textwrap.dedent(
    """
    import os, signal, sys
    from isacsim.atomic import atomic_write

    def write(handle):
        handle.write(b"half a figure")
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    atomic_write(sys.argv[1], write, binary=True)
    """
)


@pytest.mark.parametrize("existed", [False, True])
def test_a_kill_while_writing_leaves_the_old_file_or_none(tmp_path, existed):
    path = tmp_path / "fig.png"
    if existed:
        path.write_bytes(b"old figure")
    result = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, str(path)])
    assert result.returncode == -9
    assert path.read_bytes() == b"old figure" if existed else not path.exists()


def test_a_failing_writer_leaves_no_temporary_file(tmp_path):
    def write(handle):
        handle.write("partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        atomic_write(tmp_path / "summary.csv", write)
    assert os.listdir(tmp_path) == []


@pytest.fixture
def problem_file(tmp_path):
    from isacsim.testing import small_problem

    path = tmp_path / "problem.npz"
    small_problem(seed=0, n_users_per_cell=1, n_tx=6).save(path)
    return path


@pytest.mark.parametrize(
    "out, message",
    [
        ("{tmp}/missing/design.npz", "does not exist"),
        ("{tmp}", "is a directory"),
        ("{tmp}/problem.npz/design.npz", "is not a directory"),
        ("/proc/x", "cannot create a file in /proc"),
    ],
)
def test_solve_out_that_cannot_be_written_exits_2_before_solving(problem_file, tmp_path, monkeypatch, capsys, out, message):
    import isacsim.plugins

    def no_solve(*args, **kwargs):
        raise AssertionError("the problem was solved before --out was checked")

    monkeypatch.setattr(isacsim.plugins, "get_designer", no_solve)
    code, _, err = run("solve", problem_file, "--out", out.format(tmp=tmp_path), capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert sorted(os.listdir(tmp_path)) == ["problem.npz"]  # the check leaves nothing behind


def test_problem_out_to_proc_is_bad_input(capsys):
    code, _, err = run("problem", "--out", "/proc/x", capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("isacsim: error: /proc/x:")
