/* The area picker (pksai/areas/forms.py: AreaField) as a WAI-ARIA combo box: a text input
   with a list box of suggestions from the server, arrow keys to move, Enter to choose,
   Escape to close, and the number of suggestions read out through a live region.

   Without this script the text input is submitted as typed and the server resolves the
   name. With it, the visible input loses its name and a hidden input of that name carries
   the chosen area code (or, until a place is chosen, what was typed). Every word shown comes
   from the server (the page or the suggestion endpoint's "message"). */
(function () {
  "use strict";
  if (window.pksaiAreaPicker) { return; }
  window.pksaiAreaPicker = true;

  var MIN_CHARS = 2;  // the server asks for more letters of a name (areas/views.py)
  var DELAY_MS = 200;
  var counter = 0;

  function init(root) {
    if (root.getAttribute("data-area-picker-ready")) { return; }
    var input = root.querySelector("input[type=text]");
    if (!input || !input.name) { return; }
    root.setAttribute("data-area-picker-ready", "1");
    counter += 1;
    var id = input.id || "area-picker-" + counter;
    input.id = id;

    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    hidden.value = root.getAttribute("data-code") || input.value;
    input.removeAttribute("name");
    root.insertBefore(hidden, root.firstChild);

    var list = document.createElement("ul");
    list.id = id + "-listbox";
    list.className = "area-picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var label = document.querySelector("label[for='" + id + "']");
    if (label) {
      list.setAttribute("aria-label", label.textContent.replace(/\s*\*\s*$/, "").trim());
    }
    input.parentNode.appendChild(list);

    var status = document.createElement("div");
    status.className = "area-picker-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    root.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var chosen = root.querySelector("[data-area-picker-chosen]");
    var candidates = root.querySelector("[data-area-picker-candidates]");
    var results = [];
    var active = -1;
    var timer = null;
    var sequence = 0;

    function open() {
      // At least ~22rem wide (a narrow filter column), kept inside the screen.
      var box = input.getBoundingClientRect();
      var screen = document.documentElement.clientWidth;
      var width = Math.max(box.width, Math.min(352, screen - 16));
      list.style.width = width + "px";
      list.style.left = Math.min(0, screen - 8 - width - box.left) + "px";
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function show(data) {
      results = data.results || [];
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.textContent = "";
      results.forEach(function (place, i) {
        var option = document.createElement("li");
        option.id = id + "-option-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-index", String(i));
        var name = document.createElement("span");
        name.className = "area-picker-name";
        name.textContent = place.name;
        option.appendChild(name);
        if (place.context) {
          option.appendChild(document.createTextNode(" · " + place.context));
        }
        option.appendChild(document.createTextNode(" "));
        var detail = document.createElement("small");
        detail.textContent = place.level_label + " · " + place.code;
        option.appendChild(detail);
        list.appendChild(option);
      });
      status.textContent = data.message || "";
      if (results.length) { open(); } else { close(); }
    }

    function search() {
      var typed = input.value.trim();
      sequence += 1;
      var mine = sequence;
      if (typed.length < MIN_CHARS) {
        results = [];
        list.textContent = "";
        status.textContent = "";
        close();
        return;
      }
      var base = root.getAttribute("data-search-url");
      var url = base + (base.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(typed);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          return response.ok && type.indexOf("json") !== -1 ? response.json() : null;
        })
        .then(function (data) {
          if (data && mine === sequence && document.activeElement === input) { show(data); }
        })
        .catch(function () { /* offline: the server resolves the typed name on submit */ });
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = (index + options.length) % options.length;
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", options[active].id);
      if (options[active].scrollIntoView) { options[active].scrollIntoView({ block: "nearest" }); }
    }

    function choose(index) {
      var place = results[index];
      if (!place) { return; }
      input.value = place.label;
      hidden.value = place.code;
      if (chosen) { chosen.textContent = place.level_label + " · " + place.code; }
      if (candidates) { candidates.hidden = true; }
      close();
      status.textContent = "";
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", function () {
      hidden.value = input.value;
      if (chosen) { chosen.textContent = ""; }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var isOpen = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "Down") {
        event.preventDefault();
        if (!isOpen && results.length) { open(); }
        if (!isOpen && !results.length) { search(); return; }
        highlight(active + 1);
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        if (isOpen) {
          event.preventDefault();
          highlight(active < 0 ? -1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (isOpen && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (isOpen) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { close(); });

    // Keep the focus in the input while an option is pressed; choose it on click.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { choose(Number(option.getAttribute("data-index"))); }
    });

    if (candidates) {
      candidates.addEventListener("change", function (event) {
        var radio = event.target;
        if (radio.type !== "radio" || !radio.checked) { return; }
        input.value = radio.getAttribute("data-label");
        hidden.value = radio.value;
        if (chosen) { chosen.textContent = ""; }
      });
    }
  }

  function scan(container) {
    var within = container && container.querySelectorAll ? container : document;
    if (within.matches && within.matches("[data-area-picker]")) { init(within); }
    var roots = within.querySelectorAll("[data-area-picker]");
    for (var i = 0; i < roots.length; i += 1) { init(roots[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
}());
