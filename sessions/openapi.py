"""The OpenAPI 3.1 description of the public API, served at /api/openapi.json.

Written by hand next to the views it describes; tests validate real
responses against these schemas, so the two cannot drift apart silently.
"""

from __future__ import annotations

from sessions.embed import DEFAULT_LIMIT, MAX_LIMIT


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_STRING = {"type": "string"}
_URL = {"type": "string", "format": "uri"}
_DATETIME = {"type": "string", "format": "date-time"}


def _object(properties: dict) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


SCHEMAS = {
    "Error": _object({"detail": _STRING}),
    "Series": _object(
        {
            "slug": _STRING,
            "name": _STRING,
            "timezone": {**_STRING, "description": "IANA time zone, e.g. Asia/Shanghai"},
            "session_count": {"type": "integer", "minimum": 0},
        }
    ),
    "Person": _object(
        {
            "name": _STRING,
            "affiliation": {
                **_nullable(_STRING),
                "description": "At the time of the talk.",
            },
            "url": _URL,
        }
    ),
    "Paper": _object(
        {
            "title": _STRING,
            "authors": {"type": "array", "items": _STRING},
            "venue": _nullable(_STRING),
            "year": _nullable({"type": "integer"}),
            "arxiv_id": {**_nullable(_STRING), "description": "Without version suffix."},
            "doi": _nullable(_STRING),
            "url": _nullable(_URL),
            "code_url": _nullable(_URL),
            "project_url": _nullable(_URL),
        }
    ),
    "Talk": _object(
        {
            "order": {"type": "integer"},
            "segment": {**_nullable(_STRING), "description": "e.g. 第一场"},
            "title": _STRING,
            "tags": {"type": "array", "items": _STRING},
            "summary_markdown": _nullable(_STRING),
            "summary_html": {**_nullable(_STRING), "description": "Sanitized; math as MathML."},
            "presenters": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}},
            "paper": _nullable({"$ref": "#/components/schemas/Paper"}),
        }
    ),
    "Session": _object(
        {
            "series": {**_STRING, "description": "The series slug."},
            "number": {"type": "integer", "minimum": 1},
            "title": _STRING,
            "status": {"enum": ["published", "cancelled"]},
            "starts_at": {**_DATETIME, "description": "With the series' UTC offset."},
            "ends_at": _nullable(_DATETIME),
            "timezone": _STRING,
            "keywords": {"type": "array", "items": _STRING},
            "url": _URL,
            "poster_url": _nullable(_URL),
            "qr_url": _nullable(_URL),
            "presenters": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Person"},
                "description": "Everyone who presents in the session, in order.",
            },
            "talks": {"type": "array", "items": {"$ref": "#/components/schemas/Talk"}},
        }
    ),
    "SessionPage": _object(
        {
            "count": {"type": "integer", "minimum": 0},
            "next": _nullable(_URL),
            "previous": _nullable(_URL),
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}},
        }
    ),
    # The embeddable schedule's list (issue 11).
    "UpcomingSessions": _object(
        {
            "series": _STRING,
            "name": _STRING,
            "timezone": {**_STRING, "description": "IANA time zone, e.g. Asia/Shanghai"},
            "url": _URL,
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}},
        }
    ),
    # Search (issue 12): the same results as the search page.
    "SearchResult": _object(
        {
            "type": {"enum": ["person", "paper", "session", "talk"]},
            "title": _STRING,
            "url": _URL,
            "snippet": {**_STRING, "description": "Plain text; empty when there is none."},
            "year": _nullable({"type": "integer"}),
        }
    ),
    "SearchPage": _object(
        {
            "query": _STRING,
            "type": _nullable({"enum": ["person", "paper", "session", "talk"]}),
            "page": {"type": "integer", "minimum": 1},
            "counts": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0},
                "description": "Results per type, at most 1000 (see capped).",
            },
            "capped": {
                "type": "object",
                "additionalProperties": {"type": "boolean"},
                "description": "True where there are more results than counted.",
            },
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}},
        }
    ),
}


def _response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_NOT_FOUND = _response("Unknown series or session", {"$ref": "#/components/schemas/Error"})
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _STRING}


def build_schema(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "nice public archive API",
            "version": "1.0.0",
            "description": "Read-only access to published sessions. Drafts never appear.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/api/v1/series": {
                "get": {
                    "operationId": "listSeries",
                    "summary": "All series",
                    "responses": {
                        "200": _response(
                            "Series",
                            {"type": "array", "items": {"$ref": "#/components/schemas/Series"}},
                        )
                    },
                }
            },
            "/api/v1/series/{slug}/sessions": {
                "get": {
                    "operationId": "listSessions",
                    "summary": "Published sessions of a series, newest first",
                    "parameters": [
                        _SLUG,
                        {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "default": 1},
                        },
                    ],
                    "responses": {
                        "200": _response(
                            "A page of sessions", {"$ref": "#/components/schemas/SessionPage"}
                        ),
                        "400": _response("Malformed page", {"$ref": "#/components/schemas/Error"}),
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/series/{slug}/upcoming": {
                "get": {
                    "operationId": "listUpcomingSessions",
                    "summary": "The next sessions of a series, soonest first (the embed's list)",
                    "description": (
                        "Sessions not over yet, cancelled ones included (status says so). "
                        "Readable from any site: Access-Control-Allow-Origin is *."
                    ),
                    "parameters": [
                        _SLUG,
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "Above the maximum: the maximum; malformed: the default.",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_LIMIT,
                                "default": DEFAULT_LIMIT,
                            },
                        },
                    ],
                    "responses": {
                        "200": _response(
                            "The next sessions", {"$ref": "#/components/schemas/UpcomingSessions"}
                        ),
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search talks, papers, people and sessions, best first",
                    "description": (
                        'Every term must match; "quoted text" matches as a phrase; the '
                        "last word matches as a prefix. Without type: the first results of "
                        "each type; with type: a page of 20 of that type."
                    ),
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": _STRING},
                        {
                            "name": "type",
                            "in": "query",
                            "required": False,
                            "schema": {"enum": ["person", "paper", "session", "talk"]},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                        },
                    ],
                    "responses": {
                        "200": _response("Results", {"$ref": "#/components/schemas/SearchPage"}),
                        "400": _response(
                            "Unknown type or malformed page", {"$ref": "#/components/schemas/Error"}
                        ),
                    },
                }
            },
            "/api/v1/series/{slug}/sessions/{number}": {
                "get": {
                    "operationId": "getSession",
                    "summary": "One published session",
                    "parameters": [
                        _SLUG,
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                    ],
                    "responses": {
                        "200": _response("The session", {"$ref": "#/components/schemas/Session"}),
                        "404": _NOT_FOUND,
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
