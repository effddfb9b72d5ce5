/**
 * @fileoverview The BTF of the kernel a kernel oracle asks: read through its helper (inside the
 * VM for `kernel-check --kernel IMAGE`) and, for an image, cached beside the VM's initramfs by
 * the image's hash, since the emulated serial line makes the read take seconds.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ok, type Result } from '../../core/util/result'
import type { OracleKernelBtf } from './kernel-btf-reply'
import type { KernelError } from './kernel-error'
import type { KernelOracle } from './oracle'
import { summitCacheDir } from './vm-image'

/** Writes `data` to `path` through a temporary file (readers never see half a file). */
function writeWhole(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

/**
 * The vmlinux BTF and release of the kernel `oracle` asks; with `image` (the kernel image the
 * oracle boots), from the cache when that image was read before.
 */
export async function oracleKernelBtf(
  oracle: KernelOracle,
  image?: string
): Promise<Result<OracleKernelBtf, KernelError>> {
  if (image === undefined) return oracle.kernelBtf()
  const hash = createHash('sha256').update(readFileSync(image)).digest('hex').slice(0, 16)
  const dir = join(summitCacheDir(), 'vm')
  const btfPath = join(dir, `btf-${hash}.btf`)
  const releasePath = join(dir, `btf-${hash}.release`)
  if (existsSync(btfPath) && existsSync(releasePath))
    return ok({
      btf: new Uint8Array(readFileSync(btfPath)),
      release: readFileSync(releasePath, 'utf8').trim()
    })
  const read = await oracle.kernelBtf()
  if (!read.ok) return read
  try {
    mkdirSync(dir, { recursive: true })
    writeWhole(btfPath, read.value.btf)
    writeWhole(releasePath, `${read.value.release}\n`)
  } catch {
    // An unwritable cache only costs the next caller another read.
  }
  return read
}
