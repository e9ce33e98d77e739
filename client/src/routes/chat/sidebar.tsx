import { A, useNavigate } from '@solidjs/router'
import { createMemo, createResource, createSignal, For, Show } from 'solid-js'
import type { ConversationSummary } from '../../../../server/src/features/conversations/model'
import { api, call } from '../../api/client'
import { chat, conversationTitle } from '../../chat/store'
import { refreshConversations } from '../../chat/sync'
import { BrowseDialog } from './browse-dialog'
import { StoriesBar } from './stories'
import { InviteDialog } from './invite-dialog'
import { NewConversationDialog, type DialogKind } from './new-conversation'
import { unreadMentions } from '../../chat/notifications'

const WORKSPACE_KEY = 'parley.workspace'

// ISO strings (REST, socket and cache alike) of different precision: compared as instants, not as text.
const activity = (c: ConversationSummary) => new Date(c.lastMessageAt ?? c.createdAt).getTime()

/** Workspace switcher and the conversation list: pinned first, then channels, DMs and groups, lounges. */
export function Sidebar(props: { me: string; displayName: string; isAdmin?: boolean }) {
  const navigate = useNavigate()
  const [workspaces, { refetch }] = createResource(() => call(() => api.workspaces.get()).catch(() => []))
  const [selected, setSelected] = createSignal(localStorage.getItem(WORKSPACE_KEY) ?? '')
  const [dialog, setDialog] = createSignal<DialogKind | 'invite' | 'browse' | 'lounges' | null>(null)
  const current = () => (workspaces() ?? []).find((w) => w.id === workspaceId())
  const canInvite = () => current()?.role === 'owner' || current()?.role === 'admin'
  const workspaceId = () => {
    const list = workspaces() ?? []
    return list.find((w) => w.id === selected())?.id ?? list[0]?.id ?? ''
  }
  function choose(id: string) {
    localStorage.setItem(WORKSPACE_KEY, id)
    setSelected(id)
  }

  const visible = createMemo(() =>
    Object.values(chat.conversations)
      .filter((c) => c.kind !== 'channel' || c.workspaceId === workspaceId())
      .sort((a, b) => activity(b) - activity(a)),
  )
  const section = (test: (c: ConversationSummary) => boolean) => visible().filter((c) => !c.me.pinned && test(c))
  const pinned = () => visible().filter((c) => c.me.pinned)

  async function created(conversationId: string) {
    setDialog(null)
    await refreshConversations()
    navigate(`/c/${conversationId}`)
  }

  return (
    <nav class="sidebar-inner">
      <Show when={(workspaces() ?? []).length > 0}>
      <div class="workspace-switcher">
        <label class="visually-hidden" for="workspace">
          Workspace
        </label>
        <select id="workspace" value={workspaceId()} onChange={(e) => (e.currentTarget.value === '+' ? setDialog('workspace') : choose(e.currentTarget.value))}>
          <For each={workspaces() ?? []}>{(w) => <option value={w.id}>{w.name}</option>}</For>
          <option value="+">+ New workspace…</option>
        </select>
      </div>
      </Show>
      <Show when={canInvite()}>
        <button type="button" class="secondary small" onClick={() => setDialog('invite')}>
          Invite people
        </button>
      </Show>
      <Show when={(workspaces() ?? []).length === 0 && !workspaces.loading}>
        <button type="button" class="small" onClick={() => setDialog('workspace')}>
          Create a workspace
        </button>
      </Show>
      <StoriesBar me={props.me} />
      <Section title="Pinned" items={pinned()} />
      <Section title="Channels" items={section((c) => c.kind === 'channel')} onAdd={workspaceId() ? () => setDialog('channel') : undefined} addLabel="New channel" onBrowse={workspaceId() ? () => setDialog('browse') : undefined} browseLabel="Browse channels" />
      <Section title="Direct messages" items={section((c) => c.kind === 'dm' || c.kind === 'group')} onAdd={() => setDialog('dm')} addLabel="New message" />
      <Section title="Lounges" items={section((c) => c.kind === 'lounge')} onBrowse={() => setDialog('lounges')} browseLabel="Browse lounges" onAdd={props.isAdmin ? () => setDialog('lounge') : undefined} addLabel="New lounge" />
      <div class="sidebar-footer muted">Signed in as {props.displayName}</div>
      <Show when={dialog() === 'invite' && current()}>
        {(workspace) => <InviteDialog workspaceId={workspace().id} workspaceName={workspace().name} onClose={() => setDialog(null)} />}
      </Show>
      <Show when={dialog() === 'browse' || dialog() === 'lounges'}>
        <BrowseDialog workspaceId={dialog() === 'browse' ? workspaceId() : undefined} onClose={() => setDialog(null)} onJoined={(id) => void created(id)} />
      </Show>
      <Show when={dialog() === 'workspace' || dialog() === 'channel' || dialog() === 'dm' || dialog() === 'lounge' ? (dialog() as DialogKind) : null}>
        {(kind) => (
          <NewConversationDialog
            kind={kind()}
            workspaceId={workspaceId()}
            me={props.me}
            onClose={() => setDialog(null)}
            onCreated={(id) => void created(id)}
            onWorkspace={(id) => {
              setDialog(null)
              choose(id)
              void refetch()
            }}
          />
        )}
      </Show>
    </nav>
  )
}

function Section(props: { title: string; items: ConversationSummary[]; onAdd?: () => void; addLabel?: string; onBrowse?: () => void; browseLabel?: string }) {
  return (
    <Show when={props.items.length > 0 || props.onAdd || props.onBrowse}>
      <section class="sidebar-section">
        <div class="section-head">
          <h2>{props.title}</h2>
          <span>
            <Show when={props.onBrowse}>
              <button type="button" class="icon-button" aria-label={props.browseLabel} title={props.browseLabel} onClick={() => props.onBrowse?.()}>
                ⌕
              </button>
            </Show>
            <Show when={props.onAdd}>
              <button type="button" class="icon-button" aria-label={props.addLabel} title={props.addLabel} onClick={() => props.onAdd?.()}>
                +
              </button>
            </Show>
          </span>
        </div>
        <ul role="list">
          <For each={props.items}>{(c) => <ConversationLink conversation={c} />}</For>
        </ul>
      </section>
    </Show>
  )
}

function ConversationLink(props: { conversation: ConversationSummary }) {
  const unread = () => (props.conversation.me.muted ? 0 : props.conversation.me.unreadCount)
  const peer = () => props.conversation.dmPeer?.id
  return (
    <li>
      <A href={`/c/${props.conversation.id}`} class="conversation-link" classList={{ unread: unread() > 0, muted: props.conversation.me.muted }} activeClass="active" data-conversation={props.conversation.id}>
        <Show when={peer()}>{(id) => <span class={`presence ${chat.presence[id()] ?? 'offline'}`} aria-label={chat.presence[id()] ?? 'offline'} />}</Show>
        <span class="name">{conversationTitle(props.conversation)}</span>
        <Show when={(unreadMentions()[props.conversation.id] ?? 0) > 0}>
          <span class="mention-badge" aria-label={`${unreadMentions()[props.conversation.id]} mentions`}>
            @
          </span>
        </Show>
        <Show when={unread() > 0}>
          <span class="unread-badge" aria-label={`${unread()} unread`}>
            {unread() > 99 ? '99+' : unread()}
          </span>
        </Show>
      </A>
    </li>
  )
}
