// The case page: mark the section link of the part being read (aria-current) and keep that
// link visible in the row of section links. An enhancement only: the links work without it.
(function () {
  "use strict";
  var nav = document.querySelector("nav.case-sections");
  if (!nav) return;
  var links = {};
  nav.querySelectorAll('a[href^="#"]').forEach(function (a) {
    links[a.getAttribute("href").slice(1)] = a;
  });
  var sections = Object.keys(links)
    .map(function (id) { return document.getElementById(id); })
    .filter(Boolean);
  var current = null;

  function mark(id) {
    if (id === current || !links[id]) return;
    if (current && links[current]) links[current].removeAttribute("aria-current");
    current = id;
    var link = links[id];
    link.setAttribute("aria-current", "true");
    var left = link.offsetLeft - nav.offsetLeft;
    if (left < nav.scrollLeft || left + link.offsetWidth > nav.scrollLeft + nav.clientWidth) {
      nav.scrollLeft = Math.max(0, left - 16);
    }
  }

  // The section being read: the last one whose top has passed just below the sticky summary.
  function update() {
    var line = nav.getBoundingClientRect().bottom + 8;
    var found = sections[0];
    sections.forEach(function (s) {
      if (s.getBoundingClientRect().top <= line) found = s;
    });
    var atEnd = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
    mark(atEnd ? sections[sections.length - 1].id : found.id);
  }

  var pending = false;
  window.addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; update(); });
  }, { passive: true });
  window.addEventListener("hashchange", update);
  update();
})();
