/**
 * Process-wide patches, installed and uninstalled in pairs. hmr-run replaces a few
 * properties of objects it does not own (`http.Server.prototype.listen`, `Worker`,
 * `fs.readFileSync`, `process.on`, ...). Each `patch()` returns its undo; a property
 * patched by several users (apps started one after another by hmr-run/testing) is
 * patched once and put back when its last user is done, so a stopped app leaves the
 * process as it found it. The patched functions themselves stay valid after that: a
 * module may hold one already (`const { readFileSync } = require("fs")`), and it goes on
 * calling the original.
 */

interface Entry {
  /** The own property as it was before the first user patched it; undefined when there was none. */
  original: PropertyDescriptor | undefined;
  patched: PropertyDescriptor;
  users: number;
  /** A label for the test helper that lists what is still patched. */
  name: string;
}

type Registry = Map<object, Map<PropertyKey, Entry>>;
const KEY = Symbol.for("hmr-run.patches");
// Shared by every copy of hmr-run loaded in the process (a global install and the app's own).
const registry: Registry = ((globalThis as Record<symbol, unknown>)[KEY] as Registry | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[KEY] = registry;

/** Replaces the function at `obj[key]` with `make(original)`; returns the undo. */
export function patch<T>(obj: object, key: PropertyKey, name: string, make: (original: T) => T): () => void {
  return patchProperty(obj, key, name, (d) => {
    const value = d?.value !== undefined ? d.value : d?.get ? d.get.call(obj) : undefined;
    return { value: make(value as T), writable: true, configurable: true, enumerable: d?.enumerable ?? false };
  });
}

/** Replaces the property descriptor at `obj[key]` with `make(original descriptor)`; returns the undo. */
export function patchProperty(obj: object, key: PropertyKey, name: string, make: (original: PropertyDescriptor | undefined) => PropertyDescriptor): () => void {
  let forObj = registry.get(obj);
  if (!forObj) registry.set(obj, (forObj = new Map()));
  let entry = forObj.get(key);
  if (!entry) {
    // An inherited property (a method of a prototype) is patched on `obj` itself and deleted again on undo.
    const original = Object.getOwnPropertyDescriptor(obj, key);
    const patched = make(original ?? inherited(obj, key));
    define(obj, key, patched, original);
    entry = { original, patched, users: 0, name };
    forObj.set(key, entry);
  }
  entry.users++;
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (--entry.users > 0) return;
    forObj.delete(key);
    if (!forObj.size) registry.delete(obj);
    // Someone patched over ours since: theirs stays, and ours under it goes on calling the original.
    if (!samePatch(Object.getOwnPropertyDescriptor(obj, key), entry.patched)) return;
    if (entry.original) define(obj, key, entry.original, entry.patched);
    else delete (obj as Record<PropertyKey, unknown>)[key];
  };
}

/** What is patched now, as `name` labels; empty once every app in this process has stopped. */
export function patchedNow(): string[] {
  const out: string[] = [];
  for (const forObj of registry.values()) for (const e of forObj.values()) out.push(e.name);
  return out;
}

/**
 * Sets a property. Some are writable but not configurable (`Bun.file`): those are
 * assigned, which is all they allow; the rest are defined.
 */
function define(obj: object, key: PropertyKey, next: PropertyDescriptor, now: PropertyDescriptor | undefined): void {
  if (now && now.configurable === false && now.writable && "value" in next) {
    (obj as Record<PropertyKey, unknown>)[key] = next.value;
    return;
  }
  Object.defineProperty(obj, key, next);
}

function inherited(obj: object, key: PropertyKey): PropertyDescriptor | undefined {
  for (let p = Object.getPrototypeOf(obj); p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, key);
    if (d) return d;
  }
  return undefined;
}

function samePatch(a: PropertyDescriptor | undefined, b: PropertyDescriptor): boolean {
  return !!a && a.value === b.value && a.get === b.get && a.set === b.set;
}
