/**
 * Tags a code node's JavaScript: strips the indentation the TypeScript file adds, so the
 * source reads the same in `workflows/*.json` as it does here.
 */
export const js = (strings: TemplateStringsArray, ...values: ReadonlyArray<string | number>) => {
  const text = strings.reduce(
    (out, part, i) => out + part + (i < values.length ? String(values[i]) : ""),
    ""
  )
  const lines = text
    .replace(/^\n/, "")
    .replace(/\n\s*$/, "")
    .split("\n")
  const indent = Math.min(
    ...lines
      .filter((line) => line.trim() !== "")
      .map((line) => line.length - line.trimStart().length)
  )
  return lines.map((line) => line.slice(indent)).join("\n")
}
