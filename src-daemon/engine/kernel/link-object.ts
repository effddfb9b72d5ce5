/** @fileoverview Turns one program of a parsed BPF object into what the kernel oracle loads. */
import { readFileSync } from 'node:fs'
import { release as osRelease } from 'node:os'
import type { BpfMap, BpfObject, BpfProgram } from '../../core/formats/bpf-object'
import { linkProgram as linkFunctions } from '../../core/formats/link'
import type { Insn } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import { MAP_RDONLY_PROG } from '../../core/analysis/types'
import { MapType } from './bpf-constants'
import type { KernelError } from './kernel-error'
import { PSEUDO_MAP_VALUE } from './map-fd-patching'
import type { MapInitEntry, MapSpec } from './oracle-types'

/** A self-contained program: map references are ld_imm64 src=1/2 with imm = index in `maps`. */
export interface LinkedProgram {
  /** Entry program followed by the subprograms it reaches. */
  readonly insns: Insn[]
  /** The object's maps, then one single-entry array map per global data section used. */
  readonly maps: MapSpec[]
  /** Initial contents by map index (global data sections start with their bytes). */
  readonly mapEntries: (MapInitEntry[] | undefined)[]
  /** Names of the global data sections behind the maps that follow the object's maps. */
  readonly dataSections: string[]
  /**
   * Both slots of each ld_imm64 of a kconfig extern, now a reference into the `.kconfig` map (the
   * object keeps the extern: the search may remove these, never rewrite them).
   */
  readonly externSlots: readonly number[]
  /** The object functions placed in `insns`, in order, with their first slot there. */
  readonly functions: { readonly program: BpfProgram; readonly firstSlot: number }[]
  /** Program type guessed from the section name (0 if unknown). */
  readonly progType: number
  /** License from the object (default GPL). */
  readonly license: string
}

/**
 * libbpf's `.kconfig` map: one read-only, frozen array entry holding the values of the kconfig
 * externs a program reads (each in an 8-byte slot here). Known are the two libbpf computes
 * itself rather than reading them from the kernel's config: LINUX_KERNEL_VERSION (major << 16 |
 * minor << 8 | min(patch, 255)) and LINUX_HAS_SYSCALL_WRAPPER (whether syscalls enter through
 * `__<arch>_sys_*` wrappers, which BPF_KSYSCALL programs need to know).
 */
class KconfigMap {
  /** Index of the map among the linked maps, once a program reads an extern. */
  index: number | undefined = undefined
  private readonly names: string[] = []

  /** The offset of extern `name` in the map, or undefined for externs Summit cannot resolve. */
  offsetOf(name: string): number | undefined {
    if (!(name in KCONFIG_VALUES)) return undefined
    if (!this.names.includes(name)) this.names.push(name)
    return this.names.indexOf(name) * 8
  }

  /** The map's definition. */
  spec(): MapSpec {
    return {
      type: MapType.array,
      keySize: 4,
      valueSize: Math.max(8, this.names.length * 8),
      maxEntries: 1,
      name: '.kconfig',
      flags: MAP_RDONLY_PROG,
      freeze: true
    }
  }

  /** The map's value: each extern's value, little-endian in its slot. */
  value(): Uint8Array {
    const out = new Uint8Array(Math.max(8, this.names.length * 8))
    const view = new DataView(out.buffer)
    this.names.forEach((name, i) => view.setUint32(i * 8, KCONFIG_VALUES[name]?.() ?? 0, true))
    return out
  }
}

/** The kconfig externs Summit resolves, by name: their values on the running kernel. */
const KCONFIG_VALUES: Readonly<Record<string, () => number>> = {
  LINUX_KERNEL_VERSION: () => linuxKernelVersion(),
  LINUX_HAS_SYSCALL_WRAPPER: () => (hasSyscallWrapper() ? 1 : 0)
}

/** The names of the kconfig externs Summit resolves. */
export const KCONFIG_EXTERNS: readonly string[] = Object.keys(KCONFIG_VALUES)

let wrapperCache: boolean | undefined

/**
 * Whether the running kernel enters syscalls through wrappers (`__x64_sys_bpf` on x86-64,
 * `__arm64_sys_bpf` on arm64, ...), found in /proc/kallsyms as libbpf finds it among kernel
 * symbols; false when the symbol table cannot be read.
 */
export function hasSyscallWrapper(kallsyms?: string): boolean {
  if (kallsyms === undefined && wrapperCache !== undefined) return wrapperCache
  let text = kallsyms
  if (text === undefined) {
    try {
      text = readFileSync('/proc/kallsyms', 'utf8')
    } catch {
      text = ''
    }
  }
  const found = /\s__(?:x64|ia32|arm64|s390x|s390|riscv|powerpc|loongarch)_sys_bpf$/m.test(text)
  if (kallsyms === undefined) wrapperCache = found
  return found
}

/** LINUX_KERNEL_VERSION of the running kernel, as libbpf computes it from uname's release. */
export function linuxKernelVersion(release = osRelease()): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release)
  if (m === null) return 0
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255)
}

/** The kernel's form of a map definition: flags, name and the inner template of map-in-map types. */
export function mapSpecOf(m: BpfMap): MapSpec {
  return {
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    name: m.name,
    ...(m.inner !== undefined ? { inner: mapSpecOf(m.inner) } : {})
  }
}

/**
 * Links program `name` of `obj` the way libbpf does (see the core linker): only the subprograms
 * it reaches are appended, map relocations become map indices, and global data relocations
 * become map-value references (src=2, offset in the second slot) to one single-entry array map
 * per data section, numbered after the object's maps in order of first use.
 */
export function linkProgram(obj: BpfObject, name: string): Result<LinkedProgram, KernelError> {
  const entry = obj.programs.find((p) => p.name === name && !p.isSubprogram)
  if (!entry) return fail({ code: 'KERNEL_BAD_INPUT', message: `no program named ${name}` })
  const core = linkFunctions(obj, entry)
  if (!core.ok)
    return fail({
      code: 'KERNEL_BAD_INPUT',
      message: core.error.message,
      ...(core.error.index !== undefined ? { index: core.error.index } : {})
    })
  const maps: MapSpec[] = obj.maps.map(mapSpecOf)
  const mapEntries: (MapInitEntry[] | undefined)[] = maps.map(() => undefined)
  const dataMapIndex = new Map<string, number>()
  const insns: Insn[] = core.value.slots.map((s) => ({ ...s }))
  const functions = core.value.functions.map((f) => ({
    program: f.program,
    firstSlot: f.firstSlot
  }))
  const kconfig = new KconfigMap()
  const externSlots: number[] = []
  for (const f of functions) {
    for (const rel of f.program.relocations) {
      const at = f.firstSlot + rel.slot
      const t = rel.target
      if (t.kind === 'map' || t.kind === 'call') continue
      if (t.kind === 'extern' && insns[at]?.code === 0x18) {
        const offset = kconfig.offsetOf(t.name)
        if (offset === undefined)
          return fail({
            code: 'KERNEL_BAD_INPUT',
            message: `unsupported relocation (extern ${t.name}: only the kconfig externs ${KCONFIG_EXTERNS.join(' and ')} are resolved)`,
            index: at
          })
        if (kconfig.index === undefined) {
          kconfig.index = maps.length
          maps.push(kconfig.spec())
          mapEntries.push([])
        }
        insns[at] = { ...insns[at]!, src: PSEUDO_MAP_VALUE, imm: kconfig.index }
        insns[at + 1] = { ...insns[at + 1]!, imm: offset }
        externSlots.push(at, at + 1)
        continue
      }
      if (t.kind !== 'data')
        return fail({
          code: 'KERNEL_BAD_INPUT',
          message: `unsupported relocation (${t.kind})`,
          index: at
        })
      let index = dataMapIndex.get(t.section)
      if (index === undefined) {
        const section = obj.globalData.find((g) => g.sectionIndex === t.sectionIndex)
        if (!section)
          return fail({ code: 'KERNEL_BAD_INPUT', message: `no data section ${t.section}` })
        index = maps.length
        dataMapIndex.set(t.section, index)
        // libbpf's rules: programs may not write `.rodata`, which is frozen once filled.
        maps.push({
          type: MapType.array,
          keySize: 4,
          valueSize: section.size,
          maxEntries: 1,
          name: section.name,
          ...(section.readonly ? { flags: MAP_RDONLY_PROG, freeze: true } : {})
        })
        mapEntries.push([{ key: new Uint8Array(4), value: section.bytes }])
      }
      insns[at] = { ...insns[at]!, src: PSEUDO_MAP_VALUE, imm: index }
    }
  }
  if (kconfig.index !== undefined) {
    mapEntries[kconfig.index] = [{ key: new Uint8Array(4), value: kconfig.value() }]
    maps[kconfig.index] = kconfig.spec()
  }
  return ok({
    insns,
    maps,
    mapEntries,
    externSlots,
    dataSections: [...dataMapIndex.keys()],
    functions,
    progType: entry.progType.progType,
    license: obj.license ?? 'GPL'
  })
}
