"""What drf-spectacular cannot say from the views alone, added to the generated schema (a postprocessing
hook, see SPECTACULAR_SETTINGS)."""


def strict_request_bodies(result, generator, request, public):
    """Every request body takes only its listed fields: the API answers any other field with a 400 naming it
    (views._valid), so the schema says so and a generated client cannot send one."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
