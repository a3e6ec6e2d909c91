import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { SandboxError } from "../src/index.js"

describe("SandboxError", () => {
  it("recognises every sandbox error by _tag, also after a JSON round trip", () => {
    const errors: ReadonlyArray<SandboxError.SandboxError> = [
      new SandboxError.SandboxSyntaxError({ message: "Unexpected token", line: 2, label: "n1" }),
      new SandboxError.SandboxRuntimeError({
        name: "TypeError",
        message: "x is not a function",
        line: 1
      }),
      new SandboxError.SandboxTimeout({ timeout: 500, message: "ran too long" }),
      new SandboxError.SandboxMemoryLimit({ memoryBytes: 1024, message: "too much memory" }),
      new SandboxError.SandboxStackOverflow({ message: "stack overflow" }),
      new SandboxError.SandboxOutputTooLarge({ outputBytes: 10, size: 20, message: "too large" }),
      new SandboxError.SandboxHostCallFailed({
        function: "charge",
        message: "declined",
        cause: { _tag: "Declined" }
      }),
      new SandboxError.SandboxUnsupported({ feature: "require", message: "no require" }),
      new SandboxError.SandboxInvalidInput({ input: "a-b", message: "bad name" }),
      new SandboxError.SandboxSuspendedLimit({ maxSuspendedPerWorker: 2, message: "bound" })
    ]
    expect(errors.map((error) => error._tag)).toEqual(SandboxError.tags)
    for (const error of errors) {
      expect(SandboxError.isSandboxError(error)).toBe(true)
      const copy: unknown = JSON.parse(JSON.stringify(error))
      expect(SandboxError.isSandboxError(copy)).toBe(true)
      expect(copy).toMatchObject({ _tag: error._tag, message: error.message })
    }
  })

  it("does not mistake other errors for sandbox errors", () => {
    expect(SandboxError.isSandboxError(new Error("x"))).toBe(false)
    expect(SandboxError.isSandboxError({ _tag: "NodeTimeout" })).toBe(false)
    expect(SandboxError.isSandboxError(null)).toBe(false)
  })

  it("keeps the host error as the cause of SandboxHostCallFailed when encoded", () => {
    const error = new SandboxError.SandboxHostCallFailed({
      function: "charge",
      message: "charge() failed: slow down",
      cause: { _tag: "RateLimited", retryAfter: 250 },
      label: "pay",
      line: 3
    })
    expect(Schema.encodeUnknownSync(SandboxError.SandboxHostCallFailed)(error)).toEqual({
      _tag: "SandboxHostCallFailed",
      function: "charge",
      message: "charge() failed: slow down",
      cause: { _tag: "RateLimited", retryAfter: 250 },
      label: "pay",
      line: 3
    })
  })
})
