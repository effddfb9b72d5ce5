import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findInputs, hintFor, readTypeHints } from '../../bench/corpus/inputs'
import { failureLine, verifierRan } from '../../bench/corpus/libbpf-loader'
import {
  agreementMatrix,
  foldNumbers,
  groupFailures,
  markdownReport,
  rowFailures
} from '../../bench/corpus/report'
import { addSubRewrite } from '../../bench/corpus/rewrite'
import type { ProgramRow } from '../../bench/corpus/rows'
import { insn } from '../../src-daemon/core/isa/insn'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = join(ROOT, 'test/fixtures/obj')

/** A row that passed everything, to vary one field at a time. */
function row(over: Partial<ProgramRow>): ProgramRow {
  return {
    object: 'p/a.o',
    project: 'p',
    section: 'xdp',
    name: 'prog',
    progType: 'xdp',
    slots: 10,
    read: { kind: 'ok' },
    disasm: { kind: 'ok' },
    kernel: { kind: 'accept', via: 'libbpf' },
    summitKernel: { kind: 'accept', via: 'summit' },
    model: { kind: 'ok' },
    analysis: { kind: 'accept', profile: 'xdp' },
    selfCheck: { kind: 'equal', ms: 1 },
    rewriteCheck: { kind: 'equal', ms: 1 },
    search: {
      kind: 'ran',
      originalSlots: 10,
      bestSlots: 10,
      proof: { kind: 'skip', why: 'nothing shorter found' },
      accepted: true,
      seconds: 1,
      candidatesPerSecond: 1
    },
    exportCheck: { kind: 'skip', why: 'no improvement' },
    seconds: 1,
    ...over
  }
}

describe('corpus report', () => {
  it('folds numbers so one cause groups across registers and instructions', () => {
    expect(foldNumbers("R1 invalid mem access 'scalar' at insn 17 off 0x1f")).toBe(
      "RN invalid mem access 'scalar' at insn N off N"
    )
    const rows = [
      row({ object: 'p/a.o', kernel: rejected("R1 invalid mem access 'scalar'") }),
      row({ object: 'p/b.o', kernel: rejected("R7 invalid mem access 'scalar'") }),
      row({ object: 'p/c.o', kernel: rejected('unreachable insn 4') })
    ]
    const groups = groupFailures(rows)
    const scalar = groups.find((g) => g.line === "RN invalid mem access 'scalar'")
    expect(scalar?.count).toBe(2)
    expect(scalar?.examples).toEqual([
      "p/a.o [xdp]: R1 invalid mem access 'scalar'",
      "p/b.o [xdp]: R7 invalid mem access 'scalar'"
    ])
    // Each rejection the analysis accepted is also an analysis disagreement.
    expect(groups.filter((g) => g.stage === 'analysis accepts, kernel rejects')).toHaveLength(2)
  })

  it('counts the analysis × kernel matrix and names disagreements both ways', () => {
    const rows = [
      row({}),
      row({ analysis: { kind: 'reject', code: 'ANALYSIS_X', line: 'r1 is not a pointer' } }),
      row({ kernel: rejected('bad') }),
      row({ analysis: { kind: 'unsupported', why: 'type lsm is not modelled' } })
    ]
    const m = agreementMatrix(rows).counts
    expect(m['accept']).toEqual({ accept: 1, reject: 1, other: 0 })
    expect(m['reject']).toEqual({ accept: 1, reject: 0, other: 0 })
    expect(m['unsupported']).toEqual({ accept: 1, reject: 0, other: 0 })
    expect(rowFailures(rows[1]!).map((f) => f.stage)).toEqual(['analysis rejects, kernel accepts'])
    expect(rowFailures(rows[0]!)).toEqual([])
  })

  it('reports an unproven improvement and a failed export, not an unimproved search', () => {
    const unproven = row({
      search: {
        kind: 'ran',
        originalSlots: 10,
        bestSlots: 8,
        proof: { kind: 'unknown', reason: 'timeout', ms: 20_000 },
        accepted: true,
        seconds: 1,
        candidatesPerSecond: 1
      },
      exportCheck: { kind: 'fail', code: 'ELF_RELOCATION_ON_REMOVED_INS', line: 'insn 18' }
    })
    expect(rowFailures(unproven).map((f) => `${f.stage}: ${f.code}`)).toEqual([
      'final check of the best: UNKNOWN',
      'export: ELF_RELOCATION_ON_REMOVED_INS'
    ])
    const md = markdownReport([unproven], ['# test'])
    expect(md).toContain('## Analysis × kernel agreement')
    expect(md).toContain('| p/a.o | xdp | prog | xdp | 10 | ok | ok | ok | accept |')
    expect(md).toContain('10→8 unknown')
  })
})

function rejected(line: string): ProgramRow['kernel'] {
  return { kind: 'reject', via: 'libbpf', code: 'errno 13', line }
}

describe('corpus helpers', () => {
  it("takes the verifier's reason from libbpf's output, or libbpf's own warning", () => {
    const said = [
      "libbpf: prog 'p': BPF program load failed: Permission denied",
      "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --",
      '0: (61) r2 = *(u32 *)(r1 +0)',
      "R1 invalid mem access 'scalar'",
      'processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0',
      '-- END PROG LOAD LOG --',
      "libbpf: prog 'p': failed to load: -13"
    ].join('\n')
    expect(verifierRan(said)).toBe(true)
    expect(failureLine(said)).toBe("R1 invalid mem access 'scalar'")
    const mapFail =
      "libbpf: map 'm': failed to create: Invalid argument(-22)\nlibbpf: failed to load object 'x.o'\n"
    expect(verifierRan(mapFail)).toBe(false)
    expect(failureLine(mapFail)).toBe("map 'm': failed to create: Invalid argument(-22)")
  })

  it('rewrites the first add/sub immediate, never the data half of an ld_imm64', () => {
    const slots = [insn(0x18, 1, 0, 0, 7), insn(0x07, 0, 0, 0, 99), insn(0x07, 2, 0, 0, -8)]
    const r = addSubRewrite(slots)
    expect(r?.index).toBe(2)
    expect(r?.slots[2]).toEqual(insn(0x17, 2, 0, 0, 8))
    expect(slots[2]).toEqual(insn(0x07, 2, 0, 0, -8))
    expect(addSubRewrite([insn(0x04, 1, 0, 0, -0x80000000), insn(0x95)])).toBeUndefined()
  })

  it('finds objects and K2 triples and reads type hints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-inputs-'))
    try {
      mkdirSync(join(dir, 'p'))
      writeFileSync(join(dir, 'p/a.o'), '')
      writeFileSync(join(dir, 'p/k.insns'), '')
      writeFileSync(join(dir, 'p/k.desc'), '')
      writeFileSync(join(dir, 'p/bare.insns'), '')
      writeFileSync(
        join(dir, 'types.tsv'),
        'object\tsection\ttype\np/a.o\t*\tsched_cls\np/a.o\tfilter\tsocket_filter\n'
      )
      expect(findInputs(dir).map((i) => `${i.project}:${i.rel}`)).toEqual([
        'p:p/a.o',
        'p:p/k.insns'
      ])
      const hints = readTypeHints(dir)
      expect(hintFor(hints, 'p/a.o', 'filter')).toBe('socket_filter')
      expect(hintFor(hints, 'p/a.o', '2/1')).toBe('sched_cls')
      expect(hintFor(hints, 'p/b.o', '2/1')).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('npm run bench -- corpus', () => {
  it('answers every stage for a real object and groups the failure of an unreadable one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-run-'))
    try {
      mkdirSync(join(dir, 'fixtures'))
      copyFileSync(join(FIXTURES, 'kprobe_counter.o'), join(dir, 'fixtures/kprobe_counter.o'))
      writeFileSync(join(dir, 'fixtures/broken.o'), '\x7fELF\x02\x01\x01 not an object')
      const md = join(dir, 'report.md')
      const r = spawnSync(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'bench/corpus.ts'), dir, '--time', '1', '--json', '--markdown', md],
        { encoding: 'utf8', timeout: 120_000 }
      )
      expect(r.status, r.stderr).toBe(0)
      const doc = JSON.parse(r.stdout) as {
        environment: string[]
        rows: ProgramRow[]
        failures: { stage: string; code: string; count: number }[]
      }
      expect(doc.rows.map((x) => `${x.object} ${x.section}`)).toEqual([
        'fixtures/broken.o -',
        'fixtures/kprobe_counter.o kprobe/do_sys_openat2'
      ])
      const [broken, kprobe] = doc.rows as [ProgramRow, ProgramRow]
      expect(broken.read).toEqual({
        kind: 'fail',
        code: 'ELF_TRUNCATED',
        line: expect.stringContaining('shorter than the ELF header') as unknown as string
      })
      expect(doc.failures).toContainEqual(
        expect.objectContaining({ stage: 'read', code: 'ELF_TRUNCATED', count: 1 })
      )
      expect(kprobe.read.kind).toBe('ok')
      expect(kprobe.disasm.kind).toBe('ok')
      expect(kprobe.model.kind).toBe('ok')
      expect(kprobe.progType).toBe('kprobe')
      expect(kprobe.analysis).toEqual({ kind: 'accept', profile: 'kprobe' })
      expect(kprobe.selfCheck.kind).toBe('equal')
      expect(kprobe.rewriteCheck.kind).toBe('equal')
      expect(kprobe.search.kind).toBe('ran')
      const bpf = doc.environment[0]!.includes('BPF available')
      if (!bpf) console.log(`[corpus bench] kernel columns skipped: ${doc.environment[0]}`)
      expect(kprobe.kernel.kind).toBe(bpf ? 'accept' : 'skip')
      // A proven improvement must be written, read back and (with BPF) loaded.
      if (kprobe.search.kind === 'ran' && kprobe.search.bestSlots < kprobe.search.originalSlots) {
        expect(kprobe.search.proof.kind).toBe('equal')
        expect(kprobe.exportCheck.kind).toBe('ok')
      }
      const report = readFileSync(md, 'utf8')
      expect(report).toContain('| fixtures | 2 | 1 | 1 | 1 |')
      expect(report).toContain('| kprobe | 1 | 1 | 1 | 1 |')
      // The stored document renders the same report without a run.
      const stored = join(dir, 'run.json')
      writeFileSync(stored, r.stdout)
      const again = spawnSync(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'bench/corpus.ts'), '--from-json', stored],
        { encoding: 'utf8', timeout: 60_000 }
      )
      expect(again.status, again.stderr).toBe(0)
      expect(again.stdout).toBe(report)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
