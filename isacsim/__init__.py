"""isacsim: coordinated beamforming for networked integrated sensing and communications.

The public model (Cheng, Fang, Xu, Ng, "Optimal Coordinated Transmit
Beamforming for Networked Integrated Sensing and Communications"):

>>> from isacsim import Network, TargetGrid, DesignProblem, TypeII, Detector
"""

__version__ = "0.1.0"

from .channels import LineOfSight, RadarLink, RayleighFading
from .detection import Detector
from .network import BaseStation, CommUser, Network
from .problem import DesignProblem
from .receivers import Receiver, TypeI, TypeII
from .scenario import ScenarioConfig
from .simulation import Simulation
from .targets import TargetGrid
from .hookspecs import hookimpl
from .units import db_to_linear, dbm_to_watt, linear_to_db, watt_to_dbm

__all__ = [
    "BaseStation",
    "CommUser",
    "Network",
    "TargetGrid",
    "DesignProblem",
    "Receiver",
    "TypeI",
    "TypeII",
    "Detector",
    "ScenarioConfig",
    "Simulation",
    "hookimpl",
    "RayleighFading",
    "LineOfSight",
    "RadarLink",
    "db_to_linear",
    "linear_to_db",
    "dbm_to_watt",
    "watt_to_dbm",
]
