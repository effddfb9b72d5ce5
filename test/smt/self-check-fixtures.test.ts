/**
 * @fileoverview Every program of every C fixture object is proven equal to itself: a self-check
 * answers `unknown` exactly where a program uses something outside the prover's model.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { useZ3 } from './prover-support'
import { checkEquivalence } from '../../src-daemon/core/smt/equiv'
import { loadInput, selectPrograms } from '../../src-daemon/engine/program/load'
import { runnable } from '../../src-daemon/engine/program/program-model'
import { fixtureTypeHint } from '../support/fixture-types'

const z3 = useZ3()
const objDir = fileURLToPath(new URL('../fixtures/obj/', import.meta.url))
const objects = readdirSync(objDir)
  .filter((f) => f.endsWith('.o'))
  .sort()

describe('self-checks of the C fixtures', () => {
  for (const file of objects) {
    it(`proves every program of ${file} equal to itself`, async () => {
      const input = loadInput(join(objDir, file))
      for (const p of selectPrograms(input, undefined)) {
        const run = runnable(input, p, fixtureTypeHint(file))
        const r = await checkEquivalence(run.slots, run.slots, run.model, z3(), {
          timeoutMs: 120_000
        })
        expect(r, `${file} ${p.section}/${p.name}`).toEqual({ kind: 'equal' })
      }
    }, 300_000)
  }
})
