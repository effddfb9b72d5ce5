/** @fileoverview Test support: reads a compiled fixture object and runs one of its programs. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BpfObject } from '../../src-daemon/core/formats/bpf-object'
import { readBpfObject } from '../../src-daemon/core/formats/bpf-object-read'
import { linkProgram, type LinkedProgram } from '../../src-daemon/engine/kernel/link-object'
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import type {
  MapEntry,
  MapInitEntry,
  RunOnceOutput
} from '../../src-daemon/engine/kernel/oracle-types'
import { unwrap } from './kernel-test-support'
import { requiredFeatures, type KernelFeature } from '../../src-daemon/engine/kernel/features'
import { skipUnlessKernelRuns } from '../support/environment'

/** Directory of the committed fixture objects. */
export const FIXTURE_OBJ_DIR = fileURLToPath(new URL('../fixtures/obj/', import.meta.url))

/** Parses test/fixtures/obj/NAME.o (fails the test if it does not parse). */
export function fixtureObject(name: string): BpfObject {
  const bytes = new Uint8Array(readFileSync(FIXTURE_OBJ_DIR + name + '.o'))
  const r = readBpfObject(bytes, { file: name + '.o' })
  if (!r.ok) throw new Error(`${name}.o: ${r.error.code} ${r.error.message}`)
  return r.value
}

/** What every entry program of fixture object `name` needs of the kernel to load. */
export function fixtureFeatures(name: string): KernelFeature[] {
  const obj = fixtureObject(name)
  const out: KernelFeature[] = []
  for (const p of obj.programs.filter((q) => !q.isSubprogram)) {
    const l = unwrap(linkProgram(obj, p.name))
    out.push(
      ...requiredFeatures(
        l.insns,
        l.progType,
        l.maps.map((m) => m.type)
      )
    )
  }
  return out
}

/** Links program `prog` of fixture `name`. */
export function linkedFixture(name: string, prog: string): LinkedProgram {
  return unwrap(linkProgram(fixtureObject(name), prog))
}

/** What to run a fixture program on. */
export interface FixtureInput {
  /** Packet bytes. */
  readonly data?: Uint8Array
  /** Context bytes. */
  readonly ctx?: Uint8Array
  /** Extra initial map contents, by map name. */
  readonly entries?: Readonly<Record<string, MapInitEntry[]>>
}

/** A fixture run with its maps addressable by name. */
export interface FixtureRun {
  /** The raw runOnce output. */
  readonly out: RunOnceOutput
  /** Entries of the named map (global data sections by section name, e.g. `.bss`). */
  entries(map: string): readonly MapEntry[]
}

/** Runs program `prog` of fixture `name` once on fresh maps. */
export async function runFixture(
  oracle: KernelOracle,
  name: string,
  prog: string,
  input: FixtureInput
): Promise<FixtureRun> {
  const obj = fixtureObject(name)
  const linked = unwrap(linkProgram(obj, prog))
  await skipUnlessKernelRuns(
    `fixture ${name}/${prog}`,
    linked.insns,
    linked.progType,
    linked.maps.map((m) => m.type),
    { testRun: true }
  )
  const names = [...obj.maps.map((m) => m.name), ...linked.dataSections]
  const mapEntries = linked.mapEntries.map((e, i) => [
    ...(e ?? []),
    ...(input.entries?.[names[i] ?? ''] ?? [])
  ])
  const out = unwrap(
    await oracle.runOnce(linked.insns, linked.maps, {
      progType: linked.progType,
      license: linked.license,
      mapEntries,
      ...(input.data !== undefined ? { data: input.data } : {}),
      ...(input.ctx !== undefined ? { ctx: input.ctx } : {})
    })
  )
  return {
    out,
    entries(map: string): readonly MapEntry[] {
      const dump = out.maps[names.indexOf(map)]
      if (!dump?.readable) throw new Error(`map ${map} not readable`)
      return dump.entries
    }
  }
}
