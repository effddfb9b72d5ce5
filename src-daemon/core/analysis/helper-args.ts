/** @fileoverview Checks of helper call arguments against a prototype (the kernel's check_func_arg). */
import type { Env } from './env'
import { HELPER_ROWS } from './helper-table'
import { mapFitsHelper, type ArgKind, type HelperArg, type HelperSpec } from './helpers'
import { memAccess } from './memory'
import { helperKindOf, kernelBtfIs } from './btf-access'
import { isConst } from './reg'
import { B, byteKind, top, type State } from './state'
import { MapType, Reject, T, TYPE_NAMES, type Reg } from './types'

/** Register kinds a memory argument may point to (mem_types). */
const MEM_TYPES: ReadonlySet<T> = new Set([T.STACK, T.PKT, T.PKT_META, T.MAP_VALUE, T.MEM])
/** Register kinds a sock_common argument accepts (sock_types). */
const SOCK_TYPES: ReadonlySet<T> = new Set([T.SOCK_COMMON, T.SOCKET, T.TCP_SOCK, T.XDP_SOCK])
/** BTF object kinds that start with a `struct sock_common` (what btf_sock_common accepts). */
const SOCK_BTF: ReadonlySet<string> = new Set([
  'sock_common',
  'sock',
  'tcp',
  'tcp6',
  'tcp_tw',
  'tcp_req',
  'udp6',
  'unix',
  'mptcp'
])
const MAX_SIZE = 1n << 29n
/** BPF_F_INNER_MAP: the map is a template for the inner maps of a map-in-map. */
const INNER_MAP = 1 << 12
/** Argument kinds that also accept a null (known zero) register, and their non-null kind. */
const NULLABLE: ReadonlyMap<ArgKind, ArgKind> = new Map<ArgKind, ArgKind>([
  ['ctx_or_null', 'ctx'],
  ['value_or_null', 'value'],
  ['mem_or_null', 'mem'],
  ['mem_write_or_null', 'mem_write'],
  ['socket_or_null', 'socket_or_null'],
  ['btf_sock_common_or_null', 'btf_sock_common'],
  ['btf_id_or_null', 'btf_id']
])

/** What the argument checks learnt for the call's result. */
export interface CallMeta {
  /** Map of the map argument (index into env.maps), -1 when none. */
  mapIndex: number
  /** Constant alloc size (ringbuf_reserve). */
  allocSize: number
  /** Reference released by the call (0: none). */
  release: number
  /** Reference carried by an argument (passed on by pointer casts). */
  refObj: number
  /** Constant in-range key of an array lookup (the lookup cannot fail). */
  constKey: boolean
  /** Largest size a size argument allows (the kernel's msize_max_value). */
  sizeMax: bigint
}

function typeErr(regno: number, r: Reg, expected: string): Reject {
  return new Reject(
    'VERIFY_HELPER_ARG',
    `R${regno} type=${TYPE_NAMES[r.type]} expected=${expected}`
  )
}

function isNull(r: Reg): boolean {
  return r.type === T.SCALAR && isConst(r) && r.tv === 0n
}

/** A pointer argument whose fixed and variable offsets must both be zero (__check_ptr_off_reg). */
function zeroOffset(regno: number, r: Reg): void {
  if (r.off !== 0) {
    const what = r.type === T.CTX ? 'ctx' : TYPE_NAMES[r.type]
    throw new Reject(
      'VERIFY_HELPER_ARG',
      `dereference of modified ${what} ptr R${regno} off=${r.off} disallowed`
    )
  }
  if (!isConst(r) || r.tv !== 0n)
    throw new Reject('VERIFY_HELPER_ARG', `variable ${TYPE_NAMES[r.type]} access disallowed`)
}

/**
 * The key an array lookup uses when it is a known constant on the stack (zeroed bytes or a
 * spilled constant). Kernels from 6.14 (2025) then know the lookup cannot fail for an in-range
 * index (commit "bpf: verifier: Support eliding map lookup nullness"); earlier kernels require
 * the null check. The running kernel here (6.18) elides it.
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

/** A memory argument of `size` bytes at the pointer in `regno` (check_helper_mem_access). */
function memRange(
  env: Env,
  st: State,
  h: HelperSpec,
  regno: number,
  size: number,
  write: boolean
): void {
  const p = top(st).regs[regno] as Reg
  if (!MEM_TYPES.has(p.type)) throw typeErr(regno, p, 'fp, pkt, pkt_meta, map_value, mem')
  if ((p.type === T.PKT || p.type === T.PKT_META) && !h.pktAccess)
    throw new Reject('VERIFY_HELPER_ARG', 'helper access to the packet is not allowed')
  // Zero-sized accesses are still bounds-checked (a pointer past the stack top is refused).
  memAccess(env, st, regno, 0, size, write ? 'helper_write' : 'helper_read', undefined)
}

/** Checks a size argument in `regno` for the memory argument before it. */
function sizeArg(
  env: Env,
  st: State,
  h: HelperSpec,
  regno: number,
  zeroOk: boolean,
  meta: CallMeta
): void {
  const regs = top(st).regs
  const sz = regs[regno] as Reg
  const p = regs[regno - 1] as Reg
  const prev = h.args[regno - 2]?.kind
  if (sz.type !== T.SCALAR) throw typeErr(regno, sz, 'scalar')
  meta.sizeMax = sz.umax
  if (sz.smin < 0n) {
    throw new Reject(
      'VERIFY_HELPER_ARG',
      `R${regno} min value is negative, either use unsigned or 'var &= const'`
    )
  }
  if (sz.umin === 0n && !zeroOk)
    throw new Reject('VERIFY_HELPER_ARG', `R${regno} invalid zero-sized read`)
  if (sz.umax >= MAX_SIZE) {
    throw new Reject(
      'VERIFY_HELPER_ARG',
      `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`
    )
  }
  // A null memory argument (only nullable kinds get here with one) may have a zero size only.
  if (isNull(p)) {
    if (zeroOk && sz.umax === 0n) return
    throw typeErr(regno - 1, p, 'fp')
  }
  const write = prev === 'uninit_mem' || prev === 'mem_write' || prev === 'mem_write_or_null'
  memRange(env, st, h, regno - 1, Number(sz.umax), write)
}

/** Checks argument `i` (r{i+1}) of a call to `h`. */
export function checkArg(env: Env, st: State, h: HelperSpec, i: number, meta: CallMeta): void {
  const a = h.args[i] as HelperArg
  const regno = i + 1
  const r = top(st).regs[regno] as Reg
  if (r.type === T.NOT_INIT) throw new Reject('VERIFY_UNINIT_REG', `R${regno} !read_ok`)
  if (r.ref !== 0 && a.kind !== 'release_sock' && a.kind !== 'ringbuf_mem') meta.refObj = r.ref
  const base = NULLABLE.get(a.kind)
  if (base !== undefined && isNull(r)) return
  switch (base ?? a.kind) {
    case 'anything':
      return
    case 'scalar':
      if (r.type !== T.SCALAR) throw typeErr(regno, r, 'scalar')
      return
    case 'ctx':
      if (r.type !== T.CTX) throw typeErr(regno, r, 'ctx')
      zeroOffset(regno, r)
      return
    case 'map': {
      if (r.type !== T.MAP_PTR) throw typeErr(regno, r, 'map_ptr')
      zeroOffset(regno, r)
      const m = env.maps[r.map]
      if (m === undefined)
        throw new Reject('VERIFY_HELPER_ARG', `R${regno} refers to missing map ${r.map}`)
      if (!mapFitsHelper(h.id, m.type, env.progType, env.attachType)) {
        if (h.id === 12)
          throw new Reject('VERIFY_HELPER_ARG', 'expected prog array map for tail call')
        throw new Reject(
          'VERIFY_HELPER_ARG',
          `cannot pass map_type ${m.type} into func bpf_${h.name}#${h.id}`
        )
      }
      meta.mapIndex = r.map
      return
    }
    case 'key':
    case 'value':
    case 'uninit_value': {
      const m = env.maps[meta.mapIndex]
      if (m === undefined)
        throw new Reject('VERIFY_HELPER_ARG', 'invalid map_ptr to access map->key')
      if (a.kind !== 'key' && (m.type === MapType.SOCKMAP || m.type === MapType.SOCKHASH)) {
        // resolve_map_arg_type: a socket map's value argument is the socket itself.
        if (a.kind !== 'value')
          throw new Reject('VERIFY_HELPER_ARG', 'invalid arg_type for sockmap/sockhash')
        checkArg(
          env,
          st,
          { ...h, args: h.args.map((x, j) => (j === i ? { kind: 'btf_sock_common' } : x)) },
          i,
          meta
        )
        return
      }
      if (!MEM_TYPES.has(r.type)) throw typeErr(regno, r, 'fp, pkt, pkt_meta, map_key, map_value')
      const size = a.kind === 'key' ? m.keySize : m.valueSize
      // A bloom filter's peek reads the value it is given (resolve_map_arg_type).
      const bloomPeek = m.type === MapType.BLOOM_FILTER && h.id === 89
      memRange(env, st, h, regno, size, a.kind === 'uninit_value' && !bloomPeek)
      // Inner map templates (the map a map-in-map lookup yields, or BPF_F_INNER_MAP) may be
      // replaced by a bigger or smaller array at run time: never elided (a 2026 fix, "bpf: Keep
      // dynamic inner array lookups nullable"; the stricter rule holds for every kernel).
      const template = meta.mapIndex >= env.innerMaps.length || ((m.flags ?? 0) & INNER_MAP) !== 0
      const array = m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY
      if (a.kind === 'key' && h.id === 1 && array && !template && env.elideConstKeyNull) {
        const key = constStackKey(st, r, m.keySize)
        meta.constKey = key !== undefined && key < BigInt(m.maxEntries)
      }
      return
    }
    case 'mem':
    case 'mem_write':
    case 'uninit_mem':
      if (!MEM_TYPES.has(r.type)) throw typeErr(regno, r, 'fp, pkt, pkt_meta, map_value, mem')
      return
    case 'size':
    case 'size_or_zero':
      sizeArg(env, st, h, regno, a.kind === 'size_or_zero', meta)
      return
    case 'fixed_mem':
    case 'fixed_mem_write':
    case 'fixed_uninit_mem': {
      const size = a.size ?? 0
      memRange(env, st, h, regno, size, a.kind !== 'fixed_mem')
      if (a.aligned && r.type === T.STACK && (r.off + Number(BigInt.asIntN(64, r.tv))) % size !== 0)
        throw new Reject(
          'VERIFY_ALIGN',
          `misaligned stack access off ${r.tv}+${r.off}+0 size ${size}`
        )
      return
    }
    case 'const_alloc_size':
      if (r.type !== T.SCALAR || !isConst(r))
        throw new Reject('VERIFY_HELPER_ARG', `R${regno} is not a known constant'`)
      meta.allocSize = Number(r.tv)
      return
    case 'ringbuf_mem':
      if (r.type !== T.MEM || r.ref === 0) throw typeErr(regno, r, 'ringbuf_mem')
      if (r.off !== 0)
        throw new Reject(
          'VERIFY_HELPER_ARG',
          `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`
        )
      zeroOffset(regno, r)
      meta.release = r.ref
      return
    case 'sock_common':
      if (!SOCK_TYPES.has(r.type)) throw typeErr(regno, r, 'sock_common, sock, tcp_sock, xdp_sock')
      zeroOffset(regno, r)
      return
    case 'socket_or_null':
      if (r.type !== T.SOCKET) throw typeErr(regno, r, 'sock')
      zeroOffset(regno, r)
      return
    case 'btf_sock_common':
    case 'release_sock':
      if (!SOCK_TYPES.has(r.type) && !(r.type === T.BTF_ID && isSockBtf(env, r)))
        throw typeErr(regno, r, 'sock_common, sock, tcp_sock, xdp_sock, ptr_')
      if (a.kind === 'release_sock') {
        if (r.ref === 0)
          throw new Reject(
            'VERIFY_HELPER_ARG',
            `R${regno} must be referenced when passed to release function`
          )
        if (r.off !== 0)
          throw new Reject(
            'VERIFY_HELPER_ARG',
            `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`
          )
        meta.release = r.ref
      }
      if (r.type !== T.BTF_ID) zeroOffset(regno, r)
      return
    case 'btf_id':
      if (
        r.type !== T.BTF_ID ||
        !(r.range !== 0 ? kernelBtfIs(env, r, a.btf ?? '') : btfName(env, r) === a.btf)
      )
        throw typeErr(regno, r, `ptr_${a.btf ?? ''}`)
      return
    default:
      throw new Reject(
        'VERIFY_UNSUPPORTED',
        `helper bpf_${h.name}#${h.id} takes a ${a.kind} argument, which the analysis does not model`
      )
  }
}

/** Names of the BTF object kinds the prototypes mention (index = Reg.map of a BTF pointer). */
export const BTF_NAMES: readonly string[] = [
  ...new Set(
    HELPER_ROWS.flatMap((row) => [row[2], ...row[3]])
      .filter((x) => x.includes('/') && !x.startsWith('fixed_'))
      .map((x) => x.split('/')[1] as string)
  )
]

/** The index of a BTF object kind name (-1 when no prototype mentions it). */
export function btfIndex(name: string): number {
  return BTF_NAMES.indexOf(name)
}

/** A BTF pointer to an object that starts with a `struct sock_common`. */
function isSockBtf(env: Env, r: Reg): boolean {
  return r.range !== 0 ? kernelBtfIs(env, r, 'sock_common') : SOCK_BTF.has(btfName(env, r))
}

function btfName(env: Env, r: Reg): string {
  // Kernel-BTF pointers (range set) carry a kernel type id, not an index here.
  return r.range !== 0 ? helperKindOf(env, r) : (BTF_NAMES[r.map] ?? '')
}
