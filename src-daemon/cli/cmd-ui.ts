/** @fileoverview `summit ui [--no-open] [--data-dir D] [--json]`: the browser UI, served by the daemon. */
import { spawn } from 'node:child_process'
import { uiUrl } from '../api/protocol/ui-address'
import { flagString, parseArgs, UsageError } from './args'
import { EXIT, type CliIo, type Command } from './command'
import { connect, dataDirOf } from './daemon-connect'
import { CliError } from './errors'
import { ensureWebBuild } from './web-build'

/** The platform's command that opens a URL in the default browser, or why there is none. */
function opener(url: string): { cmd: string; args: string[] } | { why: string } {
  if (process.platform === 'darwin') return { cmd: 'open', args: [url] }
  if (process.platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""', url] }
  if (!process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY'])
    return { why: 'no display (DISPLAY/WAYLAND_DISPLAY unset)' }
  return { cmd: 'xdg-open', args: [url] }
}

/** Opens `url` in the default browser; resolves to why it could not, or undefined. */
export function openInBrowser(url: string): Promise<string | undefined> {
  const o = opener(url)
  if ('why' in o) return Promise.resolve(o.why)
  return new Promise((resolve) => {
    const child = spawn(o.cmd, o.args, { detached: true, stdio: 'ignore' })
    child.on('error', (e) => resolve(`${o.cmd} failed: ${e.message}`))
    child.on('spawn', () => {
      child.unref()
      resolve(undefined)
    })
  })
}

/** Builds the UI if needed and connects to (or starts) the daemon; returns the UI's address. */
export async function serveUi(
  dataDir: string,
  io: CliIo
): Promise<{ url: string; pid: number; started: boolean }> {
  const failed = ensureWebBuild(io.err)
  if (failed !== undefined) throw new CliError({ code: 'UI_BUILD_FAILED', message: failed })
  const { info, started } = await connect(dataDir, true)
  return { url: uiUrl(info.url, info.token), pid: info.pid, started }
}

/** `summit ui`. */
export const uiCommand: Command = {
  name: 'ui',
  usage: 'ui [--no-open] [--data-dir D] [--json]',
  summary:
    'serves the browser UI from the daemon (starting one if none runs), prints its URL with the token and opens it',
  run: async (argv, io) => {
    const args = parseArgs(argv, { valued: ['data-dir'] })
    if (args.positionals.length > 0) throw new UsageError('takes no positional arguments')
    const dataDir = dataDirOf(flagString(args, 'data-dir'))
    const { url, pid, started } = await serveUi(dataDir, io)
    const open = !args.flags.has('no-open')
    const notOpened = open ? await openInBrowser(url) : 'not asked to (--no-open)'
    if (args.flags.has('json')) {
      io.out(JSON.stringify({ url, pid, started, dataDir, opened: notOpened === undefined }) + '\n')
      return EXIT.ok
    }
    io.out(`Summit UI: ${url}\n`)
    io.err(
      `summit ui: ${started ? 'started' : 'using'} the daemon for ${dataDir} (pid ${pid}); ` +
        `it keeps running after this command (stop it with: kill ${pid}).\n` +
        (notOpened === undefined
          ? 'summit ui: opened in your browser.\n'
          : `summit ui: not opened in a browser: ${notOpened}; open the URL above yourself.\n`) +
        'summit ui: the URL holds the access token: do not share it.\n'
    )
    return EXIT.ok
  }
}
