/**
 * Copies a value that must be plain JSON data, refusing anything that would not store and read back
 * equal. Private to the cache.
 *
 * The copy is what gets stored: every property is read once, through its descriptor, so a getter or a
 * proxy cannot hand the validator one value and the writer another.
 *
 * @module
 */

/** The deepest nesting of arrays and objects accepted, counting the outermost value as level 1. */
export const MAX_JSON_DEPTH = 64;

/**
 * A copy of `value` made of plain objects, arrays, strings, finite numbers (`-0` becomes `0`), booleans
 * and `null`.
 *
 * @throws {TypeError} Naming `path` for `undefined`, non-finite numbers, bigints, functions, symbols,
 * class instances (`Date`, `Map`…), accessor or non-enumerable properties, symbol keys, extra array
 * properties, empty array slots and circular references.
 * @throws {RangeError} When arrays and objects nest deeper than {@linkcode MAX_JSON_DEPTH} levels.
 */
export function copyJsonData(
  action: string,
  value: unknown,
  path: string,
  size: { bound: number } = { bound: 0 },
): unknown {
  return copy({ action, size, ancestors: new Set(), root: path, keys: [] }, value);
}

/** What one copy carries down the tree. */
interface Walk {
  action: string;
  /** Upper bound of the V8 serialization (what KV stores): 2 bytes per UTF-16 unit plus tags. */
  size: { bound: number };
  ancestors: Set<object>;
  /** The path of the value being copied: `root` then `keys`, formatted only for an error message. */
  root: string;
  keys: (string | number)[];
}

function pathOf({ root, keys }: Walk): string {
  return keys.reduce<string>(
    (path, key) => typeof key === "number" ? `${path}[${key}]` : propertyPath(path, key),
    root,
  );
}

function copy(walk: Walk, value: unknown): unknown {
  const { action, ancestors, size } = walk;
  switch (typeof value) {
    case "string":
      size.bound += 6 + 2 * value.length;
      return value;
    case "boolean":
      size.bound += 1;
      return value;
    case "number":
      size.bound += 9;
      if (Number.isFinite(value)) return value === 0 ? 0 : value;
      break;
    case "object": {
      size.bound += 16;
      if (value === null) return null;
      if (ancestors.has(value)) refuse(walk, "a circular reference");
      if (ancestors.size >= MAX_JSON_DEPTH) {
        throw new RangeError(
          `Cannot ${action}: expected at most ${MAX_JSON_DEPTH} levels of nested arrays and objects, found deeper nesting at ${
            pathOf(walk)
          }`,
        );
      }
      ancestors.add(value);
      const copied = Array.isArray(value) ? copyArray(walk, value) : copyObject(walk, value);
      ancestors.delete(value);
      return copied;
    }
  }
  return refuse(walk, describeValue(value));
}

function copyArray(walk: Walk, array: unknown[]) {
  const length = array.length;
  if (Reflect.ownKeys(array).length !== length + 1) {
    for (let index = 0; index < length; index++) {
      if (!Object.hasOwn(array, index)) refuse(walk, "an empty array slot", index);
    }
    refuse(walk, "an array with properties besides its items");
  }
  const result: unknown[] = new Array(length);
  for (let index = 0; index < length; index++) result[index] = copyProperty(walk, array, index);
  return result;
}

function copyObject(walk: Walk, object: object) {
  if (!isPlainObject(object)) refuse(walk, describeValue(object));
  const result: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === "symbol") refuse(walk, "an object with symbol-keyed properties");
    walk.size.bound += 6 + 2 * key.length;
    result[key] = copyProperty(walk, object, key);
  }
  return result;
}

/** A copy of an own, enumerable data property, read once through its descriptor. */
function copyProperty(walk: Walk, owner: object, key: string | number): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  if (descriptor === undefined) refuse(walk, "an empty array slot", key);
  if (!("value" in descriptor)) refuse(walk, "an accessor property (get/set)", key);
  if (!descriptor.enumerable) refuse(walk, "a non-enumerable property", key);
  walk.keys.push(key);
  const copied = copy(walk, descriptor.value);
  walk.keys.pop();
  return copied;
}

/** Throws naming the current path, or the path of its property `key`. */
function refuse(walk: Walk, found: string, key?: string | number): never {
  if (key !== undefined) walk.keys.push(key);
  throw new TypeError(
    `Cannot ${walk.action}: expected plain JSON data at ${pathOf(walk)}, found ${found}`,
  );
}

/** Whether `value` is an object literal (or has a `null` prototype), not a class instance or array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `path.key`, or `path["odd key"]` when the key is not an identifier. */
export function propertyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A short description of a value for error messages: `number NaN`, `string "x"`, `Date`, `array`. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "string":
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return "array";
      if (isPlainObject(value)) return "object";
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "" ? name : "object";
    }
    default:
      return typeof value;
  }
}
