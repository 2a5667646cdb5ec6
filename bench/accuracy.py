#!/usr/bin/env python3
"""Category accuracy of `rdp-doctor diagnose` over labelled corpora of real pastes.

Usage: bench/accuracy.py [--misses] [--binary PATH] [CORPUS...]
A CORPUS is a YAML map with `cases:`, each with `id`, `text`, `category` and `codes` (lowercase
hex). The default corpora are the held-out set (tests/fixtures/holdout/pastes.yaml), the
development set (tests/fixtures/pastes/dev.yaml) and the 94 public pastes
(../shared/pastes/real-pastes.yaml). BINARY defaults to target/release/rdp-doctor.

Per corpus: category top-1 and top-3, pastes with no candidate at all, and codes found (the
labelled codes that appear among the codes the paste was read to contain, as the catalog reads
them or as an alias the paste wrote: FreeRDP's `ERRINFO_LOGOFF_BY_USER [0x0001000C]` is ERRINFO
0xc, alias 0x1000c). Only the held-out
figure measures generalisation: no rule cites those pastes and no weight was tuned on them.
"""
import json
import os
import subprocess
import sys

import yaml

DEFAULT = [
    "tests/fixtures/holdout/pastes.yaml",
    "tests/fixtures/pastes/dev.yaml",
    "../shared/pastes/real-pastes.yaml",
]


def score(binary, corpus, show_misses):
    with open(corpus, encoding="utf-8") as f:
        cases = yaml.safe_load(f)["cases"]
    top1 = top3 = empty = 0
    codes_wanted = codes_found = 0
    misses = []
    for case in cases:
        out = subprocess.run(
            [binary, "diagnose", "--format", "json", "-"],
            input=case["text"].encode(),
            capture_output=True,
        )
        report = json.loads(out.stdout)
        categories = [d["category"] for d in report["diagnoses"]]
        found = set()
        for c in report["input"]["codes"]:
            found.add(c["code"])
            found.update(c.get("aliases", []))
        wanted = {str(c).lower() for c in case.get("codes") or []}
        codes_wanted += len(wanted)
        codes_found += len(wanted & found)
        empty += not categories
        top1 += categories[:1] == [case["category"]]
        if case["category"] in categories[:3]:
            top3 += 1
        else:
            misses.append(f"{case['id']}: want {case['category']}, got {categories[:3]}")
        if wanted - found:
            misses.append(f"{case['id']}: codes not found {sorted(wanted - found)}")
    n = len(cases)
    pct = lambda k, total: f"{k}/{total} ({k / total:.0%})" if total else "-"
    print(
        f"{corpus}: {n} pastes; top-1 {pct(top1, n)}, top-3 {pct(top3, n)}, "
        f"no candidate {pct(empty, n)}, codes found {pct(codes_found, codes_wanted)}"
    )
    if show_misses:
        for miss in misses:
            print("  miss", miss)


def main():
    args = sys.argv[1:]
    show_misses = "--misses" in args
    args = [a for a in args if a != "--misses"]
    binary = "target/release/rdp-doctor"
    if "--binary" in args:
        i = args.index("--binary")
        binary = args[i + 1]
        del args[i : i + 2]
    for corpus in args or DEFAULT:
        if not os.path.exists(corpus):
            sys.exit(f"{corpus}: no such corpus")
        score(binary, corpus, show_misses)


if __name__ == "__main__":
    main()
