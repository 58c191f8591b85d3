"""`Program`: a beam program compiled for the solvers: scaled, reduced, labelled.

Every solver of :mod:`isacsim.solvers` takes a :class:`Program`, the output
of :func:`~isacsim.solvers.compile.compile_program` on a physical
:class:`~isacsim.solvers.formulation.Formulation`. In program units it reads

    maximize    c_t t + sum_b c_b tr Y_b
    subject to  sum_b <A_jb, Y_b> + a_j t >= r_j        for every row j = 1 .. m
                Y_b >= 0 (PSD, d_b x d_b),  t >= 0 (or t free)

with one block ``Y_b`` per beam covariance ``W_li = P0 V_b Y_b V_b^H`` and
sensing covariance ``R_l`` (``V_b``: an orthonormal basis of the span of
every vector any row puts on the block, or the beam's fixed direction), and
every row's data on a block **low-rank plus identity**::

    A_jb = sum_{k: column k of row j} s_bk g_bk g_bk^H + e_bj I

with unit vectors ``g`` ("columns", rank r per row and block) and signed
coefficients ``s``, ``e``. Blocks with the same dimension and the same
columns (row by row) are stacked in a :class:`BlockGroup`.

Its Lagrangian dual, which the structured solver keeps feasible, is

    minimize    -r^T y
    subject to  Z_b = -c_b I - sum_j y_j A_jb >= 0,   y >= 0,
                -c_t - a^T y >= 0   (= 0 for a free t)

and any dual-feasible ``y`` bounds the optimum: ``value <= -r^T y``.
:meth:`Program.certify` makes an approximate ``y`` exactly feasible (to
rounding) through the *covering rows*, those whose data are negative
semidefinite on every block (the budgets): raising their multipliers only
raises every ``Z_b``.

Scaling
-------
Physical data span 1e-18 .. 1e2, which breaks solver tolerances. Powers are
in units of ``P0 = max(p_max)`` (:attr:`Units.power`); row j is divided by
``P0 * scale_j`` (its :attr:`~isacsim.solvers.formulation.RowSet.scale`: the
SINR row by the own-channel gain, so its noise term is
``sigma_c^2 / (P0 ||h||^2)``; the echo rows by the largest reflected power
per watt), atoms are unit vectors, ``t`` is in units that make its
largest coefficient 1 and the objective is O(1). :class:`Units` converts back
to watts.

The family's public API
-----------------------
* :mod:`isacsim.solvers.formulation`: :class:`~isacsim.solvers.formulation.Formulation`,
  :class:`~isacsim.solvers.formulation.RowSet`,
  :class:`~isacsim.solvers.formulation.Objective`; rows
  :func:`~isacsim.solvers.formulation.echo_rows`,
  :func:`~isacsim.solvers.formulation.sinr_rows`,
  :func:`~isacsim.solvers.formulation.budget_rows`; objectives
  :func:`~isacsim.solvers.formulation.max_min_reflected_power`,
  :func:`~isacsim.solvers.formulation.min_total_power`. A new row type is a
  function returning a ``RowSet``.
* :func:`isacsim.solvers.compile.compile_program` ``(formulation, margin)``
  -> :class:`Program` (this module).
* :mod:`isacsim.solvers.registry`: ``program_solver(name)(program, options)``
  and ``program_batch_solver(name)(programs, options)`` ->
  :class:`~isacsim.solvers.relaxed.RelaxedSolution` (one per program);
  ``primal_solver("picos:NAME")(formulation, options=, margin=)``.
* :func:`isacsim.solvers.structured.solve_structured_batch` directly, for
  many programs of one structure in one vectorized iteration.
* A solution's ``rows`` (infeasible) are labels of this program; its
  ``bound`` is certified on the untightened rows (:meth:`Program.certify`).

Tightening
----------
Rows that allow it (the SINR rows) are solved with their positive terms
divided by ``1 + margin`` (:data:`TARGET_MARGIN`), so that the interior-point
residuals land inside the feasible set. The untightened data stay in the
program (``BlockGroup.reference``): bounds and infeasibility certificates
are certified on them, i.e. on the user's problem.
"""
from __future__ import annotations

import attrs
import numpy as np

__all__ = ["Program", "Block", "BlockGroup", "Units", "span_basis", "TARGET_MARGIN", "FARKAS_MARGIN", "SPAN_RTOL"]

#: Relative tightening of the rows that allow it (the SINR targets), so that
#: the interior-point residuals land inside the true feasible set.
TARGET_MARGIN = 1e-7
#: A Farkas ray needs ``r^T y`` above this fraction of ``sum_j |r_j| y_j``.
FARKAS_MARGIN = 1e-9
#: Relative singular-value cut of the subspace reduction. Restricting the
#: beams to the kept span perturbs the data by at most ~``Q * SPAN_RTOL``
#: relative, and the optimum by the same order (far below 1e-5).
SPAN_RTOL = 1e-8


def span_basis(vectors, rtol=SPAN_RTOL, normalized=False):
    """Orthonormal basis of the span of some vectors.

    Parameters
    ----------
    vectors : numpy.ndarray, complex, shape (n_vectors, Nt)
        Spanning vectors (rows); each is normalised first.
    rtol : float
        Singular values below ``rtol * largest`` are dropped.
    normalized : bool
        Whether the rows are already unit vectors (skips the normalisation).

    Returns
    -------
    numpy.ndarray, complex, shape (Nt, d)
        Orthonormal columns, ``d <= min(n_vectors, Nt)``.
    """
    if normalized:
        rows = vectors
    else:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = vectors[norms[:, 0] > 0] / norms[norms[:, 0] > 0]
    if not rows.size:
        return np.zeros((vectors.shape[1], 0), dtype=complex)
    u, s, _ = np.linalg.svd(rows.T, full_matrices=False)
    return u[:, s > rtol * s[0]]


@attrs.frozen(eq=False)
class Block:
    """One PSD variable: ``X = P0 basis @ Y @ basis^H``.

    Attributes
    ----------
    key : tuple
        ``("W", l, i)`` for beam i of BS l, ``("R", l)`` for BS l's sensing
        covariance.
    basis : numpy.ndarray, complex, shape (Nt, d)
        Orthonormal columns.
    """

    key: tuple
    basis: np.ndarray

    @property
    def dim(self):
        """Reduced dimension d."""
        return self.basis.shape[1]


@attrs.frozen(eq=False)
class BlockGroup:
    """Blocks of one (padded) dimension with the same columns, stacked.

    A block smaller than the group is zero-padded: its vectors are zero in the
    padded coordinates, so there its data are only its identity terms, which
    are negative on a covering row or in the objective; the padded part of its
    primal matrix is then a variable of its own that the optimum leaves at
    zero, and the block's true matrix is the leading ``dims[b] x dims[b]`` part.

    Attributes
    ----------
    blocks : numpy.ndarray, int, shape (nb,)
        Indices into :attr:`Program.blocks`.
    dims : numpy.ndarray, int, shape (nb,)
        Each block's true dimension (``<= d``).
    columns : numpy.ndarray, int, shape (p,)
        Row of each column (non-decreasing).
    vectors : numpy.ndarray, complex, shape (nb, d, p)
        The unit vectors ``g_bk`` in each block's basis (zero where a block
        has no such column).
    coefficients : numpy.ndarray, float, shape (nb, p)
        ``s_bk`` as solved (tightened).
    reference : numpy.ndarray, float, shape (nb, p)
        ``s_bk`` of the user's problem (untightened), for certificates.
    identity_rows : numpy.ndarray, int, shape (mi,)
        Rows with an identity term on some block of the group.
    identity : numpy.ndarray, float, shape (nb, mi)
        ``e_bj`` as solved.
    reference_identity : numpy.ndarray, float, shape (nb, mi)
        ``e_bj`` of the user's problem.
    objective : numpy.ndarray, float, shape (nb,)
        ``c_b``: coefficient of ``tr Y_b`` in the maximized objective.
    """

    blocks: np.ndarray
    dims: np.ndarray
    columns: np.ndarray
    vectors: np.ndarray
    coefficients: np.ndarray
    reference: np.ndarray
    identity_rows: np.ndarray
    identity: np.ndarray
    reference_identity: np.ndarray
    objective: np.ndarray

    @property
    def count(self):
        """Number of blocks nb."""
        return self.vectors.shape[0]

    @property
    def size(self):
        """Block dimension d."""
        return self.vectors.shape[1]

    def signature(self):
        """What two programs' groups must share to be solved in one batch."""
        return (self.count, self.size, self.dims.tobytes(), self.columns.tobytes(), self.identity_rows.tobytes())


@attrs.frozen
class Units:
    """Conversions from program units to physical ones.

    Attributes
    ----------
    power : float
        [W] per unit of ``tr Y`` (``P0``).
    t : float
        Physical units of ``t`` per program unit (e.g. [W] of reflected power).
    objective : float
        Physical objective per program unit, signed: negative for an
        objective of sense ``"min"`` (the program maximizes its negative).
    rows : numpy.ndarray, float, shape (m,)
        Physical value of each row per program unit (``P0 * scale``).
    """

    power: float
    t: float
    objective: float
    rows: np.ndarray = attrs.field(eq=False)


@attrs.frozen(kw_only=True, eq=False)
class Program:
    """A compiled beam program (see the module notes); build it with :func:`~isacsim.solvers.compile.compile_program`.

    Attributes
    ----------
    labels : tuple of tuple
        One label per row, e.g. ``("sinr", m, k)``.
    rhs : numpy.ndarray, float, shape (m,)
        ``r``.
    t_coefficients : numpy.ndarray, float, shape (m,)
        ``a``: each row's coefficient of ``t``.
    objective_t : float
        ``c_t``.
    t_free : bool
        Whether ``t`` is free in sign.
    blocks : tuple of Block
    groups : tuple of BlockGroup
    covering : numpy.ndarray, bool, shape (m,)
        Rows whose data are negative semidefinite on every block (and whose
        ``t`` coefficient is <= 0, or 0 for a free ``t``).
    component : numpy.ndarray, int, shape (n_blocks,)
        Per block, the connected set of covering rows that reaches it (rows
        sharing a block are connected), or -1.
    components : tuple of numpy.ndarray
        The rows of each such set.
    coverage : numpy.ndarray, float, shape (n_blocks,)
        Per block, the smallest eigenvalue of minus the summed data of its
        component's rows: raising all of them by ``delta`` raises ``Z_b`` by at
        least ``delta * coverage``.
    start_levels : numpy.ndarray, float, shape (n_blocks,)
        An interior-point start ``Y_b = level I`` (within the covering rows).
    units : Units
    sense : str
        ``"max"`` or ``"min"`` (of the physical objective).
    shape : tuple of int
        ``(L, K, Nt)`` of the problem.
    tightened : bool
        Whether some rows are solved tightened (see the module notes).
    """

    labels: tuple
    rhs: np.ndarray
    t_coefficients: np.ndarray
    objective_t: float
    t_free: bool
    blocks: tuple
    groups: tuple
    covering: np.ndarray
    component: np.ndarray
    components: tuple
    coverage: np.ndarray
    start_levels: np.ndarray
    units: Units
    sense: str
    shape: tuple
    tightened: bool = False

    @property
    def n_rows(self):
        """m."""
        return len(self.labels)

    def signature(self):
        """Programs with equal signatures have the same block structure and are solved in one batch."""
        return (
            self.n_rows,
            self.t_free,
            bool(np.any(self.t_coefficients != 0) or self.objective_t != 0),
            self.covering.tobytes(),
            self.component.tobytes(),
            tuple(group.signature() for group in self.groups),
        )

    def rows_of(self, kind):
        """Indices of the rows whose label starts with ``kind``."""
        return np.array([j for j, label in enumerate(self.labels) if label[0] == kind], dtype=int)

    # ------------------------------------------------------------ operators
    def dual_slacks(self, y, reference=False, objective=True):
        """``Z_b = -c_b I - sum_j y_j A_jb`` per group, each of shape (nb, d, d).

        Parameters
        ----------
        y : numpy.ndarray, float, shape (m,)
        reference : bool
            Use the user's (untightened) data.
        objective : bool
            Include the objective term ``-c_b I`` (False: the homogeneous
            slacks of a Farkas ray).
        """
        out = []
        for group in self.groups:
            coefficients = group.reference if reference else group.coefficients
            identity = group.reference_identity if reference else group.identity
            weights = coefficients * y[group.columns]
            Z = -np.einsum("bik,bk,bjk->bij", group.vectors, weights, group.vectors.conj())
            shift = -identity @ y[group.identity_rows]
            if objective:
                shift = shift - group.objective
            Z[:, np.arange(group.size), np.arange(group.size)] += shift[:, None]
            out.append(Z)
        return out

    def certify(self, y, ray=False, reference=True):
        """A dual-feasible point of the user's (untightened) problem near ``y``, and its bound.

        The ``t`` row is restored first (the multipliers with a negative ``t``
        coefficient rescaled so that ``-c_t - a^T y >= 0``, or ``= 0`` for a
        free ``t``), then every block's deficit ``max(0, -lambda_min(Z_b))`` is
        removed by raising its covering component (see :attr:`coverage`).
        The point is feasible up to the rounding of that eigenvalue check.

        Parameters
        ----------
        y : numpy.ndarray, float, shape (m,)
            Approximately dual-feasible multipliers (program units).
        ray : bool
            Certify a Farkas ray instead: the objective's terms are left out
            (``c_b = c_t = 0``), so that ``r^T y' > 0`` proves that no point
            meets every row.
        reference : bool
            Certify for the user's (untightened) data (default), or for the
            data as solved.

        Returns
        -------
        (float, numpy.ndarray, bool)
            The bound ``-r^T y'`` (program units), ``y'`` and whether every
            deficit could be removed (False: a block with a deficit has no
            covering rows; the bound is then not certified).
        """
        y = np.maximum(np.asarray(y, dtype=float), 0.0).copy()
        y = _restore_t_row(y, self.t_coefficients, 0.0 if ray else self.objective_t, self.t_free)
        certified = True
        need = np.zeros(len(self.blocks))
        for group, Z in zip(self.groups, self.dual_slacks(y, reference=reference, objective=not ray)):
            need[group.blocks] = np.maximum(0.0, -np.linalg.eigvalsh(Z)[:, 0])
        raise_by = np.zeros(self.n_rows)
        for block in np.flatnonzero(need > 0):
            c = self.component[block]
            if c < 0 or self.coverage[block] <= 0:
                certified = False
                continue
            rows = self.components[c]
            raise_by[rows] = np.maximum(raise_by[rows], need[block] / self.coverage[block])
        y = y + raise_by
        return -float(self.rhs @ y), y, certified

    def farkas_ray(self, y, reference=True):
        """The certified Farkas ray near ``y`` (program units), or None.

        ``y`` is certified as a ray (:meth:`certify` with ``ray=True``) and
        accepted when ``r^T y' > 0`` by more than :data:`FARKAS_MARGIN` of
        ``sum_j |r_j| y'_j`` (not a rounding of zero): then no point meets
        every row of the user's data (``reference=True``, the default) or of
        the data as solved.
        """
        value, ray, certified = self.certify(y, ray=True, reference=reference)
        if certified and -value > FARKAS_MARGIN * float(np.abs(self.rhs) @ ray):
            return ray
        return None

    def untightened(self):
        """The same program with every row as the user gave it (no tightening)."""
        if not self.tightened:
            return self
        groups = tuple(
            attrs.evolve(group, coefficients=group.reference, identity=group.reference_identity) for group in self.groups
        )
        return attrs.evolve(self, groups=groups, tightened=False)

    @property
    def ray_cost(self):
        """How far ``r^T y`` of a dual-feasible ``y`` can fall when the objective's terms are dropped.

        Dropping ``-c_b I`` from a feasible ``Z_b`` leaves a deficit of at most
        ``max(0, -c_b)``; removing it through the covering rows costs at most
        this much of ``r^T y``. So a dual-feasible ``y`` with ``r^T y`` above it
        is worth certifying as a Farkas ray. Infinite when a block with
        ``c_b < 0`` has no covering rows (0 for the max-min objective).
        """
        objective = np.zeros(len(self.blocks))
        for group in self.groups:
            objective[group.blocks] = group.objective
        deficit = np.maximum(0.0, -objective)
        if np.any((deficit > 0) & ((self.component < 0) | (self.coverage <= 0))):
            return np.inf
        cost = 0.0
        for c, rows in enumerate(self.components):
            reach = self.component == c
            cost += float(np.max(deficit[reach] / self.coverage[reach])) * float(np.maximum(-self.rhs[rows], 0.0).sum())
        return cost

    # --------------------------------------------------------------- results
    def assemble(self, matrices):
        """Physical covariances from the blocks' reduced matrices.

        Parameters
        ----------
        matrices : sequence of numpy.ndarray
            Per block, its reduced Hermitian matrix ``Y`` (d x d) in program
            units.

        Returns
        -------
        W : numpy.ndarray, complex, shape (L, K, Nt, Nt)
            ``P0 V Y V^H`` per beam block [W] (zero for a beam with no block).
        R : numpy.ndarray, complex, shape (L, Nt, Nt)
            The same for the sensing blocks; zero where R is not a variable.
        """
        n_bs, n_users, n_tx = self.shape
        W = np.zeros((n_bs, n_users, n_tx, n_tx), dtype=complex)
        R = np.zeros((n_bs, n_tx, n_tx), dtype=complex)
        for block, Y in zip(self.blocks, matrices):
            full = self.units.power * (block.basis @ Y @ block.basis.conj().T)
            full = (full + full.conj().T) / 2
            if block.key[0] == "R":
                R[block.key[1]] = full
            else:
                W[block.key[1], block.key[2]] = full
        return W, R

    def named_rows(self, weights, rtol=1e-6):
        """Labels of the rows with a positive weight, strongest first.

        Parameters
        ----------
        weights : array_like or None, shape (m,)
            E.g. a Farkas certificate's contribution ``y_j r_j`` of each row.
        rtol : float
            Rows below ``rtol`` times the largest weight are left out.
        """
        if weights is None:
            return ()
        weights = np.asarray(weights, dtype=float).ravel()
        if not weights.size or not np.any(weights > 0):
            return ()
        top = weights.max()
        return tuple(self.labels[int(j)] for j in np.argsort(-weights, kind="stable") if weights[j] > rtol * top)


def _restore_t_row(y, a, c_t, t_free):
    """Rescale the multipliers of the rows with a ``t`` term so that ``-c_t - a^T y >= 0`` (``= 0`` for a free t)."""
    negative, positive = a < 0, a > 0
    down = -float(a[negative] @ y[negative])  # what the negative coefficients add to -a^T y (>= 0)
    up = float(a[positive] @ y[positive])
    excess = down - up - c_t  # = -c_t - a^T y
    if excess == 0 or (excess > 0 and not t_free):
        return y
    y = y.copy()
    if down > 0 and up + c_t >= 0:  # scale the negative side to down' = up + c_t
        y[negative] *= (up + c_t) / down
    elif up > 0 and down - c_t >= 0:  # or the positive side to up' = down - c_t
        y[positive] *= (down - c_t) / up
    return y
