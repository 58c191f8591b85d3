"""`DatasetConfig`: what a dataset holds, and how one shard of it is computed.

Sample ``i`` is the problem of the scenario drawn from the channel
realization ``i`` of the seed (:func:`isacsim.scenario.realization_rng`),
with SINR targets drawn from a stream of its own when they span a range,
and its design by one designer, receiver and detector. It depends on the
seed and ``i`` alone, so a killed run resumes with bit-identical samples
whatever the shards, batches and workers.
"""
from __future__ import annotations

import math

import attrs
import numpy as np

from .. import __version__
from .. import validation as v
from ..errors import InputError
from ..scenario import ScenarioConfig, realization_rng
from .files import FIELDS, FORMAT_VERSION

__all__ = ["DatasetConfig", "SHARD_BYTES", "sample_bytes"]

#: Size a shard aims at [bytes]: shards of this size load fast and lose
#: little work when a run is killed.
SHARD_BYTES = 32 * 2**20
#: Largest number of samples in a shard.
_MAX_SHARD = 1024


def sample_bytes(config):
    """Bytes of one sample's arrays in a shard, for a :class:`ScenarioConfig`."""
    L, K, n_tx, Q = config.n_cells, config.n_users_per_cell, config.n_tx, config.points_per_side**2
    complex_entries = L * L * K * n_tx + Q * L * n_tx + L * K * n_tx + L * n_tx * n_tx
    real_entries = Q * L * L + L * K + L + 2 * L + 2 * L * K + 2 * Q + 3 * Q + 16
    return 16 * complex_entries + 8 * real_entries


def _default_shard_size(config):
    """The largest power of two of samples within :data:`SHARD_BYTES` (1 to 1024)."""
    fitting = max(1, SHARD_BYTES // sample_bytes(config.scenario))
    return min(_MAX_SHARD, 2 ** int(math.log2(fitting)))


def _sinr_range(value):
    """A target in dB, or a range ``(low, high)``, as ``(low, high)``."""
    text = value
    if isinstance(value, str):
        try:
            value = tuple(float(part) for part in value.split(":"))
        except ValueError:
            raise InputError(f"sinr_db: expected a number or LOW:HIGH in dB, got {text!r}") from None
    if isinstance(value, (int, float)):
        value = (value,)
    if isinstance(value, tuple) and len(value) == 1:
        value = value * 2
    try:
        low, high = (float(x) for x in value)
    except (TypeError, ValueError):
        raise InputError(f"sinr_db: expected a number or LOW:HIGH in dB, got {text!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise InputError(f"sinr_db: expected finite dB values with LOW <= HIGH, got {low!r}:{high!r}")
    return low, high


def _registered(kind):
    def convert(name):
        from ..plugins import get_designer, get_receiver

        lookup = get_designer if kind == "designer" else get_receiver
        return lookup(name).name  # the registered spelling

    return convert


@attrs.frozen(kw_only=True)
class DatasetConfig:
    """A dataset of designs: N problems of one scenario, each with its design.

    Parameters
    ----------
    n : int
        Number of samples N, >= 1.
    scenario : ScenarioConfig
        The problems' family; its ``sinr_target_db`` is replaced by
        ``sinr_db``.
    designer : str
        Registered designer name (``sdr``, ``zf``, ...).
    receiver : str
        Registered receiver name (``type-i``, ``type-ii``).
    synchronized : bool
        Scenario I (True) or II (False).
    sinr_db : float or (float, float) or str
        One SINR target for every user [dB], or a range ``(low, high)``
        (``"LOW:HIGH"``) from which each user's target of each sample is
        drawn uniformly in dB.
    seed : int
        Root seed: sample i's channels come from ``realization_rng(seed, i)``.
    shard_size : int
        Samples per shard file (default: a power of two of about
        :data:`SHARD_BYTES`).
    """

    n: int = attrs.field(validator=v.integer_at_least(1))
    scenario: ScenarioConfig = attrs.field(factory=ScenarioConfig, validator=attrs.validators.instance_of(ScenarioConfig))
    # Converters made by a factory: mypy's attrs plugin follows only named functions and
    # lambdas, so these fields' __init__ parameters are typed Any.
    designer: str = attrs.field(default="sdr", converter=_registered("designer"))  # type: ignore[misc]
    receiver: str = attrs.field(default="type-ii", converter=_registered("receiver"))  # type: ignore[misc]
    synchronized: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    sinr_db: tuple = attrs.field(default=(15.0, 15.0), converter=_sinr_range)
    seed: int = attrs.field(default=2024, validator=v.integer_at_least(0))
    shard_size: int = attrs.field(default=attrs.Factory(_default_shard_size, takes_self=True), validator=v.integer_at_least(1))

    def __attrs_post_init__(self):
        object.__setattr__(self, "scenario", self.scenario.evolve(sinr_target_db=self.sinr_db[0]))

    def describe(self):
        """JSON-friendly description; equal descriptions mean equal samples.

        It names the designer's parameters and the version of any plugin
        that provides the designer or the receiver
        (:func:`isacsim.simulation.schemes.describe_schemes`).
        """
        from ..simulation.schemes import Scheme, describe_schemes

        described = describe_schemes([Scheme(self.designer, self.receiver, self.synchronized)])
        return {
            "designer_parameters": described["schemes"][0]["designer_parameters"],
            "plugins": described["plugins"],
            "kind": "dataset",
            "format_version": FORMAT_VERSION,
            "n": self.n,
            "scenario": self.scenario.as_dict(),
            "designer": self.designer,
            "receiver": self.receiver,
            "synchronized": self.synchronized,
            "sinr_db": list(self.sinr_db),
            "seed": self.seed,
            "shard_size": self.shard_size,
            "isacsim": __version__,
        }

    # ----------------------------------------------------------- the samples
    @property
    def n_shards(self):
        """Number of shards."""
        return math.ceil(self.n / self.shard_size)

    def shard_range(self, shard):
        """``(start, stop)``: the samples of shard number ``shard``."""
        start = shard * self.shard_size
        return start, min(self.n, start + self.shard_size)

    def problem(self, index):
        """The problem of sample ``index`` (:class:`~isacsim.problem.DesignProblem`)."""
        problem = self.scenario.build(realization_rng(self.seed, index))
        low, high = self.sinr_db
        if low == high:
            return problem
        draw = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(index, 1)))
        return problem.evolve(gamma=10.0 ** (draw.uniform(low, high, problem.gamma.shape) / 10.0))

    # ------------------------------------------------ the job (isacsim.simulation)
    def tasks(self):
        """One task per shard, ``"shard-K"``."""
        return [f"shard-{k}" for k in range(self.n_shards)]

    def run_task(self, task):
        """Compute one shard.

        Returns
        -------
        list of dict
            One dict per sample, in order: every field of :data:`FIELDS`
            for one sample (a design that raised has status ``error``, its
            message as reason, zero beams and NaN numbers).
        """
        from ..designers.batch import batch_limit, design_batch
        from ..detection import Detector
        from ..evaluation import evaluate_each
        from ..guard import run_designer_batch
        from ..plugins import get_designer, get_receiver
        from ..simulation.batching import MAX_BATCH

        start, stop = self.shard_range(int(task.split("-")[1]))
        problems = [self.problem(i) for i in range(start, stop)]
        designer, receiver = get_designer(self.designer)(), get_receiver(self.receiver)()
        detector = Detector(synchronized=self.synchronized)
        size = min(MAX_BATCH, batch_limit(self.scenario))
        designs = []
        for first in range(0, len(problems), size):
            chunk = problems[first : first + size]
            try:
                designs.extend(run_designer_batch(designer, chunk, receiver, detector, batch=design_batch))
            except Exception:  # noqa: BLE001 - one by one, so that a failure is its own sample's
                designs.extend(_design_alone(designer, problem, receiver, detector) for problem in chunk)
        evaluations = evaluate_each(problems, designs)
        return [_sample(i, p, d, e) for i, p, d, e in zip(range(start, stop), problems, designs, evaluations)]


def _design_alone(designer, problem, receiver, detector):
    from ..guard import run_designer

    try:
        return run_designer(designer, problem, receiver, detector)
    except Exception as error:  # noqa: BLE001 - the sample's failure, recorded in it
        return error


_CERTIFICATE = ("duality_gap", "max_sinr_violation", "max_power_violation", "min_eig_r", "rank_one_residual", "iterations", "repaired")


def _sample(index, problem, design, evaluation):
    """The fields of one sample (:data:`FIELDS`); ``design`` or ``evaluation`` may be the exception that failed it."""
    sample = {"index": np.int64(index), **{key: np.asarray(getattr(problem, key)) for key in ("H", "A", "G", "gamma", "p_max", "sigma_c2", "sigma_d2", "n_rx", "p_fa")}}
    sample.update({key: np.asarray(problem.extras[key], dtype=float) for key in ("bs_positions", "user_positions", "points")})
    if isinstance(evaluation, Exception) and not isinstance(design, Exception):
        design = evaluation
    if isinstance(design, Exception):
        nan = np.full(problem.n_points, np.nan)
        sample.update(
            w=np.zeros((problem.n_bs, problem.n_users_per_cell, problem.n_tx), dtype=complex),
            R=np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex),
            status=np.str_("error"), reason=np.str_(f"{type(design).__name__}: {' '.join(str(design).split())}"),
            objective_w=np.nan, bound_w=np.nan, reflected_power_w=nan, detection_probability=nan,
            **{key: np.nan for key in _CERTIFICATE[:-2]}, iterations=np.int64(-1), repaired=np.False_,
        )
    else:
        certificate = design.certificate
        sample.update(
            w=design.w, R=design.R, status=np.str_(design.status), reason=np.str_(design.reason),
            objective_w=np.float64(certificate.objective), bound_w=np.float64(certificate.bound),
            reflected_power_w=evaluation.reflected_power_w, detection_probability=evaluation.detection_probability,
            **{key: np.float64(getattr(certificate, key)) for key in _CERTIFICATE[:-2]},
            iterations=np.int64(certificate.iterations), repaired=np.bool_(certificate.repaired),
        )
    return {key: sample[key] for key in FIELDS}
