/**
 * Checks that a value is plain JSON data, so that storing it as JSON text and parsing it back gives an
 * equal value. Private to the cache.
 *
 * @module
 */

/**
 * Throws a `TypeError` naming `path` when `value` is not plain JSON data: `undefined`, non-finite
 * numbers, bigints, functions, symbols, class instances (`Date`, `Map`…), symbol-keyed properties,
 * empty array slots and circular references are all refused. `-0` is accepted and reads back as `0`.
 */
export function assertJsonData(action: string, value: unknown, path: string): void {
  checkValue(action, value, path, new Set());
}

function checkValue(action: string, value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (Number.isFinite(value)) return;
      break;
    case "object": {
      if (value === null) return;
      if (ancestors.has(value)) refuse(action, path, "a circular reference");
      ancestors.add(value);
      if (Array.isArray(value)) checkArray(action, value, path, ancestors);
      else checkObject(action, value, path, ancestors);
      ancestors.delete(value);
      return;
    }
  }
  refuse(action, path, describeValue(value));
}

function checkArray(action: string, array: unknown[], path: string, ancestors: Set<object>): void {
  for (let index = 0; index < array.length; index++) {
    const itemPath = `${path}[${index}]`;
    if (!(index in array)) refuse(action, itemPath, "an empty array slot");
    checkValue(action, array[index], itemPath, ancestors);
  }
}

function checkObject(action: string, object: object, path: string, ancestors: Set<object>): void {
  if (!isPlainObject(object)) refuse(action, path, describeValue(object));
  if (Object.getOwnPropertySymbols(object).length > 0) {
    refuse(action, path, "an object with symbol-keyed properties");
  }
  for (const [key, item] of Object.entries(object)) {
    checkValue(action, item, propertyPath(path, key), ancestors);
  }
}

function refuse(action: string, path: string, found: string): never {
  throw new TypeError(`Cannot ${action}: expected plain JSON data at ${path}, found ${found}`);
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
