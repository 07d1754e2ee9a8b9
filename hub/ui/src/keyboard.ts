/**
 * Keys: `/` focuses the text search, space pauses or resumes the live view, `G` jumps to live,
 * Esc closes an open record. Keys typed into a form field are left alone (except Esc).
 */

export interface KeyActions {
  focusSearch(): void;
  togglePause(): void;
  jumpToLive(): void;
  escape(): void;
}

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function bindKeys(actions: KeyActions): void {
  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'Escape') {
      actions.escape();
      return;
    }
    if (typingIn(ev.target)) return;
    if (ev.key === '/') {
      ev.preventDefault();
      actions.focusSearch();
    } else if (ev.key === ' ' && !(ev.target instanceof HTMLButtonElement)) {
      ev.preventDefault();
      actions.togglePause();
    } else if (ev.key === 'G') {
      ev.preventDefault();
      actions.jumpToLive();
    }
  });
}
