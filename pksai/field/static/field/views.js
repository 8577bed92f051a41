// The field app's pages, built from the decrypted bundles with DOM calls only (textContent:
// no data ever becomes markup). Words come from the shell's JSON (pksai/field/strings.py).

const STRINGS = JSON.parse(document.getElementById("field-strings").textContent);
const CONFIG = JSON.parse(document.getElementById("field-config").textContent);
const LANG = document.documentElement.lang || "id";
const LOCALE = LANG === "id" ? "id-ID" : "en-GB";

export function t(key, params = {}) {
  const text = STRINGS.words[key];
  if (text === undefined) return key;
  return text.replace(/%\((\w+)\)s/g, (_m, name) => String(params[name] ?? ""));
}

export function label(group, code) {
  return (STRINGS.labels[group] || {})[code] || code || "";
}

export function choices(group) {
  return Object.entries(STRINGS.labels[group] || {});
}

// h("p", {class: "x"}, "text", child) → an element
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// a day ("2026-12-20") as itself; an instant in the worker's zone, named (WIB, WITA, WIT)
export function day(iso) {
  if (!iso) return "";
  const options = { day: "numeric", month: "short", year: "numeric" };
  if (iso.length === 10) return new Date(iso + "T00:00:00Z").toLocaleDateString(LOCALE, { ...options, timeZone: "UTC" });
  return new Date(iso).toLocaleDateString(LOCALE, { ...options, timeZone: CONFIG.zone });
}

export function moment(ms) {
  return new Date(ms).toLocaleString(LOCALE, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: CONFIG.zone,
  }) + " " + CONFIG.zone_label;
}

function ageFrom(iso) {
  if (!iso) return "";
  const born = new Date(iso + "T00:00:00");
  const now = new Date();
  let age = now.getFullYear() - born.getFullYear();
  if (now.getMonth() < born.getMonth() || (now.getMonth() === born.getMonth() && now.getDate() < born.getDate())) age -= 1;
  return age;
}

function overdue(iso) {
  return Boolean(iso) && new Date(iso) < new Date();
}

function back(href) {
  return h("p", { class: "field-back" }, h("a", { href }, "← " + t("back")));
}

function fact(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

function empty(key) {
  return h("p", { class: "empty-state" }, t(key));
}

function stageTag(item) {
  const late = overdue(item.due);
  return h("span", { class: "field-tag " + (late ? "field-tag-overdue" : "field-tag-progress") },
    label("stage", item.stage) + (late ? " · " + t("overdue") : ""));
}

// a change still on the device: "waiting to send", or "failed" (the reason on the sync page)
export function pendingTag(item) {
  return h("span", { class: "field-tag " + (item.status === "failed" ? "field-tag-overdue" : "field-tag-waiting"),
    "data-pending": item.status }, t(item.status === "failed" ? "failed" : "waiting"));
}

// a queued photo's thumbnail, made from the bytes decrypted in memory (never kept in clear):
// its object URL is revoked as soon as the image has drawn
export function thumb(item) {
  if (item.kind !== "uploads") return null;
  const bytes = Uint8Array.from(atob(item.changes.data), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: item.changes.content_type }));
  const free = () => URL.revokeObjectURL(url);
  return h("img", { class: "field-thumb", src: url, alt: item.changes.title, width: 64, height: 64,
    "data-thumb": "", onload: free, onerror: free });
}

function pendingOf(outbox, kinds, id) {
  return (outbox || []).filter((item) => kinds.includes(item.kind) && String(item.case) === String(id));
}

export function caseList(bundle) {
  const items = bundle ? bundle.items : [];
  const section = h("section", { "aria-labelledby": "field-h1" },
    back("#/"), h("h1", { id: "field-h1" }, t("cases")));
  if (!items.length) return section.appendChild(empty("empty_cases")) && section;
  section.append(h("p", {}, t("records", { count: items.length })));
  section.append(h("ul", { class: "field-list", "data-list": "cases" }, items.map((c) =>
    h("li", {},
      h("a", { href: "#/cases/" + c.id }, h("strong", {}, c.child.name), " · ", c.number),
      h("span", { class: "field-meta" }, stageTag(c), c.due ? " " + t("due") + " " + day(c.due) : ""),
    ))));
  return section;
}

export function caseDetail(bundle, id, outbox) {
  const c = bundle && bundle.items.find((item) => String(item.id) === String(id));
  if (!c) return h("section", {}, back("#/cases"), h("p", { class: "empty-state" }, t("not_found")));
  const pending = pendingOf(outbox, ["visits", "assessments", "notes", "cases", "uploads"], c.id);
  const child = c.child.birth
    ? [c.child.name, " · ", label("sex", c.child.sex), " · ", t("age") + " " + ageFrom(c.child.birth)]
    : [c.child.name];
  const summary = h("div", { class: "summary-card field-summary" },
    h("p", {}, h("strong", {}, ...child)),
    h("p", {}, stageTag(c), c.restricted ? h("span", { class: "field-tag field-tag-overdue" }, t("restricted")) : null),
    h("dl", {},
      c.due ? fact(t("due"), day(c.due)) : [],
      fact(t("place"), c.place),
      c.child.birth ? fact(t("born"), day(c.child.birth)) : [],
      fact(t("concerns"), c.concerns.map((code) => label("concern", code)).join(", ")),
      c.summary ? fact(t("summary"), h("span", { "data-summary": "" }, c.summary)) : [],
    ));
  const go = (page, key, extra = "secondary") => h("a", { role: "button", class: extra, href: "#/cases/" + c.id + "/" + page, "data-form": page }, t(key));
  const actions = h("nav", { class: "field-menu field-actions", "aria-label": t("record") },
    go("visit", "new_visit", ""), go("assessment", "new_assessment"), go("note", "new_note"),
    go("photo", "new_photo"),
    "summary" in c ? go("summary", "edit_summary") : null);
  const waiting = pending.length ? h("section", {}, h("h2", {}, t("waiting_title")),
    h("ul", { class: "field-list", "data-list": "pending" }, pending.map((item) =>
      h("li", {}, thumb(item), pendingTag(item), item.label,
        item.kind === "cases" ? h("span", { class: "field-meta" }, item.changes.summary) : null)))) : null;
  const next = h("section", {}, h("h2", {}, t("next_step")),
    c.next ? h("p", {}, c.next.text, c.next.due ? " · " + t("due") + " " + day(c.next.due) : "")
      : h("p", {}, t("no_next_step")));
  const assessment = h("section", {}, h("h2", {}, t("assessment")),
    c.assessment
      ? h("p", {}, label("assessment", c.assessment.kind), " · ", t("risk"), ": ",
        label("risk", c.assessment.risk), " · ",
        c.assessment.done ? t("completed") + " " + day(c.assessment.done) : t("not_completed"))
      : h("p", {}, "—"));
  const guardians = h("section", {}, h("h2", {}, t("guardians")),
    c.guardians.length
      ? h("ul", {}, c.guardians.map((g) => h("li", {}, g.name, g.relation ? " (" + g.relation + ")" : "",
        g.phone ? [" · ", t("phone"), ": ", h("a", { href: "tel:" + g.phone }, g.phone)] : "")))
      : h("p", {}, "—"));
  const queued = pending.filter((item) => item.kind === "visits" && !item.record_id).map((item) => ({
    on: item.changes.visited_on, place: item.changes.place, seen: item.changes.seen, notes: item.changes.observations, item,
  }));
  const all = [...queued, ...c.visits];
  const visits = h("section", {}, h("h2", {}, t("visits")),
    all.length
      ? h("ul", { "data-list": "visits" }, all.map((v) => h("li", {}, v.item ? pendingTag(v.item) : null,
        h("strong", {}, day(v.on)), " · ", v.place,
        v.seen ? [" · ", t("seen"), ": ", v.seen] : "", v.notes ? h("p", {}, v.notes) : "",
        v.id && "summary" in c ? h("a", { href: "#/cases/" + c.id + "/visits/" + v.id, "data-form": "edit-visit" }, t("edit_visit")) : null)))
      : h("p", {}, t("no_visits")));
  return h("section", { "data-case": c.id }, back("#/cases"),
    h("h1", { id: "field-h1" }, t("case") + " " + c.number), summary, actions, waiting, next, assessment, guardians, visits);
}

export function beneficiaryList(bundle, outbox) {
  const items = bundle ? bundle.items : [];
  const section = h("section", {}, back("#/"), h("h1", { id: "field-h1" }, t("beneficiaries")));
  if (!items.length) return section.appendChild(empty("empty_beneficiaries")) && section;
  section.append(h("p", {}, t("records", { count: items.length })));
  section.append(h("ul", { class: "field-list", "data-list": "beneficiaries" }, items.map((b) =>
    h("li", {},
      h("strong", {}, b.name), " · ", b.program,
      h("span", { class: "field-meta" },
        b.place, b.address ? " · " + b.address : "", " · ",
        t("last_visit"), ": ", b.last_visit ? day(b.last_visit) : t("never"),
        " · ", t("visit_count"), ": ", String(b.visits)),
      pendingOf(outbox, ["facilitation-visits"], b.id).map(pendingTag),
      h("a", { href: "#/beneficiaries/" + b.id + "/visit", "data-form": "facilitation" }, t("new_facilitation")),
    ))));
  return section;
}

export function outreachList(bundle, outbox) {
  const items = bundle ? bundle.items : [];
  const section = h("section", {}, back("#/"),
    h("h1", { id: "field-h1" }, t("outreach") + (bundle ? " · " + (bundle.village_name || bundle.village) : "")));
  if (!items.length) return section.appendChild(empty("empty_outreach")) && section;
  section.append(h("ul", { class: "field-list", "data-list": "outreach" }, items.map((p) =>
    h("li", {},
      h("strong", {}, p.name), " · ", label("sex", p.sex), " · ", t("age") + " " + p.age,
      " ", h("span", { class: "field-tag risk-" + p.risk }, label("risk", p.risk)),
      h("span", { class: "field-meta" },
        p.head ? t("head") + ": " + p.head + " · " : "", p.address),
      p.why.length ? h("span", { class: "field-meta" }, t("why") + ": " + p.why.join("; ")) : "",
      p.outcome ? h("span", { class: "field-tag field-tag-progress" }, label("outcome", p.outcome)) : null,
      pendingOf(outbox, ["outreach-results"], p.id).map(pendingTag),
      h("a", { href: "#/outreach/" + bundle.village + "/" + p.id, "data-form": "outreach" }, t("record_outcome")),
    ))));
  return section;
}

function shown(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") {
    return value.rating !== undefined ? label("risk", value.rating) + (value.notes ? " · " + value.notes : "") : JSON.stringify(value);
  }
  return String(value);
}

// The sync page: what waits, what failed and why, the conflicts to choose, what was sent.
// act = {sync, retry(item), discard(item), resolve(conflict, choice)} from app.js.
export function syncPage({ outbox, conflicts, log, sentAt, online, cases }, act) {
  const numbers = Object.fromEntries((cases || []).map((c) => [c.id, c.number]));
  const waiting = outbox.filter((item) => item.status !== "failed");
  const failed = outbox.filter((item) => item.status === "failed");
  const progress = h("p", { id: "sync-progress", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", id: "sync-button", onclick: () => act.sync(progress, button) }, t("sync_now"));
  const queued = (item) => h("span", { class: "field-meta" }, t("queued_at", { time: moment(Date.parse(item.queued_at)) }));
  return h("section", {}, back("#/"), h("h1", { id: "field-h1" }, t("sync_title")),
    h("dl", { class: "field-summary field-counts" },
      fact(t("waiting"), h("span", { "data-waiting": waiting.length }, String(waiting.length))),
      fact(t("failed"), h("span", { "data-failed": failed.length }, String(failed.length))),
      fact(t("conflicts"), h("span", { "data-conflicts": conflicts.length }, String(conflicts.length))),
      fact(t("last_sync"), sentAt ? moment(sentAt) : t("never"))),
    online ? null : h("p", { class: "message message-warning" }, t("sync_offline")),
    h("p", {}, button), progress,
    h("h2", {}, t("waiting_title")),
    waiting.length ? h("ul", { class: "field-list", "data-list": "waiting" }, waiting.map((item) =>
      h("li", {}, thumb(item), pendingTag(item), item.label, queued(item)))) : empty("nothing_waiting"),
    failed.length ? [h("h2", {}, t("failed_title")), h("p", {}, t("failed_hint")),
      h("ul", { class: "field-list", "data-list": "failed" }, failed.map((item) =>
        h("li", {}, pendingTag(item), item.label, queued(item),
          h("span", { class: "field-meta field-error", "data-reason": "" }, item.reason),
          h("span", { class: "field-buttons" },
            h("button", { type: "button", class: "secondary", onclick: () => act.retry(item) }, t("try_again")),
            h("button", { type: "button", class: "secondary outline", onclick: () => act.discard(item) }, t("discard"))))))] : null,
    h("h2", { id: "conflicts" }, t("conflicts_title")),
    conflicts.length ? [h("p", {}, t("conflicts_hint")),
      h("ul", { class: "field-list", "data-list": "conflicts" }, conflicts.map((c) =>
        h("li", { "data-conflict": c.id },
          h("strong", {}, c.field_label), " · ", t("record_of", { kind: label("kind", c.kind), id: numbers[c.record] && c.kind === "cases" ? numbers[c.record] : c.record }),
          h("dl", { class: "field-summary" },
            fact(t("mine"), h("span", { "data-mine": "" }, shown(c.mine))),
            fact(t("theirs"), h("span", { "data-theirs": "" }, shown(c.theirs)))),
          h("span", { class: "field-buttons" },
            h("button", { type: "button", "data-choose": "mine", onclick: () => act.resolve(c, "mine") }, t("keep_mine")),
            h("button", { type: "button", class: "secondary", "data-choose": "theirs", onclick: () => act.resolve(c, "theirs") }, t("take_theirs"))))))]
      : empty("no_conflicts"),
    h("h2", {}, t("sent_title")),
    log.length ? h("ul", { class: "field-list", "data-list": "sent" }, log.slice(0, 20).map((entry) =>
      h("li", {}, h("span", { class: "field-tag " + (entry.status === "conflict" ? "field-tag-overdue" : "field-tag-progress") },
        t(entry.status === "conflict" ? "conflict" : "sent")), entry.label,
      h("span", { class: "field-meta" }, moment(entry.at))))) : empty("nothing_sent"));
}
