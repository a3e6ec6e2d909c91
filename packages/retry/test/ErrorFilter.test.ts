import { describe, expect, it } from "@effect/vitest"
import { ErrorFilter } from "../src/index.js"

describe("ErrorFilter", () => {
  it("retries any retryable error when retryOn is absent", () => {
    const decide = ErrorFilter.make({})
    expect(decide(new Error("boom")).retry).toBe(true)
    expect(decide("a string").retry).toBe(true)
    expect(decide({ _tag: "Anything" }).retry).toBe(true)
  })

  it("retries only errors whose tags are listed in retryOn", () => {
    const decide = ErrorFilter.make({ retryOn: ["HttpError"] })
    expect(decide({ _tag: "HttpError" })).toEqual({
      retry: true,
      tags: ["HttpError"],
      retryAfter: undefined
    })
    expect(decide({ _tag: "ParseError" })).toEqual({
      retry: false,
      tags: ["ParseError"],
      reason: "not-listed"
    })
    expect(decide(new Error("untagged")).retry).toBe(false)
  })

  it("lets abortOn win over retryOn and over everything else", () => {
    const decide = ErrorFilter.make({ retryOn: ["Unauthorized"], abortOn: ["Unauthorized"] })
    expect(decide({ _tag: "Unauthorized" })).toMatchObject({ retry: false, reason: "aborted" })
  })

  it("never retries an error that says retryable: false, even when listed", () => {
    const decide = ErrorFilter.make({ retryOn: ["HttpError"] })
    expect(decide({ _tag: "HttpError", retryable: false })).toMatchObject({
      retry: false,
      reason: "not-retryable"
    })
  })

  it("decides by tags, so an error that went through JSON is treated the same", () => {
    const decide = ErrorFilter.make({ retryOn: ["RateLimited"] })
    const original = { _tag: "RateLimited", retryAfter: 1500, retryable: true }
    const crossed = JSON.parse(JSON.stringify(original))
    expect(decide(crossed)).toEqual(decide(original))
    expect(decide(crossed)).toMatchObject({ retry: true, retryAfter: 1500 })
  })

  it("adds tags from tagsOf and ANDs the predicate with the tag list", () => {
    type Wrapped = { readonly _tag: "HostCallFailed"; readonly cause: { readonly _tag: string } }
    const decide = ErrorFilter.make<Wrapped>(
      { retryOn: ["Timeout"] },
      { tagsOf: (e) => [e.cause._tag], retryOn: (_, tags) => !tags.includes("Permanent") }
    )
    expect(decide({ _tag: "HostCallFailed", cause: { _tag: "Timeout" } })).toMatchObject({
      retry: true,
      tags: ["HostCallFailed", "Timeout"]
    })
    expect(decide({ _tag: "HostCallFailed", cause: { _tag: "Other" } }).retry).toBe(false)
  })

  it("lets a retryOn tag list in the options replace the policy's list", () => {
    const decide = ErrorFilter.make({ retryOn: ["HttpError"] }, { retryOn: ["Timeout"] })
    expect(decide({ _tag: "Timeout" }).retry).toBe(true)
    expect(decide({ _tag: "HttpError" }).retry).toBe(false)
  })

  it("retries AttemptTimedOut even when retryOn does not list it, unless abortOn does", () => {
    expect(ErrorFilter.make({ retryOn: ["HttpError"] })({ _tag: "AttemptTimedOut" }).retry).toBe(
      true
    )
    expect(
      ErrorFilter.make({ abortOn: ["AttemptTimedOut"] })({ _tag: "AttemptTimedOut" }).retry
    ).toBe(false)
  })

  it("ignores unusable retryAfter hints", () => {
    expect(ErrorFilter.retryAfterOf({ retryAfter: -1 })).toBeUndefined()
    expect(ErrorFilter.retryAfterOf({ retryAfter: Number.NaN })).toBeUndefined()
    expect(ErrorFilter.retryAfterOf({ retryAfter: "10" })).toBeUndefined()
    expect(ErrorFilter.retryAfterOf({ retryAfter: 0 })).toBe(0)
  })
})
