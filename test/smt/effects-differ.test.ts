/** @fileoverview The comparison of effect and call sequences scales to programs with many of them. */
import { describe, expect, it } from 'vitest'
import { effectsDiffer } from '../../src-daemon/core/smt/enc-equiv'
import type { EffectPoint } from '../../src-daemon/core/smt/enc-state'
import { boolVar, bv, bvVar, FALSE } from '../../src-daemon/core/smt/terms'

/** `n` calls on paths of their own, each with one argument. */
function calls(tag: string, n: number): EffectPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    cond: boolVar(`${tag}_c${i}`),
    kind: 'helper1',
    args: [bvVar(`${tag}_a${i}`, 64)]
  }))
}

describe('effectsDiffer', () => {
  it('builds the comparison of 400 calls against 400 (160,000 pairs) without overflowing', () => {
    const d = effectsDiffer(calls('A', 400), calls('B', 400))
    expect(d).not.toBe(FALSE)
  })
  it('identical sequences never differ', () => {
    const same: EffectPoint[] = [{ cond: boolVar('c'), kind: 'helper1', args: [bv(1, 64)] }]
    expect(effectsDiffer(same, same)).toBe(FALSE)
  })
})
