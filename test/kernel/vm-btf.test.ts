/** @fileoverview A VM kernel's BTF is read through the oracle once per image, then from the cache. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ok } from '../../src-daemon/core/util/result'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { oracleKernelBtf } from '../../src-daemon/engine/kernel/vm-btf'

const dir = mkdtempSync(join(tmpdir(), 'summit-vm-btf-'))
const saved = process.env['SUMMIT_CACHE_DIR']
afterAll(() => {
  if (saved === undefined) delete process.env['SUMMIT_CACHE_DIR']
  else process.env['SUMMIT_CACHE_DIR'] = saved
  rmSync(dir, { recursive: true, force: true })
})

describe('oracleKernelBtf', () => {
  it('asks the oracle once per image and answers from the cache after', async () => {
    process.env['SUMMIT_CACHE_DIR'] = join(dir, 'cache')
    const image = join(dir, 'vmlinuz')
    writeFileSync(image, 'an image')
    let asked = 0
    const oracle = {
      kernelBtf: () => {
        asked++
        return Promise.resolve(ok({ btf: new Uint8Array([0x9f, 0xeb, 1, 0]), release: '6.1.0-x' }))
      }
    } as unknown as KernelOracle
    const first = await oracleKernelBtf(oracle, image)
    const second = await oracleKernelBtf(oracle, image)
    expect(asked).toBe(1)
    expect(second).toEqual(first)
    expect(second.ok && second.value.release).toBe('6.1.0-x')
    writeFileSync(image, 'another image')
    await oracleKernelBtf(oracle, image)
    expect(asked).toBe(2)
  })
})
