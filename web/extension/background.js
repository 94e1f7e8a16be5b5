/* The context menu: "Track this URL" opens the generator on the link, the selection or the page. */
chrome.runtime.onInstalled.addListener(function () {
  chrome.contextMenus.create({ id: "track-url", title: "Track this URL", contexts: ["page", "link", "selection"] });
});

chrome.contextMenus.onClicked.addListener(function (info, tab) {
  var link = info.linkUrl || (info.selectionText || "").trim() || (tab && tab.url) || "";
  chrome.tabs.create({ url: chrome.runtime.getURL("popup.html") + "?tab=1&url=" + encodeURIComponent(link) });
});
