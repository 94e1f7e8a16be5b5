(function () {
  var $ = function (id) { return document.getElementById(id); };
  TrackerSettings.load().then(function (s) { $("tracker").value = s.tracker; $("shortHost").value = s.shortHost; $("key").value = s.key; });
  $("form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("error").textContent = "";
    try {
      var tracker = TrackerGenerator.origin($("tracker").value);
      TrackerSettings.save({ tracker: tracker, shortHost: $("shortHost").value.trim().toLowerCase(), key: $("key").value.trim() })
        .then(function () { $("tracker").value = tracker; $("status").textContent = "Saved."; });
    } catch (err) { $("error").textContent = err.message; }
  });
})();
