// A client with some methods replaced (metered, cached). A plain object, not a Proxy: the runtime's
// resource bridge reads a resource's methods from its own property descriptors, which must be the
// replaced ones. Every other method of the client (own or inherited) is bound to the client, so
// private fields keep working; other properties are read through to it.
export const facade = <T extends object>(target: T, replaced: Record<string, unknown>): T => {
  const out: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(replaced)) {
    Object.defineProperty(out, name, { value: fn, enumerable: true })
  }
  let current: object | null = target
  while (current !== null && current !== Object.prototype && current !== Function.prototype) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (name === "constructor" || Object.hasOwn(out, name)) continue
      const descriptor = Object.getOwnPropertyDescriptor(current, name)!
      if (typeof descriptor.value === "function") {
        Object.defineProperty(out, name, {
          value: (descriptor.value as (...a: Array<unknown>) => unknown).bind(target),
          enumerable: descriptor.enumerable ?? false
        })
      } else {
        Object.defineProperty(out, name, {
          get: () => (target as Record<string, unknown>)[name],
          set: (value: unknown) => {
            ;(target as Record<string, unknown>)[name] = value
          },
          enumerable: descriptor.enumerable ?? false
        })
      }
    }
    current = Object.getPrototypeOf(current) as object | null
  }
  return out as T
}
