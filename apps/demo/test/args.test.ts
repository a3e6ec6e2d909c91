import { describe, expect, it } from "vitest"
import { parse } from "../src/args.js"

const message = (argv: ReadonlyArray<string>): string => {
  try {
    parse(argv)
  } catch (error) {
    return (error as { readonly message: string }).message
  }
  throw new Error(`parse(${argv.join(" ")}) did not fail`)
}

describe("command line", () => {
  it("runs all demos without arguments", () => {
    expect(parse([])).toEqual({ command: "all", mermaid: false, plain: false })
  })

  it("reads run, its workflow and the value options in both spellings", () => {
    expect(
      parse(["run", "workflows/etl.json", "--params", "p.json", "--timeline=t.html", "--mermaid"])
    ).toEqual({
      command: "run",
      workflow: "workflows/etl.json",
      params: "p.json",
      timeline: "t.html",
      mermaid: true,
      plain: false
    })
  })

  it("names an unknown option", () => {
    expect(message(["--verbose"])).toBe("unknown option --verbose (see --help for the options)")
  })

  it("says what a value option needs", () => {
    expect(message(["run", "etl", "--params"])).toBe(
      "--params needs a value, e.g. --params params.json"
    )
  })

  it("asks for a workflow after run", () => {
    expect(message(["run"])).toContain("run needs a workflow")
  })

  it("refuses --params without run", () => {
    expect(message(["--params", "p.json"])).toContain("use `run <workflow> --params <file>`")
  })

  it("refuses a negative payment failure count", () => {
    expect(message(["--payment-failures", "-1"])).toContain("whole number")
  })
})
