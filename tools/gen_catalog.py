#!/usr/bin/env python3
"""Writes kurir's catalog files from the vendors' reference catalogs.

The catalog under `catalog/` is data: one JSON file per event type, compiled into the binary. This script is how
those files were first written from `../shared/spec/reference/*.json`; after that the files are the source of
truth and may be edited by hand (a test checks every example against its schema).

Usage: python3 tools/gen_catalog.py [--spec ../shared/spec/reference] [--only NAME ...]
"""
import argparse
import json
import os
import sys

# Which entity each event orders by, and the JSON pointer of its identity in the payload (DESIGN.md: the
# ordering key is `<entity>:<value>`, so product 1234 and order 1234 never wait on each other).
DEALPOS_ORDERING = {
    "productCreated": ("product", "/ID"),
    "productUpdated": ("product", "/ID"),
    "productDeleted": ("product", "/ID"),
    "productVariantCreated": ("variant", "/ID"),
    "productVariantUpdated": ("variant", "/ID"),
}
ZORT_ORDERING = {
    "ADDPRODUCT": ("product", "/id"),
    "UPDATEPRODUCT": ("product", "/id"),
    "UPDATEPRODUCTQUANTITY": ("product", "/id"),
    "DELETEPRODUCT": ("product", "/id"),
}

NUMERIC_STRING = r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"


def dealpos_type(t):
    """A documented DealPOS field type as a JSON Schema fragment."""
    simple = {"string": "string", "boolean": "boolean", "integer": "integer", "number": "number", "object": "object"}
    if t in simple:
        return {"type": simple[t]}
    if t.startswith("array<") and t.endswith(">"):
        return {"type": "array", "items": dealpos_type(t[6:-1])}
    return {}  # type unknown: any value


def dealpos_schema(fields):
    """Builds an object schema from the flat field list (`Components[].Name` nests into the array's items)."""
    props = {}
    for f in fields:
        parts = f["name"].split("[].")
        target = props
        for outer in parts[:-1]:
            node = target.setdefault(outer, {"type": "array", "items": {"type": "object"}})
            items = node.setdefault("items", {"type": "object"})
            items.setdefault("type", "object")
            target = items.setdefault("properties", {})
        frag = dealpos_type(f["type"])
        if f.get("description"):
            frag["description"] = f["description"]
        existing = target.get(parts[-1])
        if existing and existing.get("type") == "array" and "properties" in existing.get("items", {}):
            continue  # already built from nested fields
        target[parts[-1]] = frag
    return {"type": "object", "properties": props, "additionalProperties": True}


def zort_type(t):
    """ZORT's types come from single examples: numbers may be numeric strings, and every field may be null."""
    if t == "integer" or t == "number":
        return {"type": ["number", "string", "null"], "pattern": NUMERIC_STRING}
    if t == "string":
        return {"type": ["string", "number", "null"]}
    if t == "boolean":
        return {"type": ["boolean", "null"]}
    if t.startswith("array"):
        return {"type": ["array", "null"]}
    if t == "object":
        return {"type": ["object", "null"]}
    return {}


def zort_schema(fields):
    props = {}
    for f in fields:
        frag = zort_type(f["type"])
        if f.get("description"):
            frag["description"] = f["description"]
        props[f["name"]] = frag
    return {"type": "object", "properties": props, "additionalProperties": True}


def write(out_dir, doc):
    path = os.path.join(out_dir, doc["platform"], doc["name"] + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print("wrote", path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=os.path.join(here, "..", "..", "shared", "spec", "reference"))
    ap.add_argument("--out", default=os.path.join(here, "..", "catalog"))
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()

    dealpos = json.load(open(os.path.join(args.spec, "dealpos-catalog.json")))
    zort = json.load(open(os.path.join(args.spec, "zort-catalog.json")))["events"]
    only = set(args.only or list(DEALPOS_ORDERING) + list(ZORT_ORDERING))

    variant_schema = None
    for e in dealpos:
        if e["name"] == "productVariantUpdated":
            variant_schema = dealpos_schema(e["fields"])
    for e in dealpos:
        if e["name"] not in only or e.get("sync_call_out"):
            continue
        schema = dealpos_schema(e["fields"])
        if e["name"].startswith("product") and "Variants" in schema["properties"] and variant_schema:
            # The docs elide Variants[] items; a product's variants carry the Product Variant fields (inferred).
            schema["properties"]["Variants"] = {"type": "array", "items": variant_schema}
        entity, pointer = DEALPOS_ORDERING[e["name"]]
        examples = [{"name": "documented", "payload": e.get("example_expanded") or e["example"]}]
        write(args.out, {
            "name": e["name"],
            "platform": "dealpos",
            "category": e["category"],
            "title": e["title"],
            "description": e["description"],
            "ordering": {"entity": entity, "pointer": pointer},
            "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema},
            "examples": examples,
            "notes": e.get("notes", []),
        })
    for e in zort:
        if e["name"] not in only:
            continue
        entity, pointer = ZORT_ORDERING[e["name"]]
        write(args.out, {
            "name": e["name"],
            "platform": "zort",
            "category": e["category"],
            "title": e["title"],
            "description": e["description"],
            "ordering": {"entity": entity, "pointer": pointer},
            "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", **zort_schema(e["fields"])},
            "examples": [{"name": "documented", "payload": e["example"]}],
            "notes": e.get("notes", []),
        })


if __name__ == "__main__":
    sys.exit(main())
