"""Fills a running kurir with N events (batches of 1,000) for one tenant with two endpoints: one healthy (the
receiver.py beside this file, on 127.0.0.1:9911) and one that refuses connections, so the store holds succeeded,
retrying and dead deliveries. Usage: python3 fill.py BASE_URL ADMIN_TOKEN N"""
import json
import sys
import urllib.request

base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    return json.load(urllib.request.urlopen(request))


post("/v1/tenants", {"id": "acme", "name": "Acme"})
post("/v1/tenants/acme/endpoints", {"url": "http://127.0.0.1:9911/hook"})
post("/v1/tenants/acme/endpoints", {"url": "http://127.0.0.1:9912/down", "retry_schedule": [1]})
for batch in range(count // 1000):
    events = [{"type": "productCreated", "payload": {"ID": f"p-{batch}-{i}", "Name": "Dress", "Code": "D1"}}
              for i in range(1000)]
    post("/v1/tenants/acme/events/batch", {"events": events})
print(f"published {count // 1000 * 1000} events")
