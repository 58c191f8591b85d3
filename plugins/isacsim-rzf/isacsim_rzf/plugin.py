"""isacsim plugin module, registered under the ``isacsim`` entry-point group."""
from isacsim import hookimpl

from .designer import RZFDesigner


@hookimpl
def isacsim_register_designers():
    """The RZF designer."""
    return [RZFDesigner]
