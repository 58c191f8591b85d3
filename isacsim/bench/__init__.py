"""``isacsim bench``: solve times of the structured solver against an in-run baseline.

:mod:`.paper` times the paper-size cases, :mod:`.scale` the growth with the
network size and the antennas, each solve in a fresh process
(:mod:`.process`); :mod:`.compare` holds the comparison of two solvers,
:mod:`.report` the CSV and figure, :mod:`.primal` the generic primal models.
"""
