/** @fileoverview Types of the kernel oracle's API: maps, loads, test runs and their results. */

/** A map to create (kernel `bpf_attr` map fields). */
export interface MapSpec {
  /** `enum bpf_map_type` (see `MapType`). */
  readonly type: number
  /** Key size in bytes. */
  readonly keySize: number
  /** Value size in bytes (per CPU for per-CPU maps). */
  readonly valueSize: number
  /** Capacity. */
  readonly maxEntries: number
  /** `map_flags`. */
  readonly flags?: number
  /** Optional kernel-visible name (at most 15 characters used). */
  readonly name?: string
  /** Map-in-map types: the template of the inner maps (the kernel needs one to create the outer). */
  readonly inner?: MapSpec
  /** Frozen (BPF_MAP_FREEZE) once its initial entries are stored, as libbpf does with `.rodata`. */
  readonly freeze?: boolean
}

/** A map created in the kernel; valid until closed. */
export interface MapHandle {
  /** The helper's file descriptor for the map. */
  readonly fd: number
  /** What was created. */
  readonly spec: MapSpec
}

/** One key/value pair read back from a map. */
export interface MapEntry {
  /** Key bytes. */
  readonly key: Uint8Array
  /** Value bytes; for per-CPU maps, the slot of the CPU test runs happen on. */
  readonly value: Uint8Array
  /** Per-CPU maps only: the value on every possible CPU. */
  readonly perCpu?: readonly Uint8Array[]
}

/** A key/value pair to store; per-CPU values may be one value (copied to every CPU) or all. */
export interface MapInitEntry {
  /** Key bytes. */
  readonly key: Uint8Array
  /** Value bytes. */
  readonly value: Uint8Array
}

/** The contents of a map after a run, or why they cannot be listed (ring buffer, queue). */
export type MapDump =
  | { readonly readable: true; readonly entries: readonly MapEntry[] }
  | { readonly readable: false; readonly reason: string }

/** How to load a program. */
export interface LoadOptions {
  /** `enum bpf_prog_type` (see `ProgType`). */
  readonly progType: number
  /** `expected_attach_type` (0 unless the type needs one). */
  readonly expectedAttachType?: number
  /** License string (default "GPL", which unlocks every helper). */
  readonly license?: string
  /** Verifier log level: 0 none (a rejection is retried with 1 to get a log), 1, 2, 4 stats. */
  readonly logLevel?: number
  /** Kernel-visible program name. */
  readonly name?: string
}

/** A program accepted by the verifier; valid until closed. */
export interface LoadedProgram {
  /** The helper's file descriptor for the program. */
  readonly fd: number
  /** Verifier log (empty at log level 0). */
  readonly log: string
  /** Instructions the verifier processed (kernel ≥ 5.16). */
  readonly verifiedInsns: number
  /** Size of the translated program in bytes (8 per slot after rewriting). */
  readonly xlatedBytes: number
  /** Size of the JIT image in bytes. */
  readonly jitedBytes: number
}

/** Input of one BPF_PROG_TEST_RUN. */
export interface TestRunInput {
  /** Packet bytes (starting at the Ethernet header, even for socket filters); ≥ 14 bytes. */
  readonly data?: Uint8Array
  /**
   * Context (`xdp_md`, `__sk_buff`, or the raw_tracepoint argument buffer: at most 96 bytes,
   * zero-padded to 96 by the helper because the kernel would let the program read past it).
   */
  readonly ctx?: Uint8Array
  /** Repetitions (packet types only); 0 or 1 means one run. */
  readonly repeat?: number
}

/** Output of one BPF_PROG_TEST_RUN. */
export interface TestRunOutput {
  /** The program's return value (low 32 bits of r0). */
  readonly retval: number
  /** Average run time in nanoseconds (a whole number; 0 for raw_tracepoint). */
  readonly duration: number
  /** The packet after the run (socket filters: the network-header part has a zeroed L2). */
  readonly data?: Uint8Array
  /** The context after the run, where the kernel copies it back. */
  readonly ctx?: Uint8Array
}

/** Everything `runOnce` needs besides the program and its maps. */
export interface RunOnceInput extends TestRunInput, LoadOptions {
  /** Initial map contents, by map index (missing or empty: the map starts empty/zeroed). */
  readonly mapEntries?: ReadonlyArray<readonly MapInitEntry[] | undefined>
}

/** Result of `runOnce`: the verifier's acceptance, the run, and every map afterwards. */
export interface RunOnceOutput {
  /** Load details; the program is already closed, so `fd` is -1. */
  readonly load: LoadedProgram
  /** The test run. */
  readonly run: TestRunOutput
  /** Every map after the run, by map index. */
  readonly maps: readonly MapDump[]
}

/** Whether the kernel oracle can be used here, and if not, why. */
export type OracleAvailability =
  | {
      readonly available: true
      /** Path of the helper binary. */
      readonly helperPath: string
      /** Possible CPUs (the number of slots in per-CPU values). */
      readonly possibleCpus: number
      /** The CPU the helper is pinned to (test runs and per-CPU map values). */
      readonly cpu: number
      /** With a kernel image: the release the virtual machine booted (`uname -r`). */
      readonly vmKernel?: string
    }
  | { readonly available: false; readonly reason: string }

/** How to open and load an object with libbpf. */
export interface ObjectLoadOptions {
  /** Per-program overrides of the type and attach type libbpf guesses from the section name. */
  readonly programs?: readonly {
    readonly name: string
    readonly progType?: number
    readonly expectedAttachType?: number
  }[]
  /** Programs to load (default: every program whose type libbpf knows). */
  readonly load?: readonly string[]
  /** Verifier log level of the loaded programs (0: a log only for a rejection). */
  readonly logLevel?: number
}

/** A program of an object opened by libbpf. */
export interface ObjectProgram {
  /** Function name. */
  readonly name: string
  /** ELF section. */
  readonly section: string
  /** The program type it was (or would have been) loaded as. */
  readonly progType: number
  /** Its expected attach type. */
  readonly expectedAttachType: number
  /** Whether it was loaded: then `fd` and the sizes are set. */
  readonly loaded: boolean
  /** The loaded program (fd owned by the object; closed with it). */
  readonly program?: LoadedProgram
}

/** A map of an object opened by libbpf. */
export interface ObjectMap {
  /** libbpf's name (internal maps: `o.data`, `o.rodata`, `o.bss`, or the section name). */
  readonly name: string
  /** The map (fd owned by the object; closed with it). */
  readonly handle: MapHandle
  /** A global-data or kconfig map libbpf made. */
  readonly internal: boolean
  /** The definition asked to be pinned; it was created fresh instead. */
  readonly pinning: boolean
}

/** An object loaded by libbpf in the helper; valid until `closeObject`. */
export interface LoadedObject {
  /** The helper's handle of the object. */
  readonly handle: number
  /** Every program of the object (entry points, not subprograms). */
  readonly programs: readonly ObjectProgram[]
  /** Every map libbpf created. */
  readonly maps: readonly ObjectMap[]
  /** libbpf's warnings while opening and loading. */
  readonly libbpfLog: string
  /** Map definitions adjusted as production loaders adjust them (see native/objects.c). */
  readonly adjusted: readonly string[]
}

/** Options of `timeRuns`. */
export interface TimeRunOptions {
  /** Kernel repetitions per test run (packet types; 0 for context-only types). */
  readonly repeat: number
  /** Samples to take. */
  readonly samples?: number
  /** Test runs per sample (their durations are averaged). */
  readonly calls?: number
  /** Also read BPF_ENABLE_STATS run-time statistics (needs CAP_SYS_ADMIN). */
  readonly stats?: boolean
}

/** Timing samples of a loaded program. */
export interface TimeRunOutput {
  /** The last run's return value. */
  readonly retval: number
  /** Per sample: the kernel's whole-nanosecond duration per repetition, averaged over the calls. */
  readonly durations: readonly number[]
  /** Per sample, with `stats`: run time per program run from the kernel's statistics (fractional ns). */
  readonly statNs?: readonly number[]
}
