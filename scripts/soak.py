#!/usr/bin/python3
"""Soak and abuse of every server: the five sample backends and `layer-identity serve`.

    scripts/soak.py [--servers go,ruby,java,node,python,serve] [--requests 50000] [--conns 32]
                    [--slow 300] [--results bench/RESULTS.md | --no-results]      (make soak)

For each server, started as `tests/endpoint/conformance.py --backend` starts it (a fresh key
pair and IDs, a free port, the LAYER_* environment, `scripts/run-backend NAME`), the project's
load generator (bench/loadgen) runs three checks on loopback:

  (a) soak: --requests (50,000) with keep-alive at --conns (32) connections, a nonce and a user
      of its own per request. Passes when no request fails, every token verifies (crypto/rsa,
      exact header and claims), and the resident memory of the server's process tree at the
      end is within 10% of what it was after the first 5,000 requests.
  (b) slowloris: --slow (300) connections that send a header line every 3 s and never end
      their head, held open (opened again when the server closes one); meanwhile 300 fresh
      clients, one every 40 ms (12 s: the slow ones send 4 lines meanwhile), each on a new
      connection. Passes when every fresh request
      gets its token, their p99 latency is at most 100 ms, and every slow connection could
      connect.
  (c) hostile bodies: shapes of deep nesting, escapes, duplicate members, long strings and
      form escapes at 4, 16, 32 and 64 KiB, 5 times each, interleaved. Passes when every answer
      is the expected one and no shape's 64 KiB time exceeds 6 times its 16 KiB time (a linear
      cost gives at most 4; a quadratic one 16), on the fastest answer at each size (a busy
      machine only adds time); a shape over the limit is measured again, twice at most, so
      that one busy moment cannot fail it.

Every step has a timeout; the load goes to 127.0.0.1 only. Prints a table per server and writes
the figures between the markers of the "Soak and abuse" section of bench/RESULTS.md (creating
the file with only that section if it does not exist). Exit status 0 when every check of every
server passed, 1 otherwise.

Needs Go (to build bench/loadgen), the openssl CLI, Debian's python3-jwt and
python3-cryptography (for conformance.py's helpers), and whatever each backend needs
(scripts/install-deps.sh).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "endpoint"))
import conformance  # noqa: E402  (the backends' start-up, keys and environment)

SERVERS = conformance.LANGUAGES
RESULTS = os.path.join(REPO_ROOT, "bench", "RESULTS.md")
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"

RSS_AFTER = 5000
RSS_MAX_GROWTH = 0.10
SLOW_INTERVAL_S = 3
FRESH_REQUESTS = 300
FRESH_P99_MS = 100.0
FRESH_PACE_MS = 40
HOSTILE_REPEAT = 5
HOSTILE_MAX_RATIO = 6.0


def go_command():
    """Go: the one on PATH, or the usual /usr/local/go (as bindings/go/dev.sh finds it)."""
    found = shutil.which("go")
    if found is None and os.access("/usr/local/go/bin/go", os.X_OK):
        found = "/usr/local/go/bin/go"
    return found


def build_loadgen(directory):
    path = os.path.join(directory, "loadgen")
    subprocess.run([go_command(), "build", "-o", path, "./bench/loadgen"], cwd=REPO_ROOT,
                   check=True, timeout=600)
    return path


class Server:
    """One server started for the soak: its keys, IDs and address, and the loadgen arguments
    that verify its tokens."""

    def __init__(self, name, directory, startup_timeout, verbose):
        self.name = name
        self.keys = conformance.Keys(directory)
        self.provider_id = f"layer:///providers/{uuid.uuid4()}"
        self.key_id = f"layer:///keys/{uuid.uuid4()}"
        self.port = conformance.free_port()
        env = conformance.backend_environment(
            LAYER_PROVIDER_ID=self.provider_id, LAYER_KEY_ID=self.key_id,
            LAYER_PRIVATE_KEY_PATH=self.keys.private_path, PORT=str(self.port), HOST="127.0.0.1")
        self.backend, problems = conformance.start_backend(name, env, self.port, startup_timeout,
                                                           verbose)
        self.problems = problems

    def loadgen_args(self):
        return ["--url", f"http://127.0.0.1:{self.port}", "--public-key", self.keys.public_path,
                "--provider-id", self.provider_id, "--key-id", self.key_id]

    def stop(self):
        """SIGTERM, then whatever is left of its process group."""
        if self.backend is None:
            return None
        self.backend.terminate()
        status = self.backend.wait_exit(conformance.SHUTDOWN_SECONDS)
        self.backend.kill()
        return status


def run_loadgen(loadgen, args, directory, name, timeout):
    """The JSON report of one loadgen run (its exit status says whether anything failed; the
    report says what), or {"error": ...} when it did not finish."""
    out = os.path.join(directory, f"{name}.json")
    try:
        completed = subprocess.run([loadgen, *args, "--json", out], capture_output=True, text=True,
                                   timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"loadgen did not finish within {timeout} s"}
    if completed.returncode not in (0, 1) or not os.path.exists(out):
        return {"error": f"loadgen exited with {completed.returncode}: {completed.stderr.strip()}"}
    with open(out, encoding="utf-8") as report:
        result = json.load(report)
    result["line"] = completed.stdout.strip()
    return result


def soak(server, loadgen, directory, requests, conns):
    result = run_loadgen(loadgen, server.loadgen_args() + [
        "--conns", str(conns), "--requests", str(requests), "--rss-pid", str(server.backend.process.pid),
        "--rss-after", str(RSS_AFTER), "--rss-every", str(RSS_AFTER), "--max-time", "20m"], directory, f"{server.name}-soak", 1500)
    problems = []
    if "error" in result:
        return result, [result["error"]]
    if result["failed"]:
        problems.append(f"{result['failed']} requests failed: {result['failures']}; first: "
                        f"{result['failure_examples'][:1]}")
    if result["verified"] != requests:
        problems.append(f"{result['verified']} tokens verified of {requests}")
    growth = (result.get("rss") or {}).get("growth")
    if growth is None:
        problems.append(f"no RSS figures: {result.get('rss')}")
    elif growth > RSS_MAX_GROWTH:
        curve = ", ".join(f"{sample['kib'] / 1024:.1f}" for sample in result["rss"].get("samples") or [])
        problems.append(f"RSS grew by {growth:.1%} from request {RSS_AFTER} to the end "
                        f"(allowed: {RSS_MAX_GROWTH:.0%}); MiB every {RSS_AFTER} requests: {curve}")
    return result, problems


def slowloris(server, loadgen, directory, slow):
    result = run_loadgen(loadgen, server.loadgen_args() + [
        "--slow", str(slow), "--slow-interval", f"{SLOW_INTERVAL_S}s", "--fresh", "--conns", "1",
        "--requests", str(FRESH_REQUESTS), "--pace", f"{FRESH_PACE_MS}ms", "--warmup", "20",
        "--max-time", "2m"], directory, f"{server.name}-slow", 300)
    if "error" in result:
        return result, [result["error"]]
    problems = []
    if result["failed"]:
        problems.append(f"{result['failed']} fresh requests failed: {result['failures']}; first: "
                        f"{result['failure_examples'][:1]}")
    if result["p99_ms"] > FRESH_P99_MS:
        problems.append(f"fresh requests' p99 latency {result['p99_ms']} ms > {FRESH_P99_MS:.0f} ms")
    held = result["slow"]
    if held["connect_failures"]:
        problems.append(f"{held['connect_failures']} slow connections could not connect")
    return result, problems


def hostile(server, loadgen, directory):
    result = run_loadgen(loadgen, server.loadgen_args() + [
        "--hostile", "--repeat", str(HOSTILE_REPEAT), "--max-ratio", str(HOSTILE_MAX_RATIO),
        "--max-time", "5m"], directory, f"{server.name}-hostile", 400)
    if "error" in result:
        return result, [result["error"]]
    problems = []
    if result["failed"]:
        problems.append(f"{result['failed']} hostile requests failed: {result['failures']}; first: "
                        f"{result['failure_examples'][:1]}")
    for shape in result["shapes"]:
        if shape["superlinear"]:
            problems.append(f"{shape['shape']}: {shape['ratio_of']} = {shape['ratio']}: superlinear "
                            f"(fastest {shape['min_ms']} ms, medians {shape['median_ms']} ms)")
    return result, problems


def mib(sample):
    return f"{sample['kib'] / 1024:.1f}" if sample else "-"


def run_server(name, loadgen, args):
    """Every check of one server: {"a": (result, problems), "b": ..., "c": ..., "start": problems}."""
    outcome = {"server": name, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix=f"layer-soak-{name}-") as directory:
        server = Server(name, directory, args.startup_timeout, args.verbose)
        outcome["start"] = server.problems
        if server.backend is None:
            return outcome
        try:
            checks = (("a", lambda: soak(server, loadgen, directory, args.requests, args.conns)),
                      ("b", lambda: slowloris(server, loadgen, directory, args.slow)),
                      ("c", lambda: hostile(server, loadgen, directory)))
            for key, check in checks:
                if key not in args.checks:
                    continue
                started = time.monotonic()
                outcome[key] = check()
                outcome[key][0]["wall_s"] = round(time.monotonic() - started, 1)
                print_check(name, key, *outcome[key])
                exited = server.backend.process.poll()
                if exited is not None:
                    outcome["start"] = [f"the server exited during ({key}): "
                                        f"{conformance.describe_status(exited)}; "
                                        + server.backend.stderr_tail()]
                    break
        finally:
            status = server.stop()
            outcome["stop"] = conformance.after_sigterm(status)
    outcome["load_after"] = os.getloadavg()[0]
    return outcome


TITLES = {"a": "soak", "b": "slowloris", "c": "hostile bodies"}


def print_check(name, key, result, problems):
    verdict = "pass" if not problems else "FAIL"
    print(f"  {name} ({key}) {TITLES[key]}: {verdict} ({result.get('wall_s', '?')} s)", flush=True)
    line = result.get("line")
    if line:
        for text in line.splitlines():
            print(f"      {text}")
    for problem in problems:
        print(f"      - {problem}")
    sys.stdout.flush()


def passed(outcome, keys):
    return (not outcome["start"] and not outcome.get("stop")
            and all(key in outcome and not outcome[key][1] for key in keys))


def verdict(outcome, key):
    if key not in outcome:
        return "not run"
    return "pass" if not outcome[key][1] else "**FAIL**"


def row(*cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def header(*names):
    """A table's head: names, then the alignment line (numbers to the right)."""
    return [row(*(name.lstrip(">") for name in names)),
            row(*("---:" if name.startswith(">") else "---" for name in names))]


def soak_rows(outcomes):
    lines = header("server", ">tokens/s", ">p50 ms", ">p99 ms", ">max ms", ">failed", ">verified",
                   f">RSS MiB after {RSS_AFTER:,}", ">RSS MiB at the end", ">growth", "(a)")
    for o in outcomes:
        if "a" not in o:
            lines.append(row(o["server"], *[""] * 9, start_text(o)))
            continue
        r = o["a"][0]
        rss = r.get("rss") or {}
        growth = rss.get("growth")
        lines.append(row(o["server"], *(r.get(k, "-") for k in ("tokens_per_s", "p50_ms", "p99_ms",
                                                                 "max_ms", "failed", "verified")),
                         mib(rss.get("first")), mib(rss.get("end")),
                         "-" if growth is None else f"{growth:+.1%}", verdict(o, "a")))
    return lines


def slowloris_rows(outcomes):
    lines = header("server", "slow clients open: at the start / fewest / at the end",
                   ">closed by the server", ">fresh requests", ">p50 ms", ">p99 ms", ">max ms",
                   ">failed", "(b)")
    for o in outcomes:
        if "b" not in o:
            lines.append(row(o["server"], *[""] * 7, start_text(o)))
            continue
        r = o["b"][0]
        s = r.get("slow") or {}
        held = " / ".join(str(s.get(k, "-")) for k in ("open_at_start", "min_open", "open_at_end"))
        lines.append(row(o["server"], f"{held} of {s.get('clients', '-')}", s.get("dropped", "-"),
                         *(r.get(k, "-") for k in ("requests", "p50_ms", "p99_ms", "max_ms", "failed")),
                         verdict(o, "b")))
    return lines


def hostile_rows(outcomes):
    ran = [o for o in outcomes if "c" in o and o["c"][0].get("shapes")]
    if not ran:
        return [row("(c)", *(verdict(o, "c") for o in outcomes))]
    shapes = ran[0]["c"][0]["shapes"]
    sizes = ", ".join(str(kib) for kib in shapes[0]["sizes_kib"])
    lines = [f"The fastest of {HOSTILE_REPEAT} or more answers, in ms, at {sizes} KiB; the marginal "
             "cost in µs per KiB; × the largest size's time over a quarter of it's (linear: at "
             "most 4). Medians are in the JSON reports.", ""]
    lines += header("shape", *(o["server"] for o in ran))
    for i, shape in enumerate(shapes):
        cells = []
        for o in ran:
            s = o["c"][0]["shapes"][i]
            cells.append(" / ".join(f"{ms:.2f}" for ms in s["min_ms"])
                         + f"; {s['per_kib_us']:.1f} µs/KiB; ×{s['ratio']:.2f}")
        lines.append(row(shape["shape"], *cells))
    lines.append(row("(c)", *(verdict(o, "c") for o in ran)))
    return lines


def tables(outcomes, keys):
    """The Markdown tables of the figures."""
    lines = []
    for key, rows in (("a", soak_rows), ("b", slowloris_rows), ("c", hostile_rows)):
        if key in keys:
            lines += [f"({key}) {TITLES[key]}", ""] + rows(outcomes) + [""]
    return lines


def start_text(outcome):
    return "**did not start**" if outcome["start"] else "not run"


def section(outcomes, args, started, finished):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout.strip() or "?"
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                if line.startswith("model name")), platform.processor())
    loads = ", ".join(f"{o['server']} {o['load_before']:.1f}→{o.get('load_after', o['load_before']):.1f}"
                      for o in outcomes)
    lines = [
        BEGIN,
        "## Soak and abuse",
        "",
        "`make soak` (`scripts/soak.py`) starts each server as the conformance suite does "
        "(`scripts/run-backend NAME`, a fresh key pair, a free port) and drives it with the "
        "project's load generator (`bench/loadgen`) on loopback: (a) "
        f"{args.requests:,} requests with keep-alive at {args.conns} connections, every token "
        "verified independently (crypto/rsa, exact header and claims bytes), RSS of the server's "
        f"process tree at the end within {RSS_MAX_GROWTH:.0%} of RSS after the first {RSS_AFTER:,}; "
        f"(b) {args.slow} slowloris connections (a header line every {SLOW_INTERVAL_S} s, never "
        f"finished) held open while {FRESH_REQUESTS} fresh clients, one every {FRESH_PACE_MS} ms on "
        f"new connections, get their tokens with a p99 latency of at most {FRESH_P99_MS:.0f} ms; (c) "
        "hostile bodies (deep nesting, escapes, duplicate members, long strings, form escapes) of "
        f"4 to 64 KiB, {HOSTILE_REPEAT} times each, answered in time linear in their size (the "
        f"fastest answer at 64 KiB at most {HOSTILE_MAX_RATIO:g}× the fastest at 16 KiB).",
        "",
        f"Run {started:%Y-%m-%d %H:%M} to {finished:%H:%M} UTC at commit {commit}, on {os.cpu_count()} "
        f"cores ({cpu}), load generator and server on the same cores. Load average (1 min) before→after "
        f"each server: {loads}.",
        "",
    ]
    lines += tables(outcomes, args.checks)
    failing = [o["server"] for o in outcomes if not passed(o, args.checks)]
    lines.append("Every check of every server passed." if not failing
                 else "Failed: " + ", ".join(failing) + ".")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write_results(path, text):
    """Replaces the text between the markers, or appends the section, or creates the file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, encoding="utf-8") as existing:
            current = existing.read()
    except FileNotFoundError:
        current = None
    if current is None:
        updated = "# Benchmark results\n\n" + text
    elif BEGIN in current and END in current and current.index(BEGIN) < current.index(END):
        before, rest = current.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        updated = before + text.rstrip("\n") + after
        if not updated.endswith("\n"):
            updated += "\n"
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    temporary = path + f".soak-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(updated)
    os.replace(temporary, path)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS),
                        help="comma-separated, from " + ", ".join(SERVERS))
    parser.add_argument("--checks", default="abc", help="which of a (soak), b (slowloris), c (hostile)")
    parser.add_argument("--requests", type=int, default=50000)
    parser.add_argument("--conns", type=int, default=32)
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--results", default=RESULTS, help="the Markdown file to write the section into")
    parser.add_argument("--no-results", action="store_true", help="print only")
    parser.add_argument("--startup-timeout", type=float, default=600,
                        help="seconds for a server to start (it may build first)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the servers' output")
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = sorted(set(servers) - set(SERVERS)) + sorted(set(args.checks) - set("abc"))
    if unknown or not servers or not args.checks:
        parser.error(f"unknown servers or checks: {unknown}")
    if args.requests < RSS_AFTER * 2 and "a" in args.checks:
        parser.error(f"--requests must be at least {RSS_AFTER * 2} (RSS is sampled after {RSS_AFTER})")
    for tool, found in (("go", go_command()), ("openssl", shutil.which("openssl"))):
        if found is None:
            print(f"soak: {tool} is not installed (scripts/install-deps.sh)", file=sys.stderr)
            return 2

    started = datetime.datetime.now(datetime.timezone.utc)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="layer-soak-") as directory:
        loadgen = build_loadgen(directory)
        print(f"soak: {', '.join(servers)}; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores", flush=True)
        for name in servers:
            print(f"{name}:", flush=True)
            outcome = run_server(name, loadgen, args)
            for problem in outcome["start"]:
                print(f"  {name}: FAIL: {problem}")
            for problem in outcome.get("stop") or []:
                print(f"  {name}: FAIL: stop: {problem}")
            outcomes.append(outcome)
    finished = datetime.datetime.now(datetime.timezone.utc)
    text = section(outcomes, args, started, finished)
    print()
    print("\n".join(line for line in text.splitlines() if not line.startswith("<!--")))
    if not args.no_results:
        write_results(args.results, text)
        print(f"soak: figures written to {os.path.relpath(args.results)}")
    failing = [o["server"] for o in outcomes if not passed(o, args.checks)]
    print(f"soak: {len(outcomes) - len(failing)} passed, {len(failing)} failed"
          + (f" ({', '.join(failing)})" if failing else ""))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
