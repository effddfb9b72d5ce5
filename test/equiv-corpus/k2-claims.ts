/**
 * @fileoverview Checks K2's published claim for one benchmark: the original and K2's output
 * (`bench/k2-outputs/NAME.insns`) agree on every input, in the interpreter and in the kernel;
 * both pass the safety analysis and the kernel verifier. Shared by bench/k2-claims.ts and the test.
 */
import type { KernelOracle } from '../../src-daemon/engine/kernel/oracle'
import { loadK2Output, loadOriginal, safetyRejection } from './corpus-program'
import { differentialRandom } from './differential'
import { describeResult, inputToJson, type InputJson } from './input-json'
import { generateInputs } from './inputs'
import { kernelDifferential, kernelRejection } from './kernel-diff'

/** The verdict record stored in test/fixtures/equiv/k2-claims.json. */
export interface ClaimRecord {
  /** Benchmark name. */
  readonly name: string
  /** Whether K2's equivalence claim survived every input. */
  readonly verdict: 'holds' | 'refuted'
  /** Why, in one sentence (written by hand for refuted claims). */
  readonly why?: string
  /** An input on which the two programs differ (refuted claims). */
  readonly witness?: InputJson
  /** r0 / effects of the original and of K2's output on the witness. */
  readonly witnessResults?: { readonly original: string; readonly k2: string }
}

/** Everything measured for one claim. */
export interface ClaimCheck {
  readonly record: ClaimRecord
  /** Interpreter runs (inputs and map-recycled follow-ups). */
  readonly interpRuns: number
  /** Kernel runs compared (undefined: kernel not used). */
  readonly kernelRuns?: number
  /** Kernel verdict: same / the first differing retvals / an error. */
  readonly kernel?: string
  /** Safety analysis of the original and of K2's output (undefined = accepted). */
  readonly safety: { readonly original?: string; readonly k2?: string }
  /** Kernel verifier on the original and K2's output (undefined = accepted). */
  readonly verifier?: { readonly original?: string; readonly k2?: string }
  /** Slots K2 turned into `ja +0` (the instructions it saved). */
  readonly nops: number
}

function countNops(slots: readonly { code: number; off: number }[]): number {
  return slots.filter((s) => s.code === 0x05 && s.off === 0).length
}

/** Options of {@link checkClaim}. */
export interface ClaimOptions {
  /** Interpreter inputs (before follow-ups). */
  readonly inputs: number
  /** Kernel inputs (0: interpreter only). */
  readonly kernelInputs: number
  /** Seed of the input generator. */
  readonly seed: number
  /** The kernel oracle, when BPF is available. */
  readonly oracle?: KernelOracle
}

/** Checks one benchmark's claim. */
export async function checkClaim(name: string, o: ClaimOptions): Promise<ClaimCheck> {
  const original = loadOriginal(name)
  const k2 = loadK2Output(name)
  const interp = differentialRandom(original, k2, o.inputs, o.seed)
  const d = interp.difference
  let kernel: string | undefined
  let kernelRuns: number | undefined
  let verifier: ClaimCheck['verifier']
  if (o.oracle) {
    const vo = await kernelRejection(o.oracle, original)
    const vk = await kernelRejection(o.oracle, k2)
    verifier = { ...(vo ? { original: vo } : {}), ...(vk ? { k2: vk } : {}) }
    const inputs = generateInputs(original.env.model, { seed: o.seed, count: o.kernelInputs })
    if (d) inputs.unshift(d.input)
    const kd = await kernelDifferential(o.oracle, original, k2, inputs)
    kernelRuns = kd.runs
    kernel = kd.error
      ? `error: ${kd.error}`
      : kd.difference
        ? `differs: retval ${kd.difference.a.retval} vs ${kd.difference.b.retval}, cb ${kd.difference.a.ctx} vs ${kd.difference.b.ctx}`
        : 'same'
  }
  const so = safetyRejection(original)
  const sk = safetyRejection(k2)
  const refuted = d !== undefined || (kernel?.startsWith('differs') ?? false)
  return {
    record: {
      name,
      verdict: refuted ? 'refuted' : 'holds',
      ...(d
        ? {
            witness: inputToJson(d.input),
            witnessResults: { original: describeResult(d.a), k2: describeResult(d.b) }
          }
        : {})
    },
    interpRuns: interp.runs,
    ...(kernelRuns !== undefined ? { kernelRuns } : {}),
    ...(kernel !== undefined ? { kernel } : {}),
    safety: { ...(so ? { original: so } : {}), ...(sk ? { k2: sk } : {}) },
    ...(verifier ? { verifier } : {}),
    nops: countNops(k2.slots) - countNops(original.slots)
  }
}
