"""Beyond the paper's target: fluctuating targets, clutter and partial synchronization.

Fig. 3's setting (K = 1, Pmax = 15 W, pFA = 1e-3, Rayleigh fading, Q = 9),
the paper's designs (proposed, ZF, sensing-only; Type-I and Type-II; both
scenarios), 20 channel realizations:

* pD against the SINR target (0-30 dB) under a Swerling I target, one
  coefficient common to the links and one per link;
* at Gamma = 15 dB, pD with a clutter patch (20 m x 20 m around the target
  area, 80 scatterers, 20 MHz range gating) of increasing power, for the
  paper's clutter-blind designs and the clutter-aware design (max-min SCNR);
* at Gamma = 15 dB, pD of the Scenario I designs under residual phase errors
  of spread 0 (Scenario I) to 1 (uniform), with the error-aware and the
  error-blind detector, against the Scenario II designs: where the cross
  links stop paying;
* the ROC of the proposed Type-II designs under the three target models,
  closed form and Monte Carlo (10^5 trials per point).

``--quick``: 2 realizations, SINR targets 0, 15, 30 dB, five phase spreads,
four clutter levels, 10^4 Monte Carlo trials.
"""
from isacsim.robustness import RobustnessFigure, RobustnessStudy
from isacsim_scenarios._common import K1

FIGURE = RobustnessFigure(
    name="robustness",
    title="Robustness of the paper's designs (Fig. 3 setting: K = 1, $P_{max}$ = 15 W)",
    study=RobustnessStudy(config=K1.evolve(sinr_target_db=15.0), n_realizations=20),
    quick={"n_realizations": 2, "sinr_values_db": (0.0, 15.0, 30.0), "phase_spreads": (0.0, 0.25, 0.5, 0.75, 1.0),
           "clutter_ratios_db": (-10.0, 10.0, 20.0, 30.0), "roc_trials": 10_000},
)

if __name__ == "__main__":
    from isacsim.reproduce import script

    script(FIGURE)
