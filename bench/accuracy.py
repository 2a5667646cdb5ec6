#!/usr/bin/env python3
"""Category accuracy of `rdp-doctor diagnose` over a labelled corpus of real pastes.

Usage: bench/accuracy.py [CORPUS] [BINARY]
CORPUS defaults to ../shared/pastes/real-pastes.yaml (a YAML map with `cases:`, each with
`id`, `text` and `category`); BINARY to target/release/rdp-doctor. Prints top-1 and top-3
category accuracy, and the misses. Rules whose examples come from the same corpus make this
an optimistic figure: it measures coverage of known pastes, not generalisation.
"""
import json
import subprocess
import sys

import yaml


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else "../shared/pastes/real-pastes.yaml"
    binary = sys.argv[2] if len(sys.argv) > 2 else "target/release/rdp-doctor"
    with open(corpus, encoding="utf-8") as f:
        cases = yaml.safe_load(f)["cases"]
    top1 = top3 = matched = 0
    misses = []
    for case in cases:
        out = subprocess.run(
            [binary, "diagnose", "--format", "json", "-"],
            input=case["text"].encode(),
            capture_output=True,
        )
        report = json.loads(out.stdout)
        categories = [d["category"] for d in report["diagnoses"]]
        matched += bool(categories)
        if categories[:1] == [case["category"]]:
            top1 += 1
        if case["category"] in categories[:3]:
            top3 += 1
        else:
            misses.append(f"{case['id']}: want {case['category']}, got {categories[:3]}")
    n = len(cases)
    print(f"{n} pastes: any match {matched}/{n}, top-1 {top1}/{n} ({top1 / n:.0%}), top-3 {top3}/{n} ({top3 / n:.0%})")
    for miss in misses:
        print("  miss", miss)


if __name__ == "__main__":
    main()
