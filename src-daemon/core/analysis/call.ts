/** @fileoverview Helper calls (argument checks, clobbers, results), legacy packet loads and bpf-to-bpf calls. */
import type { Decoded } from '../isa/decode'
import { nextId, type Env } from './env'
import { HELPERS, mapFitsHelper, type ArgKind } from './helpers'
import { memAccess } from './memory'
import { isConst, NOT_INIT, UNKNOWN } from './reg'
import { B, byteKind, mapAllRegs, newFrame, top, type State } from './state'
import { MapType, Reject, T, TYPE_NAMES, type Reg } from './types'

const MEM_TYPES: ReadonlySet<T> = new Set([T.STACK, T.PKT, T.PKT_META, T.MAP_VALUE, T.MEM])
const MAX_SIZE = 1n << 29n
/** Deepest call chain the kernel accepts. */
export const MAX_CALL_FRAMES = 8

function typeErr(regno: number, r: Reg, expected: string): Reject {
  return new Reject(
    'VERIFY_HELPER_ARG',
    `R${regno} type=${TYPE_NAMES[r.type]} expected=${expected}`
  )
}

/**
 * The key an array lookup uses when it is a known constant on the stack (zeroed bytes or a
 * spilled constant): the kernel then knows the lookup cannot fail for an in-range index.
 */
function constStackKey(st: State, p: Reg, keySize: number): bigint | undefined {
  if (p.type !== T.STACK || !isConst(p)) return undefined
  const abs = p.off + Number(BigInt.asIntN(64, p.tv))
  const spi = (-abs - 1) >> 3
  const slot = st.frames[p.frame]?.stack[spi]
  const b0 = abs + 8 * (spi + 1)
  if (slot === undefined) return undefined
  let zeros = 0
  while (b0 + zeros < 8 && byteKind(slot, b0 + zeros) === B.ZERO) zeros++
  if (zeros >= keySize) return 0n
  const v = slot.spill
  if (v === undefined || byteKind(slot, 0) !== B.SPILL || v.type !== T.SCALAR) return undefined
  let spilled = 0
  while (b0 + spilled < 8 && byteKind(slot, b0 + spilled) === B.SPILL) spilled++
  if (spilled !== keySize || !isConst(v)) return undefined
  return v.tv
}

/** Checks a memory argument in `regno` whose size is in `regno + 1`. */
function memArg(
  env: Env,
  st: State,
  regno: number,
  kind: ArgKind,
  sizeKind: ArgKind | undefined
): void {
  const regs = top(st).regs
  const p = regs[regno] as Reg
  const sz = regs[regno + 1] as Reg
  if (kind === 'mem_or_null' && p.type === T.SCALAR && isConst(p) && p.tv === 0n) return
  if (!MEM_TYPES.has(p.type)) throw typeErr(regno, p, 'fp, pkt, pkt_meta, map_value, mem')
  if (sz.type === T.NOT_INIT) throw new Reject('VERIFY_UNINIT_REG', `R${regno + 1} !read_ok`)
  if (sz.type !== T.SCALAR) throw typeErr(regno + 1, sz, 'scalar')
  if (sz.smin < 0n) {
    throw new Reject(
      'VERIFY_HELPER_ARG',
      `R${regno + 1} min value is negative, either use unsigned or 'var &= const'`
    )
  }
  if (sizeKind === 'size' && sz.umin === 0n) {
    throw new Reject('VERIFY_HELPER_ARG', `R${regno + 1} invalid zero-sized read`)
  }
  if (sz.umax >= MAX_SIZE) {
    throw new Reject(
      'VERIFY_HELPER_ARG',
      `R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`
    )
  }
  if (sz.umax > 0n)
    memAccess(
      env,
      st,
      regno,
      0,
      Number(sz.umax),
      kind === 'uninit_mem' ? 'helper_write' : 'helper_read',
      undefined
    )
}

/** Executes a helper call: checks r1-r5 against the prototype, then clobbers r1-r5 and sets r0. */
export function helperCall(env: Env, st: State, d: Decoded): void {
  const id = d.insn.imm
  const h = HELPERS.get(id)
  if (h === undefined) throw new Reject('VERIFY_UNKNOWN_HELPER', `invalid func unknown#${id}`)
  if (h.progs !== undefined && !h.progs.includes(env.progType)) {
    throw new Reject(
      'VERIFY_UNKNOWN_HELPER',
      `program of this type cannot use helper bpf_${h.name}#${id}`
    )
  }
  const regs = top(st).regs
  let mapIndex = -1
  let allocSize = 0
  let release = 0
  let nonNull = false
  for (let i = 0; i < h.args.length; i++) {
    const kind = h.args[i] as ArgKind
    const regno = i + 1
    const r = regs[regno] as Reg
    if (kind === 'size' || kind === 'size_or_zero') continue
    if (r.type === T.NOT_INIT) throw new Reject('VERIFY_UNINIT_REG', `R${regno} !read_ok`)
    switch (kind) {
      case 'anything':
        break
      case 'ctx':
        if (r.type !== T.CTX) throw typeErr(regno, r, 'ctx')
        if (r.off !== 0 || !isConst(r) || r.tv !== 0n) {
          throw new Reject(
            'VERIFY_HELPER_ARG',
            `dereference of modified ctx ptr R${regno} off=${r.off} disallowed`
          )
        }
        break
      case 'map': {
        if (r.type !== T.MAP_PTR || r.off !== 0) throw typeErr(regno, r, 'map_ptr')
        const m = env.maps[r.map]
        if (m === undefined)
          throw new Reject('VERIFY_HELPER_ARG', `R${regno} refers to missing map ${r.map}`)
        if (!mapFitsHelper(h, m.type)) {
          if (id === 12)
            throw new Reject('VERIFY_HELPER_ARG', 'expected prog array map for tail call')
          throw new Reject(
            'VERIFY_HELPER_ARG',
            `cannot pass map_type ${m.type} into func bpf_${h.name}#${id}`
          )
        }
        mapIndex = r.map
        break
      }
      case 'key':
      case 'value': {
        const m = env.maps[mapIndex]
        if (m === undefined)
          throw new Reject('VERIFY_HELPER_ARG', `R${regno} map pointer missing before key/value`)
        if (!MEM_TYPES.has(r.type)) throw typeErr(regno, r, 'fp, pkt, pkt_meta, map_key, map_value')
        memAccess(
          env,
          st,
          regno,
          0,
          kind === 'key' ? m.keySize : m.valueSize,
          'helper_read',
          undefined
        )
        if (
          kind === 'key' &&
          id === 1 &&
          (m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY)
        ) {
          const key = constStackKey(st, r, m.keySize)
          nonNull = key !== undefined && key < BigInt(m.maxEntries)
        }
        break
      }
      case 'mem':
      case 'uninit_mem':
      case 'mem_or_null':
        memArg(env, st, regno, kind, h.args[i + 1])
        break
      case 'const_alloc_size':
        if (r.type !== T.SCALAR || !isConst(r))
          throw new Reject('VERIFY_HELPER_ARG', `R${regno} is not a known constant'`)
        allocSize = Number(r.tv)
        break
      case 'ringbuf_mem':
        if (r.type !== T.MEM || r.ref === 0 || r.off !== 0 || !isConst(r) || r.tv !== 0n)
          throw typeErr(regno, r, 'ringbuf_mem')
        release = r.ref
        break
      default:
        break
    }
  }
  if (h.changesPkt) {
    mapAllRegs(st, (x) =>
      x.type === T.PKT || x.type === T.PKT_END || x.type === T.PKT_META ? UNKNOWN : x
    )
  }
  if (release !== 0) {
    st.refs = st.refs.filter((r) => r.id !== release)
    mapAllRegs(st, (x) => (x.ref === release ? UNKNOWN : x))
  }
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT
  switch (h.ret) {
    case 'int':
      regs[0] = UNKNOWN
      break
    case 'void':
      regs[0] = NOT_INIT
      break
    case 'map_value_or_null':
      regs[0] = nonNull
        ? { ...NOT_INIT, type: T.MAP_VALUE, map: mapIndex }
        : { ...NOT_INIT, type: T.MAP_VALUE_OR_NULL, map: mapIndex, id: nextId(env) }
      break
    case 'mem_or_null': {
      const rid = nextId(env)
      regs[0] = { ...NOT_INIT, type: T.MEM_OR_NULL, map: allocSize, id: rid, ref: rid }
      st.refs.push({ id: rid, index: d.index })
      break
    }
  }
}

/** Executes ld_abs / ld_ind: r6 must hold the socket buffer context; r0 gets the loaded value. */
export function ldPacket(env: Env, st: State, d: Decoded): void {
  if (env.progType !== 'socket_filter' && env.progType !== 'sched_cls') {
    throw new Reject(
      'VERIFY_LD_ABS',
      'BPF_LD_[ABS|IND] instructions not allowed for this program type'
    )
  }
  const regs = top(st).regs
  if ((regs[6] as Reg).type !== T.CTX) {
    throw new Reject('VERIFY_LD_ABS', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb')
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
