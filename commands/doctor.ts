import { runDoctor } from '../apps/doctor/doctor-checks.ts';
import { realHostProbe } from '../apps/doctor/host-probe.ts';
import { DOCTOR_COMMANDS, hostRunAsync, withPrefetchedRuns } from '../apps/doctor/prefetch-probe.ts';
import { paintFor } from '../src/cli/colour.ts';
import { withVendorLookups } from '../apps/doctor/vendor-hosts-check.ts';
import { BaseCommand } from './base.ts';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

export default class Doctor extends BaseCommand {
  static override summary = 'Check that this machine and every registered project can run peers.';
  static override description =
    'Check that this machine can run peers: git, rootless podman (subuid/subgid, OCI runtime, cgroups, network helper, /dev/net/tun), a state directory podman can write the loop\'s log in, the workspace image and the peer CLIs (and versions) in it, the peer CLIs on the host, and per registered project: its configuration, each peer\'s credentials (the API key by name or the login file; never a secret\'s value), whether its vendor\'s API host resolves on this machine (the egress proxy resolves the same way), and the last `peers verify` (do the gates pass, how long they take per tick). Each problem comes with the command that fixes it. Exits 1 if a required check fails.';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    await this.parse(Doctor);
    const probe = realHostProbe(this.io.env);
    // The vendor hosts are looked up while the prefetched commands run (vendor-hosts-check.ts).
    const [prefetched, looked] = await Promise.all([withPrefetchedRuns(probe, DOCTOR_COMMANDS, hostRunAsync(probe)), withVendorLookups(probe)]);
    const report = runDoctor({ ...prefetched, vendorLookups: looked.vendorLookups });
    if (!this.jsonEnabled()) {
      const paint = paintFor(this.io.stdout, this.io.env);
      const style = { ok: paint.green, warn: paint.yellow, fail: paint.red, skip: paint.dim } as const;
      for (const c of report.checks) {
        this.log(`${style[c.status](MARK[c.status])}  ${c.title.padEnd(26)} ${c.detail.split('\n').join('\n' + ' '.repeat(34))}`);
        if (c.fix && c.status !== 'ok') this.log(`${' '.repeat(34)}fix: ${c.fix}`);
      }
      this.log(report.ok ? '\nall required checks passed' : '\nsome required checks failed (see FAIL above)');
    }
    return this.exitWith(report.ok ? 0 : 1, report);
  }
}
