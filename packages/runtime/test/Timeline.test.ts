import { existsSync, mkdirSync } from "node:fs"
import path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { type Browser, chromium } from "playwright-core"
import { type ExecutionResult, Runtime, Timeline, type Trace } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

class PaymentDeclined {
  readonly _tag = "PaymentDeclined"
  constructor(readonly message: string) {}
}
class MailRejected {
  readonly _tag = "MailRejected"
  constructor(readonly message: string) {}
}

const retry = (maxAttempts: number) =>
  Policy.fixed({ delay: 200, maxAttempts }) as unknown as { readonly [k: string]: null }

// price → charge (fails twice, retried) → mail (fails, no retry) → receipt (skipped);
// price → refine (a loop of 3 iterations); price → audit (takes no time at all)
const checkout = workflow(
  "checkout",
  [
    task("price"),
    task("charge", { retry: retry(3) }),
    task("mail"),
    task("receipt"),
    task("refine"),
    task("audit")
  ],
  [
    connect("price", "cents", "charge", "cents"),
    connect("charge", "", "mail", "charge"),
    connect("mail", "", "receipt", "mail"),
    connect("price", "cents", "refine", "cents"),
    connect("refine", "n", "refine", "n"),
    connect("price", "cents", "audit", "cents")
  ],
  { failureMode: "continue" },
  [
    {
      id: "refining",
      nodes: ["refine"],
      maxIterations: 10,
      until: { kind: "converged", node: "refine", output: "n", tolerance: 0 },
      onMaxIterations: "fail"
    }
  ]
)

const runCheckout = Effect.gen(function* () {
  let charges = 0
  const fiber = yield* Effect.forkChild(
    Runtime.execute(
      checkout,
      {},
      {
        functions: {
          price: () => Effect.as(Effect.sleep(40), { cents: 999 }),
          charge: () =>
            Effect.flatMap(Effect.sleep(30), () =>
              ++charges < 3
                ? Effect.fail(new PaymentDeclined(`card declined (try ${charges})`))
                : Effect.succeed({ id: "ch_1" })
            ),
          mail: () =>
            Effect.flatMap(Effect.sleep(25), () =>
              Effect.fail(new MailRejected("422 <script>alert(1)</script>"))
            ),
          receipt: () => "sent",
          refine: (inputs: { readonly n?: number }) =>
            Effect.as(Effect.sleep(60), { n: Math.min((inputs.n ?? 0) + 1, 2) }),
          audit: () => "ok"
        }
      }
    )
  )
  yield* TestClock.adjust(5_000)
  return yield* Fiber.join(fiber)
}).pipe(Effect.provide([sandbox, TestClock.layer()]))

// two 50 ms tasks on a runtime that runs one attempt at a time: b queues behind a
const contention = Effect.gen(function* () {
  const runtime = Runtime.make({ concurrency: 1 })
  const fiber = yield* Effect.forkChild(
    runtime.execute(
      workflow("contention", [task("a"), task("b")]),
      {},
      {
        functions: {
          a: () => Effect.as(Effect.sleep(50), 1),
          b: () => Effect.as(Effect.sleep(50), 2)
        }
      }
    )
  )
  yield* TestClock.adjust(1_000)
  return yield* Fiber.join(fiber)
}).pipe(Effect.provide([sandbox, TestClock.layer()]))

// a node that waits 80 ms for another node's result inside its attempt
const waitTrace: ReadonlyArray<Trace.TraceEvent> = [
  { type: "execution-started", at: 1000, executionId: "w", workflowId: "waits" },
  {
    type: "node-started",
    at: 1000,
    executionId: "w",
    nodeId: "join",
    iteration: 1,
    attempt: 1
  },
  {
    type: "node-waiting",
    at: 1010,
    executionId: "w",
    nodeId: "join",
    waitingFor: "the result of node fetch"
  },
  { type: "node-resumed", at: 1090, executionId: "w", nodeId: "join", waited: 80 },
  {
    type: "node-succeeded",
    at: 1100,
    executionId: "w",
    nodeId: "join",
    iteration: 1,
    attempt: 1,
    duration: 100
  },
  {
    type: "execution-finished",
    at: 1100,
    executionId: "w",
    workflowId: "waits",
    status: "succeeded",
    duration: 100
  }
]
const waits = {
  id: "w",
  workflowId: "waits",
  status: "succeeded",
  outputs: { join: null },
  nodes: { join: { nodeId: "join", status: "succeeded", attempts: 1, iterations: 1 } },
  errors: [],
  handled: [],
  trace: waitTrace,
  startedAt: 1000,
  finishedAt: 1100,
  duration: 100,
  counts: { join: 1 }
} satisfies ExecutionResult.ExecutionResult

const kinds = (row: Timeline.Row | undefined) => row?.bars.map((bar) => bar.kind)

describe("Timeline", () => {
  let result: ExecutionResult.ExecutionResult
  let queued: ExecutionResult.ExecutionResult

  beforeAll(async () => {
    result = await Effect.runPromise(runCheckout)
    queued = await Effect.runPromise(contention)
  })

  it("draws every attempt and backoff on the execution's own time axis", () => {
    const rows = new Map(Timeline.rows(result).map((row) => [row.nodeId, row]))
    const charge = rows.get("charge")
    assert.deepStrictEqual(kinds(charge), ["retried", "backoff", "retried", "backoff", "succeeded"])
    // price takes 40 ms, each charge attempt 30 ms, each backoff 200 ms
    assert.deepStrictEqual(
      charge?.bars.map((bar) => [bar.start, bar.end]),
      [
        [40, 70],
        [70, 270],
        [270, 300],
        [300, 500],
        [500, 530]
      ]
    )
    assert.deepStrictEqual(
      charge?.bars.map((bar) => bar.label),
      [
        "attempt 1",
        "backoff before attempt 2 of 3",
        "attempt 2",
        "backoff before attempt 3 of 3",
        "attempt 3"
      ]
    )
    assert.strictEqual(charge?.bars[0]?.detail, "PaymentDeclined: card declined (try 1)")
  })

  it("labels loop iterations as iterations and marks skipped nodes", () => {
    const rows = new Map(Timeline.rows(result).map((row) => [row.nodeId, row]))
    const refine = rows.get("refine")
    assert.isTrue(refine?.loop)
    assert.deepStrictEqual(
      refine?.bars.map((bar) => bar.label),
      ["iteration 1", "iteration 2", "iteration 3"]
    )
    const receipt = rows.get("receipt")
    assert.strictEqual(receipt?.status, "skipped")
    assert.deepStrictEqual(kinds(receipt), ["skipped"])
    assert.match(receipt?.bars[0]?.detail ?? "", /mail/)
    assert.deepStrictEqual(kinds(rows.get("mail")), ["failed"])
    assert.deepStrictEqual(kinds(rows.get("audit")), ["succeeded"])
  })

  it("shows the time an attempt queued for a runtime permit before its bar", () => {
    const b = Timeline.rows(queued).find((row) => row.nodeId === "b")
    assert.deepStrictEqual(
      b?.bars.map((bar) => [bar.kind, bar.start, bar.end]),
      [
        ["queued", 0, 50],
        ["succeeded", 50, 100]
      ]
    )
    assert.strictEqual(b?.bars[0]?.label, "queued for attempt 1")
  })

  it("draws a wait inside an attempt over its bar, with what it waited for", () => {
    const join = Timeline.rows(waits)[0]
    assert.deepStrictEqual(
      join?.bars.map((bar) => [bar.kind, bar.start, bar.end, bar.label]),
      [
        ["waiting", 10, 90, "waiting for the result of node fetch"],
        ["succeeded", 0, 100, "attempt 1"]
      ]
    )
  })

  it("renders a self-contained page that escapes what the nodes said", () => {
    const html = Timeline.render([{ title: "Checkout <1>", result }], { title: "CI run 412" })
    assert.notMatch(html, /<script|<link|<img|https?:\/\//)
    assert.include(html, "422 &lt;script&gt;alert(1)&lt;/script&gt;")
    assert.include(html, "Checkout &lt;1&gt;")
    assert.include(html, "<title>CI run 412</title>")
    // a single result renders too, headed by its workflow id
    assert.include(Timeline.render(result), "<h2>checkout ")
  })

  describe("in a real headless browser (Debian chromium)", () => {
    const executablePath = process.env.WEFT_CHROMIUM ?? "/usr/bin/chromium"
    let browser: Browser
    let html: string

    beforeAll(async () => {
      if (!existsSync(executablePath))
        throw new Error(
          `no browser at ${executablePath}: install Debian's chromium (apt-get update && apt-get install -y chromium; .ci/run does) or set WEFT_CHROMIUM`
        )
      html = Timeline.render([
        { title: "Checkout", result },
        { title: "Contention", result: queued },
        { title: "Waits", result: waits }
      ])
      browser = await chromium.launch({
        executablePath,
        args: [
          "--no-sandbox",
          "--headless",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run"
        ]
      })
    }, 60_000)

    afterAll(async () => {
      await browser?.close()
    })

    it("renders without console errors or requests, one bar per attempt, the error on hover", async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 700 } })
      const problems: Array<string> = []
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning")
          problems.push(`console ${message.type()}: ${message.text()}`)
      })
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
      page.on("request", (request) => {
        if (!request.url().startsWith("data:") && request.url() !== "about:blank")
          problems.push(`request: ${request.url()}`)
      })
      await page.setContent(html, { waitUntil: "load" })

      for (const execution of [result, queued, waits])
        for (const [nodeId, node] of Object.entries(execution.nodes)) {
          const bars = page.locator(
            `section[data-execution-id="${execution.id}"] .row[data-node-id="${nodeId}"] .bar.attempt`
          )
          assert.strictEqual(await bars.count(), node.attempts, `attempt bars of ${nodeId}`)
          for (const box of await Promise.all((await bars.all()).map((bar) => bar.boundingBox())))
            assert.isAtLeast(box?.width ?? 0, 3, `${nodeId}: even an instant attempt stays visible`)
        }
      assert.strictEqual(await page.locator(".row[data-node-id='receipt'] .bar.skipped").count(), 1)
      assert.isTrue(await page.locator(".row[data-node-id='receipt'] .skip-label").isVisible())

      // the error shows once on the page (in the error list); an attempt's error on hover
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, without hidden tooltips
      const visible = await page.locator("body").innerText()
      assert.strictEqual(visible.split("422 <script>alert(1)</script>").length - 1, 1)
      const firstCharge = page.locator(".row[data-node-id='charge'] .bar.attempt").first()
      const tip = firstCharge.locator(".tip")
      assert.isFalse(await tip.isVisible())
      await firstCharge.hover()
      assert.isTrue(await tip.isVisible())
      assert.include(await tip.textContent(), "PaymentDeclined: card declined (try 1)")
      assert.include(await tip.textContent(), "charge · attempt 1 · failed, retried after 30 ms")

      const mail = page.locator(".row[data-node-id='mail'] .bar.attempt")
      await mail.hover()
      assert.include(
        await mail.locator(".tip").textContent(),
        "MailRejected: 422 <script>alert(1)</script>"
      )
      const tipBox = await mail.locator(".tip").boundingBox()
      assert.isAtMost(
        (tipBox?.x ?? 0) + (tipBox?.width ?? 0),
        1100,
        "the tooltip stays on the page"
      )

      const dir = path.resolve(import.meta.dirname, "../test-results")
      mkdirSync(dir, { recursive: true })
      await page.screenshot({ path: path.join(dir, "timeline.png"), fullPage: true })
      await page.close()
      assert.deepStrictEqual(problems, [])
    }, 60_000)
  })
})
