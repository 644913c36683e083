"""The OpenAPI 3 description of the read-only JSON API (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

_TOKEN: list[dict[str, list[str]]] = [{}, {"token": []}, {"bearer": []}]

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _ok(schema: str, text: str) -> dict[str, Any]:
    return {
        "200": {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "404": {"description": "Unknown id, or a private one without its valid token"},
    }


_NULLABLE_NUMBER = {"type": ["number", "null"]}
_TIME = {"type": "string", "format": "date-time"}

_SCHEMAS: dict[str, Any] = {
    "Live": {
        "type": "object",
        "required": ["id", "state", "availability_pct"],
        "properties": {
            "id": {"type": "string"},
            "state": {"enum": ["up", "degraded", "down", "maintenance", "unknown"]},
            "state_label": {"type": "string"},
            "since": {"type": ["string", "null"], "format": "date-time"},
            "availability_pct": _NULLABLE_NUMBER,
            "availability_text": {"type": "string"},
            "met": {"type": ["boolean", "null"]},
            "met_text": {"enum": ["met", "missed", ""]},
            "includes_ongoing_outage": {
                "type": "boolean",
                "description": "availability_pct adds the downtime of an outage still open "
                "(the ledger counts an outage once it closes)",
            },
        },
    },
    "Day": {
        "type": "object",
        "properties": {
            "date": {"type": "string", "format": "date"},
            "availability_pct": _NULLABLE_NUMBER,
            "downtime_minutes": {"type": "number"},
            "maintenance_minutes": {"type": "number"},
            "excluded_minutes": {"type": "number"},
        },
    },
    "SiteSummary": {
        "allOf": [
            {"$ref": "#/components/schemas/Live"},
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "client": {"type": "string"},
                    "target_pct": {"type": "number"},
                    "month": {"type": ["string", "null"]},
                    "budget_left_minutes": _NULLABLE_NUMBER,
                    "days": {"type": "array", "items": {"$ref": "#/components/schemas/Day"}},
                },
            },
        ]
    },
    "Maintenance": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "kind": {"enum": ["scheduled", "regular", "emergency"]},
            "ongoing": {"type": "boolean"},
            "start": _TIME,
            "end": _TIME,
            "announced_at": _TIME,
            "notice_business_days": {"type": "integer"},
            "impact": {"type": "string"},
            "sites": {"type": "array", "items": {"type": "string"}},
        },
    },
    "SiteDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/SiteSummary"},
            {
                "type": "object",
                "properties": {
                    "ledger": {"type": ["object", "null"], "description": "sla.model.LedgerRow"},
                    "outages": {"type": "array", "items": {"type": "object"}},
                    "regions": {"type": "array", "items": {"type": "object"}},
                    "response_times": {"type": "array", "items": {"type": "object"}},
                    "maintenance": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Maintenance"},
                    },
                },
            },
        ]
    },
    "SiteList": {
        "type": "object",
        "properties": {
            "generated_at": _TIME,
            "sites": {"type": "array", "items": {"$ref": "#/components/schemas/SiteSummary"}},
        },
    },
    "LiveList": {
        "type": "object",
        "properties": {
            "generated_at": _TIME,
            "sites": {"type": "array", "items": {"$ref": "#/components/schemas/Live"}},
            "regions": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Client": {
        "type": "object",
        "properties": {
            "generated_at": _TIME,
            "client": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
            },
            "sites": {"type": "array", "items": {"$ref": "#/components/schemas/SiteSummary"}},
            "maintenance": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Maintenance"},
            },
        },
    },
    "MaintenanceList": {
        "type": "object",
        "properties": {
            "generated_at": _TIME,
            "maintenance": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Maintenance"},
            },
        },
    },
}


def _get(summary: str, schema: str, *, private: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": _ok(schema, summary)}
    if private:
        operation["parameters"] = [_ID]
        operation["security"] = _TOKEN
    return {"get": operation}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/v1``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "slawatch status API",
            "version": "1",
            "description": (
                "Read-only. Public sites need nothing; a private client's data needs its "
                "token as ?token= or Authorization: Bearer. A wrong or missing token answers "
                "404, like an unknown id."
            ),
        },
        "paths": {
            "/api/v1/status": _get("Live state of every public site", "LiveList"),
            "/api/v1/sites": _get("Public sites with this month and 90 days", "SiteList"),
            "/api/v1/sites/{id}": _get("One site in full", "SiteDetail", private=True),
            "/api/v1/sites/{id}/status": _get("One site's live state", "LiveList", private=True),
            "/api/v1/clients/{id}": _get("A client's sites", "Client", private=True),
            "/api/v1/clients/{id}/status": _get("A client's live states", "LiveList", private=True),
            "/api/v1/maintenance": _get("Ongoing and upcoming maintenance", "MaintenanceList"),
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "query", "name": "token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }
