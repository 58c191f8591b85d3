"""Installing the misbehaving test plugin (``plugins/isacsim_fault_plugin.py``) as a real distribution.

A ``*.dist-info`` directory with its entry point, on the path: ``importlib.metadata``
finds it exactly as it finds a pip-installed package.
"""
import pathlib
import sys

from isacsim import plugins

#: Where the plugin's module lives.
PLUGIN_DIR = pathlib.Path(__file__).parent / "plugins"


def install_fault_plugin(site, version="1.0"):
    """Write the fault plugin's ``*.dist-info`` (distribution ``isacsim-fault-plugin``) into ``site``."""
    info = site / "isacsim_fault_plugin-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: isacsim-fault-plugin\nVersion: {version}\n")
    (info / "entry_points.txt").write_text("[isacsim]\nfaulty = isacsim_fault_plugin\n")


def forget_plugins():
    """Make this process load its plugins afresh (the fault plugin reads ``$ISACSIM_FAULT`` on import)."""
    sys.modules.pop("isacsim_fault_plugin", None)
    plugins.BROKEN_PLUGINS.clear()
    plugins._DISTRIBUTIONS.clear()
    plugins._cached_registries.cache_clear()


def fault_plugin_in_this_process(tmp_path, monkeypatch):
    """Install the plugin on this process's path; returns ``set(fault="", version="1.0")`` choosing what it does.

    A generator for a pytest fixture: it forgets the plugin again afterwards.
    """
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.setenv("ISACSIM_FAULT_MARKER", str(tmp_path / "fault-marker"))

    def set_fault(fault="", version="1.0"):
        install_fault_plugin(site, version)
        monkeypatch.setenv("ISACSIM_FAULT", fault)
        forget_plugins()

    yield set_fault
    forget_plugins()
