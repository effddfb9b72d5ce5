/** @fileoverview `summit start`: opens the desktop app, or explains its absence and runs the main job headless. */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { EXIT, type CliIo, type Command } from './command'
import { findElectron } from './electron-shell'
import { main } from './main'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SAMPLE = fileURLToPath(new URL('../../resources/samples/xdp_udp_filter.o', import.meta.url))

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

/** The headless main job on the bundled sample program. */
async function headlessJob(io: CliIo): Promise<number> {
  io.out(`Running Summit headless on the bundled sample ${SAMPLE}:\n\n`)
  for (const argv of [
    ['info', SAMPLE],
    ['disasm', SAMPLE, '--syntax', 'llvm']
  ]) {
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
