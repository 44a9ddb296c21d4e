import { Flags } from '@oclif/core';
import { readMarker, receiveDelivery } from '../../sandbox/k8s/delivery.ts';
import { InputError } from '../../src/cli/errors.ts';
import { BaseCommand } from '../base.ts';
import { jsonForTerminal } from '../../src/cli/terminal-text.ts';

export default class K8sUnpack extends BaseCommand {
  static override summary = "Receive and verify the run's delivery in a Kubernetes init container.";
  static override description = 'Receive the repository of a Kubernetes run (what `peers up` streams through exec): a framed archive on stdin, verified, moved into place, then the delivery marker. With --probe, only say whether the run was delivered.';
  static override hidden = true;
  // Part of a running Kubernetes run (it waits, or writes the run's state): fuzzed for validation only.
  static override controlsRuns = true;
  static override examples = ['<%= config.bin %> k8s unpack --into state=/volumes/peers-app-state --marker /volumes/peers-app-state/.peers-delivery.json < delivery'];
  static override flags = {
    into: Flags.string({ multiple: true, default: [], description: 'NAME=DIR: archive entries under NAME/ land in DIR.' }),
    marker: Flags.string({ required: true, description: 'The delivery marker, written last.' }),
    probe: Flags.boolean({ description: 'Print {"delivered": …} and exit.' }),
    base: Flags.string({ description: 'The commit the run starts from, recorded in the marker.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(K8sUnpack);
    if (flags.probe) {
      const m = readMarker(flags.marker);
      this.io.stdout.write(`${jsonForTerminal(JSON.stringify(m ? { delivered: true, ...m } : { delivered: false }))}\n`);
      return;
    }
    const roots: Record<string, string> = {};
    for (const spec of flags.into) {
      const [name, dir] = spec.split('=', 2);
      if (!name || !dir) throw new InputError(`--into ${spec}: expected NAME=DIR`);
      roots[name] = dir;
    }
    if (!Object.keys(roots).length) throw new InputError('give at least one --into NAME=DIR');
    const m = await receiveDelivery(this.io.stdin, { roots, marker: flags.marker, base: flags.base });
    this.io.stdout.write(`${jsonForTerminal(JSON.stringify({ delivered: true, ...m }))}\n`);
  }
}
