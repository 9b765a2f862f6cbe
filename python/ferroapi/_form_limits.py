"""`fastapi._form_limits`: the form limits declaration and its check, under FastAPI's private names.

The declaration lives with the other route options (`ferroapi._routing.options.FormLimits`) and the
check with the other limits (`ferroapi._pipeline.limits.validate_form_limits`, ValueError on anything
but non-negative ints under known names, as FastAPI's strict pydantic check). Nothing imports this
module at start-up.
"""

from typing import Any

from pydantic import ConfigDict as ConfigDict
from pydantic import NonNegativeInt as NonNegativeInt
from pydantic import TypeAdapter as TypeAdapter
from pydantic import with_config as with_config
from typing_extensions import TypedDict

from ferroapi._limits.forms import validate_form_limits
from ferroapi._routing.options import FormLimits as _FormLimits

__all__ = ["_FormLimits", "_validate_form_limits"]

_validate_form_limits = validate_form_limits

# FastAPI validates with a pydantic adapter over a strict declaration that forbids unknown keys: the
# same keys as `_FormLimits`, each a non-negative int.
_StrictFormLimits: Any = with_config(ConfigDict(strict=True, extra="forbid"))(
    TypedDict(  # type: ignore[operator]
        "_FormLimits", {name: NonNegativeInt for name in _FormLimits.__optional_keys__}, total=False
    )
)
_form_limits_adapter: TypeAdapter[Any] = TypeAdapter(_StrictFormLimits)
