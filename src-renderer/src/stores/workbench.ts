/**
 * @fileoverview The workbench state (Pinia): the daemon connection, the current view, imported
 * programs, the current program and section, jobs, and the instructions chosen as windows.
 */
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type { SummitClient } from '../../../src-daemon/api/protocol/client'
import type {
  DaemonEvent,
  Health,
  Job,
  ProgramInfo
} from '../../../src-daemon/api/protocol/schemas'
import type { LinkStatus } from '../api/connection'

/** The views, in menu order. */
export const VIEWS = ['import', 'program', 'search', 'progress', 'diff', 'export', 'jobs'] as const
/** A view name. */
export type ViewName = (typeof VIEWS)[number]

/** Titles of the views (navigation and headings). */
export const VIEW_TITLES: Readonly<Record<ViewName, string>> = {
  import: 'Import',
  program: 'Program',
  search: 'New search',
  progress: 'Live progress',
  diff: 'Diff',
  export: 'Export',
  jobs: 'Jobs'
}

/** An error to show in place: the daemon's stable code and its message. */
export interface ShownError {
  readonly code: string
  readonly message: string
}

/** `{code, message}` of anything thrown by the client. */
export function shownError(e: unknown): ShownError {
  const x = e as { code?: unknown; message?: unknown }
  return {
    code: typeof x.code === 'string' ? x.code : 'ERROR',
    message: typeof x.message === 'string' ? x.message : String(e)
  }
}

/** The program file first, then K2's `.maps` and `.desc` companions (the daemon's order). */
export function orderForImport<T extends { name: string }>(files: readonly T[]): T[] {
  const rank = (n: string): number => (/\.maps$/i.test(n) ? 1 : /\.desc$/i.test(n) ? 2 : 0)
  return [...files].sort((a, b) => rank(a.name) - rank(b.name))
}

export const useWorkbench = defineStore('workbench', () => {
  const status = ref<LinkStatus>('connecting')
  const statusDetail = ref('connecting to the daemon…')
  const client = shallowRef<SummitClient | undefined>(undefined)
  const health = ref<Health | undefined>(undefined)
  const view = ref<ViewName>('import')
  const programs = ref<ProgramInfo[]>([])
  const programId = ref<string | undefined>(undefined)
  const section = ref<string | undefined>(undefined)
  const jobs = ref<Job[]>([])
  const jobId = ref<number | undefined>(undefined)
  /** The candidate the diff and export views show (undefined: the job's latest improvement). */
  const candidateId = ref<number | undefined>(undefined)
  /** Windows chosen by selecting instructions (inclusive slot ranges); empty = automatic. */
  const windows = ref<[number, number][]>([])
  /** A short message for the status line (announced to screen readers). */
  const notice = ref('')
  /** The last import's error, shown in place in the Import view. */
  const importError = ref<ShownError | undefined>(undefined)
  const importing = ref(false)
  /** Bumped to ask the Import view to open its file dialog (menu, shortcut). */
  const openRequest = ref(0)

  const program = computed(() => programs.value.find((p) => p.id === programId.value))
  const job = computed(() => jobs.value.find((j) => j.id === jobId.value))

  /** The client, or an error when offline (views call this inside try). */
  function api(): SummitClient {
    const c = client.value
    if (c === undefined || status.value !== 'online')
      throw { code: 'OFFLINE', message: 'not connected to the daemon' }
    return c
  }

  /** A daemon answered: keep its client and reload the lists. */
  async function online(c: SummitClient): Promise<void> {
    client.value = markRaw(c)
    try {
      const [h, p, j] = await Promise.all([c.health(), c.listPrograms(), c.listJobs()])
      health.value = h
      programs.value = p
      jobs.value = j
    } catch (e) {
      notice.value = `could not load the daemon's state: ${shownError(e).message}`
    }
  }

  function setStatus(s: LinkStatus, detail: string): void {
    status.value = s
    statusDetail.value = detail
  }

  /** Applies a daemon event to the lists. */
  function applyEvent(e: DaemonEvent): void {
    if (e.type === 'job') {
      const i = jobs.value.findIndex((j) => j.id === e.job.id)
      if (i < 0) jobs.value = [...jobs.value, e.job]
      else jobs.value.splice(i, 1, e.job)
    } else if (e.type === 'jobDeleted') {
      jobs.value = jobs.value.filter((j) => j.id !== e.jobId)
      if (jobId.value === e.jobId) jobId.value = undefined
    } else if (e.type === 'progress') {
      const j = jobs.value.find((x) => x.id === e.jobId)
      if (j !== undefined) {
        j.iterations = e.point.iterations
        j.evaluations = e.point.evaluations
        j.bestSlots = e.point.bestSlots
        j.bestPerf = e.point.bestPerf
        j.elapsedMs = e.point.t
        j.runningChains = e.chains.filter((c) => c.running).length
      }
    } else if (e.type === 'health') {
      health.value = e.health
    }
  }

  /** Adds or replaces an imported program and makes it current. */
  function useProgram(p: ProgramInfo, sectionName?: string): void {
    const i = programs.value.findIndex((x) => x.id === p.id)
    if (i < 0) programs.value = [p, ...programs.value]
    else programs.value.splice(i, 1, p)
    if (programId.value !== p.id) windows.value = []
    programId.value = p.id
    const runnable = p.sections.filter((s) => !s.subprogram)
    section.value = sectionName ?? (runnable.length === 1 ? runnable[0]!.section : undefined)
  }

  /** Uploads files (the program first, then K2 companions) and makes the program current. */
  async function importFiles(files: readonly { name: string; bytes: Uint8Array }[]): Promise<void> {
    importError.value = undefined
    view.value = 'import'
    importing.value = true
    try {
      const p = await api().importProgram(orderForImport(files))
      useProgram(p)
      notice.value = `imported ${p.fileName}: ${p.sections.length} program(s)`
    } catch (e) {
      importError.value = shownError(e)
      notice.value = `import failed: ${importError.value.code}`
    } finally {
      importing.value = false
    }
  }

  /** Makes job `id` current (and its program), and shows `target`. */
  function openJob(id: number, target: ViewName = 'progress'): void {
    const j = jobs.value.find((x) => x.id === id)
    jobId.value = id
    candidateId.value = undefined
    if (j !== undefined) {
      if (programId.value !== j.programId) windows.value = []
      programId.value = j.programId
      section.value = j.section
    }
    view.value = target
  }

  return {
    status,
    statusDetail,
    client,
    health,
    view,
    programs,
    programId,
    section,
    program,
    jobs,
    jobId,
    job,
    candidateId,
    windows,
    notice,
    importError,
    importing,
    openRequest,
    importFiles,
    api,
    online,
    setStatus,
    applyEvent,
    useProgram,
    openJob
  }
})
