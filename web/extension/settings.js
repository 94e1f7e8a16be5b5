/* Where the extension's settings live: the tracker and short-link hosts sync across the user's
   browsers; the API key stays on this machine (chrome.storage.local). */
var TrackerSettings = {
  load: function () {
    return Promise.all([chrome.storage.sync.get({ tracker: "", shortHost: "" }), chrome.storage.local.get({ key: "" })])
      .then(function (r) { return { tracker: r[0].tracker, shortHost: r[0].shortHost, key: r[1].key }; });
  },
  save: function (s) {
    return Promise.all([chrome.storage.sync.set({ tracker: s.tracker, shortHost: s.shortHost }), chrome.storage.local.set({ key: s.key })]);
  }
};
