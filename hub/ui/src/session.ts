/**
 * The token: asked for once in a sign-in form, kept in sessionStorage (this tab, until it
 * closes), sent in the Authorization header of every request, and as `token=` on the live-tail
 * WebSocket alone (browsers cannot set headers on a WebSocket).
 */
import { el } from './dom.js';

const KEY = 'logwire.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** `refused`: the hub said no (401/403), rather than could not be asked. */
export type TokenCheck = { ok: true } | { ok: false; refused: boolean; message: string };

/** Asks the hub whether `token` may read: GET /stats with it. */
export async function checkToken(token: string): Promise<TokenCheck> {
  let res: Response;
  try {
    res = await fetch('/stats', { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    return { ok: false, refused: false, message: `Could not reach the hub (${(err as Error).message}). Is it running?` };
  }
  if (res.ok) return { ok: true };
  if (res.status === 401) return { ok: false, refused: true, message: 'The hub did not accept that token: it is wrong or unknown. Check it and try again.' };
  if (res.status === 403) return { ok: false, refused: true, message: 'That token is valid but may not read logs (it lacks the "read" scope). Use a token with read access.' };
  return { ok: false, refused: false, message: `The hub answered ${res.status} while checking the token; try again in a moment.` };
}

/** Shows the sign-in form in `root`; resolves with a token the hub accepted. */
export function signIn(root: HTMLElement, notice = ''): Promise<string> {
  return new Promise((resolve) => {
    const input = el('input', { attrs: { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: '', spellcheck: 'false' } });
    const message = el('p', { class: 'signin-message', attrs: { role: 'alert', id: 'signin-message' }, text: notice });
    const button = el('button', { attrs: { type: 'submit' }, text: 'Sign in' });
    const form = el('form', { class: 'signin', attrs: { id: 'signin' } },
      el('h1', { text: 'logwire' }),
      el('label', { attrs: { for: 'token' }, text: 'Token' }),
      input,
      button,
      message,
      el('p', { class: 'hint', text: 'On the machine running the hub, a hub started without a tokens file prints where its generated admin token is (by default data/admin.token): paste its content here. The token is kept for this browser tab only.' }),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      button.disabled = true;
      message.textContent = 'Checking…';
      void checkToken(token).then((r) => {
        button.disabled = false;
        if (!r.ok) {
          message.textContent = r.message;
          input.select();
          return;
        }
        saveToken(token);
        resolve(token);
      });
    });
    root.replaceChildren(form);
    input.focus();
  });
}
