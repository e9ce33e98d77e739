import { createVirtualizer, elementScroll } from '@tanstack/solid-virtual'
import { createEffect, createMemo, For, Match, on, onCleanup, Show, Switch } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import type { OutboxItem } from '../../offline/db'
import { MessageItem, PendingItem } from './message-item'

type DayRow = { kind: 'day'; key: string; label: string }
type MessageRow = { kind: 'message'; key: string; message: MessageView; grouped: boolean }
type PendingRow = { kind: 'pending'; key: string; item: OutboxItem }
export type Row = DayRow | { kind: 'unread'; key: string } | MessageRow | PendingRow

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
    // A chat list: when older rows arrive above, the row under the reader keeps its place on screen (by key).
    anchorTo: 'end',
    // A row measured above the view shifts the scroll by its size correction from where the reader is now, not
    // from the offset of the last scroll event: a scroll made since (this frame's wheel or fling) is kept, not undone.
    scrollToFn: (offset, options, instance) => {
      if (scroller && options.adjustments && options.behavior !== 'smooth') scroller.scrollTop += options.adjustments
      else elementScroll(offset, options, instance)
    },
  })
  const items = createMemo(() => virtualizer.getVirtualItems())
  const slots = createMemo(() => new Map(items().map((item) => [String(item.key), item])))
  const slotKeys = createMemo(() => [...slots().keys()])

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

  // One look at the scroll position per frame, however many scroll events the frame had.
  let scrollFrame = 0
  const onScrollEvent = () => {
    if (scrollFrame) return
    scrollFrame = requestAnimationFrame(() => {
      scrollFrame = 0
      void onScroll()
    })
  }
  onCleanup(() => cancelAnimationFrame(scrollFrame))

  async function onScroll() {
    // The virtualizer's own figures (read by its scroll listener, kept by its ResizeObserver): no layout read here,
    // which after its row writes in the same frame would force a second layout.
    const scrollTop = virtualizer.scrollOffset ?? scroller.scrollTop
    const clientHeight = virtualizer.scrollRect?.height ?? scroller.clientHeight
    const scrollHeight = virtualizer.getTotalSize()
    const distanceFromEnd = scrollHeight - scrollTop - clientHeight
    atBottom = distanceFromEnd < 80 && !props.hasMoreAfter
    if (atBottom) props.onAtBottom()
    if (distanceFromEnd < 400 && props.hasMoreAfter && !loadingNewer) {
      loadingNewer = true
      void props.onLoadNewer().finally(() => (loadingNewer = false))
    }
    // Ask for the older page while a few screens of rows are still above, so a fling rarely reaches the top and waits.
    if (scrollTop < Math.max(400, clientHeight * 3) && props.hasMoreBefore && !loadingOlder) {
      loadingOlder = true
      let loaded = false
      try {
        loaded = await props.onLoadOlder()
      } finally {
        loadingOlder = false
      }
      // Still near the top (a short page, or a fast fling): keep loading without waiting for another scroll event.
      if (loaded) onScrollEvent()
    }
  }

  const onVisible = () => {
    if (document.visibilityState === 'visible' && atBottom) props.onAtBottom()
  }
  document.addEventListener('visibilitychange', onVisible)
  onCleanup(() => document.removeEventListener('visibilitychange', onVisible))

  return (
    <div class="message-scroller" ref={scroller} onScroll={onScrollEvent} data-testid="message-list">
      <div role="log" aria-label="Messages" aria-live="polite" class="message-canvas" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {/* Slots follow row keys, not indexes: a page loaded above, or a new row list after any change, re-renders no visible row. */}
        <For each={slotKeys()}>
          {(key) => {
            // Memos: a slot reacts only when its own item or row changes, not to every new map of slots.
            const item = createMemo(() => slots().get(key))
            const row = createMemo(() => props.rows[item()?.index ?? -1])
            return (
              <div class="row-slot" data-index={item()?.index} ref={(el) => queueMicrotask(() => el.isConnected && virtualizer.measureElement(el))} style={{ transform: `translateY(${item()?.start ?? 0}px)` }}>
                <Switch>
                  <Match when={row()?.kind === 'day' && (row() as DayRow)}>{(current) => <div class="day-separator" role="separator">{current().label}</div>}</Match>
                  <Match when={row()?.kind === 'unread'}>
                    <div class="unread-separator" role="separator">New messages</div>
                  </Match>
                  <Match when={row()?.kind === 'pending' && (row() as PendingRow)}>{(current) => <PendingItem item={current().item} />}</Match>
                  <Match when={row()?.kind === 'message' && (row() as MessageRow)}>
                    {(current) => <MessageItem message={current().message} grouped={current().grouped} me={props.me} canModerate={props.canModerate} onOpenThread={props.onOpenThread} focused={key === props.focusId} seen={key === props.seenId} />}
                  </Match>
                </Switch>
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
