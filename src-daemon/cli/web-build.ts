/**
 * @fileoverview The browser UI's build (`out/web`, from `vite.web.config.ts`): built when missing
 * or older than its sources, so a fresh clone's `npm start` or `summit ui` has a UI to serve.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where the browser UI is built. */
export const WEB_OUT = join(REPO_ROOT, 'out/web')

/** The sources the UI bundle is built from (relative to the root; directories are walked). */
const SOURCES = [
  'src-renderer',
  'src-preload/bridge.ts',
  'src-daemon/api/protocol',
  'src-daemon/core/search/config.ts',
  'vite.web.config.ts',
  'package-lock.json'
]

/** Newest modification time (ms) under `path`. */
function newest(path: string): number {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let m = 0
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)))
  return m
}

/** Whether `out/web` is missing or older than one of its sources. */
export function webBuildStale(root = REPO_ROOT): boolean {
  const index = join(root, 'out/web/index.html')
  if (!existsSync(index)) return true
  const built = statSync(index).mtimeMs
  return SOURCES.some((s) => newest(join(root, s)) > built)
}

/**
 * Builds the browser UI when stale; resolves to undefined when it is up to date, else to why
 * it could not be built (the vite output's last lines).
 */
export function ensureWebBuild(log: (line: string) => void, root = REPO_ROOT): string | undefined {
  if (!webBuildStale(root)) return undefined
  const vite = join(root, 'node_modules/vite/bin/vite.js')
  if (!existsSync(vite)) return `vite is not installed (${vite}); run npm install`
  log('summit: building the browser UI (out/web)...\n')
  // Built beside and then moved into place, so a daemon serving out/web never sees half a build.
  const tmp = join(root, `out/web.build-${process.pid}`)
  const r = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'vite.web.config.ts', '--outDir', tmp, '--emptyOutDir'],
    { cwd: root, encoding: 'utf8', timeout: 300_000 }
  )
  if (r.status === 0 && existsSync(join(tmp, 'index.html'))) {
    rmSync(join(root, 'out/web'), { recursive: true, force: true })
    renameSync(tmp, join(root, 'out/web'))
    return undefined
  }
  rmSync(tmp, { recursive: true, force: true })
  const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n')
  return `the browser UI build failed (exit ${String(r.status)}): ${tail}`
}
