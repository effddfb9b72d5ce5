/**
 * @fileoverview Turns corpus rows into the benchmark's answer: a summary per project, one line
 * per program, the analysis × kernel agreement matrix and every failure grouped by cause (stage,
 * error code and first line, with numbers folded so that the same cause on another register or
 * instruction lands in the same group). Output is Markdown, readable as it is in a terminal.
 */
import type { AnalysisVerdict, KernelVerdict, ProgramRow, ProofAnswer, Step } from './rows'

/** One cause of failure and where it happened. */
export interface FailureGroup {
  /** Stage the failure happened in (`read`, `kernel`, `analysis`, `self-check`, ...). */
  readonly stage: string
  readonly code: string
  /** First line of the reason with numbers folded to `N`. */
  readonly line: string
  readonly count: number
  /** Up to three `object [section]: exact line` examples. */
  readonly examples: readonly string[]
}

/** The analysis × kernel agreement counts. */
export interface AgreementMatrix {
  /** counts[analysis][kernel], analysis in accept/reject/unsupported/skip, kernel in accept/reject/other. */
  readonly counts: Readonly<Record<string, Readonly<Record<string, number>>>>
}

const ANALYSIS_KEYS = ['accept', 'reject', 'unsupported', 'skip'] as const

/** Folds digit runs (and hex numbers) to `N` so one cause groups across registers and offsets. */
export function foldNumbers(line: string): string {
  return line.replace(/0x[0-9a-f]+/gi, 'N').replace(/\d+/g, 'N')
}

function kernelKey(k: KernelVerdict): 'accept' | 'reject' | 'other' {
  return k.kind === 'accept' ? 'accept' : k.kind === 'reject' ? 'reject' : 'other'
}

/** Counts rows by analysis verdict and reference kernel verdict. */
export function agreementMatrix(rows: readonly ProgramRow[]): AgreementMatrix {
  const counts: Record<string, Record<string, number>> = {}
  for (const a of ANALYSIS_KEYS) counts[a] = { accept: 0, reject: 0, other: 0 }
  for (const r of rows) counts[r.analysis.kind]![kernelKey(r.kernel)]! += 1
  return { counts }
}

interface Failure {
  stage: string
  code: string
  line: string
}

function proofFailure(stage: string, p: ProofAnswer): Failure | undefined {
  if (p.kind === 'unknown' || p.kind === 'error')
    return { stage, code: p.kind.toUpperCase(), line: p.reason }
  if (p.kind === 'notEqual')
    return { stage, code: 'NOT_EQUAL', line: 'a program was refuted against an equal copy' }
  return undefined
}

function stepFailure(stage: string, s: Step): Failure | undefined {
  return s.kind === 'fail' ? { stage, code: s.code, line: s.line } : undefined
}

function analysisDisagreement(a: AnalysisVerdict, k: KernelVerdict): Failure | undefined {
  if (a.kind === 'accept' && k.kind === 'reject')
    return {
      stage: 'analysis accepts, kernel rejects',
      code: k.code,
      line: k.line
    }
  if (a.kind === 'reject' && k.kind === 'accept')
    return { stage: 'analysis rejects, kernel accepts', code: a.code, line: a.line }
  if (a.kind === 'unsupported' && k.kind === 'accept')
    return { stage: 'analysis does not model the type', code: 'UNSUPPORTED', line: a.why }
  return undefined
}

/** Every failure of one row (a row can fail in several stages). */
export function rowFailures(r: ProgramRow): Failure[] {
  const out: (Failure | undefined)[] = [
    stepFailure('read', r.read),
    stepFailure('disasm', r.disasm)
  ]
  if (r.kernel.kind === 'reject' || r.kernel.kind === 'error')
    out.push({
      stage: r.kernel.kind === 'reject' ? 'kernel rejects' : 'kernel load error',
      code: r.kernel.code,
      line: r.kernel.line
    })
  // Summit's loader matters where it disagrees with the reference.
  const sk = r.summitKernel
  if ((sk.kind === 'reject' || sk.kind === 'error') && r.kernel.kind === 'accept')
    out.push({ stage: "summit's loader fails where libbpf loads", code: sk.code, line: sk.line })
  if (sk.kind === 'accept' && r.kernel.kind === 'reject')
    out.push({
      stage: "summit's loader accepts what libbpf's load rejects",
      code: r.kernel.code,
      line: r.kernel.line
    })
  out.push(stepFailure("summit's program model", r.model))
  out.push(analysisDisagreement(r.analysis, r.kernel))
  out.push(proofFailure('self-check', r.selfCheck))
  out.push(proofFailure('rewrite-check', r.rewriteCheck))
  const s = r.search
  if (s.kind === 'fail') out.push({ stage: 'search', code: s.code, line: s.line })
  if (s.kind === 'ran' && s.bestSlots < s.originalSlots) {
    out.push(proofFailure('final check of the best', s.proof))
    if (!s.accepted)
      out.push({
        stage: 'final check of the best',
        code: 'ANALYSIS_REJECTS_BEST',
        line: 'the analysis rejects the best program'
      })
  }
  out.push(stepFailure('export', r.exportCheck))
  return out.filter((f): f is Failure => f !== undefined)
}

/** Failures of every row grouped by stage, code and folded first line; biggest groups first. */
export function groupFailures(rows: readonly ProgramRow[]): FailureGroup[] {
  const groups = new Map<string, { f: Failure; line: string; count: number; examples: string[] }>()
  for (const r of rows)
    for (const f of rowFailures(r)) {
      const first = (f.line.split('\n').find((l) => l.trim() !== '') ?? '').trim()
      const line = foldNumbers(first)
      const key = `${f.stage}\u0000${f.code}\u0000${line}`
      const g = groups.get(key) ?? { f, line, count: 0, examples: [] }
      g.count += 1
      if (g.examples.length < 3) g.examples.push(`${r.object} [${r.section}]: ${first}`)
      groups.set(key, g)
    }
  return [...groups.values()]
    .map((g) => ({
      stage: g.f.stage,
      code: g.f.code,
      line: g.line,
      count: g.count,
      examples: g.examples
    }))
    .sort((a, b) => a.stage.localeCompare(b.stage) || b.count - a.count)
}

/** A short cell for a step. */
function stepCell(s: Step): string {
  return s.kind === 'ok' ? 'ok' : s.kind === 'fail' ? s.code : '-'
}

function kernelCell(k: KernelVerdict): string {
  if (k.kind === 'skip') return '-'
  const via = k.via === 'libbpf' ? '' : ` (${k.via})`
  return k.kind === 'error' ? `error${via}` : `${k.kind}${via}`
}

function proofCell(p: ProofAnswer): string {
  return p.kind === 'skip' ? '-' : p.kind
}

function searchCell(r: ProgramRow): string {
  const s = r.search
  if (s.kind === 'skip') return '-'
  if (s.kind === 'fail') return s.code
  const proof = s.bestSlots < s.originalSlots ? ` ${proofCell(s.proof)}` : ''
  return `${s.originalSlots}→${s.bestSlots}${proof}`
}

/** Counts of a predicate over rows, as `n`. */
function count(rows: readonly ProgramRow[], f: (r: ProgramRow) => boolean): number {
  return rows.reduce((n, r) => n + (f(r) ? 1 : 0), 0)
}

const improved = (r: ProgramRow): boolean =>
  r.search.kind === 'ran' && r.search.bestSlots < r.search.originalSlots

const provenImproved = (r: ProgramRow): boolean =>
  improved(r) && r.search.kind === 'ran' && r.search.proof.kind === 'equal' && r.search.accepted

/** A proven improvement of a program the kernel loads here: its export must load too. */
const loadableImproved = (r: ProgramRow): boolean => provenImproved(r) && r.kernel.kind === 'accept'

/** The summary table with one line per value of `by` (`project` or `progType`) and a total. */
export function summaryTable(
  rows: readonly ProgramRow[],
  by: 'project' | 'progType' = 'project'
): string {
  const groups = [...new Set(rows.map((r) => r[by]))].sort()
  const head = `| ${by === 'project' ? 'project' : 'type'} | programs | read | disasm | model | kernel accept/reject/other | analysis accept/reject/unsupported | agree | self-check equal/unknown/other | rewrite equal/unknown/other | searched | improved | proven | exported+loads |`
  const sep = `|${' --- |'.repeat(14)}`
  const line = (name: string, rs: readonly ProgramRow[]): string => {
    const k = (kind: string): number => count(rs, (r) => kernelKey(r.kernel) === kind)
    const a = (kind: string): number => count(rs, (r) => r.analysis.kind === kind)
    const agree = count(
      rs,
      (r) =>
        (r.analysis.kind === 'accept' && r.kernel.kind === 'accept') ||
        (r.analysis.kind === 'reject' && r.kernel.kind === 'reject')
    )
    const judged = count(
      rs,
      (r) =>
        (r.kernel.kind === 'accept' || r.kernel.kind === 'reject') && r.analysis.kind !== 'skip'
    )
    const proof = (f: (r: ProgramRow) => ProofAnswer): string => {
      const eq = count(rs, (r) => f(r).kind === 'equal')
      const unk = count(rs, (r) => f(r).kind === 'unknown')
      const other = count(rs, (r) => f(r).kind === 'notEqual' || f(r).kind === 'error')
      return `${eq}/${unk}/${other}`
    }
    return `| ${name} | ${rs.length} | ${count(rs, (r) => r.read.kind === 'ok')} | ${count(rs, (r) => r.disasm.kind === 'ok')} | ${count(rs, (r) => r.model.kind === 'ok')} | ${k('accept')}/${k('reject')}/${k('other')} | ${a('accept')}/${a('reject')}/${a('unsupported')} | ${agree}/${judged} | ${proof((r) => r.selfCheck)} | ${proof((r) => r.rewriteCheck)} | ${count(rs, (r) => r.search.kind === 'ran')} | ${count(rs, improved)} | ${count(rs, provenImproved)} | ${count(rs, (r) => loadableImproved(r) && r.exportCheck.kind === 'ok')}/${count(rs, loadableImproved)} |`
  }
  return [
    head,
    sep,
    ...groups.map((g) =>
      line(
        g,
        rows.filter((r) => r[by] === g)
      )
    ),
    line('**all**', rows)
  ].join('\n')
}

/** One line per program. */
export function programTable(rows: readonly ProgramRow[]): string {
  const head =
    '| object | section | program | type | slots | read | disasm | model | kernel | summit loader | analysis | self | rewrite | search | export | s |'
  const sep = `|${' --- |'.repeat(16)}`
  const lines = rows.map(
    (r) =>
      `| ${r.object} | ${r.section.replace(/\|/g, '\\|')} | ${r.name} | ${r.progType} | ${r.slots} | ${stepCell(r.read)} | ${stepCell(r.disasm)} | ${stepCell(r.model)} | ${kernelCell(r.kernel)} | ${kernelCell(r.summitKernel)} | ${r.analysis.kind === 'skip' ? '-' : r.analysis.kind} | ${proofCell(r.selfCheck)} | ${proofCell(r.rewriteCheck)} | ${searchCell(r)} | ${stepCell(r.exportCheck)} | ${r.seconds.toFixed(1)} |`
  )
  return [head, sep, ...lines].join('\n')
}

/** The agreement matrix as a table. */
export function matrixTable(m: AgreementMatrix): string {
  const head = '| analysis \\ kernel | accepts | rejects | other (load error, skipped) |'
  const sep = '| --- | --- | --- | --- |'
  const lines = ANALYSIS_KEYS.map((a) => {
    const c = m.counts[a]!
    return `| ${a} | ${c['accept']} | ${c['reject']} | ${c['other']} |`
  })
  return [head, sep, ...lines].join('\n')
}

/** The grouped failures as a list. */
export function failureList(groups: readonly FailureGroup[]): string {
  const out: string[] = []
  let stage = ''
  for (const g of groups) {
    if (g.stage !== stage) {
      stage = g.stage
      out.push('', `### ${stage}`, '')
    }
    out.push(`- **${g.count}** × \`${g.code}\`: ${g.line.replace(/\|/g, '\\|')}`)
    for (const e of g.examples) out.push(`  - ${e}`)
  }
  return out.join('\n').trimStart()
}

/** The whole Markdown report. */
export function markdownReport(rows: readonly ProgramRow[], header: readonly string[]): string {
  return [
    ...header,
    '',
    '## Summary by project',
    '',
    summaryTable(rows),
    '',
    '## Summary by program type',
    '',
    summaryTable(rows, 'progType'),
    '',
    '## Analysis × kernel agreement',
    '',
    matrixTable(agreementMatrix(rows)),
    '',
    '## Failures grouped by cause',
    '',
    failureList(groupFailures(rows)),
    '',
    '## Every program',
    '',
    programTable(rows),
    ''
  ].join('\n')
}
