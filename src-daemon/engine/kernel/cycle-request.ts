/** @fileoverview The helper's one-round-trip "cycle" request behind `KernelOracle.runOnce`. */
import type { Insn } from '../../core/isa/insn'
import { bytesFromSlots } from '../../core/isa/insn'
import type { Result } from '../../core/util/result'
import { fail, ok } from '../../core/util/result'
import { isUndumpableMapType } from './bpf-constants'
import type { HelperReply, HelperRequest } from './helper-protocol'
import { helperMapDef, replyInt, replyString } from './helper-protocol'
import { bytesToHex } from './hex'
import type { KernelError } from './kernel-error'
import { patchMapFds } from './map-fd-patching'
import { entriesFromReply, syscallValue, type CpuLayout } from './map-values'
import type { MapDump, MapSpec, RunOnceInput, RunOnceOutput } from './oracle-types'
import { decodeTestRun, replyError, testRunFields } from './reply-decoding'

/** Builds the cycle request (maps with their inner templates, fills by map index). */
export function cycleRequest(
  program: readonly Insn[],
  maps: readonly MapSpec[],
  input: RunOnceInput,
  layout: CpuLayout
): Result<HelperRequest, KernelError> {
  // Validates map references (the helper patches the indices into fds itself).
  const checked = patchMapFds(
    program,
    maps.map((_, i) => i)
  )
  if (!checked.ok) return checked
  const run = testRunFields(input.progType, input)
  if (!run.ok) return run
  const fills: { map: number; key: string; value: string }[] = []
  for (const [i, entries] of (input.mapEntries ?? []).entries()) {
    if (!entries || entries.length === 0) continue
    const spec = maps[i]
    if (!spec) return fail({ code: 'KERNEL_BAD_INPUT', message: `no map ${i} to fill` })
    for (const e of entries) {
      const value = syscallValue(spec, e.value, layout)
      if (!value.ok) return value
      fills.push({ map: i, key: bytesToHex(e.key), value: bytesToHex(value.value) })
    }
  }
  return ok({
    op: 'cycle',
    maps: maps.map(helperMapDef),
    fills,
    progType: input.progType,
    insns: bytesToHex(bytesFromSlots(program)),
    expectedAttachType: input.expectedAttachType ?? 0,
    license: input.license ?? 'GPL',
    logLevel: input.logLevel ?? 0,
    ...run.value
  })
}

const STAGE_CODES: Readonly<Record<string, string>> = {
  maps: 'KERNEL_MAP_CREATE',
  fills: 'KERNEL_MAP_ACCESS',
  patch: 'KERNEL_BAD_MAP_INDEX',
  load: 'KERNEL_VERIFIER_REJECTED',
  testRun: 'KERNEL_TEST_RUN'
}

/** Decodes the cycle reply into the runOnce result. */
export function decodeCycleReply(
  reply: HelperReply,
  maps: readonly MapSpec[],
  layout: CpuLayout
): Result<RunOnceOutput, KernelError> {
  if (!reply.ok) {
    const stage = replyString(reply, 'stage') ?? ''
    const index = replyInt(reply, 'index')
    const error = replyError(STAGE_CODES[stage] ?? 'KERNEL_HELPER', stage || 'cycle', reply)
    return fail(index !== undefined && stage === 'patch' ? { ...error, index } : error)
  }
  const run = decodeTestRun(reply)
  if (!run.ok) return run
  const dumps: MapDump[] = []
  const list = reply['maps']
  if (!Array.isArray(list) || list.length !== maps.length) return fail(protocolError(reply))
  for (const [i, spec] of maps.entries()) {
    const item = list[i] as { entries?: unknown; errno?: unknown }
    if (item.entries === undefined || isUndumpableMapType(spec.type)) {
      dumps.push({
        readable: false,
        reason: `map type ${spec.type} cannot be listed (errno ${String(item.errno)})`
      })
      continue
    }
    const entries = entriesFromReply(item.entries, spec, layout)
    if (!entries) return fail(protocolError(reply))
    dumps.push({ readable: true, entries })
  }
  return ok({
    load: {
      fd: -1,
      log: replyString(reply, 'log') ?? '',
      verifiedInsns: replyInt(reply, 'verifiedInsns') ?? 0,
      xlatedBytes: replyInt(reply, 'xlatedBytes') ?? 0,
      jitedBytes: replyInt(reply, 'jitedBytes') ?? 0
    },
    run: run.value,
    maps: dumps
  })
}

/** A reply that does not have the shape the protocol promises. */
export function protocolError(reply: HelperReply): KernelError {
  return {
    code: 'KERNEL_HELPER',
    message: `unexpected helper reply ${JSON.stringify(reply).slice(0, 200)}`
  }
}
