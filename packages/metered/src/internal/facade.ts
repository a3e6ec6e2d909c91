// A client with some methods replaced (metered, cached): other members are read from the client,
// and its other methods stay bound to it, so clients with private fields keep working.
export const facade = <T extends object>(target: T, replaced: Record<string, unknown>): T =>
  new Proxy(target, {
    get: (object, property) => {
      if (typeof property === "string" && Object.hasOwn(replaced, property))
        return replaced[property]
      const value: unknown = Reflect.get(object, property)
      return typeof value === "function"
        ? (value as (...a: Array<unknown>) => unknown).bind(object)
        : value
    }
  })
