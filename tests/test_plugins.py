"""Plugin system: built-ins, the external plugin's entry point, blocking and errors."""
import importlib.metadata
import inspect
import pathlib

import pluggy
import pytest

from isacsim import Detector, Receiver, TypeI, TypeII, hookimpl, hookspecs
from isacsim.designers import SDRDesigner
from isacsim import plugins
from isacsim.plugins import (
    DISABLE_ENV,
    build_registries,
    designer_registry,
    get_designer,
    get_plugin_manager,
    receiver_registry,
)
from isacsim.testing import small_problem


def test_isacsim_register_designers_collects_the_builtins():
    registry = designer_registry()
    for name in ("sdr", "zf", "sensing-only"):
        assert registry[name][1] == "isacsim"
    assert set(receiver_registry()) >= {"type-i", "type-ii"}
    assert get_designer("sdr") is SDRDesigner


def test_external_plugin_is_found_through_its_entry_point():
    entry_points = {ep.name: ep for ep in importlib.metadata.entry_points(group="isacsim")}
    assert "rzf" in entry_points, "install the example plugin: pip install ./plugins/isacsim-rzf"
    cls, plugin = designer_registry()["rzf"]
    assert plugin == "rzf" and cls.__module__.startswith("isacsim_rzf")


def test_environment_variable_blocks_named_plugins(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "rzf, other")
    manager = get_plugin_manager()
    assert manager.is_blocked("rzf")
    assert "rzf" not in designer_registry()
    assert "sdr" in designer_registry()  # the built-ins stay


def _manager_with(*plugins):
    manager = pluggy.PluginManager("isacsim")
    manager.add_hookspecs(hookspecs)
    for name, plugin in plugins:
        manager.register(plugin, name=name)
    return manager


class _Duplicate:
    @staticmethod
    @hookimpl
    def isacsim_register_designers():
        return [SDRDesigner]


class _NotADesigner:
    @staticmethod
    @hookimpl
    def isacsim_register_designers():
        return [object]


@pytest.fixture
def fresh_warnings():
    """Each disabled plugin is reported once per process: forget the reports around the test."""
    plugins.BROKEN_PLUGINS.clear()
    yield
    plugins.BROKEN_PLUGINS.clear()


def _disabled_warnings(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if "is disabled" in line]


def test_a_reused_name_disables_the_later_plugin_naming_both(fresh_warnings, capsys):
    from isacsim import builtin

    manager = _manager_with(("isacsim", builtin), ("copycat", _Duplicate()))
    registry = build_registries(manager)["designer"]
    assert registry["sdr"] == (SDRDesigner, "isacsim")  # the first registration stands
    warnings = _disabled_warnings(capsys)
    assert len(warnings) == 1 and "'copycat'" in warnings[0] and "'sdr'" in warnings[0] and "plugin 'isacsim'" in warnings[0]


def test_an_invalid_registration_disables_its_plugin_with_one_warning(fresh_warnings, capsys):
    from isacsim import builtin

    manager = _manager_with(("isacsim", builtin), ("broken", _NotADesigner()), ("half", _ReceiverPlugin()))
    registries = build_registries(manager)
    assert set(registries["designer"]) == {"sdr", "zf", "sensing-only"}
    assert "half-cancellation" in registries["receiver"]  # other plugins are untouched
    build_registries(manager)  # asked again: no second warning
    warnings = _disabled_warnings(capsys)
    assert len(warnings) == 1 and "plugin 'broken'" in warnings[0] and "not a designer class" in warnings[0]


class _HalfCancellation(Receiver):
    """Imperfect cancellation: half the sensing interference remains."""

    name = "half-cancellation"
    sensing_leakage = 0.5


class _ReceiverPlugin:
    @staticmethod
    @hookimpl
    def isacsim_register_receivers():
        return [_HalfCancellation]


def test_isacsim_register_receivers_adds_a_receiver_the_sdr_handles():
    from isacsim import builtin

    manager = _manager_with(("isacsim", builtin), ("half", _ReceiverPlugin()))
    registry = build_registries(manager)["receiver"]
    assert registry["half-cancellation"] == (_HalfCancellation, "half")
    problem = small_problem(seed=1, n_users_per_cell=1, n_tx=6, sinr_target_db=20.0)
    value = {r.name: SDRDesigner().design(problem, r, Detector()).certificate.objective for r in (TypeI(), _HalfCancellation(), TypeII())}
    assert value["type-i"] * (1 - 1e-6) <= value["half-cancellation"] <= value["type-ii"] * (1 + 1e-6)


def test_a_receiver_must_subclass_receiver(fresh_warnings, capsys):
    class _Bogus:
        @staticmethod
        @hookimpl
        def isacsim_register_receivers():
            return [SDRDesigner]

    assert build_registries(_manager_with(("bogus", _Bogus())))["receiver"] == {}
    warnings = _disabled_warnings(capsys)
    assert len(warnings) == 1 and "plugin 'bogus'" in warnings[0] and "must subclass isacsim.Receiver" in warnings[0]


def test_unknown_designer_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"choices: .*sdr"):
        get_designer("no-such-designer")


def test_every_hookspec_is_documented_and_exercised_by_a_test():
    specs = [name for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("isacsim_")]
    assert specs
    tests = "\n".join(p.read_text() for p in pathlib.Path(__file__).parent.glob("test_*.py"))
    for name in specs:
        assert inspect.getdoc(getattr(hookspecs, name)), f"{name} has no docstring"
        assert f"def test_{name}" in tests, f"{name} is not exercised by a test named test_{name}..."
