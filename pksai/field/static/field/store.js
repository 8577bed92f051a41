// The field app's encrypted store (decision 0032).
//
// IndexedDB database "pksai-field" with three object stores:
//   meta    plain settings that reveal nothing about a child: the PIN's salt, a verifier
//           (a known text encrypted with the key), failed PIN count, last sync, user id
//   data    one record per list taken offline ("cases", "beneficiaries", "outreach:CODE"),
//           each {iv, ct}: AES-GCM ciphertext of the JSON bundle, the name as additional data
//   outbox  queued changes made offline, each {iv, ct} keyed by its client_id (a UUID);
//           sent in queue order (seq) by sync.js
// The key is derived from the PIN with PBKDF2 (SHA-256, 310 000 rounds, 16-byte random salt),
// is not extractable and lives only in this module's memory: a reload locks the store.

export const DB_NAME = "pksai-field";
export const CACHE_PREFIX = "pksai-field-";
const VERSION = 1;
const ROUNDS = 310000;
const VERIFIER = "pksai-field-v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let key = null; // CryptoKey, never stored

export function cryptoAvailable() {
  return Boolean(globalThis.isSecureContext && globalThis.crypto && crypto.subtle && globalThis.indexedDB);
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const name of ["meta", "data", "outbox"]) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = work(tx.objectStore(store));
      let result;
      if (request) request.onsuccess = () => { result = request.result; };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const metaGet = (name) => run("meta", "readonly", (s) => s.get(name));
const metaPut = (name, value) => run("meta", "readwrite", (s) => s.put(value, name));

async function deriveKey(pin, salt) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: ROUNDS },
    material,
    { name: "AES-GCM", length: 256 },
    false, // not extractable
    ["encrypt", "decrypt"],
  );
}

async function seal(withKey, name, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(name) },
    withKey,
    encoder.encode(JSON.stringify(value)),
  );
  return { iv, ct };
}

async function open(withKey, name, sealed) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(name) },
    withKey,
    sealed.ct,
  );
  return JSON.parse(decoder.decode(plain));
}

export async function hasPin() {
  return Boolean(await metaGet("salt"));
}

export function isUnlocked() {
  return key !== null;
}

export function lock() {
  key = null;
}

export async function pinSet(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const newKey = await deriveKey(pin, salt);
  await metaPut("salt", salt);
  await metaPut("verifier", await seal(newKey, "verifier", VERIFIER));
  await metaPut("failed", 0);
  key = newKey;
}

// {ok: true} | {ok: false, left} | {wiped: true}
export async function unlock(pin, attempts) {
  const salt = await metaGet("salt");
  const verifier = await metaGet("verifier");
  const candidate = await deriveKey(pin, salt);
  try {
    if ((await open(candidate, "verifier", verifier)) !== VERIFIER) throw new Error("verifier");
  } catch (error) {
    const failed = ((await metaGet("failed")) || 0) + 1;
    if (failed >= attempts) {
      await wipe();
      return { wiped: true };
    }
    await metaPut("failed", failed);
    return { ok: false, left: attempts - failed };
  }
  await metaPut("failed", 0);
  key = candidate;
  return { ok: true };
}

function needKey() {
  if (!key) throw new Error("locked");
  return key;
}

export async function dataPut(name, bundle) {
  const sealed = await seal(needKey(), "data:" + name, bundle);
  await run("data", "readwrite", (s) => s.put(sealed, name));
}

export async function dataGet(name) {
  const sealed = await run("data", "readonly", (s) => s.get(name));
  return sealed ? open(needKey(), "data:" + name, sealed) : null;
}

export async function dataNames() {
  return (await run("data", "readonly", (s) => s.getAllKeys())) || [];
}

export async function dataClear() {
  await run("data", "readwrite", (s) => s.clear());
}

export async function devicePut(label) {
  await metaPut("device", label);
}

export function deviceGet() {
  return metaGet("device");
}

export async function syncedAt() {
  return metaGet("synced");
}

export async function syncedNow(user) {
  await metaPut("synced", Date.now());
  await metaPut("user", user);
}

export async function syncedUser() {
  return metaGet("user");
}

// The device outbox: a change made offline, kept encrypted until the sync sends it.
// change = {kind, record_id, base_version, base_values, changes, case?, label?}; returns the
// queued item (status "waiting"; "failed" with the server's reason after a refusal).
export async function outboxAdd(change) {
  for (const field of ["kind", "changes"]) {
    if (!change[field]) throw new Error("outbox: " + field + " missing");
  }
  const seq = ((await metaGet("seq")) || 0) + 1;
  await metaPut("seq", seq);
  const item = {
    client_id: crypto.randomUUID(),
    kind: change.kind,
    record_id: change.record_id ?? null,
    base_version: change.base_version ?? null,
    base_values: change.base_values || {},
    changes: change.changes,
    case: change.case ?? null, // the case (or beneficiary, person) it belongs to, for the lists
    label: change.label || "",
    queued_at: new Date().toISOString(),
    seq,
    status: "waiting",
    reason: "",
  };
  await outboxPut(item);
  return item;
}

export async function outboxPut(item) {
  const sealed = await seal(needKey(), "outbox:" + item.client_id, item);
  await run("outbox", "readwrite", (s) => s.put(sealed, item.client_id));
}

export async function outboxRemove(clientId) {
  await run("outbox", "readwrite", (s) => s.delete(clientId));
}

// in queue order (the keys are random UUIDs: order by the sequence number)
export async function outboxList() {
  const ids = (await run("outbox", "readonly", (s) => s.getAllKeys())) || [];
  const items = [];
  for (const id of ids) {
    const sealed = await run("outbox", "readonly", (s) => s.get(id));
    items.push(await open(needKey(), "outbox:" + id, sealed));
  }
  return items.sort((a, b) => (a.seq || 0) - (b.seq || 0));
}

export async function outboxCount() {
  return (await run("outbox", "readonly", (s) => s.count())) || 0;
}

// the last sync run that reached the server (also keeps the data from the stale wipe)
export function sentAt() {
  return metaGet("sent");
}

export async function sentNow() {
  await metaPut("sent", Date.now());
}

// Everything this app keeps: the database, and every cache it opened. Used on sign-out (by
// pksai/js/offline-wipe.js, which repeats these steps without importing this module), after
// too many wrong PINs, after PKSAI_FIELD_WIPE_DAYS without a sync, and by hand.
export async function wipe() {
  key = null;
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  if (globalThis.caches) {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && !name.startsWith(CACHE_PREFIX + "shell-")) {
        await caches.delete(name);
      }
    }
  }
}

// Wipe when the last sync is older than the configured days. Returns true when it wiped.
export async function wipeIfStale(days) {
  const synced = Math.max((await syncedAt()) || 0, (await sentAt()) || 0);
  if (synced && Date.now() - synced > days * 86400000) {
    await wipe();
    return true;
  }
  return false;
}
