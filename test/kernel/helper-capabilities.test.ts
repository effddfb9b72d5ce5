/**
 * @fileoverview The kernel helper works for a user who is not root when the binary carries
 * CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (setcap), as native/README.md tells users to install it,
 * and refuses politely without them.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureHelperBinary } from '../../src-daemon/engine/kernel/helper-binary'

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
const binary = await ensureHelperBinary()
const reason =
  process.getuid?.() !== 0
    ? 'not root (giving a binary capabilities needs root)'
    : !has('setcap') || !has('setpriv')
      ? 'setcap or setpriv missing (Debian: libcap2-bin, util-linux)'
      : !binary.ok
        ? binary.reason
        : undefined
if (reason !== undefined) console.log(`[helper-capabilities] skipped: ${reason}`)

const dir = mkdtempSync(join(tmpdir(), 'summit-caps-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs a copy of the helper as user `nobody` (65534) and returns its replies. */
function asNobody(path: string, lines: string[]): Record<string, unknown>[] {
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', path],
    { input: lines.join('\n') + '\n', encoding: 'utf8' }
  )
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

const XDP_PASS = 'b7000000020000009500000000000000'
const requests = [
  '{"id":1,"op":"ping"}',
  `{"id":2,"op":"load","progType":6,"insns":"${XDP_PASS}"}`,
  `{"id":3,"op":"cycle","maps":[{"type":5,"keySize":4,"valueSize":8,"maxEntries":4,"flags":1}],"progType":6,"insns":"${XDP_PASS}","dataIn":"${'00'.repeat(64)}"}`,
  '{"id":4,"op":"load","progType":17,"insns":"b7000000000000009500000000000000"}'
]

describe.skipIf(reason !== undefined)('helper with file capabilities', () => {
  it('loads, test-runs and creates maps for a user without root when given CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN', () => {
    if (!binary.ok) return
    chmodSync(dir, 0o755)
    const capped = join(dir, 'summit-bpf-caps')
    copyFileSync(binary.path, capped)
    chmodSync(capped, 0o755)
    const set = spawnSync('setcap', ['cap_bpf,cap_perfmon,cap_net_admin+ep', capped], {
      encoding: 'utf8'
    })
    expect(set.status, set.stderr).toBe(0)
    const [pong, xdp, cycle, rawTp] = asNobody(capped, requests)
    expect(pong).toMatchObject({ ok: true, uid: 65534 })
    expect(pong?.['capabilities']).toEqual(['bpf', 'perfmon', 'net_admin'])
    expect(xdp).toMatchObject({ id: 2, ok: true })
    expect(cycle).toMatchObject({ id: 3, ok: true, retval: 2 })
    expect(rawTp).toMatchObject({ id: 4, ok: true })
  })

  it('refuses with EPERM when the copy has no capabilities', () => {
    if (!binary.ok) return
    const plain = join(dir, 'summit-bpf-plain')
    copyFileSync(binary.path, plain)
    chmodSync(plain, 0o755)
    const [pong, xdp] = asNobody(plain, requests.slice(0, 2))
    expect(pong).toMatchObject({ ok: true, uid: 65534, capabilities: [] })
    expect(xdp).toMatchObject({ id: 2, ok: false, errno: 1 })
  })
})
