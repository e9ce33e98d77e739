import { S3Client } from 'bun'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { FilesConfig } from '../config'
import { newId } from '../lib/crypto'
import type { ByteRange, Storage } from './storage'

type S3Settings = Extract<FilesConfig['storage'], { driver: 's3' }>

/** Any S3-compatible bucket (AWS, MinIO, R2) through Bun's built-in client; writes are multipart and streamed. */
export class S3Storage implements Storage {
  readonly driver = 's3' as const
  readonly #client: S3Client

  constructor(settings: S3Settings, private scratchDir: string) {
    // Unset credentials fall back to Bun's S3_* / AWS_* environment lookup.
    this.#client = new S3Client({
      bucket: settings.bucket,
      endpoint: settings.endpoint,
      region: settings.region,
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
    })
  }

  async putFile(key: string, localPath: string, mime: string): Promise<void> {
    await this.#client.write(key, Bun.file(localPath), { type: mime })
    await rm(localPath, { force: true })
  }

  async read(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    const file = this.#client.file(key)
    // A Response of an S3 file would redirect to a presigned URL; the API streams it instead.
    return (range ? file.slice(range.start, range.end + 1) : file).stream()
  }

  async size(key: string): Promise<number> {
    return this.#client.size(key)
  }

  async exists(key: string): Promise<boolean> {
    return this.#client.exists(key)
  }

  async delete(key: string): Promise<void> {
    await this.#client.delete(key)
  }

  async localPath(key: string) {
    await mkdir(this.scratchDir, { recursive: true })
    const path = join(this.scratchDir, `s3-${newId()}`)
    await Bun.write(path, this.#client.file(key))
    return { path, release: () => rm(path, { force: true }) }
  }
}
