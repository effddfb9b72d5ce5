/** @fileoverview Turns a loaded input's program into what the interpreter, prover and search run. */
import { attachTypeOfSection, type AttachType } from '../../core/analysis/program-kind'
import type { Insn } from '../../core/isa/insn'
import type { CtxKind, MapDef } from '../../core/interp/types'
import { ctxKindForK2 } from '../../core/interp/api'
import { FLAT_CONTEXT_SIZES, isStructContext, STRUCT_CONTEXTS } from '../../core/interp/contexts'
import { XDP_HARD_END, XDP_HEADROOM } from '../../core/interp/layout'
import type { EncodeModel } from '../../core/smt/enc-state'
import { linkProgram } from '../kernel/link-object'
import { InputError } from './input-error'
import type { LoadedInput, LoadedMap, LoadedProgram } from './load'

/** A program ready to run: linked instructions, maps and its input model. */
export interface RunnableProgram {
  /** Section and function it came from. */
  readonly section: string
  readonly name: string
  /** Linked slots (subprograms appended, map references by index). */
  readonly slots: readonly Insn[]
  /** Maps by index (global data sections become single-entry arrays after the object's maps). */
  readonly maps: readonly MapDef[]
  /** Program type name (`xdp`, `sched_cls`, ...; `k2-flat` for K2's flat buffers). */
  readonly progType: string
  /** Expected attach type libbpf gives the section, where there is one. */
  readonly attachType?: AttachType
  /** The input model shared by the interpreter and the prover. */
  readonly model: EncodeModel
}

/**
 * Largest XDP packet without fragments: a 4 KiB frame less the 256-byte headroom and the
 * 320-byte skb_shared_info (what the kernel allows with a jumbo MTU). A proof covers every length
 * up to it, so that length checks against larger MTUs are never treated as dead code.
 */
const XDP_MAX_PACKET = XDP_HARD_END - XDP_HEADROOM

/** Context kind and sizes for a program type name. */
function modelFor(progType: string): { ctx: CtxKind; maxPacket: number; ctxSize: number } {
  switch (progType) {
    case 'xdp':
      return { ctx: 'xdp', maxPacket: XDP_MAX_PACKET, ctxSize: 24 }
    case 'sched_cls':
    case 'sched_act':
      return { ctx: 'skb', maxPacket: 1514, ctxSize: 192 }
    case 'socket_filter':
      return { ctx: 'socket', maxPacket: 1514, ctxSize: 192 }
    default: {
      // Read-only flat contexts (pt_regs, tracepoint records, raw tracepoint arguments, ...).
      const flat = FLAT_CONTEXT_SIZES[progType]
      if (flat !== undefined) return { ctx: 'tracepoint', maxPacket: 0, ctxSize: flat }
      // Kernel structs the program reads and partly writes (sock_ops, cgroup hooks, ...).
      if (isStructContext(progType))
        return { ctx: progType, maxPacket: 0, ctxSize: STRUCT_CONTEXTS[progType].size }
      return { ctx: 'plain', maxPacket: 0, ctxSize: 512 }
    }
  }
}

function innerDef(m: LoadedMap): MapDef {
  return { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }
}

function attachOf(section: string): { attachType?: AttachType } {
  const a = attachTypeOfSection(section)
  return a === undefined ? {} : { attachType: a }
}

/** The runnable form of `program` from `input` (`progType`: a type name overriding the section's). */
export function runnable(
  input: LoadedInput,
  program: LoadedProgram,
  progType: string = program.progType
): RunnableProgram {
  if (input.k2 !== undefined) {
    const d = input.k2.desc
    const ctx = ctxKindForK2(d.pgmInputType)
    const maps = input.k2.maps.map((m) => ({ ...m }))
    if (progType !== program.progType)
      return {
        section: program.section,
        name: program.name,
        slots: program.slots,
        maps,
        progType,
        model: { ...modelFor(progType), maps }
      }
    return {
      section: program.section,
      name: program.name,
      slots: program.slots,
      maps,
      progType: ctx === 'flat' ? 'k2-flat' : ctx === 'xdp' ? 'xdp' : ctx,
      model: { ctx, maxPacket: d.maxPktSz, ctxSize: d.maxPktSz, maps }
    }
  }
  if (input.object !== undefined) {
    const linked = linkProgram(input.object, program.name)
    if (!linked.ok)
      throw new InputError({ ...linked.error, file: input.file, section: program.section })
    const maps: MapDef[] = linked.value.maps.map((m, i) => {
      const inner = input.object?.maps[i]?.inner
      return {
        name: m.name ?? `map${i}`,
        type: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        ...(m.flags !== undefined && m.flags !== 0 ? { flags: m.flags } : {}),
        ...(inner !== undefined ? { inner: innerDef(inner) } : {})
      }
    })
    return {
      section: program.section,
      name: program.name,
      slots: linked.value.insns,
      maps,
      progType,
      ...attachOf(program.section),
      model: { ...modelFor(progType), maps }
    }
  }
  return {
    section: program.section,
    name: program.name,
    slots: program.slots,
    maps: [],
    progType: 'plain',
    model: { ...modelFor('plain'), maps: [] }
  }
}
