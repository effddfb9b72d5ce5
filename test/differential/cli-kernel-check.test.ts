/** @fileoverview `summit kernel-check`: kernel verifier load, one test run and timing (root/BPF). */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ProgType } from '../../src-daemon/engine/kernel/bpf-constants'
import { fixtureFeatures } from '../kernel/fixture-support'
import { skipUnlessKernelHas, skipUnlessKernelRuns } from '../support/environment'
import { k2Program } from './diff-programs'
import { kernelCheckCommand } from '../../src-daemon/cli/cmd-kernel-check'
import { K2, OBJ, runCli } from './cli-support'
import { openOracle } from './diff-test-support'

const { oracle, available } = await openOracle('cli kernel-check')
afterAll(() => oracle.dispose())

describe.skipIf(!available)('summit kernel-check', () => {
  it('loads, runs and times an XDP object', async () => {
    await skipUnlessKernelHas('kernel-check of xdp_udp_filter.o', [
      ...fixtureFeatures('xdp_udp_filter'),
      { kind: 'testRun', progType: ProgType.xdp }
    ])
    const r = await runCli(kernelCheckCommand, join(OBJ, 'xdp_udp_filter.o'), '--repeat', '100')
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/accepted by the kernel verifier as xdp/)
    expect(r.out).toMatch(/test run: retval = 2 /) // default packet: UDP to port 80 → XDP_PASS
    expect(r.out).toMatch(/time: \d+ ns per run \(BPF_PROG_TEST_RUN, repeat 100\)/)
  })

  it.skipIf(K2 === undefined)(
    'runs a K2 triple as k2KernelRun says, with --input and --json',
    async () => {
      for (const name of ['xdp_fw', 'sys_enter_open']) {
        const p = k2Program(name)
        await skipUnlessKernelRuns(
          `kernel-check of k2/${name}`,
          p.insns,
          p.progType,
          p.specs.map((m) => m.type),
          {
            testRun: true
          }
        )
      }
      const r = await runCli(
        kernelCheckCommand,
        join(K2 ?? '', 'xdp_fw.insns'),
        '--input',
        'packet=zeros:64',
        '--repeat',
        '10',
        '--json'
      )
      expect(r.code).toBe(0)
      const doc = JSON.parse(r.out) as {
        accepted: boolean
        progType: string
        retval: number
        durationNs: number
      }
      expect(doc).toMatchObject({ accepted: true, progType: 'xdp' })
      expect(typeof doc.retval).toBe('number')
      const tp = await runCli(kernelCheckCommand, join(K2 ?? '', 'sys_enter_open.insns'))
      expect(tp.code).toBe(0)
      expect(tp.out).toMatch(/as raw_tracepoint/)
      expect(tp.out).toMatch(/not timed/)
    }
  )

  it('exits 1 on a verifier rejection and prints the log tail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-kc-'))
    const file = join(dir, 'bad.s')
    writeFileSync(file, 'r0 = *(u32 *)(r2 + 0)\nexit\n') // r2 is not initialised
    const r = await runCli(kernelCheckCommand, file, '--type', 'xdp')
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/rejected by the kernel verifier \(as xdp\)/)
    expect(r.out).toMatch(/R2 !read_ok/)
  })

  it('exits 2 without a program type for raw code, or with an unknown one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summit-kc-'))
    const file = join(dir, 'ok.s')
    writeFileSync(file, 'r0 = 2\nexit\n')
    const none = await runCli(kernelCheckCommand, file)
    expect(none.code).toBe(2)
    expect(none.err).toMatch(/KERNEL_UNKNOWN_TYPE.*give --type/)
    const unknown = await runCli(kernelCheckCommand, file, '--type', 'bogus')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/unknown program type 'bogus'/)
    const ok = await runCli(kernelCheckCommand, file, '--type', 'socket_filter', '--repeat', '5')
    expect(ok.code).toBe(0)
    expect(ok.out).toMatch(/retval = 2 /)
  })
})
