/** @fileoverview `summit daemon [--data-dir D] [--port N] [--cores N] [--allow-origin O] [--new-token]`: runs the daemon in the foreground until SIGTERM/SIGINT. */
import { startDaemon } from '../daemon/daemon'
import { flagInt, flagString, parseArgs, UsageError } from './args'
import { EXIT, type Command } from './command'
import { dataDirOf } from './daemon-connect'
import { CliError } from './errors'

/** `summit daemon`. */
export const daemonCommand: Command = {
  name: 'daemon',
  usage:
    'daemon [--data-dir D] [--port N] [--cores N] [--allow-origin ORIGIN] [--new-token] [--checkpoint-ms MS] [--save-ms MS] [--json]',
  summary: 'runs the background daemon (one per data directory) until SIGTERM or SIGINT',
  run: async (argv, io) => {
    const args = parseArgs(argv, {
      valued: ['data-dir', 'port', 'cores', 'allow-origin', 'checkpoint-ms', 'save-ms']
    })
    if (args.positionals.length > 0) throw new UsageError('takes no positional arguments')
    const dataDir = dataDirOf(flagString(args, 'data-dir'))
    const port = flagInt(args, 'port', 0)
    if (port > 65535) throw new UsageError('--port must be at most 65535')
    const cores = flagInt(args, 'cores', 0)
    const origin = flagString(args, 'allow-origin')
    const checkpointMs = flagInt(args, 'checkpoint-ms', 3000)
    const saveMs = flagInt(args, 'save-ms', 1000)
    if (checkpointMs < 100 || saveMs < 100)
      throw new UsageError('--checkpoint-ms and --save-ms must be at least 100')
    let r: Awaited<ReturnType<typeof startDaemon>>
    try {
      r = await startDaemon({
        dataDir,
        port,
        checkpointMs,
        saveMs,
        newToken: args.flags.has('new-token'),
        ...(cores > 0 ? { coreLimit: cores } : {}),
        ...(origin !== undefined ? { allowedOrigins: origin.split(',') } : {})
      })
    } catch (e) {
      const code = (e as { code?: unknown }).code
      if (code === 'EROFS' || code === 'EACCES' || code === 'ENOSPC' || code === 'EPERM')
        throw new CliError({
          code: 'DATA_DIR_UNWRITABLE',
          message: `cannot write the data directory ${dataDir} (${String(code)}): ${(e as Error).message}`
        })
      throw e
    }
    const json = args.flags.has('json')
    if (r.kind === 'running') {
      const url = r.info?.url ?? '(starting)'
      if (json) io.out(JSON.stringify({ running: true, pid: r.pid, url, dataDir }) + '\n')
      else io.out(`summit daemon: already running for ${dataDir} (pid ${r.pid}, ${url})\n`)
      return EXIT.ok
    }
    const { info } = r.daemon
    if (json)
      io.out(JSON.stringify({ running: true, pid: info.pid, url: info.url, dataDir }) + '\n')
    else io.out(`summit daemon: listening on ${info.url} (pid ${info.pid}, data ${dataDir})\n`)
    await new Promise<void>((resolve) => {
      const onSignal = (): void => {
        process.off('SIGTERM', onSignal)
        process.off('SIGINT', onSignal)
        io.err('summit daemon: stopping (chains checkpoint)\n')
        void r.daemon.stop().then(resolve)
      }
      process.on('SIGTERM', onSignal)
      process.on('SIGINT', onSignal)
    })
    return EXIT.ok
  }
}
