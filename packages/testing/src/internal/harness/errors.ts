// The harness's own error (re-exported, documented, from `Harness`).
import { Schema } from "effect"

export class LeakDetected extends Schema.TaggedError<LeakDetected>()("LeakDetected", {
  leaks: Schema.Array(Schema.String),
  message: Schema.String
}) {}
