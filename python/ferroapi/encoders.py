"""`jsonable_encoder`: turn any Python value into plain JSON-compatible data, as FastAPI does.

Pydantic models go through `model_dump(mode="json")`; dataclasses through `dataclasses.asdict`; containers
are walked; leaf types are looked up in `ENCODERS_BY_TYPE` by exact type first, then by `isinstance` against
`encoders_by_class_tuples`.
Anything else is tried as a mapping (`dict(obj)`) and then as an object (`vars(obj)`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from pathlib import Path, PurePath
from re import Pattern
from types import GeneratorType
from typing import Any
from uuid import UUID

from pydantic import AnyUrl, BaseModel, NameEmail, SecretBytes, SecretStr
from pydantic.main import IncEx
from pydantic_core import PydanticUndefinedType, Url

from ferroapi._compat.shared import is_pydantic_v1_model_instance
from ferroapi.exceptions import PydanticV1NotSupportedError

__all__ = [
    "ENCODERS_BY_TYPE",
    "decimal_encoder",
    "encoders_by_class_tuples",
    "generate_encoders_by_class_tuples",
    "isoformat",
    "jsonable_encoder",
]

Encoder = Callable[[Any], Any]


def isoformat(o: datetime.date | datetime.time) -> str:
    return o.isoformat()


def decimal_encoder(dec_value: Decimal) -> int | float:
    """A Decimal without fractional digits becomes an int (round-trips `Numeric(x, 0)`), else a float."""
    exponent = dec_value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(dec_value)
    return float(dec_value)


try:
    # Deprecated by pydantic since 2.0, still encoded as FastAPI does.
    from pydantic.color import Color
except ImportError:  # pragma: no cover - removed from a future pydantic

    class Color:  # type: ignore[no-redef]
        """Placeholder: pydantic no longer has `pydantic.color` (nothing can be an instance)."""


try:
    from pydantic_extra_types.color import Color as PyExtraColor  # type: ignore[import-not-found,unused-ignore]
except ImportError:

    class PyExtraColor:  # type: ignore[no-redef]
        """Placeholder: `pydantic-extra-types` is not installed (nothing can be an instance)."""


ENCODERS_BY_TYPE: dict[type[Any], Encoder] = {
    bytes: lambda o: o.decode(),
    Color: str,
    PyExtraColor: str,
    datetime.date: isoformat,
    datetime.datetime: isoformat,
    datetime.time: isoformat,
    datetime.timedelta: lambda td: td.total_seconds(),
    Decimal: decimal_encoder,
    Enum: lambda o: o.value,
    frozenset: list,
    deque: list,
    GeneratorType: list,
    IPv4Address: str,
    IPv4Interface: str,
    IPv4Network: str,
    IPv6Address: str,
    IPv6Interface: str,
    IPv6Network: str,
    NameEmail: str,
    Path: str,
    Pattern: lambda o: o.pattern,
    SecretBytes: str,
    SecretStr: str,
    set: list,
    UUID: str,
    Url: str,
    AnyUrl: str,
}


def generate_encoders_by_class_tuples(
    type_encoder_map: dict[Any, Callable[[Any], Any]],
) -> dict[Callable[[Any], Any], tuple[Any, ...]]:
    """`{type: encoder}` inverted to `{encoder: (types...)}`, encoders and types in first-seen order."""
    by_encoder: dict[Callable[[Any], Any], tuple[Any, ...]] = defaultdict(tuple)
    for type_, encoder in type_encoder_map.items():
        by_encoder[encoder] += (type_,)
    return by_encoder


# The `isinstance` fallback for values whose exact type is not in ENCODERS_BY_TYPE: one check per
# encoder. Built once from ENCODERS_BY_TYPE, as in FastAPI (a type added to ENCODERS_BY_TYPE later is
# found for exact matches only; add its tuple here to cover subclasses).
encoders_by_class_tuples = generate_encoders_by_class_tuples(ENCODERS_BY_TYPE)

_SEQUENCE_TYPES = (list, set, frozenset, GeneratorType, tuple, deque)
_PRIMITIVES = (str, int, float, type(None))


def _lookup_encoder(obj: Any) -> Encoder | None:
    """Exact type first, then the first encoder one of whose classes `obj` is an instance of."""
    exact = ENCODERS_BY_TYPE.get(type(obj))
    if exact is not None:
        return exact
    for encoder, classes in encoders_by_class_tuples.items():
        if isinstance(obj, classes):
            return encoder
    return None


def _custom(obj: Any, custom_encoder: Mapping[Any, Encoder]) -> Encoder | None:
    exact = custom_encoder.get(type(obj))
    if exact is not None:
        return exact
    for type_, encoder in custom_encoder.items():
        if isinstance(obj, type_):
            return encoder
    return None


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: dict[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """Convert `obj` to data `json.dumps` accepts (FastAPI's `jsonable_encoder`, same signature)."""
    if custom_encoder:
        found = _custom(obj, custom_encoder)
        if found is not None:
            return found(obj)
    if include is not None and not isinstance(include, (set, dict)):
        include = set(include)  # type: ignore[assignment]
    if exclude is not None and not isinstance(exclude, (set, dict)):
        exclude = set(exclude)  # type: ignore[assignment]
    options: dict[str, Any] = {
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
        "custom_encoder": custom_encoder,
        "sqlalchemy_safe": sqlalchemy_safe,
    }
    if isinstance(obj, BaseModel):
        dumped = obj.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_none=exclude_none,
            exclude_defaults=exclude_defaults,
        )
        # The dump is already JSON data: only the key filters still apply (FastAPI passes no
        # custom encoder here either).
        return jsonable_encoder(
            dumped,
            exclude_none=exclude_none,
            exclude_defaults=exclude_defaults,
            sqlalchemy_safe=sqlalchemy_safe,
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable_encoder(dataclasses.asdict(obj), include=include, exclude=exclude, **options)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, _PRIMITIVES):
        return obj
    if isinstance(obj, PydanticUndefinedType):
        return None
    if isinstance(obj, dict):
        return _encode_dict(obj, include, exclude, options)
    if isinstance(obj, _SEQUENCE_TYPES):
        return [jsonable_encoder(item, include=include, exclude=exclude, **options) for item in obj]
    encoder = _lookup_encoder(obj)
    if encoder is not None:
        return encoder(obj)
    if is_pydantic_v1_model_instance(obj):
        raise PydanticV1NotSupportedError(
            f"pydantic.v1 models are no longer supported by FastAPI. Please update the model {obj!r}."
        )
    return jsonable_encoder(_as_mapping(obj), include=include, exclude=exclude, **options)


def _encode_dict(
    obj: dict[Any, Any], include: IncEx | None, exclude: IncEx | None, options: dict[str, Any]
) -> dict[Any, Any]:
    allowed = set(obj)
    if include is not None:
        allowed &= set(include)
    if exclude is not None:
        allowed -= set(exclude)
    sqlalchemy_safe = options["sqlalchemy_safe"]
    exclude_none = options["exclude_none"]
    encoded: dict[Any, Any] = {}
    for key, value in obj.items():
        if sqlalchemy_safe and isinstance(key, str) and key.startswith("_sa"):
            continue
        if (value is None and exclude_none) or key not in allowed:
            continue
        encoded[jsonable_encoder(key, **options)] = jsonable_encoder(value, **options)
    return encoded


def _as_mapping(obj: Any) -> dict[Any, Any]:
    errors: list[Exception] = []
    try:
        return dict(obj)
    except Exception as exc:
        errors.append(exc)
    try:
        return dict(vars(obj))
    except Exception as exc:
        errors.append(exc)
        raise ValueError(errors) from exc
