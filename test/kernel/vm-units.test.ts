/** @fileoverview The pieces of `kernel-check --kernel` that need no VM: the cpio writer, the handshake, the initramfs. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeCpio } from '../../src-daemon/core/formats/cpio'
import { HelperProcess } from '../../src-daemon/engine/kernel/helper-process'
import { ensureInitramfs, qemuArgs } from '../../src-daemon/engine/kernel/vm-image'
import { hasTool } from '../support/environment'

/** A stand-in for the VM: noise, the marker, a lost first handshake, then a helper that answers by id. */
const FAKE_VM = `
echo 'SeaBIOS noise'
echo 'SUMMIT-VM-READY 6.1.0-test'
read -r blank
read -r lost
while read -r line; do
  case "$line" in
    *'"id":0,'*) echo '{"id":0,"ok":true}' ;;
    *'"id":'*) id=\${line#*'"id":'}; id=\${id%%,*}; echo "{\\"id\\":$id,\\"ok\\":true,\\"echo\\":$id}" ;;
  esac
done
`

describe('cpio (newc) writer', () => {
  it('writes headers, 4-byte alignment and the trailer that cpio itself reads back', () => {
    const image = writeCpio([
      { path: 'bin', mode: 0o40755 },
      { path: 'bin/hello', mode: 0o100755, data: new TextEncoder().encode('hi\n') }
    ])
    const text = new TextDecoder().decode(image)
    expect(text.startsWith('070701')).toBe(true)
    expect(text).toContain('TRAILER!!!')
    expect(image.length % 4).toBe(0)
    if (!hasTool('cpio', 'cpio listing of the initramfs writer')) return
    const r = spawnSync('cpio', ['-it', '--quiet'], { input: image, encoding: 'utf8' })
    expect(r.stdout.trim().split('\n')).toEqual(['bin', 'bin/hello'])
  })
})

describe('helper behind a handshake', () => {
  it('ignores output before the marker, resends the handshake until answered, then keeps replies in order', async () => {
    const h = new HelperProcess('sh', {
      args: ['-c', FAKE_VM],
      boot: { marker: 'SUMMIT-VM-READY', timeoutMs: 60_000, requestTimeoutMs: 60_000 }
    })
    try {
      const [a, b] = await Promise.all([h.request({ op: 'ping' }), h.request({ op: 'ping' })])
      expect(a).toMatchObject({ ok: true, echo: 1 })
      expect(b).toMatchObject({ ok: true, echo: 2 })
      expect(h.bootLine).toBe('SUMMIT-VM-READY 6.1.0-test')
    } finally {
      await h.dispose()
    }
  })

  it('answers with an error value when the channel never reaches the helper', async () => {
    const h = new HelperProcess('sh', {
      args: ['-c', 'echo booting; exec sleep 60'],
      boot: { marker: 'SUMMIT-VM-READY', timeoutMs: 200, requestTimeoutMs: 1000 }
    })
    const r = await h.request({ op: 'ping' })
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/did not answer within 0\.2 s/)
    await h.dispose()
  })
})

describe('the VM image', () => {
  it('packs busybox, the helper and its libraries into a cached initramfs', async () => {
    if (!hasTool('busybox', 'initramfs build', 'busybox-static')) return
    const cache = mkdtempSync(join(tmpdir(), 'summit-cache-'))
    const saved = process.env['SUMMIT_CACHE_DIR']
    process.env['SUMMIT_CACHE_DIR'] = cache
    try {
      const a = await ensureInitramfs('/bin/true')
      expect(a.ok, a.ok ? '' : a.reason).toBe(true)
      const b = await ensureInitramfs('/bin/true')
      expect(b).toEqual(a)
      if (!a.ok || !hasTool('cpio', 'initramfs listing')) return
      const list = spawnSync('cpio', ['-it', '--quiet', '-F', a.path], { encoding: 'utf8' }).stdout
      expect(list.split('\n')).toEqual(
        expect.arrayContaining(['init', 'bin/busybox', 'bin/summit-bpf'])
      )
      expect(list).toMatch(/libc\.so\.6/)
    } finally {
      if (saved === undefined) delete process.env['SUMMIT_CACHE_DIR']
      else process.env['SUMMIT_CACHE_DIR'] = saved
      rmSync(cache, { recursive: true, force: true })
    }
    expect(qemuArgs('K', 'I', 'L')).toEqual(
      expect.arrayContaining(['-accel', 'tcg', '-kernel', 'K', '-initrd', 'I'])
    )
  })
})
