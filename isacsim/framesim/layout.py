"""`FrameLayout`: the streams of one frame and the linear views every receiver takes of them.

A frame carries, for each BS l, its K information streams ``s_{l,i}[n]``
(beams ``w_{l,i}``) and its ``r_l`` dedicated sensing streams
``s^r_{l,k}[n]`` (beams ``w^r_{l,k}`` from the eigen-decomposition of
``R_l``, eq. (1)), followed by one receiver-noise stream per user. Every
quantity the receivers compute from a frame is a quadratic form in a few
linear combinations ("probes") of these streams:

* towards sample point q, BS l transmits the scalar waveform
  ``u_{q,l}[n] = a_{q,l}^T x_l[n]``: the echo probe ``target[q, l]``; the
  matched filters correlate with ``reference[q, l]``, the same with only the
  streams the detector matched-filters (all of them, or the sensing streams
  only for the sensing-only benchmark);
* user k of cell m sees its desired term, the other information streams
  plus its noise, and the sensing streams: the three rows of
  ``users[m, k]``, eq. (2).

So the frame enters the statistics only through the Gram matrices of these
probes (:mod:`isacsim.framesim.grams`).
"""
from __future__ import annotations

import attrs
import numpy as np

from ..evaluation import transmit_power
from ..montecarlo import sensing_beams
from ..problem import _ARRAY_EQ

__all__ = ["FrameLayout", "SENSING_POWER_RTOL", "design_sensing_beams"]

#: Sensing eigen-beams carrying less than this fraction of the largest BS
#: transmit power are solver residue (e.g. ~1e-9 W of a Type-I design whose R
#: is 0 in exact arithmetic) and get no waveform.
SENSING_POWER_RTOL = 1e-9



@attrs.frozen(kw_only=True)
class FrameLayout:
    """Streams of a frame and the probes of every receiver.

    Attributes
    ----------
    stream_bs : numpy.ndarray, int, shape (D,)
        BS of each signal stream; BS l's K information streams come first,
        then its sensing streams. Receiver-noise streams follow, one per
        user, so the stream vector has ``D + L K`` entries.
    stream_is_sensing : numpy.ndarray, bool, shape (D,)
        Whether each signal stream is a dedicated sensing stream.
    beams : numpy.ndarray, complex, shape (D, Nt)
        Transmit beam of each signal stream [sqrt(W)].
    target : numpy.ndarray, complex, shape (Q, L, D + L K)
        ``target[q, l] @ s[n] = a_{q,l}^T x_l[n]`` [sqrt(W)].
    reference : numpy.ndarray, complex, shape (Q, L, D + L K)
        ``target`` restricted to the matched-filtered streams.
    users : numpy.ndarray, complex, shape (L, K, 3, D + L K)
        Per user: desired, information interference plus noise, sensing
        interference [sqrt(W)].
    """

    stream_bs: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    stream_is_sensing: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    beams: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    target: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    reference: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    users: np.ndarray = attrs.field(eq=_ARRAY_EQ)

    @property
    def n_signal_streams(self):
        """D, the information and sensing streams of all BSs."""
        return self.stream_bs.size

    @property
    def n_streams(self):
        """``D + L K``: signal streams and one noise stream per user."""
        return self.target.shape[2]

    def sensing_counts(self):
        """Sensing streams ``r_l`` of each BS, shape (L,)."""
        n_bs = self.target.shape[1]
        return np.bincount(self.stream_bs[self.stream_is_sensing], minlength=n_bs)

    @classmethod
    def build(cls, problem, w, R, *, information_echoes=True):
        """Lay out the streams of design ``(w, R)`` on ``problem``.

        Parameters
        ----------
        problem : DesignProblem
        w : array_like, complex, shape (L, K, Nt)
            Information beams [sqrt(W)].
        R : array_like, complex, shape (L, Nt, Nt)
            Sensing covariances [W].
        information_echoes : bool
            Whether the detector matched-filters the information streams too
            (:class:`isacsim.Detector`).

        Returns
        -------
        FrameLayout
        """
        w = np.asarray(w, dtype=complex)
        R = np.asarray(R, dtype=complex)
        n_bs, n_users = problem.n_bs, problem.n_users_per_cell
        beams, owners, is_sensing = [], [], []
        for l, sensing in enumerate(_sensing_beams_per_bs(w, R)):
            beams.extend([*w[l], *sensing])
            owners.extend([l] * (n_users + len(sensing)))
            is_sensing.extend([False] * n_users + [True] * len(sensing))
        beams = np.array(beams, dtype=complex).reshape(-1, problem.n_tx)
        owners = np.array(owners, dtype=int)
        is_sensing = np.array(is_sensing, dtype=bool)
        n_signal, n_noise = owners.size, n_bs * n_users

        own = owners[None, :] == np.arange(n_bs)[:, None]  # (L, D)
        gains = np.einsum("qln,dn->qld", problem.A, beams)  # a_{q,l}^T beam_d for every l
        target = np.zeros((problem.n_points, n_bs, n_signal + n_noise), dtype=complex)
        target[:, :, :n_signal] = gains * own[None]
        reference = target.copy()
        if not information_echoes:
            reference[:, :, :n_signal] *= is_sensing

        seen = np.einsum("dmkn,dn->mkd", problem.H.conj()[owners], beams)  # h_{l_d,m,k}^H beam_d
        users = np.zeros((n_bs, n_users, 3, n_signal + n_noise), dtype=complex)
        information = ~is_sensing
        for m in range(n_bs):
            for k in range(n_users):
                mine = np.flatnonzero(information & (owners == m))[k]
                users[m, k, 0, mine] = seen[m, k, mine]
                users[m, k, 1, :n_signal] = seen[m, k] * information
                users[m, k, 1, mine] = 0.0
                users[m, k, 1, n_signal + m * n_users + k] = np.sqrt(problem.sigma_c2)
                users[m, k, 2, :n_signal] = seen[m, k] * is_sensing
        return cls(stream_bs=owners, stream_is_sensing=is_sensing, beams=beams, target=target, reference=reference, users=users)


def design_sensing_beams(w, R):
    """The sensing beams of design ``(w, R)``, eq. (1), without solver residue.

    Both frame simulators (the fast path and the brute force of
    :mod:`isacsim.framesim.reference`) take their sensing beams from here.

    Parameters
    ----------
    w : numpy.ndarray, complex, shape (L, K, Nt)
        Information beams [sqrt(W)].
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        Sensing covariances [W].

    Returns
    -------
    numpy.ndarray, complex, shape (L, r_t, Nt)
        :func:`~isacsim.montecarlo.sensing_beams` of ``R`` with the
        eigen-beams under :data:`SENSING_POWER_RTOL` times the largest BS
        transmit power dropped; zero-padded to the largest count ``r_t``
        (``r_t = 0`` when no beam remains).
    """
    R = np.asarray(R, dtype=complex)
    largest = float(np.linalg.eigvalsh(R).max(initial=0.0))
    if largest <= 0.0:
        return np.zeros((R.shape[0], 0, R.shape[1]), dtype=complex)
    power = float(transmit_power(np.asarray(w, dtype=complex), R).max())
    return sensing_beams(R, rtol=SENSING_POWER_RTOL * power / largest)


def _sensing_beams_per_bs(w, R):
    """The sensing beams of each BS, without the zero padding of :func:`design_sensing_beams`."""
    return [beams[np.linalg.norm(beams, axis=1) > 0] for beams in design_sensing_beams(w, R)]
