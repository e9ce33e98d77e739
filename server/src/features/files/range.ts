import { AppError } from '../../errors'
import type { ByteRange } from '../../storage/storage'

export class RangeNotSatisfiableError extends AppError {
  static override status = 416
  static override code = 'RANGE_NOT_SATISFIABLE'
}

/**
 * One `Range: bytes=…` of a file of `size` bytes (first-last, first- or -suffix). No header, another
 * unit or several ranges: null, and the whole file is sent (RFC 9110 lets a server ignore Range).
 */
export function parseRange(header: string | undefined | null, size: number): ByteRange | null {
  if (!header) return null
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return null
  const [, first, last] = match as unknown as [string, string, string]
  if (!first && !last) return null
  let start: number
  let end: number
  if (!first) {
    const suffix = Number(last)
    if (suffix === 0) throw unsatisfiable(size)
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(first)
    end = last ? Math.min(Number(last), size - 1) : size - 1
    if (last && Number(last) < start) return null
  }
  if (start >= size) throw unsatisfiable(size)
  return { start, end }
}

function unsatisfiable(size: number): RangeNotSatisfiableError {
  return new RangeNotSatisfiableError(`The file has ${size} bytes`, { details: { size } })
}
