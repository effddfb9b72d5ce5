/**
 * @fileoverview The context layouts the analysis and interpreter use, against the running
 * kernel's BTF (/sys/kernel/btf/vmlinux): struct sizes and the fields the tables name.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BTF_KIND, parseBtf, typeSize, type Btf } from '../../src-daemon/core/formats/btf'
import { FLAT_CONTEXT_SIZES, STRUCT_CONTEXTS } from '../../src-daemon/core/interp/contexts'

const VMLINUX = '/sys/kernel/btf/vmlinux'
const present = existsSync(VMLINUX)
if (!present) console.log(`skip: ${VMLINUX} is missing (kernel without BTF)`)

function btf(): Btf {
  const r = parseBtf(new Uint8Array(readFileSync(VMLINUX)))
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

/** Size of the struct named `name`, and its members' byte offsets by name. */
function struct(b: Btf, name: string): { size: number; offsets: Map<string, number> } {
  const t = b.types.find((x) => x.kind === BTF_KIND.STRUCT && x.name === name)
  if (t === undefined) throw new Error(`no struct ${name}`)
  return {
    size: typeSize(b, t.id) ?? -1,
    offsets: new Map(t.members.map((m) => [m.name, m.offset / 8]))
  }
}

describe.skipIf(!present)('context layouts match this kernel', () => {
  const b = present ? btf() : undefined
  it('struct contexts have the kernel sizes and field offsets', () => {
    if (b === undefined) return
    const structs: Record<keyof typeof STRUCT_CONTEXTS, string> = {
      sock_ops: 'bpf_sock_ops',
      cgroup_sock: 'bpf_sock',
      cgroup_sock_addr: 'bpf_sock_addr',
      cgroup_sysctl: 'bpf_sysctl',
      cgroup_sockopt: 'bpf_sockopt',
      sk_msg: 'sk_msg_md',
      sk_lookup: 'bpf_sk_lookup',
      sk_reuseport: 'sk_reuseport_md'
    }
    for (const [kind, name] of Object.entries(structs))
      expect([kind, struct(b, name).size]).toEqual([
        kind,
        STRUCT_CONTEXTS[kind as keyof typeof structs].size
      ])
    const ops = struct(b, 'bpf_sock_ops').offsets
    expect([ops.get('sk_txhash'), ops.get('bytes_received'), ops.get('skb_len')]).toEqual([
      164, 168, 208
    ])
    const addr = struct(b, 'bpf_sock_addr').offsets
    expect([addr.get('user_ip4'), addr.get('user_port'), addr.get('msg_src_ip6')]).toEqual([
      4, 24, 44
    ])
  })
  it('flat contexts have the kernel sizes', () => {
    if (b === undefined) return
    expect(struct(b, 'pt_regs').size).toBe(FLAT_CONTEXT_SIZES['kprobe'])
    expect(struct(b, 'bpf_perf_event_data').size).toBe(FLAT_CONTEXT_SIZES['perf_event'])
    expect(struct(b, 'bpf_cgroup_dev_ctx').size).toBe(FLAT_CONTEXT_SIZES['cgroup_device'])
  })
})
