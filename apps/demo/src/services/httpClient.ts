// A tiny JSON HTTP client, the shape code nodes see through `getResource(name)`: methods take
// JSON and resolve with `{ status, ok, headers, body }` for every status (like `fetch`), so the
// workflow decides what a 503 means. It has the same call shape as @weft/fixtures' MockHttp,
// which is what the tests put in its place.
import { NetworkError } from "./errors.js"
import { type Json, toJsonValue } from "./json.js"

export interface HttpResponse {
  readonly status: number
  readonly ok: boolean
  readonly headers: { readonly [name: string]: string }
  readonly body: Json
}

export interface RequestOptions {
  readonly json?: Json
  readonly headers?: { readonly [name: string]: string }
  readonly query?: { readonly [name: string]: string | number | boolean }
}

export interface HttpClient {
  readonly baseUrl: string
  readonly get: (path: string, options?: RequestOptions) => Promise<HttpResponse>
  readonly post: (path: string, options?: RequestOptions) => Promise<HttpResponse>
}

const readBody = async (response: Response): Promise<Json> => {
  const text = await response.text()
  if (text === "") return null
  try {
    return toJsonValue(JSON.parse(text))
  } catch {
    return text
  }
}

export const make = (baseUrl: string, options: { readonly timeout?: number } = {}): HttpClient => {
  const request = async (
    method: string,
    path: string,
    requestOptions: RequestOptions = {}
  ): Promise<HttpResponse> => {
    const url = new URL(baseUrl.replace(/\/$/, "") + path)
    for (const [key, value] of Object.entries(requestOptions.query ?? {}))
      url.searchParams.set(key, String(value))
    const headers: Record<string, string> = { ...requestOptions.headers }
    if (requestOptions.json !== undefined) headers["content-type"] = "application/json"
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(requestOptions.json === undefined ? {} : { body: JSON.stringify(requestOptions.json) }),
        signal: AbortSignal.timeout(options.timeout ?? 10_000)
      })
    } catch (error) {
      const cause = error instanceof Error ? (error.cause ?? error) : error
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw new NetworkError({
        method,
        url: url.toString(),
        message: `${method} ${url} got no answer: ${reason}`
      })
    }
    const responseHeaders: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value
    })
    return {
      status: response.status,
      ok: response.ok,
      headers: responseHeaders,
      body: await readBody(response)
    }
  }
  return {
    baseUrl,
    get: (path, requestOptions) => request("GET", path, requestOptions),
    post: (path, requestOptions) => request("POST", path, requestOptions)
  }
}
