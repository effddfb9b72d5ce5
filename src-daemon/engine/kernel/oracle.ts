/** @fileoverview The kernel oracle: loads programs through the real verifier and test-runs them. */
import type { Insn } from '../../core/isa/insn'
import { bytesFromSlots } from '../../core/isa/insn'
import { fail, ok, type Result } from '../../core/util/result'
import { ProgType } from './bpf-constants'
import { cycleRequest, decodeCycleReply, protocolError } from './cycle-request'
import { describeFeature, isTurnedOff, simulatedRejection, type KernelFeature } from './features'
import { ensureHelperBinary } from './helper-binary'
import { HelperProcess } from './helper-process'
import { replyInt, replyString, type HelperReply, type HelperRequest } from './helper-protocol'
import { bytesToHex } from './hex'
import type { KernelError } from './kernel-error'
import { patchMapFds } from './map-fd-patching'
import { entriesFromReply, entryFromSyscall, syscallValue, type CpuLayout } from './map-values'
import type {
  LoadedProgram,
  LoadOptions,
  MapEntry,
  MapHandle,
  MapSpec,
  OracleAvailability,
  RunOnceInput,
  RunOnceOutput,
  TestRunInput,
  TestRunOutput
} from './oracle-types'
import { decodeTestRun, replyBytes, replyError, testRunFields } from './reply-decoding'

/** Program `r0 = XDP_PASS; exit`, loaded once to check that BPF works at all. */
const PROBE_PROGRAM = 'b700000002000000' + '9500000000000000'

/** Options of a kernel oracle. */
export interface KernelOracleOptions {
  /** Directory of the helper's sources (default: the checkout's native/). */
  readonly nativeDir?: string
}

/**
 * A client of native/summit-bpf. The helper process starts lazily on first use (building it if
 * needed); every operation returns a Result. Call `dispose()` when done: the helper exits and
 * the kernel frees whatever it still held.
 */
export class KernelOracle {
  private readonly nativeDir: string | undefined
  private helper: HelperProcess | undefined
  private availabilityPromise: Promise<OracleAvailability> | undefined
  private layout: CpuLayout = { possibleCpus: 1, cpu: 0 }

  /** Creates an oracle; nothing starts until the first call. */
  constructor(options: KernelOracleOptions = {}) {
    this.nativeDir = options.nativeDir
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
    const reply = await this.call({
      op: 'createMap',
      type: spec.type,
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: spec.maxEntries,
      flags: spec.flags ?? 0,
      ...(spec.name !== undefined ? { name: spec.name } : {})
    })
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

  /** Stops the helper process (the kernel frees every map and program it still held). */
  async dispose(): Promise<void> {
    const h = this.helper
    this.helper = undefined
    this.availabilityPromise = undefined
    if (h) await h.dispose()
  }

  private async probe(): Promise<OracleAvailability> {
    if (process.platform !== 'linux') return { available: false, reason: 'BPF needs Linux' }
    if (process.getuid?.() !== 0) {
      return {
        available: false,
        reason: 'not root: loading and test-running BPF programs needs root'
      }
    }
    const binary = await ensureHelperBinary(this.nativeDir)
    if (!binary.ok) return { available: false, reason: binary.reason }
    this.helper = new HelperProcess(binary.path)
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
      return { available: false, reason: `kernel refused a trivial XDP program: ${why}` }
    }
    await this.helper.request({ op: 'close', fd: replyInt(probe, 'fd') ?? -1 })
    return { available: true, helperPath: binary.path, ...this.layout }
  }

  private async call(req: HelperRequest): Promise<HelperReply> {
    const a = await this.availability()
    if (!a.available) return { ok: false, error: `kernel oracle unavailable: ${a.reason}` }
    if (!this.helper) return { ok: false, error: 'kernel oracle disposed' }
    return this.helper.request(req)
  }
}
