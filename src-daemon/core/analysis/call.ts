/** @fileoverview Helper calls (argument checks, clobbers, results), legacy packet loads and bpf-to-bpf calls. */
import type { Decoded } from '../isa/decode'
import { nextId, type Env } from './env'
import { btfIndex, checkArg, type CallMeta } from './helper-args'
import { helperBtfResult } from './btf-access'
import { helperFor, HELPERS, type HelperSpec } from './helpers'
import { NOT_INIT, rangeReg, sync, UNKNOWN } from './reg'
import { mapAllRegs, newFrame, top, type State } from './state'
import { mapFlags } from './memory'
import { MAP_RDONLY_PROG, MapType, Reject, T, type Reg } from './types'

/** Deepest call chain the kernel accepts. */
export const MAX_CALL_FRAMES = 8

/** Helpers whose result shares the reference of their socket argument (is_ptr_cast_function). */
const PTR_CASTS: ReadonlySet<number> = new Set([96, 95, 136, 137, 138, 139, 140, 196])
/** Helpers whose non-null result must be released (is_acquire_function). */
const ACQUIRE: ReadonlySet<number> = new Set([84, 85, 99, 131])
/** Helpers whose result is at most the size argument, or a negative errno (do_refine_retval_range). */
const SIZE_BOUNDED: ReadonlySet<number> = new Set([67, 141, 45, 115, 114])
/** Helpers that may sleep: only sleepable programs may call them. */
const MIGHT_SLEEP: ReadonlySet<number> = new Set([148, 191, 166, 167, 168, 161, 193])
/** MAX_ERRNO. */
const MAX_ERRNO = 4095n
/** The largest number of CPUs a kernel supports (the kernel bounds by its nr_cpu_ids, never more). */
const MAX_CPUS = 8192n

/**
 * The result of a call returning a map value (lookup, storage get). Lookups in socket maps
 * yield (referenced) sockets, in XSK maps XDP sockets, in map-in-maps the inner map: the kernel
 * types them so once null-checked (mark_ptr_not_null_reg); the analysis types them so at once.
 */
function mapValueResult(env: Env, meta: CallMeta, h: HelperSpec, nullable: boolean): Reg {
  const m = env.maps[meta.mapIndex]
  const fields = { map: meta.mapIndex }
  if (!nullable) return { ...NOT_INIT, ...fields, type: T.MAP_VALUE }
  if (h.id === 1 && m !== undefined) {
    if (m.type === MapType.SOCKMAP || m.type === MapType.SOCKHASH)
      return { ...NOT_INIT, ...fields, type: T.SOCKET_OR_NULL, id: nextId(env) }
    if (m.type === MapType.XSKMAP)
      return { ...NOT_INIT, ...fields, type: T.XDP_SOCK_OR_NULL, id: nextId(env) }
    if (m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS) {
      const inner = env.innerMaps[meta.mapIndex] ?? -1
      if (inner < 0)
        throw new Reject(
          'VERIFY_UNSUPPORTED',
          `map-in-map ${meta.mapIndex} has no inner map definition`
        )
      return { ...NOT_INIT, map: inner, type: T.MAP_PTR_OR_NULL, id: nextId(env) }
    }
  }
  if (h.id === 1 && meta.constKey) return { ...NOT_INIT, ...fields, type: T.MAP_VALUE }
  return { ...NOT_INIT, ...fields, type: T.MAP_VALUE_OR_NULL, id: nextId(env) }
}

/** r0 after a call to `h`. */
function result(env: Env, h: HelperSpec, meta: CallMeta): Reg {
  const ptr = (type: T, fields: Partial<Reg> = {}): Reg => ({ ...NOT_INIT, ...fields, type })
  switch (h.ret) {
    case 'int': {
      if (SIZE_BOUNDED.has(h.id))
        return sync({ ...UNKNOWN, smin: -MAX_ERRNO, smax: BigInt.asIntN(64, meta.sizeMax) })
      if (h.id === 8) return rangeReg(0n, MAX_CPUS - 1n)
      return UNKNOWN
    }
    case 'void':
      return NOT_INIT
    case 'map_value_or_null':
    case 'map_value':
      return mapValueResult(env, meta, h, h.ret === 'map_value_or_null')
    case 'ringbuf_mem_or_null':
      return ptr(T.MEM_OR_NULL, { map: meta.allocSize })
    case 'socket_or_null':
    case 'tcp_sock_or_null':
    case 'sock_common_or_null': {
      const kind =
        h.ret === 'socket_or_null'
          ? T.SOCKET_OR_NULL
          : h.ret === 'tcp_sock_or_null'
            ? T.TCP_SOCK_OR_NULL
            : T.SOCK_COMMON_OR_NULL
      return ptr(kind, { id: nextId(env), ref: PTR_CASTS.has(h.id) ? meta.refObj : 0 })
    }
    case 'btf_id_or_null':
    case 'btf_id': {
      const kernel = helperBtfResult(env, h.retBtf ?? '', h.ret === 'btf_id_or_null')
      if (kernel !== undefined) return { ...kernel, ref: PTR_CASTS.has(h.id) ? meta.refObj : 0 }
      const fields = { map: btfIndex(h.retBtf ?? ''), ref: PTR_CASTS.has(h.id) ? meta.refObj : 0 }
      return h.ret === 'btf_id'
        ? ptr(T.BTF_ID, fields)
        : ptr(T.BTF_ID_OR_NULL, { ...fields, id: nextId(env) })
    }
    default:
      throw new Reject(
        'VERIFY_UNSUPPORTED',
        `helper bpf_${h.name}#${h.id} returns a ${h.ret}, which the analysis does not model`
      )
  }
}

/**
 * Helpers the kernel allows only for some attach targets, decided from the target where the
 * analysis knows the kernel's rule: bpf_sk_storage_get/delete in tracing programs
 * (bpf_sk_storage_tracing_allowed: tp_btf, and fentry/fexit of functions not named bpf_sk_storage*).
 */
function allowedForTarget(env: Env, id: number): boolean {
  const t = env.btfTarget
  if (t === undefined || env.progType !== 'tracing' || (id !== 107 && id !== 108)) return false
  if (t.kind === 'tp_btf') return true
  return (t.kind === 'fentry' || t.kind === 'fexit') && !t.name.startsWith('bpf_sk_storage')
}

/** Executes a helper call: checks r1-r5 against the prototype, then clobbers r1-r5 and sets r0. */
export function helperCall(env: Env, st: State, d: Decoded): void {
  const id = d.insn.imm
  const h = helperFor(id, env.progType, env.attachType)
  if (h === undefined) {
    const known = HELPERS.get(id)
    throw new Reject(
      'VERIFY_UNKNOWN_HELPER',
      known === undefined
        ? `invalid func unknown#${id}`
        : `program of this type cannot use helper bpf_${known.name}#${id}`
    )
  }
  if (MIGHT_SLEEP.has(id) && !env.sleepable)
    throw new Reject('VERIFY_UNKNOWN_HELPER', 'helper call might sleep in a non-sleepable prog')
  if (h.allowlist && !allowedForTarget(env, id)) {
    throw new Reject(
      'VERIFY_UNSUPPORTED',
      `helper bpf_${h.name}#${id} is allowed only for some attach targets, which the analysis does not model`
    )
  }
  const meta: CallMeta = {
    mapIndex: -1,
    allocSize: 0,
    release: 0,
    refObj: 0,
    constKey: false,
    sizeMax: 0n
  }
  for (let i = 0; i < h.args.length; i++) checkArg(env, st, h, i, meta)
  const flags = top(st).regs[2] as Reg
  if (id === 81 && !(flags.type === T.SCALAR && flags.tm === 0n && flags.tv === 0n))
    throw new Reject('VERIFY_HELPER_ARG', "get_local_storage() doesn't support non-zero flags")
  const map = env.maps[meta.mapIndex]
  if (map !== undefined && (mapFlags(map) & MAP_RDONLY_PROG) !== 0 && [2, 3, 87, 88].includes(id))
    throw new Reject('VERIFY_MAP_BOUNDS', 'write into map forbidden')
  if (meta.release !== 0) {
    st.refs = st.refs.filter((r) => r.id !== meta.release)
    mapAllRegs(st, (x) => (x.ref === meta.release ? UNKNOWN : x))
  }
  let r0 = result(env, h, meta)
  const regs = top(st).regs
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT
  const acquires =
    ACQUIRE.has(h.id) ||
    (h.id === 1 &&
      map !== undefined &&
      (map.type === MapType.SOCKMAP || map.type === MapType.SOCKHASH))
  if (acquires && r0.type !== T.NOT_INIT) {
    const rid = r0.id !== 0 ? r0.id : nextId(env)
    r0 = { ...r0, id: rid, ref: rid }
    st.refs.push({ id: rid, index: d.index })
  }
  regs[0] = r0
  if (h.changesPkt || (h.id === 12 && env.tailCallChangesPkt)) {
    mapAllRegs(st, (x) =>
      x.type === T.PKT || x.type === T.PKT_END || x.type === T.PKT_META ? UNKNOWN : x
    )
  }
}

/** Executes ld_abs / ld_ind: r6 must hold the socket buffer context; r0 gets the loaded value. */
export function ldPacket(env: Env, st: State, d: Decoded): void {
  const t = env.progType
  if (t !== 'socket_filter' && t !== 'sched_cls' && t !== 'sched_act' && t !== 'plain') {
    throw new Reject(
      'VERIFY_LD_ABS',
      'BPF_LD_[ABS|IND] instructions not allowed for this program type'
    )
  }
  const regs = top(st).regs
  if ((regs[6] as Reg).type !== T.CTX) {
    throw new Reject('VERIFY_LD_ABS', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb')
  }
  if (st.refs.length > 0) {
    throw new Reject('VERIFY_LD_ABS', 'BPF_LD_[ABS|IND] cannot be mixed with socket references')
  }
  if (d.spec.kind === 'ldind' && (regs[d.insn.src] as Reg).type === T.NOT_INIT) {
    throw new Reject('VERIFY_UNINIT_REG', `R${d.insn.src} !read_ok`)
  }
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT
  // The kernel does not bound the loaded value by its size: mirror that (never be more precise).
  regs[0] = UNKNOWN
}

/** Enters a bpf-to-bpf call: a new frame receiving r1-r5. */
export function enterCall(st: State, pos: number, subprog: number): void {
  if (st.frames.length >= MAX_CALL_FRAMES) {
    throw new Reject(
      'VERIFY_CALL_DEPTH',
      `the call stack of ${st.frames.length + 1} frames is too deep !`
    )
  }
  const caller = top(st)
  const f = newFrame(st.frames.length, pos, subprog)
  for (let r = 1; r <= 5; r++) f.regs[r] = caller.regs[r] as Reg
  st.frames.push(f)
}

/** Returns from a bpf-to-bpf call: r0 to the caller, caller's r1-r5 clobbered; the call's position. */
export function leaveCall(st: State): number {
  const callee = st.frames.pop()
  if (callee === undefined) throw new Reject('VERIFY_UNSUPPORTED', 'return without a frame')
  const r0 = callee.regs[0] as Reg
  if (r0.type === T.STACK && r0.frame === st.frames.length) {
    throw new Reject('VERIFY_INVALID_MEM', 'cannot return stack pointer to the caller')
  }
  const regs = top(st).regs
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT
  regs[0] = r0
  return callee.callsite
}
