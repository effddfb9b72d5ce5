/** @fileoverview The JSON-lines protocol spoken with native/summit-bpf (requests and replies). */
import type { MapSpec } from './oracle-types'

/** A request to the helper; byte fields are hex strings. */
export type HelperRequest =
  | { op: 'ping' }
  | { op: 'kernelBtf' }
  | ({ op: 'createMap' } & HelperMapDef)
  | { op: 'updateMap'; fd: number; key: string; value: string; flags?: number }
  | { op: 'lookupMap'; fd: number; key: string }
  | { op: 'deleteMap'; fd: number; key: string }
  | { op: 'dumpMap'; fd: number; limit?: number }
  | { op: 'freezeMap'; fd: number }
  | {
      op: 'load'
      progType: number
      insns: string
      expectedAttachType?: number
      license?: string
      logLevel?: number
      logSize?: number
      progFlags?: number
      name?: string
    }
  | {
      op: 'testRun'
      fd: number
      dataIn?: string
      ctxIn?: string
      repeat?: number
      dataOutSize?: number
      ctxOut?: boolean
      flags?: number
      cpu?: number
    }
  | {
      op: 'timeRun'
      fd: number
      dataIn?: string
      ctxIn?: string
      repeat?: number
      samples?: number
      calls?: number
      stats?: boolean
    }
  | {
      op: 'cycle'
      maps: string | HelperMapDef[]
      fills: string | { map: number; key: string; value: string }[]
      progType: number
      insns: string
      expectedAttachType?: number
      license?: string
      logLevel?: number
      dataIn?: string
      ctxIn?: string
      repeat?: number
      ctxOut?: boolean
    }
  | {
      op: 'openObject'
      object: string
      programs?: { name: string; progType?: number; expectedAttachType?: number }[]
      load?: string[]
      logLevel?: number
      logSize?: number
    }
  | { op: 'closeObject'; handle: number }
  | { op: 'close'; fd: number }
  | { op: 'pinCpu'; cpu: number }

/** A map to create, as the helper takes it (`inner`: the template of a map-in-map's inner maps). */
export interface HelperMapDef {
  type: number
  keySize: number
  valueSize: number
  maxEntries: number
  flags?: number
  name?: string
  inner?: { type: number; keySize: number; valueSize: number; maxEntries: number; flags?: number }
  /** In a cycle: frozen once filled (1), as libbpf freezes `.rodata`. */
  freeze?: number
}

/** Fields every reply may carry; the rest depend on the op. */
export interface HelperReply {
  /** Echo of the request id. */
  id?: number
  /** Whether the operation succeeded. */
  ok: boolean
  /** Failure description (when `ok` is false). */
  error?: string
  /** Kernel errno of a failed syscall. */
  errno?: number
  /** strerror text of `errno`. */
  errnoText?: string
  /** Other op-specific fields. */
  [field: string]: unknown
}

/** Reads an integer field of a reply, or undefined. */
export function replyInt(reply: HelperReply, field: string): number | undefined {
  const v = reply[field]
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined
}

/** Reads a string field of a reply, or undefined. */
export function replyString(reply: HelperReply, field: string): string | undefined {
  const v = reply[field]
  return typeof v === 'string' ? v : undefined
}

/** The helper's form of a map to create. */
export function helperMapDef(spec: MapSpec): HelperMapDef {
  const inner = spec.inner
  return {
    type: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    flags: spec.flags ?? 0,
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.freeze === true ? { freeze: 1 } : {}),
    ...(inner !== undefined
      ? {
          inner: {
            type: inner.type,
            keySize: inner.keySize,
            valueSize: inner.valueSize,
            maxEntries: inner.maxEntries,
            flags: inner.flags ?? 0
          }
        }
      : {})
  }
}
