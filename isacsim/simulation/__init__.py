"""Monte Carlo sweeps: tasks, resumable storage, parallel execution, aggregation.

>>> from isacsim.simulation import Simulation, run
>>> from isacsim.scenario import ScenarioConfig
>>> sim = Simulation(config=ScenarioConfig(), x_name="sinr_target_db", x_values=[0, 10, 20], n_realizations=5)
>>> report = run(sim, "out/my-sweep")          # doctest: +SKIP
"""
from .aggregate import SOLVE_TIME_COLUMNS, SUMMARY_COLUMNS, summarize_solve_times, summarize_sweep
from .coverage import CoverageMap
from .executors import run_tasks
from .lock import DirectoryInUse
from .runner import RunReport, run
from .schemes import PAPER_SCHEMES, Scheme, with_designers
from .store import ConfigMismatch, ResultStore
from .sweep import EVALUATION_ONLY, Simulation
from .topology import Topology

__all__ = [
    "Simulation",
    "Scheme",
    "PAPER_SCHEMES",
    "with_designers",
    "CoverageMap",
    "Topology",
    "run",
    "run_tasks",
    "RunReport",
    "ResultStore",
    "ConfigMismatch",
    "DirectoryInUse",
    "summarize_sweep",
    "SUMMARY_COLUMNS",
    "summarize_solve_times",
    "SOLVE_TIME_COLUMNS",
    "EVALUATION_ONLY",
]
