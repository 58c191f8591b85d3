"""The gallery page: every ``isacsim reproduce`` study, its figure computed with ``--quick`` at build time."""
from __future__ import annotations

import importlib
import shutil


def _description(name):
    """The scenario script's docstring, without its first line (the title)."""
    from isacsim import reproduce as registry

    module = importlib.import_module(f"isacsim_scenarios.{registry._modules()[name]}")
    text = (module.__doc__ or "").strip().split("\n", 1)
    return text[1].strip() if len(text) > 1 else ""


def write(generated, runs, *, enabled=True):
    """Run every study quick into ``runs/NAME`` (resumable) and write ``generated/gallery.md``."""
    from isacsim.figures import plain_title, reproduce
    from isacsim.reproduce import available, load

    images = generated / "gallery"
    images.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Gallery",
        "",
        "Every study that `isacsim reproduce` knows, with its figure as `--quick` draws it: few",
        "realizations (the title says how many), the full range of the swept value. The figures are",
        "computed when this documentation is built; the full-fidelity versions take minutes to hours",
        "(`isacsim reproduce NAME` without `--quick`). Each figure comes with the command that",
        "draws it.",
        "",
    ]
    if not enabled:
        lines += ["```{note}", "This build left the figures out (`ISACSIM_DOCS_GALLERY=0`).", "```", ""]
    for name in available():
        figure = load(name)
        plain = plain_title(figure.title)
        lines += [f"## `{name}`", "", plain, "", "```sh", f"isacsim reproduce {name} --quick", "```", ""]
        description = _description(name)
        if description:
            lines += [description, ""]
        if enabled:
            report = reproduce(figure, runs / name, quick=True, progress=False)
            if report.failures:
                raise RuntimeError(f"gallery: {name}: {report.n_failed} point(s) failed")
            shutil.copyfile(runs / name / f"{name}.png", images / f"{name}.png")
            lines += [f"```{{image}} gallery/{name}.png", f":alt: {plain}", ":width: 100%", "```", ""]
    (generated / "gallery.md").write_text("\n".join(lines))


def tutorial_figures(docs, generated, runs):
    """Run ``tutorials/own_scenario.py`` into ``runs`` and copy its figure beside the generated pages."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("isacsim_docs_own_scenario", docs / "tutorials" / "own_scenario.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report, figure = module.main(runs / "antennas")
    if report.failures:
        raise RuntimeError(f"tutorial own_scenario: {report.n_failed} point(s) failed")
    (generated / "tutorials").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(figure, generated / "tutorials" / "antennas.png")
