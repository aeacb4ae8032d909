import { type FormEvent, useState } from 'react';
import { api } from '../../api/client';
import { session } from '../../api/session';
import { TextField } from '../../components/fields';
import { PageTitle } from '../../components/page-title';

type Check = { ok: true } | { ok: false; message: string };

/** A key is an admin key when it may list the program's keys, which only admin keys may. */
async function checkAdminKey(key: string): Promise<Check> {
  let response: Response;
  try {
    ({ response } = await api.GET('/v1/api-keys', { params: { query: { limit: 1 } }, headers: { authorization: `Bearer ${key}` } }));
  } catch {
    return { ok: false, message: 'The server could not be reached. Check that Tessera is running.' };
  }
  if (response.ok) return { ok: true };
  if (response.status === 401) return { ok: false, message: 'This key is unknown or has been revoked.' };
  if (response.status === 403) {
    return { ok: false, message: 'This key works, but it is not an admin key. The console needs a key with the admin role.' };
  }
  return { ok: false, message: `The server answered ${response.status}. Try again shortly.` };
}

export function SignInPage() {
  const [key, setKey] = useState('');
  const [message, setMessage] = useState<string | null>(session.notice());
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setMessage('Enter an admin API key.');
      return;
    }
    setBusy(true);
    const check = await checkAdminKey(trimmed);
    setBusy(false);
    if (check.ok) session.signIn(trimmed);
    else setMessage(check.message);
  };

  return (
    <main id="main" className="sign-in">
      <PageTitle title="Sign in" />
      <p>The Tessera console runs your loyalty program. Sign in with an admin API key; it is kept in this browser tab only.</p>
      <form onSubmit={submit} className="card" noValidate>
        <TextField
          name="apiKey"
          label="Admin API key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={setKey}
          hint="Printed once when Tessera first starts, or made with: tessera keys create --role admin"
        />
        {message && (
          <p className="problem" role="alert">
            {message}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
