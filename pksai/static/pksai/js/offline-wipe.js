// After a sign-out (the sign-in page with ?signed_out=1): erase what the field app kept on
// this device — its IndexedDB database and its caches — and tell its service worker, so a
// signed-out device holds no readable case data (decision 0032; pksai/field/static/field/store.js).
(function () {
  "use strict";
  var PREFIX = "pksai-field";
  try {
    if (window.indexedDB) window.indexedDB.deleteDatabase(PREFIX);
  } catch (e) { /* private mode: nothing kept */ }
  if (window.caches) {
    window.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(PREFIX + "-") === 0;
      }).map(function (name) { return window.caches.delete(name); }));
    }).then(function () {
      document.documentElement.setAttribute("data-field-wiped", "1");
    });
  }
  if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
    navigator.serviceWorker.getRegistrations().then(function (registrations) {
      registrations.forEach(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "signed-out" });
      });
    });
  }
})();
