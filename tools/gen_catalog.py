#!/usr/bin/env python3
"""Writes kurir's catalog files from the vendors' reference catalogs.

The catalog under `catalog/` is data: one JSON file per event type, compiled into the binary. This script is how
those files were written from `spec/reference/*.json` (a copy of the vendors' public docs, as read); the files are
the source of truth afterwards and may be edited by hand. Tests check every example against its schema and that
every event of the reference files has a file.

Rules applied (docs/platforms.md explains each):
- DealPOS: documented types; nested fields `A.B` (object) and `A[].B` (array items); formats are annotations;
  fields whose type drifted between renders (customer `Code`) accept either type. Unknown extra fields allowed.
- ZORT: types come from single examples, so numbers accept a number or a numeric string, every field is nullable,
  and a field whose type is unknown accepts anything.
- An event without a documented example gets one built from its fields (`"built": true`). A malformed example
  keeps its raw text beside the repaired one.
- Synchronous call-outs (DealPOS loyalty) are not events and get no catalog file.

Usage: python3 tools/gen_catalog.py [--spec spec/reference] [--out catalog]
"""
import argparse
import json
import os
import shutil
import sys

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
NUMERIC_STRING = r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"

# The entity and JSON pointer of each event's ordering key (DESIGN.md: `<entity>:<value>`). Payments order by
# their invoice, bill payments by their bill: a payment must not overtake the invoice it pays.
DEALPOS_ORDERING = {
    "productCreated": ("product", "/ID"),
    "productUpdated": ("product", "/ID"),
    "productDeleted": ("product", "/ID"),
    "productVariantCreated": ("variant", "/ID"),
    "productVariantUpdated": ("variant", "/ID"),
    "invoiceCreated": ("invoice", "/ID"),
    "invoiceDeleted": ("invoice", "/ID"),
    "invoiceErased": ("invoice", "/ID"),
    "customerCreated": ("customer", "/Code"),
    "customerDeleted": ("customer", "/Code"),
    "supplierCreated": ("supplier", "/Code"),
    "supplierDeleted": ("supplier", "/Code"),
    "transferOrderCreated": ("transferOrder", "/Number"),
    "outboundLogisticComplete": ("outboundLogistic", "/ID"),
    "inboundLogisticComplete": ("inboundLogistic", "/Number"),
    "adjustmentCreated": ("adjustment", "/ID"),
    "paymentCreated": ("invoice", "/InvoiceID"),
    "paymentDeleted": ("invoice", "/InvoiceID"),
    "paymentUpdated": ("invoice", "/InvoiceID"),
    "paymentWriteoff": ("invoice", "/InvoiceID"),
    "supplierBillPaymentCreated": ("bill", "/BillID"),
    "supplierBillPaymentDeleted": ("bill", "/BillID"),
    "closeShift": ("shift", "/ID"),
}

ZORT_ENTITY = {
    "Product": "product",
    "Order": "order",
    "Purchase Order": "purchaseOrder",
    "Return Order": "returnOrder",
    "Return Purchase Order": "returnPurchaseOrder",
    "Transfer": "transfer",
    "Contact": "contact",
    "Warehouse": "warehouse",
}

# The four delete triggers ZORT documents without a URL field get one in kurir; when it is not set, the trigger
# goes to the matching update URL.
ZORT_DELETE_FIELDS = {
    "DELETEORDER": ("deleteorderurl", "updateorderurl"),
    "DELETEPURCHASEORDER": ("deletepurchaseurl", "updatepurchaseurl"),
    "DELETERETURNORDER": ("deletereturnorderurl", "updatereturnorderurl"),
    "DELETERETURNPURCHASEORDER": ("deletereturnpurchaseurl", "updatereturnpurchaseurl"),
}

# DealPOS fields whose type differs between doc renders: accept both.
# Where a documented example shows a field's type drifting between renders, the schema accepts both: only the
# customer's top-level `Code` (an older render sends `"Code": 1011`). Keyed by event-name prefix, then field.
DEALPOS_DRIFT = {"customer": {"Code": ["string", "number"]}}


def fragment_for(kind, platform):
    """A field's type (as the reference writes it) as a JSON Schema fragment."""
    base, fmt = kind, None
    if "(" in kind and kind.endswith(")"):
        base, fmt = kind[: kind.index("(")], kind[kind.index("(") + 1 : -1]
    if platform == "zort":
        if base in ("integer", "number"):
            return {"type": ["number", "string", "null"], "pattern": NUMERIC_STRING}
        if base == "string":
            return {"type": ["string", "number", "null"]}
        if base == "boolean":
            return {"type": ["boolean", "null"]}
        if base.startswith("array"):
            return {"type": ["array", "null"]}
        if base == "object":
            return {"type": ["object", "null"]}
        return {}
    simple = {"string", "boolean", "integer", "number", "object"}
    if base in simple:
        frag = {"type": base}
        if fmt:
            frag["format"] = {"guid": "uuid"}.get(fmt, fmt)
        return frag
    if base.startswith("array<") and base.endswith(">"):
        return {"type": "array", "items": fragment_for(base[6:-1], platform)}
    if base == "array":
        return {"type": "array"}
    return {}


def object_schema(fields, platform, drift=None):
    """Builds an object schema from the flat field list: `A.B` nests into object A, `A[].B` into A's items, and
    a leading `[].B` makes the payload itself an array."""
    root = {"type": "object", "properties": {}, "additionalProperties": True}
    if any(f["name"].startswith("[].") for f in fields):
        items = {"type": "object", "properties": {}, "additionalProperties": True}
        for f in fields:
            add_field(items, f["name"][3:], f, platform, drift or {})
        return {"type": "array", "items": items}
    for f in fields:
        add_field(root, f["name"], f, platform, drift or {})
    return root


def container(node, platform):
    """The object schema inside `node` where child properties go (its items, for an array)."""
    types = node.get("type")
    is_array = types == "array" or (isinstance(types, list) and "array" in types)
    if is_array:
        items = node.setdefault("items", {})
        items.setdefault("type", ["object", "null"] if platform == "zort" else "object")
        items.setdefault("additionalProperties", True)
        items.setdefault("properties", {})
        return items
    node.setdefault("additionalProperties", True)
    node.setdefault("properties", {})
    return node


def add_field(root, name, field, platform, drift):
    parts = []
    for part in name.split("."):
        if part.endswith("[]"):
            parts.append((part[:-2], "array"))
        else:
            parts.append((part, None))
    # `A[].B` arrives as "A[]" + "B" after the split on dots.
    node = root
    for index, (part, kind) in enumerate(parts):
        props = container(node, platform)["properties"]
        last = index == len(parts) - 1
        if last:
            frag = fragment_for(field["type"], platform)
            if len(parts) == 1 and part in drift:
                frag = {"type": drift[part]}
            if field.get("description"):
                frag["description"] = field["description"]
            existing = props.get(part)
            if existing and ("properties" in existing or "items" in existing):
                existing.update({k: v for k, v in frag.items() if k not in ("items", "properties")})
            else:
                props[part] = frag
            # A field the doc marks required goes in its object's `required` list (an explicit `required: true`
            # only; `null` means the doc does not say).
            if field.get("required") is True:
                required = container(node, platform).setdefault("required", [])
                if part not in required:
                    required.append(part)
        else:
            default = {"type": "array"} if kind == "array" else {"type": "object"}
            if platform == "zort":
                default = {"type": ["array", "null"]} if kind == "array" else {"type": ["object", "null"]}
            node = props.setdefault(part, default)


def built_value(schema, name=""):
    """A plausible value for a schema, for events whose docs give fields but no example."""
    types = schema.get("type", "string")
    kind = types if isinstance(types, str) else next((t for t in types if t != "null"), "string")
    if kind == "object":
        return {k: built_value(v, k) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items")
        return [built_value(items, name)] if items else []
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-01-15T10:30:00"
    if fmt == "date":
        return "2026-01-15"
    if fmt == "uuid" or name.endswith("ID") or name == "ID":
        return "00000000-0000-4000-8000-000000000001"
    return f"{name or 'text'} example"


def file_doc(name, platform, category, title, description, ordering, schema, examples, notes, extra=None):
    doc = {
        "name": name,
        "platform": platform,
        "category": category,
        "title": title,
        "description": description,
        "ordering": {"entity": ordering[0], "pointer": ordering[1]} if ordering else None,
        "schema": {"$schema": SCHEMA_URI, **schema},
        "examples": examples,
        "notes": notes,
    }
    if extra:
        doc.update(extra)
    return doc


def unwrap(example):
    """Some DealPOS examples are OpenAPI examples-map artifacts: {"example-1": {...}}."""
    if isinstance(example, dict) and len(example) == 1:
        (key, value), = example.items()
        if key.startswith("example") and isinstance(value, dict):
            return value
    return example


def dealpos_docs(events):
    for e in events:
        if e.get("sync_call_out"):
            continue
        drift = next((d for prefix, d in DEALPOS_DRIFT.items() if e["name"].startswith(prefix)), {})
        schema = (object_schema(e["fields"], "dealpos", drift) if e["fields"]
                  else {"type": "object", "additionalProperties": True})
        notes = list(e.get("notes", []))
        examples = []
        documented = e.get("example_expanded") or e.get("example")
        if documented is not None:
            examples.append({"name": "documented", "payload": unwrap(documented)})
        legacy = e.get("legacy_variant")
        if legacy and legacy.get("example_as_documented"):
            # An older render's example; kept only while it still meets the current doc's required fields.
            payload = unwrap(legacy["example_as_documented"])
            missing = [f for f in schema.get("required", []) if f not in payload]
            if missing:
                notes.append("An older render's example lacks " + ", ".join(missing) + ", which the current doc "
                             "requires; it is not kept as an example.")
            else:
                examples.append({"name": "legacy flat form", "payload": payload})
        if not examples:
            examples.append({"name": "built from the documented fields", "built": True, "payload": built_value(schema)})
            notes.append("No example is documented; the example was built from the documented fields.")
        if e["name"].startswith("product") and "Variants" in schema.get("properties", {}):
            notes.append("Variants[] items are elided in the docs; they are taken to carry the Product Variant fields (inferred).")
        yield file_doc(e["name"], "dealpos", e["category"], e["title"], e.get("description") or e["title"],
                       DEALPOS_ORDERING[e["name"]], schema, examples, notes,
                       {"confidence": e.get("confidence"), "response": (e.get("response") or {}).get("example")})


def dealpos_variant_items(docs):
    """Product events' Variants[] items get the Product Variant fields."""
    variant = next(d for d in docs if d["name"] == "productVariantUpdated")["schema"]
    item = {k: v for k, v in variant.items() if k != "$schema"}
    for doc in docs:
        if doc["name"] in ("productCreated", "productUpdated", "productDeleted"):
            doc["schema"]["properties"]["Variants"] = {"type": "array", "items": item}
    return docs


def zort_docs(events):
    for e in events:
        schema = object_schema(e["fields"], "zort")
        examples, notes = [], list(e.get("notes", []))
        if e.get("example") is not None:
            examples.append({"name": "documented", "payload": e["example"]})
        if e.get("example_raw") is not None:
            examples.append({"name": "documented (repaired)", "payload": e["example_repaired"], "raw": e["example_raw"]})
            notes.append("The documented example is malformed JSON; `raw` keeps it as published, `payload` is the repair.")
        entity = ZORT_ENTITY[e["category"]]
        ordering = None if schema.get("type") == "array" else (entity, "/id")
        query = [q["name"] for q in e["query_params"] if q["name"] != "method"]
        zort = {"url_field": e.get("url_field"), "query": query}
        if e["name"] in ZORT_DELETE_FIELDS:
            field, fallback = ZORT_DELETE_FIELDS[e["name"]]
            zort.update({"url_field": field, "url_field_documented": False, "fallback_url_field": fallback})
        if ordering is None:
            notes.append("The payload is an array; publish with params.id so the order id reaches the query string and the ordering key.")
        yield file_doc(e["name"], "zort", e["category"], e["title"], e.get("description") or e["title"],
                       ordering, schema, examples, notes, {"confidence": e.get("confidence"), "zort": zort})


def write_all(out_dir, docs):
    for doc in docs:
        path = os.path.join(out_dir, doc["platform"], doc["name"] + ".json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            json.dump(doc, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    print(f"wrote {len(docs)} files under {out_dir}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=os.path.join(here, "..", "spec", "reference"))
    ap.add_argument("--out", default=os.path.join(here, "..", "catalog"))
    args = ap.parse_args()
    dealpos = json.load(open(os.path.join(args.spec, "dealpos-catalog.json")))
    zort = json.load(open(os.path.join(args.spec, "zort-catalog.json")))["events"]
    # catalog/kurir/ holds kurir's own operational events, written by hand: it is left as it is.
    for platform in ("dealpos", "zort"):
        shutil.rmtree(os.path.join(args.out, platform), ignore_errors=True)
    docs = dealpos_variant_items(list(dealpos_docs(dealpos))) + list(zort_docs(zort))
    write_all(args.out, docs)


if __name__ == "__main__":
    sys.exit(main())
