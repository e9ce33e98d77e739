import { useNavigate } from '@solidjs/router'
import { createSignal, Show } from 'solid-js'
import type { ConversationSummary } from '../../../../server/src/features/conversations/model'
import { api, call, type ApiError } from '../../api/client'
import { upsertConversation } from '../../chat/store'
import { refreshConversations } from '../../chat/sync'
import { ModerationLogDialog, SlowModeControl } from './moderation'
import { ExportDialog } from './export-dialog'
import { SummaryDialog } from './summary-dialog'

/** Per-conversation settings: notification level, mute, pin to the sidebar top, leave. */
export function ConversationMenu(props: { conversation: ConversationSummary }) {
  const navigate = useNavigate()
  const [open, setOpen] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [log, setLog] = createSignal(false)
  const [summarizing, setSummarizing] = createSignal(false)
  const [exporting, setExporting] = createSignal(false)
  const moderates = () => props.conversation.kind === 'lounge' && (props.conversation.me.role === 'owner' || props.conversation.me.role === 'moderator')

  async function update(change: { muted?: boolean; pinned?: boolean; notificationLevel?: 'all' | 'mentions' | 'none' }) {
    setError(null)
    try {
      const me = await call(() => api.conversations({ id: props.conversation.id }).me.patch(change))
      upsertConversation({ ...props.conversation, me: { ...props.conversation.me, ...me } })
    } catch (failure) {
      setError((failure as ApiError).message)
    }
  }

  async function leave() {
    if (!confirm(`Leave ${props.conversation.name ?? 'this conversation'}?`)) return
    try {
      await call(() => api.conversations({ id: props.conversation.id }).leave.post())
      await refreshConversations()
      navigate('/', { replace: true })
    } catch (failure) {
      setError((failure as ApiError).message)
    }
  }

  return (
    <div class="conversation-menu">
      <button type="button" class="secondary small" aria-haspopup="menu" aria-expanded={open()} onClick={() => setOpen(!open())}>
        ⋯ <span class="visually-hidden">Conversation options</span>
      </button>
      <Show when={open()}>
        <div class="menu-popover" role="menu" aria-label="Conversation options" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <label class="menu-row">
            Notify me about
            <select value={props.conversation.me.notificationLevel} onChange={(e) => void update({ notificationLevel: e.currentTarget.value as 'all' | 'mentions' | 'none' })}>
              <option value="all">Every message</option>
              <option value="mentions">Mentions only</option>
              <option value="none">Nothing</option>
            </select>
          </label>
          <button type="button" role="menuitemcheckbox" aria-checked={props.conversation.me.muted} class="secondary" onClick={() => void update({ muted: !props.conversation.me.muted })}>
            {props.conversation.me.muted ? 'Unmute' : 'Mute'}
          </button>
          <button type="button" role="menuitemcheckbox" aria-checked={props.conversation.me.pinned} class="secondary" onClick={() => void update({ pinned: !props.conversation.me.pinned })}>
            {props.conversation.me.pinned ? 'Unpin from sidebar' : 'Pin to sidebar'}
          </button>
          <button type="button" role="menuitem" class="secondary" onClick={() => { setOpen(false); setSummarizing(true) }}>
            Summarize
          </button>
          <Show when={props.conversation.kind !== 'lounge' || moderates()}>
            <button type="button" role="menuitem" class="secondary" onClick={() => { setOpen(false); setExporting(true) }}>
              Export…
            </button>
          </Show>
          <Show when={moderates()}>
            <SlowModeControl conversationId={props.conversation.id} onError={setError} />
            <button type="button" role="menuitem" class="secondary" onClick={() => setLog(true)}>
              Moderation log
            </button>
          </Show>
          <Show when={props.conversation.kind !== 'dm'}>
            <button type="button" role="menuitem" class="danger" onClick={() => void leave()}>
              Leave
            </button>
          </Show>
          <Show when={error()}>
            <p class="inline-error" role="alert">{error()}</p>
          </Show>
        </div>
      </Show>
      <Show when={exporting()}>
        <ExportDialog conversationId={props.conversation.id} onClose={() => setExporting(false)} />
      </Show>
      <Show when={summarizing()}>
        <SummaryDialog conversationId={props.conversation.id} onClose={() => setSummarizing(false)} />
      </Show>
      <Show when={log()}>
        <ModerationLogDialog conversationId={props.conversation.id} onClose={() => setLog(false)} />
      </Show>
    </div>
  )
}
