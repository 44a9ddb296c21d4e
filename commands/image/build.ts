import { Flags } from '@oclif/core';
import { buildWorkspaceImage, DEFAULT_BASE_IMAGE, WORKSPACE_IMAGE } from '../../sandbox/image.ts';
import { requireRegularFile } from '../../src/cli/input-file.ts';
import { hostBinary } from '../../sandbox/pod-plan.ts';
import { BaseCommand } from '../base.ts';

export default class ImageBuild extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Build the workspace image the peers run in.';
  static override description =
`Build the workspace image (git, Node.js, Python with pytest, pip and venv, ripgrep, the pinned claude and codex CLIs; its PATH extends the base image's). The peers binary is not inside: it is mounted read-only into every container at run time.

For Kubernetes, --push REGISTRY also builds REGISTRY/peers:<version>-<build> (the workspace image plus this peers binary and catatonit) and pushes it; \`peers up --target k8s --registry REGISTRY\` runs that exact tag. --k8s REGISTRY builds it without pushing (podman kube play, kind load).`;
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> image build',
    '<%= config.bin %> image build --base localhost/peers-base:bookworm   # offline base made with debootstrap',
    '<%= config.bin %> image build --force --ca-file /etc/ssl/certs/corp-proxy.pem',
    '<%= config.bin %> image build --push registry.example.com/team        # for peers up --target k8s',
  ];
  static override flags = {
    base: Flags.string({ description: 'Base image (Debian bookworm or compatible).', default: DEFAULT_BASE_IMAGE }),
    tag: Flags.string({ description: 'Tag of the built image.', default: WORKSPACE_IMAGE }),
    force: Flags.boolean({ description: 'Rebuild even if the image exists.' }),
    'ca-file': Flags.string({ description: 'Extra CA certificates to trust (default: $NODE_EXTRA_CA_CERTS or $SSL_CERT_FILE when set).' }),
    push: Flags.string({ description: 'Also build the Kubernetes image REGISTRY/peers:<version>-<build> and push it.', helpValue: 'REGISTRY', exclusive: ['k8s'] }),
    k8s: Flags.string({ description: 'Also build the Kubernetes image under REGISTRY, without pushing.', helpValue: 'REGISTRY', exclusive: ['push'] }),
    'init-binary': Flags.string({ description: 'catatonit to put in the Kubernetes image (default: the one podman uses).' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ImageBuild);
    if (flags['ca-file'] !== undefined) requireRegularFile(flags['ca-file'], '--ca-file');
    // A mistyped registry is refused before the long workspace build, not after it.
    const registryFlag = flags.push ?? flags.k8s;
    if (registryFlag !== undefined) (await import('../../sandbox/k8s/peers-image.ts')).checkRegistry(registryFlag);
    const quiet = this.jsonEnabled();
    const progress = (l: string) => quiet || this.io.stderr.write(`  ${l}\n`);
    if (!quiet) this.log(`building ${flags.tag} from ${flags.base} (first build takes a few minutes) …`);
    const r = await buildWorkspaceImage({ base: flags.base, tag: flags.tag, force: flags.force, caFile: flags['ca-file'], progress, env: this.io.env });
    if (!quiet) this.log(r.skipped ? `${r.tag} is up to date (use --force to rebuild)` : `built ${r.tag} in ${r.seconds.toFixed(1)} s`);
    const registry = flags.push ?? flags.k8s;
    if (registry === undefined) return r;
    const { buildPeersImage, findCatatonit } = await import('../../sandbox/k8s/peers-image.ts');
    const k = await buildPeersImage({ workspaceImage: r.tag, registry, binary: hostBinary(), catatonit: findCatatonit(flags['init-binary']), push: flags.push !== undefined, progress, env: this.io.env });
    if (!quiet) this.log(`${k.pushed ? 'pushed' : 'built'} ${k.ref}${k.pushed ? `\n  run it: peers up --target k8s --registry ${registry}` : ''}`);
    return { ...r, kubernetes: k };
  }
}
