// @vitest-environment jsdom
/**
 * @fileoverview Component tests of the views against a fake daemon client: import errors shown in
 * place with the daemon's code, the section picker, the listing with labels, the schema-driven
 * form and what it sends, the aligned diff (collapsing, next change, verdicts), job actions.
 */
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src-daemon/api/protocol/errors'
import { SearchConfig } from '../../src-daemon/core/search/config'
import { JobExtras } from '../../src-daemon/api/protocol/schemas'
import ImportView from '../../src-renderer/src/views/ImportView.vue'
import ProgramView from '../../src-renderer/src/views/ProgramView.vue'
import SearchView from '../../src-renderer/src/views/SearchView.vue'
import DiffView from '../../src-renderer/src/views/DiffView.vue'
import JobsView from '../../src-renderer/src/views/JobsView.vue'
import ExportView from '../../src-renderer/src/views/ExportView.vue'
import { fakeClient, mountView, settle } from './component-support'
import { BEST, ORIGINAL, PROGRAM, job } from './fixtures'

const bytes = new Uint8Array([0x7f, 0x45, 0x4c, 0x46])

describe('ImportView', () => {
  it("shows an unreadable file's error in place with the daemon's code, then imports a good one", async () => {
    let fail = true
    const { client } = fakeClient({
      importProgram: async () => {
        if (fail)
          throw new ApiError(
            'ELF_TRUNCATED',
            'broken.o: section headers past the end of the file',
            422
          )
        return PROGRAM
      }
    })
    const { wrapper, wb } = mountView(ImportView, client)
    await wb.importFiles([{ name: 'broken.o', bytes }])
    await settle()
    const err = wrapper.get('[data-testid=error]')
    expect(err.attributes('role')).toBe('alert')
    expect(err.text()).toContain('ELF_TRUNCATED')
    expect(err.text()).toContain('broken.o: section headers past the end')
    fail = false
    await wb.importFiles([{ name: 'redundant_xdp.o', bytes }])
    await settle()
    expect(wrapper.find('[data-testid=error]').exists()).toBe(false)
    const table = wrapper.get('[data-testid=sections]')
    expect(table.text()).toContain('redundant_pass')
    expect(table.text()).toContain('counts')
    expect(wb.section).toBe('xdp')
    await wrapper.get('[data-testid=open-program]').trigger('click')
    expect(wb.view).toBe('program')
    wrapper.unmount()
  })
})

describe('ProgramView', () => {
  it('lists the disassembly with jump targets as labels, counts and estimated latency', async () => {
    const { client, calls } = fakeClient({ disassemble: async () => ORIGINAL })
    const { wrapper } = mountView(ProgramView, client, (wb) => wb.useProgram(PROGRAM))
    await settle()
    expect(calls[0]).toEqual(['disassemble', ['abc123', 'xdp']])
    const text = wrapper.get('table.asm').text()
    expect(text).toContain('if r1 > 2 goto <L0>')
    expect(text).toContain('<L0>:')
    expect(wrapper.get('[data-testid=insn-count]').text()).toBe('6')
    expect(wrapper.text()).toContain('3.5 ns')
    wrapper.unmount()
  })

  it('adds a window from a selected range', async () => {
    const { client } = fakeClient({ disassemble: async () => ORIGINAL })
    const { wrapper, wb } = mountView(ProgramView, client, (w) => w.useProgram(PROGRAM))
    await settle()
    await wrapper.get('[data-slot="1"]').trigger('click')
    await wrapper.get('[data-slot="3"]').trigger('click', { shiftKey: true })
    await wrapper.get('[data-testid=add-window]').trigger('click')
    expect(wb.windows).toEqual([[1, 3]])
    wrapper.unmount()
  })
})

describe('SearchView', () => {
  it('generates every field from the schema and sends only what changed, with chosen windows', async () => {
    const created: unknown[] = []
    const { client } = fakeClient({
      configSchema: async () => ({ searchConfig: SearchConfig, jobExtras: JobExtras }),
      createJob: async (req) => {
        created.push(req)
        return job('running')
      }
    })
    const { wrapper, wb } = mountView(SearchView, client, (w) => {
      w.useProgram(PROGRAM)
      w.windows = [[1, 3]]
    })
    await settle()
    const fields = wrapper.findAll('[data-field]').map((f) => f.attributes('data-field'))
    expect(new Set(fields)).toEqual(
      new Set([...Object.keys(SearchConfig.properties), 'proofTimeoutMs'])
    )
    expect((wrapper.get('[data-field=seed] input').element as HTMLInputElement).value).toBe('1')
    expect(wrapper.get('[data-field=seed]').text()).toContain('Seed of the chain PRNG')
    await wrapper.get('[data-field=chains] input').setValue('0')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(wrapper.get('[role=alert]').text()).toContain('Chains: at least 1')
    expect(created).toHaveLength(0)
    await wrapper.get('[data-field=chains] input').setValue('2')
    await wrapper.get('[data-field=timeSeconds] input').setValue('30')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(created).toEqual([
      {
        programId: 'abc123',
        section: 'xdp',
        priority: 0,
        config: { chains: 2, timeSeconds: 30 },
        extras: { windows: [[1, 3]] },
        start: true
      }
    ])
    expect(wb.view).toBe('progress')
    expect(wb.jobId).toBe(3)
    wrapper.unmount()
  })
})

describe('DiffView', () => {
  it('aligns original and best, compares jumps by landing, shows verdicts and steps through changes', async () => {
    const { client } = fakeClient({
      metrics: async () => [],
      improvements: async () => [BEST],
      disassemble: async () => ORIGINAL,
      getCandidate: async () => BEST
    })
    const { wrapper } = mountView(DiffView, client, (w) => {
      w.jobs = [job('running')]
      w.jobId = 3
    })
    await settle()
    const rows = wrapper.findAll('tbody tr')
    const kinds = rows.map((r) =>
      r.classes().find((c) => ['same', 'changed', 'removed', 'added'].includes(c))
    )
    // The jump shifted from +3 to +0 but lands on the same `r0 = 2`: unchanged.
    expect(kinds).toEqual(['same', 'removed', 'removed', 'removed', 'same', 'same'])
    expect(wrapper.get('[data-testid=diff-tally]').text()).toContain(
      '0 changed, 3 removed, 0 added, 3 unchanged'
    )
    expect(rows[0]!.text()).toContain('goto <L0>')
    expect(wrapper.get('[data-testid=verdicts]').text()).toContain('proven equal')
    expect(wrapper.get('[data-testid=verdicts]').text()).toContain('kernel verifier: not checked')
    expect(wrapper.get('[data-testid=diff-best-size]').text()).toContain('3 slots')
    await wrapper.get('[data-testid=next-change]').trigger('click')
    await settle()
    expect(document.activeElement?.getAttribute('data-row')).toBe('1')
    wrapper.unmount()
  })
})

describe('JobsView and ExportView', () => {
  it('offers the actions each state allows and applies the answer', async () => {
    const { client, calls } = fakeClient({
      jobAction: async (_id, a) => job(a === 'pause' ? 'paused' : 'running')
    })
    const { wrapper, wb } = mountView(JobsView, client, (w) => {
      w.jobs = [job('running'), job('completed', { id: 4 })]
    })
    await settle()
    const running = wrapper.get('[data-job="3"]')
    expect(running.findAll('[data-action]').map((b) => b.attributes('data-action'))).toEqual([
      'pause',
      'cancel'
    ])
    expect(wrapper.get('[data-job="4"]').findAll('[data-action]')).toHaveLength(0)
    await running.get('[data-action=pause]').trigger('click')
    await settle()
    expect(calls).toContainEqual(['jobAction', [3, 'pause']])
    expect(wb.jobs.find((j) => j.id === 3)!.state).toBe('paused')
    wrapper.unmount()
  })

  it('refuses to export without a proven improvement and says why', async () => {
    const { client } = fakeClient({ metrics: async () => [], improvements: async () => [] })
    const { wrapper } = mountView(ExportView, client, (w) => {
      w.programs = [PROGRAM]
      w.jobs = [job('running')]
      w.jobId = 3
    })
    await settle()
    expect(wrapper.text()).toContain('has no proven improvement yet')
    expect(wrapper.find('[data-testid=export-button]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('ProgressView', () => {
  it('shows the history, then applies progress events: tiles, chains, budget', async () => {
    const { useLive } = await import('../../src-renderer/src/stores/live')
    const ProgressView = (await import('../../src-renderer/src/views/ProgressView.vue')).default
    const point = (t: number, iterations: number) => ({
      t,
      at: 1_700_000_000_000 + t,
      iterations,
      evaluations: iterations,
      candidatesPerSecond: 5000,
      acceptance: 0.25,
      bestSlots: 3,
      bestPerf: 3,
      proverCalls: 8,
      proofsEqual: 2,
      proofsNotEqual: 5,
      proofsUnknown: 1,
      cacheHits: 2,
      tests: 40
    })
    const { client } = fakeClient({
      metrics: async () => [point(1000, 100), point(2000, 200)],
      improvements: async () => [BEST]
    })
    const { wrapper, wb } = mountView(ProgressView, client, (w) => {
      w.jobs = [job('running')]
      w.jobId = 3
    })
    await settle()
    const live = useLive()
    expect(live.points).toHaveLength(2)
    const e = {
      type: 'progress' as const,
      jobId: 3,
      point: point(45_000, 9000),
      chains: [
        { index: 0, running: true, iterations: 9000, bestSlots: 3, tests: 40, checkpointAt: 0 }
      ]
    }
    wb.applyEvent(e)
    live.applyEvent(e, client)
    await new Promise((r) => setTimeout(r, 40))
    await settle()
    expect(live.points).toHaveLength(3)
    expect(wrapper.get('[data-testid=iterations]').text()).toBe('9,000')
    expect(wrapper.get('[data-testid=best-size]').text()).toBe('3 / 6 slots')
    expect(wrapper.text()).toContain('25.0 %') // acceptance
    expect(wrapper.text()).toContain('20.0 %') // cache: 2 hits of 10 asked
    expect(wrapper.text()).toContain('2 / 5 / 1')
    expect(wrapper.get('progress').attributes('value')).toBe('0.75') // 45 s of 60 s
    expect(wrapper.get('[data-testid=chains]').text()).toContain('running')
    expect(wrapper.get('[data-testid=improvements]').text()).toContain('3 slots')
    wrapper.unmount()
  })
})
