// What a guest may call on a host object (the resource bridge). A guest calls functions only —
// data fields are never readable — and only those that are the object's own, or methods of its
// own classes: the walk up the prototype chain stops before Object.prototype, Function.prototype
// and Node's EventEmitter / stream prototypes, and a few names are never callable at all.
import { EventEmitter } from "node:events"
import { Duplex, Readable, Stream, Transform, Writable } from "node:stream"

type Method = (...args: ReadonlyArray<unknown>) => unknown

const stopAt: ReadonlySet<object> = new Set<object>([
  Object.prototype,
  Function.prototype,
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

/** The methods a guest may call on `target`, by name (an allowlist narrows them further). */
export const callableMethods = (
  target: unknown,
  allowed: ReadonlyArray<string> | undefined
): ReadonlyMap<string, Method> => {
  const out = new Map<string, Method>()
  if ((typeof target !== "object" && typeof target !== "function") || target === null) return out
  const only = allowed === undefined ? undefined : new Set(allowed)
  let current: object | null = target
  while (current !== null && !stopAt.has(current)) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (out.has(name) || forbidden(name) || (only !== undefined && !only.has(name))) continue
      // a getter is a data field as far as the guest is concerned: never invoked here
      const descriptor = Object.getOwnPropertyDescriptor(current, name)
      if (descriptor !== undefined && typeof descriptor.value === "function") {
        out.set(name, descriptor.value as Method)
      }
    }
    current = Object.getPrototypeOf(current) as object | null
  }
  return out
}
