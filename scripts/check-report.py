#!/usr/bin/env python3
"""Checks privacy report pages (`pseudoproxy rules report`) in headless Chromium.

Run by scripts/check-report.sh, which builds the pages; this file only prepares inputs and
looks at pages. Standard library only: Chromium is driven over the DevTools protocol on a
pipe (`--remote-debugging-pipe`: JSON messages separated by NUL on file descriptors 3 and
4), so nothing is fetched from a registry and no port is opened.

    check-report.py plant ORIGINAL.json      plant markup in an example response (in place)
    check-report.py expose RULES OUT         the rules with one more field kept raw
    check-report.py check --chromium BIN --endpoints LINT.json --report R.html
                          --planted P.html --change C.html --shots DIR

`check` fails (exit 1) unless, on every page: it loads with no console error, no uncaught
exception and no request but the page itself; no script element exists. And on the
shipped report: every endpoint the linter lists has its section, with its heading shown;
on the planted report: the planted `<script>` and `<img onerror>` are shown as text and
never run; on the change report: the change section comes first and lists exactly the
exposed field. Screenshots (PNG) of each page go to --shots.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import pathlib
import select
import shutil
import subprocess
import sys
import tempfile
import time

PLANTED_SCRIPT = "<script>window.__planted=1</script>"
PLANTED_IMG = '"><img src=x onerror="window.__planted=2">'
# The field `expose` adds to the group-members endpoint, kept raw.
EXPOSED_FIELD = "managerEmail"
MEMBERS = "/ex/confluence/{cloudId}/wiki/rest/api/group/{groupId}/membersByGroupId"
MEMBERS_ANCHOR = """        totalSize:
          type: integer
        _links:
          $ref: "#/definitions/V1PageLinks"
    transforms:
      - !<pseudonymize>
        jsonPaths:
          - "$.results[*].accountId"
          - "$.results[*].email"
"""
TIMEOUT = 60.0
VIEWPORT = {"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False}


def plant(original: pathlib.Path) -> None:
    """Markup in the first result's name (a value) and in a member name (a key)."""
    doc = json.loads(original.read_text(encoding="utf-8"))
    first = doc["results"][0]
    first["name"] = PLANTED_SCRIPT
    first[PLANTED_IMG] = PLANTED_IMG
    original.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def expose(rules: pathlib.Path, out: pathlib.Path) -> None:
    text = rules.read_text(encoding="utf-8")
    if text.count(MEMBERS_ANCHOR) != 1:
        sys.exit("check-report: the group-members schema changed; update MEMBERS_ANCHOR")
    added = f"        {EXPOSED_FIELD}:\n          type: string\n"
    out.write_text(text.replace(MEMBERS_ANCHOR, added + MEMBERS_ANCHOR), encoding="utf-8")


class Browser:
    """One headless Chromium, driven over the DevTools pipe."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="check-report-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # The child ends at fd 10 and up, so that dup2 onto 3 and 4 never meets itself
        # (dup2 onto the same number would keep close-on-exec set).
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def wire() -> None:
            os.dup2(child_r, 3)
            os.dup2(child_w, 4)

        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--mute-audio",
            "--hide-scrollbars",
            f"--user-data-dir={self.profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            close_fds=False,
            preexec_fn=wire,
        )
        os.close(child_r)
        os.close(child_w)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.to_chrome, self.from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self.to_chrome, data)
            data = data[written:]

    def receive(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium in time")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium exited ({self.process.poll()}); see its log")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.send(message)
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self.receive(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e["method"] == method and e.get("sessionId") == session for e in self.events):
            answer = self.receive(deadline)
            if "method" in answer:
                self.events.append(answer)

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within `seconds` (late console messages)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                answer = self.receive(deadline)
            except TimeoutError:
                return
            if "method" in answer:
                self.events.append(answer)


class Page:
    """One tab: load a file, evaluate, take a screenshot, report what went wrong."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", VIEWPORT)

    def call(self, method: str, params: dict | None = None) -> dict:
        return self.browser.call(method, params, self.session)

    def load(self, path: pathlib.Path) -> list[str]:
        """Navigate to `path`; the problems seen while it loaded."""
        url = path.resolve().as_uri()
        self.browser.events.clear()
        self.call("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired", self.session)
        self.browser.drain(0.5)
        problems = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = [a.get("value", a.get("description", "")) for a in params.get("args", [])]
                problems.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                problems.append(f"uncaught exception: {details.get('text')} {details.get('exception', {}).get('description', '')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                problems.append(f"console error ({entry.get('source')}): {entry.get('text')}")
            elif method == "Network.requestWillBeSent":
                requested = params.get("request", {}).get("url", "")
                if requested != url:
                    problems.append(f"request other than the page itself: {requested[:200]}")
        return problems

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, out: pathlib.Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        out.write_bytes(base64.b64decode(data))


SHIPPED = """(() => {
  const sections = [...document.querySelectorAll('section.endpoint')];
  return {
    endpoints: sections.map(s => s.dataset.endpoint),
    headed: sections.map(s => {
      const h = s.querySelector('h2');
      const r = h ? h.getBoundingClientRect() : null;
      return !!h && h.textContent.includes(s.dataset.endpoint) && r.width > 0 && r.height > 0;
    }),
    fieldTables: sections.filter(s => s.querySelector('table.fields tbody tr')).length,
    examples: document.querySelectorAll('details.example').length,
    scripts: document.scripts.length,
    title: document.title,
  };
})()"""

PLANTED = """(() => {
  const cells = [...document.querySelectorAll('table.pair td')];
  const script = cells.find(td => td.textContent.includes(%s));
  const img = cells.find(td => td.textContent.includes('<img src=x onerror='));
  if (script) script.scrollIntoView({block: 'center'});
  return {
    scriptShown: !!script,
    imgShown: !!img,
    scripts: document.scripts.length,
    images: document.images.length,
    withOnerror: document.querySelectorAll('[onerror]').length,
    planted: typeof window.__planted === 'undefined' ? null : window.__planted,
  };
})()""" % json.dumps(PLANTED_SCRIPT)

CHANGE = """(() => {
  const change = document.querySelector('section#change');
  const first = document.querySelector('section.endpoint');
  const rows = [...document.querySelectorAll('table.delta.exposed tr.exposed')]
    .map(tr => [...tr.cells].map(td => td.textContent.trim()));
  return {
    present: !!change,
    first: !!change && !!first &&
      !!(change.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING) &&
      [...document.querySelectorAll('main > section')][0] === change,
    top: change ? change.getBoundingClientRect().top : null,
    verdict: change ? (change.querySelector('.verdict') || {}).textContent : null,
    exposed: rows,
    scripts: document.scripts.length,
  };
})()"""


def check(args: argparse.Namespace) -> int:
    lint = json.loads(pathlib.Path(args.endpoints).read_text(encoding="utf-8"))
    expected = [e["endpoint"] for e in lint["endpoints"]]
    shots = pathlib.Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []

    def expect(condition: bool, what: str) -> None:
        print(f"  {'ok  ' if condition else 'FAIL'} {what}")
        if not condition:
            failures.append(what)

    browser = Browser(args.chromium)
    try:
        version = browser.call("Browser.getVersion")
        print(f"browser: {version.get('product')}")
        page = Page(browser)

        print(f"shipped rules: {args.report}")
        problems = page.load(pathlib.Path(args.report))
        expect(not problems, f"loads with no console error and no request {problems}")
        seen = page.evaluate(SHIPPED)
        expect(seen["scripts"] == 0, "no script element")
        expect(
            sorted(seen["endpoints"]) == sorted(expected) and len(seen["endpoints"]) == len(expected),
            f"a section for each of the {len(expected)} endpoints the linter lists "
            f"(missing: {sorted(set(expected) - set(seen['endpoints']))})",
        )
        expect(all(seen["headed"]), "every endpoint section shows its heading")
        expect(seen["fieldTables"] == len(expected), "every endpoint section has its field table")
        expect(seen["examples"] > 0, f"examples shown ({seen['examples']})")
        page.screenshot(shots / "report.png")
        page.evaluate("document.querySelector('details.example[open]').scrollIntoView()")
        page.screenshot(shots / "report-example.png")

        print(f"planted example: {args.planted}")
        problems = page.load(pathlib.Path(args.planted))
        expect(not problems, f"loads with no console error and no request {problems}")
        seen = page.evaluate(PLANTED)
        expect(seen["scriptShown"], "the planted <script> is shown as text")
        expect(seen["imgShown"], "the planted <img onerror> is shown as text")
        expect(
            seen["scripts"] == 0 and seen["images"] == 0 and seen["withOnerror"] == 0,
            f"no script, image or onerror element ({seen})",
        )
        expect(seen["planted"] is None, "the planted code never ran")
        page.screenshot(shots / "report-planted.png")

        print(f"change exposing one more field: {args.change}")
        problems = page.load(pathlib.Path(args.change))
        expect(not problems, f"loads with no console error and no request {problems}")
        seen = page.evaluate(CHANGE)
        expect(seen["present"] and seen["first"], "the change section comes first")
        expect(
            seen["top"] is not None and seen["top"] < VIEWPORT["height"],
            f"the change section is on the first screen (top at {seen['top']} px)",
        )
        expect("exposes" in (seen["verdict"] or ""), f"its verdict says it exposes ({seen['verdict']!r})")
        want = [[MEMBERS, f"$.{EXPOSED_FIELD}", "absent", "kept raw"]]
        expect(seen["exposed"] == want, f"exactly the new field is newly exposed ({seen['exposed']})")
        page.screenshot(shots / "report-change.png")
    finally:
        browser.close()

    print(f"screenshots in {shots}/")
    if failures:
        print(f"check-report: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("plant")
    p.add_argument("original")
    p = commands.add_parser("expose")
    p.add_argument("rules")
    p.add_argument("out")
    p = commands.add_parser("check")
    p.add_argument("--chromium", required=True)
    p.add_argument("--endpoints", required=True, help="`rules lint --format json` output")
    p.add_argument("--report", required=True)
    p.add_argument("--planted", required=True)
    p.add_argument("--change", required=True)
    p.add_argument("--shots", required=True)
    args = parser.parse_args()
    if args.command == "plant":
        plant(pathlib.Path(args.original))
        return 0
    if args.command == "expose":
        expose(pathlib.Path(args.rules), pathlib.Path(args.out))
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
