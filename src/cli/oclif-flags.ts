/**
 * oclif flags built from a plain flag spec (role-flags.ts), so the pod's long-running roles keep
 * oclif's help, manifest and error messages while src/main.ts parses them without loading oclif.
 */
import { Flags, type Interfaces } from '@oclif/core';
import type { FlagSpec, FlagSpecs, FlagValues } from './role-flags.ts';

type OclifFlag = Interfaces.FlagInput[string];

function toOclifFlag(spec: FlagSpec): OclifFlag {
  const { description, hidden, helpValue, char } = spec;
  const shown = { ...(char ? { char: char as Interfaces.AlphabetLowercase | Interfaces.AlphabetUppercase } : {}), description, ...(hidden ? { hidden } : {}), ...(helpValue ? { helpValue } : {}) };
  switch (spec.kind) {
    case 'string':
      return Flags.string({
        ...shown,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
        ...(spec.options ? { options: [...spec.options] } : {}),
        ...(spec.required ? { required: true } : {}),
        ...(spec.env ? { env: spec.env } : {}),
        ...(spec.exactlyOne ? { exactlyOne: [...spec.exactlyOne] } : {}),
      });
    case 'strings':
      return Flags.string({ ...shown, multiple: true, default: [...spec.default], ...(spec.options ? { options: [...spec.options] } : {}) });
    case 'integer':
      return Flags.integer({ ...shown, ...(spec.default !== undefined ? { default: spec.default } : {}), ...(spec.min !== undefined ? { min: spec.min } : {}), ...(spec.max !== undefined ? { max: spec.max } : {}) });
    case 'boolean':
      return Flags.boolean({
        ...shown,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
        ...(spec.allowNo ? { allowNo: true } : {}),
        ...(spec.exactlyOne ? { exactlyOne: [...spec.exactlyOne] } : {}),
      });
  }
}

/** The oclif `flags` of a command whose flags are `spec`; `this.parse` then types them as FlagValues<S>. */
export function oclifFlags<S extends FlagSpecs>(spec: S): Interfaces.FlagInput<FlagValues<S>> {
  return Object.fromEntries(Object.entries(spec).map(([name, flag]) => [name, toOclifFlag(flag)])) as Interfaces.FlagInput<FlagValues<S>>;
}
