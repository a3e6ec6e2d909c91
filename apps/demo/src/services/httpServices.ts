// The demo's outside world, served for real on 127.0.0.1 (an ephemeral port): a payments API
// that answers 503 to its first calls, a mail API, and an ops API (metrics + alerts). Every
// request is logged so the CLI can show what the workflows did on the wire.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { ServiceUnavailable } from "./errors.js"
import type { Json } from "./json.js"

export interface RequestRecord {
  readonly method: string
  readonly path: string
  readonly status: number
}

export interface HttpServices {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly urls: {
    readonly payments: string
    readonly mail: string
    readonly ops: string
  }
  /** Requests served so far, oldest first. */
  readonly requests: () => ReadonlyArray<RequestRecord>
  readonly close: () => Promise<void>
}

export interface HttpServicesOptions {
  /** How many charge requests the payments API fails with 503 before it accepts (default 2). */
  readonly paymentFailures?: number
}

/** CPU samples (percent, oldest first) the ops API serves per host. */
export const cpuSamples: { readonly [host: string]: ReadonlyArray<number> } = {
  "web-1": [71, 78, 86, 93, 95, 97, 96, 98],
  "web-2": [35, 41, 38, 44, 40, 39, 42, 37]
}

const readJson = (request: IncomingMessage): Promise<unknown> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      try {
        resolve(text === "" ? undefined : JSON.parse(text))
      } catch {
        resolve(undefined)
      }
    })
    request.on("error", () => resolve(undefined))
  })

const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined

export const start = (options: HttpServicesOptions = {}): Promise<HttpServices> => {
  const paymentFailures = options.paymentFailures ?? 2
  const log: Array<RequestRecord> = []
  let charges = 0
  let messages = 0
  let alerts = 0

  const route = async (
    method: string,
    url: URL,
    request: IncomingMessage
  ): Promise<{ status: number; body: Json; headers?: Record<string, string> }> => {
    const path = url.pathname
    if (method === "POST" && path === "/payments/charges") {
      const body = await readJson(request)
      charges++
      if (charges <= paymentFailures) {
        return { status: 503, body: { error: "payments temporarily unavailable, try again" } }
      }
      const amount = field(body, "amount")
      if (typeof amount !== "number" || !Number.isInteger(amount) || amount <= 0) {
        return { status: 422, body: { error: "amount must be a positive integer (cents)" } }
      }
      const currency = field(body, "currency")
      return {
        status: 201,
        body: {
          id: `ch_${String(charges).padStart(4, "0")}`,
          amount,
          currency: typeof currency === "string" ? currency : "EUR",
          status: "succeeded"
        }
      }
    }
    if (method === "POST" && path === "/mail/messages") {
      const body = await readJson(request)
      const to = field(body, "to")
      if (typeof to !== "string" || !to.includes("@")) {
        return { status: 422, body: { error: "`to` must be an e-mail address" } }
      }
      messages++
      return { status: 202, body: { id: `msg_${messages}`, to, queued: true } }
    }
    if (method === "GET" && path === "/ops/metrics") {
      const host = url.searchParams.get("host") ?? ""
      const samples = cpuSamples[host]
      if (samples === undefined) {
        return {
          status: 404,
          body: { error: `unknown host "${host}"`, hosts: Object.keys(cpuSamples) }
        }
      }
      return { status: 200, body: { host, metric: "cpu", unit: "percent", samples: [...samples] } }
    }
    if (method === "POST" && path === "/ops/alerts") {
      await readJson(request)
      alerts++
      return { status: 201, body: { id: `alert_${alerts}` } }
    }
    return { status: 404, body: { error: `no route for ${method} ${path}` } }
  }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET"
    const url = new URL(request.url ?? "/", "http://127.0.0.1")
    route(method, url, request).then(
      ({ status, body }) => {
        log.push({ method, path: url.pathname, status })
        response.writeHead(status, { "content-type": "application/json" })
        response.end(JSON.stringify(body))
      },
      () => {
        log.push({ method, path: url.pathname, status: 500 })
        response.writeHead(500).end()
      }
    )
  }

  return new Promise((resolve, reject) => {
    const server = createServer(handle)
    server.once("error", (error) =>
      reject(
        new ServiceUnavailable({
          service: "http",
          message: `could not start the demo HTTP services on 127.0.0.1: ${error.message}`
        })
      )
    )
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      const origin = `http://127.0.0.1:${port}`
      resolve({
        origin,
        urls: { payments: `${origin}/payments`, mail: `${origin}/mail`, ops: `${origin}/ops` },
        requests: () => log.slice(),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}
