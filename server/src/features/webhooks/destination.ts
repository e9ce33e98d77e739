import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'

/** Why a destination was refused; the service turns it into a 422 at create time and a failed delivery later. */
export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError'
}

export interface CheckedDestination {
  url: URL
  /** Every address the host resolved to, all of them checked. */
  addresses: string[]
}

/**
 * SSRF guard: resolves the host and refuses loopback, private, link-local, unspecified and multicast
 * addresses (any of them, since fetch may pick any) unless private networks are explicitly allowed.
 * @NOTE: fetch resolves the name again, so DNS that changes between this check and the connect
 * (rebinding with a zero TTL) can still reach a private address; the check runs right before each
 * attempt to keep that window small, and redirects are never followed.
 */
export async function checkDestination(raw: string, allowPrivateNetworks: boolean): Promise<CheckedDestination> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new DestinationRefusedError('The webhook URL is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DestinationRefusedError('The webhook URL must use http or https')
  if (url.username || url.password) throw new DestinationRefusedError('The webhook URL must not carry credentials')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: string[]
  if (isIP(host)) addresses = [host]
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address)
    } catch {
      throw new DestinationRefusedError(`The webhook host ${host} does not resolve`)
    }
  }
  if (addresses.length === 0) throw new DestinationRefusedError(`The webhook host ${host} does not resolve`)
  if (!allowPrivateNetworks) {
    const blocked = addresses.find(isNonPublicAddress)
    if (blocked) throw new DestinationRefusedError(`The webhook host ${host} resolves to a loopback, private or link-local address (${blocked})`)
  }
  return { url, addresses }
}

/** True for addresses a webhook must not reach from the server's network position. */
export function isNonPublicAddress(address: string): boolean {
  const version = isIP(address)
  if (version === 4) return isNonPublicV4(ipv4ToInt(address))
  if (version === 6) return isNonPublicV6(address)
  return true
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

const V4_BLOCKS: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", includes 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast
]
const V4_RANGES = V4_BLOCKS.map(([base, bits]) => ({ base: ipv4ToInt(base), size: 2 ** (32 - bits) }))

function isNonPublicV4(value: number): boolean {
  return V4_RANGES.some((range) => value >= range.base && value < range.base + range.size)
}

/** The 8 groups of an IPv6 address as numbers (an embedded dotted IPv4 tail becomes two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]!)
    text = text.slice(0, -dotted[1]!.length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const missing = tail === null ? 0 : 8 - left.length - right.length
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group || '0', 16))
}

function isNonPublicV6(address: string): boolean {
  const groups = ipv6Groups(address)
  const [first] = groups as [number]
  const zeroPrefix = groups.slice(0, 5).every((g) => g === 0)
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) reach IPv4 space: judge the embedded address.
  if (zeroPrefix && (groups[5] === 0xffff || groups[5] === 0)) {
    const embedded = groups[6]! * 65536 + groups[7]!
    if (groups[5] === 0xffff || embedded > 1) return isNonPublicV4(embedded)
    return true // :: and ::1
  }
  if ((first & 0xfe00) === 0xfc00) return true // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return true // fec0::/10 deprecated site-local
  if ((first & 0xff00) === 0xff00) return true // ff00::/8 multicast
  if (first === 0x64 && groups[1] === 0xff9b) return isNonPublicV4(groups[6]! * 65536 + groups[7]!) // 64:ff9b::/96 NAT64
  return false
}
