"""Agent parameters from `KEY=VALUE` strings (the CLI's --param), validated by the agent's pydantic model.

A value for a text parameter is taken as written; any other value is read as JSON or YAML flow syntax first,
so lists, tuples, dicts, numbers, booleans and null can be given on the command line
(`passive_channels=[]`, `target_cpa={"google_ads": 40}`, `hill_shape=null`). An error names the parameter,
what was given and the shape expected, with an example.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from mops.core.base import load_yaml
from mops.core.errors import MopsError


class ParameterError(MopsError):
    """A --param value that the agent's parameters refuse."""


def parse_parameters(model: type[BaseModel], items: list[str], owner: str = "agent") -> BaseModel:
    """The validated parameters from KEY=VALUE items; ParameterError names each bad one."""
    raw: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"--param {item!r}: expected KEY=VALUE")
        if key not in model.model_fields:
            known = ", ".join(sorted(model.model_fields))
            raise ParameterError(f"--param {key}: {owner} has no parameter {key!r}; its parameters: {known}")
        raw[key] = value if _is_text(model.model_fields[key].annotation) and value != "null" else _load(value)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ParameterError(_explain(model, exc, items, owner)) from None


def _load(value: str) -> Any:
    """JSON / YAML flow value, or the text itself when it is neither."""
    try:
        return load_yaml(value)
    except yaml.YAMLError:
        return value


def _is_text(annotation: Any) -> bool:
    """A str field (or Literal of strings, or either or None): its value is taken as written."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if annotation is str:
        return True
    if origin is Literal:
        return all(isinstance(a, str) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return len(args) == 1 and _is_text(args[0])
    return False


def shape(annotation: Any) -> str:
    """The expected shape in words, with a command-line example."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        parts = [shape(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin in (tuple, list, set, frozenset):
        item = args[0] if args else Any
        return f"a JSON list of {_name(item)}, e.g. [{_example(item)}, {_example(item)}] (or [] for none)"
    if origin is dict:
        key, value = args if args else (str, Any)
        return f'a JSON object of {_name(key)} to {_name(value)}, e.g. {{"{_example(key, False)}": {_example(value)}}}'
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    return _name(annotation)


def _name(annotation: Any) -> str:
    names = {str: "text", int: "whole numbers", float: "numbers", bool: "true/false"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _example(annotation: Any, quoted: bool = True) -> str:
    if annotation is str:
        return '"google_ads"' if quoted else "google_ads"
    return {int: "7", float: "40.0", bool: "true"}.get(annotation, '"..."')


def _explain(model: type[BaseModel], exc: ValidationError, items: list[str], owner: str) -> str:
    given = dict(item.partition("=")[::2] for item in items)
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if field in model.model_fields:
            expected = shape(model.model_fields[field].annotation)
            lines.append(f"--param {field}={given.get(field, '')}: {error['msg']}; expected {expected}")
        else:
            lines.append(f"parameters of {owner}: {error['msg']}")
    return "\n".join(dict.fromkeys(lines))
