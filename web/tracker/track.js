/* tracker browser script: page views, SPA routes, outbound/download/data-track clicks.
   Configured by data- attributes of its <script> tag (docs/browser-tracker.md). No dependencies;
   every entry point is wrapped so a failure here never surfaces on the host page. */
(function (w, d, n) {
  "use strict";
  if (w.tracker && w.tracker.v) return;
  var s = d.currentScript || d.querySelector("script[src*='track']") || {}, a = function (k, v) {
    var x = s.getAttribute && s.getAttribute("data-" + k); return x == null ? v : x;
  };
  var host = a("host", (s.src || "").replace(/\/t\/.*$/, "")) || location.origin,
    site = a("site", location.hostname), cdom = a("cookie-domain", ""), app = a("app", ""), rel = a("rel", ""),
    on = function (k) { return a(k, "true") != "false"; }, Q = [], QMAX = 50, QBYTES = 65536, LS = "tracker_q",
    last = location.href, busy = 0;
  function ck(k) { var m = d.cookie.match("(?:^|; )" + k + "=([^;]*)"); return m ? decodeURIComponent(m[1]) : null; }
  function setck(k, v, age) {
    if (cookieless()) return;
    d.cookie = k + "=" + encodeURIComponent(v) + "; path=/; SameSite=Lax" + (age != null ? "; max-age=" + age : "") +
      (cdom ? "; domain=" + cdom : "") + (location.protocol == "https:" ? "; Secure" : "");
  }
  function delck(k) { d.cookie = k + "=; path=/; max-age=0" + (cdom ? "; domain=" + cdom : ""); }
  function uuid() {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (Math.random() * 16) >> (c / 4)).toString(16);
    });
  }
  function signal() { return on("respect-dnt") && (n.doNotTrack == "1" || w.doNotTrack == "1" || n.globalPrivacyControl === true); }
  function consented() { var c = ck("CookieConsent"); return c != null && c != "0"; }
  function cookieless() { return signal() || (a("require-consent", "false") == "true" && !consented()); }
  function device() {
    var u = n.userAgent;
    return /iPhone|iPad|iPod/.test(u) ? "iOS" : /Android/.test(u) ? "Android" : /Windows Phone/.test(u) ? "Windows Mobile" :
      /Windows/.test(u) ? "Windows" : /Macintosh/.test(u) ? "Mac" : /CrOS/.test(u) ? "ChromeOS" : /Linux/.test(u) ? "Linux" : "Other";
  }
  function os() { var u = n.userAgentData; return (u && u.platform) || device(); }
  function query() {
    var o = {}, p = new URLSearchParams(location.search);
    p.forEach(function (v, k) { o[k] = v; });
    return o;
  }
  function payload(ev) {
    var now = Date.now(), p = query(), o = { url: location.href, created: now, tz: "", device: device(), os: os(),
      w: w.innerWidth, h: w.innerHeight, host: site }, k;
    try { o.tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
    for (k in p) if (/^utm_/.test(k)) { o[k.slice(4)] = p[k]; delete p[k]; }
    if (o.content && !ev.ename) { ev.ename = o.content; delete o.content; }
    if (app) o.app = app;
    if (rel) o.rel = rel;
    if (cookieless()) { o.cookieless = true; o.last = d.referrer; }
    else {
      var vid = ck("vid"), sid = ck("sid"), trc = +ck("trc") || now;
      o.first = !vid || !sid ? "true" : "false";
      if (!vid) vid = uuid();
      if (!sid) sid = uuid();
      setck("vid", vid, 34560000); setck("sid", sid, 1800); setck("trc", now, 34560000);
      o.vid = vid; o.sid = sid; o.duration = now - trc; o.last = ck("ref") || d.referrer; setck("ref", location.href);
      var x = ck("ex"); if (x) o.xid = x;
      try { var e = JSON.parse(ck("exp") || "{}"); for (k in e) p[k] = e[k]; } catch (e2) {}
      if (uid) o.uid = uid;
    }
    for (k in ev.params || {}) p[k] = ev.params[k];
    for (k in ev) if (k != "params") o[k] = ev[k];
    o.params = p;
    return o;
  }
  var uid = null, url = host + "/tr/v1/";
  function save() { try { if (!cookieless()) localStorage.setItem(LS, JSON.stringify(Q)); } catch (e) {} }
  function load() { try { Q = JSON.parse(localStorage.getItem(LS) || "[]") || []; } catch (e) { Q = []; } }
  function queue(b) {
    Q.push(b);
    var size = 0, i;
    for (i = Q.length - 1; i >= 0; i--) { size += Q[i].length; if (size > QBYTES || Q.length - i > QMAX) { Q = Q.slice(i + 1); break; } }
    save();
  }
  /* One event, or the queue as one JSON array (the server takes batches); kept on failure. */
  function post(b, q) {
    q = q || [b];
    if (n.onLine === false || !w.fetch) return q.forEach(queue);
    busy++;
    fetch(url, { method: "POST", body: b, keepalive: b.length < 60000, credentials: "include",
      headers: { "Content-Type": "text/plain" } }).then(function (r) {
      busy--;
      if (r.status >= 500 || r.status == 429) q.forEach(queue); else flush();
    }, function () { busy--; q.forEach(queue); });
  }
  /* The queue in arrays of under 30 000 characters: under the server's 64 KiB body limit. */
  function chunks(q) {
    var out = [], c = [], size = 0;
    q.forEach(function (b) {
      if (c.length && size + b.length > 30000) { out.push(c); c = []; size = 0; }
      c.push(b); size += b.length + 1;
    });
    if (c.length) out.push(c);
    return out;
  }
  function flush() {
    if (!Q.length || busy || n.onLine === false) return;
    var q = Q; Q = []; save();
    chunks(q).forEach(function (c) { post("[" + c.join(",") + "]", c); });
  }
  function beaconAll() {
    if (!Q.length || !n.sendBeacon) return;
    var q = chunks(Q); Q = [];
    q.forEach(function (c) { if (!n.sendBeacon(url, "[" + c.join(",") + "]")) Q = Q.concat(c); });
    save();
  }
  function track(ev, beacon) {
    try {
      var b = JSON.stringify(payload(ev || {}));
      if (beacon && n.sendBeacon && n.sendBeacon(url, b)) return;
      post(b);
    } catch (e) {}
  }
  function safe(f) { return function () { try { return f.apply(this, arguments); } catch (e) {} }; }
  function view(etyp) {
    if (location.href == last && etyp) return;
    last = location.href;
    track({ ename: "page_opened", etyp: etyp || "view" });
  }
  var api = w.tracker = {
    v: 1,
    track: safe(function (name, params) { track({ ename: String(name), etyp: "custom", params: params || {} }); }),
    identify: safe(function (id) { uid = id == null ? null : String(id); if (uid) track({ ename: "identify", etyp: "session", uid: uid }); }),
    consent: safe(function (flags) {
      flags = +flags || 0;
      d.cookie = "CookieConsent=" + flags + "; path=/; SameSite=Lax; max-age=34560000" + (cdom ? "; domain=" + cdom : "");
      if (!flags) { delck("vid"); delck("sid"); delck("trc"); delck("ref"); try { localStorage.removeItem(LS); } catch (e) {} }
    }),
    flush: safe(flush)
  };
  w.tr = safe(function (params, force) { if (force || location.href != last) { last = location.href; track(params); } });
  if (!cookieless()) load();
  if (on("spa")) {
    ["pushState", "replaceState"].forEach(function (m) {
      var f = history[m];
      history[m] = function () { var r = f.apply(this, arguments); setTimeout(safe(function () { view("reroute"); })); return r; };
    });
    w.addEventListener("popstate", safe(function () { view("reroute"); }));
  }
  d.addEventListener("click", safe(function (e) {
    var el = e.target, k, p = {};
    for (; el && el != d; el = el.parentNode) {
      if (el.getAttribute && el.getAttribute("data-track")) {
        for (k in el.dataset) if (k.indexOf("track") == 0 && k.length > 5) p[k.charAt(5).toLowerCase() + k.slice(6)] = el.dataset[k];
        return track({ ename: el.getAttribute("data-track"), etyp: "click", params: p }, 1);
      }
      if (el.tagName == "A" && el.href) {
        var u = new URL(el.href, location.href), dl = /\.(pdf|zip|gz|dmg|exe|msi|docx?|xlsx?|pptx?|csv|mp3|mp4|apk)$/i.test(u.pathname);
        if (dl && on("downloads")) return track({ ename: "download", etyp: "click", params: { href: u.href } }, 1);
        if (u.host != location.host && /^https?:/.test(u.protocol) && on("outbound")) return track({ ename: "outbound", etyp: "click", params: { href: u.href } }, 1);
        return;
      }
    }
  }), true);
  w.addEventListener("online", safe(flush));
  w.addEventListener("pagehide", safe(beaconAll));
  d.addEventListener("visibilitychange", safe(function () { if (d.visibilityState == "hidden") beaconAll(); }));
  setInterval(safe(flush), 5000);
  if (on("auto")) { last = ""; view(); }
})(window, document, navigator);
