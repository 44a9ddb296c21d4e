import { listCommits } from '../src/git/commits.ts';
import { headSha } from '../src/git/git.ts';
import { readObserved } from '../src/git/observed-repo.ts';
import { readAttestations } from '../src/protocol/attestation.ts';
import { runReview } from '../apps/review/run-review.ts';
import { stateDirFor } from '../src/state/paths.ts';
import { terminalText } from '../src/cli/terminal-text.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Review extends BaseCommand {
  static override summary = "Show the latest handoff's self-review and the run's review commits.";
  static override description = `Show what the peers said about the work: the latest self-reviewed handoff with its ## Self-Review section, and the newest review commits (Peer-Review-Of:) with their verdict. Read from the run's trusted mirror (else the repository's HEAD, through a read-only view); the peer shown is the one the loop attested, never the commit's own trailer.`;
  static override enableJsonFlag = true;
  static override args = { project: projectArg() };
  static override flags = projectDirFlag();
  static override examples = ['<%= config.bin %> review', '<%= config.bin %> review app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Review);
    const repo = projectFrom(args.project, flags.dir, this.io);
    const r = readObserved(repo, (git) => {
      if (!headSha(git)) return runReview([], () => undefined);
      const notes = readAttestations(git);
      return runReview(listCommits(git, 'HEAD', { newestFirst: true, limit: 2000 }), (sha) => notes.get(sha));
    }, this.io.env);
    if (!this.jsonEnabled()) {
      const who = (p: string | null) => p ?? 'unattested';
      // Subjects, self-reviews and goal names are the peers' words: shown as text, their colours too.
      const say = (text: string) => this.log(terminalText(text));
      if (r.handoff) {
        say(`Latest handoff ${r.handoff.sha.slice(0, 8)} by ${who(r.handoff.peer)}: ${r.handoff.subject}`);
        say(r.handoff.self_review ? r.handoff.self_review.replace(/^/gm, '  ') : '  (no ## Self-Review section)');
      } else say('No self-reviewed handoff yet.');
      say(r.reviews.length ? `\nReviews (newest first):` : '\nNo review commits yet.');
      for (const v of r.reviews) say(`  ${v.sha.slice(0, 8)} ${v.goal}: ${v.pass === null ? 'no verdict' : v.pass ? 'pass' : 'FAIL'} by ${who(v.peer)} — ${v.subject}`);
    }
    return { state_dir: stateDirFor(repo, this.io.env), ...r };
  }
}
