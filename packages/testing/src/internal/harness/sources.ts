// What the harness accepts from users — resource sources, task contexts, values or Promises or
// Effects — told apart and turned into Effects.
import { Fixture } from "@weft/fixtures"
import type { Runtime } from "@weft/runtime"
import { type Context, Effect, type Scope } from "effect"

export const isScopedEffect = (u: unknown): u is Effect.Effect<unknown, unknown, Scope.Scope> =>
  Effect.isEffect(u)

export const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

// Only a plain `{ acquire, release }` object is a recipe (a mock answers every property).
export const hasAcquire = (
  u: unknown
): u is { readonly acquire: () => unknown; readonly release: (a: unknown) => unknown } =>
  isPlainObject(u) &&
  !Fixture.isMock(u) &&
  Object.hasOwn(u, "acquire") &&
  Object.hasOwn(u, "release") &&
  typeof u.acquire === "function" &&
  typeof u.release === "function"

export const isTaskContext = (u: unknown): u is Runtime.TaskContext =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { nodeId?: unknown }).nodeId === "string" &&
  typeof (u as { executionId?: unknown }).executionId === "string" &&
  typeof (u as { attempt?: unknown }).attempt === "number"

export const fromMaybePromise = <A>(thunk: () => A | PromiseLike<A>): Effect.Effect<A, unknown> =>
  Effect.tryPromise({ try: async () => await thunk(), catch: (error) => error })

export const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function"

export const toEffect = (value: unknown): Effect.Effect<unknown, unknown> => {
  if (Effect.isEffect(value)) return value as Effect.Effect<unknown, unknown>
  if (isPromiseLike(value)) {
    return Effect.tryPromise({ try: () => value, catch: (error) => error })
  }
  return Effect.succeed(value)
}

export const bindFixture = (value: unknown, context: Context.Context<never>) => {
  if (typeof value !== "object" || value === null) return
  try {
    Fixture.bindContext(value, context)
  } catch {
    // not a @weft/fixtures fixture
  }
}
