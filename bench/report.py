#!/usr/bin/env python3
"""Writes bench/RESULTS.md and bench/chart.svg from the figures bench/run.py measured
(bench/results.json): every measurement with its ratio to OpenSSL's limit and, for the
wrappers, to the C ABI, each the median of the per-round ratios against the references
measured in the same round; the targets of this round, met or not; instruction counts.

    bench/report.py [bench/results.json]      (re-renders without measuring again)

Only the part of RESULTS.md between <!-- bench:begin --> and <!-- bench:end --> is rewritten:
other sections (the soak results) stay as they are.
"""

from __future__ import annotations

import html
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

WRAPPERS = [("go", "Go"), ("ruby", "Ruby"), ("java", "Java"), ("node", "Node"), ("python", "Python")]
SERVERS = [("serve", "layer-identity serve"), ("go", "Go (net/http)"), ("ruby", "Ruby"), ("java", "Java"),
           ("node", "Node"), ("python", "Python")]
# What each wrapper's benchmark measures as its sign, one-shot and 2-thread rates.
WRAPPER_CALLS = {
    "go": ("Signer.SignWith", "SignToken (PEM)", "Verifier.Verify", "2 goroutines, one Signer (GOMAXPROCS 2)"),
    "ruby": ("Signer#sign", "LayerIdentity.sign_token (PEM)", "Verifier#verify", "2 threads, one Signer"),
    "java": ("LayerSigner.sign (JMH)", "LayerSigner.signToken (PEM)", "LayerVerifier.verify",
             "2 JMH threads, one LayerSigner"),
    "node": ("Signer.sign", "signToken (PEM)", "Verifier.verify", "signAsync, 8 in flight (libuv pool)"),
    "python": ("Signer.sign", "sign_token (PEM)", "Verifier.verify", "2 threads, one Signer (GIL released)"),
}
# Each wrapper's peers: (name in its benchmark's JSON, label in the tables, label in the chart).
PEERS = {
    "go": [("golang-jwt", "golang-jwt/v5 (Go's crypto/rsa)", "golang-jwt")],
    "ruby": [("ruby-jwt", "ruby-jwt (Ruby's OpenSSL)", "ruby-jwt")],
    "java": [("jjwt", "jjwt (the JDK's RSA)", "jjwt"), ("java-jwt", "java-jwt (the JDK's RSA)", "java-jwt")],
    "node": [("jsonwebtoken", "jsonwebtoken (node:crypto)", "jsonwebtoken (npm)"),
             ("jose", "jose (WebCrypto)", "jose")],
    "python": [("PyJWT", "PyJWT (cryptography)", "PyJWT")],
    "c": [("jsonwebtoken-aws-lc-rs", "Rust jsonwebtoken crate (aws-lc-rs)", "jsonwebtoken (Rust, aws-lc)"),
          ("jsonwebtoken-rust-crypto", "Rust jsonwebtoken crate (rust_crypto)", "jsonwebtoken (Rust, RustCrypto)")],
}
# The C ABI verify call each wrapper makes (its verify target is against that call's rate):
# (the key of its rate in a round, its abi_bench mode, its name).
VERIFY_CALL = {
    "go": ("C verify_n", "verify-n", "verify_n"),
    "java": ("C verify_n", "verify-n", "verify_n"),
    "node": ("C verify_n", "verify-n", "verify_n"),
    "ruby": ("C verify_into", "verify-into", "verify_into"),
    "python": ("C verify_into", "verify-into", "verify_into"),
    "c": ("C verify_n", "verify-n", "verify_n"),
}
SIGN_TARGET, VERIFY_TARGET = 0.95, 0.85
SERVER_TARGETS = {"serve": 0.7, "go": 0.7, "node": 0.7, "ruby": 0.6, "java": 0.6, "python": 0.6}
LATENCY_TARGET_MS = 1.0


def median_ratio(rounds: list[dict[str, float]], numerator: str, denominator: str) -> float | None:
    values = [r[numerator] / r[denominator] for r in rounds
              if r.get(numerator) is not None and r.get(denominator)]
    return statistics.median(values) if values else None


def median_of(rounds: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rounds if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt_rate(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}".replace(",", " ") if value >= 100 else f"{value:.1f}"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def fmt_count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}".replace(",", " ")


class Figures:
    """The measured figures, read for the tables, the targets and the chart."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.results = data.get("results", {})

    def rounds(self, part: str) -> list[dict[str, float]]:
        return list(self.results.get(part, {}).get("rounds", []))

    def wrapper(self, part: str, key: str, openssl: str, c: str | None) -> tuple[float | None, ...]:
        """(median rate, × openssl, × C ABI) of one rate of a part."""
        rounds = self.rounds(part)
        return (median_of(rounds, key), median_ratio(rounds, key, openssl),
                median_ratio(rounds, key, c) if c else None)

    def servers(self) -> dict[str, Any]:
        return dict(self.results.get("servers", {}).get("servers", {}))

    def server(self, name: str, conns: int) -> dict[str, float | None] | None:
        rounds = self.servers().get(name, {}).get("rounds", [])
        if not rounds:
            return None
        loads = [dict(r["connections"][str(conns)], multi=r["openssl sign multi 2"]) for r in rounds
                 if str(conns) in r.get("connections", {})]
        if not loads:
            return None
        for load in loads:
            load["ratio"] = load["tokens_per_s"] / load["multi"]
        return {field: median_of(loads, field) for field in ("tokens_per_s", "p50_ms", "p99_ms", "ratio")} | {
            "failed": sum(int(load.get("failed", 0)) for load in loads),
            "requests": sum(int(load.get("requests", 0)) for load in loads)}

    def instructions(self) -> dict[str, dict[str, int]]:
        return dict(self.results.get("instructions", {}).get("counts", {}))


# ----------------------------------------------------------------------------------------------
# Markdown

def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def one_core_rows(f: Figures) -> list[list[str]]:
    rows = []
    c = f.rounds("c")
    if c:
        rows.append(["`openssl speed rsa2048`", "sign", fmt_rate(median_of(c, "openssl sign")), "1", "–"])
        rows.append(["`openssl speed rsa2048`", "verify", fmt_rate(median_of(c, "openssl verify")), "1", "–"])
        for key, label, operation, openssl in (
                ("C sign", "C ABI `layer_signer_sign`", "sign", "openssl sign"),
                ("C oneshot", "C ABI `layer_sign_token` (PEM, cached key)", "sign", "openssl sign"),
                ("C verify", "C ABI `layer_verifier_verify` (claims JSON)", "verify", "openssl verify"),
                ("C verify_n", "C ABI `layer_verifier_verify_n` (every claim)", "verify", "openssl verify"),
                ("C verify_into", "C ABI `layer_verifier_verify_into`", "verify", "openssl verify")):
            rate, to_openssl, _ = f.wrapper("c", key, openssl, None)
            rows.append([label, operation, fmt_rate(rate), fmt_ratio(to_openssl), "1" if key in (
                "C sign", "C oneshot", "C verify_n", "C verify_into") else "–"])
    for part, name in WRAPPERS:
        if not f.rounds(part):
            continue
        sign, oneshot, verify, _ = WRAPPER_CALLS[part]
        for key, call, operation, openssl, c_key in (
                ("sign", sign, "sign", "openssl sign", "C sign"),
                ("oneshot", oneshot, "sign", "openssl sign", "C oneshot"),
                ("verify", verify, "verify", "openssl verify", VERIFY_CALL[part][0])):
            rate, to_openssl, to_c = f.wrapper(part, key, openssl, c_key)
            rows.append([f"**{name}** {call}", operation, fmt_rate(rate), fmt_ratio(to_openssl), fmt_ratio(to_c)])
    for part, _ in [("c", "")] + WRAPPERS:
        for peer, label, _ in PEERS.get(part, []):
            for suffix, operation, openssl, c_key, note in (
                    ("sign", "sign", "openssl sign", "C sign", ""),
                    ("sign pem", "sign", "openssl sign", "C oneshot", ", the key from PEM each call"),
                    ("verify", "verify", "openssl verify", VERIFY_CALL[part][0], "")):
                rate, to_openssl, to_c = f.wrapper(part, f"peer {peer} {suffix}", openssl, c_key)
                if rate is not None:
                    rows.append([f"peer: {label}{note}", operation, fmt_rate(rate), fmt_ratio(to_openssl),
                                 fmt_ratio(to_c)])
    return rows


def two_core_rows(f: Figures) -> list[list[str]]:
    rows = []
    c = f.rounds("c")
    if c:
        rows.append(["`openssl speed -multi 2 rsa2048`", fmt_rate(median_of(c, "openssl sign multi 2")), "1", "–"])
        rate, to_openssl, _ = f.wrapper("c", "C sign 2 threads", "openssl sign multi 2", None)
        rows.append(["C ABI, 2 threads sharing one `LayerSigner`", fmt_rate(rate), fmt_ratio(to_openssl), "1"])
    for part, name in WRAPPERS:
        if f.rounds(part):
            rate, to_openssl, to_c = f.wrapper(part, "sign 2 threads", "openssl sign multi 2", "C sign 2 threads")
            rows.append([f"**{name}** {WRAPPER_CALLS[part][3]}", fmt_rate(rate), fmt_ratio(to_openssl),
                         fmt_ratio(to_c)])
    rate, to_openssl, to_c = f.wrapper("node", "peer jose sign 2 cores", "openssl sign multi 2", "C sign 2 threads")
    if rate is not None:
        rows.append(["peer: jose, 8 in flight", fmt_rate(rate), fmt_ratio(to_openssl), fmt_ratio(to_c)])
    return rows


def server_rows(f: Figures) -> list[list[str]]:
    rows = []
    for name, label in SERVERS:
        for conns in (1, 8, 64):
            s = f.server(name, conns)
            if s is None:
                continue
            rows.append([label, str(conns), fmt_rate(s["tokens_per_s"]), f"{s['p50_ms']:.2f}",
                         f"{s['p99_ms']:.2f}", fmt_ratio(s["ratio"]), f"{s['failed']} of {s['requests']}"])
    return rows


def instruction_rows(f: Figures) -> list[list[str]]:
    counts = f.instructions()
    openssl, c = counts.get("openssl", {}), counts.get("c", {})
    rows = []

    def row(label: str, sign: int | None, verify: int | None, c_sign: int | None,
            c_verify: int | None) -> list[str]:
        def ratio(reference: int | None, value: int | None) -> str:
            return fmt_ratio(reference / value) if reference and value else "–"
        return [label, fmt_count(sign), ratio(openssl.get("sign"), sign), ratio(c_sign, sign),
                fmt_count(verify), ratio(openssl.get("verify"), verify), ratio(c_verify, verify)]

    if openssl:
        rows.append(row("OpenSSL `EVP_PKEY_sign` / `EVP_PKEY_verify` (what `openssl speed` times)",
                        openssl.get("sign"), openssl.get("verify"), None, None))
    if c:
        rows.append(row("C ABI `layer_signer_sign` / `layer_verifier_verify`", c.get("sign"), c.get("verify"),
                        None, None))
        rows.append(row("C ABI `layer_signer_sign_n` / `layer_verifier_verify_n`", c.get("sign-n"),
                        c.get("verify-n"), None, None))
        rows.append(row("C ABI `layer_sign_token` / `layer_verifier_verify_into`", c.get("oneshot"),
                        c.get("verify-into"), None, None))
    for part, name in WRAPPERS:
        if part in counts:
            sign, _, verify, _ = WRAPPER_CALLS[part]
            rows.append(row(f"**{name}** {sign} / {verify}", counts[part].get("sign"), counts[part].get("verify"),
                            c.get("sign-n"), c.get(VERIFY_CALL[part][1])))
    return rows


def targets(f: Figures) -> tuple[list[list[str]], int, int]:
    rows, met, total = [], 0, 0
    counts = f.instructions()
    c_counts = counts.get("c", {})

    def verdict(value: float | None, ok: bool | None) -> str:
        nonlocal met, total
        total += 1
        if value is None or ok is None:
            return "not measured"
        met += ok
        return "met" if ok else "**not met**"

    for part, name in WRAPPERS:
        sign = f.wrapper(part, "sign", "openssl sign", "C sign")[2]
        verify_key, verify_mode, verify_name = VERIFY_CALL[part]
        verify = f.wrapper(part, "verify", "openssl verify", verify_key)[2]
        instructions = counts.get(part, {})

        def by_count(c_key: str, key: str, instructions: dict[str, int] = instructions) -> str:
            if c_counts.get(c_key) and instructions.get(key):
                return fmt_ratio(c_counts[c_key] / instructions[key])
            return "–"
        rows.append([f"{name} signs at ≥ {SIGN_TARGET} of the C ABI (1 core)", fmt_ratio(sign),
                     by_count("sign-n", "sign"), verdict(sign, None if sign is None else sign >= SIGN_TARGET)])
        rows.append([f"{name} verifies at ≥ {VERIFY_TARGET} of the C ABI (`{verify_name}`, 1 core)",
                     fmt_ratio(verify), by_count(verify_mode, "verify"),
                     verdict(verify, None if verify is None else verify >= VERIFY_TARGET)])
    for name, label in SERVERS:
        eight, one = f.server(name, 8), f.server(name, 1)
        goal = SERVER_TARGETS[name]
        ratio = None if eight is None else eight["ratio"]
        rows.append([f"{label}: 8 connections ≥ {goal} of `openssl speed -multi 2`", fmt_ratio(ratio), "–",
                     verdict(ratio, None if ratio is None or eight is None
                             else ratio >= goal and eight["failed"] == 0)])
        p50 = None if one is None else one["p50_ms"]
        rows.append([f"{label}: one client's median ≤ {LATENCY_TARGET_MS:g} ms",
                     "–" if p50 is None else f"{p50:.2f} ms", "–",
                     verdict(p50, None if p50 is None else p50 <= LATENCY_TARGET_MS)])
    return rows, met, total


def markdown(data: dict[str, Any]) -> str:
    f = Figures(data)
    meta = data["meta"]
    m = meta["machine"]
    versions = m.get("versions", {})
    commit = meta.get("commit", "?")
    load_before = ", ".join(f"{v:.2f}" for v in m.get("load_average_before", []))
    load_after = ", ".join(f"{v:.2f}" for v in m.get("load_average_after", []))
    out = [BEGIN, "", "## Benchmarks (`make bench`)", ""]
    if meta.get("quick"):
        out += ["**Quick run (`make bench QUICK=1`): one short round per figure, for development; not the "
                "figures to quote.**", ""]
    out += [
        f"- Date: {meta['date']}; commit `{commit[:12]}`{' with uncommitted changes' if meta.get('dirty') else ''}; "
        f"{meta['rounds']} round(s) × {meta['seconds']} s per library figure, "
        f"{meta.get('server_seconds', meta['seconds'])} s per server figure; the whole run took "
        f"{meta.get('duration_s', 0) // 60} min {meta.get('duration_s', 0) % 60} s.",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mib'] / 1024:.0f} GiB, {m['os']}, Linux "
        f"{m['kernel']}; load average {load_before} before the run, {load_after} after it (other work on "
        "the machine moves absolute rates, much less the ratios).",
        f"- {versions.get('openssl', '?')}; {versions.get('rustc', '?')}; {versions.get('go', '?')}; "
        f"{versions.get('ruby', '?')}; {versions.get('java', '?')}; Node {versions.get('node', '?')}; "
        f"{versions.get('python', '?')}.",
        "",
        "Each benchmark measures its references in every round beside its own figures: `openssl speed "
        "-elapsed rsa2048` (wall-clock rates, like every other figure here) and the C ABI "
        "(`benches/c/abi_bench.c`). A ratio is the median of the per-round ratios; a rate is the median "
        "of the rounds' rates. One-core figures are pinned to CPU 0, two-core figures and servers run "
        "on CPUs 0–1. The targets of this round: every wrapper signs at ≥ 0.95 of the C ABI and verifies "
        "at ≥ 0.85; every server answers at ≥ 0.6 of `openssl speed -multi 2` at 8 connections (Go, Node "
        "and `serve` ≥ 0.7) and in ≤ 1 ms (median) for one client.",
        "",
    ]
    rows, met, total = targets(f)
    out += [f"### Targets: {met} of {total} met", "",
            table(["target", "measured", "by instruction count", "verdict"], rows), "",
            "“By instruction count”: the C ABI's instructions per call divided by the wrapper's "
            "(callgrind), the same ratio measured without the clock.", "",
            "![Ratios to OpenSSL and to the C ABI](chart.svg)", ""]
    out += ["### Sign and verify, one core", "",
            table(["library and call", "operation", "per second", "× `openssl speed`", "× C ABI"],
                  one_core_rows(f)), "",
            "× C ABI: against the C ABI's handle sign, one-shot sign or the verify call the wrapper makes "
            "(`verify_n` for Go, Java and Node; `verify_into` for Ruby and Python) "
            "measured in the same round by the same benchmark. Peers make and check the same token "
            "(header `typ`, `cty`, `kid`; claims `iss`, `prn`, `iat`, `exp`, `nce`) with the key they "
            "load once, or from its PEM text on every call where marked.", ""]
    go = f.rounds("go")
    if go:
        ratio = median_ratio(go, "verify 2 cores", "C verify_n 2 cores")
        out += [f"Go verifies at {fmt_ratio(ratio)} of the C ABI as a Go server runs it (one goroutine with "
                "GOMAXPROCS 2, beside `verify_n` on the same two cores): with a single P, the Go runtime hands "
                "the P to another thread during each cgo call that outlasts its 20 µs sysmon tick, a cost of "
                "cgo, not of the wrapper.", ""]
    out += ["### Two threads, two cores", "",
            table(["library and call", "signs per second", "× `openssl speed -multi 2`", "× C ABI 2 threads"],
                  two_core_rows(f)), ""]
    servers = server_rows(f)
    server_failures = data.get("results", {}).get("servers", {}).get("failed", {})
    out += ["### Servers over HTTP keep-alive", ""]
    if servers:
        out += [table(["server", "connections", "tokens/s", "p50 ms", "p99 ms", "× `openssl speed -multi 2`",
                       "failed requests"], servers), "",
                "Each server is the sample backend `scripts/run-backend LANGUAGE` starts (the demo "
                "authenticator, a 2048-bit key), driven by `bench/loadgen` over loopback with a fresh nonce per "
                "request, the load generator on the same two cores; `openssl speed -multi 2` is measured before "
                "each round.", ""]
    for name, message in server_failures.items():
        out += [f"- Server {name} failed: {message.splitlines()[0]}"]
    if server_failures:
        out += [""]
    counts = f.instructions()
    if counts:
        calls = data["results"]["instructions"].get("calls", {})
        out += ["### Instructions per call (callgrind)", "",
                table(["library and calls", "sign", "× OpenSSL", "× C ABI", "verify", "× OpenSSL", "× C ABI"],
                      instruction_rows(f)), "",
                "Instructions counted by `valgrind --tool=callgrind`, the same on a busy machine as on an idle "
                "one: each figure is the difference of two runs "
                f"{calls.get('sign', '?')} signatures ({calls.get('verify', '?')} verifications) apart, so that "
                "start-up cancels out. A ratio is the reference's count over the subject's (like a rate ratio: "
                "above 1 is faster). Node and Java are not counted: their calls run as JIT-compiled code, which "
                "callgrind can only follow with self-modifying-code checks on, at a cost of minutes per run, and "
                "whose count depends on when the JIT compiled what.", ""]
    failed = {**data.get("failed", {}), **{f"instructions ({k})": v for k, v in
                                             data.get("results", {}).get("instructions", {}).get("failed", {}).items()}}
    if failed:
        out += ["### Not measured in this run", ""]
        out += [f"- {part}: {message.splitlines()[0]}" for part, message in failed.items()]
        out += [""]
    out += ["Raw figures: `bench/results.json`. Logs of the run: `target/bench/`.", "", END]
    return "\n".join(out)


def write_markdown(text: str, path: Path) -> None:
    """Replaces the bench section of `path`, keeping whatever else is there (the soak, fuzz and
    sanitizer sections, which other commands write between their own markers); creates the
    file when it is missing. Written to a file beside it, then renamed: a reader never sees
    half of it."""
    if not path.exists():
        updated = f"# Benchmark results\n\n{text}\n"
    else:
        current = path.read_text()
        if BEGIN in current and END in current and current.index(BEGIN) < current.index(END):
            before, rest = current.split(BEGIN, 1)
            updated = before + text + rest.split(END, 1)[1]
        else:
            title, _, rest = current.partition("\n")
            if title.startswith("# "):
                updated = f"{title}\n\n{text}\n{rest}"
            else:
                updated = f"{text}\n\n{current}"
    temporary = path.with_name(f".{path.name}.bench-{os.getpid()}")
    temporary.write_text(updated)
    os.replace(temporary, path)


# ----------------------------------------------------------------------------------------------
# The chart: grouped bars, a panel per question, the targets as lines.

COLORS = ["#3b6ea8", "#e08a2c", "#5a9e4b", "#a65aa8"]


def panel(y: float, title: str, groups: list[tuple[str, list[float | None]]], series: list[str],
          lines: list[tuple[float, str]], width: float, height: float = 260,
          divider: int | None = None, slanted: bool = False) -> tuple[list[str], float]:
    """SVG elements of one panel whose top is at y, and the panel's total height; the targets'
    labels in the right margin; a dashed divider before group `divider`; slanted group labels
    where there are many groups."""
    left, right, top, bottom = 48, 165, 44, 112 if slanted else 56
    height += bottom - 56
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in groups for v in vs if v is not None]
    y_max = max([1.2] + [v * 1.12 for v in values] + [value * 1.1 for value, _ in lines])
    y_max = min(y_max, 3.0)
    scale = plot_h / y_max
    base = y + top + plot_h
    out = [f'<text x="{left - 40}" y="{y + 18}" class="title">{html.escape(title)}</text>']
    for i, name in enumerate(series):
        x = left + 8 + i * 150
        out.append(f'<rect x="{x}" y="{y + 26}" width="10" height="10" fill="{COLORS[i]}"/>')
        out.append(f'<text x="{x + 14}" y="{y + 35}" class="legend">{html.escape(name)}</text>')
    step = 0.2 if y_max <= 1.6 else 0.5
    tick = 0.0
    while tick <= y_max + 1e-9:
        ty = base - tick * scale
        out.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" class="axis" text-anchor="end">{tick:.1f}</text>')
        tick = round(tick + step, 6)
    group_w = plot_w / max(1, len(groups))
    bar_w = min(28.0, (group_w - 10) / max(1, len(series)))
    for g, (label, vs) in enumerate(groups):
        gx = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for i, value in enumerate(vs):
            if value is None:
                continue
            shown = min(value, y_max)
            bx, bh = gx + i * bar_w, shown * scale
            out.append(f'<rect x="{bx:.1f}" y="{base - bh:.1f}" width="{bar_w - 2:.1f}" height="{bh:.1f}" '
                       f'fill="{COLORS[i]}"><title>{html.escape(label)}, {html.escape(series[i])}: '
                       f'{value:.2f}</title></rect>')
            out.append(f'<text x="{bx + (bar_w - 2) / 2:.1f}" y="{base - bh - 3:.1f}" class="value" '
                       f'text-anchor="middle">{value:.2f}</text>')
        cx = left + g * group_w + group_w / 2
        if slanted:
            out.append(f'<text transform="translate({cx + 4:.1f},{base + 14:.1f}) rotate(-30)" class="label" '
                       f'text-anchor="end">{html.escape(label.replace(chr(10), " "))}</text>')
            continue
        for n, word in enumerate(label.split("\n")):
            out.append(f'<text x="{cx:.1f}" y="{base + 16 + n * 13:.1f}" class="label" '
                       f'text-anchor="middle">{html.escape(word)}</text>')
    for n, (value, name) in enumerate(lines):
        ly = base - value * scale
        # Two close lines: the first one's label above its line, the second's below.
        label_y = ly - 3 if n % 2 == 0 else ly + 11
        out.append(f'<line x1="{left}" y1="{ly:.1f}" x2="{width - right + 4}" y2="{ly:.1f}" class="target"/>')
        out.append(f'<text x="{width - right + 8}" y="{label_y:.1f}" class="target-label">{html.escape(name)}</text>')
    if divider is not None:
        dx = left + divider * group_w
        out.append(f'<line x1="{dx:.1f}" y1="{y + top - 4}" x2="{dx:.1f}" y2="{base + 40}" class="divider"/>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" class="axis-line"/>')
    return out, height


def chart(data: dict[str, Any]) -> str:
    f = Figures(data)
    width = 1000
    meta = data.get("meta", {})
    caption = (f"make bench{' QUICK=1 (rough figures)' if meta.get('quick') else ''}, {meta.get('date', '?')}, "
               f"commit {str(meta.get('commit', '?'))[:12]}, {meta.get('machine', {}).get('cores', '?')} cores, "
               f"{meta.get('rounds', '?')} round(s); figures and logs: bench/RESULTS.md")
    elements: list[str] = [f'<text x="8" y="14" class="caption">{html.escape(caption)}</text>']
    y = 22.0
    groups = [(name, [f.wrapper(part, key, "openssl sign", c)[2] for key, c in
                      (("sign", "C sign"), ("oneshot", "C oneshot"), ("verify", VERIFY_CALL[part][0]),
                       ("sign 2 threads", "C sign 2 threads"))])
              for part, name in WRAPPERS if f.rounds(part)]
    if groups:
        drawn, height = panel(y, "Wrappers against the C ABI, same round (1 core; 2 threads on 2 cores)", groups,
                             ["handle sign", "one-shot sign (PEM)", "verify", "2 threads"],
                             [(SIGN_TARGET, f"sign target {SIGN_TARGET}"),
                              (VERIFY_TARGET, f"verify target {VERIFY_TARGET}")], width)
        elements += drawn
        y += height
    groups = []
    if f.rounds("c"):
        groups.append(("C ABI", [f.wrapper("c", "C sign", "openssl sign", None)[1],
                                 f.wrapper("c", "C verify_n", "openssl verify", None)[1]]))
    for part, name in WRAPPERS:
        if f.rounds(part):
            groups.append((name, [f.wrapper(part, "sign", "openssl sign", None)[1],
                                  f.wrapper(part, "verify", "openssl verify", None)[1]]))
    ours = len(groups)
    for part, _ in WRAPPERS + [("c", "")]:
        for peer, _, short in PEERS.get(part, []):
            sign = f.wrapper(part, f"peer {peer} sign", "openssl sign", None)[1]
            verify = f.wrapper(part, f"peer {peer} verify", "openssl verify", None)[1]
            if sign is not None or verify is not None:
                groups.append((short, [sign, verify]))
    if groups:
        drawn, height = panel(y, "Against openssl speed rsa2048 (1 core): layer-identity, then the peer libraries",
                             groups, ["sign", "verify"], [(1.0, "openssl speed")], width,
                             divider=ours if 0 < ours < len(groups) else None, slanted=True)
        elements += drawn
        y += height
    groups = []
    for name, label in SERVERS:
        figures = [f.server(name, conns) for conns in (1, 8, 64)]
        if any(figures):
            groups.append((label.replace(" (net/http)", ""),
                           [None if s is None else s["ratio"] for s in figures]))
    if groups:
        drawn, height = panel(y, "Servers over HTTP keep-alive against openssl speed -multi 2 (2 cores)", groups,
                             ["1 connection", "8 connections", "64 connections"],
                             [(0.7, "8 conns: Go, Node, serve"), (0.6, "8 conns: Ruby, Java, Python")], width)
        elements += drawn
        y += height
    style = ("text{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;fill:#222}"
             ".caption{font-size:11px;fill:#666}.title{font-size:15px;font-weight:600}.legend,.label{font-size:11px}.axis{font-size:10px;fill:#555}"
             ".value{font-size:9px;fill:#333}.grid{stroke:#e4e4e4}.axis-line{stroke:#888}"
             ".target{stroke:#c0392b;stroke-dasharray:5 4;stroke-width:1.2}"
             ".target-label{font-size:10px;fill:#c0392b}.divider{stroke:#999;stroke-dasharray:2 3}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y:.0f}" '
            f'viewBox="0 0 {width} {y:.0f}" role="img" aria-label="layer-identity benchmark ratios">\n'
            f'<style>{style}</style>\n<rect width="100%" height="100%" fill="#fff"/>\n'
            + "\n".join(elements) + "\n</svg>\n")


def write(data: dict[str, Any], directory: Path) -> None:
    write_markdown(markdown(data), directory / "RESULTS.md")
    (directory / "chart.svg").write_text(chart(data))


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results.json"
    write(json.loads(source.read_text()), source.parent)
