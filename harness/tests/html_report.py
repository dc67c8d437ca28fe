#!/usr/bin/python3
"""The HTML page of `tlsharness report`, in headless Chromium (Debian's chromium,
chromium-driver, python3-selenium).

Usage: html_report.py PATH-TO-tlsharness [OUT-DIR]

Runs a small known suite (openssl x boringssl matrix over 'alpn/*' and
'ragged-eof/*', and the mutant-eof-clean -> openssl ragged-eof run with
failures), makes one page of both reports, loads it from file:// and checks:
nothing is loaded from anywhere, no script error; the interop matrix has the
cells and per-family badges the JSON says; filters change the rows; a detail
view shows expected/observed and a decoded transcript; the backend comparison
lists the scenarios where the JSON says two backends differ.

Then the same reports with the transcripts in side files (--transcripts
files): nothing loaded up front, the detail view loads one chunk and decodes
the same records as the inline page; a missing side folder and a chunk of
another generation of the page are reported, not shown; a page made inline
again removes the side folder.

Then the page at scale: big_report.py makes a report of 60,000 results (nine
backends, 81 pairs, 741 scenario rows) from the two real ones, with 6,000
distinct real transcripts; the page must be at most 30 MB (the side files are
counted apart: they are fetched only when a detail view opens), its first view
(the matrix drawn and painted, then the problem list) must take at most 5 s
in headless Chromium (measured from the navigation's start with
performance.now(); the bound is the issue's, measured here on a shared 2-core
machine, the figures are printed), the long lists must be drawn in batches
(a bounded number of rows in the DOM), filters must work, and a detail view
must load its transcript from the side files on demand.

Screenshots go to OUT-DIR (default reports/out/html-test). TAP output; exit 0
when all pass.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import big_report  # noqa: E402

PAGE_MAX_BYTES = 30 * 1000 * 1000
FIRST_VIEW_MAX_MS = 5000
BIG_RESULTS = 60000
BIG_DISTINCT_TRANSCRIPTS = 6000

VERDICTS = ["PASS", "PASS-LOOSE", "FAIL", "UNSUPPORTED", "XFAIL", "XPASS", "CRASH", "TIMEOUT", "HARNESS-ERROR"]
CODE = {"PASS": "P", "PASS-LOOSE": "L", "FAIL": "F", "UNSUPPORTED": "U", "XFAIL": "XF", "XPASS": "XP",
        "CRASH": "C", "TIMEOUT": "T", "HARNESS-ERROR": "H"}
SEV = {"PASS": 0, "UNSUPPORTED": 1, "PASS-LOOSE": 2, "XFAIL": 3, "XPASS": 4, "FAIL": 5, "TIMEOUT": 6,
       "HARNESS-ERROR": 7, "CRASH": 8}
BAD = {"FAIL", "XPASS", "CRASH", "TIMEOUT", "HARNESS-ERROR"}

n = 0
failed = 0


def check(cond, what, detail=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        for line in str(detail).splitlines()[:12]:
            print(f"#   {line}")
    return cond


def run(cmd, want):
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode in want, " ".join(cmd) + f" -> {p.returncode}", p.stdout[-2000:] + p.stderr[-2000:])
    return p


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    tlsh = sys.argv[1]
    top = pathlib.Path(__file__).resolve().parents[2]
    out = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else top / "reports" / "out" / "html-test")
    out.mkdir(parents=True, exist_ok=True)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError as e:
        check(False, "python3-selenium is installed (bootstrap.sh)", e)
        return 1
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    if not check(chromium and os.path.exists(driver_bin), "chromium and chromedriver are installed (bootstrap.sh)"):
        return 1

    # The reports: single-level folders under reports/out/ so that the suite's
    # schema step validates them too.
    rep_matrix = top / "reports" / "out" / "html-matrix"
    rep_mut = top / "reports" / "out" / "html-mutant"
    run([tlsh, "run", "--matrix", "openssl,boringssl", "-f", "alpn/*", "-f", "ragged-eof/*", "-q", "-o", str(rep_matrix)], {0})
    run([tlsh, "run", "--client", "mutant-eof-clean", "--server", "openssl", "-f", "ragged-eof/*", "--no-expectations",
         "-q", "-o", str(rep_mut)], {1})
    page = out / "report.html"
    t0 = time.monotonic()
    p = run([tlsh, "report", "-o", str(page), str(rep_matrix / "report.json"), str(rep_mut / "report.json")], {0})
    check(page.exists() and "report:" in p.stdout, f"page written ({page.stat().st_size // 1024 if page.exists() else 0} KiB, "
          f"{time.monotonic() - t0:.2f} s)", p.stdout)
    html = page.read_text()
    check("@TLSH_DATA@" not in html and "</script" not in html.split('id="tlsh-data">', 1)[1].split("</script>", 1)[0],
          "the data is in place, with no '</script' inside it")
    for bad in ("<link", " src=", "@import", "url(http", "<iframe"):
        check(bad not in html, f"the page references no outside resource ({bad!r})")

    # The merged results the page must show: later report wins per (id, client, server).
    merged = {}
    for rp in (rep_matrix, rep_mut):
        for r in json.loads((rp / "report.json").read_text())["results"]:
            merged[(r["id"], r["client"], r["server"])] = r
    results = list(merged.values())

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="tlsh-chromium-")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(driver_bin), options=opts)
    try:
        drv.get(page.as_uri())
        js = drv.execute_script
        check(js("return performance.getEntriesByType('resource').length") == 0, "no resource fetched while loading")
        errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
        check(not errors, "no script error on load", errors)
        check(drv.find_element(By.ID, "problems").text == "9 problems", "status says 9 problems",
              drv.find_element(By.ID, "problems").text)
        drv.save_screenshot(str(out / "matrix.png"))

        # The interop matrix: one cell per pair, one badge per family, worst verdict and counts.
        want = {}
        for r in results:
            want.setdefault((r["client"], r["server"]), {}).setdefault(r["family"], []).append(r["verdict"])
        cells = js("""return [...document.querySelectorAll('#matrix td.cell:not(.none)')].map(td => ({
            c: td.dataset.client, s: td.dataset.server,
            b: [...td.querySelectorAll('.fbadge')].map(b => ({f: b.dataset.family, v: b.dataset.verdict,
                 n: +b.dataset.count, t: +b.dataset.total, code: b.querySelector('.vb').textContent,
                 text: b.textContent}))}))""")
        got = {(c["c"], c["s"]): c["b"] for c in cells}
        check(set(got) == set(want), "the matrix has a cell for exactly the pairs in the JSON",
              f"page {sorted(got)}\njson {sorted(want)}")
        ok = True
        why = []
        for pair, fams in want.items():
            badges = {b["f"]: b for b in got.get(pair, [])}
            if set(badges) != set(fams):
                ok = False
                why.append(f"{pair}: families {sorted(badges)} != {sorted(fams)}")
                continue
            for f, vs in fams.items():
                worst = max(vs, key=lambda v: SEV[v])
                b = badges[f]
                exp = (worst, vs.count(worst), len(vs), CODE[worst])
                if (b["v"], b["n"], b["t"], b["code"]) != exp:
                    ok = False
                    why.append(f"{pair} {f}: page {(b['v'], b['n'], b['t'], b['code'])} json {exp}")
        check(ok, "each badge is the family's worst verdict, its letter and counts as in the JSON", "\n".join(why))
        mut = {b["f"]: b for b in got.get(("mutant-eof-clean", "openssl"), [])}
        check(mut.get("ragged-eof", {}).get("code") == "F" and "9/42" in mut.get("ragged-eof", {}).get("text", ""),
              "mutant-eof-clean -> openssl shows 'F ragged-eof 9/42'", mut)
        check(not js("return document.querySelector(\"#matrix td.cell[data-client='mutant-eof-clean'][data-server='boringssl']:not(.none)\")"),
              "a pair that did not run has no badges")

        # Scenario table and filters.
        drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='scenarios']").click()
        rows = lambda: js("return document.querySelectorAll('#scen tr.srow').length")
        ids = {r["id"] for r in results}
        check(rows() == len(ids), f"scenario table: one row per scenario id ({len(ids)})", rows())
        drv.find_element(By.CSS_SELECTOR, "#fFam .chip[data-value='alpn']").click()
        alpn_ids = {r["id"] for r in results if r["family"] == "alpn"}
        check(rows() == len(alpn_ids), f"family filter alpn: {len(alpn_ids)} rows", rows())
        drv.find_element(By.CSS_SELECTOR, "#fFam button[data-all='fam']").click()
        drv.find_element(By.CSS_SELECTOR, "#fVerd button[data-verd='problems']").click()
        bad_ids = {r["id"] for r in results if r["verdict"] in BAD}
        check(rows() == len(bad_ids) == 9, f"verdict filter 'problems only': {len(bad_ids)} rows", rows())
        fails = js("return [...document.querySelectorAll('#scen td.vc:not(.dim)')].map(td => td.dataset.verdict)")
        check(fails and all(v in BAD for v in fails), "only problem verdicts stay bright", fails)
        drv.save_screenshot(str(out / "scenarios-problems.png"))
        drv.find_element(By.ID, "fReset").click()
        check(rows() == len(ids), "reset brings every row back", rows())
        search = drv.find_element(By.ID, "fQ")
        search.send_keys("ragged-eof/pending-data/*")
        check(rows() == len({i for i in ids if i.startswith("ragged-eof/pending-data/")}), "the scenario glob filters rows", rows())
        drv.find_element(By.ID, "fReset").click()

        # A detail view: a FAIL of the mutant, with its decoded transcript.
        target = next(r for r in results if r["verdict"] == "FAIL" and r["id"] == "ragged-eof/pending-data/tls13")
        drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='issues']").click()
        issues = drv.find_elements(By.CSS_SELECTOR, "#view-issues .issue")
        want_issues = [r for r in results if r["verdict"] != "PASS"]
        check(len(issues) == len(want_issues), f"issues list: {len(want_issues)} non-PASS results", len(issues))
        drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='scenarios']").click()
        cell = drv.find_element(By.CSS_SELECTOR, f"#scen tr.srow[data-id='{target['id']}'] td.vc[data-verdict='FAIL']")
        cell.click()
        body = drv.find_element(By.ID, "dbody")
        check(drv.find_element(By.ID, "detail").is_displayed(), "clicking a verdict opens the detail view")
        check(body.find_element(By.ID, "dId").text == target["id"], "detail: the scenario id")
        check(body.find_element(By.CSS_SELECTOR, "dd.expected").text == target["expected"], "detail: expected as in the JSON",
              body.find_element(By.CSS_SELECTOR, "dd.expected").text)
        check(body.find_element(By.CSS_SELECTOR, "dd.observed").text == target["observed"], "detail: observed as in the JSON",
              body.find_element(By.CSS_SELECTOR, "dd.observed").text)
        check("FAIL" in body.find_element(By.ID, "dVerdict").text, "detail: the verdict")
        recs = js("""return [...document.querySelectorAll('#recs .rec')].map(d => ({
            t: d.querySelector('.rec-type').textContent, m: (d.querySelector('.hs-msgs') || {}).textContent || '',
            dir: d.classList.contains('d0') ? 0 : 1, hex: !!d.querySelector('pre.hex')}))""")
        check(recs and recs[0]["t"] == "Handshake" and recs[0]["m"].startswith("ClientHello") and recs[0]["dir"] == 0,
              "transcript: the first record is a client Handshake record with a ClientHello", recs[:3])
        check(any(r["m"].startswith("ServerHello") and r["dir"] == 1 for r in recs), "transcript: a ServerHello from the server")
        check(any(r["t"] == "ApplicationData" for r in recs), "transcript: encrypted ApplicationData records")
        check(all(r["hex"] for r in recs), "transcript: every record has its hex dump")
        text = body.text
        check("TLS 1.3" in text and "supported_versions" in text and "server.tlsh.test" in text,
              "transcript: hello fields decoded (SNI, supported_versions, TLS 1.3)")
        drv.save_screenshot(str(out / "detail.png"))
        drv.find_element(By.ID, "dclose").click()
        check(not drv.find_element(By.ID, "detail").is_displayed(), "the detail view closes")

        # An alert: the matrix's openssl self pair sends decode_error on a ragged EOF.
        r_alert = merged.get(("ragged-eof/truncated-record/tls12", "openssl", "openssl"))
        if r_alert:
            js("document.querySelector(\"#scen tr.srow[data-id='ragged-eof/truncated-record/tls12'] td.vc\").click()")
            alerts = drv.find_element(By.CSS_SELECTOR, "#dbody table.alerts").text
            want_al = r_alert["alerts"]["client_sent"]
            check(want_al is None or f"({want_al})" in alerts, "detail: the alerts table", alerts)
            hs = js("return [...document.querySelectorAll('#recs .rec .rec-type')].map(e => e.textContent)")
            check("Handshake" in hs, "detail of another result decodes its transcript too", hs)
            drv.find_element(By.ID, "dclose").click()

        # Matrix cell -> pair view -> result.
        drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='matrix']").click()
        drv.find_element(By.CSS_SELECTOR, "#matrix td.cell[data-client='mutant-eof-clean'][data-server='openssl'] .fbadge").click()
        pair_issues = drv.find_elements(By.CSS_SELECTOR, "#dbody .issue")
        check(len(pair_issues) == 42 and "FAIL" in pair_issues[0].text, "a matrix badge opens its results, worst first",
              len(pair_issues))
        drv.save_screenshot(str(out / "pair.png"))
        pair_issues[0].click()
        check(drv.find_element(By.ID, "dId").text.startswith("ragged-eof/") and drv.find_element(By.ID, "dback").is_displayed(),
              "and a result from there, with a way back")
        drv.find_element(By.ID, "dclose").click()

        # Compare backends: openssl vs boringssl, as computed from the JSON.
        drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='compare']").click()
        js("const a = document.getElementById('cmpA'); a.value = 'openssl'; a.dispatchEvent(new Event('change', {bubbles: true}));")
        js("const b = document.getElementById('cmpB'); b.value = 'boringssl'; b.dispatchEvent(new Event('change', {bubbles: true}));")
        groups = [("self pairs", ("openssl", "openssl"), ("boringssl", "boringssl"))]
        backends = ["openssl", "boringssl", "mutant-eof-clean"]
        servers = sorted({r["server"] for r in results}, key=backends.index)
        clients = sorted({r["client"] for r in results}, key=backends.index)
        groups += [(f"as the client, against server {s}", ("openssl", s), ("boringssl", s)) for s in servers]
        groups += [(f"as the server, with client {c}", (c, "openssl"), (c, "boringssl")) for c in clients]
        expect_rows = 0
        for _, a, b in groups:
            for i in ids:
                ra, rb = merged.get((i, *a)), merged.get((i, *b))
                if ra and rb and (ra["verdict"] != rb["verdict"] or ra["alerts"] != rb["alerts"]):
                    expect_rows += 1
        got_rows = js("return document.querySelectorAll('#view-compare tr.cmprow').length")
        check(got_rows == expect_rows and expect_rows > 0,
              f"compare openssl vs boringssl: {expect_rows} differing scenario rows, as the JSON says", got_rows)
        drv.save_screenshot(str(out / "compare.png"))
        js("const a = document.getElementById('cmpA'); a.value = 'mutant-eof-clean'; a.dispatchEvent(new Event('change', {bubbles: true}));")
        js("const b = document.getElementById('cmpB'); b.value = 'openssl'; b.dispatchEvent(new Event('change', {bubbles: true}));")
        verdict_rows = js("return document.querySelectorAll(\"#view-compare tr.cmprow[data-kind='verdict']\").length")
        check(verdict_rows == 9, "compare mutant-eof-clean vs openssl as clients: the 9 FAILs differ in verdict", verdict_rows)

        errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
        check(not errors, "no script error after all the clicks", errors)
        drv.set_window_size(1400, 1000)

        misbehave_checks(drv, tlsh, out)
        encrypted_checks(drv, tlsh, out)
        side_files_checks(drv, tlsh, out, [rep_matrix, rep_mut], target)
        large_report_checks(drv, tlsh, out, [rep_matrix, rep_mut])
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"# screenshots in {out}")
    print(f"1..{n}")
    return 1 if failed else 0


def misbehave_checks(drv, tlsh, out):
    """The misbehaving peer's results: a backend-under-test x family table
    (the pairs with the puppet are not the report's pairs), a badge per role,
    and the mutation and where the backend stopped in the detail view."""
    rep = pathlib.Path(__file__).resolve().parents[2] / "reports" / "out" / "html-misbehave"
    run([tlsh, "run", "--impl", "gnutls", "-f", "misbehave/fragment/frag-5/*",
         "-f", "misbehave/decode/client-hello-trailing-byte/*", "-f", "misbehave/decode/server-hello-trailing-bytes/*",
         "-q", "-o", str(rep)], {0, 1})
    results = json.loads((rep / "report.json").read_text())["results"]
    mis = [r for r in results if r["id"].startswith("misbehave/")]
    check(len(mis) == 8 and all(r.get("mutation") for r in mis if r["verdict"] != "UNSUPPORTED"),
          "the misbehave results carry the mutation applied", [(r["id"], r.get("mutation")) for r in mis])
    page = out / "misbehave.html"
    run([tlsh, "report", "-o", str(page), str(rep / "report.json")], {0})
    drv.get(page.as_uri())
    js = drv.execute_script
    rows = js("return [...document.querySelectorAll('#misbehaveTable tbody tr')].map(r => r.querySelector('th').textContent)")
    check(len(rows) == 1 and "gnutls" in rows[0], "the misbehaving-peer table has one row, the backend under test", rows)
    roles = js("return [...document.querySelectorAll('#misbehaveTable .fbadge')].map(b => b.dataset.role)")
    check(sorted(roles) == ["client", "server"], "a badge for each role the backend played", roles)
    js("document.querySelector(\"#misbehaveTable .fbadge[data-role='server']\").click()")
    listed = js("return document.querySelectorAll('#pairList .issue').length")
    want = [r for r in mis if r["id"].split("/")[-2] == "server"]
    check(listed == len(want), f"its server badge lists the {len(want)} results with gnutls as the server", listed)
    js("document.querySelector('#pairList .issue').click()")
    mut = js("const d = document.getElementById('dMutation'); return d ? d.textContent : null")
    stop = js("const d = document.getElementById('dStopped'); return d ? d.textContent : null")
    check(bool(mut) and "puppet" in mut and bool(stop), "the detail view shows the mutation and where the backend stopped",
          (mut, stop))


def encrypted_checks(drv, tlsh, out):
    """The misbehaving peer's encrypted phase: the detail view shows the
    protected records as the harness decrypted them, marked as such, the
    changed one flagged."""
    rep = pathlib.Path(__file__).resolve().parents[2] / "reports" / "out" / "html-encrypted"
    rid = "misbehave-encrypted/finished/flip-first-bit/server/tls13"
    run([tlsh, "run", "--impl", "openssl", "-f", rid, "-q", "-o", str(rep)], {0, 1})
    results = json.loads((rep / "report.json").read_text())["results"]
    dec = [r.get("decrypted") or "" for r in results if r["id"] == rid]
    check(len(dec) == 1 and "decrypted by the harness" in dec[0] and "Finished" in dec[0]
          and "(changed by the harness)" in dec[0],
          "the report carries the decrypted records, the changed Finished flagged", dec)
    page = out / "encrypted.html"
    run([tlsh, "report", "-o", str(page), str(rep / "report.json")], {0})
    drv.get(page.as_uri())
    js = drv.execute_script
    js("document.querySelector(\"#misbehaveTable .fbadge[data-role='server']\").click()")
    js("document.querySelector('#pairList .issue').click()")
    text = js("const d = document.getElementById('dDecrypted'); return d ? d.textContent : null")
    label = js("const d = document.getElementById('dDecrypted'); return d ? d.previousElementSibling.textContent : null")
    check(bool(text) and "changed by the harness" in text and "Finished" in text
          and label and "decrypted by the harness" in label,
          "the detail view shows the decrypted records, marked as decrypted by the harness", (label, text))


def open_detail_records(drv, result_id, verdict):
    """Opens a result from the scenario table and waits for its transcript."""
    from selenium.webdriver.common.by import By
    drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='scenarios']").click()
    drv.find_element(By.ID, "fQ").clear()
    drv.find_element(By.ID, "fQ").send_keys(result_id)
    drv.find_element(By.CSS_SELECTOR, f"#scen tr.srow[data-id='{result_id}'] td.vc[data-verdict='{verdict}']").click()
    return wait_transcript(drv)


def wait_transcript(drv, seconds=20):
    """The records of the detail view's transcript once drawn, or the error shown."""
    js = drv.execute_script
    for _ in range(int(seconds * 20)):
        state = js("""const t = document.getElementById('transcript');
            if (!t) return null;
            if (t.querySelector('#recs')) return {recs: [...t.querySelectorAll('#recs .rec')].map(d => ({
                t: d.querySelector('.rec-type').textContent, m: (d.querySelector('.hs-msgs') || {}).textContent || '',
                dir: d.classList.contains('d0') ? 0 : 1}))};
            const e = t.querySelector('#txError');
            return e ? {error: e.textContent} : null;""")
        if state:
            return state
        time.sleep(0.05)
    return {"error": "nothing drawn"}


def tx_resources(drv):
    """What the page fetched: resource timing (http) and the script elements it added (file://,
    where resource timing records nothing)."""
    return drv.execute_script("""return [...performance.getEntriesByType('resource').map(e => e.name),
        ...[...document.querySelectorAll('script[src]')].map(e => e.src)]""")


def side_files_checks(drv, tlsh, out, reports, target):
    """The small reports with their transcripts in side files."""
    from selenium.webdriver.common.by import By
    js = drv.execute_script
    drv.get((out / "report.html").as_uri())
    inline_recs = open_detail_records(drv, target["id"], "FAIL").get("recs")
    check(bool(inline_recs), "the inline page's transcript, for comparison", inline_recs)
    page = out / "report-files.html"
    side = out / "report-files_files"
    p = run([tlsh, "report", "--transcripts", "files", "-o", str(page)] + [str(r / "report.json") for r in reports], {0})
    chunks = sorted(side.glob("tx-*.js")) if side.exists() else []
    check(page.exists() and chunks and "side file" in p.stdout,
          f"--transcripts files: the page and {len(chunks)} chunk(s) in {side.name}/", p.stdout)
    html = page.read_text()
    check("b64" not in html.split('id="tlsh-data">', 1)[1].split("</script>", 1)[0],
          "--transcripts files: no transcript bytes in the page")
    drv.get(page.as_uri())
    check(tx_resources(drv) == [], "--transcripts files: nothing fetched while loading", tx_resources(drv))
    got = open_detail_records(drv, target["id"], "FAIL")
    res = tx_resources(drv)
    check(len(res) == 1 and "/report-files_files/tx-" in res[0], "the detail view loaded one side file", res)
    check(got.get("recs") and got["recs"] == inline_recs,
          "the transcript from the side file decodes to the same records as the inline page", got)
    errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    check(not errors, "no script error with side files", errors)

    # A chunk of another generation of the page is refused; a missing folder is reported.
    keep = {c: c.read_bytes() for c in chunks}  # every chunk: the target's may be any of them
    run([tlsh, "report", "--transcripts", "files", "-o", str(page)] + [str(r / "report.json") for r in reports], {0})
    for c, data in keep.items():
        c.write_bytes(data)
    drv.get(page.as_uri())
    got = open_detail_records(drv, target["id"], "FAIL")
    check("another version of this page" in got.get("error", ""), "a stale side file is refused, with the reason", got)
    moved = out / "report-files_files.moved"
    shutil.rmtree(moved, ignore_errors=True)
    side.rename(moved)
    drv.get(page.as_uri())
    got = open_detail_records(drv, target["id"], "FAIL")
    check("could not be loaded" in got.get("error", "") and "report-files_files/" in got.get("error", ""),
          "a missing side folder is reported, with the folder to keep", got)
    errors = [e["message"] for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    check(len(errors) == 1 and re.search(r"report-files_files/tx-\d{5}\.js", errors[0]) and "ERR_FILE_NOT_FOUND" in errors[0],
          "the browser's only error is the missing side file", errors)
    moved.rename(side)
    run([tlsh, "report", "--transcripts", "inline", "-o", str(page)] + [str(r / "report.json") for r in reports], {0})
    check(not side.exists(), "the page made inline again removes its side folder")


def large_report_checks(drv, tlsh, out, reports):
    """The page of a report of 60,000 results."""
    from selenium.webdriver.common.by import By
    js = drv.execute_script
    big = out / "big"
    t0 = time.monotonic()
    rp = big_report.generate([r / "report.json" for r in reports], big, BIG_RESULTS, BIG_DISTINCT_TRANSCRIPTS)
    t_gen = time.monotonic() - t0
    rep = json.loads(rp.read_text())
    results = rep["results"]
    check(len(results) == BIG_RESULTS and len({(r["id"], r["client"], r["server"]) for r in results}) == BIG_RESULTS,
          f"big_report.py: {BIG_RESULTS} distinct results ({t_gen:.1f} s)")
    page = out / "big.html"
    side = out / "big_files"
    t0 = time.monotonic()
    p = run([tlsh, "report", "-o", str(page), str(rp)], {0})
    t_page = time.monotonic() - t0
    size = page.stat().st_size if page.exists() else 0
    side_bytes = sum(f.stat().st_size for f in side.glob("tx-*.js")) if side.exists() else 0
    print(f"# large report: page {size / 1e6:.1f} MB, side files {side_bytes / 1e6:.1f} MB in "
          f"{len(list(side.glob('tx-*.js'))) if side.exists() else 0} chunks, written in {t_page:.1f} s")
    check(0 < size <= PAGE_MAX_BYTES, f"the page of {BIG_RESULTS} results is at most 30 MB ({size / 1e6:.1f} MB)", p.stdout)
    check(side_bytes > 0, "auto put the transcripts of the large report in side files", p.stdout)

    load = os.getloadavg()
    t0 = time.monotonic()
    drv.get(page.as_uri())
    for _ in range(600):
        painted = js("return window.TLSH_PAINTED")
        if painted:
            break
        time.sleep(0.05)
    wall = time.monotonic() - t0
    marks = js("return performance.getEntriesByType('mark').map(m => m.name + ' ' + Math.round(m.startTime) + ' ms').join(', ')")
    issues_ms = js("""const t = performance.now();
        document.querySelector("#tabs button[data-view='issues']").click();
        document.body.offsetHeight;
        return performance.now() - t;""")
    first_view = (painted or 1e9) + issues_ms
    print(f"# first view: matrix painted at {painted:.0f} ms after the navigation's start ({marks}), "
          f"problem list drawn in {issues_ms:.0f} ms; wall clock of the load {wall:.1f} s; load average {load[0]:.1f}")
    check(first_view <= FIRST_VIEW_MAX_MS,
          f"first view (matrix painted, then the problem list) within {FIRST_VIEW_MAX_MS} ms: {first_view:.0f} ms")
    drv.save_screenshot(str(out / "big-issues.png"))
    bad_results = [r for r in results if r["verdict"] != "PASS"]
    drawn = js("const l = document.getElementById('issueList'); return [+l.dataset.drawn, +l.dataset.total, l.querySelectorAll('.issue').length]")
    check(drawn[1] == len(bad_results) and drawn[2] == drawn[0] and 0 < drawn[0] <= 600 < drawn[1],
          f"the problem list holds {len(bad_results)} results and draws {drawn[0]} of them", drawn)
    nodes = js("return document.getElementsByTagName('*').length")
    check(nodes < 20000, f"a bounded DOM after the first views ({nodes} elements)")
    errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    check(not errors, "no script error on the large page", errors)

    # The scenario table: drawn in batches, more as it scrolls.
    ids = {r["id"] for r in results}

    def table_rows(keep):
        """Rows of the scenario table: scenarios in page order, a family row where the family changes."""
        order = list(dict.fromkeys(r["id"] for r in results if keep(r["id"])))
        fams = [i.split("/")[0] for i in order]
        return len(order) + sum(1 for k, f in enumerate(fams) if k == 0 or f != fams[k - 1])
    t0 = time.monotonic()
    drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='scenarios']").click()
    t_scen = time.monotonic() - t0
    body = lambda: js("const b = document.querySelector('#scen tbody'); return [+b.dataset.drawn, +b.dataset.total, b.querySelectorAll('tr.srow').length]")
    first = body()
    check(first[1] == table_rows(lambda i: True) and 0 < first[2] <= 300,
          f"scenario table ({t_scen:.1f} s): {len(ids)} rows to draw, {first[2]} drawn at first", first)
    js("window.scrollTo(0, document.body.scrollHeight)")
    for _ in range(100):
        if body()[2] > first[2]:
            break
        time.sleep(0.05)
    check(body()[2] > first[2], "scrolling down draws more rows", body())
    drv.find_element(By.ID, "fQ").send_keys("*/x3")
    want = {i for i in ids if i.endswith("/x3")}
    check(body()[1] == table_rows(lambda i: i.endswith("/x3")) and len(want) > 0,
          f"the glob */x3 keeps its {len(want)} scenario rows", body())
    drv.find_element(By.ID, "fReset").click()

    # A detail view loads its transcript from a side file, then another chunk for another result.
    drv.find_element(By.CSS_SELECTOR, "#tabs button[data-view='issues']").click()
    drv.find_element(By.CSS_SELECTOR, "#issueList .issue").click()
    got = wait_transcript(drv)
    res = [x for x in tx_resources(drv) if "/big_files/tx-" in x]
    check(got.get("recs") and got["recs"][0]["m"].startswith("ClientHello") and len(res) == 1,
          "a detail view of the large page loads one side file and decodes its transcript", (got, res))
    shown_id = drv.find_element(By.ID, "dId").text
    pair = drv.find_element(By.CSS_SELECTOR, "#dbody dl.kv").text
    want_tx = {r["transcript"] for r in results if r["id"] == shown_id and r["client"] in pair and r["server"] in pair}
    tx_text = drv.find_element(By.CSS_SELECTOR, "#transcript .tx-summary").text
    check(any(t.split("/")[-1] in tx_text for t in want_tx), "the transcript shown is that result's file", (tx_text, want_tx))
    drv.find_element(By.ID, "dclose").click()
    last = js("const l = document.querySelectorAll('#issueList .issue'); return +l[l.length - 1].dataset.r")
    js(f"document.querySelector(\"#issueList .issue[data-r='{last}']\").click()")
    got = wait_transcript(drv)
    res2 = [x for x in tx_resources(drv) if "/big_files/tx-" in x]
    check(got.get("recs") and len(res2) in (1, 2), "another result's transcript, from its own chunk", (got, res2))
    drv.find_element(By.ID, "dclose").click()
    errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    check(not errors, "no script error after the large page's clicks", errors)


if __name__ == "__main__":
    sys.exit(main())
