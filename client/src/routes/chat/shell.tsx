import { A, useLocation, useNavigate } from '@solidjs/router'
import { createEffect, createResource, createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js'
import { api, call } from '../../api/client'
import { clearSession, session } from '../../api/session'
import { chat } from '../../chat/store'
import { realtime, signedOut, startChat, stopChat } from '../../chat/sync'
import { applyUpdate, installable, promptInstall, updateReady } from '../../offline/pwa'
import { syncPush, watchPushSubscription } from '../../offline/push'
import { unreadNotifications } from '../../chat/notifications'
import { NotificationsPanel } from './notifications'
import { SearchDialog } from './search'
import { SettingsDialog } from './settings'
import { ThreadsInbox } from './threads-inbox'
import { CallLayer } from './call-layer'
import { Sidebar } from './sidebar'
import { MoreMenu } from './more-menu'

/** The signed-in app: sidebar, the routed conversation, connection state and app-level prompts. */
export default function Shell(props: { children?: JSX.Element }) {
  const navigate = useNavigate()
  const location = useLocation()
  const [menuOpen, setMenuOpen] = createSignal(false)
  const [searching, setSearching] = createSignal(new URLSearchParams(location.search).has('search'))
  const [notificationsOpen, setNotificationsOpen] = createSignal(new URLSearchParams(location.search).get('panel') === 'notifications')
  const [settingsOpen, setSettingsOpen] = createSignal(false)
  const [threadsOpen, setThreadsOpen] = createSignal(false)
  const toggleThreads = () => {
    setNotificationsOpen(false)
    setThreadsOpen(!threadsOpen())
  }
  const currentConversation = () => /^\/c\/([^/]+)/.exec(location.pathname)?.[1]
  let menuToggle!: HTMLButtonElement
  const closeMenu = () => {
    setMenuOpen(false)
    menuToggle.focus()
  }
  const onKey = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
      event.preventDefault()
      setSearching(true)
    }
    // Phones: the open sidebar covers its own toggle; Escape (when no dialog takes it) or a tap beside it closes it.
    if (event.key === 'Escape' && menuOpen() && !document.querySelector('dialog[open]')) closeMenu()
  }
  document.addEventListener('keydown', onKey)
  onCleanup(() => document.removeEventListener('keydown', onKey))
  const me = () => session()?.userId ?? ''

  onMount(() => {
    if (!session()) return navigate('/login', { replace: true })
    void startChat(me())
    // The server forgets a subscription the browser replaced; re-register it under this session.
    void syncPush().catch(() => undefined)
    onCleanup(watchPushSubscription())
  })
  onCleanup(() => stopChat())

  // A revoked session returns to login; drafts stay in localStorage for the next sign-in.
  createEffect(() => {
    if (signedOut() || !session()) {
      stopChat()
      clearSession()
      navigate('/login', { replace: true })
    }
  })
  createEffect(() => {
    void location.pathname
    setMenuOpen(false)
  })

  const [profile] = createResource(() => session()?.userId, () => call(() => api.users.me.get()).catch(() => null))
  const connection = () => realtime()?.state() ?? 'connecting'
  const totalUnread = () => Object.values(chat.conversations).reduce((sum, c) => sum + (c.me.muted ? 0 : c.me.unreadCount), 0)
  createEffect(() => {
    document.title = totalUnread() > 0 ? `(${totalUnread()}) Parley` : 'Parley'
  })

  return (
    <div class="app" classList={{ 'menu-open': menuOpen() }}>
      <a class="skip" href="#main">Skip to conversation</a>
      <aside class="sidebar" aria-label="Conversations">
        <Sidebar me={me()} displayName={profile()?.displayName ?? ''} isAdmin={profile()?.role === 'admin'} />
      </aside>
      <div
        class="main-column"
        ref={(column) =>
          // Capture phase: a tap beside the open sidebar only closes it, it does not also press what lies under it.
          column.addEventListener('click', (event) => {
            if (!menuOpen() || menuToggle.contains(event.target as Node)) return
            event.preventDefault()
            event.stopPropagation()
            closeMenu()
          }, true)
        }
      >
        <header class="topbar">
          <button ref={menuToggle} type="button" class="icon-button menu-toggle" aria-label="Show conversations" aria-expanded={menuOpen()} onClick={() => setMenuOpen(!menuOpen())}>
            ☰
          </button>
          <span class={`connection ${connection()}`} role="status" aria-live="polite" data-testid="connection">
            <span class="dot" aria-hidden="true" />
            <span class="connection-text">{connection() === 'online' ? 'Connected' : connection() === 'connecting' ? 'Connecting…' : 'Offline — messages will be sent when you reconnect'}</span>
          </span>
          <span class="spacer" />
          <button type="button" class="secondary small" onClick={() => setSearching(true)} aria-keyshortcuts="Control+K Meta+K">
            Search <kbd>Ctrl K</kbd>
          </button>
          <Show when={installable()}>
            <button type="button" class="secondary small wide-only" onClick={() => void promptInstall()}>
              Install app
            </button>
          </Show>
          <button type="button" class="secondary small bell" aria-label={`Notifications, ${unreadNotifications()} unread`} aria-expanded={notificationsOpen()} onClick={() => setNotificationsOpen(!notificationsOpen())}>
            🔔
            <Show when={unreadNotifications() > 0}>
              <span class="count" aria-hidden="true">{unreadNotifications() > 99 ? '99+' : unreadNotifications()}</span>
            </Show>
          </button>
          <button type="button" class="secondary small wide-only" aria-expanded={threadsOpen()} onClick={toggleThreads}>
            Threads
          </button>
          <button type="button" class="secondary small wide-only" onClick={() => setSettingsOpen(true)}>
            Settings
          </button>
          <A class="button secondary small wide-only" href="/account">
            Account
          </A>
          {/* Phones: one row; what does not fit waits in a menu. */}
          <MoreMenu
            class="phone-only"
            label="More actions"
            actions={[
              ...(installable() ? [{ label: 'Install app', run: () => void promptInstall() }] : []),
              { label: 'Threads', run: toggleThreads },
              { label: 'Settings', run: () => setSettingsOpen(true) },
              { label: 'Account', run: () => navigate('/account') },
            ]}
          />
        </header>
        <Show when={updateReady()}>
          <div class="update-bar" role="alert">
            A new version of Parley is ready.
            <button type="button" class="small" onClick={applyUpdate}>
              Reload
            </button>
          </div>
        </Show>
        <Show when={notificationsOpen()}>
          <NotificationsPanel onClose={() => setNotificationsOpen(false)} />
        </Show>
        <Show when={threadsOpen()}>
          <ThreadsInbox onClose={() => setThreadsOpen(false)} />
        </Show>
        <Show when={settingsOpen()}>
          <SettingsDialog onClose={() => setSettingsOpen(false)} />
        </Show>
        <Show when={searching()}>
          <SearchDialog conversationId={currentConversation()} onClose={() => setSearching(false)} />
        </Show>
        <CallLayer me={me()} myName={profile()?.displayName ?? ''} />
        <main id="main" class="conversation-area" tabindex="-1">
          {props.children}
        </main>
      </div>
    </div>
  )
}

export function Welcome() {
  const count = () => Object.keys(chat.conversations).length
  return (
    <div class="empty-state">
      <h1>Welcome to Parley</h1>
      <Show when={count() > 0} fallback={<p>Create a workspace or start a direct message from the sidebar to begin.</p>}>
        <p>Pick a conversation from the sidebar.</p>
      </Show>
    </div>
  )
}
