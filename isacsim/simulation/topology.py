"""`Topology`: the network layout of a configuration (Figs. 2 and 7) as a job."""
from __future__ import annotations

import math

import attrs
import numpy as np

from .. import __version__
from ..scenario import ScenarioConfig

__all__ = ["Topology"]


@attrs.frozen(kw_only=True)
class Topology:
    """Positions of the BSs, users and target sample points of one configuration.

    Parameters
    ----------
    config : ScenarioConfig
    """

    config: ScenarioConfig = attrs.field(factory=ScenarioConfig)

    columns = ("task", "kind", "index", "cell", "x_m", "y_m", "broadside_deg")
    summary_columns = ("cell", "user", "distance_m", "angle_from_broadside_deg")

    def describe(self):
        """JSON-friendly description."""
        return {"kind": "topology", "config": self.config.as_dict(), "isacsim": __version__}

    def tasks(self):
        """One task."""
        return ["layout"]

    def rows_per_task(self, task):
        """BSs + users + sample points."""
        c = self.config
        return c.n_cells * (1 + c.n_users_per_cell) + c.points_per_side**2

    def run_task(self, task):
        """One row per BS, user and sample point."""
        network, grid = self.config.network(), self.config.grid()
        rows = []
        for l, bs in enumerate(network.base_stations):
            rows.append({"task": task, "kind": "bs", "index": l, "cell": l, "x_m": bs.position[0], "y_m": bs.position[1],
                         "broadside_deg": math.degrees(network.broadside(l))})
        for m in range(network.n_bs):
            for k, user in enumerate(network.users_of(m)):
                rows.append({"task": task, "kind": "user", "index": k, "cell": m, "x_m": user.position[0], "y_m": user.position[1], "broadside_deg": ""})
        for q, (x, y) in enumerate(grid.points):
            rows.append({"task": task, "kind": "point", "index": q, "cell": "", "x_m": x, "y_m": y, "broadside_deg": ""})
        return rows

    def summarize(self, rows):
        """Distance and angle of every user from its BS."""
        rows = list(rows)
        stations = {int(r["cell"]): r for r in rows if r["kind"] == "bs"}
        out = []
        for r in rows:
            if r["kind"] != "user":
                continue
            bs = stations[int(r["cell"])]
            dx, dy = float(r["x_m"]) - float(bs["x_m"]), float(r["y_m"]) - float(bs["y_m"])
            angle = math.degrees(math.atan2(dy, dx)) - float(bs["broadside_deg"])
            out.append({"cell": r["cell"], "user": r["index"], "distance_m": float(np.hypot(dx, dy)),
                        "angle_from_broadside_deg": (angle + 180.0) % 360.0 - 180.0})
        return out
