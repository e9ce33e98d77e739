import { createVirtualizer } from '@tanstack/solid-virtual'
import { createEffect, createMemo, For, on, onCleanup, Show } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import type { OutboxItem } from '../../offline/db'
import { MessageItem, PendingItem } from './message-item'

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: string }
  | { kind: 'message'; key: string; message: MessageView; grouped: boolean }
  | { kind: 'pending'; key: string; item: OutboxItem }

const GROUP_WINDOW_MS = 5 * 60_000

/** Day separators, an unread line, and consecutive messages of one sender grouped under one header. */
export function buildRows(messages: MessageView[], pending: OutboxItem[], firstUnreadSeq: number | null): Row[] {
  const rows: Row[] = []
  let lastDay = ''
  let previous: MessageView | null = null
  for (const message of messages) {
    const day = new Date(message.createdAt).toDateString()
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `day-${day}`, label: dayLabel(new Date(message.createdAt)) })
      lastDay = day
      previous = null
    }
    if (firstUnreadSeq !== null && message.seq === firstUnreadSeq) {
      rows.push({ kind: 'unread', key: 'unread' })
      previous = null
    }
    const grouped = !!previous && previous.senderId === message.senderId && message.type !== 'system' && previous.type !== 'system' && !previous.deletedAt &&
      new Date(message.createdAt).getTime() - new Date(previous.createdAt).getTime() < GROUP_WINDOW_MS
    rows.push({ kind: 'message', key: message.id, message, grouped })
    previous = message
  }
  for (const item of pending) rows.push({ kind: 'pending', key: `pending-${item.clientMsgId}`, item })
  return rows
}

function dayLabel(date: Date): string {
  const today = new Date()
  const yesterday = new Date(Date.now() - 86_400_000)
  if (date.toDateString() === today.toDateString()) return 'Today'
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday'
  return date.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: date.getFullYear() === today.getFullYear() ? undefined : 'numeric' })
}

/**
 * The virtualized timeline: only the rows in view (plus overscan) are in the DOM, so 10,000+
 * messages scroll as smoothly as 50. Opens at the first unread, follows new messages while the
 * reader is at the bottom, and asks for older pages near the top keeping the reader's place.
 */
export function MessageList(props: {
  conversationId: string
  rows: Row[]
  me: string
  hasMoreBefore: boolean
  hasMoreAfter: boolean
  onLoadOlder(): Promise<boolean>
  onLoadNewer(): Promise<boolean>
  onOpenThread(messageId: string): void
  onAtBottom(): void
  canModerate: boolean
  /** A message to bring into view and highlight (a search jump). */
  focusId?: string
  /** My message to mark "Seen" (read receipts in DMs and groups). */
  seenId?: string
}) {
  let scroller!: HTMLDivElement
  let atBottom = true
  let loadingOlder = false
  let loadingNewer = false
  let positioned = false
  const virtualizer = createVirtualizer({
    get count() {
      return props.rows.length
    },
    getScrollElement: () => scroller,
    estimateSize: () => 56,
    overscan: 8,
    getItemKey: (index) => props.rows[index]?.key ?? index,
  })
  const items = createMemo(() => virtualizer.getVirtualItems())

  const scrollToEnd = () => {
    if (props.rows.length > 0) virtualizer.scrollToIndex(props.rows.length - 1, { align: 'end' })
  }

  // First paint of a conversation: at the unread line if there is one, else at the end.
  createEffect(on(() => [props.conversationId, props.focusId], () => {
    positioned = false
    atBottom = !props.focusId
  }))
  let previousLength = 0
  createEffect(on(() => [props.rows.length, props.focusId] as const, ([length]) => {
    const grew = length > previousLength
    previousLength = length
    if (length === 0) return
    if (!positioned) {
      const focus = props.focusId ? props.rows.findIndex((r) => r.key === props.focusId) : -1
      if (props.focusId && focus < 0) return // the page around the target has not arrived yet
      positioned = true
      if (focus >= 0) {
        atBottom = false
        requestAnimationFrame(() => virtualizer.scrollToIndex(focus, { align: 'center' }))
        return
      }
      const unread = props.rows.findIndex((r) => r.kind === 'unread')
      requestAnimationFrame(() => (unread >= 0 ? virtualizer.scrollToIndex(unread, { align: 'start' }) : scrollToEnd()))
      return
    }
    if (atBottom && grew) requestAnimationFrame(scrollToEnd)
  }))
  // Sending jumps to the end, wherever the reader was.
  createEffect(on(() => props.rows.filter((r) => r.kind === 'pending').length, (count, previous) => {
    if (count > (previous ?? 0)) {
      atBottom = true
      requestAnimationFrame(scrollToEnd)
    }
  }, { defer: true }))

  async function onScroll() {
    const distanceFromEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight
    atBottom = distanceFromEnd < 80 && !props.hasMoreAfter
    if (atBottom) props.onAtBottom()
    if (distanceFromEnd < 400 && props.hasMoreAfter && !loadingNewer) {
      loadingNewer = true
      void props.onLoadNewer().finally(() => (loadingNewer = false))
    }
    if (scroller.scrollTop < 400 && props.hasMoreBefore && !loadingOlder) {
      loadingOlder = true
      // Keep the reader's place: the first message actually on screen stays where it is.
      const top = scroller.scrollTop
      const anchor = items().find((item) => item.start >= top && props.rows[item.index]?.kind === 'message') ?? items()[0]
      const anchorKey = anchor ? props.rows[anchor.index]?.key : undefined
      const offset = anchor ? anchor.start - top : 0
      let loaded = false
      try {
        loaded = await props.onLoadOlder()
      } finally {
        loadingOlder = false
      }
      if (!loaded || !anchorKey) return
      requestAnimationFrame(() => {
        const index = props.rows.findIndex((r) => r.key === anchorKey)
        const target = index >= 0 ? virtualizer.getOffsetForIndex(index, 'start') : undefined
        if (target) virtualizer.scrollToOffset(Math.max(0, target[0] - offset))
        // Still near the top (a short page, or a fast fling): keep loading without waiting for another scroll event.
        requestAnimationFrame(() => void onScroll())
      })
    }
  }

  const onVisible = () => {
    if (document.visibilityState === 'visible' && atBottom) props.onAtBottom()
  }
  document.addEventListener('visibilitychange', onVisible)
  onCleanup(() => document.removeEventListener('visibilitychange', onVisible))

  return (
    <div class="message-scroller" ref={scroller} onScroll={() => void onScroll()} data-testid="message-list">
      <div role="log" aria-label="Messages" aria-live="polite" class="message-canvas" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        <For each={items()}>
          {(item) => {
            const row = () => props.rows[item.index]
            return (
              <div class="row-slot" data-index={item.index} ref={(el) => queueMicrotask(() => virtualizer.measureElement(el))} style={{ transform: `translateY(${item.start}px)` }}>
                <Show when={row()} keyed>
                  {(current) => {
                    if (current.kind === 'day') return <div class="day-separator" role="separator">{current.label}</div>
                    if (current.kind === 'unread') return <div class="unread-separator" role="separator">New messages</div>
                    if (current.kind === 'pending') return <PendingItem item={current.item} />
                    return <MessageItem message={current.message} grouped={current.grouped} me={props.me} canModerate={props.canModerate} onOpenThread={props.onOpenThread} focused={current.key === props.focusId} seen={current.key === props.seenId} />
                  }}
                </Show>
              </div>
            )
          }}
        </For>
      </div>
      <Show when={props.rows.length === 0}>
        <p class="empty-state muted">No messages yet. Say hello!</p>
      </Show>
    </div>
  )
}
