"""`ferroapi._compat` (and `_compat.v2`): FastAPI's field and JSON Schema helpers, as extensions call
them, compared with FastAPI 0.165.0's on the same models."""

from __future__ import annotations

import enum
from typing import Annotated, Any, ForwardRef

import pytest
from fastapi import _compat as fastapi_compat
from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic.fields import FieldInfo

from ferroapi import _compat, params
from ferroapi._compat import v2


class Color(enum.Enum):
    red = "red"


class Tag(BaseModel):
    """A tag.\fInternal notes."""

    name: str
    color: Color = Color.red


class Item(BaseModel):
    title: str
    tags: list[Tag] = []
    parent: Item | None = None


class Priced(BaseModel):
    price: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def with_tax(self) -> float:
        return self.price * 1.2


class Settings(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    limit: int = Field(10, alias="max")
    nested: Tag | None = None


def fields_of(compat: Any) -> list[Any]:
    """The same declarations as `compat.ModelField`s (FastAPI's or ferroapi's)."""
    return [
        compat.ModelField(field_info=FieldInfo(annotation=Item), name="item"),
        compat.ModelField(field_info=FieldInfo(annotation=Priced), name="priced", mode="serialization"),
        compat.ModelField(field_info=FieldInfo(annotation=Priced), name="priced_in"),
        compat.ModelField(field_info=FieldInfo(annotation=list[int], alias="ids"), name="ids"),
        compat.ModelField(field_info=FieldInfo(annotation=str | None, title="Query Text"), name="q"),
    ]


@pytest.mark.parametrize("separate", [True, False])
def test_definitions_and_field_schemas_match_fastapi(separate: bool) -> None:
    results = []
    for compat in (fastapi_compat, _compat):
        fields = fields_of(compat)
        models = compat.get_flat_models_from_fields(fields, known_models=set())
        name_map = compat.get_model_name_map(models)
        mapping, definitions = compat.get_definitions(
            fields=fields, model_name_map=name_map, separate_input_output_schemas=separate
        )
        schemas = [
            compat.get_schema_from_model_field(
                field=field,
                model_name_map=name_map,
                field_mapping=mapping,
                separate_input_output_schemas=separate,
            )
            for field in fields
        ]
        assert all((field, field.mode) in mapping for field in fields), "keyed by the fields passed in"
        results.append((definitions, schemas))
    assert results[0] == results[1]
    assert "Internal notes" not in str(results[1][0]), "a form feed ends the documented part"


def test_field_alias_titles_inline_schemas() -> None:
    field = _compat.ModelField(field_info=FieldInfo(annotation=int), name="page_size")
    mapping, _ = _compat.get_definitions(fields=[field], model_name_map={})
    schema = _compat.get_schema_from_model_field(
        field=field, model_name_map={}, field_mapping=mapping, field_alias="page-size"
    )
    assert schema == {"type": "integer", "title": "Page-Size"}


def test_flat_models_and_name_map_match_fastapi() -> None:
    ours = _compat.get_flat_models_from_fields(fields_of(_compat), known_models=set())
    theirs = fastapi_compat.get_flat_models_from_fields(fields_of(fastapi_compat), known_models=set())
    assert ours == theirs == {Item, Tag, Color, Priced}
    assert _compat.get_model_name_map(ours) == fastapi_compat.get_model_name_map(theirs)

    class Renamed(BaseModel):
        x: int

    Renamed.__name__ = "Weird Name!"
    assert _compat.get_model_name_map({Renamed}) == {Renamed: "Weird_Name_"}


def test_flat_models_from_model_annotation_and_field() -> None:
    assert v2.get_flat_models_from_model(Item) == {Tag, Color, Item}
    known: set[Any] = set()
    assert v2.get_flat_models_from_annotation(dict[str, list[Tag]], known) is known
    assert known == {Tag, Color}
    field = _compat.ModelField(field_info=FieldInfo(annotation=Color), name="c")
    assert v2.get_flat_models_from_field(field, known_models=set()) == {Color}


def test_model_fields_follow_fastapi_config_rule() -> None:
    cached = _compat.get_cached_model_fields(Settings)
    assert cached is _compat.get_cached_model_fields(Settings)
    assert v2.get_model_fields(Settings) == cached and v2.get_model_fields(Settings) is not cached
    theirs = fastapi_compat.get_cached_model_fields(Settings)
    assert [(f.name, f.alias, f.config) for f in cached] == [(f.name, f.alias, f.config) for f in theirs]


def test_copy_field_info_keeps_the_declaration_class() -> None:
    from fastapi import params as fastapi_params

    annotation = Annotated[int, Field(gt=1, title="Page")]
    declared = params.Query(description="page", alias="p")
    copied = _compat.copy_field_info(field_info=declared, annotation=annotation)
    theirs = fastapi_compat.copy_field_info(
        field_info=fastapi_params.Query(description="page", alias="p"), annotation=annotation
    )
    assert type(copied) is params.Query
    assert copied is not declared
    # As in FastAPI, what the annotation declares (and does not) replaces the declaration's attributes.
    for name in ("annotation", "metadata", "title", "description", "alias", "default", "_attributes_set"):
        assert getattr(copied, name) == getattr(theirs, name), name


def test_evaluate_forwardref() -> None:
    assert _compat.evaluate_forwardref(ForwardRef("list[int]"), {}, {}) == list[int]
    assert _compat.evaluate_forwardref(ForwardRef("Item"), globals(), None) is Item
    unresolved = _compat.evaluate_forwardref(ForwardRef("NoSuchName"), {}, {})
    assert unresolved == ForwardRef("NoSuchName")


def test_is_scalar_field() -> None:
    def field(annotation: Any, info: FieldInfo | None = None) -> Any:
        info = info or FieldInfo(annotation=annotation)
        info.annotation = annotation
        return _compat.ModelField(field_info=info, name="x")

    assert _compat.is_scalar_field(field(int))
    assert _compat.is_scalar_field(field(str | None))
    assert not _compat.is_scalar_field(field(list[int]))
    assert not _compat.is_scalar_field(field(Item))
    assert not _compat.is_scalar_field(field(int, params.Body()))


def test_errors_and_field_data() -> None:
    errors = [{"type": "missing", "loc": ("a",), "msg": "Field required"}, {"type": "x", "msg": "no loc"}]
    assert v2._regenerate_error_with_loc(errors=errors, loc_prefix=("body",)) == [
        {"type": "missing", "loc": ("body", "a"), "msg": "Field required"},
        {"type": "x", "msg": "no loc", "loc": ("body",)},
    ]
    assert _compat.get_missing_field_error(("query", "q")) == fastapi_compat.get_missing_field_error(
        ("query", "q")
    )
    info = FieldInfo(annotation=int, default=3, alias="n", description="count")
    assert v2.asdict(info) == fastapi_compat.v2.asdict(info)
    assert set(v2._Attrs) == set(fastapi_compat.v2._Attrs)


def test_computed_fields_detection() -> None:
    plain = _compat.ModelField(field_info=FieldInfo(annotation=Item), name="item")
    computed = _compat.ModelField(field_info=FieldInfo(annotation=list[Priced]), name="prices")
    assert not v2._has_computed_fields(plain)
    assert v2._has_computed_fields(computed)
    assert v2._annotation_has_computed_fields(dict[str, Priced], known_models=set())


def test_lazy_names_are_the_v2_objects() -> None:
    for name in ("ModelField", "get_definitions", "copy_field_info", "is_scalar_field", "create_body_model"):
        assert getattr(_compat, name) is getattr(v2, name)
    assert _compat.Undefined is v2.Undefined is v2.RequiredParam
    with pytest.raises(AttributeError):
        _compat.no_such_name  # noqa: B018


def test_sequences_and_body_models() -> None:
    field = _compat.ModelField(field_info=FieldInfo(annotation=set[str] | None), name="tags")
    assert _compat.serialize_sequence_value(field=field, value=["a", "a"]) == {"a"}
    body = _compat.create_body_model(fields=fields_of(_compat)[3:], model_name="Body_op")
    assert list(body.model_fields) == ["ids", "q"]


def test_pydantic_v1_instance_check_without_pydantic_v1() -> None:
    class Model(BaseModel):
        x: int = 1

    assert not _compat.is_pydantic_v1_model_instance(Model())
    assert not _compat.is_pydantic_v1_model_instance(object())


def test_model_field_is_a_dataclass_of_fastapis_fields() -> None:
    import dataclasses

    field = _compat.ModelField(FieldInfo(annotation=Item), "item")
    assert [f.name for f in dataclasses.fields(field)] == ["field_info", "name", "mode", "config"]
    as_output = dataclasses.replace(field, mode="serialization")
    assert as_output.mode == "serialization" and as_output.field_info is field.field_info
    assert as_output.serialize(Item(title="t")) == {"title": "t", "tags": [], "parent": None}
    field.embed = True  # extensions set their own attributes, as on FastAPI's dataclass
    assert field.embed is True
    assert field == field and field != as_output and hash(field) == id(field)
