"""`fastapi._form_limits`: the form limits declaration under FastAPI's private name.

The declaration itself lives with the other route options (`ferroapi._routing.options.FormLimits`).
"""

from ferroapi._routing.options import FormLimits as _FormLimits

__all__ = ["_FormLimits"]
