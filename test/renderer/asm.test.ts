/** @fileoverview Listing helpers: labels in address order, symbolized jumps, tokens, basic blocks. */
import { describe, expect, it } from 'vitest'
import type { InsnLine } from '../../src-daemon/api/protocol/schemas'
import { basicBlocks, labelsOf, symbolize, tokenize } from '../../src-renderer/src/lib/asm'

const lines: InsnLine[] = [
  { slot: 0, text: 'r2 = *(u32 *)(r1 + 4)' },
  { slot: 1, text: 'if r2 >= r3 goto +3', target: 5 },
  { slot: 2, text: 'r1 = 0 ll' },
  { slot: 4, text: 'goto +2', target: 7 },
  { slot: 5, text: 'call 1' },
  { slot: 6, text: 'r0 = 2' },
  { slot: 7, text: 'exit' }
]

describe('listing helpers', () => {
  it('names jump targets L0, L1, ... in slot order and puts them in the text', () => {
    const labels = labelsOf(lines)
    expect([...labels]).toEqual([
      [5, 'L0'],
      [7, 'L1']
    ])
    expect(symbolize(lines[1]!, labels)).toBe('if r2 >= r3 goto <L0>')
    expect(symbolize(lines[3]!, labels)).toBe('goto <L1>')
    expect(symbolize(lines[4]!, labels)).toBe('call 1')
  })

  it('tokenizes registers, numbers, keywords, memory operands and labels', () => {
    const kinds = (t: string) =>
      tokenize(t)
        .filter((x) => x.kind !== 'text')
        .map((x) => `${x.kind}:${x.text}`)
    expect(kinds('r2 = *(u32 *)(r1 + 4)')).toEqual([
      'reg:r2',
      'op:=',
      'mem:*(u32 *)',
      'reg:r1',
      'num:4'
    ])
    expect(kinds('if w2 s>= -7 goto <L3>')).toEqual([
      'kw:if',
      'reg:w2',
      'op:s>=',
      'num:-7',
      'kw:goto',
      'label:<L3>'
    ])
    expect(
      tokenize('r1 = 0 ll')
        .map((t) => t.text)
        .join('')
    ).toBe('r1 = 0 ll')
  })

  it('splits basic blocks at jump targets and after jumps and exits', () => {
    const blocks = basicBlocks(lines)
    expect(blocks.map((b) => [b.first, b.last])).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 6]
    ])
    expect(blocks[0]!.successors).toEqual([2, 1]) // jump to slot 5, fall through
    expect(blocks[1]!.successors).toEqual([3]) // goto only
    expect(blocks[3]!.successors).toEqual([])
  })
})
