"""The browser tracker, the generator pages and the Chrome extension in real headless Chromium,
driven by Selenium and Debian's chromedriver, against the real tracker binary.

Run by scripts/test.sh (python3 -m unittest discover -s Tests/browser). Skips, saying why, when
Chromium, chromedriver or Selenium is missing. TRACKER_BIN names the binary (default
.build/debug/tracker)."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = os.path.join(ROOT, "Tests", "browser", "site")
BIN = os.environ.get("TRACKER_BIN", os.path.join(ROOT, ".build", "debug", "tracker"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    MISSING = None
except ImportError:
    MISSING = "selenium is not installed (pip install selenium)"
if not MISSING and not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    MISSING = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
if not MISSING and not os.path.exists(BIN):
    MISSING = "no tracker binary at %s (swift build, or set TRACKER_BIN)" % BIN


def free_port():
    """A port below Linux's ephemeral range (as Tests/TrackerTesting/FreePort.swift explains)."""
    import random
    for _ in range(200):
        port = random.randrange(20000, 32768)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 20000-32767")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(method, url, headers=None, body=None):
    """(status, headers, body) without following redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Tracker:
    """One tracker process with its own data directory; restartable on the same port."""

    def __init__(self, port=None, **extra):
        self.dir = tempfile.mkdtemp(prefix="tracker-browser-")
        self.port = port or free_port()
        self.config = os.path.join(self.dir, "config.json")
        self.configure(**extra)
        self.process = None

    def configure(self, **extra):
        with open(self.config, "w") as f:
            json.dump(dict({
                "Listen": "127.0.0.1:%d" % self.port, "DataDirectory": os.path.join(self.dir, "data"),
                "Domains": ["127.0.0.1", "localhost"], "RedirectAllowList": ["shop.example.com"],
                "ShortLinkHosts": ["go.test"], "Sites": [{"Hosts": ["localhost"], "Root": SITE}],
            }, **extra), f)

    def cli(self, *args, stdin=None):
        return subprocess.run([BIN, *args, "--config", self.config], input=stdin, capture_output=True, text=True, check=True).stdout

    def start(self):
        with open(os.path.join(self.dir, "server.log"), "a") as log:
            self.process = subprocess.Popen([BIN, "--config", self.config], stdout=log, stderr=log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if http("GET", "http://127.0.0.1:%d/ping" % self.port)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("tracker did not start: " + open(os.path.join(self.dir, "server.log")).read()[-2000:])

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def events(self):
        out = self.cli("export", "--format", "ndjson")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def wait_for(self, predicate, timeout=10, what="event"):
        deadline = time.time() + timeout
        while True:
            found = [e for e in self.events() if predicate(e)]
            if found or time.time() > deadline:
                if not found:
                    raise AssertionError("no %s among %s" % (what, json.dumps(self.events())[-3000:]))
                return found
            time.sleep(0.25)

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def queued_names(driver):
    """The names of the events in the page's queue (the browser tracker's localStorage)."""
    return {json.loads(entry).get("ename") for entry in json.loads(driver.execute_script("return localStorage.getItem('tracker_q') || '[]'"))}


def browser(dnt=False, extension=None):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,800"]:
        options.add_argument(flag)
    if extension:
        options.add_argument("--load-extension=" + extension)
        options.add_argument("--disable-extensions-except=" + extension)
        options.add_argument("--disable-features=DisableLoadExtensionCommandLineSwitch")
    if dnt:
        options.add_experimental_option("prefs", {"enable_do_not_track": True})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def script_errors(driver):
    """Console entries our scripts caused: JavaScript exceptions and console errors (a refused
    connection is the browser's own network log, not the page's)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"
            and "net::ERR_" not in e["message"]]


@unittest.skipIf(MISSING, MISSING or "")
class BrowserTrackerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tracker = Tracker()
        cls.token = cls.tracker.cli("keys", "create", "--site", "go.test", "--name", "browser").strip()
        cls.tracker.start()
        cls.base = "http://localhost:%d" % cls.tracker.port
        cls.api = "http://127.0.0.1:%d" % cls.tracker.port

    @classmethod
    def tearDownClass(cls):
        cls.tracker.remove()

    def setUp(self):
        self.driver = browser()

    def tearDown(self):
        self.driver.quit()

    def page(self, query="", driver=None):
        driver = driver or self.driver
        driver.get(self.base + "/index.html" + query)
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return !!(window.tracker && window.tracker.v)"))

    def test_page_view_records_the_upstream_fields(self):
        marker = "pv%d" % time.time_ns()
        self.page("?utm_source=newsletter&utm_campaign=spring&mark=" + marker)
        [event] = self.tracker.wait_for(lambda e: e.get("params", {}).get("mark") == marker and e.get("ename") == "page_opened")
        self.assertEqual(event["etyp"], "view")
        self.assertEqual(event["source"], "newsletter")
        self.assertEqual(event["campaign"], "spring")
        self.assertEqual(event["host"], "shop.test")
        self.assertEqual(event["app"], "browser-test")
        self.assertEqual(event["device"], "Linux")
        self.assertTrue(event["url"].startswith("//localhost:%d/index.html" % self.tracker.port))
        self.assertEqual(event["vid"], self.driver.get_cookie("vid")["value"], "the first-party vid cookie is sent")
        self.assertEqual(event["sid"], self.driver.get_cookie("sid")["value"])
        self.assertIn("tz", event)
        self.assertGreater(event["w"], 0)
        self.assertGreater(event["h"], 0)
        sid = self.driver.get_cookie("sid")
        self.assertLessEqual(sid["expiry"] - time.time(), 1801, "sid lasts 30 minutes of inactivity")
        self.assertEqual(script_errors(self.driver), [])

    def test_spa_route_outbound_click_download_and_data_track(self):
        marker = "spa%d" % time.time_ns()
        self.page("?mark=" + marker)
        self.driver.find_element(By.ID, "route").click()
        self.tracker.wait_for(lambda e: e.get("etyp") == "reroute" and "/products/42" in e.get("url", ""), what="SPA route")
        self.driver.find_element(By.ID, "signup").click()
        [tracked] = self.tracker.wait_for(lambda e: e.get("ename") == "signup_click", what="data-track click")
        self.assertEqual(tracked["params"]["plan"], "pro")
        self.driver.find_element(By.ID, "download").click()
        self.tracker.wait_for(lambda e: e.get("ename") == "download" and e["params"]["href"].endswith("/files/report.pdf"),
                              what="download")
        self.driver.get(self.base + "/index.html?mark=" + marker)
        WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return !!(window.tracker && window.tracker.v)"))
        self.driver.find_element(By.ID, "outbound").click()
        WebDriverWait(self.driver, 10).until(lambda d: "pong" in d.page_source)
        [out] = self.tracker.wait_for(lambda e: e.get("ename") == "outbound", what="outbound click")
        self.assertEqual(out["params"]["href"], "http://127.0.0.1:%d/ping" % self.tracker.port,
                         "recorded although the page was left at once")

    def test_an_event_sent_while_leaving_the_page_arrives(self):
        self.page()
        name = "leaving%d" % time.time_ns()
        self.driver.execute_script("tracker.track(arguments[0], {why: 'unload'}); location.href = 'about:blank';", name)
        [event] = self.tracker.wait_for(lambda e: e.get("ename") == name, what="event sent during unload")
        self.assertEqual(event["params"]["why"], "unload")

    def assert_cookieless(self, driver, marker):
        [event] = self.tracker.wait_for(lambda e: e.get("params", {}).get("mark") == marker)
        self.assertEqual(event["params"].get("cookieless"), "true")
        names = {c["name"] for c in driver.get_cookies()}
        self.assertFalse(names & {"vid", "sid", "trc", "ref"}, "no identifying cookie written: %s" % names)
        return event

    def test_do_not_track_switches_to_cookieless_counting(self):
        driver = browser(dnt=True)
        try:
            marker = "dnt%d" % time.time_ns()
            self.page("?mark=" + marker, driver)
            first = self.assert_cookieless(driver, marker)
            second_marker = marker + "b"
            self.page("?mark=" + second_marker, driver)
            second = self.assert_cookieless(driver, second_marker)
            self.assertEqual(first["vid"], second["vid"], "the same visitor counts once that day, without a cookie")
        finally:
            driver.quit()

    def test_global_privacy_control_switches_to_cookieless_counting(self):
        driver = browser()
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                   {"source": "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})"})
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Sec-GPC": "1"}})
            marker = "gpc%d" % time.time_ns()
            self.page("?mark=" + marker, driver)
            self.assert_cookieless(driver, marker)
        finally:
            driver.quit()

    def test_consent_required_counts_without_cookies_until_given(self):
        marker = "consent%d" % time.time_ns()
        self.page("?consent=1&mark=" + marker)
        self.assert_cookieless(self.driver, marker)
        self.driver.execute_script("tracker.consent(1); tracker.track('after_consent')")
        [event] = self.tracker.wait_for(lambda e: e.get("ename") == "after_consent"
                                        and e.get("params", {}).get("mark") == marker, what="event after consent")
        self.assertNotIn("cookieless", event.get("params", {}))
        self.assertEqual(event["vid"], self.driver.get_cookie("vid")["value"])
        self.driver.execute_script("tracker.consent(0)")
        self.assertIsNone(self.driver.get_cookie("vid"), "withdrawing consent removes the cookies")

    def test_events_wait_in_the_queue_while_the_server_is_down(self):
        other = Tracker()
        try:
            other.start()
            self.page("?tport=%d" % other.port)
            other.wait_for(lambda e: e.get("ename") == "page_opened", what="page view on the second server")
            other.stop()
            self.driver.execute_script("tracker.track('offline_one'); tracker.track('offline_two', {n: 2})")
            # By name: the queue is the origin's, shared with the tests before this one.
            WebDriverWait(self.driver, 10).until(lambda d: queued_names(d) >= {"offline_one", "offline_two"})
            other.start()
            self.driver.execute_script("tracker.flush()")
            found = other.wait_for(lambda e: e.get("ename", "").startswith("offline_"), timeout=15, what="queued events")
            deadline = time.time() + 10
            while len(found) < 2 and time.time() < deadline:
                time.sleep(0.25)
                found = [e for e in other.events() if e.get("ename", "").startswith("offline_")]
            self.assertEqual(sorted(e["ename"] for e in found), ["offline_one", "offline_two"], "each exactly once")
            self.assertEqual(json.loads(self.driver.execute_script("return localStorage.getItem('tracker_q')")), [])
            self.assertEqual(script_errors(self.driver), [], "no errors in the console while offline")
        finally:
            other.remove()

    def test_events_refused_by_a_full_store_are_queued_and_sent_again(self):
        other = Tracker(MaxDatabaseSize=96 * 1024)
        try:
            other.start()
            # Filled with ever smaller events, so that not even a page view fits.
            for size in [3000, 300, 30, 1]:
                for n in range(500):
                    status = http("POST", "http://127.0.0.1:%d/str/v1/" % other.port, {"Content-Type": "application/json"},
                                  json.dumps({"ename": "filler", "pad": "x" * size}).encode())[0]
                    if status == 503:
                        break
                self.assertEqual(status, 503, "the store's quota is reached")
            self.page("?tport=%d" % other.port)
            self.driver.execute_script("tracker.track('while_full')")
            WebDriverWait(self.driver, 10).until(lambda d: queued_names(d) >= {"page_opened", "while_full"})
            other.stop()
            other.configure()
            other.start()
            self.driver.execute_script("tracker.flush()")
            found = other.wait_for(lambda e: e.get("ename") == "while_full", timeout=15, what="event refused while full")
            self.assertEqual(len(found), 1)
            self.assertEqual(len(other.wait_for(lambda e: e.get("ename") == "page_opened", what="page view")), 1)
            self.assertEqual(script_errors(self.driver), [])
        finally:
            other.remove()

    def test_the_queue_is_bounded(self):
        self.page("?thost=%d" % free_port())
        self.driver.execute_script("for (var i = 0; i < 80; i++) tracker.track('lost' + i, {pad: 'x'.repeat(100)})")
        WebDriverWait(self.driver, 10).until(
            lambda d: len(json.loads(d.execute_script("return localStorage.getItem('tracker_q') || '[]'"))) == 50)
        kept = json.loads(self.driver.execute_script("return localStorage.getItem('tracker_q')"))
        self.assertEqual(json.loads(kept[-1])["ename"], "lost79", "the oldest are dropped")
        self.driver.execute_script("for (var i = 0; i < 30; i++) tracker.track('big' + i, {pad: 'x'.repeat(5000)})")
        WebDriverWait(self.driver, 10).until(
            lambda d: sum(len(b) for b in json.loads(d.execute_script("return localStorage.getItem('tracker_q') || '[]'"))) <= 65536
            and "big29" in d.execute_script("return localStorage.getItem('tracker_q')"))
        self.assertEqual(script_errors(self.driver), [])

    def test_generator_builds_tracked_urls_and_a_short_link_redirects_and_counts(self):
        d = self.driver
        d.get(self.api + "/tools/track_url.html")
        d.find_element(By.ID, "url").send_keys("https://shop.example.com/p")
        d.find_element(By.ID, "internal").click()
        tracker = d.find_element(By.ID, "tracker")
        tracker.clear()
        tracker.send_keys(self.api)
        d.find_element(By.ID, "source").send_keys("Spring News")
        d.find_element(By.ID, "campaign").send_keys("Launch!")
        d.find_element(By.ID, "build").click()
        link = WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "link").text)
        params = "gu=1&utm_source=spring_news&utm_campaign=launch"
        expected = self.api + "/rdr/v1/?" + params + "&url=" + urllib.parse.quote("https://shop.example.com/p?" + params, safe="")
        self.assertEqual(link, expected)
        if shutil.which("zbarimg"):
            png = os.path.join(self.tracker.dir, "qr.png")
            with open(png, "wb") as f:
                f.write(d.find_element(By.CSS_SELECTOR, "#qr svg").screenshot_as_png)
            decoded = subprocess.run(["zbarimg", "-q", "--raw", png], capture_output=True, text=True).stdout.strip()
            self.assertEqual(decoded, link, "the QR code reads back as the link")
        status, headers, _ = http("GET", link)
        self.assertEqual(status, 302)
        self.assertEqual(headers["Location"], "https://shop.example.com/p?" + params)
        self.tracker.wait_for(lambda e: e.get("route") == "rdr" and e.get("campaign") == "launch", what="tracked redirect")

        d.find_element(By.ID, "shorten").click()
        WebDriverWait(d, 10).until(lambda d: "shorten_url.html" in d.current_url)
        self.assertEqual(d.find_element(By.ID, "target").get_attribute("value"), link)
        d.find_element(By.ID, "host").send_keys("go.test")
        d.find_element(By.ID, "slug").send_keys("Launch")
        d.find_element(By.ID, "key").send_keys(self.token)
        d.find_element(By.ID, "create").click()
        short = WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "link").text)
        self.assertEqual(short, "http://go.test/launch")
        status, headers, _ = http("GET", self.api + "/LAUNCH", headers={"Host": "go.test"})
        self.assertEqual(status, 302)
        self.assertEqual(headers["Location"], "https://shop.example.com/p?" + params, "one hop through our own /rdr/")
        self.tracker.wait_for(lambda e: e.get("ename") == "short_rdr" and e.get("source") == "spring_news", what="short link hit")
        time.sleep(1.5)
        d.find_element(By.ID, "list").click()
        row = WebDriverWait(d, 10).until(lambda d: [r.text for r in d.find_elements(By.CSS_SELECTOR, "#links tbody tr")])
        self.assertIn("http://go.test/launch", row[0])
        self.assertTrue(row[0].endswith(" 1"), "counted once: %s" % row[0])
        self.assertEqual(script_errors(d), [])


@unittest.skipIf(MISSING, MISSING or "")
class ExtensionTests(unittest.TestCase):
    def test_popup_builds_and_shortens_with_the_configured_host(self):
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "build-extension.sh")], check=True, capture_output=True)
        tracker = Tracker()
        token = tracker.cli("keys", "create", "--site", "go.test").strip()
        tracker.start()
        driver = browser(extension=os.path.join(ROOT, "dist", "extension"))
        try:
            api = "http://127.0.0.1:%d" % tracker.port
            deadline, ext = time.time() + 15, None
            while not ext and time.time() < deadline:
                for target in driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]:
                    if target["url"].startswith("chrome-extension://") and target["url"].endswith("/background.js"):
                        ext = target["url"].split("/")[2]
                time.sleep(0.2)
            self.assertIsNotNone(ext, "the extension's service worker is running")
            driver.get("chrome-extension://%s/popup.html?url=%s" % (ext, urllib.parse.quote("https://shop.example.com/a")))
            driver.find_element(By.ID, "build").click()
            WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "setup").is_displayed())
            self.assertEqual(driver.find_element(By.ID, "link").text, "", "no host is built in")

            driver.get("chrome-extension://%s/options.html" % ext)
            driver.find_element(By.ID, "tracker").send_keys(api)
            driver.find_element(By.ID, "shortHost").send_keys("go.test")
            driver.find_element(By.ID, "key").send_keys(token)
            driver.find_element(By.ID, "save").click()
            WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "status").text == "Saved.")

            driver.get("chrome-extension://%s/popup.html?url=%s" % (ext, urllib.parse.quote("https://shop.example.com/a")))
            WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "url").get_attribute("value"))
            driver.find_element(By.ID, "internal").click()
            driver.find_element(By.ID, "source").send_keys("chrome")
            driver.find_element(By.ID, "build").click()
            link = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "link").text)
            self.assertTrue(link.startswith(api + "/rdr/v1/?gu=1&utm_source=chrome&url="), link)
            self.assertTrue(driver.find_element(By.CSS_SELECTOR, "#qr svg").is_displayed())
            driver.find_element(By.ID, "shorten").click()
            short = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "link").text if "go.test" in d.find_element(By.ID, "link").text else None)
            status, headers, _ = http("GET", api + "/" + short.rsplit("/", 1)[1], headers={"Host": "go.test"})
            self.assertEqual(status, 302)
            self.assertEqual(headers["Location"], "https://shop.example.com/a?gu=1&utm_source=chrome")
            self.assertEqual(script_errors(driver), [])
        finally:
            driver.quit()
            tracker.remove()


if __name__ == "__main__":
    unittest.main()
