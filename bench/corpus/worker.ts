/**
 * @fileoverview Worker thread of the corpus benchmark: keeps one Z3 instance and runs the
 * programs it is sent one at a time, reporting each stage before it starts (so the main thread
 * can say where a program that ran out of time was) and then the result.
 */
import { parentPort } from 'node:worker_threads'
import { Z3Instance } from '../../src-daemon/engine/z3/z3-instance'
import { runProgramTask, type ProgramTask } from './program-task'
import type { WorkerReply } from './pool'

const port = parentPort
if (port === null) throw new Error('corpus worker: not in a worker thread')
const z3 = await Z3Instance.create()
port.on('message', (task: ProgramTask) => {
  const send = (m: WorkerReply): void => port.postMessage(m)
  runProgramTask(task, z3, (stage, sofar) => send({ type: 'stage', stage, sofar }))
    .then((result) => send({ type: 'done', result }))
    .catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e))
      send({ type: 'failed', message: `${err.name}: ${err.message}` })
    })
})
port.postMessage({ type: 'ready' } satisfies WorkerReply)
