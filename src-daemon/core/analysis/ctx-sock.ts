/**
 * @fileoverview Socket contexts and socket pointers: `bpf_sock` (cgroup_sock programs and sock
 * pointers), `bpf_sock_common`, `bpf_tcp_sock`, `bpf_xdp_sock`, `bpf_sock_addr`,
 * `bpf_sock_ops`, `sk_msg_md`, `sk_reuseport_md`, `bpf_sk_lookup` and `bpf_sockopt`, with the
 * kernel's rules (net/core/filter.c, kernel/bpf/cgroup.c, Linux 6.12 to 6.18).
 */
import { inField, narrowOk, NO, SCALAR, yields, type CtxVerdict } from './ctx-skb'
import type { AttachType } from './program-kind'
import { T } from './types'

type Field = readonly [number, number]

/** Size of `struct bpf_sock`. */
const SOCK_SIZE = 80
/** `struct bpf_sock` fields the rules name. */
const SOCK = {
  boundDevIf: [0, 4],
  family: [4, 4],
  type: [8, 4],
  protocol: [12, 4],
  mark: [16, 4],
  priority: [20, 4],
  srcIp4: [24, 4],
  srcIp6: [28, 16],
  srcPort: [44, 4],
  dstPort: [48, 2],
  dstIp4: [52, 4],
  dstIp6: [56, 16],
  state: [72, 4],
  rxQueueMapping: [76, 4]
} as const satisfies Record<string, Field>

/** bpf_sock_is_valid_access: what a `struct bpf_sock` reader may touch. */
export function sockAccess(off: number, size: number): boolean {
  if (off < 0 || off >= SOCK_SIZE || off % size !== 0) return false
  const exact = [SOCK.state, SOCK.family, SOCK.type, SOCK.protocol, SOCK.srcPort]
  if (exact.some((f) => off === f[0]) || off === SOCK.rxQueueMapping[0]) return narrowOk(size, 4)
  const ranges = [SOCK.srcIp4, SOCK.srcIp6, SOCK.dstIp4, SOCK.dstIp6]
  if (ranges.some((f) => inField(off, f))) return narrowOk(size, 4)
  if (inField(off, SOCK.dstPort)) return narrowOk(size, size === 4 ? 4 : 2)
  if (off >= 50 && off < SOCK.dstIp4[0]) return false
  return size === 4
}

/** bpf_sock_common_is_valid_access: a sock_common has no type, protocol, mark or priority. */
export function sockCommonAccess(off: number, size: number): boolean {
  if (off >= SOCK.type[0] && off < SOCK.priority[0] + 4) return false
  return sockAccess(off, size)
}

/** bpf_tcp_sock_is_valid_access (112 bytes; the two byte counters are 64-bit). */
export function tcpSockAccess(off: number, size: number): boolean {
  if (off < 0 || off >= 112 || off % size !== 0) return false
  return off === 80 || off === 88 ? size === 8 : size === 4
}

/** bpf_xdp_sock_is_valid_access (only queue_id). */
export function xdpSockAccess(off: number, size: number): boolean {
  return off === 0 && size === 4
}

/** cgroup_sock programs: bpf_sock plus which fields the attach type may read or write. */
export function cgroupSockCtx(
  off: number,
  size: number,
  write: boolean,
  attach: AttachType | undefined
): CtxVerdict {
  if (!sockAccess(off, size)) return NO
  const create = attach === 'cgroup_inet_sock_create' || attach === 'cgroup_inet_sock_release'
  if (off === SOCK.boundDevIf[0] || off === SOCK.mark[0] || off === SOCK.priority[0])
    return create ? SCALAR : NO
  const read = write ? NO : SCALAR
  if (inField(off, SOCK.srcIp4)) return attach === 'cgroup_inet4_post_bind' ? read : NO
  if (inField(off, SOCK.srcIp6)) return attach === 'cgroup_inet6_post_bind' ? read : NO
  if (inField(off, SOCK.srcPort))
    return attach === 'cgroup_inet4_post_bind' || attach === 'cgroup_inet6_post_bind' ? read : NO
  return read
}

const IPV4_ADDR: readonly AttachType[] = [
  'cgroup_inet4_bind',
  'cgroup_inet4_connect',
  'cgroup_inet4_getpeername',
  'cgroup_inet4_getsockname',
  'cgroup_udp4_sendmsg',
  'cgroup_udp4_recvmsg'
]
const IPV6_ADDR: readonly AttachType[] = [
  'cgroup_inet6_bind',
  'cgroup_inet6_connect',
  'cgroup_inet6_getpeername',
  'cgroup_inet6_getsockname',
  'cgroup_udp6_sendmsg',
  'cgroup_udp6_recvmsg'
]

/** `struct bpf_sock_addr` (72 bytes) with the attach type's address family. */
export function sockAddrCtx(
  off: number,
  size: number,
  write: boolean,
  attach: AttachType | undefined
): CtxVerdict {
  if (off < 0 || off >= 72 || off % size !== 0) return NO
  const userIp4: Field = [4, 4]
  const userIp6: Field = [8, 16]
  const msgSrcIp4: Field = [40, 4]
  const msgSrcIp6: Field = [44, 16]
  const has = (list: readonly AttachType[]): boolean =>
    attach !== undefined && list.includes(attach)
  if (inField(off, userIp4) && !has(IPV4_ADDR)) return NO
  if (inField(off, userIp6) && !has(IPV6_ADDR)) return NO
  if (inField(off, msgSrcIp4) && attach !== 'cgroup_udp4_sendmsg') return NO
  if (inField(off, msgSrcIp6) && attach !== 'cgroup_udp6_sendmsg') return NO
  const wide = (f: Field): boolean => size === 8 && off >= f[0] && off + 8 <= f[0] + f[1]
  if ([userIp4, userIp6, msgSrcIp4, msgSrcIp6, [24, 4] as Field].some((f) => inField(off, f))) {
    if (wide(userIp6) || wide(msgSrcIp6)) return SCALAR
    return (write ? size === 4 : narrowOk(size, 4)) ? SCALAR : NO
  }
  if (inField(off, [64, 8])) return !write && size === 8 ? yields(T.SOCKET) : NO
  if (off >= 0 && off < 4) return !write && size === 4 ? SCALAR : NO
  if (off >= 28 && off < 40) return !write && size === 4 ? SCALAR : NO
  return NO
}

/** `struct bpf_sock_ops` (224 bytes): reply and sk_txhash writable, sk/skb pointers readable. */
export function sockOpsCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= 224 || off % size !== 0) return NO
  if (write) return (off === 4 || off === 164) && size === 4 ? SCALAR : NO
  if (off >= 168 && off < 184) return size === 8 ? SCALAR : NO
  if (off >= 184 && off < 192) return size === 8 ? yields(T.SOCKET_OR_NULL) : NO
  if (off >= 192 && off < 200) return size === 8 ? yields(T.PKT) : NO
  if (off >= 200 && off < 208) return size === 8 ? yields(T.PKT_END) : NO
  if (off === 212) return narrowOk(size, 4) ? SCALAR : NO
  if (off >= 216 && off < 224) return size === 8 ? SCALAR : NO
  return size === 4 ? SCALAR : NO
}

/** `struct sk_msg_md` (80 bytes): read-only; data, data_end and sk are pointers. */
export function skMsgCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (write || off % size !== 0) return NO
  if (off >= 0 && off < 8) return size === 8 ? yields(T.PKT) : NO
  if (off >= 8 && off < 16) return size === 8 ? yields(T.PKT_END) : NO
  if (off >= 72 && off < 80) return size === 8 ? yields(T.SOCKET) : NO
  if (off >= 16 && off < 72) return size === 4 ? SCALAR : NO
  return NO
}

/** `struct sk_reuseport_md` (56 bytes), read-only. */
export function skReuseportCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= 56 || off % size !== 0 || write) return NO
  switch (off) {
    case 0:
      return size === 8 ? yields(T.PKT) : NO
    case 8:
      return size === 8 ? yields(T.PKT_END) : NO
    case 32:
      return size === 4 ? SCALAR : NO
    case 40:
      return size === 8 ? yields(T.SOCKET) : NO
    case 48:
      return size === 8 ? yields(T.SOCK_COMMON_OR_NULL) : NO
  }
  if (off >= 20 && off < 24 && size < 2) return NO
  return off >= 16 && off < 32 && narrowOk(size, 4) ? SCALAR : NO
}

/** `struct bpf_sk_lookup` (72 bytes), read-only. */
export function skLookupCtx(off: number, size: number, write: boolean): CtxVerdict {
  if (off < 0 || off >= 72 || off % size !== 0 || write) return NO
  if (off < 8) return size === 8 ? yields(T.SOCKET_OR_NULL) : NO
  if (off >= 36 && off < 38) return size === 4 || narrowOk(size, 2) ? SCALAR : NO
  if (off >= 38 && off < 40) return narrowOk(size, 2) ? SCALAR : NO
  return off >= 8 && off < 68 && narrowOk(size, 4) ? SCALAR : NO
}

/** `struct bpf_sockopt` (40 bytes) with the get/set attach type's writable fields. */
export function sockoptCtx(
  off: number,
  size: number,
  write: boolean,
  attach: AttachType | undefined
): CtxVerdict {
  if (off < 0 || off >= 40 || off % size !== 0) return NO
  const get = attach === 'cgroup_getsockopt'
  const set = attach === 'cgroup_setsockopt'
  if (write) {
    if (off === 36) return size === 4 && get ? SCALAR : NO
    if (off === 28 || off === 24) return size === 4 && set ? SCALAR : NO
    return off === 32 && size === 4 ? SCALAR : NO
  }
  if (off < 8) return size === 8 ? yields(T.SOCKET) : NO
  if (off < 16) return size === 8 ? yields(T.PKT) : NO
  if (off < 24) return size === 8 ? yields(T.PKT_END) : NO
  if (off === 36) return size === 4 && get ? SCALAR : NO
  return size === 4 ? SCALAR : NO
}
