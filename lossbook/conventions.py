"""Tables of framework conventions, generated from the registry (chapter 10).

Nothing here is typed in twice: names, defaults and reductions come from
:mod:`lossbook.registry`.  The PyTorch, Keras and optax columns are its framework entries,
which the tests check against the installed versions (names and defaults) and run against
the references; the other columns are names recorded from those libraries' sources.
"""

from __future__ import annotations

from .fmt import Table, table
from .registry import DEFAULT_REDUCTION, REGISTRY
from .spec import Api, LossSpec

#: Columns of the names table, and what goes in each: the APIs of the frameworks with
#: these keys (``"torch"``, ``"keras"``, ``"optax"``), then the ``LossSpec.others`` entries
#: with these.
COLUMNS = {
    "PyTorch": ("torch", "PyTorch"),
    "Keras 3 / TF": ("keras", "TF", "TF2"),
    "TF1": ("TF1",),
    "optax": ("optax",),
    "Flux": ("Flux",),
    "Gluon": ("Gluon",),
    "add-ons, history": ("torchvision", "TF Addons", "Keras 2"),
}

# DEFAULT_REDUCTION: the registry's, shown here
__all__ = ["COLUMNS", "DEFAULT_REDUCTION", "NONE", "chapter_table", "defaults_table",
           "described", "names_table", "short"]

NONE = "—"


def short(name: str) -> str:
    """``torch.nn.HuberLoss`` -> ``nn.HuberLoss``; ``keras.losses.Huber`` -> ``Huber``;
    ``optax.losses.huber_loss`` -> ``huber_loss``."""
    for namespace, shown in (("torch.nn.", "nn."), ("keras.losses.", ""),
                             ("optax.losses.", "")):
        name = name.replace(namespace, shown)
    return name


def described(api: Api, *, arguments: bool = False) -> str:
    """The API's short name, with how it differs from the reference in parentheses; with
    ``arguments``, called with its defaults (its reduction aside) and the arguments passed
    to match the reference: ``huber_loss(delta=1.0)``."""
    name = short(api.name)
    if arguments:
        args = {**{k: v for k, v in api.defaults.items() if k != "reduction"}, **api.fixed}
        name += f"({', '.join(f'{k}={v!r}' for k, v in args.items())})"
    notes = api.notes()
    return f"{name} ({'; '.join(notes)})" if notes else name


def names_row(spec: LossSpec) -> list[str]:
    """One row of the names table: the loss, then one cell per column of :data:`COLUMNS`."""
    cells = []
    for keys in COLUMNS.values():
        names = [described(a) for a in spec.apis if a.framework.key in keys]
        names += [spec.others[k] for k in keys if k in spec.others]
        cells.append("; ".join(names) or NONE)
    return [f"{spec.title} (lb.{spec.key})", *cells]


def names_table() -> tuple[list[list[str]], list[str]]:
    """Rows and headers: every registered loss and its name in each framework."""
    return [names_row(s) for s in REGISTRY.values()], ["loss", *COLUMNS]


def chapter_table(chapter: str) -> Table:
    """A chapter's losses and the PyTorch, Keras and optax calls that compute each (the
    chapter's summary)."""
    frameworks = {"PyTorch": "torch", "Keras": "keras", "optax": "optax"}
    rows = [[spec.key, spec.title, *("; ".join(described(a, arguments=True)
                                               for a in spec.apis if a.framework.key == key)
                                     or NONE for key in frameworks.values())]
            for spec in REGISTRY.values() if spec.chapter == chapter]
    return table(rows, ["lossbook", "loss", *frameworks])


def _call(api: Api | None) -> str:
    if api is None:
        return NONE
    return f"{short(api.name)}({', '.join(f'{k}={v!r}' for k, v in api.defaults.items())})"


def defaults_table() -> tuple[list[list[str]], list[str]]:
    """Losses that both PyTorch and Keras have: the defaults of each, the parameters whose
    defaults differ, and the arguments the book passes so that they compute the reference."""
    rows = []
    for spec in REGISTRY.values():
        if not (spec.torch and spec.keras):
            continue
        shared = set(spec.torch.params) & set(spec.keras.params)
        differ = [
            f"{p}: {spec.torch.defaults[spec.torch.params[p]]!r} vs "
            f"{spec.keras.defaults[spec.keras.params[p]]!r}"
            for p in sorted(shared)
            if spec.torch.defaults[spec.torch.params[p]]
            != spec.keras.defaults[spec.keras.params[p]]
        ]
        fixed = [f"{short(a.name)}: {', '.join(f'{k}={v!r}' for k, v in a.fixed.items())}"
                 for a in (spec.torch, spec.keras) if a.fixed]
        rows.append([spec.title, _call(spec.torch), _call(spec.keras),
                     "; ".join(differ) or "none", "; ".join(fixed) or NONE])
    return rows, ["loss", "PyTorch defaults", "Keras defaults",
                  "same parameter, different default", "passed to match the reference"]

