/**
 * @fileoverview Loads from BTF-typed contexts and through kernel-BTF pointers, as the kernel's
 * tracing_prog_is_valid_access / btf_ctx_access (the context) and check_ptr_to_btf_access /
 * btf_struct_walk (the pointers) decide, for fentry, fexit, fmod_ret, LSM and tp_btf programs.
 * Where kernels differ or the analysis cannot tell what the kernel would do, it refuses.
 */
import { type BtfArg, type BtfTarget, isComposite, skipMods } from './btf-target'
import { KBTF, typeOf, walk } from './btf-walk'
import { lsmRange } from './return-code'
import { nextId, type Env } from './env'
import { sizedUnknown } from './sized'
import { isConst, isEmpty, ptrReg, sync } from './reg'
import { Reject, T, type Reg } from './types'

/**
 * The helper prototype object kind (`task`, `tcp`, ...) a kernel-BTF pointer may be passed as: only
 * a context argument or helper result itself, unmoved, non-null and without memory tags ('' else).
 */
export function helperKindOf(env: Env, r: Reg): string {
  const bad = KBTF.USER | KBTF.PERCPU | KBTF.MEM | KBTF.WALKED
  if (r.type !== T.BTF_ID || (r.range & bad) !== 0 || r.off !== 0 || !isConst(r) || r.tv !== 0n)
    return ''
  const kinds = env.btfTarget?.helperStructs ?? {}
  return Object.keys(kinds).find((k) => kinds[k] === r.map) ?? ''
}

/**
 * Whether kernel-BTF pointer `r` may be passed where a helper prototype wants object kind `kind`
 * (btf_struct_ids_match): the struct itself or one it starts with (first members at offset 0),
 * under the conditions of {@link helperKindOf}.
 */
export function kernelBtfIs(env: Env, r: Reg, kind: string): boolean {
  if (helperKindOf(env, r) === kind) return true
  const want = env.btfTarget?.helperStructs[kind]
  const bad = KBTF.USER | KBTF.PERCPU | KBTF.MEM | KBTF.WALKED
  if (want === undefined || r.type !== T.BTF_ID || (r.range & bad) !== 0) return false
  if (r.off !== 0 || !isConst(r) || r.tv !== 0n) return false
  let t = env.btfTypes.get(r.map)
  for (let depth = 0; t !== undefined && depth < 16; depth++) {
    if (t.id === want) return true
    const first = t.members[0]
    if (!isComposite(t) || first === undefined || first.offset !== 0) return false
    const next = skipMods((id) => env.btfTypes.get(id), first.type)
    if (next === undefined || !isComposite(next)) return false
    t = next
  }
  return false
}

/** The result of a helper returning a kernel-BTF pointer of helper kind `kind`, if modelled. */
export function helperBtfResult(env: Env, kind: string, nullable: boolean): Reg | undefined {
  const id = env.btfKernelMismatch === undefined ? env.btfTarget?.helperStructs[kind] : undefined
  return id === undefined ? undefined : btfPointer(env, id, KBTF.TRUSTED, nullable)
}

/** Whether `r` is a pointer typed by the kernel's BTF. */
export function isKernelBtf(r: Reg): boolean {
  return (r.type === T.BTF_ID || r.type === T.BTF_ID_OR_NULL) && (r.range & KBTF.KERNEL) !== 0
}

/** Tracepoints whose pointer arguments the kernel treats as trusted and never null or an error. */
const PLAIN_TRACEPOINTS: ReadonlySet<string> = new Set(
  (
    'sched_switch sched_wakeup sched_wakeup_new sched_waking sched_process_exec sched_process_exit ' +
    'sched_process_fork sched_process_free sched_migrate_task softirq_entry softirq_exit ' +
    'softirq_raise irq_handler_entry irq_handler_exit block_rq_issue block_rq_insert ' +
    'block_rq_complete block_io_start block_io_done block_bio_queue sys_enter sys_exit tcp_probe ' +
    'tcp_rcv_space_adjust tcp_destroy_sock tcp_retransmit_skb inet_sock_set_state signal_deliver ' +
    'page_fault_user page_fault_kernel mm_vmscan_direct_reclaim_begin ' +
    'mm_vmscan_direct_reclaim_end cpu_frequency task_newtask task_rename'
  ).split(' ')
)

function ctxReject(message: string): Reject {
  return new Reject('VERIFY_CTX_ACCESS', message)
}

/** A pointer to struct `id` loaded from the context or a struct, non-null or nullable. */
function btfPointer(env: Env, id: number, flags: number, nullable: boolean): Reg {
  const fields = { map: id, range: KBTF.KERNEL | flags }
  return nullable
    ? ptrReg(T.BTF_ID_OR_NULL, { ...fields, id: nextId(env) })
    : ptrReg(T.BTF_ID, fields)
}

/** The argument (or return value) a context offset selects, as btf_ctx_access checks it. */
function ctxArg(env: Env, off: number): { arg: BtfArg; index: number } {
  const target = env.btfTarget
  if (target === undefined)
    throw new Reject('VERIFY_UNSUPPORTED', env.btfRefusal ?? 'no attach target BTF was given')
  if (env.btfKernelMismatch !== undefined)
    throw new Reject('VERIFY_UNSUPPORTED', env.btfKernelMismatch)
  const name = target.name
  if (off % 8 !== 0) throw ctxReject(`func '${name}' offset ${off} is not multiple of 8`)
  const arg = off / 8
  const n = target.args.length
  if (arg < n) return { arg: target.args[arg] as BtfArg, index: arg }
  if (arg === n && (target.kind === 'fexit' || target.kind === 'lsm'))
    return { arg: target.ret, index: arg }
  if (arg === n && target.kind === 'fmod_ret') {
    if (!target.retSmallInt)
      throw ctxReject(
        `ret type ${target.ret.kind === 'other' ? target.ret.what : 'PTR'} not allowed for fmod_ret`
      )
    return { arg: { kind: 'scalar' }, index: arg }
  }
  throw ctxReject(`func '${name}' doesn't have ${arg + 1}-th argument`)
}

/**
 * A load of `size` bytes at context offset `off` of a BTF-typed context: read only, aligned,
 * one argument slot; scalars load as unknown scalars, pointers to structs as kernel-BTF pointers.
 */
export function btfCtxLoad(
  env: Env,
  off: number,
  size: number,
  write: boolean,
  signed: boolean
): Reg {
  if (off < 0 || off >= 96 || write || off % size !== 0 || signed)
    throw ctxReject(`invalid bpf_context access off=${off} size=${size}`)
  const { arg, index } = ctxArg(env, off)
  const target = env.btfTarget!
  if (arg.kind === 'scalar' && target.kind === 'lsm' && index === target.args.length)
    return lsmRetval(target, size)
  if (arg.kind === 'scalar' && arg.pointer === true && size !== 8)
    throw ctxReject(`func '${target.name}' size ${size} must be 8`)
  if (arg.kind === 'scalar') return sizedUnknown(size)
  if (arg.kind === 'other')
    throw ctxReject(
      `func '${target.name}' arg${index} has type ${arg.what}, which the analysis only loads as the kernel does for pointers to structs, integers and void`
    )
  if (size !== 8) throw ctxReject(`func '${target.name}' size ${size} must be 8`)
  const trusted = target.kind === 'tp_btf' || target.kind === 'lsm'
  if (target.kind === 'tp_btf' && !(env.rawTpNullArgs && PLAIN_TRACEPOINTS.has(target.name)))
    throw new Reject(
      'VERIFY_UNSUPPORTED',
      `whether the kernel treats tp_btf/${target.name}'s pointer arguments as nullable or error pointers (raw_tp_null_args) is not modelled`
    )
  const tag = arg.tag === 'user' ? KBTF.USER : arg.tag === 'percpu' ? KBTF.PERCPU : 0
  return btfPointer(env, arg.id, (trusted ? KBTF.TRUSTED : 0) | tag, arg.nullable === true)
}

/**
 * The LSM hook's earlier return value (the context slot after the arguments), bounded by the
 * hook's return range as the kernel bounds it (is_retval: __mark_reg_s32_range).
 */
function lsmRetval(target: BtfTarget, size: number): Reg {
  const v = sizedUnknown(size)
  const range = lsmRange(target)
  if (range === undefined) return v
  const r = sync({
    ...v,
    smin: v.smin > range[0] ? v.smin : range[0],
    smax: v.smax < range[1] ? v.smax : range[1]
  })
  if (isEmpty(r))
    throw new Reject('VERIFY_UNSUPPORTED', `a ${size}-byte load of the LSM return value`)
  return r
}

/**
 * A load or store of `size` bytes at offset `off` through the kernel-BTF pointer `r` in register
 * `regno` (check_ptr_to_btf_access): reads only, at a constant non-negative offset, inside the
 * struct; returns the loaded value.
 */
export function btfPointerAccess(
  env: Env,
  r: Reg,
  regno: number,
  off: number,
  size: number,
  load: boolean,
  signed: boolean
): Reg {
  if ((r.range & KBTF.MEM) !== 0)
    throw new Reject(
      'VERIFY_UNSUPPORTED',
      `R${regno} points to untrusted read-only kernel memory, whose loads the analysis does not model`
    )
  const t = typeOf(env, r.map)
  const tname = t.name
  if (env.btfTarget?.gplCompatible === false)
    throw new Reject(
      'VERIFY_LICENSE',
      `Cannot access kernel 'struct ${tname}' from non-GPL compatible program`
    )
  if (off < 0)
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `R${regno} is ptr_${tname} invalid negative access: off=${off}`
    )
  if (!isConst(r) || r.tv !== 0n)
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=(0x${r.tv.toString(16)}; 0x${r.tm.toString(16)})`
    )
  if ((r.range & KBTF.USER) !== 0)
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `R${regno} is ptr_${tname} access user memory: off=${off}`
    )
  if ((r.range & KBTF.PERCPU) !== 0)
    throw new Reject(
      'VERIFY_INVALID_MEM',
      `R${regno} is ptr_${tname} access percpu memory: off=${off}`
    )
  if (!load) throw new Reject('VERIFY_INVALID_MEM', 'only read is supported')
  const w = walk(env, r.map, off, size)
  if (w.kind === 'scalar') return sizedUnknown(size, signed)
  if (w.kind === 'mem')
    return ptrReg(T.BTF_ID, { map: 0, range: KBTF.KERNEL | KBTF.MEM | KBTF.WALKED })
  if ((r.range & KBTF.TRUSTED) === 0) return btfPointer(env, w.id, w.tag | KBTF.WALKED, false)
  return trustedWalk(env, t.name, { ...w, tag: w.tag | KBTF.WALKED })
}

/**
 * A pointer loaded through a trusted (or RCU) pointer to struct `base` (check_ptr_to_btf_access
 * in an RCU read-side section, as non-sleepable programs run): fields on the kernel's lists stay
 * trusted (those "or null" ones, and `__rcu` fields, must be null-checked); others lose the trust.
 * Sleepable programs get untrusted, never-null pointers there: asking for null checks is stricter.
 */
function trustedWalk(
  env: Env,
  base: string,
  w: { readonly id: number; readonly tag: number; readonly rcu: boolean; readonly field: string }
): Reg {
  const listed = (suffix: string): boolean =>
    env.btfTarget?.safeFields[`${base}${suffix}`]?.includes(`${w.field}:${w.id}`) === true
  const kept = KBTF.TRUSTED | w.tag
  if (listed('__safe_trusted')) return btfPointer(env, w.id, kept, false)
  if (listed('__safe_trusted_or_null')) return btfPointer(env, w.id, kept, true)
  if (listed('__safe_rcu')) return btfPointer(env, w.id, kept, false)
  if (w.rcu || listed('__safe_rcu_or_null')) return btfPointer(env, w.id, kept, true)
  return btfPointer(env, w.id, w.tag, false)
}
