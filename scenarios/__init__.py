"""The paper's figures (and more), one script each.

Installed as the package ``isacsim_scenarios``; run one with
``isacsim reproduce NAME`` or ``python scenarios/NAME.py``.
"""
