/**
 * English messages for schemas written with zod's functional build (`zod/mini`), the ones the full
 * build installs when it is imported. A process that loads only `zod/mini` (the auth sidecar, which
 * runs for hours in its container) would otherwise say "Invalid input" where the full build says
 * "Invalid input: expected number, received string". Both builds share one configuration, so this
 * changes nothing in a process that also loads the full build. Import it for its effect, beside
 * `zod/mini`, in every module whose messages reach a user.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());
