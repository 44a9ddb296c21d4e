/**
 * Whether an API key's value, as the shell holds it, is one a vendor could accept. A key pasted
 * with its line break (`export KEY="$(cat key.txt)"` keeps none, an editor's `KEY=sk-…⏎` in a
 * sourced file can), or with the quotes of a `.env` line around it, reached the vendor as a key it
 * refuses: every turn of the night a 401. Said without the value (it is a secret).
 */
export type KeyValueProblem = { what: string; fix: string };

export function apiKeyValueProblem(variable: string, value: string | undefined): KeyValueProblem | null {
  if (value === undefined) return null;
  if (value === '') return { what: 'is set but empty', fix: `export ${variable}=… with the key itself, or unset ${variable} to run on your CLI login (peers up --credentials oauth-file)` };
  const trimmed = value.trim();
  if (trimmed !== value) {
    return { what: `${/^\s/.test(value) ? 'starts' : 'ends'} with a line break or spaces (copied with the key?)`, fix: `export ${variable}="$(printf %s "$${variable}" | tr -d '[:space:]')"` };
  }
  if (/^(["'`]).*\1$/s.test(value) || /^["'`]|["'`]$/.test(value)) return { what: 'is wrapped in quotes (a key has none: the vendor would refuse it)', fix: `export ${variable}=… with the key alone, without the quotes` };
  if (/\s/.test(value)) return { what: 'contains spaces or line breaks (a key has none)', fix: `export ${variable}=… with the key alone` };
  return null;
}
