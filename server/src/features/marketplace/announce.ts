import { ValidationError } from '../../errors'

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'))

/** The pattern only says "three upper-case letters"; this refuses codes ISO 4217 does not have. */
export function assertKnownCurrency(currency: string): void {
  if (!KNOWN_CURRENCIES.has(currency)) throw new ValidationError(`${currency} is not an ISO 4217 currency`, { code: 'UNKNOWN_CURRENCY', details: { currency } })
}

/** Minor units to display text, e.g. 12050 EUR → "€120.50", 500 JPY → "¥500" (the currency decides the decimals). */
export function formatMoney(minor: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency })
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2
  return format.format(minor / 10 ** digits)
}

interface Deal {
  title: string
  amountMinor: number
  currency: string
}

const others = (count: number, what: string) => (count === 0 ? '' : ` (${count} other open ${count === 1 ? 'offer' : 'offers'} ${what})`)

/** The system-message texts, one per state change; names are display names at the time of the change. */
export const announce = {
  listed: (seller: string, deal: Deal) => `📦 ${seller} listed ${deal.title} for ${formatMoney(deal.amountMinor, deal.currency)}`,
  offered: (buyer: string, deal: Deal) => `💬 ${buyer} offered ${formatMoney(deal.amountMinor, deal.currency)} for ${deal.title}`,
  accepted: (seller: string, buyer: string, deal: Deal, declined: number) =>
    `🤝 ${seller} accepted ${buyer}'s offer of ${formatMoney(deal.amountMinor, deal.currency)} for ${deal.title}${others(declined, 'declined')}`,
  declined: (seller: string, buyer: string, deal: Deal) => `✖️ ${seller} declined ${buyer}'s offer of ${formatMoney(deal.amountMinor, deal.currency)} for ${deal.title}`,
  cancelled: (actor: string, deal: Deal, relisted: boolean) =>
    `↩️ ${actor} cancelled the offer of ${formatMoney(deal.amountMinor, deal.currency)} for ${deal.title}${relisted ? '; it is available again' : ''}`,
  completed: (buyer: string, deal: Deal) => `✅ ${deal.title} was sold to ${buyer} for ${formatMoney(deal.amountMinor, deal.currency)}`,
  withdrawn: (actor: string, title: string, byModerator: boolean, closed: number) =>
    `🚫 ${actor} withdrew ${title}${byModerator ? ' as a moderator' : ''}${closed === 0 ? '' : ` (${closed} open ${closed === 1 ? 'offer' : 'offers'} closed)`}`,
}
