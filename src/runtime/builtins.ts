/**
 * The builtins hmr-run relies on, as they were when hmr-run loaded, before any user code.
 * An app may replace one (`Array.prototype.includes = () => false`, a polyfill, a test
 * double): every `.includes` in hmr-run's own code would then answer the app's way, and
 * a reload could skip serving the entry and still be reported as run. The few decisions
 * that must be right (which modules ran, whether the entry is served, the check that the
 * reload really happened) use the helpers here: plain loops and `===`, no method a user
 * can reach. The rest of hmr-run is not written this way; `replacedBuiltins` names what
 * the app changed, so the log can say why a reload could not be verified.
 */

/** `list` contains `x` (`===`), whatever `Array.prototype` holds now. */
export function has<T>(list: ArrayLike<T>, x: T): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === x) return true;
  return false;
}

/** Appends `x` to `list` without `Array.prototype.push`. */
export function append<T>(list: T[], x: T): void {
  list[list.length] = x;
}

/**
 * A dictionary keyed by string with no prototype: reading and writing it calls no
 * method (`Map.prototype.get` may have been replaced), and no key reaches
 * `Object.prototype` (`__proto__`, `constructor`).
 */
export type Dict<T> = { [key: string]: T | undefined };

const createObject = Object.create;
export function dict<T>(): Dict<T> {
  return createObject(null) as Dict<T>;
}

const getOwn = Object.getOwnPropertyDescriptor;
const OwnArray = Array;
const OwnString = String;
const OwnRegExp = RegExp;
const OwnObject = Object;
const OwnFunction = Function;
const OwnMap = Map;
const OwnSet = Set;
const OwnPromise = Promise;
const OwnJSON = JSON;
const OwnReflect = Reflect;

/** A builtin the app may replace, read each time through `where`. */
interface Watched {
  name: string;
  where: () => unknown;
  key: PropertyKey;
  original: unknown;
}

/** `key` of `where()` as an own data property, without running a getter the app defined. */
function own(where: () => unknown, key: PropertyKey): unknown {
  try {
    const d = getOwn(where(), key);
    return d ? ("value" in d ? d.value : d.get) : undefined;
  } catch {
    return undefined; // A global replaced by a primitive: reported as replaced.
  }
}

const watched: Watched[] = [];
function watch(name: string, where: () => unknown, keys: PropertyKey[]): void {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const label = typeof key === "symbol" ? `${name}[${key.description}]` : `${name}.${key}`;
    append(watched, { name: label, where, key, original: own(where, key) });
  }
}

// What hmr-run's reload path calls on the app's realm: arrays, maps, sets, strings,
// promises and JSON, and the globals its `new Map()` and `Promise.race` look up by name.
const G = globalThis as unknown as Record<string, unknown>;
watch("globalThis", () => G, ["Array", "Map", "Set", "Promise", "JSON", "Object", "Reflect", "String", "RegExp"]);
watch("Array.prototype", () => OwnArray.prototype, [
  "includes", "indexOf", "some", "every", "find", "filter", "map", "forEach", "push", "pop", "shift",
  "slice", "splice", "sort", "reverse", "join", "concat", "flat", "flatMap", "keys", "values", "entries", Symbol.iterator,
]);
watch("Map.prototype", () => OwnMap.prototype, ["get", "set", "has", "delete", "clear", "keys", "values", "entries", "forEach", Symbol.iterator]);
watch("Set.prototype", () => OwnSet.prototype, ["has", "add", "delete", "clear", "keys", "values", "entries", "forEach", Symbol.iterator]);
watch("String.prototype", () => OwnString.prototype, ["includes", "startsWith", "endsWith", "indexOf", "lastIndexOf", "slice", "split", "replace", "trim", "padStart", "repeat", "toLowerCase", "match", "matchAll"]);
watch("RegExp.prototype", () => OwnRegExp.prototype, ["test", "exec", Symbol.replace, Symbol.split, Symbol.match, Symbol.matchAll]);
watch("Promise", () => OwnPromise, ["resolve", "reject", "race", "all"]);
watch("Promise.prototype", () => OwnPromise.prototype, ["then", "catch", "finally"]);
watch("JSON", () => OwnJSON, ["parse", "stringify"]);
watch("Object", () => OwnObject, ["keys", "entries", "assign", "is", "fromEntries", "getPrototypeOf", "defineProperty"]);
watch("Reflect", () => OwnReflect, ["apply"]);
watch("Function.prototype", () => OwnFunction.prototype, ["call", "apply", "bind"]);

/** The builtins of the list above that differ now from what they were when hmr-run loaded. */
export function replacedBuiltins(): string[] {
  const out: string[] = [];
  for (let i = 0; i < watched.length; i++) {
    const w = watched[i]!;
    if (own(w.where, w.key) !== w.original) append(out, w.name);
  }
  return out;
}

/** `names` joined with commas, without `Array.prototype.join`. */
export function listed(names: ArrayLike<string>): string {
  let out = "";
  for (let i = 0; i < names.length; i++) out += (i ? ", " : "") + names[i];
  return out;
}

const told = dict<true>();

/** The builtins replaced since hmr-run loaded that this function has not returned before: each is named once. */
export function newlyReplacedBuiltins(): string[] {
  const out: string[] = [];
  for (let i = 0; i < watched.length; i++) {
    const w = watched[i]!;
    if (told[w.name] || own(w.where, w.key) === w.original) continue;
    told[w.name] = true;
    append(out, w.name);
  }
  return out;
}
