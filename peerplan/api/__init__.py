"""The REST API: personal access tokens, read and write endpoints over the same loaders, forms and
operations as the pages, and the OpenAPI schema (drf-spectacular)."""
