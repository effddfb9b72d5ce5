/** @fileoverview The README names exactly the system packages CI installs (one list, no drift). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/environment'

const listed = readFileSync(join(REPO_ROOT, 'scripts/system-packages.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))

describe('system packages', () => {
  it('the README lists the packages of scripts/system-packages.txt, in order', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ')
    const m = /scripts\/system-packages\.txt`, which CI installs too: `([^`]+)`/.exec(readme)
    expect(m, 'README sentence naming the package list').not.toBeNull()
    expect(m![1]!.split(' ')).toEqual(listed)
  })

  it('CI installs them through the one script', () => {
    const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8')
    expect(ci).toContain('sh scripts/install-system-packages.sh')
    expect(ci).not.toMatch(/apt-get install/)
    expect(listed.length).toBeGreaterThanOrEqual(5)
  })
})
