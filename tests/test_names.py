"""Names a user types: any case accepted, a near miss answered with a suggestion."""
import pytest

from isacsim import cli
from isacsim.designers import SDRDesigner
from isacsim.names import resolve_name
from isacsim.plugins import get_designer, get_receiver
from isacsim.receivers import TypeII
from isacsim.reproduce import load


def test_designers_receivers_and_figures_are_found_in_any_case():
    assert get_designer("SDR") is SDRDesigner
    assert get_receiver("type-II") is TypeII
    assert load("Fig3") is load("fig3")


@pytest.mark.parametrize(
    "args, suggestion",
    [
        (["reproduce", "fgi3"], "did you mean 'fig3'?"),
        (["solve", "{p}", "--designer", "sdf"], "did you mean 'sdr'?"),
        (["solve", "{p}", "--receiver", "type-2"], "did you mean 'type-i"),
    ],
)
def test_a_near_miss_gets_one_line_with_the_closest_name(args, suggestion, tmp_path, capsys):
    from isacsim.testing import small_problem

    path = tmp_path / "p.npz"
    small_problem(seed=0, n_users_per_cell=1, n_tx=4).save(path)
    assert cli.main([a.format(p=path) for a in args]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and suggestion in err[0]


def test_a_far_miss_lists_the_choices_without_a_guess():
    with pytest.raises(ValueError) as caught:
        resolve_name("--designer", "quantum-annealer", ["sdr", "zf", "sensing-only"])
    assert "did you mean" not in str(caught.value) and "sdr, sensing-only, zf" in str(caught.value)
