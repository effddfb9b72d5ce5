/** @fileoverview Control-flow graph of a decoded program: subprograms, basic blocks and structural checks. */
import { jumpTarget, type Decoded, type Program } from '../isa/decode'
import type { AnalysisError } from './types'

/** A function: the main program or a bpf-to-bpf callee. */
export interface Subprog {
  /** First slot. */
  readonly start: number
  /** One past the last slot. */
  readonly end: number
  /** Position (index into `insns`) of the first instruction. */
  readonly entry: number
}

/** A basic block: instructions `first..last` (positions, inclusive). */
export interface Block {
  readonly first: number
  readonly last: number
  /** Successor block ids (calls do not count; a call falls through). */
  readonly succs: number[]
  /** Predecessor block ids. */
  readonly preds: number[]
  /** Subprogram the block belongs to. */
  readonly subprog: number
}

/** The control-flow graph. */
export interface Cfg {
  /** The instructions, by position. */
  readonly insns: readonly Decoded[]
  /** Position of the instruction starting at each slot (-1 for an lddw's second slot). */
  readonly posOfSlot: readonly number[]
  /** Successor positions of each instruction. */
  readonly next: readonly (readonly number[])[]
  /** Subprograms, main first, ordered by start slot. */
  readonly subprogs: readonly Subprog[]
  /** Subprogram of each position. */
  readonly subprogOf: readonly number[]
  /** Basic blocks in position order. */
  readonly blocks: readonly Block[]
  /** Block of each position. */
  readonly blockOf: readonly number[]
  /** 1 where a state is worth remembering for pruning (jump targets, branch fall-throughs). */
  readonly prunePoint: readonly number[]
  /** Whether some jump goes backwards (a loop may exist). */
  readonly hasBackEdge: boolean
  /** Subprogram indices each subprogram calls. */
  readonly callees: readonly (readonly number[])[]
}

function err(code: AnalysisError['code'], index: number, message: string): AnalysisError {
  return { code, index, message }
}

/** Adds the fall-through successor of position `p`, or reports running off the function's end. */
function fallThrough(
  d: Decoded,
  sp: Subprog,
  p: number,
  succ: number[]
): AnalysisError | undefined {
  const ns = d.index + (d.spec.kind === 'lddw' ? 2 : 1)
  if (ns >= sp.end) return err('CFG_NO_EXIT', d.index, 'last insn is not an exit or jmp')
  succ.push(p + 1)
  return undefined
}

/** Basic blocks of a CFG (computed on first use: the analysis itself does not need them). */
function basicBlocks(c: {
  readonly insns: readonly Decoded[]
  readonly next: readonly (readonly number[])[]
  readonly subprogs: readonly Subprog[]
  readonly subprogOf: readonly number[]
  readonly prunePoint: readonly number[]
}): { blocks: Block[]; blockOf: number[] } {
  const { insns, next, subprogs, subprogOf } = c
  const jumpTargets = c.prunePoint
  const n = insns.length
  const leader: number[] = new Array<number>(n).fill(0)
  for (const s of subprogs) leader[s.entry] = 1
  for (let p = 0; p < n; p++) {
    const kind = (insns[p] as Decoded).spec.kind
    if (jumpTargets[p]) leader[p] = 1
    if ((kind === 'jmp' || kind === 'ja' || kind === 'exit') && p + 1 < n) leader[p + 1] = 1
  }
  const blocks: {
    first: number
    last: number
    succs: number[]
    preds: number[]
    subprog: number
  }[] = []
  const blockOf: number[] = new Array<number>(n).fill(0)
  for (let p = 0; p < n; p++) {
    if (leader[p])
      blocks.push({ first: p, last: p, succs: [], preds: [], subprog: subprogOf[p] as number })
    const b = blocks[blocks.length - 1] as (typeof blocks)[number]
    b.last = p
    blockOf[p] = blocks.length - 1
  }
  blocks.forEach((b, id) => {
    for (const q of next[b.last] as number[]) {
      const t = blockOf[q] as number
      b.succs.push(t)
      blocks[t]?.preds.push(id)
    }
  })
  return { blocks, blockOf }
}

/**
 * Builds the CFG and applies the kernel's structural checks (check_subprogs / check_cfg): jumps
 * stay inside their function and land on instruction starts, every function ends in exit or
 * a jump, and every instruction is reachable.
 */
export function buildCfg(
  program: Program
): { ok: true; cfg: Cfg } | { ok: false; error: AnalysisError } {
  const insns = program.insns
  const n = insns.length
  if (n === 0) return { ok: false, error: err('CFG_EMPTY', 0, 'empty program') }
  const slots = program.slotCount
  const posOfSlot: number[] = new Array<number>(slots).fill(-1)
  insns.forEach((d, p) => (posOfSlot[d.index] = p))
  // Subprograms start at slot 0 and at every local call target.
  const starts = new Set<number>([0])
  for (const d of insns) {
    if (d.spec.kind === 'call' && d.spec.target === 'local') {
      const t = jumpTarget(d) as number
      if (t < 0 || t >= slots || posOfSlot[t] === -1) {
        return {
          ok: false,
          error: err('CFG_BAD_CALL', d.index, `function call to invalid insn ${t}`)
        }
      }
      starts.add(t)
    }
    if (d.spec.kind === 'call' && d.spec.target === 'kfunc') {
      return {
        ok: false,
        error: err('CFG_BAD_CALL', d.index, 'calling kernel functions is not supported')
      }
    }
  }
  const sorted = [...starts].sort((a, b) => a - b)
  const subprogs: Subprog[] = sorted.map((start, i) => ({
    start,
    end: sorted[i + 1] ?? slots,
    entry: posOfSlot[start] as number
  }))
  const subprogOf: number[] = new Array<number>(n).fill(0)
  {
    let s = 0
    for (let p = 0; p < n; p++) {
      while (
        s + 1 < subprogs.length &&
        (insns[p] as Decoded).index >= (subprogs[s + 1] as Subprog).start
      )
        s++
      subprogOf[p] = s
    }
  }
  // Successors and jump checks.
  const next: number[][] = []
  const jumpTargets: number[] = new Array<number>(n).fill(0)
  let hasBackEdge = false
  const callees: Set<number>[] = subprogs.map(() => new Set())
  for (let p = 0; p < n; p++) {
    const d = insns[p] as Decoded
    const sp = subprogs[subprogOf[p] as number] as Subprog
    const kind = d.spec.kind
    const succ: number[] = []
    if (kind === 'exit') {
      // no successors
    } else if (kind === 'ja' || kind === 'jmp') {
      const t = jumpTarget(d) as number
      if (t < sp.start || t >= sp.end) {
        return {
          ok: false,
          error: err(
            'CFG_JUMP_OUT_OF_RANGE',
            d.index,
            `jump out of range from insn ${d.index} to ${t}`
          )
        }
      }
      const tp = posOfSlot[t] as number
      if (tp === -1) {
        return {
          ok: false,
          error: err('CFG_JUMP_INTO_LDDW', d.index, `jump into the middle of ldimm64 insn ${t - 1}`)
        }
      }
      if (kind === 'jmp') {
        const e = fallThrough(d, sp, p, succ)
        if (e) return { ok: false, error: e }
      }
      succ.push(tp)
      jumpTargets[tp] = 1
      if (kind === 'jmp' && p + 1 < n) jumpTargets[p + 1] = 1
      if (tp <= p) hasBackEdge = true
    } else {
      if (kind === 'call' && d.spec.target === 'local') {
        callees[subprogOf[p] as number]?.add(subprogs.findIndex((s) => s.start === jumpTarget(d)))
      }
      const e = fallThrough(d, sp, p, succ)
      if (e) return { ok: false, error: e }
    }
    next.push(succ)
  }
  // Reachability from every subprogram entry that is itself reachable (main first).
  const seen: number[] = new Array<number>(n).fill(0)
  const work: number[] = [0]
  seen[0] = 1
  while (work.length > 0) {
    const p = work.pop() as number
    const d = insns[p] as Decoded
    for (const q of next[p] as number[]) {
      if (!seen[q]) {
        seen[q] = 1
        work.push(q)
      }
    }
    if (d.spec.kind === 'call' && d.spec.target === 'local') {
      const q = posOfSlot[jumpTarget(d) as number] as number
      if (!seen[q]) {
        seen[q] = 1
        work.push(q)
      }
    }
  }
  const unreachable = seen.indexOf(0)
  if (unreachable !== -1) {
    const idx = (insns[unreachable] as Decoded).index
    return { ok: false, error: err('CFG_UNREACHABLE', idx, `unreachable insn ${idx}`) }
  }
  let lazy: { blocks: Block[]; blockOf: number[] } | undefined
  const core = { insns, next, subprogs, subprogOf, prunePoint: jumpTargets }
  return {
    ok: true,
    cfg: {
      ...core,
      posOfSlot,
      hasBackEdge,
      callees: callees.map((s) => [...s]),
      get blocks() {
        return (lazy ??= basicBlocks(core)).blocks
      },
      get blockOf() {
        return (lazy ??= basicBlocks(core)).blockOf
      }
    }
  }
}
