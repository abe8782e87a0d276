"""The OpenAPI 3.1 description of the provisioning API (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from ..models import ROLES
from ..roster.fields import EMAIL, EXTERNAL_ID, PHONE, ROSTER_ROLES

SCOPES = {"accounts:read": "Read the school's accounts",
          "accounts:write": "Create, change and disable the school's accounts and guardianships"}
NULLABLE_STRING = {"type": ["string", "null"]}
EXAMPLE = {"username": "mari.maasikas", "given_name": "Mari", "family_name": "Maasikas",
           "roles": ["parent", "teacher"], "email": "mari@example.ee", "isikukood": "48003120218"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def problem(description: str, *headers: str) -> dict:
    response = {"description": description,
                "content": {"application/problem+json": {"schema": ref("Problem")}}}
    if headers:
        response["headers"] = {h: {"$ref": f"#/components/headers/{h}"} for h in headers}
    return response


def json_response(description: str, schema: dict, **headers) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


RESPONSES = {
    "BadRequest": problem("The request or a query parameter is malformed."),
    "Unauthorized": problem("No valid access token (RFC 6750 3.1).", "WWW-Authenticate"),
    "Forbidden": problem("The token lacks the scope this needs (insufficient_scope).",
                         "WWW-Authenticate"),
    "NotFound": problem("No such account at the token's school."),
    "Conflict": problem("A value belongs to another account of the school, or the roles do "
                        "not allow the change."),
    "PayloadTooLarge": problem("The body is larger than 64 KiB."),
    "UnsupportedMediaType": problem("The body must be application/json."),
    "Unprocessable": problem("A field is missing or invalid; `errors` lists them."),
}


def responses(ok: dict, *problems: str) -> dict:
    result = dict(ok)
    codes = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "Conflict": "409", "PayloadTooLarge": "413", "UnsupportedMediaType": "415",
             "Unprocessable": "422"}
    for name in ("Unauthorized", "Forbidden", *problems):
        result[codes[name]] = {"$ref": f"#/components/responses/{name}"}
    return result


def schemas() -> dict:
    account_ref = {"type": "object", "additionalProperties": False,
                   "required": ["external_id", "username"],
                   "properties": {"external_id": NULLABLE_STRING, "username": {"type": "string"}}}
    name = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
    return {
        "AccountInput": {
            "type": "object", "additionalProperties": False,
            "required": ["username", "given_name", "family_name", "roles"],
            "description": "Fields left out stay as they are; null erases email, phone, isikukood "
                           "or birthdate. When the person has linked accounts at other schools "
                           "(linked), their personal data is theirs and is not changed.",
            "properties": {
                "username": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$",
                             "description": "Unique within the school; stored lower-case."},
                "given_name": name,
                "family_name": name,
                "email": {"type": ["string", "null"], "maxLength": 320,
                          "pattern": f"^{EMAIL.pattern}$"},
                "phone": {"type": ["string", "null"], "maxLength": 40,
                          "pattern": f"^{PHONE.pattern}$",
                          "description": "As people write it: 5-15 digits, spaces, hyphens, "
                                         "brackets, an optional + at the start."},
                "isikukood": {"type": ["string", "null"], "pattern": "^[1-8][0-9]{10}$",
                              "description": "Estonian personal identification code; checksum "
                                             "and date are checked, the birth date follows it."},
                "birthdate": {"type": ["string", "null"], "format": "date"},
                "roles": {"type": "array", "minItems": 1, "maxItems": 4, "uniqueItems": True,
                          "items": {"enum": list(ROSTER_ROLES)},
                          "description": "Replaces the roles; the director role (admin) is "
                                         "neither given nor taken away here."},
                "status": {"enum": ["active", "disabled"]},
            },
        },
        "Account": {
            "type": "object", "additionalProperties": False,
            "required": ["external_id", "sub", "username", "given_name", "family_name", "email",
                         "phone", "isikukood", "birthdate", "roles", "status", "linked", "students",
                         "guardians", "created_at"],
            "properties": {
                "external_id": NULLABLE_STRING,
                "sub": {"type": "string", "description": "The subject the school sees in ID tokens."},
                "username": {"type": "string"},
                "given_name": {"type": "string"},
                "family_name": {"type": "string"},
                "email": NULLABLE_STRING,
                "phone": NULLABLE_STRING,
                "isikukood": NULLABLE_STRING,
                "birthdate": {"type": ["string", "null"], "format": "date"},
                "roles": {"type": "array", "items": {"enum": list(ROLES)}},
                "status": {"enum": ["active", "disabled"]},
                "linked": {"type": "boolean",
                           "description": "The person has accounts at other schools too."},
                "students": {"type": "array", "items": account_ref},
                "guardians": {"type": "array", "items": account_ref},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "AccountList": {
            "type": "object", "additionalProperties": False, "required": ["items", "next"],
            "properties": {"items": {"type": "array", "items": ref("Account")},
                           "next": {"type": ["string", "null"],
                                    "description": "The next page, or null on the last."}},
        },
        "Guardianship": {
            "type": "object", "additionalProperties": False, "required": ["parent", "student"],
            "properties": {"parent": {"type": "string"}, "student": {"type": "string"}},
        },
        "Problem": {
            "type": "object", "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "errors": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["detail", "code"],
                    "properties": {"pointer": {"type": "string"}, "parameter": {"type": "string"},
                                   "detail": {"type": "string"}, "code": {"type": "string"}}}},
            },
        },
        "ProblemType": {
            "type": "object", "additionalProperties": False,
            "required": ["type", "title", "description"],
            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                           "description": {"type": "string"}},
        },
    }


def external_id_parameter(name: str, description: str, example: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "pattern": f"^{EXTERNAL_ID.pattern}$"},
            "examples": {"example": {"value": example}}}


def paths() -> dict:
    write, read = [{"schools": ["accounts:write"]}], [{"schools": ["accounts:read"]}]
    account = json_response("The account.", ref("Account"))
    location = {"Location": {"schema": {"type": "string"}, "description": "The account's URL."}}
    pair = json_response("The guardianship.", ref("Guardianship"))
    one = {"$ref": "#/components/parameters/ExternalId"}
    return {
        "/accounts": {"get": {
            "operationId": "listAccounts", "summary": "List the school's accounts", "security": read,
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                            "maximum": 500, "default": 100}},
                {"name": "cursor", "in": "query", "schema": {"type": "string"},
                 "description": "From the `next` link of the previous page."}],
            "responses": responses({"200": json_response(
                "A page of accounts, in a stable order.", ref("AccountList"),
                Link={"schema": {"type": "string"}, "description": 'rel="next" (RFC 8288)'})},
                "BadRequest")}},
        "/accounts/{external_id}": {
            "parameters": [one],
            "get": {"operationId": "getAccount", "summary": "Get an account", "security": read,
                    "responses": responses({"200": account}, "NotFound")},
            "put": {"operationId": "putAccount", "summary": "Create or update an account (idempotent)",
                    "security": write,
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": ref("AccountInput"),
                        "examples": {"parent": {"value": EXAMPLE}}}}},
                    "responses": responses({"200": account, "201": {**json_response(
                        "The account was created.", ref("Account")), "headers": location}},
                        "BadRequest", "Conflict", "PayloadTooLarge", "UnsupportedMediaType",
                        "Unprocessable")},
            "delete": {"operationId": "deleteAccount",
                       "summary": "Disable an account (its tokens end at once)", "security": write,
                       "responses": responses({"204": {"description": "Disabled."}},
                                              "NotFound", "Conflict")},
        },
        "/accounts/{external_id}/disable": {"parameters": [one], "post": {
            "operationId": "disableAccount", "summary": "Disable an account", "security": write,
            "responses": responses({"200": account}, "NotFound", "Conflict")}},
        "/accounts/{external_id}/enable": {"parameters": [one], "post": {
            "operationId": "enableAccount", "summary": "Enable an account", "security": write,
            "responses": responses({"200": account}, "NotFound", "Conflict")}},
        "/accounts/{external_id}/students/{student_id}": {
            "parameters": [one, external_id_parameter("student_id", "The student's external id.", "S1001")],
            "put": {"operationId": "putGuardianship",
                    "summary": "Make the account a guardian of the student (idempotent)",
                    "security": write,
                    "responses": responses({"200": pair, "201": pair}, "NotFound", "Conflict")},
            "delete": {"operationId": "deleteGuardianship", "summary": "Remove a guardianship",
                       "security": write,
                       "responses": responses({"204": {"description": "Removed (or absent)."}},
                                              "NotFound", "Conflict")},
        },
    }


def document(issuer: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "School accounts provisioning API", "version": "1.0.0",
                 "description": "A school's Stuudium keeps its roster in the identity provider. "
                                "Get a token with the school's client id and secret (OAuth 2.0 "
                                "client credentials, RFC 6749 4.4) at the token endpoint; it "
                                "reaches only that school's accounts. Errors are RFC 9457 "
                                "problem details."},
        "servers": [{"url": f"{issuer}/api/v1"}],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": RESPONSES,
            "parameters": {"ExternalId": external_id_parameter(
                "external_id", "The school's own id of the account.", "P2001")},
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                             "description": "Bearer challenge (RFC 6750 3)."}},
            "securitySchemes": {"schools": {
                "type": "oauth2", "description": (
                    "The school's client credentials. With resource=<issuer>/api/v1 (RFC 8707) "
                    "the access token is an RFC 9068 JWT; otherwise it is opaque."),
                "flows": {"clientCredentials": {"tokenUrl": f"{issuer}/token", "scopes": SCOPES}}}},
        },
    }
