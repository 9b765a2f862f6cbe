"""The OpenAPI schema of a form body assembled from form models, as FastAPI documents it.

A form is flat: the fields of every form model (and every plain form field) are keys of the same
form. So the body schema is one object whose conditions (`allOf`) are the models' schemas, with:
- property names as a client sends them (a field's validation alias, or its first alias choice);
- an optional model (`Model | None`) documented as "absent (none of its keys sent) or valid";
- a required nullable model documented as "something of it was sent, and valid".
Both hooks run inside pydantic's JSON Schema generation of the combined `Body_<route>` model.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, get_args

from pydantic import AliasChoices, BaseModel, GetJsonSchemaHandler
from pydantic_core import CoreSchema

from ferroapi._fields import ModelField
from ferroapi.dependencies.body import form_models
from ferroapi.dependencies.extract import param_aliases
from ferroapi.dependencies.fieldinfo import model_fields

__all__ = ["form_body_schema", "form_model_schema"]


def _renamed_properties(
    model: type[BaseModel], properties: dict[str, Any], required: list[str]
) -> dict[str, list[str]]:
    """Schema property -> the form keys it is read from, for those the schema names otherwise."""
    renames: dict[str, list[str]] = {}
    for field in model_fields(model):
        choices = field.field_info.validation_alias
        name = (
            choices.choices[0]
            if isinstance(choices, AliasChoices)
            else (field.validation_alias or field.alias)
        )
        keys = [alias for alias, _ in param_aliases(field)]
        if not isinstance(name, str) or name not in properties:
            continue
        if keys[0] != name or (len(keys) > 1 and name in required):
            renames[name] = keys
    return renames


def form_model_schema(
    model: type[BaseModel], core_schema: CoreSchema, handler: GetJsonSchemaHandler
) -> dict[str, Any]:
    """A form model's schema with its properties named by form key (a copy: the model's shared
    component schema is left as it is for JSON uses of the same model).
    """
    schema: dict[str, Any] = handler(core_schema)
    resolved = handler.resolve_ref_schema(schema)
    required: list[str] = resolved.get("required", [])
    renames = _renamed_properties(model, resolved.get("properties", {}), required)
    if not renames:
        return schema
    adjusted = deepcopy(resolved)
    adjusted["properties"] = {
        renames.get(name, [name])[0]: value for name, value in resolved["properties"].items()
    }
    adjusted["required"] = []
    for name in required:
        keys = renames.get(name, [name])
        if len(keys) == 1:
            adjusted["required"].append(keys[0])
        else:  # any one of the alias choices satisfies the requirement
            adjusted.setdefault("allOf", []).append({"anyOf": [{"required": [key]} for key in keys]})
    return adjusted


def _absent(models: list[type[BaseModel]]) -> dict[str, Any]:
    """The schema of "nothing of these models was sent"."""
    if any(model.model_config.get("extra") in ("allow", "forbid") for model in models):
        return {"maxProperties": 0}  # any key at all belongs to the model
    keys = sorted(
        {alias for model in models for field in model_fields(model) for alias, _ in param_aliases(field)}
    )
    return {"not": {"anyOf": [{"required": [key]} for key in keys]}} if keys else {}


def form_body_schema(body_params: list[ModelField], schema: dict[str, Any]) -> None:
    """`json_schema_extra` of the combined model: its `field_<i>` properties become the form's keys
    (plain fields) and conditions (models), in parameter order.
    """
    parameter_schemas = schema.pop("properties")
    schema.pop("required", None)
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[dict[str, Any]] = []
    for index, param in enumerate(body_params):
        field_schema = parameter_schemas[f"field_{index}"]
        models = form_models(param)
        if not models:
            alias = param_aliases(param)[0][0]
            if alias in properties:  # the same key declared twice: both schemas apply
                conditions.append({"properties": {alias: field_schema}})
            else:
                properties[alias] = field_schema
            if param.field_info.is_required() and alias not in required:
                required.append(alias)
            continue
        field_schema.pop("default", None)
        if type(None) in get_args(param.field_info.annotation):
            # A form group is left out by sending none of its keys, never as a null body.
            field_schema["anyOf"] = [
                choice for choice in field_schema["anyOf"] if choice.get("type") != "null"
            ]
            absent = _absent(models)
            if param.field_info.is_required():
                conditions.append({"not": absent})
            else:
                field_schema = {"anyOf": [absent, field_schema]}
        conditions.append(field_schema)
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["allOf"] = conditions
