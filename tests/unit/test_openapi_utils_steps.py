"""`ferroapi.openapi.utils`'s steps under FastAPI's names and signatures (extensions build partial
documents with them), run on one app body under FastAPI and ferroapi and compared."""

import warnings
from types import ModuleType
from typing import Annotated, Any

import fastapi
import fastapi.openapi.utils
import pytest
from pydantic import BaseModel

import ferroapi
import ferroapi.openapi.utils
from ferroapi.exceptions import FastAPIDeprecationWarning


class Item(BaseModel):
    title: str
    price: float | None = None


class Message(BaseModel):
    detail: str


class Filters(BaseModel):
    limit: int = 10
    tags: list[str] = []


def build_app(fw: ModuleType) -> Any:
    """The same app written against `fw` (the real FastAPI or ferroapi)."""
    oauth2 = fw.security.OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read", "write": "Write"})
    app = fw.FastAPI(title="Steps")

    def user(token: Annotated[str, fw.Security(oauth2, scopes=["read"])]) -> str:
        return token

    @app.get("/items/{item_id}", response_model=Item, tags=["items"])
    def read_item(
        item_id: int,
        user: Annotated[str, fw.Security(user, scopes=["write"])],
        q: str | None = None,
        x_token: Annotated[str | None, fw.Header()] = None,
        session: Annotated[str | None, fw.Cookie()] = None,
    ) -> Any:
        return {}

    @app.post("/items/", responses={404: {"model": Message}}, status_code=201, summary="Create")
    def create_item(
        item: Annotated[Item, fw.Body(openapi_examples={"a": {"value": {"title": "x"}}})],
    ) -> Item:
        return item

    @app.put("/search", deprecated=True)
    def search(
        filters: Annotated[Filters, fw.Query()], body: Annotated[dict[str, int], fw.Body(embed=True)]
    ) -> None:
        return None

    return app


def api_routes(app: Any) -> list[Any]:
    return [route for route in app.routes if hasattr(route, "body_field")]


def document_parts(fw: ModuleType) -> dict[str, Any]:
    """Everything the steps produce for the app, as plain data."""
    utils = fw.openapi.utils
    app = build_app(fw)
    routes = api_routes(app)
    fields = utils.get_fields_from_routes(app.routes)
    name_map = utils.get_model_name_map(utils.get_flat_models_from_fields(fields, known_models=set()))
    mapping, definitions = utils.get_definitions(fields=fields, model_name_map=name_map)
    parts: dict[str, Any] = {"definitions": definitions, "paths": [], "parameters": [], "bodies": []}
    operation_ids: set[str] = set()
    for route in routes:
        parts["paths"].append(
            utils.get_openapi_path(
                route=route, operation_ids=operation_ids, model_name_map=name_map, field_mapping=mapping
            )
        )
        data = utils._get_openapi_dependency_data(route.dependant)
        parts["parameters"].append(
            utils._get_openapi_operation_parameters(
                dependency_data=data, model_name_map=name_map, field_mapping=mapping
            )
        )
        parts["bodies"].append(
            utils.get_openapi_operation_request_body(
                body_field=route.body_field, model_name_map=name_map, field_mapping=mapping
            )
        )
        parts.setdefault("security", []).append(
            utils._get_openapi_security_definitions(data.security_dependencies)
        )
        parts.setdefault("dependency_data", []).append(
            (
                [
                    [f.name for f in getattr(data, f"{loc}_params")]
                    for loc in ("path", "query", "header", "cookie")
                ],
                [(type(dep.call).__name__, scopes) for dep, scopes in data.security_dependencies],
            )
        )
    parts["document"] = utils.get_openapi(title="Steps", version="1", routes=app.routes)
    return parts


def test_steps_match_fastapi() -> None:
    ours = document_parts(ferroapi)
    theirs = document_parts(fastapi)
    for key in ("definitions", "paths", "parameters", "bodies", "security", "dependency_data", "document"):
        assert ours[key] == theirs[key], key


def test_paths_are_the_documents_paths() -> None:
    parts = document_parts(ferroapi)
    for (path, _, _), route in zip(parts["paths"], api_routes(build_app(ferroapi)), strict=True):
        # The document is the steps' output validated by the OpenAPI models, Nones dropped.
        validated = ferroapi.encoders.jsonable_encoder(
            ferroapi.openapi.models.PathItem(**path), by_alias=True, exclude_none=True
        )
        assert parts["document"]["paths"][route.path_format] == validated


def test_fields_from_routes_are_the_routes_model_fields() -> None:
    app = build_app(ferroapi)
    fields = ferroapi.openapi.utils.get_fields_from_routes(app.routes)
    assert all(isinstance(field, ferroapi._compat.ModelField) for field in fields)
    post = next(route for route in api_routes(app) if route.path == "/items/")
    assert post.body_field in fields and post.response_field in fields


def test_operation_metadata_and_summary() -> None:
    route = next(route for route in api_routes(build_app(ferroapi)) if route.path == "/search")
    theirs = next(route for route in api_routes(build_app(fastapi)) if route.path == "/search")
    ids: set[str] = set()
    ours_metadata = ferroapi.openapi.utils.get_openapi_operation_metadata(
        route=route, method="PUT", operation_ids=ids
    )
    assert ours_metadata == fastapi.openapi.utils.get_openapi_operation_metadata(
        route=theirs, method="PUT", operation_ids=set()
    )
    assert ids == {route.unique_id}
    with pytest.warns(UserWarning, match="Duplicate Operation ID"):
        ferroapi.openapi.utils.get_openapi_operation_metadata(route=route, method="PUT", operation_ids=ids)
    assert ferroapi.openapi.utils.generate_operation_summary(route=route, method="PUT") == "Search"
    with pytest.warns(FastAPIDeprecationWarning):
        ours_id = ferroapi.openapi.utils.generate_operation_id(route=route, method="PUT")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours_id == fastapi.openapi.utils.generate_operation_id(route=theirs, method="PUT")


def test_route_contexts_stand_for_api_routes() -> None:
    app = build_app(ferroapi)
    contexts = list(ferroapi.routing.iter_route_contexts(app.routes))
    found = [ferroapi.openapi.utils._get_api_route_for_openapi(context) for context in contexts]
    assert [context.path for context in found if context is not None] == [
        "/items/{item_id}",
        "/items/",
        "/search",
    ]
    assert found[0] is None or found[0].path.startswith("/items")  # docs routes are not API routes


def test_constants_and_reexports() -> None:
    utils = ferroapi.openapi.utils
    assert utils.validation_error_definition == fastapi.openapi.utils.validation_error_definition
    assert (
        utils.validation_error_response_definition
        == fastapi.openapi.utils.validation_error_response_definition
    )
    assert utils.status_code_ranges == fastapi.openapi.utils.status_code_ranges
    assert utils.Dependant is ferroapi.dependencies.models.Dependant
    assert utils._get_cache_key is ferroapi.dependencies.models._get_cache_key
    with pytest.raises(AttributeError):
        utils.no_such_name  # noqa: B018


def test_grouped_parameters_keep_their_models_config() -> None:
    from pydantic import ConfigDict, Field

    class Legacy(BaseModel):
        model_config = ConfigDict(validate_by_alias=False)
        int_value: int = Field(alias="legacy")

    documents = []
    for fw in (ferroapi, fastapi):
        app = fw.FastAPI()

        @app.get("/query")
        def read(data: Annotated[Legacy, fw.Query()]) -> None:
            return None

        documents.append(app.openapi()["paths"]["/query"]["get"]["parameters"])
    assert documents[0] == documents[1]
    assert documents[0][0]["name"] == "int_value"
