/** @fileoverview Test-only helpers to run llvm-objdump / clang and parse llvm-objdump's instruction lines. */
import { execFileSync } from 'node:child_process'
import { hasTool as hasInstalled } from '../../support/environment'

/** True when `tool` (from Debian's llvm or clang package) is installed; prints the skip if not. */
export function hasTool(tool: string): boolean {
  return hasInstalled(tool, `tests comparing with ${tool}`, tool === 'clang' ? 'clang' : 'llvm')
}

/** Raw `llvm-objdump -d [extra]` output for an object file. */
export function objdumpRaw(file: string, extra: string[] = [], cwd?: string): string {
  return execFileSync('llvm-objdump', ['-d', ...extra, file], {
    encoding: 'utf8',
    ...(cwd !== undefined ? { cwd } : {})
  })
}

/** One instruction line of llvm-objdump output. */
export interface ObjdumpLine {
  /** Section the line belongs to. */
  section: string
  /** Slot index printed at the start of the line. */
  index: number
  /** The hex bytes column. */
  bytes: string
  /** Instruction text with any trailing branch annotation (` <sym+0x..>`) removed. */
  text: string
}

/** Parses the instruction lines of an `llvm-objdump -d` output, by section. */
export function parseObjdump(out: string): ObjdumpLine[] {
  const lines: ObjdumpLine[] = []
  let section = ''
  for (const l of out.split('\n')) {
    const s = /^Disassembly of section (.*):$/.exec(l)
    if (s) {
      section = s[1] ?? ''
      continue
    }
    const m = /^\s+(\d+):\t([0-9a-f ]+)\t(.*)$/.exec(l)
    if (!m) continue
    let text = m[3] ?? ''
    if (/^(if |goto |gotol )/.test(text)) text = text.replace(/ <[^<>]*>$/, '')
    lines.push({ section, index: Number(m[1]), bytes: m[2] ?? '', text })
  }
  return lines
}
