"""The token scheme, as the OpenAPI schema shows it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .errors import CONFLICT_CODES


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiClientAuthentication"
    name = "clientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A client token made in the admin: "
            "`Authorization: Bearer trc_...`.",
        }


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "enum": list(CONFLICT_CODES),
            "description": "What stopped it, to branch on (the detail is for "
            "people): duplicate_contact, the person is already a contact of the "
            "case or is the case themselves; illegal_transition, the item's status "
            "does not allow it; refused, the rules of the work refuse it; "
            "integrity_conflict, it conflicts with data already held.",
        },
    },
    "required": ["detail", "code"],
}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": True,
    "description": "Field name -> list of reasons (nested for nested fields); "
    "`non_field_errors` for the whole item; or `detail`.",
}
COMMON_ERRORS = {
    "400": ("Bad JSON or bad fields: the reasons, field by field.", FIELD_ERRORS),
    "401": ("No token, or a bad one.", ERROR),
    "403": ("The client lacks the scope, or the user the role.", ERROR),
    "404": ("No such item, or not in your areas.", ERROR),
    "409": ("Not allowed in the item's current state.", CONFLICT),
    "413": ("Too many items in one request.", ERROR),
    "429": ("Past the client's rate; see Retry-After (seconds).", ERROR),
}


def _codes_for(method: str, operation: dict) -> list[str]:
    codes = ["400", "401", "403", "404", "429"]
    if method != "get":
        codes.append("409")
    if "413" in operation.get("responses", {}):
        codes.append("413")  # only the intake declares it
    return codes


def add_error_responses(result, generator, request, public):
    """Document the error answers every operation can give, with their shapes."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code in _codes_for(method, operation):
                description, schema = COMMON_ERRORS[code]
                existing = responses.get(code, {})
                responses[code] = {
                    "description": existing.get("description") or description,
                    # An operation that declares its own body for the code keeps it
                    # (the intake's 409 names the fields in conflict).
                    "content": existing.get("content")
                    or {"application/json": {"schema": schema}},
                }
            responses["429"]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before trying again.",
                }
            }
    return result
