import { request } from 'node:http'

export interface RawResponse {
  status: number
  headers: Headers
  text: string
  /** The parsed body when it is JSON, else undefined. */
  json: any
}

/**
 * One HTTP request with exactly the headers and bytes given, which fetch refuses for some cases
 * (a body on GET, a Content-Length of our choosing).
 */
export function sendRaw(baseUrl: string, method: string, path: string, options: { headers?: Record<string, string | number>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const url = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const headers = new Headers()
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
        let json: any
        try {
          json = text ? JSON.parse(text) : undefined
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers, text, json })
      })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}
