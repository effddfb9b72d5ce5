/** @fileoverview SMT-LIB2 printing: golden texts for literals, operators, sharing and scripts. */

import { expect, test } from 'vitest'
import { termToSmtLib, toSmtLibScript } from '../../src-daemon/core/smt/smtlib'
import * as T from '../../src-daemon/core/smt/terms'

const x = T.bvVar('x', 64)
const w8 = T.bvVar('w8', 8)

test('literals: hex for multiples of 4 bits, binary otherwise', () => {
  expect(termToSmtLib(T.bv(255, 16))).toBe('#x00ff')
  expect(termToSmtLib(T.bv(5, 3))).toBe('#b101')
  expect(termToSmtLib(T.bv(-1, 8))).toBe('#xff')
})

test('operators and indexed operators', () => {
  expect(termToSmtLib(T.add(x, T.bv(8, 64)))).toBe('(bvadd x #x0000000000000008)')
  expect(termToSmtLib(T.extract(x, 15, 8))).toBe('((_ extract 15 8) x)')
  expect(termToSmtLib(T.zeroExt(w8, 56))).toBe('((_ zero_extend 56) w8)')
  expect(termToSmtLib(T.signExt(w8, 8))).toBe('((_ sign_extend 8) w8)')
  expect(termToSmtLib(T.slt(w8, T.bvVar('v', 8)))).toBe('(bvslt w8 v)')
  expect(termToSmtLib(T.bvVar('r 1', 8))).toBe('|r 1|')
})

test('shared subterms are bound once with let', () => {
  const s = T.mul(x, x)
  const t = T.bvXor(T.add(s, T.bv(1, 64)), s)
  expect(termToSmtLib(t)).toBe(
    `(let ((?t${s.id} (bvmul x x))) (bvxor ?t${s.id} (bvadd ?t${s.id} #x0000000000000001)))`
  )
})

test('a script declares each variable once', () => {
  const p = T.boolVar('p')
  const script = toSmtLibScript([T.implies(p, T.eq(x, T.bv(1, 64))), T.ult(x, T.bv(9, 64))])
  expect(script).toBe(
    [
      '(set-logic QF_BV)',
      '(declare-fun p () Bool)',
      '(declare-fun x () (_ BitVec 64))',
      `(assert (or ${T.not(p).id < T.eq(x, T.bv(1, 64)).id ? '(not p) (= x #x0000000000000001)' : '(= x #x0000000000000001) (not p)'}))`,
      '(assert (bvult x #x0000000000000009))',
      '(check-sat)',
      ''
    ].join('\n')
  )
})
