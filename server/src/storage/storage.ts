import type { FilesConfig } from '../config'
import { LocalStorage } from './local'
import { S3Storage } from './s3'

export interface ByteRange {
  /** First byte, inclusive. */
  start: number
  /** Last byte, inclusive (HTTP Range semantics). */
  end: number
}

/**
 * Where finished files live. Keys are ours (`files/<id>/<variant>`), never derived from client
 * names. Uploads are staged on local disk first, so every backend only ever takes whole files.
 */
export interface Storage {
  readonly driver: 'local' | 's3'
  /** Moves a finished local file under `key` (streamed, never held in memory); the local file is gone afterwards. */
  putFile(key: string, localPath: string, mime: string): Promise<void>
  /** The bytes of `key` (or of one range of it) as a response body. */
  read(key: string, range?: ByteRange): Promise<Blob | ReadableStream<Uint8Array>>
  size(key: string): Promise<number>
  exists(key: string): Promise<boolean>
  /** Idempotent: deleting a missing key is fine. */
  delete(key: string): Promise<void>
  /** A local path with the bytes of `key` for tools that need one (sharp, ffmpeg); `release` removes any temporary copy. */
  localPath(key: string): Promise<{ path: string; release(): Promise<void> }>
}

export function createStorage(config: FilesConfig): Storage {
  return config.storage.driver === 'local' ? new LocalStorage(config.storage.dir) : new S3Storage(config.storage, config.stagingDir)
}
