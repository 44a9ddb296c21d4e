import { Flags } from '@oclif/core';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { rawOutput } from '../../src/cli/command-io.ts';
import { writableTo } from '../../src/cli/writable-to.ts';
import { InputError } from '../../src/cli/errors.ts';
import { packTrees } from '../../sandbox/k8s/tar-tree.ts';
import { BaseCommand } from '../base.ts';

export default class K8sPack extends BaseCommand {
  static override summary = 'Write a directory of a Kubernetes run as a tar stream on stdout.';
  static override description = 'Write a directory tree as a tar stream on stdout (the run\'s state, for `peers status`, `report` and `down` against a cluster). Symlinks are stored as links, never followed.';
  static override hidden = true;
  static override examples = ['<%= config.bin %> k8s pack --dir /state --as state --exclude run'];
  static override flags = {
    dir: Flags.string({ required: true, description: 'The directory to pack.' }),
    as: Flags.string({ required: true, description: 'Its name in the archive.' }),
    exclude: Flags.string({ multiple: true, default: [], description: 'A path under --dir to leave out (with everything below it).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(K8sPack);
    const dir = resolve(this.io.cwd, flags.dir);
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) throw new InputError(`--dir ${flags.dir}: ${st ? 'not a directory' : 'no such directory'}`, { hint: 'name the directory of the run to pack' });
    // A tar archive, not text: the bytes go out as they are (command-io.ts, rawOutput).
    await packTrees([{ dir, as: flags.as, exclude: flags.exclude }], writableTo(rawOutput(this.io.stdout)));
  }
}
