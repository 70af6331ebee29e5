"""Drives a running kurir through a Python client generated from its OpenAPI document (openapi-python-client).

The test `openapi::a_client_generated_from_the_document_works` generates the client into a temp dir and runs this
with KURIR_CLIENT_DIR (where the `kurir_client` package is), KURIR_URL, KURIR_ADMIN_TOKEN and RECEIVER_URL. It
sets up a tenant, a key and an endpoint, publishes, and follows the delivery to its end, every call through the
generated code, which parses each answer into the document's models (a field the document calls required and
kurir leaves out, or an undocumented status, raises). It prints one JSON line for the test to check.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.environ["KURIR_CLIENT_DIR"])

from kurir_client import AuthenticatedClient  # noqa: E402
from kurir_client.api.api_keys import create_api_key  # noqa: E402
from kurir_client.api.deliveries import get_delivery, list_attempts, list_deliveries  # noqa: E402
from kurir_client.api.endpoints import create_endpoint, get_endpoint  # noqa: E402
from kurir_client.api.events import get_event, list_events, publish_event  # noqa: E402
from kurir_client.api.tenants import create_tenant  # noqa: E402
from kurir_client.models import ApiKeyCreated, ApiKeyIn, EndpointIn, ErrorBody, EventIn, TenantIn  # noqa: E402


def client(token):
    return AuthenticatedClient(base_url=os.environ["KURIR_URL"], token=token, raise_on_unexpected_status=True)


def ok(answer, what):
    """An answer that is the documented success model, not an ErrorBody or nothing."""
    if answer is None or isinstance(answer, ErrorBody):
        raise SystemExit(f"{what} failed: {answer}")
    return answer


admin = client(os.environ["KURIR_ADMIN_TOKEN"])
ok(create_tenant.sync(client=admin, body=TenantIn(id="generated", name="Generated client")), "create tenant")
key = ok(create_api_key.sync("generated", client=admin, body=ApiKeyIn(name="python")), "create key")
assert isinstance(key, ApiKeyCreated), key
tenant = client(key.token)

endpoint = ok(
    create_endpoint.sync("generated", client=tenant, body=EndpointIn(url=os.environ["RECEIVER_URL"])), "endpoint"
)
published = ok(
    publish_event.sync(
        "generated",
        client=tenant,
        body=EventIn(type_="ADDPRODUCT", payload={"id": 7, "sku": "GEN-7"}),
        idempotency_key="generated-1",
    ),
    "publish",
)

# A refused publish comes back as the documented error model, naming the field.
refused = publish_event.sync("generated", client=tenant, body=EventIn(type_="no.such.type", payload={}))
assert isinstance(refused, ErrorBody) and refused.error.field == "type", refused

deadline = time.monotonic() + 20
while True:
    delivery = ok(get_delivery.sync("generated", published.delivery_ids[0], client=tenant), "delivery")
    if delivery.state == "succeeded" or time.monotonic() > deadline:
        break
    time.sleep(0.05)

event = ok(get_event.sync("generated", published.id, client=tenant), "event")
events = ok(list_events.sync("generated", client=tenant, limit=10), "events")
deliveries = ok(list_deliveries.sync("generated", client=tenant, state="succeeded"), "deliveries")
attempts = ok(list_attempts.sync("generated", delivery.id, client=tenant), "attempts")
shown = ok(get_endpoint.sync("generated", endpoint.id, client=tenant), "endpoint")

print(
    json.dumps(
        {
            "event_id": published.id,
            "state": delivery.state,
            "event_deliveries": len(event.deliveries),
            "listed_events": [e.id for e in events.data],
            "succeeded": [d.id for d in deliveries.data],
            "attempt_statuses": [a.status for a in attempts.data],
            "circuit": shown.circuit.state if shown.circuit else None,
            "secret_prefix": (endpoint.secret or "")[:6],
        }
    )
)
