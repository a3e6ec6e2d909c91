// What a guest may call on a host object (the resource bridge). A guest calls functions only —
// data fields are never readable — and only those that are the object's own, or methods of its
// own classes: the walk up the prototype chain stops before Object.prototype, Function.prototype,
// JavaScript's built-in classes (a Map or an Array resource exposes none of `get`/`entries`/`join`,
// which would read its data), and Node's EventEmitter / stream prototypes; a few names are never
// callable at all.
import { EventEmitter } from "node:events"
import { Duplex, Readable, Stream, Transform, Writable } from "node:stream"
import { types } from "node:util"

type Method = (...args: ReadonlyArray<unknown>) => unknown

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object

const stopAt: ReadonlySet<object> = new Set<object>([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  WeakMap.prototype,
  WeakSet.prototype,
  Date.prototype,
  RegExp.prototype,
  Error.prototype,
  Promise.prototype,
  ArrayBuffer.prototype,
  typedArrayPrototype,
  String.prototype,
  Number.prototype,
  Boolean.prototype,
  EventEmitter.prototype,
  Stream.prototype,
  Readable.prototype,
  Writable.prototype,
  Duplex.prototype,
  Transform.prototype
])

const neverCallable: ReadonlySet<string> = new Set([
  "constructor",
  "valueOf",
  "toString",
  "toLocaleString",
  "toJSON",
  "then",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable"
])

const forbidden = (name: string): boolean =>
  neverCallable.has(name) || (name.startsWith("__") && name.endsWith("__"))

const declared = (target: object, name: string): boolean => {
  for (
    let at: object | null = target;
    at !== null;
    at = Object.getPrototypeOf(at) as object | null
  ) {
    if (Object.hasOwn(at, name)) return true
  }
  return false
}

/**
 * What a guest may call on a resource: `find(name)` gives the function to call (looked up through
 * the object itself at call time, so a recording proxy or a getter-free wrapper still sees the
 * call), `names` what to list in an error.
 */
export interface Callable {
  readonly find: (name: string) => Method | undefined
  readonly names: ReadonlyArray<string>
}

/** The methods a guest may call on `target` (an allowlist narrows them further). */
export const callableMethods = (
  target: unknown,
  allowed: ReadonlyArray<string> | undefined
): Callable => {
  if ((typeof target !== "object" && typeof target !== "function") || target === null) {
    return { find: () => undefined, names: [] }
  }
  const only = allowed === undefined ? undefined : new Set(allowed)
  const permitted = (name: string) => !forbidden(name) && (only === undefined || only.has(name))
  const lookup = (name: string): Method | undefined => {
    const value = Reflect.get(target, name) as unknown
    return typeof value === "function" ? (value as Method) : undefined
  }
  const names = new Set<string>()
  let current: object | null = target
  while (current !== null && !stopAt.has(current)) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (names.has(name) || !permitted(name)) continue
      // a getter is a data field as far as the guest is concerned: never invoked here
      const descriptor = Object.getOwnPropertyDescriptor(current, name)
      if (descriptor !== undefined && typeof descriptor.value === "function") names.add(name)
    }
    current = Object.getPrototypeOf(current) as object | null
  }
  // a proxy may also make methods up in its `get` trap (a mock that answers any method name):
  // those are callable, unless the name is declared on the chain and was not allowed above
  if (types.isProxy(target)) {
    return {
      find: (name) =>
        names.has(name) || (permitted(name) && !declared(target, name)) ? lookup(name) : undefined,
      names: [...names].sort()
    }
  }
  return {
    find: (name) => (names.has(name) ? lookup(name) : undefined),
    names: [...names].sort()
  }
}
