/* PKSAI Lapangan service worker (decision 0032). Precaches the app shell under a versioned
   cache name and removes older ones on activate. Never touches the API: answers with personal
   data go only into the encrypted store (IndexedDB), never into a cache. */
"use strict";
const SETUP = {{ setup|safe }};
const SHELL_CACHE = "pksai-field-shell-" + SETUP.version;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    for (const url of SETUP.shell) {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      // a signed-out shell request ends at the sign-in page: never keep that as the shell
      if (!response.ok || response.redirected) throw new Error("shell not available: " + url);
      await cache.put(url, response);
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("pksai-field-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  // the sign-in page after a sign-out (pksai/js/offline-wipe.js) asks to forget everything
  if (event.data && event.data.type === "signed-out") {
    event.waitUntil((async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("pksai-field-")) await caches.delete(name);
      }
    })());
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(SETUP.api)) return; // the network only, never a cache
  if (request.mode === "navigate" && url.pathname === SETUP.page) {
    // the network first (a fresh shell in the worker's language), the cached shell offline
    event.respondWith((async () => {
      try {
        const response = await fetch(request);
        if (response.ok && !response.redirected) {
          const cache = await caches.open(SHELL_CACHE);
          await cache.put(SETUP.page, response.clone());
        }
        return response;
      } catch (error) {
        const cached = await caches.match(SETUP.page, { cacheName: SHELL_CACHE });
        if (cached) return cached;
        throw error;
      }
    })());
    return;
  }
  if (SETUP.shell.includes(url.pathname)) {
    event.respondWith((async () => {
      const cached = await caches.match(url.pathname, { cacheName: SHELL_CACHE });
      return cached || fetch(request);
    })());
  }
});
