"""What drf-spectacular cannot say from the views alone, added to the generated schema (a postprocessing
hook, see SPECTACULAR_SETTINGS)."""


def strict_request_bodies(result, generator, request, public):
    """Every request body takes only its listed fields: the API answers any other field with a 400 naming it
    (views._valid), so the schema says so and a generated client cannot send one."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


HEADERS = {
    "ETag": {
        "description": 'The version this answer shows, e.g. "mitigation-42-v3": send it back as If-Match to change it.',
        "schema": {"type": "string"},
    },
    "Location": {"description": "The address of what was created.", "schema": {"type": "string", "format": "uri"}},
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": 'How to authenticate: `Bearer realm="api"`.', "schema": {"type": "string"}},
}
# The operations whose answers carry an ETag (items and mitigations; a 412 carries the saved one's).
VERSIONED = ("/api/items/{id}/", "/api/mitigations/{id}/", "/api/items/{id}/mitigations/")


def response_headers(result, generator, request, public):
    """The headers the API sends, declared on the answers that carry them: ETag (items and mitigations: 200,
    201 and 412), Location (201), Retry-After (429) and WWW-Authenticate (401)."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                names = []
                if path in VERSIONED and code in ("200", "201", "412"):
                    names.append("ETag")
                if code == "201":
                    names.append("Location")
                if code == "429":
                    names.append("Retry-After")
                if code == "401":
                    names.append("WWW-Authenticate")
                for name in names:
                    response.setdefault("headers", {})[name] = HEADERS[name]
    return result
