"""The shapes the local API's answers name in its OpenAPI document (components/schemas), and
the small pieces its routes share: the error envelope, the compose answer, a message body."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
COMPOSE = {"$ref": "#/components/schemas/ComposeAnswer"}


def json_answer(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


RFC822_BODY = {"required": True, "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}}

SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "RecipientPlan": {
        "type": "object",
        "properties": {
            "address": {"type": "string"},
            "method": {"enum": ["internal", "smime", "pgp", "tls", "portal", "kept"]},
            "reason": {
                "type": "string",
                "description": "Why this method, technically (settings, key ids): for IT and the audit",
            },
            "says": {
                "type": "string",
                "description": "The same in one plain sentence for the sender (no "
                "settings or jargon): what the add-ins and the tray "
                "show; empty in plans stored before it existed",
            },
            "key_fingerprint": {"type": "string"},
            "skipped": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Stronger methods considered, and why not (technical)",
            },
        },
    },
    "Plan": {
        "type": "object",
        "properties": {
            "sender": {"type": "string"},
            "verdict": {"type": "object"},
            "recipients": {"type": "array", "items": {"$ref": "#/components/schemas/RecipientPlan"}},
        },
    },
    "ComposeAnswer": {
        "type": "object",
        "required": ["decision", "message"],
        "properties": {
            "decision": {"enum": ["allow", "sent", "held", "blocked"]},
            "message": {"type": "string", "description": "What happened and what to do, in plain words"},
            "found": {
                "type": "array",
                "items": {"type": "string"},
                "description": 'What was found, by kind, in plain words ("Social Security number: '
                '1"); never the values',
            },
            "plan": {"$ref": "#/components/schemas/Plan"},
            "id": {"type": "string"},
            "stamp": {"type": "string"},
            "error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "description": "On a refused draft (4xx/5xx): the technical text, for IT",
            },
        },
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "message_id": {"type": "string"},
            "state": {"enum": ["queued", "protecting", "sending", "delivered", "deferred", "held", "failed"]},
            "reason": {"type": "string"},
            "plan": {"$ref": "#/components/schemas/Plan"},
            "recipients": {"type": "array", "items": {"type": "object"}},
        },
    },
}
