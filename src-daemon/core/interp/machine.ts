/**
 * @fileoverview The interpreter's machine: preallocated registers, heap (stack, context, packet,
 * map values) with region-tagged simulated addresses, maps and the effect log, reset per run.
 *
 * Memory model decisions:
 * - Addresses are 64-bit values `(REGION_HI_BASE + region) << 32 | (LO_BASE + offset)`; every
 *   access is bounds-checked against its region (faults, never exceptions). Stack accesses must
 *   be size-aligned (the verifier requires it); other regions allow unaligned access.
 * - Only the current frame and its callers' frames of the stack are addressable.
 * - Reading stack bytes before writing them is allowed (as for privileged programs); they hold
 *   pseudo-random bytes derived from `input.stackSeed`, so a candidate cannot silently rely on
 *   zeroed stack: tests with different seeds expose it.
 * - The packet region has 256 bytes of headroom and room to grow (xdp_adjust_head/meta/tail);
 *   only [data_meta, data_end) is addressable.
 */
import * as $compile from './compile'
import type { CompiledProgram } from './compile'
import * as $effects from './effects'
import * as $int64 from './int64'

import * as $layout from './layout'
import * as $map_store from './map-store'
type MapStore = $map_store.MapStore
import { withInnerPools } from './map-in-map'
import { prepareRun, type PreparedRun } from './prepared-run'
import type { KernelMemory } from './kernel-memory'
import type { Insn } from '../isa/insn'
import { isStructContext, STRUCT_CONTEXTS, type CtxField } from './contexts'
import type { HelperResponse, MachineOptions, RunInput } from './types'
import { SKB_RESHAPE_MAX_LEN } from './skb-reshape'

// Imports copied into module constants once: under tsx/vite-node each access to an
// imported binding is a getter call, too costly on the interpreter hot path.
const { compileInto, compileSlot, ConstKind, VREG_BASE } = $compile
const { EffectLog } = $effects
const { OUT } = $int64
const {
  MAP_HANDLE_HI,
  MAX_FRAMES,
  SK_BUFF,
  SK_BUFF_SIZE,
  STACK_FRAME_BYTES,
  XDP_HARD_END,
  XDP_HEADROOM,
  XDP_MD,
  XDP_MD_SIZE,
  XDP_TAILROOM
} = $layout
const { MapStore } = $map_store

/** Region flags. */
export const RegionFlag = { writable: 1, aligned: 2, ctx: 4 } as const

/** Fixed region ids. */
export const Region = { stack: 0, ctx: 1, packet: 2, firstMap: 3 } as const

/** Run status codes of {@link Machine.exec}. */
export const Status = { exit: 0, fault: 1, tailCall: 2 } as const

const STACK_BYTES = STACK_FRAME_BYTES * MAX_FRAMES
const RINGBUF = $layout.MapType.RINGBUF
// Module copies of hot imports (imports are getter calls under tsx/vite-node).
const LO_BASE = $layout.LO_BASE
const REGION_HI_BASE = $layout.REGION_HI_BASE

/** A machine for one compiled program; `exec` runs it on inputs without allocating. */
export class Machine {
  readonly opts: Required<MachineOptions>
  regs: Int32Array
  readonly heap: Uint8Array
  readonly view: DataView
  readonly regionBase: Int32Array
  readonly regionLow: Int32Array
  readonly regionHigh: Int32Array
  readonly regionFlags: Int32Array
  readonly nRegions: number
  /** Region of ring-buffer records reserved in this run (addressable up to the last reservation). */
  readonly reserveRegion: number
  /** Bytes of each ring buffer used in this run (records + 8-byte headers, 8-aligned). */
  readonly ringUsed: Int32Array
  /** Regions this run wrote (1), reset per run: lets a comparison skip maps nobody changed. */
  readonly regionWritten: Uint8Array
  /** Live reservations: region offset, size, map index, state (1 reserved, 0 done); count. */
  readonly reservations = new Int32Array(4 * 64)
  reservationCount = 0
  readonly maps: MapStore[]
  /** For each program map, the index in {@link maps} of its inner map pool (-1: none). */
  readonly innerPool: readonly number[]
  /** Room for a few calls of reshaping tc helpers, which record the whole packet (up to 64 KiB). */
  readonly effects = new EffectLog(256, 1 << 18)
  /** Per-byte writability of the context (skb/socket). */
  readonly ctxWritable: Uint8Array
  readonly ctxSize: number
  /** Context bytes a run's outcome includes: 0 none, 1 the whole context, 2 the run's memLen. */
  readonly ctxOutput: number
  readonly packetRegionSize: number
  pktMeta = 0
  pktData = 0
  pktEnd = 0
  /** End of the XDP frame (adjust_tail limit), region offset. */
  pktHardEnd = 0
  /** Length of the plain-mode memory block / flat context of the current run. */
  memLen = 0
  randoms: readonly number[] = []
  /** XDP: the driver has no metadata support (data_meta reads as data + 1, adjust_meta fails). */
  xdpNoMeta = false
  /** The run's CPU, and the current task's pid_tgid and uid_gid as [low, high] int32 halves. */
  cpu = 0
  readonly task = new Int32Array(4)
  randIdx = 0
  times: readonly number[] = []
  timeIdx = 0
  /** Answers to calls of helpers outside the model, and the index of the next one. */
  calls: readonly HelperResponse[] = []
  /** The perf buffer's answers (RunInput.perfResults) and how many were used this run. */
  perfResults: readonly number[] = []
  perfIdx = 0
  /** The run's kernel memory (BTF-typed programs), or undefined: such loads fault. */
  kernelMemory: KernelMemory | undefined = undefined
  callIdx = 0
  steps = 0
  stackSeed = 0
  /** Registers initialised at entry (bit i = ri), set by setup. */
  initMask = 0
  status = 0
  faultPc = 0
  faultReason = ''
  r0lo = 0
  r0hi = 0
  readonly savedRegs = new Int32Array(MAX_FRAMES * 8)
  readonly savedInit = new Int32Array(MAX_FRAMES)
  readonly savedPc = new Int32Array(MAX_FRAMES)
  private readonly stackPatterns = new Map<number, Uint8Array>()
  /** Maps whose value area the program addresses directly (lddw map_value). */
  private readonly directValueMaps: number[] = []

  constructor(
    public prog: CompiledProgram,
    options: MachineOptions = {}
  ) {
    this.opts = {
      budget: options.budget ?? 1_000_000,
      maxPacket: options.maxPacket ?? 4096,
      maxMem: options.maxMem ?? 4096,
      maxMapEntries: options.maxMapEntries ?? 4096,
      helpers: options.helpers ?? 'kernel'
    }
    const kind = prog.ctxKind
    const struct = isStructContext(kind) ? STRUCT_CONTEXTS[kind] : undefined
    this.ctxSize =
      kind === 'xdp'
        ? XDP_MD_SIZE
        : kind === 'skb' || kind === 'socket'
          ? SK_BUFF_SIZE
          : kind === 'scalar'
            ? 0
            : struct !== undefined
              ? struct.size
              : this.opts.maxMem
    this.ctxOutput =
      kind === 'skb' || kind === 'socket'
        ? 1
        : kind === 'flat' || kind === 'plain' || struct !== undefined
          ? 2
          : 0
    const hasPacket = kind === 'xdp' || kind === 'skb' || kind === 'socket'
    // A tc packet may grow to SKB_RESHAPE_MAX_LEN bytes when a reshaping helper answers so.
    this.packetRegionSize = hasPacket
      ? Math.max(
          XDP_HEADROOM + this.opts.maxPacket + XDP_TAILROOM,
          XDP_HARD_END,
          kind === 'skb' ? XDP_HEADROOM + SKB_RESHAPE_MAX_LEN : 0
        )
      : 0
    const { all: mapDefs, pool } = withInnerPools(prog.maps)
    this.innerPool = pool
    const n = Region.firstMap + mapDefs.length + 1
    this.nRegions = n
    this.reserveRegion = n - 1
    this.regionBase = new Int32Array(n)
    this.regionLow = new Int32Array(n)
    this.regionHigh = new Int32Array(n)
    this.regionFlags = new Int32Array(n)
    this.regionWritten = new Uint8Array(n)
    const caps = mapDefs.map((m) => Math.max(0, Math.min(m.maxEntries, this.opts.maxMapEntries)))
    let size = STACK_BYTES
    this.setRegion(Region.stack, 0, STACK_BYTES, RegionFlag.writable | RegionFlag.aligned)
    const ctxFlags =
      kind === 'xdp' || kind === 'skb' || kind === 'socket' || struct !== undefined
        ? RegionFlag.ctx
        : kind === 'tracepoint'
          ? 0
          : RegionFlag.writable
    this.setRegion(Region.ctx, size, this.ctxSize, ctxFlags)
    size += this.ctxSize
    this.setRegion(Region.packet, size, this.packetRegionSize, RegionFlag.writable)
    size += this.packetRegionSize
    const mapBases: number[] = []
    mapDefs.forEach((m, i) => {
      const bytes = caps[i]! * m.valueSize
      mapBases.push(size)
      this.setRegion(Region.firstMap + i, size, bytes, RegionFlag.writable)
      size += bytes
    })
    // Ring-buffer records (bpf_ringbuf_reserve) live in one area after the maps.
    const ringBytes = mapDefs.reduce((a, m) => a + (m.type === RINGBUF ? m.maxEntries : 0), 0)
    const reserveBytes = Math.min(ringBytes, 1 << 20)
    this.setRegion(this.reserveRegion, size, reserveBytes, RegionFlag.writable)
    this.regionHigh[this.reserveRegion] = 0
    size += reserveBytes
    this.ringUsed = new Int32Array(mapDefs.length)
    this.heap = new Uint8Array(size)
    this.view = new DataView(this.heap.buffer)
    this.maps = mapDefs.map((m, i) => new MapStore(m, this.heap, mapBases[i]!, caps[i]!))
    this.ctxWritable = new Uint8Array(this.ctxSize)
    if (kind === 'skb' || kind === 'socket') markWritableSkbFields(this.ctxWritable, kind)
    if (struct !== undefined)
      for (const [at, n] of struct.writable) this.ctxWritable.fill(1, at, at + n)
    this.regs = new Int32Array(0)
    this.loadProgram(prog)
  }

  private setRegion(id: number, base: number, size: number, flags: number): void {
    this.regionBase[id] = base
    this.regionLow[id] = 0
    this.regionHigh[id] = size
    this.regionFlags[id] = flags
  }

  /** Installs a (re)compiled program of the same maps and context: sizes registers, fills immediates. */
  loadProgram(prog: CompiledProgram): void {
    this.prog = prog
    const need = (VREG_BASE + prog.op.length) * 2
    if (this.regs.length < need) this.regs = new Int32Array(need)
    const R = this.regs
    this.directValueMaps.length = 0
    for (let pc = 0; pc < prog.length; pc++) {
      const v = (VREG_BASE + pc) * 2
      const k = prog.constKind[pc]!
      if (k === ConstKind.value) {
        R[v] = prog.constLo[pc]!
        R[v + 1] = prog.constHi[pc]!
      } else if (k === ConstKind.mapHandle) {
        R[v] = prog.constMap[pc]!
        R[v + 1] = MAP_HANDLE_HI
      } else {
        const m = prog.constMap[pc]!
        // A pointer into the value area escapes without a lookup: treat the whole map as touched.
        if (!this.directValueMaps.includes(m)) this.directValueMaps.push(m)
        R[v] = (LO_BASE + prog.constLo[pc]!) | 0
        R[v + 1] = REGION_HI_BASE + Region.firstMap + m
      }
    }
  }

  /** Recompiles `slots` into the current program's arrays and installs them (search hot path). */
  reload(slots: readonly Insn[]): void {
    this.loadProgram(compileInto(this.prog, slots))
  }

  /**
   * Recompiles only the first `count` slots listed in `pcs` of `slots` (same length as the
   * loaded program). The caller guarantees that no listed slot is, was, or follows an lddw: then
   * no other slot's compiled form depends on them.
   */
  reloadSlots(slots: readonly Insn[], pcs: Int32Array, count: number): void {
    const prog = this.prog
    const R = this.regs
    for (let k = 0; k < count; k++) {
      const pc = pcs[k]!
      compileSlot(prog, slots, pc)
      const v = (VREG_BASE + pc) * 2
      R[v] = prog.constLo[pc]!
      R[v + 1] = prog.constHi[pc]!
    }
  }

  /** Pointer (lo, hi) into region `id` at `offset`, in OUT[0..1]. */
  pointer(id: number, offset: number): void {
    OUT[0] = (LO_BASE + offset) | 0
    OUT[1] = REGION_HI_BASE + id
  }

  /**
   * Heap index of an access of `size` bytes at pointer (lo, hi) + off, or -1 when it is outside
   * every region (or misaligned on the stack). Sets {@link lastRegion}.
   */
  addr(lo: number, hi: number, off: number, size: number): number {
    let s = (lo >>> 0) + off
    let h = hi
    if (s >= 4294967296) {
      s -= 4294967296
      h = (h + 1) | 0
    } else if (s < 0) {
      s += 4294967296
      h = (h - 1) | 0
    }
    const id = (h - REGION_HI_BASE) >>> 0
    if (id >= this.nRegions) return -1
    const o = s - LO_BASE
    if (o < this.regionLow[id]! || o + size > this.regionHigh[id]!) return -1
    if ((this.regionFlags[id]! & RegionFlag.aligned) !== 0 && (o & (size - 1)) !== 0) return -1
    this.lastRegion = id
    return this.regionBase[id]! + o
  }

  /** Region of the last successful {@link addr}. */
  lastRegion = 0

  /** Sets the packet window (region offsets) and the packet region's accessible bounds. */
  setPacket(meta: number, data: number, end: number): void {
    this.pktMeta = meta
    this.pktData = data
    this.pktEnd = end
    this.regionLow[Region.packet] = meta
    this.regionHigh[Region.packet] = end
  }

  /** Prepares state for a run on `input` (maps, packet, context, stack, registers). */
  setup(input: RunInput): void {
    this.setupPrepared(this.prepare(input))
  }

  /** `input` with what setup derives from it computed once, for repeated runs on this machine. */
  prepare(input: RunInput): PreparedRun {
    return prepareRun(this.maps, this.prog.ctxKind, input)
  }

  /** Prepares state for a run on a prepared input; allocates nothing. */
  setupPrepared(p: PreparedRun): void {
    const kind = this.prog.ctxKind
    const images = p.images
    for (let i = 0; i < this.maps.length; i++) {
      const image = i < images.length ? images[i] : undefined
      if (image?.area !== undefined) this.maps[i]!.restoreArea(image)
      else this.maps[i]!.reset()
    }
    for (let i = 0; i < this.directValueMaps.length; i++)
      this.maps[this.directValueMaps[i]!]!.allDirty = true
    // Small arrays are cleared by loops: a typed-array builtin call costs more than the work.
    for (let i = 0; i < this.nRegions; i++) this.regionWritten[i] = 0
    this.effects.reset()
    for (let i = 0; i < this.ringUsed.length; i++) this.ringUsed[i] = 0
    const used = p.ringUsed
    if (used !== undefined)
      for (let i = 0; i < used.length && i < this.ringUsed.length; i++)
        this.ringUsed[i] = Math.max(0, Math.min(used[i] ?? 0, this.maps[i]!.def.maxEntries))
    this.reservationCount = 0
    this.regionHigh[this.reserveRegion] = 0
    this.randoms = p.randoms
    this.kernelMemory = p.kernelMemory
    this.cpu = p.cpu
    this.xdpNoMeta = p.xdpNoMeta
    const task = p.task
    for (let i = 0; i < 4; i++) this.task[i] = task[i]!
    this.times = p.times
    this.perfResults = p.perfResults
    this.perfIdx = 0
    this.calls = p.calls
    this.randIdx = 0
    this.timeIdx = 0
    this.callIdx = 0
    this.steps = 0
    this.status = 0
    for (let i = 0; i < p.images.length && i < this.maps.length; i++) {
      const image = p.images[i]
      if (image !== undefined && image.area === undefined) this.maps[i]!.restoreImage(image)
      const entries = p.entries[i]
      if (entries !== undefined) for (const e of entries) this.maps[i]!.load(e.key, e.value)
    }
    const stackBase = this.regionBase[Region.stack]!
    this.stackSeed = p.stackSeed
    this.heap.set(this.stackPattern(this.stackSeed), stackBase + STACK_BYTES - STACK_FRAME_BYTES)
    // Explicit initial bytes of the main frame's top (a prover counterexample sets what the
    // program reads before writing); they end at r10.
    const given = p.stack
    if (given !== undefined) {
      const n = Math.min(given.length, STACK_FRAME_BYTES)
      this.heap.set(given.subarray(given.length - n), stackBase + STACK_BYTES - n)
    }
    // Only the current frame and its callers' frames are addressable.
    this.regionLow[Region.stack] = STACK_BYTES - STACK_FRAME_BYTES
    const R = this.regs
    for (let i = 0; i < 20; i++) R[i] = 0
    R[20] = (LO_BASE + STACK_BYTES) | 0
    R[21] = REGION_HI_BASE + Region.stack
    const ctxBase = this.regionBase[Region.ctx]!
    this.pointer(Region.ctx, 0)
    R[2] = OUT[0]!
    R[3] = OUT[1]!
    if (kind === 'xdp' || kind === 'skb' || kind === 'socket') this.setupPacketContext(p)
    else if (kind === 'scalar') {
      R[2] = p.r1[0]!
      R[3] = p.r1[1]!
    } else {
      const bytes = kind === 'plain' ? p.mem : p.ctxBytes
      const len = Math.min(bytes?.length ?? 0, this.ctxSize)
      // A struct context always has all its bytes (zero where the input gives none).
      const whole = isStructContext(kind)
      if (whole) this.heap.fill(0, ctxBase, ctxBase + this.ctxSize)
      if (bytes !== undefined)
        this.heap.set(len === bytes.length ? bytes : bytes.subarray(0, len), ctxBase)
      this.memLen = whole ? this.ctxSize : len
      this.regionHigh[Region.ctx] = this.memLen
      if (kind === 'plain') {
        R[4] = len
        if (len === 0) R[2] = R[3] = 0
      }
    }
    this.initMask = (1 << 10) | (kind === 'plain' ? 0x6 : 0x2)
    if (p.regMask !== 0) {
      for (let i = 0; i < 10; i++) {
        if ((p.regMask & (1 << i)) === 0) continue
        R[i * 2] = p.regs[i * 2]!
        R[i * 2 + 1] = p.regs[i * 2 + 1]!
      }
      this.initMask |= p.regMask
    }
  }

  private setupPacketContext(p: PreparedRun): void {
    const kind = this.prog.ctxKind
    const pkt = p.packet
    const len = Math.min(pkt.length, this.opts.maxPacket)
    const pbase = this.regionBase[Region.packet]!
    // Bytes past the packet are unreachable until adjust_tail grows it (which zero-fills), so
    // only the headroom (reachable through adjust_head/meta) and the context need clearing.
    this.heap.fill(0, pbase, pbase + XDP_HEADROOM)
    const head = p.headroom
    if (head !== undefined && kind === 'xdp') {
      const n = Math.min(head.length, XDP_HEADROOM)
      this.heap.set(head.subarray(head.length - n), pbase + XDP_HEADROOM - n)
    }
    this.heap.set(len === pkt.length ? pkt : pkt.subarray(0, len), pbase + XDP_HEADROOM)
    const ctxBase = this.regionBase[Region.ctx]!
    this.heap.fill(0, ctxBase, ctxBase + this.ctxSize)
    this.setPacket(XDP_HEADROOM, XDP_HEADROOM, XDP_HEADROOM + len)
    this.pktHardEnd = Math.max(XDP_HARD_END, XDP_HEADROOM + len)
    const bytes = p.ctxBytes
    if (bytes !== undefined)
      this.heap.set(bytes.length > this.ctxSize ? bytes.subarray(0, this.ctxSize) : bytes, ctxBase)
    if (kind !== 'xdp') {
      this.view.setUint32(ctxBase + SK_BUFF.len, len, true)
      this.view.setUint32(ctxBase + SK_BUFF.wire_len, len, true)
      // tc sees the Ethernet header, so the ethertype is in the packet; a socket filter's packet
      // starts at the network header and its protocol comes from the context input.
      if (kind === 'skb' && len >= 14)
        this.view.setUint16(ctxBase + SK_BUFF.protocol, pkt[12]! | (pkt[13]! << 8), true)
    }
    const f = p.ctxFields
    for (let i = 0; i < f.length; i += 2) this.view.setInt32(ctxBase + f[i]!, f[i + 1]!, true)
  }

  /** Marks region `id` as written by this run (stores, helper outputs). */
  noteWrite(id: number): void {
    this.regionWritten[id] = 1
  }

  /** True when this run may have changed map `i` (its entries or its value bytes). */
  mapWritten(i: number): boolean {
    return this.maps[i]!.changed || this.regionWritten[Region.firstMap + i] === 1
  }

  private lastSeed = NaN
  private lastPattern: Uint8Array = new Uint8Array(0)

  private stackPattern(seed: number): Uint8Array {
    if (seed === this.lastSeed) return this.lastPattern
    let p = this.stackPatterns.get(seed)
    if (p === undefined) {
      p = new Uint8Array(STACK_FRAME_BYTES)
      let x = (seed ^ 0x9e3779b9) | 0 || 1
      for (let i = 0; i < p.length; i++) {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        p[i] = x & 0xff
      }
      if (this.stackPatterns.size > 256) this.stackPatterns.clear()
      this.stackPatterns.set(seed, p)
    }
    this.lastSeed = seed
    this.lastPattern = p
    return p
  }

  /** Fills a fresh stack frame (for bpf-to-bpf calls) with the run's pattern. */
  fillFrame(frame: number): void {
    const base = this.regionBase[Region.stack]! + STACK_BYTES - (frame + 1) * STACK_FRAME_BYTES
    this.heap.set(this.stackPattern((this.stackSeed + frame) | 0), base)
  }

  /**
   * A load of `size` bytes at (lo, hi) + off that lies outside every region, from the run's
   * kernel memory into OUT[0..1]; false when there is none or the address is the machine's own.
   */
  kernelLoad(lo: number, hi: number, off: number, size: number): boolean {
    const km = this.kernelMemory
    if (km === undefined || this.addr(lo, hi, off, size) >= 0) return false
    const at = BigInt.asUintN(64, ((BigInt(hi) << 32n) | BigInt(lo >>> 0)) + BigInt(off))
    const v = km.read(at, size)
    OUT[0] = Number(v & 0xffffffffn) | 0
    OUT[1] = Number(v >> 32n) | 0
    return true
  }

  /**
   * Loads `size` bytes at context offset `o` (heap index `at`) into OUT[0..1]; pointer fields
   * (data, data_end, data_meta) give packet pointers. Returns false for an invalid access.
   */
  ctxLoad(o: number, at: number, size: number): boolean {
    if (this.structPointers !== undefined) return this.structLoad(o, at, size)
    const xdp = this.prog.ctxKind === 'xdp'
    const dataOff = xdp ? XDP_MD.data : SK_BUFF.data
    const endOff = xdp ? XDP_MD.data_end : SK_BUFF.data_end
    const metaOff = xdp ? XDP_MD.data_meta : SK_BUFF.data_meta
    const which =
      o === dataOff
        ? this.pktData
        : o === endOff
          ? this.pktEnd
          : o === metaOff
            ? this.xdpNoMeta
              ? this.pktData + 1 // the kernel's mark of a driver without metadata support
              : this.pktMeta
            : -1
    if (which >= 0) {
      if (size !== 4) return false
      this.pointer(Region.packet, which)
      return true
    }
    if (
      !xdp &&
      ((o >= SK_BUFF.flow_keys && o < SK_BUFF.flow_keys + 8) ||
        (o >= SK_BUFF.sk && o < SK_BUFF.sk + 8))
    ) {
      OUT[0] = 0
      OUT[1] = 0
      return size === 8
    }
    const v = this.view
    if (size === 1) OUT[0] = this.heap[at]!
    else if (size === 2) OUT[0] = v.getUint16(at, true)
    else OUT[0] = v.getInt32(at, true)
    OUT[1] = size === 8 ? v.getInt32(at + 4, true) : 0
    return true
  }

  /** Pointer fields of a struct context (undefined for other kinds). */
  private get structPointers(): readonly CtxField[] | undefined {
    const k = this.prog.ctxKind
    return isStructContext(k) ? STRUCT_CONTEXTS[k].pointers : undefined
  }

  /** A struct context load: plain bytes, but pointer fields (not modelled) fault. */
  private structLoad(o: number, at: number, size: number): boolean {
    for (const [p, n] of this.structPointers ?? []) if (o < p + n && o + size > p) return false
    const v = this.view
    if (size === 1) OUT[0] = this.heap[at]!
    else if (size === 2) OUT[0] = v.getUint16(at, true)
    else OUT[0] = v.getInt32(at, true)
    OUT[1] = size === 8 ? v.getInt32(at + 4, true) : 0
    return true
  }

  /** True when a store of `size` bytes at context offset `o` is allowed. */
  ctxStoreAllowed(o: number, size: number): boolean {
    for (let i = 0; i < size; i++) if (this.ctxWritable[o + i] !== 1) return false
    return true
  }

  /** Next value of get_prandom_u32 from the input (cycled), as an int32. */
  nextRandom(): number {
    const r = this.randoms
    if (r.length === 0) return 0
    const v = r[this.randIdx % r.length]!
    this.randIdx++
    return v | 0
  }

  /** Next ktime value (ns) from the input (cycled), or a deterministic clock when none given. */
  nextTime(): number {
    const t = this.times
    const i = this.timeIdx++
    if (t.length === 0) return 1e9 + 1000 * i
    return t[i % t.length]!
  }
}

function markWritableSkbFields(w: Uint8Array, kind: 'skb' | 'socket'): void {
  const mark = (at: number, len: number): void => {
    w.fill(1, at, at + len)
  }
  mark(SK_BUFF.cb, 20)
  if (kind === 'skb') {
    mark(SK_BUFF.mark, 4)
    mark(SK_BUFF.queue_mapping, 4)
    mark(SK_BUFF.priority, 4)
    mark(SK_BUFF.tc_index, 4)
    mark(SK_BUFF.tc_classid, 4)
    mark(SK_BUFF.tstamp, 8)
  }
}
