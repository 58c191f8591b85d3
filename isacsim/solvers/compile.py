"""From the physical description to the compiled program: scale, reduce, group, label.

:func:`compile_program` turns a
:class:`~isacsim.solvers.formulation.Formulation` into the
:class:`~isacsim.solvers.program.Program` every solver takes:

1. **Units.** Powers in units of ``P0 = max(p_max)``; row j divided by
   ``P0 * scale_j``; atoms normalised to unit length (their squared norm
   moves into the coefficient); ``t`` in units that make its largest row
   coefficient 1; the objective O(1).
2. **Subspaces.** Each beam block ``W_li`` lives in the span of every atom
   of BS l that some row puts on a beam of BS l (one basis shared by BS l's
   beams), or on its fixed direction; each ``R_l`` in the span of the atoms
   some row puts on it. A block with a positive identity term in some row
   (which rewards power outside that span) or in the objective keeps the
   whole space. A block of dimension 0 is left out (its optimum is 0).
   Restricting to the span loses nothing: projecting a feasible point onto
   it keeps every quadratic form and does not raise any trace.
3. **Groups.** Blocks of the same dimension whose columns map to the same
   rows are stacked into a :class:`~isacsim.solvers.program.BlockGroup`.
4. **Tightening** of the rows that allow it (:data:`TARGET_MARGIN`), the
   user's data kept for certificates.
5. **Covering rows** and their reach (see :class:`~isacsim.solvers.program.Program`).
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .program import TARGET_MARGIN, Block, BlockGroup, Program, Units, span_basis

__all__ = ["compile_program", "TARGET_MARGIN", "PAD_RATIO"]

#: A row whose largest coefficient exceeds its scale hint by this factor is scaled by that coefficient.
_LARGEST_COEFFICIENT = 1e3

#: Largest factor of ``d^3`` work that padding blocks into one group may cost
#: (padding costs iterations too: at L = 7, padding the sensing blocks took
#: 19 iterations, not padding them 16).
PAD_RATIO = 1.1
#: Groups up to this dimension are always merged.
_ALWAYS_PAD = 16


def _row_units(sets, offsets, power, scale, rhs):
    """Each row's unit [row unit]: ``P0 scale``, or what keeps an extreme row O(1).

    The row set's ``scale`` sets it in the usual case (the rows' terms and
    right-hand side O(1) in program units); a row whose largest coefficient
    is more than :data:`_LARGEST_COEFFICIENT` times larger (e.g. ``1 / gamma``
    of a target of -200 dB) is divided by that coefficient instead, and one
    whose right-hand side is larger still (a noise power of 1e300 W) by that,
    so that no compiled number is huge (and none overflows). Moderate
    coefficients keep the hint's scale: rescaling every row by its largest
    coefficient (a strong interferer's gain) cost random 19-cell networks
    twice the iterations.
    """
    largest = np.zeros(rhs.size)
    for rows, offset in zip(sets, offsets):
        used = rows.atom_rows >= 0
        if used.any():
            gains = np.einsum("lpn,lpn->lp", rows.atoms.conj(), rows.atoms).real
            size = np.maximum(np.abs(rows.beam).max(axis=1, initial=0.0), np.abs(rows.sensing)) * gains
            np.maximum.at(largest, rows.atom_rows[used] + offset, size[used])
        for identity in (rows.beam_identity, rows.sensing_identity):
            if identity is not None:
                span = slice(offset, offset + rows.n_rows)
                largest[span] = np.maximum(largest[span], np.abs(identity).reshape(rows.n_rows, -1).max(axis=1))
    unit = power * scale
    unit = np.where(largest > _LARGEST_COEFFICIENT * scale, power * largest, unit)
    return np.maximum(unit, np.abs(rhs))


def _tightened(values, rows_tightened, margin):
    """Positive entries of tightened rows divided by ``1 + margin`` (a negative margin loosens them)."""
    if margin == 0 or not np.any(rows_tightened):
        return values
    return np.where(rows_tightened & (values > 0), values / (1.0 + margin), values)


def compile_program(formulation, margin=TARGET_MARGIN, pad_ratio=PAD_RATIO):
    """Compile a physical formulation into a scaled, labelled :class:`~isacsim.solvers.program.Program`.

    Parameters
    ----------
    formulation : Formulation
    margin : float
        Relative tightening of the rows that allow it (0: none).
    pad_ratio : float or None
        Blocks of different dimensions are zero-padded into one group while
        that costs at most this factor in ``d^3`` work (always up to
        dimension 16, where the call count, not the arithmetic, sets the
        time); see :func:`_groups`. None (default) pads nothing.

    Returns
    -------
    Program

    Raises
    ------
    InputError
        If ``t`` is rewarded but no row bounds it.
    """
    problem, objective, sets = formulation.problem, formulation.objective, formulation.rows
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    if formulation.directions is not None and np.shape(formulation.directions) != (n_bs, n_users, n_tx):
        raise InputError(f"directions: expected shape {(n_bs, n_users, n_tx)}, got {np.shape(formulation.directions)}")
    power = float(np.max(problem.p_max))
    labels = formulation.labels
    n_rows = len(labels)
    offsets = np.cumsum([0] + [rows.n_rows for rows in sets])
    rhs = np.concatenate([np.asarray(rows.rhs, float) for rows in sets]) if sets else np.zeros(0)
    scale = np.concatenate([np.asarray(rows.scale, float) for rows in sets]) if sets else np.zeros(0)
    t_phys = np.concatenate([np.asarray(rows.t, float) for rows in sets]) if sets else np.zeros(0)
    tighten = np.concatenate([np.full(rows.n_rows, bool(rows.tighten)) for rows in sets]) if sets else np.zeros(0, bool)
    row_unit = _row_units(sets, offsets, power, scale, rhs)

    # ---- t and the objective
    c_t = float(objective.t)
    with_t = t_phys != 0
    t_unit = float(np.max(row_unit[with_t] / np.abs(t_phys[with_t]))) if with_t.any() else 1.0
    a = t_phys * t_unit / row_unit
    if c_t > 0 and not objective.t_free and not np.any(a < 0):
        raise InputError("objective: t is maximized but no row bounds it (no row has a negative t coefficient)")
    objective_beam = np.zeros((n_bs, n_users)) if objective.beam_identity is None else np.asarray(objective.beam_identity, float)
    objective_sensing = np.zeros(n_bs) if objective.sensing_identity is None else np.asarray(objective.sensing_identity, float)
    if c_t != 0:
        objective_unit = abs(c_t) * t_unit
    else:
        largest = max(float(np.abs(objective_beam).max(initial=0.0)), float(np.abs(objective_sensing).max(initial=0.0)))
        objective_unit = power * largest if largest > 0 else power
    objective_beam = objective_beam * power / objective_unit
    objective_sensing = objective_sensing * power / objective_unit

    # ---- identity terms per row and block, in program units
    beam_identity = np.concatenate(
        [np.zeros((rows.n_rows, n_bs, n_users)) if rows.beam_identity is None else np.asarray(rows.beam_identity, float) for rows in sets]
    ) if sets else np.zeros((0, n_bs, n_users))
    sensing_identity = np.concatenate(
        [np.zeros((rows.n_rows, n_bs)) if rows.sensing_identity is None else np.asarray(rows.sensing_identity, float) for rows in sets]
    ) if sets else np.zeros((0, n_bs))
    beam_identity = beam_identity * (power / row_unit)[:, None, None]
    sensing_identity = sensing_identity * (power / row_unit)[:, None]
    solve_beam_identity = _tightened(beam_identity, tighten[:, None, None], margin)
    solve_sensing_identity = _tightened(sensing_identity, tighten[:, None], margin)

    # ---- atoms of every BS at once: (L, P) over the row sets' atoms in row order
    if sets:
        atoms = np.concatenate([rows.atoms for rows in sets], axis=1)
        atom_rows = np.concatenate([np.where(rows.atom_rows >= 0, rows.atom_rows + offset, -1) for rows, offset in zip(sets, offsets)], axis=1)
        beam_all = np.concatenate([rows.beam for rows in sets], axis=2)
        sensing_all = np.concatenate([rows.sensing for rows in sets], axis=1)
    else:
        atoms, atom_rows = np.zeros((n_bs, 0, n_tx), complex), np.zeros((n_bs, 0), int)
        beam_all, sensing_all = np.zeros((n_bs, n_users, 0)), np.zeros((n_bs, 0))
    norms2 = np.einsum("lpn,lpn->lp", atoms.conj(), atoms).real
    keep = (atom_rows >= 0) & (norms2 > 0)
    safe_rows = np.where(keep, atom_rows, 0)
    factor = np.where(keep, norms2 * power / row_unit[safe_rows], 0.0)
    unit_all = atoms / np.sqrt(np.where(keep, norms2, 1.0))[..., None]
    beam_all = beam_all * factor[:, None, :]
    sensing_all = sensing_all * factor
    tight = tighten[safe_rows] & keep
    solve_beam_all = _tightened(beam_all, tight[:, None, :], margin)
    solve_sensing_all = _tightened(sensing_all, tight, margin)
    sorted_rows = bool(np.all(np.diff(np.where(keep, atom_rows, -1), axis=1) >= 0) or not keep.any()) if atom_rows.shape[1] > 1 else True
    records = []
    for l in range(n_bs):
        picked = np.flatnonzero(keep[l])
        if not sorted_rows:
            picked = picked[np.argsort(atom_rows[l, picked], kind="stable")]
        unit, rows_l = unit_all[l, picked], atom_rows[l, picked]
        beam, sensing = beam_all[l][:, picked], sensing_all[l, picked]
        solve_beam, solve_sensing = solve_beam_all[l][:, picked], solve_sensing_all[l, picked]
        used = np.any(beam != 0, axis=0)
        if formulation.directions is None:
            full = np.any(beam_identity[:, l, :] > 0) or np.any(objective_beam[l] > 0)
            shared = np.eye(n_tx, dtype=complex) if full else span_basis(unit[used], normalized=True)
            bases = [shared] * n_users
        else:
            direction = np.asarray(formulation.directions[l], dtype=complex)
            bases = [(d / np.linalg.norm(d))[:, None] for d in direction]
        vectors_shared = None
        for i in range(n_users):
            basis = bases[i]
            if basis.shape[1] == 0:
                continue
            if formulation.directions is None:
                if vectors_shared is None:
                    vectors_shared = basis.conj().T @ unit[used].T
                vectors = vectors_shared
            else:
                vectors = basis.conj().T @ unit[used].T
            records.append(dict(
                key=("W", l, i), basis=basis, columns=rows_l[used], vectors=vectors,
                coefficients=solve_beam[i, used], reference=beam[i, used],
                identity=solve_beam_identity[:, l, i], reference_identity=beam_identity[:, l, i],
                objective=objective_beam[l, i],
            ))
        if formulation.sensing:
            used_s = sensing != 0
            full = np.any(sensing_identity[:, l] > 0) or objective_sensing[l] > 0
            basis = np.eye(n_tx, dtype=complex) if full else span_basis(unit[used_s], normalized=True)
            if basis.shape[1]:
                records.append(dict(
                    key=("R", l), basis=basis, columns=rows_l[used_s], vectors=basis.conj().T @ unit[used_s].T,
                    coefficients=solve_sensing[used_s], reference=sensing[used_s],
                    identity=solve_sensing_identity[:, l], reference_identity=sensing_identity[:, l],
                    objective=objective_sensing[l],
                ))

    blocks = tuple(Block(record["key"], record["basis"]) for record in records)
    covering, component, components, coverage = _covering(records, n_rows, a, objective.t_free)
    groups = _groups(records, covering, pad_ratio)
    levels = _start_levels(groups, rhs / row_unit, component, components, len(records))
    return Program(
        labels=labels,
        rhs=rhs / row_unit,
        t_coefficients=a,
        objective_t=c_t * t_unit / objective_unit,
        t_free=bool(objective.t_free),
        blocks=blocks,
        groups=groups,
        covering=covering,
        component=component,
        components=components,
        coverage=coverage,
        start_levels=levels,
        units=Units(power=power, t=t_unit, objective=objective_unit * (1.0 if objective.sense == "max" else -1.0), rows=row_unit),
        sense=objective.sense,
        shape=(n_bs, n_users, n_tx),
        tightened=bool(margin > 0 and np.any(tighten)),
    )


def _paddable(record, covering):
    """Whether a block may be zero-padded: a negative identity term of a covering row or of the objective
    makes its padded part a variable the optimum leaves at zero (and keeps its dual slack definite)."""
    return bool(np.any(record["reference_identity"][covering] < 0) or record["objective"] < 0)


def _groups(records, covering, pad_ratio):
    """Stack the blocks into groups: the same columns, zero-padded to one dimension where that pays.

    Blocks of one dimension with the same columns form a group; groups are
    then merged, largest first, while the padded ``d^3`` work stays within
    ``pad_ratio`` of the unpadded (always for dimensions up to 16) and every
    block to be padded is :func:`_paddable`. A merged group has the union of
    the columns, zero where a block has none.
    """
    keyed = {}
    for index, record in enumerate(records):
        keyed.setdefault((record["vectors"].shape[0], record["columns"].tobytes()), []).append(index)
    plain = sorted(keyed.values(), key=lambda members: -records[members[0]]["vectors"].shape[0])
    merged, current = [], []
    for members in plain:
        dim = records[members[0]]["vectors"].shape[0]
        if current and pad_ratio is None:
            merged.append(current)
            current = []
        elif current:
            top = records[current[0]]["vectors"].shape[0]
            work = sum(records[b]["vectors"].shape[0] ** 3 for b in current + members)
            fits = top <= _ALWAYS_PAD or (len(current) + len(members)) * top**3 <= pad_ratio * work
            if not (fits and (dim == top or all(_paddable(records[b], covering) for b in members))):
                merged.append(current)
                current = []
        current = current + members
    if current:
        merged.append(current)
    return tuple(_stack(records, sorted(members)) for members in merged)


def _column_keys(columns):
    """``(row, occurrence)`` of each column (columns sorted by row), as one integer array (p, 2)."""
    occurrence = np.zeros(columns.size, dtype=int)
    if columns.size:
        starts = np.r_[0, np.flatnonzero(np.diff(columns)) + 1]  # first column of each row
        occurrence = np.arange(columns.size) - np.repeat(starts, np.diff(np.r_[starts, columns.size]))
    return np.stack([columns, occurrence], axis=1)


def _stack(records, members):
    """One :class:`BlockGroup` of the blocks ``members``, padded to their largest dimension and union of columns."""
    size = max(records[b]["vectors"].shape[0] for b in members)
    columns = [records[b]["columns"] for b in members]
    if all(c.size < 2 or np.all(np.diff(c) > 0) for c in columns):  # every row once per block: the rows are the keys
        union = columns[0] if all(np.array_equal(c, columns[0]) for c in columns) else np.unique(np.concatenate(columns))
        keys = np.stack([union, np.zeros_like(union)], axis=1)
        own_keys = [np.stack([c, np.zeros_like(c)], axis=1) for c in columns]
    else:
        own_keys = [_column_keys(c) for c in columns]
        keys = np.unique(np.concatenate(own_keys), axis=0)
    vectors = np.zeros((len(members), size, len(keys)), dtype=complex)
    coefficients = np.zeros((len(members), len(keys)))
    reference = np.zeros((len(members), len(keys)))
    for s, (b, own) in enumerate(zip(members, own_keys)):
        record = records[b]
        d = record["vectors"].shape[0]
        if len(own) == len(keys) and np.array_equal(own, keys):  # the usual case: the group's own columns
            vectors[s, :d] = record["vectors"]
            coefficients[s] = record["coefficients"]
            reference[s] = record["reference"]
            continue
        slots = _positions(keys, own)
        vectors[s, :d, slots] = record["vectors"].T  # the advanced index comes first
        coefficients[s, slots] = record["coefficients"]
        reference[s, slots] = record["reference"]
    identity = np.array([records[b]["identity"] for b in members])
    reference_identity = np.array([records[b]["reference_identity"] for b in members])
    identity_rows = np.flatnonzero(np.any(identity != 0, axis=0) | np.any(reference_identity != 0, axis=0))
    identity, reference_identity = identity[:, identity_rows], reference_identity[:, identity_rows]
    objective = np.array([records[b]["objective"] for b in members], dtype=float)
    dims = np.array([records[b]["vectors"].shape[0] for b in members])
    return BlockGroup(
        blocks=np.array(members),
        dims=dims,
        columns=keys[:, 0].copy(),
        vectors=vectors,
        coefficients=coefficients,
        reference=reference,
        identity_rows=identity_rows,
        identity=identity,
        reference_identity=reference_identity,
        objective=objective,
    )


def _positions(keys, own):
    """Where each of ``own`` (q, 2) sits in the sorted unique ``keys`` (p, 2)."""
    scale = int(max(keys[:, 1].max(initial=0), own[:, 1].max(initial=0))) + 1
    return np.searchsorted(keys[:, 0] * scale + keys[:, 1], own[:, 0] * scale + own[:, 1])


def _start_levels(groups, rhs, component, components, n_blocks):
    """An interior-point start ``X_b = level I`` per block: an equal share of its tightest covering row.

    At ``X_b = I / d_b`` (``d_b`` the padded dimension) a covering row takes
    some value ``v_j``; a block reached by covering rows starts at ``I / d_b``
    times the smallest ``-r_j / v_j`` over them (so it uses that row's budget
    at most once in all); other blocks at ``I / d_b``.
    """
    values = np.zeros(rhs.size)
    size = np.zeros(n_blocks)
    for group in groups:
        size[group.blocks] = group.size
        np.add.at(values, group.columns, -group.reference.sum(axis=0) / group.size)
        np.add.at(values, group.identity_rows, -group.reference_identity.sum(axis=0))
    levels = 1.0 / size
    for b in range(n_blocks):
        if component[b] >= 0:
            rows = components[component[b]]
            usable = rows[(rhs[rows] < 0) & (values[rows] > 0)]
            if usable.size:
                levels[b] *= float(np.min(-rhs[usable] / values[usable]))
    return levels


def _covering(records, n_rows, a, t_free):
    """Covering rows, the component of each block, the rows of each component, and each block's coverage."""
    largest = np.full(n_rows, -np.inf)
    touches = np.zeros((len(records), n_rows), dtype=bool)  # block b has data in row j
    for b, record in enumerate(records):
        np.maximum.at(largest, record["columns"], record["reference"])
        largest = np.maximum(largest, np.where(record["reference_identity"] != 0, record["reference_identity"], -np.inf))
        touches[b, record["columns"][record["reference"] != 0]] = True
        touches[b] |= record["reference_identity"] != 0
    covering = np.isfinite(largest) & (largest <= 0) & ((a == 0) if t_free else (a <= 0))
    touching = touches & covering
    # components: covering rows connected through the blocks they share (union-find over a small graph)
    parent = np.arange(n_rows)

    def root(j):
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for row_set in touching:
        rows = np.flatnonzero(row_set)
        for j in rows[1:]:
            parent[root(j)] = root(rows[0])
    roots = np.array([root(j) for j in range(n_rows)])
    covering_rows = np.flatnonzero(covering)
    numbers = {r: c for c, r in enumerate(sorted(set(roots[covering_rows].tolist())))}
    components = tuple(covering_rows[roots[covering_rows] == r] for r in sorted(numbers))
    component = np.array([numbers[roots[np.flatnonzero(row_set)[0]]] if row_set.any() else -1 for row_set in touching], dtype=int)
    coverage = np.zeros(len(records))
    for b, (record, row_set) in enumerate(zip(records, touching)):
        if not row_set.any():
            continue
        identity = -float(record["reference_identity"][row_set].sum())
        picked = row_set[record["columns"]] & (record["reference"] != 0)
        if not picked.any():  # identity terms only (the budgets): the coverage is their sum
            coverage[b] = identity
            continue
        G = record["vectors"][:, picked]
        data = -(G * record["reference"][picked]) @ G.conj().T
        data[np.diag_indices_from(data)] += identity
        coverage[b] = float(np.linalg.eigvalsh(data)[0])
    return covering, component, components, coverage
