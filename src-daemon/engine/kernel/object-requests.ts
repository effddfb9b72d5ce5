/** @fileoverview The helper's openObject and timeRun requests: building them and decoding their replies. */
import { fail, ok, type Result } from '../../core/util/result'
import { protocolError } from './cycle-request'
import { replyInt, replyString, type HelperReply, type HelperRequest } from './helper-protocol'
import { bytesToHex } from './hex'
import type { KernelError } from './kernel-error'
import type {
  LoadedObject,
  ObjectLoadOptions,
  ObjectMap,
  ObjectProgram,
  TestRunInput,
  TimeRunOptions,
  TimeRunOutput
} from './oracle-types'
import { replyError } from './reply-decoding'

/** The openObject request for an ELF image. */
export function openObjectRequest(bytes: Uint8Array, options: ObjectLoadOptions): HelperRequest {
  return {
    op: 'openObject',
    object: bytesToHex(bytes),
    ...(options.programs !== undefined
      ? { programs: options.programs.map((p) => ({ ...p })) }
      : {}),
    ...(options.load !== undefined ? { load: [...options.load] } : {}),
    logLevel: options.logLevel ?? 0
  }
}

/** The last lines of libbpf's warnings that say what went wrong. */
function libbpfReason(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.replace(/^libbpf: /, '').trim())
    .filter((l) => l !== '' && !l.startsWith('--') && !/^\d+: /.test(l))
  return lines.slice(-2).join(' | ')
}

function decodeProgram(raw: unknown): ObjectProgram | undefined {
  const p = raw as Record<string, unknown>
  if (typeof p['name'] !== 'string' || typeof p['section'] !== 'string') return undefined
  const num = (k: string): number => (typeof p[k] === 'number' ? (p[k] as number) : 0)
  const loaded = p['loaded'] === true
  return {
    name: p['name'],
    section: p['section'],
    progType: num('progType'),
    expectedAttachType: num('expectedAttachType'),
    loaded,
    ...(loaded
      ? {
          program: {
            fd: num('fd'),
            log: typeof p['log'] === 'string' ? p['log'] : '',
            verifiedInsns: num('verifiedInsns'),
            xlatedBytes: num('xlatedBytes'),
            jitedBytes: num('jitedBytes')
          }
        }
      : {})
  }
}

function decodeMap(raw: unknown): ObjectMap | undefined {
  const m = raw as Record<string, unknown>
  const num = (k: string): number | undefined =>
    typeof m[k] === 'number' ? (m[k] as number) : undefined
  const [fd, type, keySize, valueSize, maxEntries, flags] = [
    'fd',
    'type',
    'keySize',
    'valueSize',
    'maxEntries',
    'flags'
  ].map(num)
  if (typeof m['name'] !== 'string' || fd === undefined || type === undefined) return undefined
  return {
    name: m['name'],
    handle: {
      fd,
      spec: {
        type,
        keySize: keySize ?? 0,
        valueSize: valueSize ?? 0,
        maxEntries: maxEntries ?? 0,
        flags: flags ?? 0,
        name: m['name']
      }
    },
    internal: m['internal'] === true,
    pinning: m['pinning'] === true
  }
}

/**
 * Decodes an openObject reply. Failures: KERNEL_VERIFIER_REJECTED (a program was rejected; its
 * log), KERNEL_OBJECT_OPEN (not an object libbpf reads, e.g. a legacy `maps` section),
 * KERNEL_OBJECT_LOAD (maps, BTF or relocations failed), each with libbpf's reason.
 */
export function decodeOpenObject(reply: HelperReply): Result<LoadedObject, KernelError> {
  const libbpfLog = replyString(reply, 'libbpfLog') ?? ''
  if (!reply.ok) {
    const stage = replyString(reply, 'stage')
    const reason = libbpfReason(libbpfLog)
    if (stage === 'load') {
      const e = replyError(
        'KERNEL_VERIFIER_REJECTED',
        `load ${replyString(reply, 'program') ?? ''}`,
        reply
      )
      return fail(e)
    }
    if (stage === 'program')
      return fail({
        ...replyError('KERNEL_OBJECT_OPEN', 'libbpf', reply),
        message: reply.error ?? 'no such program'
      })
    const code =
      stage === 'open'
        ? 'KERNEL_OBJECT_OPEN'
        : stage === 'object'
          ? 'KERNEL_OBJECT_LOAD'
          : 'KERNEL_HELPER'
    const e = replyError(code, 'libbpf', reply)
    return fail({ ...e, message: reason !== '' ? `libbpf: ${reason}` : e.message })
  }
  const handle = replyInt(reply, 'handle')
  const programs = Array.isArray(reply['programs']) ? reply['programs'].map(decodeProgram) : []
  const maps = Array.isArray(reply['maps']) ? reply['maps'].map(decodeMap) : []
  if (handle === undefined || programs.includes(undefined) || maps.includes(undefined))
    return fail(protocolError(reply))
  const adjusted = Array.isArray(reply['adjusted'])
    ? reply['adjusted'].filter((x): x is string => typeof x === 'string')
    : []
  return ok({
    handle,
    programs: programs as ObjectProgram[],
    maps: maps as ObjectMap[],
    libbpfLog,
    adjusted
  })
}

/** The timeRun request for a loaded program. */
export function timeRunRequest(
  fd: number,
  input: TestRunInput,
  options: TimeRunOptions
): HelperRequest {
  return {
    op: 'timeRun',
    fd,
    repeat: options.repeat,
    samples: options.samples ?? 1,
    calls: options.calls ?? 1,
    stats: options.stats ?? false,
    ...(input.data !== undefined ? { dataIn: bytesToHex(input.data) } : {}),
    ...(input.ctx !== undefined ? { ctxIn: bytesToHex(input.ctx) } : {})
  }
}

/** Decodes a timeRun reply. */
export function decodeTimeRun(reply: HelperReply): Result<TimeRunOutput, KernelError> {
  if (!reply.ok) return fail(replyError('KERNEL_TEST_RUN', 'timed run', reply))
  const numbers = (k: string): number[] | undefined => {
    const v = reply[k]
    return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined
  }
  const durations = numbers('durations')
  const statNs = numbers('statNs')
  const retval = replyInt(reply, 'retval')
  if (durations === undefined || retval === undefined) return fail(protocolError(reply))
  return ok({ retval, durations, ...(statNs !== undefined ? { statNs } : {}) })
}
