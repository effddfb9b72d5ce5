/** @fileoverview The kernel oracle: loads programs through the real verifier and test-runs them. */
import type { Insn } from '../../core/isa/insn'
import { bytesFromSlots } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import { ProgType } from './bpf-constants'
import { cycleRequest, decodeCycleReply, protocolError } from './cycle-request'
import { describeFeature, isTurnedOff, simulatedRejection, type KernelFeature } from './features'
import { ensureHelperBinary } from './helper-binary'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { HelperProcess } from './helper-process'
import {
  consoleLogPath,
  ensureInitramfs,
  findOnPath,
  qemuArgs,
  QEMU,
  VM_READY_MARKER
} from './vm-image'
import {
  helperMapDef,
  replyInt,
  replyString,
  type HelperReply,
  type HelperRequest
} from './helper-protocol'
import { bytesToHex } from './hex'
import type { KernelError } from './kernel-error'
import { patchMapFds } from './map-fd-patching'
import { entriesFromReply, entryFromSyscall, syscallValue, type CpuLayout } from './map-values'
import {
  decodeOpenObject,
  decodeTimeRun,
  openObjectRequest,
  timeRunRequest
} from './object-requests'
import type {
  LoadedObject,
  LoadedProgram,
  LoadOptions,
  ObjectLoadOptions,
  MapEntry,
  MapHandle,
  MapSpec,
  OracleAvailability,
  RunOnceInput,
  RunOnceOutput,
  TestRunInput,
  TestRunOutput,
  TimeRunOptions,
  TimeRunOutput
} from './oracle-types'
import { decodeTestRun, replyBytes, replyError, testRunFields } from './reply-decoding'
import { decodeKernelBtf, type OracleKernelBtf } from './kernel-btf-reply'

/** Program `r0 = XDP_PASS; exit`, loaded once to check that BPF works at all. */
const PROBE_PROGRAM = 'b700000002000000' + '9500000000000000'

const EPERM = 1
const EACCES = 13
/** Why a helper without privileges cannot be used, and what to do about it. */
const NO_PRIVILEGE =
  'the kernel helper may not load BPF programs: run as root, or give the helper CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN with setcap (native/README.md)'

/** Options of a kernel oracle. */
export interface KernelOracleOptions {
  /** Directory of the helper's sources (default: the checkout's native/). */
  readonly nativeDir?: string
  /**
   * A kernel image (bzImage) to boot in a QEMU virtual machine (TCG) whose verifier answers
   * instead of the running kernel's; the helper runs inside it as root.
   */
  readonly kernelImage?: string
}

/** Seconds the virtual machine may take to boot to the helper (TCG is slow on a busy host). */
const VM_BOOT_TIMEOUT_MS = Number(process.env['SUMMIT_VM_BOOT_TIMEOUT_MS'] ?? 120_000)
/** Seconds one request may take inside the virtual machine. */
const VM_REQUEST_TIMEOUT_MS = 300_000

/**
 * A client of native/summit-bpf. The helper process starts lazily on first use (building it if
 * needed); every operation returns a Result. Call `dispose()` when done: the helper exits and
 * the kernel frees whatever it still held.
 */
export class KernelOracle {
  private readonly nativeDir: string | undefined
  private readonly kernelImage: string | undefined
  private consoleLog: string | undefined
  private helper: HelperProcess | undefined
  private availabilityPromise: Promise<OracleAvailability> | undefined
  private layout: CpuLayout = { possibleCpus: 1, cpu: 0 }

  /** Creates an oracle; nothing starts until the first call. */
  constructor(options: KernelOracleOptions = {}) {
    this.nativeDir = options.nativeDir
    this.kernelImage = options.kernelImage
  }

  /** Whether the kernel can be used (root, helper built and running, a probe program loads). */
  availability(): Promise<OracleAvailability> {
    this.availabilityPromise ??= this.probe()
    return this.availabilityPromise
  }

  /** Creates a map. */
  async createMap(spec: MapSpec): Promise<Result<MapHandle, KernelError>> {
    const feature: KernelFeature = { kind: 'mapType', mapType: spec.type }
    if (isTurnedOff(feature))
      return fail({
        code: 'KERNEL_MAP_CREATE',
        message: `SUMMIT_KERNEL_FEATURES_OFF: this kernel is taken to lack ${describeFeature(feature)}`
      })
    const reply = await this.call({ op: 'createMap', ...helperMapDef(spec) })
    if (!reply.ok) return fail(replyError('KERNEL_MAP_CREATE', 'cannot create map', reply))
    const fd = replyInt(reply, 'fd')
    return fd === undefined ? fail(protocolError(reply)) : ok({ fd, spec })
  }

  /** Stores one entry; a per-CPU value of `valueSize` bytes is copied to every CPU. */
  async updateMap(
    map: MapHandle,
    key: Uint8Array,
    value: Uint8Array,
    flags = 0
  ): Promise<Result<void, KernelError>> {
    const full = syscallValue(map.spec, value, this.layout)
    if (!full.ok) return full
    const reply = await this.call({
      op: 'updateMap',
      fd: map.fd,
      key: bytesToHex(key),
      value: bytesToHex(full.value),
      flags
    })
    return reply.ok ? ok(undefined) : fail(replyError('KERNEL_MAP_ACCESS', 'map update', reply))
  }

  /** Reads one entry; `undefined` when the key is absent. */
  async lookupMap(
    map: MapHandle,
    key: Uint8Array
  ): Promise<Result<MapEntry | undefined, KernelError>> {
    const reply = await this.call({ op: 'lookupMap', fd: map.fd, key: bytesToHex(key) })
    if (!reply.ok) {
      if (replyInt(reply, 'errno') === 2) return ok(undefined)
      return fail(replyError('KERNEL_MAP_ACCESS', 'map lookup', reply))
    }
    const raw = replyBytes(reply, 'value')
    return raw === undefined
      ? fail(protocolError(reply))
      : ok(entryFromSyscall(map.spec, key, raw, this.layout))
  }

  /** Deletes one entry (absent keys fail with errno 2). */
  async deleteMap(map: MapHandle, key: Uint8Array): Promise<Result<void, KernelError>> {
    const reply = await this.call({ op: 'deleteMap', fd: map.fd, key: bytesToHex(key) })
    return reply.ok ? ok(undefined) : fail(replyError('KERNEL_MAP_ACCESS', 'map delete', reply))
  }

  /** Lists every entry of a map (keys in the kernel's iteration order). */
  async readMap(map: MapHandle): Promise<Result<MapEntry[], KernelError>> {
    const reply = await this.call({ op: 'dumpMap', fd: map.fd })
    if (!reply.ok) return fail(replyError('KERNEL_MAP_ACCESS', 'map dump', reply))
    const entries = entriesFromReply(reply['entries'], map.spec, this.layout)
    return entries ? ok(entries) : fail(protocolError(reply))
  }

  /**
   * Loads a program through the verifier. ld_imm64 with src=1 (or src=2) refers to `maps[imm]`;
   * the map fds are patched in here. A rejection is KERNEL_VERIFIER_REJECTED with the log.
   */
  async load(
    insns: readonly Insn[],
    maps: readonly MapHandle[],
    options: LoadOptions
  ): Promise<Result<LoadedProgram, KernelError>> {
    const simulated = simulatedRejection(
      insns,
      options.progType,
      maps.map((m) => m.spec.type)
    )
    if (simulated !== undefined) return fail(simulated)
    const patched = patchMapFds(
      insns,
      maps.map((m) => m.fd)
    )
    if (!patched.ok) return patched
    const reply = await this.call({
      op: 'load',
      progType: options.progType,
      insns: bytesToHex(bytesFromSlots(patched.value)),
      expectedAttachType: options.expectedAttachType ?? 0,
      license: options.license ?? 'GPL',
      logLevel: options.logLevel ?? 0,
      ...(options.name !== undefined ? { name: options.name } : {})
    })
    if (!reply.ok) {
      const rejected =
        replyString(reply, 'log') !== undefined || replyInt(reply, 'errno') !== undefined
      return fail(
        replyError(rejected ? 'KERNEL_VERIFIER_REJECTED' : 'KERNEL_HELPER', 'load', reply)
      )
    }
    const fd = replyInt(reply, 'fd')
    if (fd === undefined) return fail(protocolError(reply))
    return ok({
      fd,
      log: replyString(reply, 'log') ?? '',
      verifiedInsns: replyInt(reply, 'verifiedInsns') ?? 0,
      xlatedBytes: replyInt(reply, 'xlatedBytes') ?? 0,
      jitedBytes: replyInt(reply, 'jitedBytes') ?? 0
    })
  }

  /**
   * Runs a loaded program once (or `repeat` times) with BPF_PROG_TEST_RUN. `progType` decides
   * whether a packet and a returned context are allowed (raw_tracepoint: context only).
   */
  async testRun(
    prog: LoadedProgram,
    progType: number,
    input: TestRunInput
  ): Promise<Result<TestRunOutput, KernelError>> {
    const feature: KernelFeature = { kind: 'testRun', progType }
    if (isTurnedOff(feature))
      return fail({
        code: 'KERNEL_TEST_RUN',
        message: `SUMMIT_KERNEL_FEATURES_OFF: this kernel is taken to lack ${describeFeature(feature)}`
      })
    const fields = testRunFields(progType, input)
    if (!fields.ok) return fields
    const reply = await this.call({ op: 'testRun', fd: prog.fd, ...fields.value })
    if (!reply.ok) return fail(replyError('KERNEL_TEST_RUN', 'test run', reply))
    return decodeTestRun(reply)
  }

  /** Freezes a map (BPF_MAP_FREEZE): user space may no longer write it. */
  async freezeMap(map: MapHandle): Promise<Result<void, KernelError>> {
    const reply = await this.call({ op: 'freezeMap', fd: map.fd })
    return reply.ok ? ok(undefined) : fail(replyError('KERNEL_MAP_ACCESS', 'map freeze', reply))
  }

  /** Closes a map or program fd held by the helper. */
  async close(handle: { readonly fd: number }): Promise<void> {
    await this.call({ op: 'close', fd: handle.fd })
  }

  /**
   * One full cycle on fresh state, in a single helper round trip: creates `maps`, fills
   * `input.mapEntries`, loads `program` (map references by index), runs it once on `input`,
   * reads every map back and closes everything.
   */
  async runOnce(
    program: readonly Insn[],
    maps: readonly MapSpec[],
    input: RunOnceInput
  ): Promise<Result<RunOnceOutput, KernelError>> {
    const a = await this.availability()
    if (!a.available) return fail({ code: 'KERNEL_UNAVAILABLE', message: a.reason })
    const simulated = simulatedRejection(
      program,
      input.progType,
      maps.map((m) => m.type),
      { testRun: true }
    )
    if (simulated !== undefined) return fail(simulated)
    const req = cycleRequest(program, maps, input, this.layout)
    if (!req.ok) return req
    return decodeCycleReply(await this.call(req.value), maps, this.layout)
  }

  /**
   * Creates `maps`, loads `program` through the verifier and closes everything: for program
   * types that have no test run (tracepoint, kprobe). Returns the load details or rejection.
   */
  async verifyOnly(
    program: readonly Insn[],
    maps: readonly MapSpec[],
    options: LoadOptions
  ): Promise<Result<LoadedProgram, KernelError>> {
    const handles: MapHandle[] = []
    try {
      const created = await Promise.all(maps.map((spec) => this.createMap(spec)))
      for (const m of created) if (m.ok) handles.push(m.value)
      const badMap = created.find((m) => !m.ok)
      if (badMap) return badMap as { ok: false; error: KernelError }
      const loaded = await this.load(program, handles, options)
      if (loaded.ok) await this.close(loaded.value)
      return loaded
    } finally {
      await Promise.all(handles.map((h) => this.close(h)))
    }
  }

  /**
   * Opens and loads a whole ELF object as libbpf does (maps with flags, map-in-map, BTF,
   * relocations, global data, CO-RE), with per-program type overrides; pinned maps are created
   * fresh. Close it with `closeObject`.
   */
  async openObject(
    bytes: Uint8Array,
    options: ObjectLoadOptions = {}
  ): Promise<Result<LoadedObject, KernelError>> {
    return decodeOpenObject(await this.call(openObjectRequest(bytes, options)))
  }

  /**
   * The BTF of the kernel the helper runs on (its /sys/kernel/btf/vmlinux) and that kernel's
   * release: inside a VM, the booted image's own types.
   */
  async kernelBtf(): Promise<Result<OracleKernelBtf, KernelError>> {
    return decodeKernelBtf(await this.call({ op: 'kernelBtf' }))
  }

  /** Closes an object opened with `openObject` (its programs and maps). */
  async closeObject(object: { readonly handle: number }): Promise<void> {
    await this.call({ op: 'closeObject', handle: object.handle })
  }

  /**
   * Timing samples of a loaded program with BPF_PROG_TEST_RUN: the kernel's duration per
   * repetition and, with `stats`, BPF_ENABLE_STATS run time per run.
   */
  async timeRuns(
    prog: { readonly fd: number },
    progType: number,
    input: TestRunInput,
    options: TimeRunOptions
  ): Promise<Result<TimeRunOutput, KernelError>> {
    const feature: KernelFeature = { kind: 'testRun', progType }
    if (isTurnedOff(feature))
      return fail({
        code: 'KERNEL_TEST_RUN',
        message: `SUMMIT_KERNEL_FEATURES_OFF: this kernel is taken to lack ${describeFeature(feature)}`
      })
    return decodeTimeRun(await this.call(timeRunRequest(prog.fd, input, options)))
  }

  /** Stops the helper process (the kernel frees every map and program it still held). */
  async dispose(): Promise<void> {
    const h = this.helper
    this.helper = undefined
    this.availabilityPromise = undefined
    if (h) await h.dispose()
    if (this.consoleLog !== undefined) rmSync(this.consoleLog, { force: true })
    this.consoleLog = undefined
  }

  /** Starts the helper: directly, or inside a virtual machine booting `kernelImage`. */
  private async startHelper(
    binary: string
  ): Promise<{ ok: true; helper: HelperProcess } | { ok: false; reason: string }> {
    const image = this.kernelImage
    if (image === undefined) return { ok: true, helper: new HelperProcess(binary) }
    if (!existsSync(image)) return { ok: false, reason: `kernel image ${image} does not exist` }
    const qemu = findOnPath(QEMU)
    if (qemu === undefined)
      return {
        ok: false,
        reason: `${QEMU} is not installed (Debian: apt-get install qemu-system-x86)`
      }
    const initramfs = await ensureInitramfs(binary)
    if (!initramfs.ok) return initramfs
    const log = consoleLogPath()
    this.consoleLog = log
    const tail = (): string => {
      try {
        const lines = readFileSync(log, 'utf8').trim().split('\n')
        return `console: ${lines.slice(-3).join(' | ')}`
      } catch {
        return 'no console output'
      }
    }
    const helper = new HelperProcess(qemu, {
      args: qemuArgs(image, initramfs.path, log),
      boot: {
        marker: VM_READY_MARKER,
        timeoutMs: VM_BOOT_TIMEOUT_MS,
        requestTimeoutMs: VM_REQUEST_TIMEOUT_MS,
        describeFailure: tail
      }
    })
    return { ok: true, helper }
  }

  private async probe(): Promise<OracleAvailability> {
    if (process.platform !== 'linux') return { available: false, reason: 'BPF needs Linux' }
    const binary = await ensureHelperBinary(this.nativeDir)
    if (!binary.ok) return { available: false, reason: binary.reason }
    const started = await this.startHelper(binary.path)
    if (!started.ok) return { available: false, reason: started.reason }
    this.helper = started.helper
    const pong = await this.helper.request({ op: 'ping' })
    if (!pong.ok) return { available: false, reason: `helper did not answer: ${pong.error ?? ''}` }
    this.layout = {
      possibleCpus: replyInt(pong, 'possibleCpus') ?? 1,
      cpu: replyInt(pong, 'cpu') ?? 0
    }
    const probe = await this.helper.request({
      op: 'load',
      progType: ProgType.xdp,
      insns: PROBE_PROGRAM
    })
    if (!probe.ok) {
      const why = probe.errnoText ?? probe.error ?? ''
      if (probe.errno === EPERM || probe.errno === EACCES)
        return { available: false, reason: `${NO_PRIVILEGE} (${why})` }
      return { available: false, reason: `kernel refused a trivial XDP program: ${why}` }
    }
    await this.helper.request({ op: 'close', fd: replyInt(probe, 'fd') ?? -1 })
    const vm = this.helper.bootLine?.slice(VM_READY_MARKER.length).trim()
    return {
      available: true,
      helperPath: binary.path,
      ...this.layout,
      ...(vm !== undefined ? { vmKernel: vm } : {})
    }
  }

  private async call(req: HelperRequest): Promise<HelperReply> {
    const a = await this.availability()
    if (!a.available) return { ok: false, error: `kernel oracle unavailable: ${a.reason}` }
    if (!this.helper) return { ok: false, error: 'kernel oracle disposed' }
    return this.helper.request(req)
  }
}
