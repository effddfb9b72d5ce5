/** @fileoverview Test inputs survive their JSON form, including the answers of reshaping tc helpers. */
import { describe, expect, it } from 'vitest'
import { runInputFromJson, runInputToJson } from '../../src-daemon/core/search/test-inputs'
import type { RunInput } from '../../src-daemon/core/interp/types'

describe('test inputs as JSON', () => {
  it('keep the packet and context fields an answer gives', () => {
    const input: RunInput = {
      packet: Uint8Array.from([1, 2, 3]),
      calls: [
        { r0: -22n },
        { r0: 0n, packet: Uint8Array.from([9, 8, 7, 6]), fields: [0x86dd, 5, 0, 1400] }
      ]
    }
    const back = runInputFromJson(JSON.parse(JSON.stringify(runInputToJson(input))))
    expect(back?.calls).toEqual(input.calls)
    const bad = runInputToJson({ calls: [{ r0: 0n, fields: [1] }] }) as {
      calls: { fields: unknown }[]
    }
    bad.calls[0]!.fields = ['x']
    expect(runInputFromJson(JSON.parse(JSON.stringify(bad)))).toBeUndefined()
  })
})
