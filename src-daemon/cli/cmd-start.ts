/** @fileoverview `summit start`: opens the desktop app, or explains its absence and runs the main job headless. */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXIT, type CliIo, type Command } from './command'
import { findElectron } from './electron-shell'
import { main } from './main'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SAMPLE = fileURLToPath(new URL('../../resources/samples/redundant_xdp.o', import.meta.url))

/** Builds and launches the Electron app; resolves when it exits. */
async function launchDesktop(binary: string, io: CliIo): Promise<number> {
  io.err('summit: building the desktop app...\n')
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) return EXIT.error
  return await new Promise((resolve) => {
    const child = spawn(binary, ['.'], { cwd: ROOT, stdio: 'inherit' })
    child.on('exit', (code) => resolve(code ?? EXIT.error))
    child.on('error', () => resolve(EXIT.error))
  })
}

/** The headless main job on the bundled sample program: inspect, optimize, show the result. */
async function headlessJob(io: CliIo): Promise<number> {
  const out = join(mkdtempSync(join(tmpdir(), 'summit-start-')), 'redundant_xdp.opt.o')
  io.out(`Running Summit headless on the bundled sample ${SAMPLE}:\n\n`)
  const steps = [
    ['info', SAMPLE],
    ['disasm', SAMPLE],
    ['optimize', SAMPLE, '--time', '5', '--out', out],
    ['disasm', out]
  ]
  for (const argv of steps) {
    io.out(`$ summit ${argv.join(' ')}\n`)
    const code = await main(argv, io)
    if (code !== EXIT.ok) return code
    io.out('\n')
  }
  return EXIT.ok
}

/** `summit start`. */
export const startCommand: Command = {
  name: 'start',
  usage: 'start',
  summary: 'opens the desktop app, or runs the main job headless where Electron is missing',
  run: async (_argv, io) => {
    const shell = findElectron()
    if (shell.available) return await launchDesktop(shell.binary, io)
    io.err(
      `summit: the desktop shell is not available: ${shell.reason}.\n` +
        '  Electron downloads its binary from outside the npm registry; where that is not possible\n' +
        '  everything else still works: use the CLI (`npm run summit -- help`).\n\n'
    )
    return await headlessJob(io)
  }
}
