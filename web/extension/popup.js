/* The popup: the generator for the current tab (or the URL the context menu passed), with the
   tracker host from the settings, never a built-in one. */
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var settings = { tracker: "", shortHost: "", key: "" };
  var built = "";
  function show(url) {
    built = url;
    $("link").textContent = url;
    $("link").href = url;
    $("qr").innerHTML = TrackerQR.svg(url, 3);
    $("out").hidden = false;
  }
  function fail(err) { $("error").textContent = err.message || String(err); }
  var given = new URLSearchParams(location.search).get("url");
  TrackerSettings.load().then(function (s) {
    settings = s;
    $("setup").hidden = !!s.tracker;
    if (given) $("url").value = given;
    else if (chrome.tabs) chrome.tabs.query({ active: true, currentWindow: true }).then(function (tabs) {
      if (tabs[0] && /^https?:/.test(tabs[0].url || "")) $("url").value = tabs[0].url;
    }).catch(function () {});
  });
  $("form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("error").textContent = "";
    if (!settings.tracker) { $("setup").hidden = false; return; }
    var f = { tracker: settings.tracker, internal: $("internal").checked, pixel: $("pixel").checked };
    ["url", "source", "medium", "campaign", "ename", "ptyp"].forEach(function (k) { f[k] = $(k).value; });
    try {
      show(TrackerGenerator.build(f));
      $("shorten").disabled = f.pixel || !settings.key || !settings.shortHost;
    } catch (err) { $("out").hidden = true; fail(err); }
  });
  $("shorten").addEventListener("click", function () {
    $("error").textContent = "";
    TrackerGenerator.shorten({ api: settings.tracker, key: settings.key, host: settings.shortHost, target: built })
      .then(function (link) { show(link.url); $("shorten").disabled = true; }, fail);
  });
})();
