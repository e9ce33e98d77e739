// s3rver ships no types; only what the test kit uses is declared.
declare module 's3rver' {
  import type { EventEmitter } from 'node:events'

  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory: string
    resetOnClose?: boolean
    allowMismatchedSignatures?: boolean
    vhostBuckets?: boolean
    configureBuckets?: Array<{ name: string; configs: Array<string | Buffer> }>
  }

  export interface S3rverEvent {
    Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size?: number } } }>
  }

  export default class S3rver extends EventEmitter {
    constructor(options: S3rverOptions)
    run(): Promise<{ address: string; port: number }>
    close(): Promise<void>
  }
}
