"""The `responses` object of an operation: the main response, `responses=`, and the default 422."""

from __future__ import annotations

import copy
import http.client
import inspect
from typing import Any

from starlette.responses import JSONResponse

from ferroapi.openapi._jsonschema import FieldMapping, field_schema, schema_field
from ferroapi.openapi.constants import REF_PREFIX
from ferroapi.sse import _SSE_EVENT_SCHEMA
from ferroapi.utils import deep_dict_update, is_body_allowed_for_status_code

VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {
            "title": "Location",
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
        "input": {"title": "Input"},
        "ctx": {"title": "Context", "type": "object"},
    },
    "required": ["loc", "msg", "type"],
}

HTTP_VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "type": "array",
            "items": {"$ref": REF_PREFIX + "ValidationError"},
        }
    },
}

STATUS_RANGE_TEXT = {
    "1XX": "Information",
    "2XX": "Success",
    "3XX": "Redirection",
    "4XX": "Client Error",
    "5XX": "Server Error",
    "DEFAULT": "Default Response",
}


def response_class_of(route: Any) -> type[Any]:
    """The route's response class, unwrapped from a default placeholder."""
    response_class = route.response_class
    if not isinstance(response_class, type) and hasattr(response_class, "value"):
        response_class = response_class.value
    assert response_class, "A response class is needed to generate OpenAPI"
    return response_class  # type: ignore[no-any-return]


def default_status_code(route: Any, response_class: type[Any]) -> str | None:
    """`status_code=`, else the default of the response class's `status_code` parameter."""
    if route.status_code is not None:
        return str(route.status_code)
    parameter = inspect.signature(response_class.__init__).parameters.get("status_code")
    if parameter is not None and isinstance(parameter.default, int):
        return str(parameter.default)
    return None


class ResponseBuilder:
    def __init__(self, route: Any, mapping: FieldMapping, separate: bool) -> None:
        self.route = route
        self.mapping = mapping
        self.separate = separate
        self.response_class = response_class_of(route)
        self.media_type: str | None = self.response_class.media_type

    def _schema(self, model_field: Any) -> dict[str, Any]:
        return field_schema(
            schema_field(model_field), self.mapping, separate_input_output_schemas=self.separate
        )

    def build(self, operation: dict[str, Any], status_code: str | None) -> None:
        responses = operation.setdefault("responses", {})
        main = responses.setdefault(status_code, {})
        main["description"] = self.route.response_description
        if is_body_allowed_for_status_code(self.route.status_code):
            content = self._main_content()
            if content is not None:
                media_type, entry = content
                main.setdefault("content", {}).setdefault(media_type, {}).update(entry)
        if self.route.responses:
            self._additional(responses)

    def _main_content(self) -> tuple[str, dict[str, Any]] | None:
        route = self.route
        item_field = getattr(route, "stream_item_field", None)
        if getattr(route, "is_json_stream", False):
            return "application/jsonl", {"itemSchema": self._schema(item_field) if item_field else {}}
        if getattr(route, "is_sse_stream", False):
            item_schema = copy.deepcopy(_SSE_EVENT_SCHEMA)
            if item_field:
                item_schema["required"] = ["data"]
                item_schema["properties"]["data"] = {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": self._schema(item_field),
                }
            return "text/event-stream", {"itemSchema": item_schema}
        if not self.media_type:
            return None
        schema: dict[str, Any] = {"type": "string"}
        if issubclass(self.response_class, JSONResponse):
            schema = self._schema(route.response_field) if route.response_field else {}
        return self.media_type, {"schema": schema}

    def _additional(self, responses: dict[str, Any]) -> None:
        route = self.route
        for status, extra in route.responses.items():
            assert isinstance(extra, dict), "An additional response must be a dict"
            extra = copy.deepcopy(extra)
            extra.pop("model", None)
            key = str(status).upper()
            key = "default" if key == "DEFAULT" else key
            target = responses.setdefault(key, {})
            model_field = route.response_fields.get(status)
            if model_field:
                media_type = self.media_type or "application/json"
                slot = extra.setdefault("content", {}).setdefault(media_type, {}).setdefault("schema", {})
                deep_dict_update(slot, self._schema(model_field))
            status_text = _status_text(status)  # always: an invalid key raises even with a description
            description = (
                extra.get("description") or target.get("description") or status_text or "Additional Response"
            )
            deep_dict_update(target, extra)
            target["description"] = description


def _status_text(status: int | str) -> str | None:
    """The reason phrase of a status (or range). A key that is neither raises ValueError, as in FastAPI:
    the document would be invalid."""
    ranged = STATUS_RANGE_TEXT.get(str(status).upper())
    if ranged:
        return ranged
    return http.client.responses.get(int(status))


def add_validation_error(operation: dict[str, Any], definitions: dict[str, Any]) -> None:
    """The default 422, unless the operation already documents a 422, 4XX or default response."""
    responses = operation["responses"]
    if any(status in responses for status in ("422", "4XX", "default")):
        return
    responses["422"] = {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
    }
    definitions.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    definitions.setdefault("HTTPValidationError", HTTP_VALIDATION_ERROR_SCHEMA)
