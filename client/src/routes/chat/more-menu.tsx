import { createSignal, For, onCleanup, Show } from 'solid-js'

export interface MenuAction {
  label: string
  run(): void
}

/**
 * A menu button (ARIA menu pattern): Enter, Space or ArrowDown opens it on the first item, ArrowUp on the
 * last; arrows, Home and End move, Escape closes it and returns focus to the button, Tab or a click elsewhere closes it.
 */
export function MoreMenu(props: { label: string; actions: MenuAction[]; class?: string }) {
  const [open, setOpen] = createSignal(false)
  const menuId = `menu-${Math.random().toString(36).slice(2, 8)}`
  let button!: HTMLButtonElement
  let menu: HTMLDivElement | undefined
  const items = () => [...(menu?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])]

  function show(focus: 'first' | 'last') {
    setOpen(true)
    const list = items()
    list[focus === 'first' ? 0 : list.length - 1]?.focus()
  }
  function close(returnFocus: boolean) {
    setOpen(false)
    if (returnFocus) button.focus()
  }
  function onButtonKey(event: KeyboardEvent) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      show(event.key === 'ArrowDown' ? 'first' : 'last')
    }
  }
  function onMenuKey(event: KeyboardEvent) {
    const list = items()
    const at = list.indexOf(document.activeElement as HTMLElement)
    const moves: Record<string, number> = { ArrowDown: (at + 1) % list.length, ArrowUp: (at - 1 + list.length) % list.length, Home: 0, End: list.length - 1 }
    if (event.key in moves) {
      event.preventDefault()
      list[moves[event.key]!]?.focus()
    } else if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      close(true)
    } else if (event.key === 'Tab') {
      close(false)
    }
  }
  const onOutside = (event: PointerEvent) => {
    if (open() && !menu?.contains(event.target as Node) && !button.contains(event.target as Node)) close(false)
  }
  document.addEventListener('pointerdown', onOutside)
  onCleanup(() => document.removeEventListener('pointerdown', onOutside))

  return (
    <span class={`more-menu ${props.class ?? ''}`}>
      <button
        ref={button}
        type="button"
        class="secondary small"
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open()}
        aria-controls={menuId}
        onClick={() => (open() ? close(false) : show('first'))}
        onKeyDown={onButtonKey}
      >
        ⋯
      </button>
      <Show when={open()}>
        <div ref={menu} id={menuId} class="menu-list" role="menu" aria-label={props.label} onKeyDown={onMenuKey}>
          <For each={props.actions}>
            {(action) => (
              <button
                type="button"
                role="menuitem"
                tabindex="-1"
                onClick={() => {
                  close(true)
                  action.run()
                }}
              >
                {action.label}
              </button>
            )}
          </For>
        </div>
      </Show>
    </span>
  )
}
