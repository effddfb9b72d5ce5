/** @fileoverview Struct contexts (sock_ops, cgroup hooks, ...): input bytes, writable fields, unmodelled pointer fields. */
import { describe, expect, it } from 'vitest'
import { STRUCT_CONTEXTS } from '../../src-daemon/core/interp/contexts'
import { exited, expectFault, run } from './support'

/** bpf_sock_ops bytes with `op` (offset 0) and `family` (offset 20). */
function sockOps(op: number, family: number): Uint8Array {
  const b = new Uint8Array(STRUCT_CONTEXTS.sock_ops.size)
  const v = new DataView(b.buffer)
  v.setUint32(0, op, true)
  v.setUint32(20, family, true)
  return b
}

describe('sock_ops context', () => {
  it('reads fields from the input and writes reply, which the result reports', () => {
    const prog = `
      ldxw %r2, [%r1+0]
      ldxw %r3, [%r1+20]
      add %r2, %r3
      stxw [%r1+4], %r2
      mov %r0, 1
      exit`
    const r = exited(run(prog, { ctx: sockOps(4, 10) }, 'sock_ops'))
    expect(r.r0).toBe(1n)
    expect(new DataView(r.ctx.buffer, r.ctx.byteOffset).getUint32(4, true)).toBe(14)
    expect(r.ctx.length).toBe(224)
  })
  it('refuses writes outside the writable fields and reads of the socket pointer', () => {
    expectFault(
      run('stw [%r1+64], 1\nmov %r0, 1\nexit', { ctx: sockOps(1, 2) }, 'sock_ops'),
      /invalid store/
    )
    expectFault(
      run('ldxdw %r0, [%r1+184]\nexit', { ctx: sockOps(1, 2) }, 'sock_ops'),
      /invalid load/
    )
  })
  it('a short input leaves the rest of the struct zero', () => {
    expect(
      exited(run('ldxw %r0, [%r1+212]\nexit', { ctx: new Uint8Array(4) }, 'sock_ops')).r0
    ).toBe(0n)
  })
})

describe('cgroup_sock_addr context', () => {
  it('user_ip4 and user_port are writable, family is not', () => {
    const r = exited(
      run('stw [%r1+4], 0x0100007f\nstw [%r1+24], 0x5000\nmov %r0, 1\nexit', {}, 'cgroup_sock_addr')
    )
    const v = new DataView(r.ctx.buffer, r.ctx.byteOffset)
    expect([v.getUint32(4, true), v.getUint32(24, true)]).toEqual([0x0100007f, 0x5000])
    expectFault(run('stw [%r1+28], 2\nmov %r0, 1\nexit', {}, 'cgroup_sock_addr'), /invalid store/)
  })
})
