/* Filter panels (<details data-open-wide>): on a phone they start closed unless a filter in
   them is set, so the list is on the first screen; on a wide screen there is room, so they
   open. Without this script they simply start closed and open with one tap. */
(function () {
  "use strict";
  if (!window.matchMedia("(min-width: 48rem)").matches) {
    return;
  }
  document.querySelectorAll("details[data-open-wide]").forEach(function (panel) {
    panel.open = true;
  });
})();
