/* The tracked-URL generator (upstream's track_url.html rebuilt) as pure functions, shared by the
   generator pages and the Chrome extension's popup. */
var TrackerGenerator = (function () {
  "use strict";
  /* Upstream's cleanParameter: spaces to _, only letters, digits and _, lower case. */
  function clean(v) {
    return encodeURIComponent(String(v == null ? "" : v).trim().replace(/\s+/g, "_").replace(/[^a-zA-Z0-9_]/g, "").toLowerCase());
  }
  var ORDER = [["ptyp", "ptyp"], ["source", "utm_source"], ["medium", "utm_medium"], ["campaign", "utm_campaign"],
    ["term", "utm_term"], ["aff", "aff"], ["sink", "sink"], ["score", "score", 1], ["xid", "xid"], ["ver", "ver", 1],
    ["auth", "auth", 1], ["ename", "utm_content"], ["etyp", "etyp"], ["ref", "ref", 1], ["uname", "uname"]];

  /* "&ptyp=blog&utm_source=..." in upstream's order; empty fields left out. */
  function params(f) {
    var out = "";
    ORDER.forEach(function (o) {
      var v = f[o[0]];
      if (v == null || String(v).trim() === "") return;
      var c = o[2] ? encodeURIComponent(String(v).trim()) : clean(v);
      if (c) out += "&" + o[1] + "=" + c;
    });
    return out;
  }

  /* The tracker's origin: a bare host means https. */
  function origin(tracker) {
    var t = String(tracker || "").trim().replace(/\/+$/, "");
    if (!t) throw new Error("the tracker host is required");
    return /^https?:\/\//i.test(t) ? t : "https://" + t;
  }

  /* Adds a query string to a URL, before its fragment, with the right separator. */
  function withQuery(url, q) {
    if (!q) return url;
    var hash = url.indexOf("#"), frag = hash >= 0 ? url.slice(hash) : "", base = hash >= 0 ? url.slice(0, hash) : url;
    return base + (base.indexOf("?") >= 0 ? "&" : "?") + q.replace(/^&/, "") + frag;
  }

  /* f: {url, internal, pixel, hideqp, tracker, ptyp, source, medium, campaign, term, aff, sink, score, xid,
     ver, auth, ename, etyp, ref, uname}. Returns the tracked URL, as upstream's generator did, but with
     the URL checked, its case kept, and query strings joined correctly. */
  function build(f) {
    var url = String(f.url || "").trim(), u;
    try { u = new URL(url); } catch (e) { throw new Error("enter a full URL, starting with https://"); }
    if (!/^https?:$/.test(u.protocol)) throw new Error("only http and https URLs can be tracked");
    if (u.username || u.password) throw new Error("the URL must not contain a user name or password");
    var p = "gu=1" + params(f);
    if (f.pixel) return origin(f.tracker) + "/img/v1/?" + p + "&url=" + encodeURIComponent(url);
    if (f.internal) return f.hideqp ? url : withQuery(url, p);
    return origin(f.tracker) + "/rdr/v1/?" + p + "&url=" + encodeURIComponent(f.hideqp ? url : withQuery(url, p));
  }

  /* Creates a short link through the links API; resolves to the API's link object. */
  function shorten(o) {
    var body = { host: o.host, target: o.target };
    if (o.slug) body.slug = o.slug;
    return fetch(origin(o.api) + "/rpi/v1/links", {
      method: "POST", headers: { "Content-Type": "application/json", "Authorization": "Bearer " + o.key },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || "HTTP " + r.status); return j; });
    });
  }

  function list(o) {
    return fetch(origin(o.api) + "/rpi/v1/links" + (o.host ? "?host=" + encodeURIComponent(o.host) : ""), {
      headers: { "Authorization": "Bearer " + o.key }
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || "HTTP " + r.status); return j.links; });
    });
  }

  return { clean: clean, params: params, build: build, shorten: shorten, list: list, origin: origin, withQuery: withQuery };
})();
if (typeof module != "undefined") module.exports = TrackerGenerator;
