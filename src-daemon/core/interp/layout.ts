/** @fileoverview Constants of the interpreter's simulated machine: address layout, errno values, context offsets. */

/**
 * A simulated pointer is a 64-bit value whose upper half names a memory region
 * (`REGION_HI_BASE + regionId`) and whose lower half is `LO_BASE + offset` inside that region.
 * Pointer arithmetic that leaves a region carries or borrows into the upper half and faults.
 */
export const REGION_HI_BASE = 0x7ffe0000

/** Lower-half value of offset 0 in every region (leaves room for negative offsets). */
export const LO_BASE = 0x10000000

/** Upper half of a map handle (what `lddw rX, map` loads); the lower half is the map index. */
export const MAP_HANDLE_HI = 0x7ffd0000

/** Bytes of stack per frame. */
export const STACK_FRAME_BYTES = 512

/** Maximum call depth (frames), as the kernel's MAX_CALL_FRAMES. */
export const MAX_FRAMES = 8

/** XDP headroom before the packet (XDP_PACKET_HEADROOM). */
export const XDP_HEADROOM = 256

/** Bytes at the start of the XDP headroom reserved for `struct xdp_frame` (not usable by adjust_head). */
export const XDP_FRAME_RESERVED = 40

/** Modelled end of an XDP frame from data_hard_start (a 4 KiB page minus skb_shared_info). */
export const XDP_HARD_END = 4096 - 320

/** Tailroom after the packet available to `xdp_adjust_tail`. */
export const XDP_TAILROOM = 256

/** Ethernet header length: adjust_head/adjust_tail keep at least this many bytes. */
export const ETH_HLEN = 14

/** Maximum XDP metadata length (adjust_meta). */
export const XDP_META_MAX = 32

/** Kernel errno values returned (negated) by helpers. */
export const Errno = {
  ENOENT: 2,
  E2BIG: 7,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524
} as const

/**
 * What a perf event buffer may answer a record written to an installed slot besides success: no
 * room (-ENOSPC), an event of another CPU (-EOPNOTSUPP) or not a BPF output event (-EINVAL),
 * outputs nested too deep (-EBUSY). Which one is the run's input (RunInput.perfResults).
 */
export const PERF_OUTPUT_ERRORS: readonly number[] = [
  Errno.ENOSPC,
  Errno.EOPNOTSUPP,
  Errno.EINVAL,
  Errno.EBUSY
]

/** Map update flags. */
export const BPF_ANY = 0
/** Create only. */
export const BPF_NOEXIST = 1
/** Update only. */
export const BPF_EXIST = 2

/** XDP actions used by helpers. */
export const XDP_ABORTED = 0
/** XDP_REDIRECT action value. */
export const XDP_REDIRECT = 4
/** TC action returned by bpf_redirect. */
export const TC_ACT_REDIRECT = 7
/** TC action for a rejected redirect. */
export const TC_ACT_SHOT = 2

/** Byte offsets of `struct xdp_md` fields. */
export const XDP_MD = {
  data: 0,
  data_end: 4,
  data_meta: 8,
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20
} as const

/** Size of `struct xdp_md`. */
export const XDP_MD_SIZE = 24

/** Byte offsets of `struct __sk_buff` fields (linux/bpf.h). */
export const SK_BUFF = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16,
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  cb: 48,
  hash: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  napi_id: 84,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  remote_port: 132,
  local_port: 136,
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  gso_segs: 164,
  sk: 168,
  gso_size: 176,
  tstamp_type: 180,
  hwtstamp: 184
} as const

/** Size of `struct __sk_buff`. */
export const SK_BUFF_SIZE = 192

/** Map types (enum bpf_map_type) the interpreter models. */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  CPUMAP: 16,
  XSKMAP: 17,
  DEVMAP_HASH: 25,
  RINGBUF: 27
} as const
