/** @fileoverview How far a job is through its budget: its time limit, else its iterations. */
import type { Job } from '../../../src-daemon/api/protocol/schemas'
import { count, duration } from './format'

/** The fraction of the budget used and the budget in words; undefined for an unbounded job. */
export function budgetOf(job: Job): { fraction: number; label: string } | undefined {
  const seconds = Number(job.config['timeSeconds'] ?? 0)
  if (seconds > 0) {
    const f = job.elapsedMs / (seconds * 1000)
    return {
      fraction: Math.min(1, job.state === 'completed' ? 1 : f),
      label: duration(seconds * 1000)
    }
  }
  const perChain = Number(job.config['iterations'] ?? 0)
  const chains = Math.max(1, Number(job.config['chains'] ?? 1))
  if (perChain > 0) {
    const total = perChain * chains
    const f = job.state === 'completed' ? 1 : job.iterations / total
    return { fraction: Math.min(1, f), label: `${count(total)} iterations` }
  }
  return undefined
}
