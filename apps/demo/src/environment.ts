// Everything the demo workflows talk to, acquired in a Scope so it is released — servers
// closed, database closed (and its schema dropped on a server) — however the run ends.
import { Effect, type Scope } from "effect"
import { type Database, openPglite, openPostgres, sqlClient } from "./services/database.js"
import { ServiceUnavailable } from "./services/errors.js"
import * as HttpClient from "./services/httpClient.js"
import * as HttpServices from "./services/httpServices.js"
import * as Tables from "./services/schema.js"

export interface EnvironmentOptions {
  readonly databaseUrl?: string
  readonly paymentFailures?: number
}

export interface Environment {
  readonly database: Database
  readonly services: HttpServices.HttpServices
  /** The resources workflows reach with `getResource(name)`. */
  readonly resources: { readonly [name: string]: object }
}

const unavailable = (service: string) => (error: unknown) =>
  error instanceof ServiceUnavailable
    ? error
    : new ServiceUnavailable({
        service,
        message: `${service}: ${error instanceof Error ? error.message : String(error)}`
      })

export const acquire = (
  options: EnvironmentOptions
): Effect.Effect<Environment, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const [services, database] = yield* Effect.all(
      [
        Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              HttpServices.start(
                options.paymentFailures === undefined
                  ? {}
                  : { paymentFailures: options.paymentFailures }
              ),
            catch: unavailable("http")
          }),
          (services) => Effect.promise(() => services.close())
        ),
        Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              options.databaseUrl === undefined ? openPglite() : openPostgres(options.databaseUrl),
            catch: unavailable("database")
          }),
          (db) => Effect.promise(() => db.close().catch(() => undefined))
        )
      ],
      { concurrency: "unbounded" }
    )
    yield* Effect.tryPromise({
      try: () => Tables.prepare(database),
      catch: unavailable("database")
    })
    return {
      database,
      services,
      resources: {
        db: sqlClient(database),
        payments: HttpClient.make(services.urls.payments),
        mail: HttpClient.make(services.urls.mail),
        metrics: HttpClient.make(services.urls.ops),
        alerts: HttpClient.make(services.urls.ops)
      }
    }
  })
