"""isacsim: coordinated beamforming for networked integrated sensing and communications.

The public model (Cheng, Fang, Xu, Ng, "Optimal Coordinated Transmit
Beamforming for Networked Integrated Sensing and Communications"):

>>> from isacsim import Network, TargetGrid, DesignProblem, TypeII, Detector
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from .lazy import lazy_exports

#: Public names and the modules that define them, imported on first use so
#: that ``import isacsim`` (and the command line's start) stays fast.
_EXPORTS = {
    "LineOfSight": ".channels",
    "RadarLink": ".channels",
    "RayleighFading": ".channels",
    "Detector": ".detection",
    "SyncErrors": ".sync_errors",
    "ClutterScene": ".clutter",
    "ClutterEchoes": ".clutter",
    "BaseStation": ".network",
    "CommUser": ".network",
    "Network": ".network",
    "DesignProblem": ".problem",
    "Receiver": ".receivers",
    "TypeI": ".receivers",
    "TypeII": ".receivers",
    "ScenarioConfig": ".scenario",
    "Simulation": ".simulation",
    "TargetGrid": ".targets",
    "hookimpl": ".hookspecs",
    "register": ".plugins",
    "db_to_linear": ".units",
    "dbm_to_watt": ".units",
    "linear_to_db": ".units",
    "watt_to_dbm": ".units",
}


if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .channels import LineOfSight, RadarLink, RayleighFading
    from .clutter import ClutterEchoes, ClutterScene
    from .detection import Detector
    from .hookspecs import hookimpl
    from .network import BaseStation, CommUser, Network
    from .plugins import register
    from .problem import DesignProblem
    from .receivers import Receiver, TypeI, TypeII
    from .scenario import ScenarioConfig
    from .simulation import Simulation
    from .sync_errors import SyncErrors
    from .targets import TargetGrid
    from .units import db_to_linear, dbm_to_watt, linear_to_db, watt_to_dbm

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
    "SyncErrors",
    "ClutterScene",
    "ClutterEchoes",
    "ScenarioConfig",
    "Simulation",
    "hookimpl",
    "register",
    "RayleighFading",
    "LineOfSight",
    "RadarLink",
    "db_to_linear",
    "linear_to_db",
    "dbm_to_watt",
    "watt_to_dbm",
]
