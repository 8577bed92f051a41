// Sending the outbox to the field API (decision 0037). One run sends the waiting changes in
// queue order: a create is POSTed with its client_id (a retry after a lost answer returns the
// same record), an edit is PATCHed with the version it was based on and the values as loaded
// (the server merges field by field). 200/201: the change leaves the outbox and the local copy
// takes the server's record. A network error or a 5xx stops the run (the rest stays queued);
// a 4xx refusal stays in the outbox as "failed" with the server's reason; a conflicting field
// lands in the conflict inbox, which is the server's (/field/conflicts/, also on the web).
import * as store from "./store.js";

const API = "/api/v1/field/";
const LOG = "sync:log";
const CONFLICTS = "sync:conflicts";
const LOG_KEEP = 100;
let running = false;

class Offline extends Error {}

function csrf() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return found ? decodeURIComponent(found.slice(10)) : "";
}

// offset given: body is a chunk of bytes sent raw at that offset (the resumable upload)
async function call(method, path, body, offset) {
  const raw = offset !== undefined;
  let response;
  try {
    response = await fetch(API + path, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": csrf(),
        ...(raw ? { "Content-Type": "application/octet-stream", "Upload-Offset": String(offset) }
          : { "Content-Type": "application/json" }) },
      body: raw ? body : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Offline(String(error));
  }
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (response.status >= 500 || response.status === 401) throw new Offline(String(response.status));
  return { status: response.status, data };
}

// the server's reason, in the worker's language: detail and each invalid field's messages
export function reason(data, status) {
  if (!data) return "HTTP " + status;
  const parts = [].concat(data.detail || []);
  for (const [name, messages] of Object.entries(data.errors || {})) {
    parts.push((name === "__all__" ? "" : name + ": ") + [].concat(messages).map((m) => m.msg || m).join(" "));
  }
  return parts.join(" ") || "HTTP " + status;
}

export async function list(name) {
  const bundle = await store.dataGet(name);
  return bundle ? bundle.items : [];
}

async function keep(name, items) {
  await store.dataPut(name, { items });
}

async function logSent(item, record, status) {
  const log = await list(LOG);
  log.unshift({ client_id: item.client_id, kind: item.kind, label: item.label, id: record && record.id,
    status, at: Date.now() });
  await keep(LOG, log.slice(0, LOG_KEEP));
}

// The server's record replaces the device's copy in the lists taken offline.
export async function applyLocal(kind, record) {
  if (kind === "cases" || kind === "visits" || kind === "assessments") {
    const bundle = await store.dataGet("cases");
    const c = bundle && bundle.items.find((x) => x.id === (kind === "cases" ? record.id : record.case));
    if (!c) return;
    if (kind === "cases") Object.assign(c, { summary: record.summary, version: record.version });
    const known = kind === "visits" && c.visits.find((v) => v.id === record.id);
    if (known) Object.assign(known, { version: record.version, place: record.place, seen: record.seen });
    else if (kind === "visits") {
      c.visits.unshift({ id: record.id, version: record.version, on: record.visited_on, place: record.place,
        seen: record.seen, notes: record.observations });
      c.visits.sort((a, b) => (a.on < b.on ? 1 : -1));
      c.visits = c.visits.slice(0, 3);
    }
    if (kind === "assessments") c.assessment = { kind: record.kind, risk: record.risk, done: record.completed_at };
    await store.dataPut("cases", bundle);
  } else if (kind === "facilitation-visits") {
    const bundle = await store.dataGet("beneficiaries");
    const b = bundle && bundle.items.find((x) => x.id === record.beneficiary);
    if (!b) return;
    b.visits += 1;
    if (!b.last_visit || b.last_visit < record.visited_on) b.last_visit = record.visited_on;
    await store.dataPut("beneficiaries", bundle);
  } else if (kind === "outreach-results") {
    const name = "outreach:" + record.village;
    const bundle = await store.dataGet(name);
    const p = bundle && bundle.items.find((x) => x.id === record.person);
    if (!p) return;
    p.outcome = record.outcome;
    await store.dataPut(name, bundle);
  }
}

// A photo: start the upload with the item's client_id (a retry gets the same upload and
// where it stands), then the chunks from the server's offset. A chunk whose connection
// breaks, or a 409 (another offset), asks the server for its offset and goes on from there;
// after three such tries in a row the run stops (Offline) and the next one resumes.
const CHUNK = 256 * 1024;

async function sendUpload(item) {
  const { data, ...meta } = item.changes;
  const started = await call("POST", "uploads/", { client_id: item.client_id, ...meta });
  if (started.status !== 200 && started.status !== 201) return started;
  let upload = started.data;
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  let tries = 0;
  while (!upload.complete) {
    let answer = null;
    try {
      answer = await call("PATCH", "uploads/" + upload.id + "/", bytes.subarray(upload.offset, upload.offset + CHUNK), upload.offset);
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
    }
    if (answer && answer.status === 200) { upload = answer.data; tries = 0; continue; }
    if (answer && answer.status !== 409) return answer; // refused (a checksum that does not match...)
    if (++tries > 3) throw new Offline("upload");
    const where = await call("GET", "uploads/" + upload.id + "/");
    if (where.status !== 200) return where;
    upload = where.data;
  }
  return { status: 201, data: upload.attachment };
}

async function send(item) {
  if (item.kind === "uploads") return sendUpload(item);
  if (item.record_id) {
    return call("PATCH", item.kind + "/" + item.record_id + "/",
      { version: item.base_version, changes: item.changes, base: item.base_values });
  }
  return call("POST", item.kind + "/", { client_id: item.client_id, ...item.changes });
}

// The server's open conflicts (mine; a supervisor's team's) become the device's inbox.
export async function pullConflicts() {
  const answer = await call("GET", "conflicts/?limit=500");
  if (answer.status === 200) await keep(CONFLICTS, answer.data);
  return answer.status === 200;
}

// One run. progress({sent, total}) after each answer. Returns {sent, failed, conflicts,
// total, offline, busy}.
export async function sync(progress = () => {}) {
  if (running) return { busy: true };
  running = true;
  const result = { sent: 0, failed: 0, conflicts: 0, total: 0, offline: false };
  try {
    if (!navigator.onLine) return { ...result, offline: true };
    const waiting = (await store.outboxList()).filter((item) => item.status !== "failed");
    result.total = waiting.length;
    progress(result);
    for (const item of waiting) {
      const { status, data } = await send(item);
      const record = data && data.record ? data.record : data;
      const conflicts = (data && data.conflicts) || [];
      if (status === 200 || status === 201 || (status === 409 && data && data.record)) {
        await store.outboxRemove(item.client_id);
        await applyLocal(item.kind, record);
        await logSent(item, record, conflicts.length ? "conflict" : "sent");
        result.conflicts += conflicts.length;
      } else {
        await store.outboxPut({ ...item, status: "failed", reason: reason(data, status) });
        result.failed += 1;
      }
      result.sent += 1;
      progress(result);
    }
    await pullConflicts();
    await store.sentNow();
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    result.offline = true;
  } finally {
    running = false;
  }
  return result;
}

export function conflicts() {
  return list(CONFLICTS);
}

// Settle a conflict here as on the web inbox: "mine" applies the device's value, "theirs"
// keeps the server's; both against the record's current version. Needs a connection.
export async function resolve(conflict, choice) {
  const current = await call("GET", conflict.kind + "/" + conflict.record + "/");
  if (current.status !== 200) return { ok: false, reason: reason(current.data, current.status) };
  const answer = await call("POST", "conflicts/" + conflict.id + "/resolve/",
    { choice, version: current.data.version });
  if (answer.status !== 200) return { ok: false, reason: reason(answer.data, answer.status) };
  const after = await call("GET", conflict.kind + "/" + conflict.record + "/");
  if (after.status === 200) await applyLocal(conflict.kind, after.data);
  await keep(CONFLICTS, (await conflicts()).filter((c) => c.id !== conflict.id));
  return { ok: true };
}

export { Offline };
