/**
 * @fileoverview The running kernel's BTF as a CO-RE target (read once per process), or another
 * kernel's BTF handed in with `useKernelBtf` (e.g. read from a VM's kernel).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { release } from 'node:os'
import { coreTarget, parseBtf, type CoreTarget } from '../../core/formats'
import {
  btfTargetName,
  indexByName,
  resolveBtfTarget,
  type BtfNameIndex
} from '../../core/analysis/btf-target'
import { formatKernelVersion, parseKernelVersion } from '../../core/analysis/kernel-target'
import type { BtfBinding } from '../../core/search/safety'
import type { Diagnostic, Result } from '../../core/util/result'

/** Where Linux exposes its BTF. */
const BTF_DIR = '/sys/kernel/btf'

let cached: Result<CoreTarget & { readonly kernel: string }, Diagnostic> | undefined

/**
 * The running kernel's BTF (`/sys/kernel/btf/vmlinux`) indexed for CO-RE, and the kernel release.
 * Module BTF is not read: a type found only in a module makes resolution refuse.
 */
export function kernelCoreTarget(): Result<CoreTarget & { readonly kernel: string }, Diagnostic> {
  if (cached !== undefined) return cached
  const path = `${BTF_DIR}/vmlinux`
  if (!existsSync(path)) {
    cached = {
      ok: false,
      error: {
        code: 'CORE_NO_KERNEL_BTF',
        message: `this kernel exposes no BTF (${path}) to resolve CO-RE relocations against`
      }
    }
    return cached
  }
  const btf = parseBtf(new Uint8Array(readFileSync(path)))
  if (!btf.ok) {
    cached = { ok: false, error: { ...btf.error, code: 'CORE_NO_KERNEL_BTF', file: path } }
    return cached
  }
  const modules = readdirSync(BTF_DIR).filter((n) => n !== 'vmlinux')
  const target = coreTarget(
    btf.value,
    modules.length > 0
      ? `the type is not in vmlinux BTF and Summit does not search the ${modules.length} kernel module BTFs libbpf would`
      : undefined
  )
  cached = { ok: true, value: { ...target, kernel: release() } }
  return cached
}

let nameIndex: BtfNameIndex | undefined

/**
 * From now on (in this process) resolves CO-RE relocations and attach targets against `btf`, the
 * raw vmlinux BTF of kernel release `kernel`, instead of the running kernel's.
 */
export function useKernelBtf(btf: Uint8Array, kernel: string): Result<void, Diagnostic> {
  const parsed = parseBtf(btf)
  if (!parsed.ok) return { ok: false, error: { ...parsed.error, code: 'CORE_NO_KERNEL_BTF' } }
  cached = { ok: true, value: { ...coreTarget(parsed.value, undefined), kernel } }
  nameIndex = undefined
  return { ok: true, value: undefined }
}

/** Goes back to the running kernel's BTF (read again on next use). */
export function useRunningKernelBtf(): void {
  cached = undefined
  nameIndex = undefined
}

/**
 * The attach target a BTF-typed section (`fentry/NAME`, `fexit/`, `fmod_ret/`, `lsm/`, `tp_btf/`)
 * names, resolved against the running kernel's BTF; or, where that fails, why (the analysis then
 * refuses the program's context loads with that reason). Undefined for other sections.
 */
export function kernelBtfBinding(section: string, license: string): BtfBinding | undefined {
  const named = btfTargetName(section)
  if (named === undefined) return undefined
  const k = kernelCoreTarget()
  if (!k.ok) return { btfRefusal: `attach target ${named.name}: ${k.error.message}` }
  nameIndex ??= indexByName(k.value.btf)
  const r = resolveBtfTarget(k.value.btf, nameIndex, section, license)
  const v = parseKernelVersion(k.value.kernel)
  const kernel = v.ok ? { kernel: formatKernelVersion(v.value) } : {}
  return r.ok ? { btfTarget: { ...r.value, ...kernel } } : { btfRefusal: r.error.message }
}
