/**
 * @fileoverview The safety analysis: a path-exploring abstract interpreter with the Linux
 * verifier's semantics for privileged loads. Paths are explored depth-first; at prune points a
 * state covered by an earlier, fully explored state is not explored again; a loop that comes
 * back to an identical state is rejected, other loops are unrolled within an instruction budget.
 */
import { encodeProgram, jumpTarget, type Decoded, type Program } from '../isa/decode'
import type { Insn } from '../isa/insn'
import type { Diagnostic } from '../util/result'
import { aluStep, endStep, readReg } from './alu'
import { condJump } from './branch'
import { decodeRaw } from './decode-raw'
import { enterCall, helperCall, ldPacket, leaveCall, MAX_CALL_FRAMES } from './call'
import { checkAttachTarget } from './btf-attach'
import { btfTypeMap } from './btf-target'
import { buildCfg, type Cfg } from './cfg'
import { defaultCtxSize } from './ctx-access'
import { featureRow, firstMissing, formatKernelVersion, targetHas } from './kernel-target'
import type { Env } from './env'
import { describeRegs } from './describe'
import { liveness, useDef } from './liveness'
import { checkReturnCode } from './return-code'
import { joinBounds, ptrReg, UNKNOWN } from './reg'
import { cloneState, newFrame, sameState, subsumes, top, type State } from './state'
import { atomicStep, lddwStep, loadStep, storeStep } from './step'
import {
  KERNEL_INSN_LIMIT,
  Reject,
  T,
  type AnalysisCode,
  type AnalyzeOptions,
  type MapDef,
  type Reg
} from './types'

/** Why the target's BTF (read from one kernel) cannot stand for the target kernel, if it cannot. */
function btfKernelMismatch(o: AnalyzeOptions): string | undefined {
  const from = o.btfTarget?.kernel
  if (from === undefined || o.targetKernel === undefined) return undefined
  const target = formatKernelVersion(o.targetKernel)
  return from === target
    ? undefined
    : `the attach target's BTF is from kernel ${from}, not the target kernel ${target}`
}

/** Joined facts about one instruction over every explored path (innermost frame's registers). */
export interface InsnState {
  /** r0..r10 as the join of every path's pre-state (MIXED: kinds differ; NOT_INIT: maybe uninitialised). */
  readonly regs: readonly Reg[]
}

/** Exploration statistics. */
export interface AnalysisStats {
  /** Instructions processed (the kernel's "processed N insns"). */
  readonly processed: number
  /** States pruned because an explored state covered them. */
  readonly pruned: number
  /** Deepest stack use per subprogram, in bytes. */
  readonly stackDepth: readonly number[]
  /** End of the furthest context access (the kernel's max_ctx_offset): the bytes a run reads. */
  readonly ctxBytes: number
}

/** The answer of {@link analyze}. */
export type AnalysisResult =
  | {
      readonly ok: true
      /**
       * Joined pre-state of the instruction at position `pos` (index into `cfg.insns`), computed
       * on first request; undefined when never reached (a dead branch) or states were not collected.
       */
      readonly stateAt: (pos: number) => InsnState | undefined
      readonly stats: AnalysisStats
      readonly cfg: Cfg
    }
  | {
      readonly ok: false
      readonly error: Diagnostic
      /**
       * The registers the refused instruction reads, on the path that reached it, as the
       * kernel's log prints them (absent for refusals before the exploration starts).
       */
      readonly state?: string
    }

interface Rec {
  readonly st: State
  branches: number
  readonly parent: Rec | undefined
  /** States it covered, and states it was compared with and did not cover. */
  hits: number
  misses: number
}

interface Job {
  pos: number
  st: State
  last: Rec | undefined
}

const MAX_RECS_PER_INSN = 64
const MAX_PENDING = 8192

function finish(rec: Rec | undefined): void {
  let r = rec
  while (r !== undefined) {
    r.branches -= 1
    if (r.branches > 0) return
    r = r.parent
  }
}

function sameReg(a: Reg, b: Reg): boolean {
  return (
    a.type === b.type &&
    a.off === b.off &&
    a.id === b.id &&
    a.range === b.range &&
    a.map === b.map &&
    a.frame === b.frame &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.tv === b.tv &&
    a.tm === b.tm
  )
}

function joinReg(a: Reg, b: Reg): Reg {
  if (a === b || sameReg(a, b)) return a
  if (a.type !== b.type)
    return a.type === T.NOT_INIT || b.type === T.NOT_INIT
      ? { ...a, type: T.NOT_INIT }
      : { ...a, type: T.MIXED }
  if (a.type !== T.SCALAR && (a.off !== b.off || a.map !== b.map || a.frame !== b.frame))
    return { ...a, type: T.MIXED }
  const j = joinBounds(a, b)
  return { ...j, id: a.id === b.id ? a.id : 0, range: Math.min(a.range, b.range) }
}

function initialState(options: AnalyzeOptions): State {
  const f = newFrame(0, -1, 0)
  f.regs[1] = ptrReg(T.CTX)
  if (options.progType === 'plain') f.regs[2] = UNKNOWN
  return { frames: [f], refs: [] }
}

/**
 * Tail calls and legacy packet loads inside subprograms need the BTF function info loaders pass
 * (check_abnormal_return); without it the kernel refuses them, and so does the analysis.
 */
function abnormalInSubprog(cfg: Cfg): Diagnostic | undefined {
  for (let p = 0; p < cfg.insns.length; p++) {
    if ((cfg.subprogOf[p] ?? 0) === 0) continue
    const d = cfg.insns[p] as Decoded
    const tail = d.spec.kind === 'call' && d.spec.target === 'helper' && d.insn.imm === 12
    const ldAbs = d.spec.kind === 'ldabs' || d.spec.kind === 'ldind'
    if (tail || ldAbs) {
      const what = tail ? 'tail_call' : 'LD_ABS'
      return {
        code: 'VERIFY_UNSUPPORTED',
        message: `${what} is not allowed in subprogs without BTF`,
        index: d.index
      }
    }
  }
  return undefined
}

/** Where each map's inner map sits once the inner maps are appended after the program's maps. */
function innerIndices(maps: readonly MapDef[]): number[] {
  let next = maps.length
  return maps.map((m) => (m.inner ? next++ : -1))
}

/** Rounded combined stack use along the deepest call chain; rejects chains over 512 bytes. */
function checkStackDepth(cfg: Cfg, depth: readonly number[]): void {
  const rounded = (sp: number): number => Math.ceil((depth[sp] ?? 0) / 16) * 16
  const walk = (sp: number, total: number, frames: number): void => {
    const t = total + rounded(sp)
    if (frames > MAX_CALL_FRAMES)
      throw new Reject('VERIFY_CALL_DEPTH', `the call stack of ${frames} frames is too deep !`, 0)
    if (t > 512) {
      throw new Reject(
        'VERIFY_STACK_SIZE',
        `combined stack size of ${frames} calls is ${t}. Too large`,
        cfg.subprogs[sp]?.start ?? 0
      )
    }
    for (const c of cfg.callees[sp] ?? []) walk(c, t, frames + 1)
  }
  walk(0, 0, 1)
}

/**
 * Checks a program the way the kernel verifier does for a privileged load: every path must be
 * safe. Accepts raw slots (decoded and validated first) or a decoded program.
 */
export function analyze(
  program: Program | readonly Insn[],
  options: AnalyzeOptions
): AnalysisResult {
  // A decoded program is re-checked from its encoding: edits may have produced invalid fields.
  const slots = Array.isArray(program)
    ? (program as readonly Insn[])
    : encodeProgram((program as Program).insns)
  const dec = decodeRaw(slots)
  if (!dec.ok) return { ok: false, error: dec.error }
  const prog = dec.program
  const problems = dec.problems
  const missing = firstMissing(slots, options.targetKernel)
  if (missing !== undefined) {
    const row = featureRow(missing.feature)
    const target = formatKernelVersion(options.targetKernel!)
    return {
      ok: false,
      error: {
        code: 'CFG_TARGET_KERNEL',
        message: `${row.what} need Linux ${formatKernelVersion(row.since)}; the target kernel is ${target}`,
        index: missing.index
      }
    }
  }
  const built = buildCfg(prog)
  if (!built.ok) return { ok: false, error: built.error }
  const cfg = built.cfg
  const abnormal = abnormalInSubprog(cfg)
  if (abnormal !== undefined) return { ok: false, error: abnormal }
  const live = liveness(cfg)
  const n = cfg.insns.length
  const budget = options.insnBudget ?? KERNEL_INSN_LIMIT
  const collect = options.collectStates ?? true
  const visits: (Reg[][] | undefined)[] = new Array<Reg[][] | undefined>(n)
  let current: State | undefined
  const env: Env = {
    progType: options.progType,
    attachType: options.attachType,
    sleepable: options.sleepable ?? options.progType === 'syscall',
    maps: [...options.maps, ...options.maps.flatMap((m) => (m.inner ? [m.inner] : []))],
    innerMaps: innerIndices(options.maps),
    ctxSize: options.ctxSize ?? defaultCtxSize(options.progType),
    uninitStack: options.allowUninitStack ?? true,
    elideConstKeyNull: targetHas(options.targetKernel, 'const_key_lookup'),
    tailCallChangesPkt: !targetHas(options.targetKernel, 'tail_call_keeps_pkt'),
    stackDepth: new Array<number>(cfg.subprogs.length).fill(0),
    subprogOfFrame: (f) => current?.frames[f]?.subprog ?? 0,
    accessKinds: new Map(),
    btfTarget: options.btfTarget,
    btfRefusal: options.btfRefusal,
    btfTypes: btfTypeMap(options.btfTarget),
    btfKernelMismatch: btfKernelMismatch(options),
    rawTpNullArgs: targetHas(options.targetKernel, 'raw_tp_null_args'),
    ctxBytes: 0,
    idGen: 0
  }
  const recs: (Rec[] | undefined)[] = new Array<Rec[] | undefined>(n)
  const pending: Job[] = [{ pos: 0, st: initialState(options), last: undefined }]
  let processed = 0
  let pruned = 0
  let pos = 0
  try {
    checkAttachTarget(env)
    // bpf_lsm_verify_prog: LSM programs load only under a GPL-compatible license.
    if (env.progType === 'lsm' && env.btfTarget?.gplCompatible === false)
      throw new Reject('VERIFY_LICENSE', 'LSM programs must have a GPL compatible license')
    while (pending.length > 0) {
      const job = pending.pop() as Job
      for (;;) {
        pos = job.pos
        const st = job.st
        current = st
        if (++processed > budget) {
          throw new Reject(
            'VERIFY_TOO_COMPLEX',
            `BPF program is too large. Processed ${processed} insn`
          )
        }
        if (collect) (visits[pos] ??= []).push(top(st).regs.slice())
        if (cfg.prunePoint[pos]) {
          const list = recs[pos] ?? (recs[pos] = [])
          // A caller frame resumes after its call, where r0-r5 are rewritten: compare r6-r9 live there.
          const callers = st.frames
            .slice(0, -1)
            .map((_, i) => (live[(st.frames[i + 1]?.callsite ?? 0) + 1] ?? 0x7ff) & ~0x3f)
          let covered = false
          let stale = false
          for (const rec of list) {
            if (rec.branches === 0) {
              if (subsumes(rec.st, st, live[pos] as number, callers, env.uninitStack)) {
                rec.hits++
                covered = true
                break
              }
              // The kernel drops explored states that keep failing to cover (is_state_visited).
              if (++rec.misses > rec.hits * 3 + 3) stale = true
            } else if (cfg.hasBackEdge && sameState(rec.st, st)) {
              throw new Reject(
                'VERIFY_LOOP',
                `infinite loop detected at insn ${(cfg.insns[pos] as Decoded).index}`
              )
            }
          }
          if (stale) {
            // Fewer states to compare only means less pruning, never a wrong verdict.
            const kept = list.filter((r) => r.branches > 0 || r.misses <= r.hits * 3 + 3)
            list.length = 0
            list.push(...kept)
          }
          if (covered) {
            pruned++
            finish(job.last)
            break
          }
          if (list.length < MAX_RECS_PER_INSN) {
            const rec: Rec = {
              st: cloneState(st),
              branches: 1,
              parent: job.last,
              hits: 0,
              misses: 0
            }
            list.push(rec)
            job.last = rec
          }
        }
        const problem = problems[pos]
        if (problem !== undefined) throw new Reject(problem.code as AnalysisCode, problem.message)
        const d = cfg.insns[pos] as Decoded
        const s = d.spec
        switch (s.kind) {
          case 'alu':
            aluStep(env, st, d)
            job.pos = pos + 1
            break
          case 'end':
            endStep(st, d)
            job.pos = pos + 1
            break
          case 'lddw':
            lddwStep(env, st, d)
            job.pos = pos + 1
            break
          case 'ldx':
            loadStep(env, st, d)
            job.pos = pos + 1
            break
          case 'st':
          case 'stx':
            storeStep(env, st, d)
            job.pos = pos + 1
            break
          case 'atomic':
            atomicStep(env, st, d)
            job.pos = pos + 1
            break
          case 'ldabs':
          case 'ldind':
            ldPacket(env, st, d)
            job.pos = pos + 1
            break
          case 'ja':
            job.pos = cfg.posOfSlot[jumpTarget(d) as number] as number
            break
          case 'call':
            if (s.target === 'local') {
              const target = jumpTarget(d) as number
              const sp = cfg.subprogs.findIndex((x) => x.start === target)
              enterCall(st, pos, sp)
              job.pos = (cfg.subprogs[sp] as { entry: number }).entry
            } else {
              helperCall(env, st, d)
              job.pos = pos + 1
            }
            break
          case 'jmp': {
            const edges = condJump(st, d)
            const target = cfg.posOfSlot[jumpTarget(d) as number] as number
            if (edges.taken !== undefined && edges.fall !== undefined) {
              if (pending.length >= MAX_PENDING) {
                throw new Reject(
                  'VERIFY_TOO_COMPLEX',
                  `The sequence of ${pending.length + 1} jumps is too complex.`
                )
              }
              if (job.last !== undefined) job.last.branches += 1
              pending.push({ pos: target, st: edges.taken, last: job.last })
              job.pos = pos + 1
              job.st = edges.fall
            } else if (edges.taken !== undefined) {
              job.pos = target
              job.st = edges.taken
            } else if (edges.fall !== undefined) {
              job.pos = pos + 1
              job.st = edges.fall
            }
            break
          }
          case 'exit': {
            // A subprogram may return without setting r0 (the caller then must not read it).
            if (st.frames.length > 1) {
              job.pos = leaveCall(st) + 1
              break
            }
            const leak = st.refs[0]
            if (leak !== undefined) {
              throw new Reject(
                'VERIFY_REF_LEAK',
                `Unreleased reference id=${leak.id} alloc_insn=${leak.index}`
              )
            }
            checkReturnCode(env.progType, env.attachType, readReg(st, 0), env.btfTarget)
            job.pos = -1
            break
          }
        }
        if (job.pos < 0) {
          finish(job.last)
          break
        }
      }
    }
    checkStackDepth(cfg, env.stackDepth)
  } catch (e) {
    if (!(e instanceof Reject)) throw e
    const at = cfg.insns[pos] as Decoded | undefined
    const index = e.index >= 0 ? e.index : (at?.index ?? 0)
    const failed = { code: e.code, message: e.message, index }
    if (current === undefined || at === undefined || e.index >= 0)
      return { ok: false, error: failed }
    const state = describeRegs(top(current).regs, useDef(at).use)
    return { ok: false, error: failed, state }
  }
  const joined: (InsnState | undefined)[] = []
  const stateAt = (p: number): InsnState | undefined => {
    if (joined[p] !== undefined) return joined[p]
    const list = visits[p]
    if (list === undefined || list.length === 0) return undefined
    const regs = (list[0] as Reg[]).slice()
    for (let k = 1; k < list.length; k++) {
      for (let i = 0; i < 11; i++) regs[i] = joinReg(regs[i] as Reg, (list[k] as Reg[])[i] as Reg)
    }
    return (joined[p] = { regs })
  }
  return {
    ok: true,
    stateAt,
    stats: { processed, pruned, stackDepth: [...env.stackDepth], ctxBytes: env.ctxBytes },
    cfg
  }
}
