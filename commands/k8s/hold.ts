import { untilStopSignal } from '../../src/cli/stop-signal.ts';
import { BaseCommand } from '../base.ts';

export default class K8sHold extends BaseCommand {
  static override summary = "Keep the run Pod's reader container alive for the host's exec calls.";
  static override description = 'Wait until SIGTERM (the run Pod\'s reader container: it keeps the state volume readable after the loop has exited).';
  static override hidden = true;
  // Part of a running Kubernetes run (it waits, or writes the run's state): fuzzed for validation only.
  static override controlsRuns = true;
  static override examples = ['<%= config.bin %> k8s hold'];

  async run(): Promise<void> {
    await this.parse(K8sHold);
    await untilStopSignal(this.io.signals);
  }
}
