// PKSAI Lapangan: the field app (decision 0032). Plain ES modules, no build step.
import * as forms from "./forms.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { beneficiaryList, caseDetail, caseList, h, moment, outreachList, syncPage, t } from "./views.js";

const CONFIG = JSON.parse(document.getElementById("field-config").textContent);
const root = document.getElementById("field-app");
const statusBar = document.getElementById("field-status");
let notice = null; // {text, kind} shown once on the next screen

function say(text, kind = "info") {
  notice = { text, kind };
}

async function showStatus() {
  const online = navigator.onLine;
  const synced = await store.syncedAt().catch(() => null);
  statusBar.dataset.state = online ? "online" : "offline";
  statusBar.textContent = (online ? t("online") : t("offline")) + " · " +
    (synced ? t("data_from", { time: moment(synced) }) : t("no_data_yet"));
}

function screen(...children) {
  root.replaceChildren();
  if (notice) {
    root.append(h("p", {
      class: "message" + (notice.kind === "error" ? " message-warning" : ""),
      role: notice.kind === "error" ? "alert" : "status",
      "data-notice": notice.kind,
    }, notice.text));
    notice = null;
  }
  root.append(...children.filter((child) => child !== null && child !== undefined));
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

function field(id, labelText, attrs = {}, hint = "") {
  return [
    h("label", { for: id }, labelText),
    hint ? h("small", { id: id + "-hint" }, hint) : null,
    h("input", { id, name: id, ...(hint ? { "aria-describedby": id + "-hint" } : {}), ...attrs }),
  ];
}

// --- PIN -------------------------------------------------------------------------------

function pinScreen() {
  const error = h("p", { class: "field-error", id: "pin-error", role: "alert" });
  const form = h("form", { class: "field-form", id: "pin-form", novalidate: true },
    field("pin", t("pin"), { type: "password", inputmode: "numeric", autocomplete: "new-password", required: true }),
    field("pin2", t("pin_again"), { type: "password", inputmode: "numeric", autocomplete: "new-password", required: true }),
    error,
    h("button", { type: "submit" }, t("save_pin")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pin = form.pin.value;
    if (!/^\d{6,}$/.test(pin)) { error.textContent = t("pin_short"); form.pin.focus(); return; }
    if (pin !== form.pin2.value) { error.textContent = t("pin_mismatch"); form.pin2.focus(); return; }
    await store.pinSet(pin);
    route();
  });
  screen(h("h1", {}, t("set_pin_title")), h("p", {}, t("set_pin_hint")), form);
}

function unlockScreen() {
  const error = h("p", { class: "field-error", id: "unlock-error", role: "alert" });
  const form = h("form", { class: "field-form", id: "unlock-form", novalidate: true },
    field("pin", t("pin"), { type: "password", inputmode: "numeric", autocomplete: "current-password", required: true }),
    error,
    h("button", { type: "submit" }, t("unlock")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await store.unlock(form.pin.value, CONFIG.pin_attempts);
    if (result.ok) { await route(); syncIfWaiting(); return; }
    if (result.wiped) { say(t("pin_wiped"), "error"); await showStatus(); route(); return; }
    error.textContent = t("pin_wrong", { left: result.left });
    form.pin.value = "";
    form.pin.focus();
  });
  screen(h("h1", {}, t("unlock_title")), h("p", {}, t("unlock_hint")), form);
}

// --- Home: what is on the device, and taking more offline --------------------------------

async function take(form) {
  const what = form.what.value;
  const params = new URLSearchParams({ what, device: form.device.value.trim() });
  if (what === "outreach") params.set("village", form.village.value.trim());
  let response;
  try {
    response = await fetch(CONFIG.bundle_url + "?" + params, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    say(t("take_needs_online"), "error");
    return;
  }
  if (response.status === 401) { say(t("signed_out"), "error"); return; }
  if (response.status === 403) { say(t("forbidden"), "error"); return; }
  if (response.status === 404) { say(t("not_found"), "error"); return; }
  if (!response.ok) { say(t("take_failed", { reason: response.status }), "error"); return; }
  const bundle = await response.json();
  const previous = await store.syncedUser();
  if (previous !== undefined && previous !== null && previous !== bundle.user) await store.dataClear();
  const name = what === "outreach" ? "outreach:" + bundle.village : what;
  await store.dataPut(name, bundle);
  await store.syncedNow(bundle.user);
  await store.devicePut(form.device.value.trim());
  say(t("taken", { count: bundle.items.length }));
}

async function home() {
  const names = await store.dataNames();
  const counts = {};
  for (const name of names) counts[name] = (await store.dataGet(name)).items.length;
  const outbox = await store.outboxCount();
  const links = [
    h("a", { role: "button", href: "#/cases", "data-go": "cases" },
      t("cases") + (counts.cases !== undefined ? " (" + counts.cases + ")" : "")),
    h("a", { role: "button", class: "secondary", href: "#/beneficiaries", "data-go": "beneficiaries" },
      t("beneficiaries") + (counts.beneficiaries !== undefined ? " (" + counts.beneficiaries + ")" : "")),
    ...names.filter((n) => n.startsWith("outreach:")).map((n) =>
      h("a", { role: "button", class: "secondary", href: "#/outreach/" + n.slice(9), "data-go": n },
        t("outreach") + " " + n.slice(9) + " (" + counts[n] + ")")),
    h("a", { role: "button", class: "secondary", href: "#/report", "data-go": "report" }, t("report_child")),
    h("a", { role: "button", class: "secondary", href: "#/sync", "data-go": "sync" },
      t("sync_title") + (outbox ? " (" + outbox + ")" : "")),
  ];
  const device = (await store.deviceGet()) || "";
  const form = h("form", { class: "field-form", id: "take-form", novalidate: true },
    h("fieldset", {},
      h("legend", {}, t("take_hint")),
      ...[["cases", "take_cases"], ["beneficiaries", "take_beneficiaries"], ["outreach", "take_outreach"]].map(
        ([value, key], index) => h("label", {},
          h("input", { type: "radio", name: "what", value, checked: index === 0 }), " ", t(key)))),
    field("village", t("village_code"), { inputmode: "decimal", autocomplete: "off" }, t("village_hint")),
    field("device", t("device_label"), { value: device, maxlength: "60", autocomplete: "off" }, t("device_hint")),
    h("button", { type: "submit", id: "take-button" }, t("take_button")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").setAttribute("aria-busy", "true");
    await take(form);
    await showStatus();
    route();
  });
  const actions = h("p", {},
    h("button", { type: "button", class: "secondary", id: "lock-button", onclick: () => { store.lock(); route(); } }, t("lock")),
    " ",
    h("button", {
      type: "button", class: "secondary outline", id: "erase-button",
      onclick: async () => {
        if (!window.confirm(t("erase_confirm"))) return;
        await store.wipe();
        say(t("erased"));
        await showStatus();
        route();
      },
    }, t("erase")));
  screen(
    h("h1", {}, t("home")),
    h("nav", { class: "field-menu", "aria-label": t("home") }, links),
    outbox ? h("p", { "data-outbox": outbox }, t("outbox", { count: outbox })) : null,
    h("h2", {}, t("take_title")),
    form,
    actions,
  );
}

// --- Recording offline and syncing ------------------------------------------------------

// after a form: the change is in the outbox; back to where it was made, which lists it
function saved(href) {
  return () => {
    say(t("saved_offline"));
    if (location.hash === href) route(); else location.hash = href;
  };
}

async function syncScreen() {
  screen(syncPage({
    outbox: await store.outboxList(),
    conflicts: await sync.conflicts(),
    log: await sync.list("sync:log"),
    sentAt: await store.sentAt(),
    online: navigator.onLine,
    cases: ((await store.dataGet("cases")) || { items: [] }).items,
  }, {
    sync: (progress, button) => runSync(progress, button),
    retry: async (item) => { await store.outboxPut({ ...item, status: "waiting", reason: "" }); route(); },
    discard: async (item) => {
      if (!window.confirm(t("discard_confirm"))) return;
      await store.outboxRemove(item.client_id);
      route();
    },
    resolve: async (conflict, choice) => {
      if (!navigator.onLine) { say(t("sync_offline"), "error"); route(); return; }
      try {
        const done = await sync.resolve(conflict, choice);
        say(done.ok ? t("conflict_settled") : t("conflict_refused", { reason: done.reason }), done.ok ? "info" : "error");
      } catch (error) {
        say(t("sync_stopped"), "error");
      }
      route();
    },
  }));
}

async function runSync(progress, button) {
  if (button) button.setAttribute("aria-busy", "true");
  const show = (r) => { if (progress) progress.textContent = t("sync_progress", { sent: r.sent, total: r.total }); };
  const result = await sync.sync(show);
  if (result.busy) return;
  if (result.offline) say(t("sync_stopped"), "error");
  else if (result.failed || result.conflicts) say(t("sync_done_problems", { failed: result.failed, conflicts: result.conflicts }), "error");
  else say(t("sync_done", { sent: result.sent }));
  await showStatus();
  // re-drawn where it shows the outbox; never under a form being filled in
  if (["#/sync", "#/", ""].includes(location.hash)) route();
}

// --- Routing ---------------------------------------------------------------------------

async function route() {
  if (!store.cryptoAvailable()) {
    screen(h("h1", {}, document.title), h("p", { class: "message message-warning" }, t("no_crypto")));
    return;
  }
  if (await store.wipeIfStale(CONFIG.wipe_days)) {
    say(t("expired_wiped", { days: CONFIG.wipe_days }), "error");
    await showStatus();
  }
  if (!(await store.hasPin())) return pinScreen();
  if (!store.isUnlocked()) return unlockScreen();
  const [, page, rawId, sub, subId] = (location.hash || "#/").split("/");
  const id = decodeURIComponent(rawId || "");
  const outbox = await store.outboxList();
  const find = (bundle, key) => bundle && bundle.items.find((item) => String(item.id) === String(key));
  if (page === "cases" && id && sub) {
    const c = find(await store.dataGet("cases"), id);
    const v = c && sub === "visits" && c.visits.find((visit) => String(visit.id) === subId);
    if (v) return screen(forms.visitEditForm(c, v, saved("#/cases/" + c.id)));
    const make = { visit: forms.visitForm, assessment: forms.assessmentForm, note: forms.noteForm, summary: forms.summaryForm, photo: forms.photoForm }[sub];
    if (c && make) return screen(make(c, saved("#/cases/" + c.id)));
  }
  if (page === "cases" && id) return screen(caseDetail(await store.dataGet("cases"), id, outbox));
  if (page === "cases") return screen(caseList(await store.dataGet("cases")));
  if (page === "beneficiaries" && id && sub === "visit") {
    const b = find(await store.dataGet("beneficiaries"), id);
    if (b) return screen(forms.facilitationForm(b, saved("#/beneficiaries")));
  }
  if (page === "beneficiaries") return screen(beneficiaryList(await store.dataGet("beneficiaries"), outbox));
  if (page === "outreach" && id && sub) {
    const p = find(await store.dataGet("outreach:" + id), decodeURIComponent(sub));
    const cases = (await store.dataGet("cases")) || { items: [] };
    if (p) return screen(forms.outreachForm(id, p, cases.items, saved("#/outreach/" + id)));
  }
  if (page === "outreach" && id) return screen(outreachList(await store.dataGet("outreach:" + id), outbox));
  if (page === "report") {
    const village = (await store.dataNames()).find((n) => n.startsWith("outreach:"));
    return screen(forms.reportForm(village ? village.slice(9) : "", saved("#/")));
  }
  if (page === "sync") return syncScreen();
  return home();
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(CONFIG.sw_url, { scope: CONFIG.scope, type: "classic" }).catch(() => {});
}
window.addEventListener("hashchange", route);
// opened online, or the connection is back: send what waits (the sync page shows how it went)
async function syncIfWaiting() {
  if (!navigator.onLine || !store.isUnlocked()) return;
  if ((await store.outboxList()).some((item) => item.status !== "failed")) {
    runSync(document.getElementById("sync-progress"), null);
  }
}

window.addEventListener("online", async () => {
  await showStatus();
  syncIfWaiting();
});
window.addEventListener("offline", showStatus);
showStatus();
route();
