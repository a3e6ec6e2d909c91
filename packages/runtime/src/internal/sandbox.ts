import { Sandbox as SandboxModule } from "@weft/sandbox"

/** The sandbox service code nodes run in (from `@weft/sandbox`). */
export const Sandbox = SandboxModule.Sandbox
export type Sandbox = SandboxModule.Sandbox
