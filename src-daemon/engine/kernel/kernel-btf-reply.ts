/** @fileoverview The helper's `kernelBtf` reply: its kernel's vmlinux BTF, zlib-compressed. */
import { inflateSync } from 'node:zlib'
import { fail, ok, type Result } from '../../core/util/result'
import { protocolError } from './cycle-request'
import { replyInt, replyString, type HelperReply } from './helper-protocol'
import type { KernelError } from './kernel-error'
import { replyBytes, replyError } from './reply-decoding'

/** A kernel's own BTF and release, as the helper running on it read them. */
export interface OracleKernelBtf {
  /** The raw BTF (`/sys/kernel/btf/vmlinux`). */
  readonly btf: Uint8Array
  /** `uname -r` of that kernel. */
  readonly release: string
}

/** Decodes a `kernelBtf` reply (inflating and checking the size). */
export function decodeKernelBtf(reply: HelperReply): Result<OracleKernelBtf, KernelError> {
  if (!reply.ok) return fail(replyError('KERNEL_HELPER', 'reading the kernel BTF', reply))
  const packed = replyBytes(reply, 'btf')
  const size = replyInt(reply, 'size')
  const release = replyString(reply, 'release')
  if (packed === undefined || size === undefined || release === undefined)
    return fail(protocolError(reply))
  let btf: Uint8Array
  try {
    btf = new Uint8Array(inflateSync(packed))
  } catch (e) {
    return fail({ code: 'KERNEL_HELPER', message: `kernel BTF does not inflate: ${String(e)}` })
  }
  if (btf.length !== size)
    return fail({
      code: 'KERNEL_HELPER',
      message: `kernel BTF is ${btf.length} bytes, the helper said ${size}`
    })
  return ok({ btf, release })
}
