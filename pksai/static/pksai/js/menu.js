/* The header's "Menu" button on narrow screens (progressive enhancement).
   Without this script the button stays hidden and the navigation is simply shown, stacked.
   With it, narrow screens show the button; it opens and closes the menu (aria-expanded),
   and Escape closes it again. Wide screens always show the links (CSS). */
(function () {
  "use strict";
  var toggle = document.querySelector("[data-menu-toggle]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  document.documentElement.classList.add("has-menu-button");
  toggle.hidden = false;
  setOpen(false);
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
