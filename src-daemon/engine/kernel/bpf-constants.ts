/** @fileoverview Numeric kernel BPF constants (program types, map types, XDP and tc verdicts). */

/** `enum bpf_prog_type` values used by Summit. */
export const ProgType = {
  socketFilter: 1,
  kprobe: 2,
  schedCls: 3,
  schedAct: 4,
  tracepoint: 5,
  xdp: 6,
  perfEvent: 7,
  cgroupSkb: 8,
  lwtIn: 10,
  lwtOut: 11,
  lwtXmit: 12,
  skSkb: 14,
  rawTracepoint: 17
} as const

/** Name of a program type in `ProgType`. */
export type ProgTypeName = keyof typeof ProgType

/** `enum bpf_map_type` values. */
export const MapType = {
  hash: 1,
  array: 2,
  progArray: 3,
  perfEventArray: 4,
  percpuHash: 5,
  percpuArray: 6,
  stackTrace: 7,
  cgroupArray: 8,
  lruHash: 9,
  lruPercpuHash: 10,
  lpmTrie: 11,
  arrayOfMaps: 12,
  hashOfMaps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  queue: 22,
  stack: 23,
  devmapHash: 25,
  ringbuf: 27
} as const

/** XDP verdicts (`enum xdp_action`). */
export const XdpAction = { aborted: 0, drop: 1, pass: 2, tx: 3, redirect: 4 } as const

/** Map update flags. */
export const MapUpdateFlag = { any: 0, noExist: 1, exist: 2 } as const

/** Per-CPU map types: userspace sees one 8-byte-aligned value slot per possible CPU. */
export function isPerCpuMapType(type: number): boolean {
  return type === 5 || type === 6 || type === 10 || type === 21
}

/** Map types whose entries cannot be listed with BPF_MAP_GET_NEXT_KEY from userspace. */
export function isUndumpableMapType(type: number): boolean {
  return type === 22 || type === 23 || type === 27 || type === 4 || type === 31
}

/**
 * Program types whose BPF_PROG_TEST_RUN takes a packet (data in/out, repeat); others either
 * take only a context (raw_tracepoint) or have no test run at all.
 */
export function isPacketProgType(type: number): boolean {
  return [1, 3, 4, 6, 8, 10, 11, 12, 14].includes(type)
}
