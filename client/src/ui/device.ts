/** A short human name for a user agent string: "Chrome 156 on Linux". */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device'
  const browser =
    /Edg\/(\d+)/.exec(userAgent)?.[1] ? `Edge ${/Edg\/(\d+)/.exec(userAgent)![1]}` :
    /Firefox\/(\d+)/.exec(userAgent)?.[1] ? `Firefox ${/Firefox\/(\d+)/.exec(userAgent)![1]}` :
    /Chrom(?:e|ium)\/(\d+)/.exec(userAgent)?.[1] ? `Chrome ${/Chrom(?:e|ium)\/(\d+)/.exec(userAgent)![1]}` :
    /Version\/(\d+).*Safari/.exec(userAgent)?.[1] ? `Safari ${/Version\/(\d+).*Safari/.exec(userAgent)![1]}` :
    userAgent.split(/[\s/]/)[0] || 'Unknown client'
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : null
  return os ? `${browser} on ${os}` : browser
}
