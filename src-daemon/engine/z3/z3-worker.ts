/** @fileoverview Worker-thread host of one Z3 instance: answers check requests sent as term DAGs. */

import { parentPort, workerData } from 'node:worker_threads'
import type { Term } from '../../core/smt/term'
import { markTerms, releaseTerms } from '../../core/smt/term'
import { deserializeDag } from '../../core/smt/term-dag'
import type { CheckResult } from '../../core/smt/term-solver'
import type { BoolTerm } from '../../core/smt/term'
import type { Z3Reply, Z3Request, Z3WorkerData } from './z3-protocol'
import { Z3Instance } from './z3-instance'
import type { Z3Session } from './z3-session'

interface WorkerSession {
  session: Z3Session
  known: Map<number, Term>
}

const port = parentPort
if (port === null) throw new Error('z3-worker must run in a worker thread')
const data = workerData as Z3WorkerData
const z3 = await Z3Instance.create({ finalizationGuard: data.finalizationGuard, logic: data.logic })
const sessions = new Map<number, WorkerSession>()
const aborts = new Map<number, AbortController>()

function post(msg: Z3Reply): void {
  port?.postMessage(msg)
}

function asBools(ts: readonly Term[]): BoolTerm[] {
  return ts.filter((t): t is BoolTerm => t.sort === 'bool')
}

async function sessionCheck(
  req: Extract<Z3Request, { type: 'sessionCheck' }>,
  signal: AbortSignal
): Promise<CheckResult> {
  let ws = sessions.get(req.sid)
  if (ws === undefined || req.resetBase) {
    if (ws !== undefined) await ws.session.dispose()
    ws = { session: z3.openSession(), known: new Map() }
    sessions.set(req.sid, ws)
  }
  if (req.baseDag !== undefined) {
    await ws.session.assertBase(asBools(deserializeDag(req.baseDag, ws.known)))
  }
  const mark = markTerms()
  try {
    const goal = asBools(deserializeDag(req.dag, new Map(), ws.known))
    return await ws.session.check(goal, withLimits(req.timeoutMs, signal))
  } finally {
    releaseTerms(mark)
  }
}

async function plainCheck(
  req: Extract<Z3Request, { type: 'check' }>,
  signal: AbortSignal
): Promise<CheckResult> {
  const mark = markTerms()
  try {
    const goal = asBools(deserializeDag(req.dag, new Map()))
    return await z3.check(goal, withLimits(req.timeoutMs, signal))
  } finally {
    releaseTerms(mark)
  }
}

function withLimits(
  timeoutMs: number | undefined,
  signal: AbortSignal
): { timeoutMs?: number; signal: AbortSignal } {
  return timeoutMs === undefined ? { signal } : { timeoutMs, signal }
}

async function handle(req: Z3Request): Promise<void> {
  if (req.type === 'interrupt') {
    aborts.get(req.reqId)?.abort()
    return
  }
  if (req.type === 'closeSession') {
    const ws = sessions.get(req.sid)
    sessions.delete(req.sid)
    if (ws !== undefined) await ws.session.dispose()
    return
  }
  const abort = new AbortController()
  aborts.set(req.reqId, abort)
  const start = performance.now()
  let result: CheckResult
  try {
    result =
      req.type === 'check'
        ? await plainCheck(req, abort.signal)
        : await sessionCheck(req, abort.signal)
  } catch (e) {
    result = { kind: 'unknown', reason: `error:${e instanceof Error ? e.message : String(e)}` }
  } finally {
    aborts.delete(req.reqId)
  }
  post({ type: 'result', reqId: req.reqId, result, ms: performance.now() - start })
}

port.on('message', (req: Z3Request) => {
  void handle(req)
})
post({ type: 'ready', initMs: z3.initMs })
