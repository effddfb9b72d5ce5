/**
 * @fileoverview A vitest reporter that ends the run with the environment skips the tests printed
 * (`skipped: <what>: <why>`, each once) and one plain line: `N passed, N failed, N skipped`.
 */
import type { Reporter, TestModule } from 'vitest/node'

/** Counts test outcomes over all modules and prints the skip reasons and the summary line. */
export default class SummaryReporter implements Reporter {
  private readonly skips = new Set<string>()

  onUserConsoleLog(log: { content: string }): void {
    for (const line of log.content.split('\n'))
      if (line.startsWith('skipped: ')) this.skips.add(line.slice('skipped: '.length))
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    setImmediate(() => this.print(modules))
  }

  private print(modules: readonly TestModule[]): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++
    }
    if (this.skips.size > 0) {
      process.stdout.write(`\nSkipped for the environment (${this.skips.size}):\n`)
      for (const s of [...this.skips].sort()) process.stdout.write(`  ${s}\n`)
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
