import { Flags } from '@oclif/core';
import { podInit } from '../../sandbox/k8s/pod-init.ts';
import { InputError } from '../../src/cli/errors.ts';
import { BaseCommand } from '../base.ts';

export default class K8sInit extends BaseCommand {
  static override summary = "Prepare a Kubernetes Pod's volumes and wait for what it needs to start.";
  static override description = 'Prepare a Kubernetes run Pod before its containers start (its init container): volume directories, the isolation check, the sockets of the other Pods, the repository\'s delivery.';
  static override hidden = true;
  // Part of a running Kubernetes run (it waits, or writes the run's state): fuzzed for validation only.
  static override controlsRuns = true;
  static override examples = ['<%= config.bin %> k8s init --dir /volumes/peers-app-state/sidecars/auth --isolated --await-delivery /volumes/peers-app-state/.peers-delivery.json'];
  static override flags = {
    dir: Flags.string({ multiple: true, default: [], description: 'Create this directory (0700) if missing.' }),
    'fresh-dir': Flags.string({ multiple: true, default: [], description: 'Create this directory and empty it (stale sockets).' }),
    isolated: Flags.boolean({ description: 'Fail unless this Pod is cut off from the network (NetworkPolicy enforced).' }),
    'wait-socket': Flags.string({ multiple: true, default: [], description: 'Wait until this Unix socket accepts connections.' }),
    'wait-tcp': Flags.string({ multiple: true, default: [], description: 'Wait until HOST:PORT accepts connections.' }),
    'await-delivery': Flags.string({ description: 'Wait until this delivery marker exists.' }),
    'runner-key': Flags.string({ multiple: true, default: [], description: "FROM=TO: copy a runner's per-run key from the Secret's file FROM to TO, where the runner takes it." }),
    'timeout-s': Flags.integer({ min: 1, default: 900, description: 'Give up (exit 1) after this many seconds.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(K8sInit);
    await podInit({
      dirs: flags.dir,
      freshDirs: flags['fresh-dir'],
      isolated: flags.isolated,
      waitSockets: flags['wait-socket'],
      waitTcp: flags['wait-tcp'],
      awaitDelivery: flags['await-delivery'],
      runnerKeys: flags['runner-key'].map((kv) => {
        const i = kv.indexOf('=');
        if (i <= 0 || i === kv.length - 1) throw new InputError(`--runner-key ${kv}: expected FROM=TO`);
        return { from: kv.slice(0, i), to: kv.slice(i + 1) };
      }),
      timeoutS: flags['timeout-s'],
      env: this.io.env,
      log: (l) => this.io.stderr.write(`peers k8s init: ${l}\n`),
    });
  }
}
