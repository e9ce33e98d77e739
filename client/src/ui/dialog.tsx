import { onMount, type JSX } from 'solid-js'

let nextId = 0

/** A modal on the native <dialog>: focus is trapped and Escape closes it, by the browser. */
export function Dialog(props: { title: string; onClose(): void; children: JSX.Element }) {
  let element!: HTMLDialogElement
  const titleId = `dialog-title-${++nextId}`
  onMount(() => element.showModal())
  return (
    <dialog
      ref={element}
      class="dialog"
      aria-labelledby={titleId}
      onClose={() => props.onClose()}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it.
        if (e.target === element) element.close()
      }}
    >
      <div class="dialog-body">
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
      </div>
    </dialog>
  )
}
