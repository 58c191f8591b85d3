"""Small random instances of every formulation, built straight from random arrays (no geometry)."""
import numpy as np

from isacsim import DesignProblem


def random_problem(n_bs, n_users, n_tx, n_points, seed, *, gamma_db=3.0, p_antenna=None, csi=None, pd_target=None):
    """A random DesignProblem with O(1) data.

    Parameters
    ----------
    n_bs, n_users, n_tx, n_points : int
        L, K, Nt, Q.
    seed : int
    gamma_db : float
        Common SINR target [dB].
    p_antenna : float or None
        Fraction of the per-BS budget each antenna may radiate (so
        ``p_antenna * Nt`` > 1 leaves the budget binding somewhere).
    csi : float or None
        CSI error variance relative to the mean channel gain.
    pd_target : float or None
    """
    rng = np.random.default_rng(seed)
    H = (rng.standard_normal((n_bs, n_bs, n_users, n_tx)) + 1j * rng.standard_normal((n_bs, n_bs, n_users, n_tx))) / np.sqrt(2)
    H[np.arange(n_bs), np.arange(n_bs)] *= 2.0  # own cells stronger than cross links
    angles = rng.uniform(-np.pi / 2, np.pi / 2, (n_points, n_bs))
    A = np.exp(1j * np.pi * np.arange(n_tx)[None, None, :] * np.sin(angles)[..., None])
    G = rng.uniform(0.2, 1.0, (n_points, n_bs, n_bs)) * 3e-2
    p_max = rng.uniform(5.0, 10.0, n_bs)
    fields = dict(
        H=H, A=A, G=G, gamma=np.full((n_bs, n_users), 10 ** (gamma_db / 10)), p_max=p_max,
        sigma_c2=1.0, sigma_d2=1e-2, n_rx=2, p_fa=1e-3,
    )
    if p_antenna is not None:
        fields["p_antenna"] = p_antenna * p_max[:, None] * rng.uniform(0.8, 1.2, (n_bs, n_tx))
    if csi is not None:
        fields["csi_error_var"] = csi * rng.uniform(0.5, 1.5, (n_bs, n_bs, n_users))
    if pd_target is not None:
        fields["pd_target"] = pd_target
    return DesignProblem(**fields)
