"""The public API is documented and its types are reachable (issue 14, "Errors,
types and docs"): every public class, method, property and function of ``zova``
and of ``zova.diagnostics`` (its report functions and classes, DIAGNOSTICS) has
a docstring that names each parameter, a return annotation, and a return
annotation that names only exported types (so a user can write the annotation
themselves).
"""
from __future__ import annotations

import builtins
import collections.abc
import inspect
import re
import typing

import pytest

import zova
import zova.diagnostics

# zova.diagnostics' public surface as the issue names it: the four report
# functions and the classes they return or take.
DIAGNOSTICS = ["check", "doctor", "salvage_plan", "salvage", "CheckReport", "DoctorReport", "SalvageReport",
               "Diagnostics", "Issue", "Progress"]

EXPORTED = set(zova.__all__) | set(zova.diagnostics.__all__)
ALLOWED = (set(dir(builtins)) | set(typing.__all__) | set(collections.abc.__all__) | EXPORTED
           | {"None", "Self"})
# Qualified names from these modules are fine in annotations (numpy's array
# types, os.PathLike, types.TracebackType, io's constants).
ALLOWED_PREFIXES = ("np.", "npt.", "numpy.", "os.", "types.", "io.", "typing.", "collections.abc.")
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_STRINGS = re.compile(r"'[^']*'|\"[^\"]*\"")  # Literal["..."] contents are not names


def _members(cls: type) -> list[tuple[str, object]]:
    """The public callables and properties of cls, with those its zova bases give it."""
    seen: dict[str, object] = {}
    for base in reversed(cls.__mro__):
        if not base.__module__.startswith("zova"):
            continue
        for name, value in vars(base).items():
            if name.startswith("_") and not (name == "__init__" and base is cls):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property) or inspect.isfunction(value):
                seen[name] = value
    return sorted(seen.items())


def _surface() -> list[tuple[str, object, type | None]]:
    items: list[tuple[str, object, type | None]] = []
    for module, names in ((zova, zova.__all__), (zova.diagnostics, DIAGNOSTICS)):
        for name in names:
            value = getattr(module, name)
            qualified = f"{module.__name__}.{name}"
            if inspect.isclass(value):
                items.append((qualified, value, None))
                for member, attribute in _members(value):
                    items.append((f"{qualified}.{member}", attribute, value))
            elif inspect.isfunction(value):
                items.append((qualified, value, None))
    return items


def problems(name: str, value: object, owner: type | None) -> list[str]:
    """What is missing from one public class, function, method or property."""
    found: list[str] = []
    if inspect.isclass(value):
        if not (value.__doc__ or "").strip():
            found.append(f"{name}: no docstring")
        return found
    function = value.fget if isinstance(value, property) else value
    assert callable(function), name
    doc = inspect.getdoc(function) or ""
    is_init = function.__name__ == "__init__"
    if is_init:
        doc = f"{inspect.getdoc(owner) or ''}\n{function.__doc__ or ''}"
    elif not doc.strip():
        found.append(f"{name}: no docstring")
        return found
    signature = inspect.signature(function)
    for parameter in signature.parameters.values():
        if parameter.name in ("self", "cls") or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if not re.search(rf"\b{re.escape(parameter.name)}\b", doc):
            found.append(f"{name}: the docstring does not mention the parameter {parameter.name!r}")
    if is_init:
        return found
    annotation = function.__annotations__.get("return")
    if annotation is None:
        found.append(f"{name}: no return annotation")
        return found
    text = _STRINGS.sub("", annotation if isinstance(annotation, str) else inspect.formatannotation(annotation))
    for ident in _IDENT.findall(text):
        if ident in ALLOWED or ident.startswith(ALLOWED_PREFIXES):
            continue
        found.append(f"{name}: the return annotation {text!r} names {ident!r}, which zova does not export")
    if not isinstance(value, property) and text != "None" and not re.search(r"^(Returns|Yields):", doc, re.M):
        found.append(f"{name}: returns {text} but the docstring has no Returns: section")
    return found


SURFACE = _surface()


@pytest.mark.parametrize("name,value,owner", SURFACE, ids=[name for name, _, _ in SURFACE])
def test_public_callable_is_documented_and_typed(name: str, value: object, owner: type | None) -> None:
    assert problems(name, value, owner) == []


def test_the_surface_is_large() -> None:
    # The walk finds the API (a broken walk would pass every check above).
    names = {name for name, _, _ in SURFACE}
    for expected in ("zova.Database.execute", "zova.Database.search_vectors_batch", "zova.Statement.step",
                     "zova.Cursor.fetchmany", "zova.ObjectReader.readinto", "zova.Cancel.bound",
                     "zova.Database.open_object", "zova.diagnostics.salvage", "zova.diagnostics.CheckReport.to_dict",
                     "zova.diagnostics.SalvageReport.__init__", "zova.diagnostics.Diagnostics.add"):
        assert expected in names
    assert len(SURFACE) > 200


def test_the_checks_can_fail() -> None:
    class Sample:
        """A class."""

        def undocumented(self, value: int) -> int:
            return value

        def unnamed_parameter(self, value: int) -> None:
            """Does nothing."""

        def private_return(self) -> _Private:
            """Returns:
                a private thing."""
            return _Private()

        def no_returns_section(self) -> int:
            """A number."""
            return 1

    assert problems("undocumented", Sample.undocumented, Sample) == ["undocumented: no docstring"]
    assert "parameter 'value'" in problems("unnamed", Sample.unnamed_parameter, Sample)[0]
    assert "'_Private'" in problems("private", Sample.private_return, Sample)[0]
    assert "no Returns" in problems("returns", Sample.no_returns_section, Sample)[0]


class _Private:
    pass


@pytest.mark.parametrize("name", ["Statement", "Cursor", "ObjectId", "ObjectManifest", "Vector", "VectorSearchResult",
                                  "VectorCollectionInfo", "ObjectReader", "ObjectWriter", "SavepointContext",
                                  "Transaction", "CancelBinding"])
def test_returned_types_are_exported(name: str) -> None:
    assert name in zova.__all__
    assert getattr(zova, name).__name__ == name


def test_report_classes_are_exported() -> None:
    for name in ("CheckReport", "DoctorReport", "SalvageReport", "Diagnostics", "Issue"):
        assert name in zova.diagnostics.__all__


def test_py_typed_is_shipped() -> None:
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    assert (root / "python" / "zova" / "py.typed").is_file()
    assert 'zova = ["py.typed"]' in (root / "pyproject.toml").read_text()
