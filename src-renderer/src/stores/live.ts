/**
 * @fileoverview The current job's live data (Pinia): its progress series (the daemon's
 * downsampled history, then points as they arrive), per-chain status and improvements. Points
 * are applied at most once per animation frame, so a burst of events costs one redraw.
 */
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type {
  CandidateInfo,
  ChainStatus,
  DaemonEvent,
  MetricPoint
} from '../../../src-daemon/api/protocol/schemas'
import type { SummitClient } from '../../../src-daemon/api/protocol/client'

/** Points kept in memory for the charts; older ones are thinned to every other point. */
const MAX_POINTS = 4000

/** Halves a long series, keeping the first and last points. */
export function thin(points: readonly MetricPoint[]): MetricPoint[] {
  if (points.length <= MAX_POINTS) return [...points]
  const out = points.filter((_, i) => i % 2 === 0)
  const last = points[points.length - 1]!
  if (out[out.length - 1] !== last) out.push(last)
  return out
}

const nextFrame = (f: () => void): void => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(f)
  else setTimeout(f, 16)
}

export const useLive = defineStore('live', () => {
  const jobId = ref<number | undefined>(undefined)
  /** The series (shallow: replaced as a whole, so charts redraw once per batch). */
  const points = shallowRef<MetricPoint[]>([])
  const chains = ref<ChainStatus[]>([])
  const improvements = ref<CandidateInfo[]>([])
  const loading = ref(false)
  let pending: MetricPoint[] = []
  let scheduled = false

  /** Loads job `id`'s history and improvements (on selection and after a reconnect). */
  async function load(client: SummitClient, id: number): Promise<void> {
    if (jobId.value !== id) {
      points.value = []
      chains.value = []
      improvements.value = []
    }
    jobId.value = id
    loading.value = true
    try {
      const [series, imps] = await Promise.all([client.metrics(id, 2000), client.improvements(id)])
      if (jobId.value !== id) return
      points.value = series
      improvements.value = imps
    } finally {
      loading.value = false
    }
  }

  function flush(): void {
    scheduled = false
    if (pending.length === 0) return
    const last = points.value[points.value.length - 1]
    const fresh = pending.filter((p) => last === undefined || p.t > last.t)
    pending = []
    if (fresh.length > 0) points.value = thin([...points.value, ...fresh])
  }

  /** Applies an event of the current job. */
  function applyEvent(e: DaemonEvent, client: SummitClient | undefined): void {
    if (e.type === 'progress' && e.jobId === jobId.value) {
      pending.push(e.point)
      chains.value = e.chains
      if (!scheduled) {
        scheduled = true
        nextFrame(flush)
      }
    } else if (e.type === 'best' && e.jobId === jobId.value && e.candidate.sound && client) {
      const id = e.jobId
      void client.improvements(id).then((imps) => {
        if (jobId.value === id) improvements.value = imps
      })
    }
  }

  return { jobId, points, chains, improvements, loading, load, applyEvent }
})
