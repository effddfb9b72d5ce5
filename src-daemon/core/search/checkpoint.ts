/**
 * @fileoverview Pausing a chain as JSON and resuming it so that it continues exactly as if it had
 * never stopped (same programs, generator state, window position, counters and added tests).
 */
import { fail, ok, type Result } from '../util/result'
import { Candidate } from './candidate'
import { Chain } from './chain'
import { newCounters, type ChainCounters, type ChainDeps, type Window } from './chain-types'
import { resolveSearchOptions } from './config'
import type { JsonValue } from './cost'
import type { RngState } from './rng'

/** Format tag of chain checkpoints. */
export const CHECKPOINT_FORMAT = 'summit-chain'
/** Current checkpoint version. */
export const CHECKPOINT_VERSION = 1

/** A candidate as plain arrays. */
export interface CandidateJson {
  code: number[]
  dst: number[]
  src: number[]
  off: number[]
  imm: number[]
  kind: number[]
  row: number[]
}

/** The checkpoint document. */
export interface ChainCheckpoint {
  format: typeof CHECKPOINT_FORMAT
  version: number
  options: Record<string, JsonValue>
  original: CandidateJson
  current: CandidateJson
  best: CandidateJson
  rng: number[]
  windows: number[][]
  windowIndex: number
  curCost: number
  curError: number
  curPerf: number
  bestPerf: number
  counters: ChainCounters
  addedTests: JsonValue[]
  unknownHashes: number[]
}

/** Plain-array form of a candidate. */
export function candidateToJson(c: Candidate): CandidateJson {
  return {
    code: Array.from(c.code),
    dst: Array.from(c.dst),
    src: Array.from(c.src),
    off: Array.from(c.off),
    imm: Array.from(c.imm),
    kind: Array.from(c.kind),
    row: Array.from(c.row)
  }
}

function isIntArray(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => Number.isInteger(x))
}

/** Candidate from its plain-array form; undefined when malformed. */
export function candidateFromJson(j: unknown, n?: number): Candidate | undefined {
  if (typeof j !== 'object' || j === null) return undefined
  const o = j as Record<string, unknown>
  const len = n ?? (Array.isArray(o.code) ? o.code.length : -1)
  const keys = ['code', 'dst', 'src', 'off', 'imm', 'kind', 'row'] as const
  if (len < 0 || !keys.every((k) => isIntArray(o[k], len))) return undefined
  const c = new Candidate(len)
  for (const k of keys) c[k].set(o[k] as number[])
  return c
}

/** Serialises a chain; fails while a proof is pending (resolve it first). */
export function serializeChain(chain: Chain): Result<string> {
  if (chain.proofPending) {
    return fail({
      code: 'CHAIN_PROOF_PENDING',
      message: 'cannot checkpoint while a proof is pending'
    })
  }
  const doc: ChainCheckpoint = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    options: { ...chain.options },
    original: candidateToJson(chain.original),
    current: candidateToJson(chain.current),
    best: candidateToJson(chain.best),
    rng: [...chain.rng.getState()],
    windows: chain.windows.map((w) => [w[0], w[1]]),
    windowIndex: chain.windowIndex,
    curCost: chain.curCost,
    curError: chain.curError,
    curPerf: chain.curPerf,
    bestPerf: chain.bestPerf,
    counters: chain.counters,
    addedTests: chain.addedTests,
    unknownHashes: [...chain.unknownHashes]
  }
  return ok(JSON.stringify(doc))
}

const bad = (message: string): Result<Chain> => fail({ code: 'CHECKPOINT_INVALID', message })

/**
 * Rebuilds a chain from {@link serializeChain} output with fresh injected parts. The evaluator
 * must be in the state the original chain's evaluator had at creation (its initial tests); the
 * added tests are replayed into it in order.
 */
export function restoreChain(json: string, deps: ChainDeps): Result<Chain> {
  let doc: ChainCheckpoint
  try {
    doc = JSON.parse(json) as ChainCheckpoint
  } catch {
    return bad('not JSON')
  }
  if (doc.format !== CHECKPOINT_FORMAT || doc.version !== CHECKPOINT_VERSION)
    return bad('unknown format or version')
  const opts = resolveSearchOptions(doc.options ?? {})
  if (!opts.ok) return opts
  const original = candidateFromJson(doc.original)
  if (original === undefined) return bad('bad original program')
  const current = candidateFromJson(doc.current, original.length)
  const best = candidateFromJson(doc.best, original.length)
  if (current === undefined || best === undefined) return bad('bad current or best program')
  if (!isIntArray(doc.rng, 4)) return bad('bad generator state')
  if (!Array.isArray(doc.windows) || !doc.windows.every((w) => isIntArray(w, 2)))
    return bad('bad windows')
  const windows = doc.windows.map((w) => [w[0]!, w[1]!] as Window)
  if (
    !Number.isInteger(doc.windowIndex) ||
    doc.windowIndex < 0 ||
    doc.windowIndex >= Math.max(1, windows.length)
  ) {
    return bad('bad window index')
  }
  const nums = [doc.curCost, doc.curError, doc.curPerf, doc.bestPerf]
  if (!nums.every((x) => typeof x === 'number' && Number.isFinite(x))) return bad('bad costs')
  if (!Array.isArray(doc.addedTests)) return bad('bad tests')
  const unknown = doc.unknownHashes
  if (!Array.isArray(unknown) || !unknown.every((h) => Number.isInteger(h)))
    return bad('bad hash list')
  const counters = { ...newCounters(), ...doc.counters }
  const chain = new Chain(original, opts.value, deps, windows)
  for (const t of doc.addedTests) {
    chain.addedTests.push(t)
    deps.evaluator.addTest(t)
  }
  for (const h of unknown) chain.unknownHashes.add(h)
  chain.current.copyFrom(current)
  chain.best.copyFrom(best)
  chain.rng.setState(doc.rng as unknown as RngState)
  chain.windowIndex = doc.windowIndex
  chain.proposer.setWindow(chain.window[0], chain.window[1])
  chain.curCost = doc.curCost
  chain.curError = doc.curError
  chain.curPerf = doc.curPerf
  chain.bestPerf = doc.bestPerf
  chain.counters = counters
  return ok(chain)
}
