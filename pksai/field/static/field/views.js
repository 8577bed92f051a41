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

// h("p", {class: "x"}, "text", child) → an element
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
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

export function caseDetail(bundle, id) {
  const c = bundle && bundle.items.find((item) => String(item.id) === String(id));
  if (!c) return h("section", {}, back("#/cases"), h("p", { class: "empty-state" }, t("not_found")));
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
    ));
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
  const visits = h("section", {}, h("h2", {}, t("visits")),
    c.visits.length
      ? h("ul", {}, c.visits.map((v) => h("li", {}, h("strong", {}, day(v.on)), " · ", v.place,
        v.seen ? [" · ", t("seen"), ": ", v.seen] : "", v.notes ? h("p", {}, v.notes) : "")))
      : h("p", {}, t("no_visits")));
  return h("section", { "data-case": c.id }, back("#/cases"),
    h("h1", { id: "field-h1" }, t("case") + " " + c.number), summary, next, assessment, guardians, visits);
}

export function beneficiaryList(bundle) {
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
    ))));
  return section;
}

export function outreachList(bundle) {
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
    ))));
  return section;
}
