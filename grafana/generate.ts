/**
 * `npm run grafana` writes the committed fleet provisioning under
 * grafana/provisioning; `npm run grafana -- --check` fails when the committed
 * files differ from what the code generates.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fleetBundle, type BundleFile } from './provisioning.ts'

export const committedRoot = join(dirname(fileURLToPath(import.meta.url)), 'provisioning')

/** Writes a bundle under `root`; files with a password are made owner-only. */
export function writeBundle(root: string, files: BundleFile[]): string[] {
  return files.map((file) => {
    const path = join(root, file.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, file.content, { mode: file.secret ? 0o600 : 0o644 })
    if (file.secret) chmodSync(path, 0o600)
    return path
  })
}

/** Paths under `root` whose content differs from the bundle's. */
export function staleFiles(root: string, files: BundleFile[]): string[] {
  return files
    .filter((file) => {
      try {
        return readFileSync(join(root, file.path), 'utf8') !== file.content
      } catch {
        return true
      }
    })
    .map((file) => file.path)
}

const isMain = import.meta.url === `file://${process.argv[1]}`
if (isMain) {
  const files = fleetBundle()
  if (process.argv.includes('--check')) {
    const stale = staleFiles(committedRoot, files)
    for (const path of stale) console.error(`out of date: grafana/provisioning/${path}`)
    process.exit(stale.length ? 1 : 0)
  }
  for (const path of writeBundle(committedRoot, files)) console.log(`wrote ${path}`)
}
