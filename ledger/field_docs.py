"""A model's field docstrings, read from its source when asked (``packwatch config``)."""

from __future__ import annotations

import ast
import inspect


def field_docstrings(cls: type) -> dict[str, str]:
    """Each field's docstring (the string under its annotation), read from the source only when asked:
    pydantic's ``use_attribute_docstrings`` reads it for every model on every start (~50 ms)."""
    body = ast.parse(inspect.cleandoc("\n" + inspect.getsource(cls))).body[0].body
    out = {}
    for field, doc in zip(body, body[1:], strict=False):
        if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name) and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)):
            out[field.target.id] = inspect.cleandoc(doc.value.value)
    return out
