// The forms a worker fills in offline (decision 0037). Each checks the server's own rules
// (required fields, no date in the future, a rating for every domain to complete an
// assessment, a case for "case opened"...) and puts one sealed change in the outbox; the
// server stays the judge when it is sent (its reason is shown on the sync page).
import * as store from "./store.js";
import { choices, h, t } from "./views.js";

const CONFIG = JSON.parse(document.getElementById("field-config").textContent);
const pad = (n) => String(n).padStart(2, "0");
const today = (d = new Date()) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
const clock = (d = new Date()) => pad(d.getHours()) + ":" + pad(d.getMinutes());
const SLACK = 10 * 60000; // as the server: a device clock a little ahead is not "the future"

function row(id, text, control, hint) {
  if (hint) control.setAttribute("aria-describedby", id + "-hint");
  return h("div", { class: "field-row" }, h("label", { for: id }, text),
    hint ? h("small", { id: id + "-hint" }, hint) : null, control,
    h("p", { class: "field-error", id: id + "-error" }));
}

const input = (id, attrs = {}) => h("input", { id, name: id, ...attrs });
const area = (id, value = "") => h("textarea", { id, name: id, rows: 3 }, value);
const select = (id, options) => h("select", { id, name: id },
  options.map(([value, text]) => h("option", { value }, text)));

function group(name, legend, options, type = "radio") {
  return h("fieldset", { id: name },
    h("legend", {}, legend),
    options.map(([value, text]) => h("label", {},
      h("input", { type, name, value }), " ", text)),
    h("p", { class: "field-error", id: name + "-error" }));
}

const text = (form, name) => (form.elements[name] ? form.elements[name].value.trim() : "");
const checked = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

function dateRule(errors, name, value, { min } = {}) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) errors[name] = t("need_date");
  else if (value > today()) errors[name] = t("future_date");
  else if (min && value < min) errors[name] = t("date_before", { date: min });
}

function required(errors, form, ...names) {
  for (const name of names) if (!text(form, name)) errors[name] = t("required");
}

// a page with a heading and the form; done(item) once the change is in the outbox
function page(id, title, backHref, rows, check, change, done) {
  // the error summary at the top of the form (GOV.UK pattern): what is wrong, a link to each
  // field, focused so a screen reader reads it and a phone scrolls to it
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", id: id + "-errors", hidden: true });
  const form = h("form", { class: "field-form", id, novalidate: true }, summary, rows,
    h("button", { type: "submit" }, t("save_offline")));
  const controlOf = (name) => {
    const control = form.querySelector("#" + CSS.escape(name));
    return control && control.matches("fieldset") ? control.querySelector("input") : control;
  };
  const labelOf = (name) => {
    const control = form.querySelector("#" + CSS.escape(name));
    const label = control && control.matches("fieldset")
      ? control.querySelector("legend") : form.querySelector(`label[for="${CSS.escape(name)}"]`);
    return label ? label.textContent.trim() : "";
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
    summary.hidden = true;
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const show = (errors) => {
      const names = Object.keys(errors);
      for (const name of names) {
        form.querySelector("#" + CSS.escape(name) + "-error").textContent = errors[name];
        const control = form.querySelector("#" + CSS.escape(name));
        if (control) control.setAttribute("aria-invalid", "true");
      }
      summary.replaceChildren(
        h("h2", {}, t("form_errors", { count: names.length })),
        h("ul", {}, names.map((name) => {
          const link = h("a", { href: "#" + name }, [labelOf(name), errors[name]].filter(Boolean).join(": "));
          link.addEventListener("click", (e) => { // not a route: the app's routes live in the hash
            e.preventDefault();
            const control = controlOf(name);
            if (control) control.focus();
          });
          return h("li", {}, link);
        })));
      summary.hidden = false;
      summary.focus();
    };
    const errors = check(form);
    if (Object.keys(errors).length) { show(errors); return; }
    const button = form.querySelector("button[type=submit]");
    button.setAttribute("aria-busy", "true");
    const made = await change(form); // {errors} when a check needs the work done (a photo's size)
    if (made.errors) { button.removeAttribute("aria-busy"); show(made.errors); return; }
    done(await store.outboxAdd(made));
  });
  return h("section", {}, h("p", { class: "field-back" }, h("a", { href: backHref }, "← " + t("back"))),
    h("h1", { id: "field-h1" }, title), form);
}

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition((p) => resolve(p.coords), () => resolve(null),
      { timeout: 15000, maximumAge: 60000, enableHighAccuracy: true });
  });
}

export function visitForm(c, done) {
  const rows = [
    row("visited_on", t("visit_date"), input("visited_on", { type: "date", value: today(), max: today(), required: true })),
    row("visit_time", t("visit_time"), input("visit_time", { type: "time", value: clock(), required: true })),
    row("place", t("place"), input("place", { value: c.place, required: true, maxlength: "200" })),
    row("seen", t("seen"), input("seen", { required: true, maxlength: "200" }), t("seen_hint")),
    row("observations", t("observations"), area("observations")),
    CONFIG.gps ? h("label", {}, h("input", { type: "checkbox", name: "gps", id: "gps" }), " ", t("gps")) : null,
  ];
  const check = (form) => {
    const errors = {};
    dateRule(errors, "visited_on", text(form, "visited_on"));
    if (!/^\d{2}:\d{2}$/.test(text(form, "visit_time"))) errors.visit_time = t("required");
    else if (!errors.visited_on && new Date(text(form, "visited_on") + "T" + text(form, "visit_time")) - Date.now() > SLACK) {
      errors.visit_time = t("future_time");
    }
    required(errors, form, "place", "seen", "observations");
    return errors;
  };
  const change = async (form) => {
    const changes = {
      case: c.id, visited_on: text(form, "visited_on"), place: text(form, "place"), seen: text(form, "seen"),
      observations: text(form, "observations"),
      recorded_at: new Date(text(form, "visited_on") + "T" + text(form, "visit_time")).toISOString(),
    };
    const where = form.elements.gps && form.elements.gps.checked ? await position() : null;
    if (where) Object.assign(changes, { latitude: where.latitude, longitude: where.longitude, accuracy_m: where.accuracy });
    return { kind: "visits", case: c.id, label: t("new_visit") + " · " + c.number, changes };
  };
  return page("visit-form", t("new_visit") + " · " + c.number, "#/cases/" + c.id, rows, check, change, done);
}

// a visit already on the server: its place and who was seen, changed on the version the
// device holds (only the changed fields travel, so another device's change to another field
// of the same visit also lands)
export function visitEditForm(c, v, done) {
  const rows = [
    row("place", t("place"), input("place", { value: v.place, required: true, maxlength: "200" })),
    row("seen", t("seen"), input("seen", { value: v.seen, required: true, maxlength: "200" })),
  ];
  const changed = (form) => ["place", "seen"].filter((name) => text(form, name) !== v[name]);
  const check = (form) => {
    const errors = {};
    required(errors, form, "place", "seen");
    if (!Object.keys(errors).length && !changed(form).length) errors.place = t("no_change");
    return errors;
  };
  const change = (form) => ({ kind: "visits", record_id: v.id, case: c.id, base_version: v.version,
    label: t("edit_visit") + " · " + c.number,
    base_values: Object.fromEntries(changed(form).map((name) => [name, v[name]])),
    changes: Object.fromEntries(changed(form).map((name) => [name, text(form, name)])) });
  return page("visit-edit-form", t("edit_visit") + " · " + c.number, "#/cases/" + c.id, rows, check, change, done);
}

export function assessmentForm(c, done) {
  const ratings = [["", "—"], ...choices("risk")];
  const rows = [
    row("kind", t("assessment_kind"), select("kind", choices("assessment"))),
    group("risk", t("risk"), choices("risk")),
    row("summary", t("summary"), area("summary")),
    h("fieldset", {}, h("legend", {}, t("domains")), choices("domain").map(([code, name]) => [
      row("rating-" + code, name, select("rating-" + code, ratings)),
      row("notes-" + code, t("domain_notes", { domain: name }), input("notes-" + code, { maxlength: "500" })),
    ])),
    h("label", {}, h("input", { type: "checkbox", name: "complete", id: "complete" }), " ", t("complete_assessment")),
  ];
  const check = (form) => {
    const errors = {};
    if (!checked(form, "risk").length) errors.risk = t("choose_risk");
    if (form.elements.complete.checked) {
      for (const [code] of choices("domain")) if (!text(form, "rating-" + code)) errors["rating-" + code] = t("rate_domain");
    }
    return errors;
  };
  const change = (form) => {
    const domains = {};
    for (const [code] of choices("domain")) {
      const rating = text(form, "rating-" + code), notes = text(form, "notes-" + code);
      if (rating || notes) domains[code] = { rating, notes };
    }
    return { kind: "assessments", case: c.id, label: t("new_assessment") + " · " + c.number,
      changes: { case: c.id, kind: text(form, "kind"), risk: checked(form, "risk")[0], summary: text(form, "summary"),
        domains, complete: form.elements.complete.checked } };
  };
  return page("assessment-form", t("new_assessment") + " · " + c.number, "#/cases/" + c.id, rows, check, change, done);
}

export function noteForm(c, done) {
  const check = (form) => { const errors = {}; required(errors, form, "text"); return errors; };
  const change = (form) => ({ kind: "notes", case: c.id, label: t("new_note") + " · " + c.number,
    changes: { case: c.id, text: text(form, "text") } });
  return page("note-form", t("new_note") + " · " + c.number, "#/cases/" + c.id,
    [row("text", t("note"), area("text"))], check, change, done);
}

// A photo of the case (issue 19): re-encoded on the device through a canvas as a JPEG of at
// most PHOTO_EDGE pixels (which also drops the camera's EXIF data, its location among them),
// refused above the shell's photo_max bytes, and queued sealed like every change: the bytes
// travel as base64 inside the encrypted item. sync.js sends it with the resumable upload.
const PHOTO_EDGE = 1600;

async function shrink(file) {
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch (error) { return null; }
  const scale = Math.min(1, PHOTO_EDGE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  canvas.width = canvas.height = 0;
  return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
}

export function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 32768) text += String.fromCharCode(...bytes.subarray(i, i + 32768));
  return btoa(text);
}

export function photoForm(c, done) {
  const rows = [
    row("photo", t("photo"), input("photo", { type: "file", accept: "image/*", capture: "environment", required: true }),
      t("photo_hint")),
    row("title", t("photo_title"), input("title", { required: true, maxlength: "200" })),
  ];
  const check = (form) => {
    const errors = {};
    if (!form.elements.photo.files.length) errors.photo = t("choose_photo");
    required(errors, form, "title");
    return errors;
  };
  const change = async (form) => {
    const bytes = await shrink(form.elements.photo.files[0]);
    if (!bytes) return { errors: { photo: t("photo_unreadable") } };
    if (bytes.length > CONFIG.photo_max) {
      return { errors: { photo: t("photo_too_big", { max: Math.round(CONFIG.photo_max / 104857.6) / 10 }) } };
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return { kind: "uploads", case: c.id, label: t("new_photo") + " · " + c.number,
      changes: { case: c.id, kind: "photo", title: text(form, "title"), filename: "foto-" + today() + ".jpg",
        content_type: "image/jpeg", size: bytes.length, data: toBase64(bytes),
        sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") } };
  };
  return page("photo-form", t("new_photo") + " · " + c.number, "#/cases/" + c.id, rows, check, change, done);
}

// the case's own text, changed on the version the device holds (a conflict if someone
// else changed it meanwhile)
export function summaryForm(c, done) {
  const check = (form) => {
    const errors = {};
    required(errors, form, "summary");
    if (!errors.summary && text(form, "summary") === (c.summary || "").trim()) errors.summary = t("no_change");
    return errors;
  };
  const change = (form) => ({ kind: "cases", record_id: c.id, case: c.id, base_version: c.version,
    base_values: { summary: c.summary }, label: t("edit_summary") + " · " + c.number,
    changes: { summary: text(form, "summary") } });
  return page("summary-form", t("edit_summary") + " · " + c.number, "#/cases/" + c.id,
    [row("summary", t("summary"), area("summary", c.summary || ""))], check, change, done);
}

export function facilitationForm(b, done) {
  const rows = [
    row("visited_on", t("visit_date"), input("visited_on", { type: "date", value: today(), max: today(), min: b.since || "" })),
    group("topics", t("topics"), choices("topic"), "checkbox"),
    row("notes", t("notes"), area("notes")),
  ];
  const check = (form) => {
    const errors = {};
    dateRule(errors, "visited_on", text(form, "visited_on"), { min: b.since });
    if (!checked(form, "topics").length) errors.topics = t("choose_topic");
    return errors;
  };
  const change = (form) => ({ kind: "facilitation-visits", case: b.id, label: t("new_facilitation") + " · " + b.name,
    changes: { beneficiary: b.id, visited_on: text(form, "visited_on"), topics: checked(form, "topics"), notes: text(form, "notes") } });
  return page("facilitation-form", t("new_facilitation") + " · " + b.name, "#/beneficiaries", rows, check, change, done);
}

export function outreachForm(village, p, cases, done) {
  const rows = [
    group("outcome", t("outcome"), choices("outcome")),
    row("visited_on", t("visit_date"), input("visited_on", { type: "date", value: today(), max: today() })),
    row("visit_time", t("visit_time"), input("visit_time", { type: "time", value: clock() })),
    row("case", t("case_opened"), select("case", [["", "—"], ...cases.map((c) => [String(c.id), c.number + " · " + c.child.name])]),
      t("case_opened_hint")),
    row("note", t("note"), area("note")),
  ];
  const check = (form) => {
    const errors = {};
    const outcome = checked(form, "outcome")[0];
    if (!outcome) errors.outcome = t("choose_outcome");
    dateRule(errors, "visited_on", text(form, "visited_on"));
    if (!/^\d{2}:\d{2}$/.test(text(form, "visit_time"))) errors.visit_time = t("required");
    else if (!errors.visited_on && new Date(text(form, "visited_on") + "T" + text(form, "visit_time")) - Date.now() > SLACK) {
      errors.visit_time = t("future_time");
    }
    if (outcome === "case_opened" && !text(form, "case")) errors.case = t("choose_case");
    if (outcome && outcome !== "case_opened" && text(form, "case")) errors.case = t("case_only_opened");
    return errors;
  };
  const change = (form) => ({ kind: "outreach-results", case: p.id, label: t("outcome") + " · " + p.name,
    changes: { person: p.id, outcome: checked(form, "outcome")[0], note: text(form, "note"),
      visited_at: new Date(text(form, "visited_on") + "T" + text(form, "visit_time")).toISOString(),
      case: text(form, "case") ? Number(text(form, "case")) : null } });
  return page("outreach-form", t("outcome") + " · " + p.name, "#/outreach/" + village, rows, check, change, done);
}

export function reportForm(village, done) {
  const rows = [
    row("area", t("village_code"), input("area", { value: village || "", inputmode: "decimal", autocomplete: "off" }), t("village_hint")),
    row("summary", t("report_summary"), area("summary"), t("report_summary_hint")),
    h("label", {}, h("input", { type: "checkbox", name: "anonymous", id: "anonymous" }), " ", t("reporter_anonymous")),
    row("reporter_name", t("reporter_name"), input("reporter_name", { maxlength: "200", autocomplete: "off" })),
    row("reporter_phone", t("phone"), input("reporter_phone", { type: "tel", maxlength: "40", autocomplete: "off" })),
  ];
  const check = (form) => {
    const errors = {};
    if (!/^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/.test(text(form, "area"))) errors.area = t("need_area");
    required(errors, form, "summary");
    if (text(form, "reporter_phone") && !/^\+?[\d\s-]{6,}$/.test(text(form, "reporter_phone"))) errors.reporter_phone = t("need_phone");
    return errors;
  };
  const change = (form) => {
    const anonymous = form.elements.anonymous.checked;
    return { kind: "intake-reports", label: t("report_child") + " · " + text(form, "area"),
      changes: { area: text(form, "area"), summary: text(form, "summary"), reporter_anonymous: anonymous,
        reporter_name: anonymous ? "" : text(form, "reporter_name"), reporter_phone: anonymous ? "" : text(form, "reporter_phone") } };
  };
  return page("report-form", t("report_child"), "#/", rows, check, change, done);
}
