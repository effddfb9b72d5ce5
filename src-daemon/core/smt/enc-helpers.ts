/**
 * @fileoverview Symbolic helper calls: map lookup/update/delete, random and time values from the
 * shared input sequences; redirects, tail calls, perf_event_output records and trace_printk
 * messages as observable effects. Each mirrors the interpreter's helper of the same id; XDP
 * packet resizing (enc-packet), ring buffers (enc-ringbuf), socket-buffer copies and checksums
 * (enc-skb), the tc helpers that change the packet or socket buffer (enc-skb-change) and
 * helpers outside the model as the environment's answers (enc-opaque); r1-r5 are clobbered
 * after every call.
 */
import type { BoolTerm, BvTerm } from './term'
import type { ExecContext, FlowState } from './enc-context'
import { privateVar } from './enc-context'
import type { SymVal } from './enc-state'
import { Unsupported } from './enc-state'
import { low32 } from './enc-alu'
import { errno, innerMapOf, mapOf, memPtr, placeAt, readArg } from './enc-args'
import type { Ptr } from './enc-state'
import { traceArgCount } from '../interp/trace-format'
import { Errno, MapType, PERF_OUTPUT_ERRORS } from '../interp/layout'
import { adjustHead, adjustMeta, adjustTail } from './enc-packet'
import { ringbufCommit, ringbufOutput, ringbufReserve } from './enc-ringbuf'
import { callSkbHelper, isSkbHelper } from './enc-skb'
import { callSkbChange, isSkbChangeHelper } from './enc-skb-change'
import { atPosition, callOpaque, recordCall } from './enc-opaque'
import { OPAQUE_HELPERS } from '../interp/helper-protos'
import {
  add,
  and,
  bv,
  bvAnd,
  bvVar,
  concat,
  eq,
  extract,
  ite,
  mul,
  FALSE,
  not,
  or,
  TRUE,
  ult,
  zeroExt
} from './terms'
import { withInnerMaps } from './enc-maps'
import { perfFlags } from './enc-perf-sample'
import type { MapDef } from '../interp/types'
import { valueVars } from './term-walk'

/** Shared inputs (one value per run, the same in both programs): the CPU and the current task. */
export const ENV_CPU = 'env_cpu'
/** See {@link ENV_CPU}. */
export const ENV_PID_TGID = 'env_pid_tgid'
/** See {@link ENV_CPU}. */
export const ENV_UID_GID = 'env_uid_gid'

/** CPUs a kernel can have (NR_CPUS at its largest): get_smp_processor_id stays below. */
export const MAX_CPUS = 8192

const XDP_ABORTED = 0
const XDP_REDIRECT = 4
const TC_ACT_SHOT = 2
const TC_ACT_REDIRECT = 7

/**
 * The address a lookup of `key` returns when found: the map's base (at least 2^32) plus the low
 * 32 bits of the key times the value size, so never null, the same in both programs, and equal
 * for equal keys.
 */
function entryAddress(cx: ExecContext, map: number, key: BvTerm, valueSize: number): BvTerm {
  const low = key.width > 32 ? extract(key, 31, 0) : key
  const scaled = mul(zeroExt(low, 64 - low.width), bv(Math.max(valueSize, 1), 64))
  return add(cx.layout.base(`map${map}`), scaled)
}

function nextInSequence(cx: ExecContext, name: string, count: BvTerm, width: number): BvTerm {
  const v = cx.layout.inputs.sequence(name, count, 16)
  return width === 64 ? v : zeroExt(extract(v, width - 1, 0), 64 - width)
}

/**
 * Map types whose lookups the prover models: hash, array, their per-CPU and LRU forms (the
 * program sees the current CPU's values), LPM tries, and the redirect maps.
 */
const LOOKUP_TYPES: ReadonlySet<number> = new Set([
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.HASH,
  MapType.ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.LPM_TRIE,
  MapType.DEVMAP,
  MapType.CPUMAP,
  MapType.XSKMAP,
  MapType.DEVMAP_HASH
])

/** Map types whose updates and deletes the prover models. */
const UPDATE_TYPES: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH
])

/** Bytes of the key a program passes: a stand-in map's keys carry 4 identity bytes more. */
function innerKeySize(def: MapDef, identity: BvTerm | undefined): number {
  return identity === undefined ? def.keySize : def.keySize - 4
}

/** The key of a stand-in map: the inner map's identity above the program's key. */
function withIdentity(identity: BvTerm | undefined, key: BvTerm): BvTerm {
  return identity === undefined ? key : concat(identity, key)
}

/**
 * A lookup in a map-in-map: whether the entry exists, and which inner map it names (an input
 * chosen per key); the result is a handle of the map's stand-in carrying that identity.
 */
function innerMapLookup(cx: ExecContext, map: number, key: BvTerm): SymVal {
  const stand = withInnerMaps(cx.model.maps).inner[map] ?? -1
  if (stand < 0) throw new Unsupported(`map ${map} holds maps but its inner map is not defined`)
  const found = cx.maps.present(map, key)
  const identity = cx.layout.inputs.chosen(innerMapName(map), key, 32)
  const handle = add(cx.layout.base(`mapref${stand}`), zeroExt(identity, 32))
  return {
    v: ite(found, handle, bv(0, 64)),
    ptr: { rid: `mapref${stand}`, off: bv(0, 64), key: identity }
  }
}

/** The name of the inner map identities of map-in-map `map` (for counterexamples). */
export function innerMapName(map: number): string {
  return `inner_map${map}`
}

function isLru(type: number): boolean {
  return type === MapType.LRU_HASH || type === MapType.LRU_PERCPU_HASH
}

/**
 * An update of an LRU map. Lookups, updates and deletes on an LRU map are calls to the kernel's
 * LRU lists (recorded, so both programs must make the same ones in the same order: the lists
 * then evolve alike). An update may first evict any set of entries (even the key updated), as
 * the answer at its position says, or fail with -ENOMEM when the answer's result is -ENOMEM;
 * then it behaves as a hash map update that never runs out of room.
 */
function lruUpdate(
  cx: ExecContext,
  st: FlowState,
  map: number,
  key: BvTerm,
  value: BvTerm,
  flags: BvTerm
): { r0: BvTerm; next: FlowState } {
  const inputs = cx.layout.inputs
  const { bound, next } = recordCall(cx, st, 2, [bv(map, 64), key])
  const failed = atPosition(st.ncall, bound, (p) => eq(inputs.answer(p).r0, errno(Errno.ENOMEM)))
  const live = and(st.pc, not(failed))
  cx.maps.evict(live, map, (k) =>
    atPosition(st.ncall, bound, (p) => inputs.present(lruEvictRegion(p, map), [k]))
  )
  const r0 = cx.maps.update(live, map, key, value, flags).r0
  return { r0: ite(failed, errno(Errno.ENOMEM), r0), next }
}

/** The shared-input region of the keys the LRU update at call position `p` evicts from `map`. */
export function lruEvictRegion(p: number, map: number): string {
  return `evict${p}_map${map}`
}

function checkMapType(type: number, types: ReadonlySet<number>, what: string): void {
  if (!types.has(type)) throw new Unsupported(`${what} on map type ${type} is not modelled`)
}

/** Executes helper `id` on `regs`; returns the state after the call (undefined when it ends the program). */
export function callHelper(
  cx: ExecContext,
  st: FlowState,
  regs: SymVal[],
  id: number
): FlowState | undefined {
  const R = (i: number): SymVal => regs[i] as SymVal
  let next: FlowState = { ...st }
  let r0: SymVal
  switch (id) {
    case 1: {
      const { map, identity } = innerMapOf(R(1), 'map_lookup_elem')
      const def = cx.maps.def(map)
      checkMapType(def.type, LOOKUP_TYPES, 'map_lookup_elem')
      const key = withIdentity(
        identity,
        readArg(cx, memPtr(R(2), 'map_lookup_elem'), innerKeySize(def, identity))
      )
      if (def.type === MapType.ARRAY_OF_MAPS || def.type === MapType.HASH_OF_MAPS) {
        r0 = innerMapLookup(cx, map, key)
        break
      }
      // An LPM trie finds the entry with the longest matching prefix: its value lives under that
      // entry's key, which other lookup keys may share.
      const lpm = def.type === MapType.LPM_TRIE
      if (lpm && identity !== undefined)
        throw new Unsupported('LPM tries held by a map-in-map are not modelled')
      const entry = lpm ? cx.layout.inputs.lpmMatch(`map${map}`, key, (def.keySize - 4) * 8) : key
      const found = lpm ? cx.layout.inputs.present(`map${map}`, [key]) : cx.maps.present(map, key)
      const addr = entryAddress(cx, map, entry, def.valueSize)
      r0 = {
        v: ite(found, addr, bv(0, 64)),
        ptr: { rid: `map${map}`, off: bv(0, 64), key: entry }
      }
      if (isLru(def.type)) next = recordCall(cx, st, id, [bv(map, 64), key]).next
      break
    }
    case 2: {
      const { map, identity } = innerMapOf(R(1), 'map_update_elem')
      const def = cx.maps.def(map)
      checkMapType(def.type, UPDATE_TYPES, 'map_update_elem')
      const key = withIdentity(
        identity,
        readArg(cx, memPtr(R(2), 'map_update_elem'), innerKeySize(def, identity))
      )
      const value = readArg(cx, memPtr(R(3), 'map_update_elem'), def.valueSize)
      if (isLru(def.type)) {
        const lru = lruUpdate(cx, st, map, key, value, R(4).v)
        r0 = { v: lru.r0 }
        next = lru.next
      } else r0 = { v: cx.maps.update(st.pc, map, key, value, R(4).v).r0 }
      break
    }
    case 3: {
      const { map, identity } = innerMapOf(R(1), 'map_delete_elem')
      const def = cx.maps.def(map)
      const type = def.type
      checkMapType(type, UPDATE_TYPES, 'map_delete_elem')
      const key = withIdentity(
        identity,
        readArg(cx, memPtr(R(2), 'map_delete_elem'), innerKeySize(def, identity))
      )
      r0 = { v: cx.maps.delete(st.pc, map, key).r0 }
      if (isLru(type)) next = recordCall(cx, st, id, [bv(map, 64), key]).next
      break
    }
    case 5:
      r0 = { v: nextInSequence(cx, 'time', st.ntime, 64) }
      next = { ...next, ntime: add(st.ntime, bv(1, 8)) }
      break
    case 7:
      r0 = { v: nextInSequence(cx, 'rand', st.nrand, 32) }
      next = { ...next, nrand: add(st.nrand, bv(1, 8)) }
      break
    case 8:
      r0 = { v: zeroExt(bvVar(ENV_CPU, 32), 32) }
      break
    case 14:
      r0 = { v: bvVar(ENV_PID_TGID, 64) }
      break
    case 15:
      r0 = { v: bvVar(ENV_UID_GID, 64) }
      break
    case 12:
      return tailCall(cx, st, regs)
    case 23:
      r0 = redirect(cx, st, regs)
      break
    case 51:
      r0 = redirectMap(cx, st, regs)
      break
    case 6:
      r0 = tracePrintk(cx, st, regs)
      break
    case 25: {
      const sent = perfEventOutput(cx, st, regs)
      r0 = sent.r0
      next = { ...next, nperf: sent.nperf }
      break
    }
    case 130:
    case 131: {
      const ring = id === 130 ? ringbufOutput(cx, st, regs) : ringbufReserve(cx, st, regs)
      r0 = ring.r0
      next = { ...next, rings: ring.rings }
      break
    }
    case 132:
    case 133:
      ringbufCommit(cx, st, regs, id === 132)
      r0 = { v: bv(0, 64) }
      break
    case 44:
    case 54:
    case 65: {
      const adjust = id === 44 ? adjustHead : id === 54 ? adjustMeta : adjustTail
      const moved = adjust(cx, st, regs)
      r0 = { v: moved.r0 }
      next = { ...next, pkt: moved.pkt }
      break
    }
    default: {
      const opaque = OPAQUE_HELPERS.get(id)
      if (opaque !== undefined) {
        const called = callOpaque(cx, next, regs, opaque)
        r0 = called.r0
        next = called.next
        break
      }
      if (isSkbChangeHelper(id)) {
        const changed = callSkbChange(cx, next, regs, id)
        r0 = { v: changed.r0 }
        next = changed.next
        break
      }
      if (!isSkbHelper(id)) throw new Unsupported(`helper ${id} is not modelled by the prover`)
      r0 = { v: callSkbHelper(cx, st, regs, id) }
    }
  }
  const out = [...regs]
  out[0] = r0
  for (let r = 1; r <= 5; r++) out[r] = { v: privateVar(cx, `clobber_r${r}`) }
  return { ...next, regs: out }
}

function tailCall(cx: ExecContext, st: FlowState, regs: SymVal[]): FlowState {
  const map = mapOf(regs[2] as SymVal, 'tail_call')
  const index = low32((regs[3] as SymVal).v)
  const populated = cx.maps.present(map, index)
  const taken: BoolTerm = and(st.pc, populated)
  cx.effects.push({ cond: taken, kind: 'tail_call', args: [bv(map, 64), zeroExt(index, 32)] })
  cx.exits.push({ cond: taken, via: 'tail_call', r0: bv(0, 64), pkt: st.pkt, rings: st.rings })
  const out = [...regs]
  for (let r = 1; r <= 5; r++) out[r] = { v: privateVar(cx, `clobber_r${r}`) }
  return { ...st, pc: and(st.pc, not(populated)), regs: out }
}

/** The value of a constant argument, or Unsupported naming `what`. */
function constArg(v: SymVal, what: string): bigint {
  if (v.v.op !== 'bvconst') throw new Unsupported(`${what} must be a constant here`)
  return v.v.value
}

/** Largest record or format the prover reads in one piece (bytes). */
const MAX_RECORD = 512

/** Undecided conditions a format's bytes may split on before its count is taken as 3. */
const MAX_SPLITS = 16

/** Whether `c` holds (true), fails (false) or is undecided, given conditions known to hold or fail. */
function decide(
  c: BoolTerm,
  holds: ReadonlySet<number>,
  fails: ReadonlySet<number>
): boolean | undefined {
  if (c === TRUE || holds.has(c.id)) return true
  if (c === FALSE || fails.has(c.id)) return false
  if (c.op === 'bnot') {
    const d = decide(c.args[0] as BoolTerm, holds, fails)
    return d === undefined ? undefined : !d
  }
  if (c.op === 'band' || c.op === 'bor') {
    const all = c.op === 'band'
    let open = false
    for (const x of c.args as readonly BoolTerm[]) {
      const d = decide(x, holds, fails)
      if (d === undefined) open = true
      else if (d !== all) return !all
    }
    return open ? undefined : all
  }
  return undefined
}

/**
 * Byte `t` of symbolic memory (if-then-else chains over guarded writes) under the conditions
 * known to hold or fail: its value, the first guard left undecided, or undefined when it is not
 * a constant (an input byte, or a stored value that is not constant).
 */
function byteUnder(
  t: BvTerm,
  holds: ReadonlySet<number>,
  fails: ReadonlySet<number>
): bigint | BoolTerm | undefined {
  for (;;) {
    if (t.op === 'bvconst') return t.value
    if (t.op !== 'ite') return undefined
    const c = t.args[0] as BoolTerm
    const d = decide(c, holds, fails)
    if (d === undefined) return c
    t = t.args[d ? 1 : 2] as BvTerm
  }
}

/**
 * How many of r3..r5 the trace_printk format at `p` reads (0-3), as a term, exact wherever the
 * format is made of constants: its bytes are read as the path making the call wrote them (the
 * stores are guarded by the conditions that led to them: a tail call that fell through, a branch
 * taken), splitting on the guards its path condition `pc` does not decide (a format stored
 * differently on either side of a branch read after the join). 3 where some byte is not a
 * constant (an input such as .rodata) or past {@link MAX_SPLITS} splits.
 */
function printkArgsUsed(cx: ExecContext, pc: BoolTerm, p: Ptr, size: number): BvTerm {
  const bytes: BvTerm[] = []
  for (let i = 0; i < size; i++) bytes.push(cx.mem.read(p.rid, placeAt(p, i), 1))
  const holds = new Set<number>([pc.id])
  const fails = new Set<number>()
  for (const f of (pc.op === 'band' ? pc.args : [pc]) as readonly BoolTerm[]) {
    holds.add(f.id)
    if (f.op === 'bnot') fails.add((f.args[0] as BoolTerm).id)
  }
  let splits = 0
  const count = (): BvTerm => {
    const format: number[] = []
    for (const t of bytes) {
      const b = byteUnder(t, holds, fails)
      if (b === undefined) return bv(3, 64)
      if (typeof b !== 'bigint') {
        if (++splits > MAX_SPLITS) return bv(3, 64)
        holds.add(b.id)
        const yes = count()
        holds.delete(b.id)
        fails.add(b.id)
        const no = count()
        fails.delete(b.id)
        return ite(b, yes, no)
      }
      format.push(Number(b))
      if (b === 0n) break
    }
    return bv(traceArgCount(Uint8Array.from(format), 0, format.length), 64)
  }
  return count()
}

/**
 * trace_printk(fmt, size, a, b, c): the format bytes and the arguments the format reads as an
 * effect, the others as 0 (as in the interpreter: they may be scratch registers, which the
 * verifier lets a program pass here). Its result, the formatted length, is a private unknown:
 * a program that branches on it is never proven equal to one that does not.
 */
function tracePrintk(cx: ExecContext, st: FlowState, regs: SymVal[]): SymVal {
  const R = (i: number): SymVal => regs[i] as SymVal
  const size = Number(BigInt.asIntN(32, constArg(R(2), 'trace_printk: the format size')))
  if (size <= 0 || size > MAX_RECORD)
    throw new Unsupported(`trace_printk: format size ${size} is outside 1..${MAX_RECORD}`)
  const at = memPtr(R(1), 'trace_printk')
  const fmt = readArg(cx, at, size)
  const used = printkArgsUsed(cx, st.pc, at, size)
  const arg = (i: number): BvTerm => ite(ult(bv(i, 64), used), R(3 + i).v, bv(0, 64))
  cx.effects.push({
    cond: st.pc,
    kind: 'trace_printk',
    args: [bv(size, 64), fmt, arg(0), arg(1), arg(2)]
  })
  return { v: privateVar(cx, 'printk_len') }
}

/** Most perf_event_output calls one program may make on a path (its 8-bit record counter). */
const PERF_CALLS = 255

/** perf_event_output calls encoded so far, per query (a bound on any path's count). */
const perfCalls = new WeakMap<ExecContext, number>()

/**
 * The buffer's answer to the record at position `st.nperf` among those that reached an installed
 * slot: shared by both programs position by position, as get_prandom_u32's values are. Sound
 * because a record that reaches the buffer is an effect: when the programs are equal for every
 * shared answer sequence, they write the same records in the same order, so a real buffer, which
 * answers from what it was given, answers both alike. Calls are encoded in program order, so the
 * n-th one is at most at position n - 1, unless the count started from an unknown (a window).
 */
function perfAnswer(cx: ExecContext, st: FlowState): BvTerm {
  const n = (perfCalls.get(cx) ?? 0) + 1
  perfCalls.set(cx, n)
  if (n > PERF_CALLS)
    throw new Unsupported(`perf_event_output: more than ${PERF_CALLS} calls in one program`)
  const bound = valueVars(st.nperf).length === 0 ? n : PERF_CALLS + 1
  return cx.layout.inputs.sequence('perf', st.nperf, bound)
}

/**
 * perf_event_output(ctx, map, flags, data, size): the record (map, flags, bytes, packet sample)
 * as an effect, with the interpreter's checks. The size must be a constant; the flags may be
 * computed (see enc-perf-sample: BPF_F_CURRENT_CPU only, and a packet sample for packet program
 * types). The slot may be empty (-ENOENT) and the CPU may lie beyond the array (-E2BIG).
 */
function perfEventOutput(
  cx: ExecContext,
  st: FlowState,
  regs: SymVal[]
): { r0: SymVal; nperf: BvTerm } {
  const R = (i: number): SymVal => regs[i] as SymVal
  const map = mapOf(R(2), 'perf_event_output')
  const def = cx.maps.def(map)
  if (def.type !== 4) throw new Unsupported('perf_event_output: map is not a perf event array')
  const size = constArg(R(5), 'perf_event_output: size')
  if (size > BigInt(MAX_RECORD))
    throw new Unsupported(`perf_event_output: record size ${size} is above ${MAX_RECORD}`)
  if (R(3).ptr !== undefined) throw new Unsupported('perf_event_output: flags hold a pointer')
  const flags = R(3).v
  const { einval, efault, sample } = perfFlags(cx, st, flags)
  const cpu = bvVar(ENV_CPU, 32)
  const tooBig = not(ult(zeroExt(cpu, 32), bv(def.maxEntries, 64)))
  const installed = cx.maps.present(map, cpu)
  const args = [bv(map, 64), flags, bv(size, 64)]
  if (size > 0n) args.push(readArg(cx, memPtr(R(4), 'perf_event_output'), Number(size)))
  if (sample !== undefined) args.push(sample)
  const ok = and(st.pc, not(einval), not(efault))
  const reaches = and(ok, not(tooBig), installed)
  const answer = perfAnswer(cx, st)
  const refused = or(...PERF_OUTPUT_ERRORS.map((e) => eq(answer, errno(e))))
  cx.effects.push({ cond: and(reaches, not(refused)), kind: 'perf_output', args })
  const written = ite(refused, answer, bv(0, 64))
  const sent = ite(tooBig, errno(Errno.E2BIG), ite(installed, written, errno(Errno.ENOENT)))
  return {
    r0: { v: ite(einval, errno(Errno.EINVAL), ite(efault, errno(Errno.EFAULT), sent)) },
    nperf: ite(reaches, add(st.nperf, bv(1, 8)), st.nperf)
  }
}

function redirect(cx: ExecContext, st: FlowState, regs: SymVal[]): SymVal {
  const xdp = cx.model.ctx === 'xdp'
  if (!xdp && cx.model.ctx !== 'skb')
    throw new Unsupported('redirect is not available for this program type')
  const flags = (regs[2] as SymVal).v
  const bad = xdp
    ? not(eq(flags, bv(0, 64)))
    : not(eq(bvAnd(flags, bv(~1n & 0xffffffffffffffffn, 64)), bv(0, 64)))
  const ifindex = zeroExt(low32((regs[1] as SymVal).v), 32)
  cx.effects.push({ cond: and(st.pc, not(bad)), kind: 'redirect', args: [ifindex, flags] })
  const ok = bv(xdp ? XDP_REDIRECT : TC_ACT_REDIRECT, 64)
  return { v: ite(bad, bv(xdp ? XDP_ABORTED : TC_ACT_SHOT, 64), ok) }
}

function redirectMap(cx: ExecContext, st: FlowState, regs: SymVal[]): SymVal {
  const map = mapOf(regs[1] as SymVal, 'redirect_map')
  const t = cx.maps.def(map).type
  if (t !== 14 && t !== 16 && t !== 17)
    throw new Unsupported(`redirect_map on map type ${t} is not modelled`)
  const flags = (regs[3] as SymVal).v
  const bad = not(eq(bvAnd(flags, bv(~(3n | 8n | 16n) & 0xffffffffffffffffn, 64)), bv(0, 64)))
  const key = low32((regs[2] as SymVal).v)
  const found = and(
    cx.maps.present(map, key),
    ult(zeroExt(key, 32), bv(cx.maps.def(map).maxEntries, 64))
  )
  cx.effects.push({
    cond: and(st.pc, not(bad), found),
    kind: 'redirect_map',
    args: [bv(map, 64), zeroExt(key, 32), flags]
  })
  const fallback = bvAnd(flags, bv(3, 64))
  return { v: ite(bad, bv(XDP_ABORTED, 64), ite(found, bv(XDP_REDIRECT, 64), fallback)) }
}
