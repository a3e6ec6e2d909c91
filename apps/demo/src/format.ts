// Small text helpers shared by the progress lines and the summary table.

/** `12 ms`, `1.23 s`, `2 min 5 s`. */
export const duration = (ms: number | undefined): string => {
  if (ms === undefined || !Number.isFinite(ms)) return "-"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`
}

export interface Style {
  readonly green: (text: string) => string
  readonly red: (text: string) => string
  readonly yellow: (text: string) => string
  readonly dim: (text: string) => string
  readonly bold: (text: string) => string
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`

export const style = (color: boolean): Style =>
  color
    ? {
        green: wrap(32, 39),
        red: wrap(31, 39),
        yellow: wrap(33, 39),
        dim: wrap(2, 22),
        bold: wrap(1, 22)
      }
    : { green: (t) => t, red: (t) => t, yellow: (t) => t, dim: (t) => t, bold: (t) => t }

/** Length of a string as it shows on a terminal (ANSI colour codes do not count). */
export const visibleLength = (text: string): number =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape codes
  text.replace(/\x1b\[[0-9;]*m/g, "").length

export const padEnd = (text: string, width: number): string =>
  text + " ".repeat(Math.max(0, width - visibleLength(text)))

/** A plain text table: a header row, a rule, then the rows; columns padded to fit. */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  indent = "  "
): string => {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((row) => visibleLength(row[i] ?? "")))
  )
  const line = (cells: ReadonlyArray<string>) =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : padEnd(cell, widths[i] ?? 0)))
      .join("  ")
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

/** First line of a message, cut to `max` characters. */
export const short = (message: string, max = 120): string => {
  const first = message.split("\n")[0] ?? ""
  return first.length > max ? `${first.slice(0, max - 1)}…` : first
}
