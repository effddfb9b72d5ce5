/** @fileoverview Daemon answers for component tests, shaped exactly like the protocol's schemas. */
import type {
  CandidateDetail,
  Disassembly,
  Job,
  ProgramInfo
} from '../../src-daemon/api/protocol/schemas'

/** An imported object with one XDP program and one map. */
export const PROGRAM: ProgramInfo = {
  id: 'abc123',
  fileName: 'redundant_xdp.o',
  format: 'elf',
  license: 'GPL',
  importedAt: 1_700_000_000_000,
  sections: [
    {
      section: 'xdp',
      name: 'redundant_pass',
      type: 'xdp',
      subprogram: false,
      slots: 6,
      instructions: 6,
      size: 48,
      latency: 3.5
    }
  ],
  maps: [{ name: 'counts', type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 }]
}

/** The original listing: a jump over redundant moves. */
export const ORIGINAL: Disassembly = {
  section: 'xdp',
  text: '',
  latency: 3.5,
  lines: [
    { slot: 0, text: 'if r1 > 2 goto +3', target: 4 },
    { slot: 1, text: 'r0 += 0' },
    { slot: 2, text: 'r2 = r0' },
    { slot: 3, text: 'r0 = r2' },
    { slot: 4, text: 'r0 = 2' },
    { slot: 5, text: 'exit' }
  ]
}

/** The best: the moves removed, the jump shifted to the same landing. */
export const BEST: CandidateDetail = {
  id: 7,
  jobId: 3,
  chain: 0,
  foundAt: 1_700_000_100_000,
  elapsedMs: 9_000,
  slots: 3,
  perf: 3,
  proof: 'equal',
  proofDetail: '',
  safety: 'accepted',
  kernel: null,
  sound: true,
  latency: 1.2,
  lines: [
    { slot: 0, text: 'if r1 > 2 goto +0', target: 1 },
    { slot: 1, text: 'r0 = 2' },
    { slot: 2, text: 'exit' }
  ]
}

/** A job in state `state`. */
export function job(state: Job['state'], over: Partial<Job> = {}): Job {
  return {
    id: 3,
    programId: PROGRAM.id,
    section: 'xdp',
    name: 'redundant_xdp.o [xdp]',
    state,
    priority: 0,
    config: { timeSeconds: 60, chains: 1, perfModel: 'count' },
    extras: {},
    createdAt: 1_700_000_000_000,
    startedAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    finishedAt: null,
    elapsedMs: 30_000,
    iterations: 1234,
    evaluations: 1000,
    originalSlots: 6,
    bestSlots: 3,
    bestPerf: 3,
    runningChains: state === 'running' ? 1 : 0,
    error: null,
    ...over
  }
}
