import { Flags } from '@oclif/core';
import { buildWorkspaceImage, DEFAULT_BASE_IMAGE, WORKSPACE_IMAGE } from '../../sandbox/image.ts';
import { requireRegularFile } from '../../src/cli/input-file.ts';
import { BaseCommand } from '../base.ts';

export default class ImageBuild extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Build the workspace image the peers run in.';
  static override description =
    'Build the workspace image (git, Node.js, Python + pytest, ripgrep, the pinned claude and codex CLIs). The peers binary is not inside: it is mounted read-only into every container at run time.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> image build',
    '<%= config.bin %> image build --base localhost/peers-base:bookworm   # offline base made with debootstrap',
    '<%= config.bin %> image build --force --ca-file /etc/ssl/certs/corp-proxy.pem',
  ];
  static override flags = {
    base: Flags.string({ description: 'Base image (Debian bookworm or compatible).', default: DEFAULT_BASE_IMAGE }),
    tag: Flags.string({ description: 'Tag of the built image.', default: WORKSPACE_IMAGE }),
    force: Flags.boolean({ description: 'Rebuild even if the image exists.' }),
    'ca-file': Flags.string({ description: 'Extra CA certificates to trust (default: $NODE_EXTRA_CA_CERTS or $SSL_CERT_FILE when set).' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ImageBuild);
    if (flags['ca-file'] !== undefined) requireRegularFile(flags['ca-file'], '--ca-file');
    const quiet = this.jsonEnabled();
    if (!quiet) this.log(`building ${flags.tag} from ${flags.base} (first build takes a few minutes) …`);
    const r = await buildWorkspaceImage({
      base: flags.base,
      tag: flags.tag,
      force: flags.force,
      caFile: flags['ca-file'],
      progress: (l) => quiet || process.stderr.write(`  ${l}\n`),
    });
    if (!quiet) this.log(r.skipped ? `${r.tag} is up to date (use --force to rebuild)` : `built ${r.tag} in ${r.seconds.toFixed(1)} s`);
    return r;
  }
}
