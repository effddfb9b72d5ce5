/** @fileoverview Writes a cpio archive in the kernel's initramfs format (SVR4 "newc", no CRC). */

/** One archive member: a directory, a regular file (with data) or a symbolic link. */
export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  readonly path: string
  /** File type and permission bits (e.g. 0o100755 for an executable, 0o40755 for a directory). */
  readonly mode: number
  /** File contents, or a symbolic link's target. */
  readonly data?: Uint8Array
}

const encoder = new TextEncoder()

function header(ino: number, e: CpioEntry, nameSize: number, fileSize: number): string {
  const isDir = (e.mode & 0o170000) === 0o040000
  const fields = [ino, e.mode, 0, 0, isDir ? 2 : 1, 0, fileSize, 0, 0, 0, 0, nameSize, 0]
  return '070701' + fields.map((f) => (f >>> 0).toString(16).padStart(8, '0')).join('')
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4

/** The newc archive of `entries` followed by the `TRAILER!!!` member. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = []
  let size = 0
  const push = (b: Uint8Array): void => {
    parts.push(b)
    size += b.length
  }
  const all = [...entries, { path: 'TRAILER!!!', mode: 0 }]
  for (const [i, e] of all.entries()) {
    const name = encoder.encode(e.path + '\0')
    const data = e.data ?? new Uint8Array(0)
    const head = encoder.encode(header(i + 1, e, name.length, data.length))
    push(head)
    push(name)
    push(new Uint8Array(pad4(head.length + name.length)))
    push(data)
    push(new Uint8Array(pad4(data.length)))
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
