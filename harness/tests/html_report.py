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
lists the scenarios where the JSON says two backends differ. Screenshots go to
OUT-DIR (default reports/out/html-test). TAP output; exit 0 when all pass.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

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
        check(drv.find_element(By.ID, "problems").text == "7 problems", "status says 7 problems",
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
        check(mut.get("ragged-eof", {}).get("code") == "F" and "7/28" in mut.get("ragged-eof", {}).get("text", ""),
              "mutant-eof-clean -> openssl shows 'F ragged-eof 7/28'", mut)
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
        check(rows() == len(bad_ids) == 7, f"verdict filter 'problems only': {len(bad_ids)} rows", rows())
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
        check(len(pair_issues) == 28 and "FAIL" in pair_issues[0].text, "a matrix badge opens its results, worst first",
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
        check(verdict_rows == 7, "compare mutant-eof-clean vs openssl as clients: the 7 FAILs differ in verdict", verdict_rows)

        errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
        check(not errors, "no script error after all the clicks", errors)
        drv.set_window_size(1400, 1000)
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"# screenshots in {out}")
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
