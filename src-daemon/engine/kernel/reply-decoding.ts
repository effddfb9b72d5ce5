/** @fileoverview Shared pieces of helper requests and replies: errors, test-run fields and results. */
import type { Result } from '../../core/util/result'
import { fail, ok } from '../../core/util/result'
import { isPacketProgType } from './bpf-constants'
import type { HelperReply } from './helper-protocol'
import { replyInt, replyString } from './helper-protocol'
import { bytesToHex, hexToBytes } from './hex'
import type { KernelError } from './kernel-error'
import type { TestRunInput, TestRunOutput } from './oracle-types'

/** Turns a failed helper reply into a KernelError with `code`. */
export function replyError(code: string, what: string, reply: HelperReply): KernelError {
  const errno = replyInt(reply, 'errno')
  const detail = replyString(reply, 'errnoText') ?? replyString(reply, 'error') ?? 'failed'
  const log = replyString(reply, 'log')
  return {
    code,
    message: `${what}: ${detail}`,
    ...(errno !== undefined ? { errno } : {}),
    ...(log !== undefined ? { log } : {})
  }
}

/** Decodes a hex field of a reply (undefined when absent or not hex). */
export function replyBytes(reply: HelperReply, field: string): Uint8Array | undefined {
  const hex = replyString(reply, field)
  return hex === undefined ? undefined : hexToBytes(hex)
}

/** Test-run request fields for a program type: raw_tracepoint and others take no packet. */
export interface TestRunFields {
  /** Repetitions (0 for context-only types). */
  repeat: number
  /** Whether to ask for the context back. */
  ctxOut: boolean
  /** Packet hex. */
  dataIn?: string
  /** Context hex. */
  ctxIn?: string
}

/** Builds the test-run fields, refusing a packet or repeat for context-only program types. */
export function testRunFields(
  progType: number,
  input: TestRunInput
): Result<TestRunFields, KernelError> {
  const packet = isPacketProgType(progType)
  if (!packet && (input.data !== undefined || (input.repeat ?? 0) > 1)) {
    return fail({
      code: 'KERNEL_BAD_INPUT',
      message: 'this program type takes no packet or repeat'
    })
  }
  return ok({
    repeat: packet ? (input.repeat ?? 1) : 0,
    ctxOut: packet && input.ctx !== undefined,
    ...(input.data !== undefined ? { dataIn: bytesToHex(input.data) } : {}),
    ...(input.ctx !== undefined ? { ctxIn: bytesToHex(input.ctx) } : {})
  })
}

/** Reads retval, duration and the returned packet/context of a successful test-run reply. */
export function decodeTestRun(reply: HelperReply): Result<TestRunOutput, KernelError> {
  const retval = replyInt(reply, 'retval')
  const duration = replyInt(reply, 'duration')
  if (retval === undefined || duration === undefined) {
    return fail({ code: 'KERNEL_HELPER', message: 'test-run reply lacks retval/duration' })
  }
  const data = replyBytes(reply, 'dataOut')
  const ctx = replyBytes(reply, 'ctxOut')
  return ok({
    retval,
    duration,
    ...(data !== undefined ? { data } : {}),
    ...(ctx !== undefined ? { ctx } : {})
  })
}
