import { Args } from '@oclif/core';
import { jsonSchemaText, SCHEMA_KINDS } from '../src/config/json-schema.ts';
import { BaseCommand } from './base.ts';

export default class Schema extends BaseCommand {
  static override summary = 'Print the JSON Schema of a config file or of a command\'s --json output.';
  static override description = 'Print the JSON Schema of config.yaml or goals.yaml (what `peers init` writes to .peers/schema/).';
  static override hidden = true;
  static override examples = ['<%= config.bin %> schema config > config.schema.json', '<%= config.bin %> schema goals'];
  static override args = { kind: Args.string({ description: 'Which file.', options: [...SCHEMA_KINDS], required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Schema);
    process.stdout.write(jsonSchemaText(args.kind as (typeof SCHEMA_KINDS)[number]));
  }
}
