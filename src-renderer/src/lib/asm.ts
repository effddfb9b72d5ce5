/**
 * @fileoverview Listings as people read them: jump targets as labels (`<L0>`, `<L1>`, ... in
 * address order, as `llvm-objdump --symbolize-operands` names them) and tokens for highlighting.
 */
import type { InsnLine } from '../../../src-daemon/api/protocol/schemas'

/** Label names by target slot, numbered in slot order. */
export function labelsOf(lines: readonly InsnLine[]): Map<number, string> {
  const targets = [...new Set(lines.flatMap((l) => (l.target !== undefined ? [l.target] : [])))]
  targets.sort((a, b) => a - b)
  return new Map(targets.map((t, i) => [t, `L${i}`]))
}

/** The instruction text with its branch offset (or local call immediate) replaced by the label. */
export function symbolize(line: InsnLine, labels: ReadonlyMap<number, string>): string {
  if (line.target === undefined) return line.text
  const label = labels.get(line.target) ?? `slot ${line.target}`
  return line.text
    .replace(/\b(goto|gotol) [+-]\d+$/, `$1 <${label}>`)
    .replace(/^call -?\d+$/, `call <${label}>`)
}

/** A highlighted piece of an instruction. */
export interface AsmToken {
  readonly kind: 'kw' | 'reg' | 'num' | 'label' | 'mem' | 'op' | 'text'
  readonly text: string
}

const TOKEN =
  /(<[^>]+>)|\b(if|goto|gotol|call|callx|exit|ll|be16|be32|be64|le16|le32|le64|bswap16|bswap32|bswap64|lock)\b|\b([rw](?:10|[0-9]))\b|(\*\([us](?:8|16|32|64) \*\))|(-?0x[0-9a-f]+|-?\b\d+\b)|(\bs>>=|\bs[<>]=?|>>=|<<=|[<>]=?|[-+*/%&|^]=|[=!]=|=|&)/gi

/** Splits llvm-syntax instruction text into tokens for colouring. */
export function tokenize(text: string): AsmToken[] {
  const out: AsmToken[] = []
  let last = 0
  for (const m of text.matchAll(TOKEN)) {
    const i = m.index
    if (i > last) out.push({ kind: 'text', text: text.slice(last, i) })
    const kind: AsmToken['kind'] =
      m[1] !== undefined
        ? 'label'
        : m[2] !== undefined
          ? 'kw'
          : m[3] !== undefined
            ? 'reg'
            : m[4] !== undefined
              ? 'mem'
              : m[5] !== undefined
                ? 'num'
                : 'op'
    out.push({ kind, text: m[0] })
    last = i + m[0].length
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) })
  return out
}

/** A basic block: first and last line index (inclusive) and the blocks it may continue to. */
export interface BasicBlock {
  readonly first: number
  readonly last: number
  readonly successors: readonly number[]
}

const ENDS_FLOW = /^(exit|goto|gotol) ?/

/** Basic blocks of a listing (leaders: the entry, jump targets and instructions after jumps). */
export function basicBlocks(lines: readonly InsnLine[]): BasicBlock[] {
  const indexOfSlot = new Map(lines.map((l, i) => [l.slot, i]))
  const leaders = new Set<number>([0])
  lines.forEach((l, i) => {
    const isJump = l.target !== undefined && !l.text.startsWith('call')
    if (isJump || l.text === 'exit') {
      if (i + 1 < lines.length) leaders.add(i + 1)
      const t = l.target !== undefined ? indexOfSlot.get(l.target) : undefined
      if (isJump && t !== undefined) leaders.add(t)
    }
  })
  const starts = [...leaders].filter((i) => i < lines.length).sort((a, b) => a - b)
  const blockOf = new Map(starts.map((s, b) => [s, b]))
  return starts.map((first, b) => {
    const last = (starts[b + 1] ?? lines.length) - 1
    const end = lines[last]!
    const succ: number[] = []
    const isJump = end.target !== undefined && !end.text.startsWith('call')
    if (isJump) {
      const t = indexOfSlot.get(end.target!)
      if (t !== undefined && blockOf.has(t)) succ.push(blockOf.get(t)!)
    }
    if (!ENDS_FLOW.test(end.text) && b + 1 < starts.length) succ.push(b + 1)
    return { first, last, successors: succ }
  })
}
