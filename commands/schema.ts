import { Args } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { OUTPUT_SCHEMAS, outputJsonSchema, type OutputName } from '../src/cli/json-output/output-schemas.ts';
import { jsonSchemaText, SCHEMA_KINDS } from '../src/config/json-schema.ts';
import { didYouMean } from '../src/cli/did-you-mean.ts';
import { BaseCommand } from './base.ts';

const OUTPUT_NAMES = Object.keys(OUTPUT_SCHEMAS).map((id) => id.replaceAll(':', ' '));

export default class Schema extends BaseCommand {
  static override summary = "Print the JSON Schema of a config file or of a command's --json output.";
  static override description = `Print a JSON Schema: of config.yaml or goals.yaml (what \`peers init\` writes to .peers/schema/), or of the document a command prints with --json (every one has schema_version, snake_case keys, US dollars rounded to 6 decimals). The zod schemas in the binary are the source of both.
Names: ${[...SCHEMA_KINDS, ...OUTPUT_NAMES].join(', ')}.`;
  static override hidden = true;
  static override examples = ['<%= config.bin %> schema config > config.schema.json', '<%= config.bin %> schema goals', '<%= config.bin %> schema status', '<%= config.bin %> schema "modes list"'];
  static override args = { name: Args.string({ description: 'config, goals, or a command with --json output (status, ls, …).', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Schema);
    if ((SCHEMA_KINDS as readonly string[]).includes(args.name)) {
      this.io.stdout.write(jsonSchemaText(args.name as (typeof SCHEMA_KINDS)[number]));
      return;
    }
    const id = args.name.trim().replaceAll(' ', ':');
    if (!Object.hasOwn(OUTPUT_SCHEMAS, id)) {
      const guess = didYouMean(args.name, [...SCHEMA_KINDS, ...OUTPUT_NAMES]);
      throw new InputError(`no schema named '${args.name}'${guess ? `. Did you mean '${guess}'?` : ` (names: ${[...SCHEMA_KINDS, ...OUTPUT_NAMES].join(', ')})`}`);
    }
    this.io.stdout.write(`${JSON.stringify(outputJsonSchema(id as OutputName), null, 2)}\n`);
  }
}
