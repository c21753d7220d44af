"""The registry is the single source of truth: its names and defaults must be real, and the
package is layered: references on a floor of math and validation, the registry on top."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import lossbook
import lossbook as lb
from lossbook import conventions
from lossbook.registry import FRAMEWORKS, KERAS, OPTAX, TORCH, resolve
from lossbook.spec import TARGETS

ROOT = Path(__file__).resolve().parent.parent
APIS = [(s.key, api) for s in lb.REGISTRY.values() for api in s.apis]


IDS = [f"{k}-{a.framework.key}-{a.name.rsplit('.', 1)[1]}" for k, a in APIS]
#: Parameters that a reference and its framework loss name alike but mean differently.
SAME_NAME_OTHER_MEANING = {
    ("adaptive_softmax", "torch.nn.AdaptiveLogSoftmaxWithLoss", "head_bias"),  # array, flag
}


@pytest.mark.parametrize("key, api", APIS, ids=IDS)
def test_framework_name_exists_and_defaults_match(frameworks, optax, key, api):
    actual = api.actual_defaults()
    assert actual == api.defaults, f"{api.name}: registry says {api.defaults}, found {actual}"
    parameters = inspect.signature(resolve(api.name)).parameters
    assert set(api.params.values()) | set(api.fixed) <= set(parameters), api.name
    reference = lb.REGISTRY[key].reference
    assert set(api.params) | set(api.reference_params) <= set(reference.params), api.params
    assert api.target_as is None or api.target_as in TARGETS
    if api.sums_last_axis:  # it sums over an axis that is the last one unless told
        assert parameters["axis"].default == -1, api.name


@pytest.mark.parametrize("key, api", APIS, ids=IDS)
def test_a_reference_parameter_the_framework_also_takes_is_mapped(frameworks, optax, key,
                                                                 api):
    """A parameter both have by name is passed (a dropped mapping would leave the framework
    at its default while the tests vary the reference's)."""
    parameters = inspect.signature(resolve(api.name)).parameters
    for name in set(lb.REGISTRY[key].reference.params) & set(parameters):
        if (key, api.name, name) not in SAME_NAME_OTHER_MEANING:
            assert name in api.params or name in api.reference_params, (api.name, name)


@pytest.mark.parametrize("framework", FRAMEWORKS.values(), ids=lambda f: f.key)
def test_every_api_of_a_framework_defaults_to_its_default_reduction(framework):
    for key, api in APIS:
        if api.framework is framework and "reduction" in api.defaults:
            assert api.defaults["reduction"] == framework.default_reduction, key
    assert set(framework.reductions.values()) <= set(lb.REDUCTIONS)


def test_reduction_names():
    assert all(name == ours for name, ours in TORCH.reductions.items())
    assert all(name == ours for name, ours in OPTAX.reductions.items())  # jnp.sum, jnp.mean
    assert KERAS.reductions["sum_over_batch_size"] == "mean"
    assert KERAS.reductions["mean_with_sample_weight"] == "weighted_mean"


def test_keras_reduction_names_are_the_ones_keras_accepts(frameworks):
    from keras.src.losses.loss import standardize_reduction

    for name in KERAS.reductions:
        assert standardize_reduction(name) == name
    with pytest.raises(ValueError):
        standardize_reduction("weighted_mean")  # lossbook's name is not Keras'


OTHER_APIS = sorted({(key, name) for s in lb.REGISTRY.values()
                     for key, name in s.others.items() if name.startswith("tf.")})


@pytest.mark.parametrize("column, text", OTHER_APIS)
def test_tensorflow_names_in_the_conventions_table_exist(frameworks, column, text):
    """TF1 and tf.nn names are text in the registry: each dotted name must resolve."""
    for name in re.findall(r"\btf\.[\w.]+\w", text):
        assert callable(resolve(name.replace("tf.", "tensorflow.", 1))), name


def test_optax_reductions_on_top_are_jax_numpy_functions(optax):
    import jax.numpy as jnp

    assert OPTAX.default_reduction is None  # its losses take no reduction argument
    assert all(callable(getattr(jnp, name)) for name in OPTAX.reductions if name != "none")


def test_optax_names_are_only_checked_entries():
    """The optax column is the registry's optax APIs (checked and run by the tests): no
    recorded, unchecked optax names."""
    assert not [s.key for s in lb.REGISTRY.values() if "optax" in s.others]
    assert {s.key for s in lb.REGISTRY.values() if s.optax} >= {"mse", "ctc", "kl_div"}


def test_notes_say_how_an_api_differs_from_its_reference():
    notes = {(s.key, a.name.rsplit(".", 1)[1]): a.notes() for s in lb.REGISTRY.values()
             for a in s.apis}
    assert notes["mse", "l2_loss"] == ["× 0.5"]
    assert notes["categorical_hinge", "multiclass_hinge_loss"] == [
        "class indices as target", "crammer_singer=True"]
    assert notes["kl_div", "kl_divergence"] == ["sums over the last axis"]
    assert notes["multilabel_soft_margin", "sigmoid_binary_cross_entropy"] == [
        "then mean over the last axis"]
    assert notes["mse", "MSELoss"] == []
    names = dict(zip(conventions.names_table()[1],
                     conventions.names_row(lb.REGISTRY["mse"]), strict=True))
    assert names["optax"] == "squared_error; l2_loss (× 0.5)"


def test_chapter_table_lists_each_loss_of_the_chapter_with_its_calls():
    rows = conventions.chapter_table("03_probabilistic_classification").rows
    assert [r[0] for r in rows] == [s.key for s in lb.REGISTRY.values()
                                    if s.chapter == "03_probabilistic_classification"]
    cross_entropy = next(r for r in rows if r[0] == "cross_entropy")
    assert cross_entropy[2] == ("nn.CrossEntropyLoss(weight=None, ignore_index=-100, "
                                "label_smoothing=0.0)")
    assert cross_entropy[3] == ("SparseCategoricalCrossentropy(from_logits=True, "
                                "ignore_class=None)")
    assert next(r for r in rows if r[0] == "binary_cross_entropy")[4] == conventions.NONE


def test_api_refuses_unknown_conversions():
    with pytest.raises(ValueError, match="target_as must be one of"):
        OPTAX.api("hinge_loss", target_as="signs")
    with pytest.raises(ValueError, match="then must be"):
        OPTAX.api("sigmoid_binary_cross_entropy", then="max")


def test_every_other_library_and_framework_has_a_column():
    known = {k for keys in conventions.COLUMNS.values() for k in keys}
    assert {k for s in lb.REGISTRY.values() for k in s.others} <= known
    assert set(FRAMEWORKS) <= known


def test_default_reductions_are_the_frameworks():
    assert conventions.DEFAULT_REDUCTION["PyTorch"].startswith('"mean"')
    assert conventions.DEFAULT_REDUCTION["Keras 3"].startswith('"sum_over_batch_size"')
    assert conventions.DEFAULT_REDUCTION["optax"].startswith("none")


# --- layers ----------------------------------------------------------------------------

MODULES = {f"lossbook.{m.name}": importlib.import_module(f"lossbook.{m.name}")
           for m in pkgutil.iter_modules(lossbook.__path__)}
#: The ground floor: shared math, validation and the reference mechanism.
FLOOR = {"lossbook.numerics", "lossbook.inputs", "lossbook.reference", "lossbook.reduction"}
REFERENCE_MODULES = sorted(name for name, m in MODULES.items()
                           if any(isinstance(o, lb.Reference) and o.__module__ == name
                                  for o in vars(m).values()))


def imports(module: str) -> set[str]:
    """The modules that ``module``'s source imports (anywhere in it), absolute names."""
    tree = ast.parse(Path(MODULES[module].__file__).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["lossbook", *filter(None, [base])])
            names = [f"{base}.{a.name}" for a in node.names]
            found |= {n if n in MODULES else base for n in names}
    return found


def test_the_reference_modules_are_found():
    assert {"lossbook.regression", "lossbook.classification", "lossbook.ctc",
            "lossbook.adaptive"} <= set(REFERENCE_MODULES)


@pytest.mark.parametrize("module", REFERENCE_MODULES)
def test_references_import_only_numpy_and_the_floor(module):
    assert imports(module) <= {"__future__", "numpy"} | FLOOR - {"lossbook.reduction"}


@pytest.mark.parametrize("module", sorted(FLOOR))
def test_the_floor_imports_only_numpy_and_itself(module):
    allowed = {"__future__", "numpy", "functools", "inspect", "collections.abc",
               "dataclasses"}
    assert imports(module) <= allowed | FLOOR


def test_lossbook_imports_have_no_cycle():
    graph = {m: {i for i in imports(m) if i in MODULES} for m in MODULES}
    done, active = set(), []

    def visit(m):
        assert m not in active, "import cycle: " + " -> ".join([*active, m])
        if m not in done:
            active.append(m)
            for i in graph[m]:
                visit(i)
            active.pop()
            done.add(m)

    for m in graph:
        visit(m)
    assert "lossbook.registry" not in {i for m in REFERENCE_MODULES for i in graph[m]}


def test_every_reference_is_registered_once():
    references = {name for m in MODULES.values() for name, obj in vars(m).items()
                  if isinstance(obj, lb.Reference)}
    assert references
    registered = [s.key for s in lb.REGISTRY.values()]
    assert sorted(registered) == sorted(set(registered))
    assert references <= set(registered)


# --- the book uses what the registry says ----------------------------------------------

def chapter_code(chapter: str) -> str:
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("spec", lb.REGISTRY.values(), ids=lambda s: s.key)
def test_chapter_uses_reference_and_framework_calls(spec):
    """Each registered loss appears in its chapter: the reference and the real framework API
    (whole names: ``Hinge`` is not found inside ``SquaredHinge``)."""
    code = chapter_code(spec.chapter)
    assert re.search(rf"\blb\.{spec.key}\b", code), f"lb.{spec.key} is not called"
    for api in spec.apis:
        name = api.name.rsplit(".", 1)[1]
        # optax's short names (hinge_loss, cosine_similarity) also exist in TF1 and PyTorch
        prefix = r"\boptax\.(losses\.)?" if api.framework.key == "optax" else r"\b"
        assert re.search(rf"{prefix}{name}\b", code), f"{api.name} is not called in the chapter"


def test_api_page_documents_every_reference():
    api = (ROOT / "api.md").read_text()
    for spec in lb.REGISTRY.values():
        module = spec.reference.__module__
        assert f".. autofunction:: {module}.{spec.key}\n" in api, f"{spec.key} not in api.md"
