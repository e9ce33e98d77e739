import { session } from '../api/session'
import { refreshSession } from '../api/client'

export interface UploadedFile {
  id: string
  name: string
  mime: string
  kind: string
  size: number
}

/** Files up to this size go in one request; larger ones in resumable chunks (see docs/FILES.md). */
const SIMPLE_MAX_BYTES = 16 * 1024 * 1024
const CHUNK_BYTES = 8 * 1024 * 1024

export class UploadError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

interface XhrResult {
  status: number
  body: unknown
  headers: (name: string) => string | null
}

// XMLHttpRequest, because fetch reports no upload progress.
function xhr(method: string, path: string, body: Blob | string | null, headers: Record<string, string>, onProgress: (sent: number) => void, signal: AbortSignal): Promise<XhrResult> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open(method, path)
    const token = session()?.accessToken
    if (token) request.setRequestHeader('authorization', `Bearer ${token}`)
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value)
    request.upload.onprogress = (event) => onProgress(event.loaded)
    request.onload = () => {
      let parsed: unknown = null
      try {
        parsed = request.responseText ? JSON.parse(request.responseText) : null
      } catch {
        parsed = null
      }
      resolve({ status: request.status, body: parsed, headers: (name) => request.getResponseHeader(name) })
    }
    request.onerror = () => reject(new UploadError('NETWORK', 'The upload could not reach the server'))
    request.onabort = () => reject(new UploadError('CANCELLED', 'Upload cancelled'))
    signal.addEventListener('abort', () => request.abort(), { once: true })
    request.send(body)
  })
}

async function authorized(send: () => Promise<XhrResult>): Promise<XhrResult> {
  let result = await send()
  const code = (result.body as { error?: { code?: string } } | null)?.error?.code
  if (result.status === 401 && code === 'TOKEN_EXPIRED' && (await refreshSession())) result = await send()
  if (result.status >= 400) {
    const error = (result.body as { error?: { code?: string; message?: string } } | null)?.error
    throw new UploadError(error?.code ?? 'UPLOAD_FAILED', error?.message ?? `Upload failed (${result.status})`)
  }
  return result
}

/** Uploads one file, reporting bytes sent; resumable in chunks when large. Abort with the signal. */
export async function uploadFile(file: File, onProgress: (fraction: number) => void, signal: AbortSignal, options: { voice?: boolean } = {}): Promise<UploadedFile> {
  if (file.size <= SIMPLE_MAX_BYTES) {
    const result = await authorized(() => xhr('POST', `/files?name=${encodeURIComponent(file.name || 'file')}${options.voice ? '&voice=true' : ''}`, file, { 'content-type': file.type && !file.type.includes('json') ? file.type : 'application/octet-stream' }, (sent) => onProgress(sent / Math.max(1, file.size)), signal))
    onProgress(1)
    return result.body as UploadedFile
  }
  const created = await authorized(() => xhr('POST', '/files/uploads', JSON.stringify({ name: file.name || 'file', size: file.size }), { 'content-type': 'application/json' }, () => undefined, signal))
  const upload = created.body as { id: string; offset: number; chunkMaxBytes: number }
  const chunk = Math.min(CHUNK_BYTES, upload.chunkMaxBytes)
  let offset = upload.offset
  try {
    while (offset < file.size) {
      const start = offset
      const result = await authorized(() => xhr('PATCH', `/files/uploads/${upload.id}`, file.slice(start, start + chunk), { 'upload-offset': String(start), 'content-type': 'application/octet-stream' }, (sent) => onProgress((start + sent) / file.size), signal))
      offset = Number(result.headers('upload-offset') ?? start + chunk)
    }
    const done = await authorized(() => xhr('POST', `/files/uploads/${upload.id}/complete`, null, {}, () => undefined, signal))
    onProgress(1)
    return done.body as UploadedFile
  } catch (error) {
    if (error instanceof UploadError && error.code === 'CANCELLED') void fetch(`/files/uploads/${upload.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${session()?.accessToken ?? ''}` } }).catch(() => undefined)
    throw error
  }
}
