import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);

/** JSON Feed 1.1, as a JSON Schema kept in test/schemas (written from jsonfeed.org/version/1.1). */
const validate = ajv.compile(JSON.parse(readFileSync(new URL('../schemas/jsonfeed-1.1.schema.json', import.meta.url), 'utf8')));

/** Throws with ajv's messages unless `document` is a valid JSON Feed 1.1. */
export function assertValidJsonFeed(document: unknown, name = 'feed'): void {
  if (!validate(document)) throw new Error(`${name} is not valid JSON Feed 1.1: ${ajv.errorsText(validate.errors)}`);
}
