"""bench/report.py on made-up figures (no measurement, no clock): the sections of other
commands in bench/RESULTS.md survive, the targets are judged against the right references,
and the chart is well-formed SVG. `make check-bench` (part of `make check` and `make test`).

    /usr/bin/python3 -m unittest discover -s bench -p 'test_*.py'
"""

from __future__ import annotations

import tempfile
import unittest
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import report

OTHER_SECTIONS = (
    "<!-- soak:begin -->\n## Soak and abuse\n\nsoak table\n<!-- soak:end -->\n\n"
    "<!-- fuzz:begin -->\n## Fuzzing\n\nfuzz table\n<!-- fuzz:end -->\n\n"
    "<!-- sanitize:begin -->\n## Sanitizers\n\nsanitizer table\n<!-- sanitize:end -->\n"
)


def wrapper_round(sign: float, verify: float, verify_reference: str) -> dict[str, float]:
    """One round of a wrapper's benchmark: the C ABI at 1000 signatures and 20 000
    verifications a second, the wrapper at `sign` and `verify` times those."""
    return {
        "openssl sign": 1000.0, "openssl verify": 25000.0, "openssl sign multi 2": 2000.0,
        "C sign": 1000.0, "C oneshot": 990.0, verify_reference: 20000.0, "C sign 2 threads": 1980.0,
        "sign": 1000.0 * sign, "oneshot": 950.0, "verify": 20000.0 * verify, "sign 2 threads": 1900.0,
    }


def server_round(tokens_8: float, p50_1: float) -> dict[str, Any]:
    def load(tokens: float, p50: float) -> dict[str, float]:
        return {"tokens_per_s": tokens, "p50_ms": p50, "p99_ms": 3 * p50, "requests": 3000, "failed": 0}

    return {"openssl sign multi 2": 2000.0,
            "connections": {"1": load(900.0, p50_1), "8": load(tokens_8, 4.0), "64": load(tokens_8, 30.0)}}


def results() -> dict[str, Any]:
    """Go meets both library targets, Ruby misses verify (against verify_into, the call it
    makes, not verify_n); serve meets its server targets, Python misses 0.6 at 8 connections
    and its one-client median."""
    c_round = {"openssl sign": 1000.0, "openssl verify": 25000.0, "openssl sign multi 2": 2000.0,
               "C sign": 1000.0, "C oneshot": 990.0, "C verify": 22000.0, "C verify_n": 21000.0,
               "C verify_into": 20000.0, "C sign 2 threads": 1980.0,
               "peer jsonwebtoken-aws-lc-rs sign": 400.0, "peer jsonwebtoken-aws-lc-rs verify": 15000.0}
    ruby = wrapper_round(0.96, 0.80, "C verify_into")
    ruby["C verify_n"] = 10000.0  # would pass the target if it were (wrongly) the reference
    return {
        "meta": {"date": "2026-01-01 00:00 UTC", "commit": "0123456789abcdef", "dirty": False, "quick": True,
                 "rounds": 1, "seconds": 1, "server_seconds": 1, "duration_s": 75,
                 "machine": {"cpu": "test CPU", "cores": 2, "memory_mib": 4096, "kernel": "6.1", "os": "Debian",
                             "load_average_before": [0.1, 0.1, 0.1], "load_average_after": [0.2, 0.2, 0.2],
                             "versions": {}}},
        "results": {
            "c": {"rounds": [c_round]},
            "go": {"rounds": [wrapper_round(0.97, 0.90, "C verify_n")]},
            "ruby": {"rounds": [ruby]},
            "servers": {"servers": {"serve": {"rounds": [server_round(1500.0, 0.4)]},
                                    "python": {"rounds": [server_round(1100.0, 1.5)]}},
                        "failed": {"java": "scripts/run-backend java did not start"}},
            "instructions": {"counts": {"openssl": {"sign": 6000000, "verify": 290000},
                                        "c": {"sign": 6010000, "sign-n": 6010000, "oneshot": 6100000,
                                              "verify": 320000, "verify-n": 325000, "verify-into": 324000},
                                        "ruby": {"sign": 6500000, "verify": 400000}},
                             "calls": {"sign": 10, "verify": 100}, "failed": {}},
        },
        "failed": {"node": "npm ci failed"},
    }


class ReportTest(unittest.TestCase):
    def test_other_sections_survive_and_the_section_is_replaced_not_repeated(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "RESULTS.md"
            path.write_text("# Benchmark results\n\n" + OTHER_SECTIONS)
            report.write(results(), Path(directory))
            report.write(results(), Path(directory))
            text = path.read_text()
            self.assertTrue(text.startswith("# Benchmark results\n\n" + report.BEGIN))
            self.assertEqual(text.count(report.BEGIN), 1)
            self.assertEqual(text.count(report.END), 1)
            self.assertIn(OTHER_SECTIONS, text)
            self.assertEqual(sorted(p.name for p in Path(directory).iterdir()), ["RESULTS.md", "chart.svg"])

    def test_a_missing_file_is_created(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            report.write(results(), Path(directory))
            text = (Path(directory) / "RESULTS.md").read_text()
            self.assertTrue(text.startswith("# Benchmark results\n\n" + report.BEGIN))
            self.assertTrue(text.rstrip().endswith(report.END))

    def test_targets_against_the_call_each_wrapper_makes(self) -> None:
        text = report.markdown(results())
        rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
        self.assertIn("| met", rows["Go signs at ≥ 0.95 of the C ABI (1 core)"])
        self.assertIn("| met", rows["Go verifies at ≥ 0.85 of the C ABI (`verify_n`, 1 core)"])
        self.assertIn("| met", rows["Ruby signs at ≥ 0.95 of the C ABI (1 core)"])
        self.assertIn("| 0.80 | 0.81 | **not met**",
                      rows["Ruby verifies at ≥ 0.85 of the C ABI (`verify_into`, 1 core)"])
        self.assertIn("| 0.75 | – | met", rows["layer-identity serve: 8 connections ≥ 0.7 of `openssl speed -multi 2`"])
        self.assertIn("| 0.55 | – | **not met**", rows["Python: 8 connections ≥ 0.6 of `openssl speed -multi 2`"])
        self.assertIn("| 1.50 ms | – | **not met**", rows["Python: one client's median ≤ 1 ms"])
        self.assertIn("not measured", rows["Java: one client's median ≤ 1 ms"])
        self.assertIn("- node: npm ci failed", text)
        self.assertIn("- Server java failed: scripts/run-backend java did not start", text)
        self.assertIn("**Quick run", text)

    def test_the_chart_is_well_formed_svg(self) -> None:
        root = ElementTree.fromstring(report.chart(results()))
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
        self.assertIn("Ruby, verify: 0.80", titles)
        self.assertIn("Python, 8 connections: 0.55", titles)


if __name__ == "__main__":
    unittest.main()
