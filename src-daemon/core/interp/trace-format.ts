/** @fileoverview The length of bpf_trace_printk's formatted output (integer conversions only). */

/**
 * Formats the NUL-terminated format at `heap[at..at+size)` with r3..r5 of `regs` (lo/hi pairs)
 * as the kernel's bpf_trace_printk does for %d %i %u %x %X %c %% with l/ll modifiers, and
 * returns the output length, or -22 (-EINVAL) for other conversions or more than three.
 */
export function formatTracePrintk(
  heap: Uint8Array,
  at: number,
  size: number,
  regs: Int32Array
): number {
  let len = 0
  let arg = 0
  for (let i = 0; i < size; i++) {
    const c = heap[at + i]!
    if (c === 0) break
    if (c !== 0x25) {
      len++
      continue
    }
    i++
    if (heap[at + i] === 0x25) {
      len++
      continue
    }
    let longs = 0
    while (heap[at + i] === 0x6c) {
      longs++
      i++
    }
    const conv = String.fromCharCode(heap[at + i] ?? 0)
    if (arg >= 3 || longs > 2 || !'diuxXc'.includes(conv) || conv === '') return -22
    const r = 3 + arg++
    const lo = regs[r * 2]!
    const hi = regs[r * 2 + 1]!
    let v: bigint
    if (longs === 0) v = conv === 'd' || conv === 'i' ? BigInt(lo) : BigInt(lo >>> 0)
    else {
      const u = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
      v = conv === 'd' || conv === 'i' ? BigInt.asIntN(64, u) : u
    }
    if (conv === 'c') len += 1
    else if (conv === 'x' || conv === 'X') len += v.toString(16).length
    else len += v.toString(10).length
  }
  return len
}

/**
 * How many of r3..r5 bpf_trace_printk reads for the format at `bytes[at..at+size)` (up to a
 * NUL): one per conversion. The output shows nothing of the others, so they are not part of
 * what the call emits. A format the kernel refuses (-EINVAL) counts as three.
 */
export function traceArgCount(bytes: Uint8Array, at: number, size: number): number {
  let used = 0
  for (let i = 0; i < size; i++) {
    const c = bytes[at + i]!
    if (c === 0) break
    if (c !== 0x25) continue
    i++
    if (i < size && bytes[at + i] === 0x25) continue
    let longs = 0
    while (i < size && bytes[at + i] === 0x6c) {
      longs++
      i++
    }
    const conv = i < size ? String.fromCharCode(bytes[at + i]!) : ''
    if (used >= 3 || longs > 2 || conv === '' || !'diuxXc'.includes(conv)) return 3
    used++
  }
  return used
}
