/** @fileoverview Test support for kernel tests: a shared oracle, skip reasons and packet builders. */
import { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import type { Result } from '../../src-daemon/core/util/result'
import type { KernelError } from '../../src-daemon/engine/kernel/kernel-error'
import { isRoot, printSkip } from '../support/environment'

/** An oracle and whether tests can use it (the reason is printed when they cannot). */
export interface KernelTestContext {
  /** The oracle; call `dispose()` in afterAll. */
  readonly oracle: KernelOracle
  /** True when the kernel can load and run programs here. */
  readonly available: boolean
}

/** Opens an oracle and prints why kernel tests are skipped when BPF is unavailable. */
export async function openKernelOracle(suite: string): Promise<KernelTestContext> {
  const oracle = new KernelOracle()
  if (!isRoot(suite)) return { oracle, available: false }
  const a = await oracle.availability()
  if (!a.available) printSkip(suite, a.reason)
  return { oracle, available: a.available }
}

/** Options of `ipv4Packet`. */
export interface PacketOptions {
  /** IP protocol (default 17, UDP). */
  readonly protocol?: number
  /** UDP/TCP destination port. */
  readonly dport?: number
  /** UDP/TCP source port. */
  readonly sport?: number
  /** TTL (default 64). */
  readonly ttl?: number
  /** EtherType (default 0x0800). */
  readonly etherType?: number
  /** Total frame length (default 64). */
  readonly length?: number
}

/** An Ethernet + IPv4 (+ UDP ports) frame with distinct MACs 02:..:01 → 02:..:02. */
export function ipv4Packet(o: PacketOptions = {}): Uint8Array {
  const p = new Uint8Array(o.length ?? 64)
  const v = new DataView(p.buffer)
  p.set([2, 0, 0, 0, 0, 2], 0) // destination MAC
  p.set([2, 0, 0, 0, 0, 1], 6) // source MAC
  v.setUint16(12, o.etherType ?? 0x0800)
  p[14] = 0x45
  v.setUint16(16, p.length - 14)
  v.setUint16(18, 0x1234)
  p[22] = o.ttl ?? 64
  p[23] = o.protocol ?? 17
  v.setUint32(26, 0x0a000001) // 10.0.0.1
  v.setUint32(30, 0x0a000002) // 10.0.0.2
  v.setUint16(34, o.sport ?? 1234)
  v.setUint16(36, o.dport ?? 80)
  v.setUint16(38, p.length - 34)
  return p
}

/** Little-endian u32 as 4 bytes. */
export function u32le(value: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, value >>> 0, true)
  return b
}

/** Little-endian u64 (from a bigint) as 8 bytes. */
export function u64le(value: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, value, true)
  return b
}

/** Reads a little-endian u64 from `bytes` at `offset`. */
export function readU64le(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(offset, true)
}

/** The value of a successful oracle result; a failure fails the test with its code, message and log. */
export function unwrap<T>(r: Result<T, KernelError>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}\n${r.error.log ?? ''}`)
  return r.value
}
