import { Schema } from "effect"

/**
 * Bad command-line input: an unknown flag, a missing file, invalid JSON or workflow, missing
 * params. The CLI prints `message` on stderr and exits with status 2.
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  message: Schema.String
}) {}

/** A demo service (database, HTTP server) could not be started or reached. */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  { service: Schema.String, message: Schema.String }
) {}

/** A request to a demo HTTP service never got an answer (connection refused, reset, timeout). */
export class NetworkError extends Schema.TaggedError<NetworkError>()("NetworkError", {
  method: Schema.String,
  url: Schema.String,
  message: Schema.String
}) {}
