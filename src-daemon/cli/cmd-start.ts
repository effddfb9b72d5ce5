/**
 * @fileoverview `summit start` (`npm start`): opens the desktop app; where Electron's binary or a
 * display is missing, says so and serves the browser UI instead. At a terminal it opens the UI
 * (the daemon keeps running); without one (CI=1, no TTY) it serves the UI while a short
 * demonstration search runs, then stops everything and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process'
import { flagString, parseArgs, UsageError } from './args'
import { EXIT, type CliIo, type Command } from './command'
import { openInBrowser, serveUi } from './cmd-ui'
import { dataDirOf } from './daemon-connect'
import { findElectron } from './electron-shell'
import { startDemo } from './start-demo'
import { ensureWebBuild, REPO_ROOT } from './web-build'
import { CliError } from './errors'

/** Builds and launches the Electron app; resolves when it exits. */
async function launchDesktop(binary: string, io: CliIo): Promise<number> {
  io.err('summit: building the desktop app...\n')
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' })
  if (build.status !== 0) return EXIT.error
  return await new Promise((resolve) => {
    const child = spawn(binary, ['.'], { cwd: REPO_ROOT, stdio: 'inherit' })
    child.on('exit', (code) => resolve(code ?? EXIT.error))
    child.on('error', () => resolve(EXIT.error))
  })
}

/** Whether someone is at a terminal to use what `start` opens (not CI, stdin and stdout TTYs). */
export function interactive(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci =
    env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== '0' && env['CI'] !== 'false'
  return !ci && process.stdin.isTTY === true && process.stdout.isTTY === true
}

/** `summit start`. */
export const startCommand: Command = {
  name: 'start',
  usage: 'start [--demo] [--data-dir D]',
  summary:
    'opens the desktop app; without Electron, the browser UI (at a terminal) or a short demonstration (CI, no TTY)',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['data-dir'] })
    if (args.positionals.length > 0) throw new UsageError('takes no positional arguments')
    const shell = findElectron()
    if (shell.available && !args.flags.has('demo')) return await launchDesktop(shell.binary, io)
    if (!shell.available)
      io.err(
        `summit: the desktop shell is missing: ${shell.reason}.\n` +
          '  Electron downloads its binary from outside the npm registry; where that is not possible\n' +
          '  the same workbench runs in a browser, served by the daemon.\n\n'
      )
    const failed = ensureWebBuild(io.err)
    if (failed !== undefined) throw new CliError({ code: 'UI_BUILD_FAILED', message: failed })
    if (args.flags.has('demo') || !interactive()) {
      io.err(
        'summit: no terminal (or CI is set): serving the browser UI for a short demonstration, then exiting.\n\n'
      )
      return await startDemo(io)
    }
    const { url, pid, started } = await serveUi(dataDirOf(flagString(args, 'data-dir')), io)
    const notOpened = await openInBrowser(url)
    io.out(`Summit UI: ${url}\n`)
    io.err(
      `summit: ${started ? 'started' : 'using'} the daemon (pid ${pid}); it keeps running, and so do its searches.\n` +
        (notOpened === undefined
          ? 'summit: opened the UI in your browser.\n'
          : `summit: open the URL above in a browser (${notOpened}).\n`) +
        'summit: the URL holds the access token: do not share it.\n'
    )
    return EXIT.ok
  }
}
