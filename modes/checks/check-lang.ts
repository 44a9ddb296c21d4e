/** The language a check works in: its --lang flag, else what the project's files say. */
import { projectFilesAt } from '../../src/mode-registry/init-project.ts';
import { detectLang, LANGS, normalizeLang, type Lang } from '../../src/mode-registry/language.ts';

export function checkLang(repoDir: string, flag: string | undefined): { lang: Lang } | { error: string } {
  if (flag) {
    const lang = normalizeLang(flag);
    return lang ? { lang } : { error: `--lang ${flag} is not one of ${LANGS.join(', ')}` };
  }
  const lang = detectLang(projectFilesAt(repoDir));
  return lang ? { lang } : { error: `cannot tell the project's language (no package.json, pyproject.toml, go.mod or Cargo.toml); pass --lang ${LANGS.join('|')}` };
}
