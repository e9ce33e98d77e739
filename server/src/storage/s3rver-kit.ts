import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver, { type S3rverEvent } from 's3rver'

/** s3rver's built-in account: the only access key it accepts. */
export const S3RVER_KEY = 'S3RVER'

export interface TestS3 {
  endpoint: string
  bucket: string
  /** What the server did, in order: `ObjectCreated:Put <key>` (one PUT), `ObjectCreated:Post <key>` (a completed multipart upload), `ObjectRemoved:Delete <key>`. */
  events: string[]
  /** STORAGE_* / S3_* settings for a test API server. */
  env: Record<string, string>
  close(): Promise<void>
}

/**
 * s3rver (a real S3 implementation, objects on disk) on a loopback port with one bucket, for tests.
 * It checks the access key of every request but does not verify SigV4 signatures.
 */
export async function startS3(bucket = 'parley'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'parley-s3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] })
  const events: string[] = []
  server.on('event', (event: S3rverEvent) => {
    for (const record of event.Records) events.push(`${record.eventName} ${decodeURIComponent(record.s3.object.key)}`)
  })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    bucket,
    events,
    env: { STORAGE_DRIVER: 's3', S3_BUCKET: bucket, S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: S3RVER_KEY, S3_SECRET_ACCESS_KEY: S3RVER_KEY },
    async close() {
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
