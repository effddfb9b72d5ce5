/**
 * @fileoverview The small virtual machine `kernel-check --kernel IMAGE` runs another kernel's
 * verifier in: a minimal initramfs (busybox, the kernel helper and the shared libraries `ldd`
 * names) built on demand and cached, and the QEMU command (TCG, no KVM) whose first serial port
 * is the helper's stdin/stdout.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { writeCpio, type CpioEntry } from '../../core/formats/cpio'

const execFileAsync = promisify(execFile)

/** The line the VM's init prints on the helper's port once the helper is about to start. */
export const VM_READY_MARKER = 'SUMMIT-VM-READY'

/** QEMU's binary (Debian package qemu-system-x86). */
export const QEMU = 'qemu-system-x86_64'

/** The VM's /init: mounts, a raw serial port, the helper on it, then power off. */
const INIT = `#!/bin/busybox sh
# Summit kernel-check VM: the helper talks JSON lines on ttyS0, logs go to ttyS1.
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sysfs /sys
$b mount -t devtmpfs devtmpfs /dev
# Held open from here on: a serial port nobody holds open drops what it receives.
exec 4<>/dev/ttyS0
$b stty -F /dev/ttyS0 raw -echo
echo "${VM_READY_MARKER} $($b uname -r)" > /dev/ttyS0
/bin/summit-bpf < /dev/ttyS0 > /dev/ttyS0 2> /dev/ttyS1
$b poweroff -f
`

/** Summit's cache directory: $SUMMIT_CACHE_DIR, else $XDG_CACHE_HOME/summit, else ~/.cache/summit. */
export function summitCacheDir(): string {
  const own = process.env['SUMMIT_CACHE_DIR']
  if (own) return own
  const xdg = process.env['XDG_CACHE_HOME']
  return join(xdg ? xdg : join(homedir(), '.cache'), 'summit')
}

/** The first `name` on PATH (or in /bin, /usr/bin). */
export function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/bin']
  return dirs
    .filter((d) => d !== '')
    .map((d) => join(d, name))
    .find((p) => existsSync(p))
}

/** Shared libraries (and the loader) `ldd` lists for `binary`; none for a static binary. */
async function sharedLibraries(binary: string): Promise<string[]> {
  let text: string
  try {
    text = (await execFileAsync('ldd', [binary])).stdout
  } catch (e) {
    const out = String((e as { stdout?: unknown }).stdout ?? '')
    if (/not a dynamic executable|statically linked/.test(out + String(e))) return []
    throw new Error(`ldd ${binary} failed: ${String(e)}`)
  }
  return [...text.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((m) => m[1]!)
}

/** Directory entries for every parent of `path` not yet in `dirs`. */
function parents(path: string, dirs: Set<string>, out: CpioEntry[]): void {
  const d = dirname(path)
  if (d === '.' || d === '' || dirs.has(d)) return
  parents(d, dirs, out)
  dirs.add(d)
  out.push({ path: d, mode: 0o40755 })
}

/** The initramfs image for the helper at `helper`, or the reason it cannot be built. */
export async function ensureInitramfs(
  helper: string
): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  const busybox = findOnPath('busybox')
  if (busybox === undefined)
    return {
      ok: false,
      reason: 'busybox is not installed (Debian: apt-get install busybox-static)'
    }
  const entries: CpioEntry[] = []
  const dirs = new Set<string>()
  const file = (path: string, data: Uint8Array, mode = 0o100755): void => {
    parents(path, dirs, entries)
    entries.push({ path, mode, data })
  }
  for (const d of ['dev', 'proc', 'sys', 'tmp']) parents(`${d}/x`, dirs, entries)
  file('init', new TextEncoder().encode(INIT))
  file('bin/busybox', readFileSync(busybox))
  file('bin/summit-bpf', readFileSync(helper))
  try {
    const libs = new Set([...(await sharedLibraries(helper)), ...(await sharedLibraries(busybox))])
    for (const lib of [...libs].sort()) file(lib.slice(1), readFileSync(lib))
  } catch (e) {
    return { ok: false, reason: `cannot collect the helper's libraries: ${String(e)}` }
  }
  const image = writeCpio(entries)
  const hash = createHash('sha256').update(image).digest('hex').slice(0, 16)
  const dir = join(summitCacheDir(), 'vm')
  const path = join(dir, `initramfs-${hash}.cpio`)
  if (!existsSync(path)) {
    try {
      mkdirSync(dir, { recursive: true })
      const tmp = `${path}.${process.pid}.tmp`
      writeFileSync(tmp, image)
      renameSync(tmp, path)
    } catch (e) {
      return { ok: false, reason: `cannot write the initramfs under ${dir}: ${String(e)}` }
    }
  }
  return { ok: true, path }
}

/** A fresh file for the VM's console log (kernel messages and the helper's stderr). */
export function consoleLogPath(): string {
  return join(tmpdir(), `summit-vm-${process.pid}-${Date.now()}.log`)
}

/** The QEMU arguments that boot `kernel` with `initramfs` (TCG, 512 MiB, one CPU). */
export function qemuArgs(kernel: string, initramfs: string, consoleLog: string): string[] {
  return [
    '-accel',
    'tcg',
    '-m',
    '512',
    '-smp',
    '1',
    '-display',
    'none',
    '-nodefaults',
    '-no-reboot',
    '-kernel',
    kernel,
    '-initrd',
    initramfs,
    '-append',
    'console=ttyS1 panic=-1 quiet',
    '-serial',
    'stdio',
    '-serial',
    `file:${consoleLog}`
  ]
}
