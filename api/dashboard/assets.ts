/**
 * The dashboard's static files, read once at start. Served from this origin
 * because the CSP allows scripts and styles from 'self' only; revalidated by
 * ETag so a new release is picked up at the next page load.
 */
import type { Context } from 'hono'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ApiError } from '../problems.ts'

const types: Record<string, string> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
}

interface Asset {
  body: Uint8Array<ArrayBuffer>
  type: string
  etag: string
}

const assets = new Map<string, Asset>(
  Object.entries(types).map(([name, type]) => {
    const body = new Uint8Array(readFileSync(new URL(`./assets/${name}`, import.meta.url)))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    return [name, { body, type, etag }]
  }),
)

export function serveAsset(c: Context) {
  const asset = assets.get(c.req.param('file') ?? '')
  if (!asset) throw new ApiError('not-found', 'no such file')

  const headers = { 'content-type': asset.type, 'cache-control': 'no-cache', etag: asset.etag }
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers)
  return c.body(asset.body, 200, headers)
}
