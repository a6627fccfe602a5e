"""The OpenAPI 3.1 description of the local API, served at /v1/openapi.json: its routes and
the answers each gives (the shapes they name are in openapi_schemas.py).
Past 400 lines: a document, one entry per route with its answers, and no logic to split."""

from __future__ import annotations

from agent.ingress.openapi_schemas import COMPOSE, ERROR, RFC822_BODY, SCHEMAS, json_answer

OPENAPI: dict = {
    "openapi": "3.1.0",
    "info": {"title": "Postseal local agent API", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "0"}}}],
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    "paths": {
        "/v1/health": {
            "get": {
                "security": [],
                "summary": "Liveness, without a token; where the agent's keys are kept, "
                "and what in its set-up holds mail or needs IT",
                "responses": {
                    "200": json_answer(
                        {
                            "type": "object",
                            "properties": {
                                "ok": {"type": "boolean"},
                                "service": {"type": "string"},
                                "secrets": {
                                    "type": "object",
                                    "properties": {
                                        "backend": {"type": "string", "enum": ["keyring", "file"]},
                                        "warning": {"type": "string"},
                                    },
                                },
                                "problems": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "code": {"type": "string"},
                                            "message": {"type": "string"},
                                            "holds": {"type": "string", "enum": ["nothing", "portal", "all"]},
                                            "warn": {"type": "boolean"},
                                            "severity": {"type": "string", "enum": ["holds", "warning", "note"]},
                                            "says": {
                                                "type": "string",
                                                "description": "For a problem that holds mail: the same "
                                                "in a clinician's words (no settings)",
                                            },
                                        },
                                    },
                                },
                            },
                        },
                        "agent is up",
                    )
                },
            }
        },
        "/v1/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": json_answer({"type": "object"}, "OpenAPI 3.1")}}
        },
        "/v1/check": {
            "post": {
                "summary": "Verdict and plan for a message; sends nothing",
                "requestBody": RFC822_BODY,
                "responses": {
                    "200": json_answer({"type": "object"}, "the plan"),
                    "400": json_answer(ERROR, "malformed message"),
                },
            }
        },
        "/v1/messages": {
            "post": {
                "summary": "Submit a message; 202 only after it is durably stored",
                "parameters": [
                    {
                        "name": "callback_url",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "uri"},
                        "description": "Loopback URL that receives one signed JSON event per recipient "
                        'outcome (X-Postseal-Signature: t=…,v1=HMAC-SHA256 of "t.body" '
                        "with callback_secret; X-Postseal-Event-Id to deduplicate).",
                    }
                ],
                "requestBody": RFC822_BODY,
                "responses": {
                    "202": json_answer(
                        {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "state": {"type": "string"},
                                "plan": {"$ref": "#/components/schemas/Plan"},
                                "duplicate": {"type": "boolean"},
                                "callback_secret": {"type": "string"},
                            },
                        },
                        "accepted (state queued or held); duplicate when this message (same Message-ID, "
                        "content and recipients) was already accepted",
                    ),
                    "400": json_answer(ERROR, "malformed message (bad_message) or callback URL (bad_callback)"),
                    "409": json_answer(
                        ERROR, "message_id_reused: a different message already holds this Message-ID; nothing accepted"
                    ),
                    "422": json_answer(ERROR, "blocked by policy"),
                    "503": json_answer(ERROR, "storage_unavailable: disk full or read-only; nothing accepted"),
                },
            }
        },
        "/v1/bounces": {
            "post": {
                "summary": "Hand the agent a delivery status notification (RFC 3464) received later",
                "requestBody": RFC822_BODY,
                "responses": {
                    "200": json_answer({"type": "object"}, "per-recipient status and state after; unmatched addresses"),
                    "400": json_answer(ERROR, "not_a_dsn"),
                    "404": json_answer(ERROR, "unknown_message: no message in the outbox matches"),
                },
            }
        },
        "/v1/messages/{id}": {
            "get": {
                "summary": "One message's state, plan and per-recipient delivery proof",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": json_answer({"$ref": "#/components/schemas/Message"}, "the message"),
                    "404": json_answer(ERROR, "unknown id"),
                },
            }
        },
        **{
            f"/v1/messages/{{id}}/{action}": {
                "post": {
                    "summary": summary,
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        ok: json_answer({"type": "object"}, "done: how many recipients it applied to"),
                        "403": json_answer(ERROR, "managed: the organization does not allow it"),
                        "404": json_answer(ERROR, "unknown id"),
                        "409": json_answer(ERROR, conflict),
                    },
                }
            }
            for action, summary, ok, conflict in (
                ("retry", "Deferred recipients are tried now", "202", "nothing_to_retry"),
                ("release", 'Release a held message after review (JSON body {"note": …})', "202", "not_held"),
                (
                    "portal",
                    "External recipients not yet delivered go via the secure portal instead",
                    "202",
                    "nothing_to_reroute",
                ),
                ("revoke", "Portal copies can no longer be opened", "200", "not_portal"),
            )
        },
        "/v1/config": {
            "get": {
                "summary": "Effective configuration (secrets redacted) and the keys managed policy locks",
                "responses": {"200": json_answer({"type": "object"}, "values, locked, source")},
            },
            "patch": {
                "summary": "Change relay.*, organization.name and .internal_domains (live) or portal.url (restart_required) in config.toml",
                "responses": {
                    "200": json_answer({"type": "object"}, "restart_required"),
                    "400": json_answer(ERROR, "bad_config: wrong key, type or value"),
                    "403": json_answer(ERROR, "managed: locked by the organization"),
                },
            },
        },
        "/v1/audit/verify": {
            "get": {
                "summary": "Check the hash chain and the signed head",
                "responses": {"200": json_answer({"type": "object"}, "ok, records, unsigned, problem")},
            }
        },
        "/v1/audit/export": {
            "get": {
                "summary": "The whole log (?format=csv|json; JSON is signed for `postseal audit verify --file`)",
                "responses": {"200": {"description": "text/csv or application/json"}},
            }
        },
        "/v1/keys/generate": {
            "post": {
                "summary": "Create an OpenPGP key for one of your addresses (JSON {email, name})",
                "responses": {"201": json_answer({"type": "object"}, "fingerprint")},
            }
        },
        "/v1/keys/{fingerprint}/renew": {
            "post": {
                "summary": "Extend your own OpenPGP key (and its subkeys) to 2 years from today",
                "responses": {
                    "200": json_answer({"type": "object"}, "fingerprint, expires"),
                    "404": json_answer(ERROR, "not one of your keys"),
                    "409": json_answer(ERROR, "revoked"),
                },
            }
        },
        "/v1/keys/{who}/public": {
            "get": {
                "summary": "Armored public key of an address or fingerprint",
                "responses": {
                    "200": {"description": "text/plain"},
                    "400": json_answer(ERROR, "who is neither an address nor a hex fingerprint"),
                    "404": json_answer(ERROR, "no such key"),
                },
            }
        },
        "/v1/keys/{fingerprint}": {
            "delete": {
                "summary": "Forget a recipient's key (not your own)",
                "responses": {
                    "200": json_answer({"type": "object"}, "deleted"),
                    "404": json_answer(ERROR, "no such key"),
                    "409": json_answer(ERROR, "own_key"),
                },
            }
        },
        "/v1/outbox": {
            "get": {
                "summary": "All messages, newest first",
                "responses": {"200": json_answer({"type": "object"}, "messages")},
            }
        },
        "/v1/outbox/summary": {
            "get": {
                "summary": "Recipients per state; offline_since when waiting for the network",
                "responses": {"200": json_answer({"type": "object"}, "counts")},
            }
        },
        "/v1/audit": {
            "get": {
                "summary": "Audit records oldest first: the last ?limit, or a page (?offset&limit) of those "
                "matching ?since&until (unix time), ?recipient, ?method, ?event; with total",
                "responses": {"200": json_answer({"type": "object"}, "records")},
            }
        },
        "/v1/keys": {
            "get": {
                "summary": "OpenPGP keys in the agent's keyring",
                "responses": {"200": json_answer({"type": "object"}, "keys")},
            },
            "post": {
                "summary": "Import an OpenPGP key (armored or binary), a certificate, a PKCS#12 identity or a "
                "signed message; X-Postseal-Password: the .p12 password, or the passphrase an "
                "OpenPGP secret key came with",
                "responses": {
                    "201": json_answer({"type": "object"}, "imported fingerprints"),
                    "400": json_answer(
                        ERROR,
                        "bad_key: not a usable key; needs_passphrase: an OpenPGP "
                        "secret key protected by a passphrase not given",
                    ),
                },
            },
        },
        "/v1/events": {
            "get": {
                "summary": "Server-sent events, one per state change",
                "responses": {"200": {"description": "text/event-stream"}},
            }
        },
        "/v1/compose": {
            "post": {
                "summary": "A draft from a mail-client add-in (JSON, addins/PROTOCOL.md): allow with a "
                "stamp, sent by the agent, held, or blocked",
                "responses": {
                    "200": json_answer(COMPOSE, "decision, message, found, plan, id, stamp"),
                    "400": json_answer(COMPOSE, "bad_draft: decision blocked"),
                },
            }
        },
        "/v1/compose/check": {
            "post": {
                "summary": "What /v1/compose would decide; keeps, queues and stamps nothing",
                "responses": {"200": json_answer(COMPOSE, "decision, message, found, plan")},
            }
        },
        "/v1/stamps/verify": {
            "post": {
                "summary": "Check a message's X-Postseal-Verdict (message/rfc822; ?recipients=a,b for the envelope)",
                "responses": {"200": json_answer({"type": "object"}, "valid, reason | verdict, issued, seen_before")},
            }
        },
        "/v1/stamps/key": {
            "get": {
                "summary": "The Ed25519 public key stamps are signed with, for gateways",
                "responses": {"200": json_answer({"type": "object"}, "key_id, public_key_pem")},
            }
        },
        "/v1/ingress/credentials": {
            "get": {
                "summary": "Local SMTP submission settings for a desktop mail program",
                "responses": {
                    "200": json_answer({"type": "object"}, "host, port, security, username, password"),
                    "404": json_answer(ERROR, "smtp_off"),
                },
            }
        },
        "/v1/policy/rules": {
            "get": {
                "summary": "Where the rules the agent plans with come from, and whether managed policy set them",
                "responses": {
                    "200": json_answer(
                        {
                            "type": "object",
                            "required": ["source", "managed"],
                            "properties": {"source": {"type": "string"}, "managed": {"type": "boolean"}},
                        },
                        "source, managed",
                    )
                },
            }
        },
        "/v1/portal/enrolment": {
            "post": {
                "summary": 'Enrol this agent with the organization\'s portal: {"url", "code", "name"}; the '
                "credential goes into the agent's secret store and is used from its next start",
                "responses": {
                    "201": json_answer(
                        {
                            "type": "object",
                            "required": ["url", "agent", "enrolled"],
                            "properties": {
                                "url": {"type": "string"},
                                "agent": {"type": "string"},
                                "enrolled": {"type": "number"},
                                "claimed": {"type": "boolean"},
                            },
                        },
                        "url, agent, enrolled",
                    ),
                    "400": json_answer(ERROR, "bad_request: url and code missing"),
                    "502": json_answer(ERROR, "enrol_failed: the portal refused the code or cannot be reached"),
                },
            }
        },
        "/v1/replies": {
            "get": {
                "summary": "Secure replies collected from the portal, newest first: who replied, "
                "subject, when, how it reached you (smime | kept)",
                "responses": {"200": json_answer({"type": "object"}, "replies")},
            }
        },
        "/v1/replies/{id}": {
            "get": {
                "summary": "One secure reply: its text and attachments (base64)",
                "responses": {
                    "200": json_answer({"type": "object"}, "id, from, subject, received, text, attachments"),
                    "404": json_answer(ERROR, "not_found"),
                },
            }
        },
        "/v1/accounts": {
            "get": {
                "summary": "Signed-in mailboxes (ready | needs_sign_in), which providers IT set up, "
                "and the transport (api | smtp)",
                "responses": {"200": json_answer({"type": "object"}, "accounts, providers, transport")},
            }
        },
        "/v1/accounts/sign-in": {
            "post": {
                "summary": 'Start a sign-in: {"provider": "microsoft"|"google", "device_code": false}; open '
                "auth_url in the user's browser (or show user_code and verification_uri)",
                "responses": {
                    "202": json_answer({"type": "object"}, "id, state, auth_url | user_code, verification_uri"),
                    "400": json_answer(ERROR, "sign_in: provider not set up"),
                    "409": json_answer(ERROR, "no_keyring"),
                    "503": json_answer(ERROR, "provider_unreachable"),
                },
            }
        },
        "/v1/accounts/sign-in/{id}": {
            "get": {
                "summary": "How a sign-in went: waiting | signed_in (address) | failed (error) | cancelled",
                "responses": {
                    "200": json_answer({"type": "object"}, "state"),
                    "404": json_answer(ERROR, "unknown_sign_in"),
                },
            },
            "delete": {
                "summary": "Cancel a sign-in that is waiting",
                "responses": {"200": json_answer({"type": "object"}, "")},
            },
        },
        "/v1/accounts/{address}": {
            "delete": {
                "summary": "Sign out: the account and its tokens are removed",
                "responses": {
                    "200": json_answer({"type": "object"}, "removed"),
                    "404": json_answer(ERROR, "unknown_account"),
                },
            }
        },
    },
}


def _add(path: str, method: str, answers: dict[str, dict]) -> None:
    responses = OPENAPI["paths"][path][method]["responses"]
    for status, answer in answers.items():
        responses.setdefault(status, answer)


def _every_route_answers() -> None:
    """What any route may answer besides its own (ingress/api/door.py): the door's refusals,
    a body too large or of the wrong type, and a failure nobody foresaw — one envelope each."""
    for ops in OPENAPI["paths"].values():
        for op in ops.values():
            responses = op["responses"]
            if op.get("security") != []:
                responses.setdefault("401", json_answer(ERROR, "unauthorized: missing or wrong bearer token"))
            responses.setdefault("421", json_answer(ERROR, "bad_host: the Host is not this agent (DNS rebinding)"))
            if "403" not in responses:
                responses["403"] = json_answer(ERROR, "bad_origin: a web page's Origin that may not use the agent")
            else:
                responses["403"]["description"] += "; bad_origin: a web page's Origin that may not use the agent"
            responses.setdefault("500", json_answer(ERROR, "internal_error: nothing was stored; see the agent log"))
            if op.get("requestBody") is RFC822_BODY:
                responses.setdefault("413", json_answer(ERROR, "too_large: over the message size limit"))
                responses.setdefault("415", json_answer(ERROR, "send the message as Content-Type: message/rfc822"))


for _action in ("retry", "release", "portal", "revoke"):
    _add(f"/v1/messages/{{id}}/{_action}", "post", {"503": json_answer(ERROR, "portal_unavailable")})
for _door in ("/v1/compose", "/v1/compose/check"):
    _add(
        _door,
        "post",
        {
            "400": json_answer(COMPOSE, "bad_draft: decision blocked"),
            "409": json_answer(COMPOSE, "message_id_reused: decision blocked"),
            "415": json_answer(COMPOSE, "send the draft as application/json: decision blocked"),
            "500": json_answer(COMPOSE, "internal_error: decision blocked, nothing stored"),
            "503": json_answer(COMPOSE, "storage_unavailable: decision blocked"),
        },
    )
_add(
    "/v1/keys/generate",
    "post",
    {
        "400": json_answer(ERROR, "bad_request: not an address, or a name on more than one line"),
        "500": json_answer(ERROR, "gpg_failed"),
    },
)
_add("/v1/keys/{fingerprint}/renew", "post", {"500": json_answer(ERROR, "gpg_failed")})
_add("/v1/audit", "get", {"400": json_answer(ERROR, "bad_request: offset, limit, since and until must be numbers")})
_add(
    "/v1/audit/export",
    "get",
    {
        "400": json_answer(ERROR, "bad_request: format must be csv or json"),
        "409": json_answer(ERROR, "audit_not_intact: the log does not verify"),
    },
)
_add(
    "/v1/stamps/verify",
    "post",
    {
        "400": json_answer(ERROR, "bad_message"),
        "415": json_answer(ERROR, "send the message as Content-Type: message/rfc822"),
    },
)
_every_route_answers()
