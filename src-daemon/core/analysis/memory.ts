/** @fileoverview Loads and stores through pointers: bounds, alignment, context rules, stack spill/fill. */
import { btfCtxLoad, btfPointerAccess, isKernelBtf } from './btf-access'
import { BTF_CONTEXT, ctxAccess } from './ctx-access'
import { sockAccess, sockCommonAccess, tcpSockAccess, xdpSockAccess } from './ctx-sock'
import { nextId, type Env } from './env'
import { constReg, isConst, UNKNOWN } from './reg'
import { sizedUnknown } from './sized'
import { tAdd, tConst } from './tnum'
import { B, byteKind, top, type Slot, type State } from './state'
import {
  MAP_RDONLY_PROG,
  MAP_WRONLY_PROG,
  MapType,
  NON_NULL,
  Reject,
  T,
  TYPE_NAMES,
  type MapDef,
  type ProgType,
  type Reg
} from './types'

const MAX_VAR_OFF = 1n << 29n
/** `sizeof(struct bpf_flow_keys)`. */
const FLOW_KEYS_SIZE = 56

/** Program types that may write packet data directly (may_access_direct_pkt_data). */
const PKT_WRITERS: ReadonlySet<ProgType> = new Set<ProgType>([
  'sched_cls',
  'sched_act',
  'xdp',
  'lwt_xmit',
  'sk_skb',
  'sk_msg',
  'cgroup_sockopt',
  'plain'
])

/** Truncates (and optionally sign-extends) a known value read as `size` bytes. */
function narrowConst(v: bigint, byteOff: number, size: number, signed: boolean): Reg {
  const bits = BigInt(size * 8)
  const raw = (v >> BigInt(byteOff * 8)) & ((1n << bits) - 1n)
  return constReg(signed ? BigInt.asIntN(Number(bits), raw) : raw)
}

/** How an access is made: by an instruction load/store, an atomic, or a helper reading/writing memory. */
export type AccessKind = 'load' | 'store' | 'atomic' | 'helper_read' | 'helper_write'

/** The value a store writes: a register or a known immediate. */
export type Stored = { readonly reg: Reg } | { readonly imm: bigint } | undefined

function kindName(k: AccessKind): string {
  return k === 'load' || k === 'helper_read' ? 'read from' : 'write to'
}

/** Checks a stack access range [lo, lo+size) of frame `frame` and records the depth. */
function stackBounds(
  env: Env,
  regno: number,
  lo: number,
  hi: number,
  size: number,
  kind: AccessKind,
  frame: number
): void {
  const helper = kind === 'helper_read' || kind === 'helper_write'
  if (lo < -512 || lo >= 0 || hi > 0 || size < 0 || (size === 0 && !helper)) {
    throw new Reject(
      'VERIFY_STACK_BOUNDS',
      `invalid ${kindName(kind)} stack R${regno} off=${lo} size=${size}`
    )
  }
  const sp = env.subprogOfFrame(frame)
  if (-lo > (env.stackDepth[sp] as number)) env.stackDepth[sp] = -lo
}

function slotIndex(abs: number): number {
  return (-abs - 1) >> 3
}

/** Reads `size` bytes at fixed stack offset `abs` of a frame; returns the loaded value. */
/** Number of SPILL bytes at the bottom of a slot (the size of the spilled register). */
function spillSize(slot: Slot): number {
  let n = 0
  while (n < 8 && byteKind(slot, n) === B.SPILL) n++
  return n
}

/** Spill bytes of a slot turned into misc bytes (a partly overwritten spill). */
function despill(kinds: number): number {
  let k = kinds
  for (let i = 0; i < 8; i++)
    if (((k >> (2 * i)) & 3) === B.SPILL) k = (k & ~(3 << (2 * i))) | (B.MISC << (2 * i))
  return k
}

/** A spilled scalar read back with `size` bytes (zero- or sign-extended). */
function fillScalar(sp: Reg, size: number, signed: boolean): Reg {
  if (size === 8) return sp
  if (isConst(sp)) return narrowConst(sp.tv, 0, size, signed)
  if (!signed && sp.umax < 1n << BigInt(size * 8)) return sp
  return sizedUnknown(size, signed)
}

/** Reads `size` bytes at fixed stack offset `abs` of a frame; returns the loaded value. */
function stackRead(
  env: Env,
  st: State,
  frame: number,
  regno: number,
  abs: number,
  size: number,
  signed: boolean
): Reg {
  const fr = st.frames[frame]
  if (fr === undefined) throw new Reject('VERIFY_INVALID_MEM', `R${regno} invalid stack frame`)
  const spi = slotIndex(abs)
  const slot = fr.stack[spi]
  const b0 = abs + 8 * (spi + 1)
  if (slot?.spill !== undefined && byteKind(slot, 0) === B.SPILL) {
    const sp = slot.spill
    const n = spillSize(slot)
    if (size === 8 && n === 8) return sp
    if (sp.type !== T.SCALAR) throw new Reject('VERIFY_SPILL', 'invalid size of register fill')
    if (b0 === 0 && size === n) return fillScalar(sp, size, signed)
    if (b0 === 0 && isConst(sp) && sp.tv === 0n && size <= n) return constReg(0n)
  }
  let allZero = true
  for (let i = 0; i < size; i++) {
    const k = byteKind(slot, b0 + i)
    if (k === B.INVALID && !env.uninitStack) {
      throw new Reject(
        'VERIFY_STACK_BOUNDS',
        `invalid read from stack R${regno} off ${abs} size ${size}`
      )
    }
    if (k !== B.ZERO) allZero = false
  }
  return allZero ? constReg(0n) : sizedUnknown(size, signed)
}

/** Marks bytes [abs, abs+size) of a frame as written with `kind` (destroying spills they touch). */
export function stackMark(st: State, frame: number, abs: number, size: number, kind: B): void {
  const fr = st.frames[frame]
  if (fr === undefined) return
  for (let a = abs; a < abs + size; a++) {
    const spi = slotIndex(a)
    const old = fr.stack[spi]
    let kinds = old?.kinds ?? 0
    if (old?.spill !== undefined) kinds = despill(kinds)
    const b = a + 8 * (spi + 1)
    kinds = (kinds & ~(3 << (2 * b))) | (kind << (2 * b))
    fr.stack[spi] = { kinds, spill: undefined }
  }
}

/**
 * Writes `size` bytes at `abs`. As in the kernel (privileged), a store at the bottom of a slot
 * spills the register (a scalar of any width, a pointer only at full width); other stores make
 * misc or zero bytes.
 */
function stackWrite(
  st: State,
  frame: number,
  regno: number,
  abs: number,
  size: number,
  value: Stored
): void {
  const fr = st.frames[frame]
  if (fr === undefined) throw new Reject('VERIFY_INVALID_MEM', `R${regno} invalid stack frame`)
  const v: Reg | undefined =
    value === undefined ? undefined : 'reg' in value ? value.reg : constReg(value.imm)
  if (v !== undefined && v.type !== T.SCALAR && size !== 8) {
    throw new Reject('VERIFY_SPILL', 'invalid size of register spill')
  }
  if (v !== undefined && abs % 8 === 0) {
    const spi = slotIndex(abs)
    const old = fr.stack[spi]
    let kinds = old?.spill !== undefined ? despill(old.kinds) : (old?.kinds ?? 0)
    for (let i = 0; i < size; i++) kinds = (kinds & ~(3 << (2 * i))) | (B.SPILL << (2 * i))
    fr.stack[spi] = { kinds, spill: v }
    return
  }
  const zero = v !== undefined && isConst(v) && v.tv === 0n
  stackMark(st, frame, abs, size, zero ? B.ZERO : B.MISC)
}

/** A helper reads (checks initialisation) or writes (marks misc) stack bytes [abs, abs+size). */
function helperStack(
  env: Env,
  st: State,
  frame: number,
  regno: number,
  abs: number,
  size: number,
  write: boolean
): void {
  if (write) {
    stackMark(st, frame, abs, size, B.MISC)
    return
  }
  if (env.uninitStack) return
  const fr = st.frames[frame]
  for (let a = abs; a < abs + size; a++) {
    const spi = slotIndex(a)
    if (byteKind(fr?.stack[spi], a + 8 * (spi + 1)) === B.INVALID) {
      throw new Reject(
        'VERIFY_STACK_BOUNDS',
        `invalid indirect read from stack R${regno} off ${abs}+${a - abs} size ${size}`
      )
    }
  }
}

function checkVar(regno: number, r: Reg, what: string): void {
  if (r.umax >= MAX_VAR_OFF && r.smin >= 0) {
    throw new Reject(
      'VERIFY_MAP_BOUNDS',
      `R${regno} unbounded memory access, make sure to bounds check any such access`
    )
  }
  if (r.smin < 0 || r.umax >= MAX_VAR_OFF) {
    throw new Reject(
      what === 'pkt' ? 'VERIFY_PKT_BOUNDS' : 'VERIFY_MAP_BOUNDS',
      `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`
    )
  }
}

/**
 * Checks an access of `size` bytes at `insnOff` from the pointer in register `regno` and
 * performs it on the state: loads return the value read, stores update stack slots.
 */
export function memAccess(
  env: Env,
  st: State,
  regno: number,
  insnOff: number,
  size: number,
  kind: AccessKind,
  value: Stored,
  signed = false
): Reg {
  const r = top(st).regs[regno] as Reg
  const write = kind === 'store' || kind === 'atomic' || kind === 'helper_write'
  const off = r.off + insnOff
  // check_ptr_alignment: stack accesses are always checked, every pointer for atomics (map
  // values below, with the bounds).
  const direct = kind === 'load' || kind === 'store' || kind === 'atomic'
  const strict = r.type === T.STACK || (kind === 'atomic' && r.type !== T.MAP_VALUE)
  if (direct && strict && !aligned(r, insnOff, size)) {
    throw new Reject(
      'VERIFY_ALIGN',
      `misaligned ${r.type === T.STACK ? 'stack ' : ''}access off (0x${r.tv.toString(16)}; 0x${r.tm.toString(16)})+${r.off}+${insnOff} size ${size}`
    )
  }
  switch (r.type) {
    case T.NOT_INIT:
      throw new Reject('VERIFY_UNINIT_REG', `R${regno} !read_ok`)
    case T.CTX: {
      if (kind === 'atomic' || (kind === 'store' && value !== undefined && !('reg' in value))) {
        throw new Reject(
          'VERIFY_CTX_ACCESS',
          `BPF_${kind === 'atomic' ? 'ATOMIC' : 'ST'} stores into R${regno} ctx is not allowed`
        )
      }
      if (r.off !== 0 || !isConst(r) || r.tv !== 0n) {
        throw new Reject(
          'VERIFY_CTX_ACCESS',
          `dereference of modified ctx ptr R${regno} off=${r.off} disallowed`
        )
      }
      if (env.progType === 'tracing' || env.progType === 'lsm') {
        if (kind !== 'load' && kind !== 'store')
          throw new Reject(
            'VERIFY_CTX_ACCESS',
            `invalid bpf_context access off=${off} size=${size}`
          )
        const v = btfCtxLoad(env, off, size, write, signed)
        if (off + size > env.ctxBytes) env.ctxBytes = off + size
        return v
      }
      if (BTF_CONTEXT.has(env.progType)) {
        throw new Reject(
          'VERIFY_UNSUPPORTED',
          `the context of ${env.progType} programs is typed by the attach target's BTF, which the analysis does not model`
        )
      }
      const v = ctxAccess(env.progType, { off, size, write, signed }, env.ctxSize, env.attachType)
      if (!v.ok || (kind !== 'load' && kind !== 'store')) {
        throw new Reject('VERIFY_CTX_ACCESS', `invalid bpf_context access off=${off} size=${size}`)
      }
      if (off + size > env.ctxBytes) env.ctxBytes = off + size
      if (write) return UNKNOWN
      if (v.yields === T.SCALAR) return sizedUnknown(size, signed)
      const p: Reg = { ...UNKNOWN, type: v.yields, umax: 0n, smin: 0n, smax: 0n, tm: 0n }
      return NON_NULL.has(v.yields) ? { ...p, id: nextId(env) } : p
    }
    case T.STACK: {
      if (!isConst(r)) {
        const lo = off + Number(BigInt.asIntN(64, r.smin))
        const hi = off + Number(BigInt.asIntN(64, r.smax)) + size
        if (r.smin < -(1n << 20n) || r.smax > 1n << 20n || lo < -512 || lo >= 0 || hi > 0) {
          throw new Reject(
            'VERIFY_STACK_BOUNDS',
            `invalid variable-offset ${kindName(kind)} stack R${regno} off=${off} size=${size}`
          )
        }
        stackBounds(env, regno, lo, hi, size, kind, r.frame)
        if (write) stackMark(st, r.frame, lo, hi - lo, B.MISC)
        else helperStack(env, st, r.frame, regno, lo, hi - lo, false)
        return sizedUnknown(size, signed)
      }
      const abs = off + Number(BigInt.asIntN(64, r.tv))
      stackBounds(env, regno, abs, abs + size, size, kind, r.frame)
      if (kind === 'helper_read' || kind === 'helper_write') {
        helperStack(env, st, r.frame, regno, abs, size, kind === 'helper_write')
        return UNKNOWN
      }
      if (kind === 'atomic') {
        const old = stackRead(env, st, r.frame, regno, abs, size, false)
        if (old.type !== T.SCALAR)
          throw new Reject('VERIFY_INVALID_MEM', `R${regno} invalid atomic on spilled pointer`)
        stackWrite(st, r.frame, regno, abs, size, {
          reg: size === 8 ? UNKNOWN : sizedUnknown(size)
        })
        return sizedUnknown(size)
      }
      if (write) {
        stackWrite(st, r.frame, regno, abs, size, value)
        return UNKNOWN
      }
      return stackRead(env, st, r.frame, regno, abs, size, signed)
    }
    case T.PKT:
    case T.PKT_META: {
      if (kind === 'atomic')
        throw new Reject(
          'VERIFY_INVALID_MEM',
          `BPF_ATOMIC stores into R${regno} pkt is not allowed`
        )
      if (write && !PKT_WRITERS.has(env.progType)) {
        throw new Reject('VERIFY_PKT_BOUNDS', 'cannot write into packet')
      }
      if (r.smin < 0) {
        throw new Reject(
          'VERIFY_PKT_BOUNDS',
          `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`
        )
      }
      if (off < 0 || off + size > r.range || r.umax + BigInt(off + size) > 0xffffn) {
        throw new Reject(
          'VERIFY_PKT_BOUNDS',
          `invalid access to packet, off=${off} size=${size}, R${regno}(id=${r.id},off=${off},r=${r.range})`
        )
      }
      return write ? UNKNOWN : sizedUnknown(size, signed)
    }
    case T.MAP_VALUE:
    case T.MEM: {
      const limit = r.type === T.MAP_VALUE ? (env.maps[r.map]?.valueSize ?? 0) : r.map
      const m = env.maps[r.map]
      if (r.type === T.MAP_VALUE && m !== undefined)
        mapAccessType(mapFlags(m), kind, limit, off, size)
      checkVar(regno, r, 'map')
      const lo = BigInt(off) + r.smin
      const hi = BigInt(off + size) + r.umax
      if (lo < 0n || hi > BigInt(limit)) {
        const what =
          r.type === T.MAP_VALUE ? `map value, value_size=${limit}` : `memory, mem_size=${limit}`
        throw new Reject(
          r.type === T.MAP_VALUE ? 'VERIFY_MAP_BOUNDS' : 'VERIFY_MEM_BOUNDS',
          `invalid access to ${what} off=${off} size=${size}`
        )
      }
      if (
        kind === 'atomic' &&
        ((BigInt(off) + r.tv) % BigInt(size) !== 0n || (r.tm & BigInt(size - 1)) !== 0n)
      ) {
        throw new Reject('VERIFY_ALIGN', `misaligned value access off ${off} size ${size}`)
      }
      if (kind === 'load' && r.type === T.MAP_VALUE && m !== undefined && isConst(r)) {
        const known = frozenRead(m, off + Number(r.tv), size, signed)
        if (known !== undefined) return known
      }
      return write && kind !== 'atomic' ? UNKNOWN : sizedUnknown(size, signed)
    }
    case T.SOCKET:
    case T.SOCK_COMMON:
    case T.TCP_SOCK:
    case T.XDP_SOCK:
      return sockPointerAccess(r, regno, off, size, kind)
    case T.BTF_ID:
      if (!isKernelBtf(r) || kind === 'atomic') break
      if (kind === 'helper_read' || kind === 'helper_write')
        throw new Reject(
          'VERIFY_UNSUPPORTED',
          `R${regno} is a kernel BTF pointer, which the analysis does not pass as helper memory`
        )
      return btfPointerAccess(env, r, regno, off, size, kind === 'load', signed)
    case T.FLOW_KEYS:
      if (kind === 'atomic') break
      if (off < 0 || off + size > FLOW_KEYS_SIZE || !isConst(r)) {
        throw new Reject(
          'VERIFY_INVALID_MEM',
          `invalid access to flow keys off=${off} size=${size}`
        )
      }
      return write ? UNKNOWN : sizedUnknown(size, signed)
    default:
      break
  }
  if (NON_NULL.has(r.type))
    throw new Reject('VERIFY_NULL_DEREF', `R${regno} invalid mem access '${TYPE_NAMES[r.type]}'`)
  throw new Reject('VERIFY_INVALID_MEM', `R${regno} invalid mem access '${TYPE_NAMES[r.type]}'`)
}

/**
 * Whether `r + insnOff` is a multiple of `size` for every value of its variable part (the
 * kernel's tnum_is_aligned; packet pointers count the 2-byte NET_IP_ALIGN).
 */
function aligned(r: Reg, insnOff: number, size: number): boolean {
  if (size === 1) return true
  const pkt = r.type === T.PKT || r.type === T.PKT_META ? 2 : 0
  const t = tAdd({ v: r.tv, m: r.tm }, tConst(BigInt(r.off + insnOff + pkt)))
  return ((t.v | t.m) & BigInt(size - 1)) === 0n
}

/**
 * A load from a frozen read-only array at a known offset: the kernel reads the value's bytes at
 * verification time (bpf_map_direct_read) and the register holds them as a constant.
 */
function frozenRead(m: MapDef, at: number, size: number, signed: boolean): Reg | undefined {
  const bytes = m.frozen
  if (bytes === undefined || (mapFlags(m) & MAP_RDONLY_PROG) === 0) return undefined
  if (m.type !== MapType.ARRAY || m.maxEntries !== 1 || at + size > bytes.length) return undefined
  let v = 0n
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0)
  return narrowConst(v, 0, size, signed)
}

/** A map's flags as programs see them (device maps are always read-only for programs). */
export function mapFlags(m: MapDef): number {
  const dev = m.type === MapType.DEVMAP || m.type === MapType.DEVMAP_HASH
  return (m.flags ?? 0) | (dev ? MAP_RDONLY_PROG : 0)
}

/** What the map's flags let programs do with its values (check_map_access_type). */
function mapAccessType(
  flags: number,
  kind: AccessKind,
  valueSize: number,
  off: number,
  size: number
): void {
  const reads = kind === 'load' || kind === 'atomic' || kind === 'helper_read'
  const writes = kind === 'store' || kind === 'atomic' || kind === 'helper_write'
  const at = `value_size=${valueSize} off=${off} size=${size}`
  if (writes && (flags & MAP_RDONLY_PROG) !== 0)
    throw new Reject('VERIFY_MAP_BOUNDS', `write into map forbidden, ${at}`)
  if (reads && (flags & MAP_WRONLY_PROG) !== 0)
    throw new Reject('VERIFY_MAP_BOUNDS', `read from map forbidden, ${at}`)
}

/** Loads through socket pointers (check_sock_access): read-only, each kind with its layout. */
function sockPointerAccess(
  r: Reg,
  regno: number,
  off: number,
  size: number,
  kind: AccessKind
): Reg {
  const name = TYPE_NAMES[r.type] ?? '?'
  if (kind !== 'load' && kind !== 'helper_read')
    throw new Reject('VERIFY_INVALID_MEM', `R${regno} cannot write into ${name}`)
  if (r.smin < 0n) {
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`
    )
  }
  const ok =
    kind === 'load' &&
    (r.type === T.SOCKET
      ? sockAccess(off, size)
      : r.type === T.SOCK_COMMON
        ? sockCommonAccess(off, size)
        : r.type === T.TCP_SOCK
          ? tcpSockAccess(off, size)
          : xdpSockAccess(off, size))
  if (!ok)
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `R${regno} invalid ${name} access off=${off} size=${size}`
    )
  return sizedUnknown(size)
}
